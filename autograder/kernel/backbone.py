"""Lesson 08's pretrained network, offline and verified, and its target task.

No machine of the course can download weights, so the course trains its own
backbone: a small CNN trained on the Fashion-MNIST classes of
``SOURCE_CLASSES`` only (``python -m autograder.course.pretrain``, which
anyone can rerun). The checkpoint is committed in the repository
(``datasets/backbone/``, mounted there in a sandbox) and ships inside the
student kit's package. Its SHA-256 and the normalisation it was trained with
live in ``datasets/manifest.json`` and nowhere else: ``load_backbone``
verifies the file before torch reads it.

The target task is the lesson's point: the classes the backbone never saw
(``TARGET_CLASSES``), learned from a few labelled images per class. Its
training images come from the training split (``few_labels``), its
validation images from the training split's last ``VALIDATION_SIZE``, and the
grader scores on the test split's images of those classes.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

import numpy as np

from autograder import data
from autograder.i18n import _

NAME = "fashion-backbone"
CHECKPOINT = f"{NAME}.pt"
SOURCE_CLASSES = (0, 1, 2, 3, 4, 8)  # T-shirt/top, Trouser, Pullover, Dress, Coat, Bag: what it was trained on
TARGET_CLASSES = (5, 6, 7, 9)  # Sandal, Shirt, Sneaker, Ankle boot: never seen by the backbone
WIDTHS = (32, 64, 128)  # channels of its three convolutional blocks
POOLED = 2  # the last block's maps are averaged down to POOLED x POOLED: 128 * 2 * 2 = 512 features


class BackboneUnavailable(RuntimeError):
    """The checkpoint is missing, or not the one the manifest names."""


def checkpoint_path() -> Path:
    """Where the checkpoint is: inside the package in the student kit, else datasets/backbone/."""
    if data.STUDENT_KIT:
        return data.HERE / CHECKPOINT
    return data.REPO_ROOT / "datasets" / "backbone" / CHECKPOINT


def manifest() -> dict:
    """The backbone's entry of datasets/manifest.json: its checksum, normalisation and classes."""
    return data.manifest_entry(NAME)


def normalization() -> tuple[float, float]:
    """(mean, std) of the pixels in [0, 1] that the backbone was trained with."""
    entry = manifest()["normalization"]
    return float(entry["mean"]), float(entry["std"])


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verified_checkpoint() -> Path:
    path = checkpoint_path()
    if not path.is_file():
        raise BackboneUnavailable(
            _(
                "{path} is missing: it is part of the course (git checkout datasets/backbone, or rebuild it with "
                "python -m autograder.course.pretrain)"
            ).format(path=path)
        )
    expected = manifest()["sha256"]
    found = sha256(path)
    if found != expected:
        raise BackboneUnavailable(
            _("{path} has SHA-256 {found}, not the manifest's {expected}: it is not the course's").format(
                path=path, found=found, expected=expected
            )
        )
    return path


def network(num_classes: int = len(SOURCE_CLASSES)):
    """The backbone's architecture, untrained: ``features`` (images -> 512 numbers) and ``head`` (a Linear).

    Its features keep a little of where things are in the image (the last block's maps averaged over
    the four quarters of the image, not over the whole of it): on the new classes, a linear head on them
    learned more from a few labels than on the whole-image average (benchmarks/transfer.py)."""
    import torch
    from torch import nn

    def block(c_in, c_out, pool=True):
        layers = [nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU()]
        return layers + [nn.MaxPool2d(2)] if pool else layers

    class Backbone(nn.Module):
        """Three convolutional blocks, average pooling to 2x2, and a linear head."""

        def __init__(self):
            super().__init__()
            a, b, c = WIDTHS
            self.features = nn.Sequential(
                *block(1, a), *block(a, b), *block(b, c, pool=False), nn.AdaptiveAvgPool2d(POOLED), nn.Flatten()
            )
            self.head = nn.Linear(c * POOLED * POOLED, num_classes)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            features = self.features(x)  # (N, 512)
            return self.head(features)

    return Backbone()


def load_backbone():
    """The course's pretrained backbone (verified against the manifest), in eval mode, on the CPU."""
    import torch

    model = network()
    state = torch.load(verified_checkpoint(), map_location="cpu", weights_only=True)
    model.load_state_dict(state)
    return model.eval()


@lru_cache(maxsize=None)
def task_split(classes: tuple[int, ...], part: str) -> tuple[np.ndarray, np.ndarray]:
    """The images of ``classes`` (uint8, (N, 28, 28)) and their labels renumbered 0, 1, ... in that order,
    from one part of Fashion-MNIST: "train" (the training split less its last VALIDATION_SIZE images),
    "validation" (those) or "test". Cached: callers index or copy, never write."""
    if part == "test":
        split = data.load_fashion_mnist("test")
    elif part == "validation":
        split = data.validation_split()
    elif part == "train":
        train = data.load_fashion_mnist("train")
        cut = len(train.labels) - data.VALIDATION_SIZE
        split = data.Split(train.images[:cut], train.labels[:cut])
    else:
        raise ValueError(_("part must be train, validation or test, got {part}").format(part=repr(part)))
    keep, labels = data.relabel(split.labels, classes)
    return split.images[keep], labels


def few_labels(per_class: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``per_class`` labelled training images of each target class, drawn with ``seed``:
    (uint8 images (N, 28, 28), int64 labels (N,) in 0..len(TARGET_CLASSES)-1), class by class."""
    images, labels = task_split(TARGET_CLASSES, "train")
    rng = np.random.default_rng(seed)
    chosen = np.concatenate(
        [rng.choice(np.flatnonzero(labels == c), size=per_class, replace=False) for c in range(len(TARGET_CLASSES))]
    )
    return images[chosen], labels[chosen]


def target_validation() -> tuple[np.ndarray, np.ndarray]:
    """The validation images of the target classes and their renumbered labels (copies)."""
    images, labels = task_split(TARGET_CLASSES, "validation")
    return images.copy(), labels.copy()


def target_names() -> list[str]:
    names = data.class_names()
    return [names[c] for c in TARGET_CLASSES]
