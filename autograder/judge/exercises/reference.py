"""Expected values from PyTorch, computed in float64 and cast to the answer's dtype."""

from __future__ import annotations

import numpy as np


def _torch():
    """torch, imported when a reference first needs it (the exercises' modules load without it)."""
    import torch

    return torch


def _F():
    """torch.nn.functional, the same way."""
    import torch.nn.functional as F

    return F


def torch_apply(fn, z: np.ndarray, dtype=None) -> np.ndarray:
    import torch

    out = fn(torch.from_numpy(np.asarray(z, dtype=np.float64)))
    return out.detach().numpy().astype(dtype or np.asarray(z).dtype)


def torch_derivative(fn, z: np.ndarray, dtype=None) -> np.ndarray:
    """d fn(z) / dz for an elementwise ``fn``, by autograd."""
    import torch

    x = torch.tensor(np.asarray(z, dtype=np.float64), requires_grad=True)
    fn(x).sum().backward()
    return x.grad.numpy().astype(dtype or np.asarray(z).dtype)


def with_zeros(*shape):
    """A case's input: normal values (scale 2) of ``shape`` with every third one exactly 0.0."""

    def make(rng):
        z = rng.standard_normal(shape) * 2
        z.flat[::3] = 0.0
        return (z,)

    return make


def course_normalize(images):
    """uint8 images (a tensor) -> [-1, 1] in float32: the course's preprocessing (data.normalize), as 06's
    training data is made and 07's normalize asks."""
    return (images.float() / 255 - 0.5) / 0.5


def first_training_examples(target):
    """A training call's (args, kwargs): the first training examples, uint8, and the lesson's arguments."""
    from autograder import data

    examples = data.training_examples(target.train_size)
    return [examples.images, examples.labels], target.train_args()


def uint8_images(*shape):
    """A case's input: uint8 pixels of ``shape``, both ends of the range (0 and 255) among them."""

    def make(rng):
        images = rng.integers(0, 256, size=shape).astype(np.uint8)
        images.flat[:2] = (0, 255)
        return (images,)

    return make
