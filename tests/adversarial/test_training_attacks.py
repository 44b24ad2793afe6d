"""Attacks on the training exercises: a model that looks its answers up instead of computing them.

The Fashion-MNIST test split is public, labels included, and a PyTorch
model's predictions are made by its own code. A "model" that looks each
test image up in a table of the public labels scored 1.0000 when the grader
showed it the public test images; it now sees them changed by the course's
secret (autograder/heldout.py), and an accuracy no network of the exercise
reaches is held for review (Target.implausible).
"""

from __future__ import annotations

import os
import stat

import numpy as np
import pytest

from autograder import data
from autograder.host import heldout
from autograder.judge.exercises import exercises_for
from autograder.host.grader import grade
from autograder.host.sandbox import Limits
from autograder.training import training_verdict
from tests import samples

LOOKUP = '''LABELS = {labels!r}  # the public test labels, as anyone can download them
from autograder import data as _data

class Lookup(nn.Module):
    """No network at all: the label of each public test image, by its exact pixels."""
    def __init__(self):
        super().__init__()
        self.table = {{image.tobytes(): int(label) for image, label in zip(_data.load_images("test"), LABELS)}}
        self.unused = nn.Linear(1, 1)

    def forward(self, x):
        pixels = ((x * 0.5 + 0.5) * 255).round().clamp(0, 255).to(torch.uint8).reshape(len(x), 28, 28)
        scores = torch.zeros(len(x), 10)
        for i, image in enumerate(pixels.cpu().numpy()):
            scores[i, self.table.get(image.tobytes(), 0)] = 1.0
        return scores

def train_model(train_loader, val_loader, epochs=10, lr=0.001, seed=0, device="cpu", history=None):
    if history is not None:
        history.update(loss=[2.3], accuracy=[0.1])
    return Lookup()
'''


@pytest.mark.sandbox
@pytest.mark.training
def test_a_lookup_table_of_the_public_test_labels_earns_nothing(tmp_path, ledger):
    labels = "".join(str(int(v)) for v in data.load_labels("test"))
    notebook = samples.student_notebook("06_pytorch_mlp", {"train_model": LOOKUP.format(labels=labels)})
    path = samples.write(notebook, tmp_path, "06_pytorch_mlp")
    report = grade(
        path, "06_pytorch_mlp", quick=True, only=["train_model"], limits=Limits(cell_timeout=120, call_timeout=30)
    )
    ledger("attack", "06_pytorch_mlp", ["lookup_table_of_the_public_test_labels"])
    test = next(t for t in report.tests if t["function"] == "train_model")
    assert test["score"] == 0, report.table(detail=True)
    accuracy = float(test["output"].split("held-out test accuracy ")[1].split(",")[0])
    assert accuracy < 0.2, test["output"]  # the lookup missed every changed image


def test_the_held_out_images_differ_from_every_public_one_and_only_by_a_little():
    public, secret = data.load_images("test"), "a course's secret"
    changed = heldout.test_images(secret)
    assert changed.shape == public.shape and changed.dtype == np.uint8
    difference = np.abs(changed.astype(np.int16) - public.astype(np.int16))
    assert difference.max() <= heldout.NOISE
    assert (difference.reshape(len(public), -1).max(axis=1) > 0).all()  # no image is left as it was
    assert np.array_equal(heldout.test_images(secret), changed)  # the same every grading
    assert not np.array_equal(heldout.test_images("another course"), changed)


def test_the_course_secret_is_made_once_for_its_owner_only(tmp_path, monkeypatch):
    monkeypatch.delenv(heldout.SECRET_ENV, raising=False)
    first = heldout.course_secret(tmp_path)
    path = tmp_path / heldout.SECRET_FILE
    assert len(first) == 64 and heldout.course_secret(tmp_path) == first
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    monkeypatch.setenv(heldout.SECRET_ENV, "given")
    assert heldout.course_secret(tmp_path) == "given"


@pytest.mark.parametrize(
    "assignment, name", [("06_pytorch_mlp", "train_model"), ("07_cnn_gpu", "train_cnn"), ("05_backprop", "train_mlp")]
)
def test_an_implausible_accuracy_is_held_for_review(assignment, name):
    """Perfect predictions (what a nearest-public-image lookup gives) earn nothing until reviewed."""
    training = exercises_for(assignment)[name]
    labels = data.load_labels("test")
    if training.predicts_in_kernel:
        value = labels
    else:  # a numpy MLP: weights that the judge runs; perfect ones are hard to make, so predict is stubbed
        value = None
        training = training.__class__(**{**training.__dict__, "predict": lambda value, images: labels})
    result = training_verdict(training, {"status": "ok", "value": value}, "test", quick=False)
    assert result.fraction == 0 and "held for the instructor's review" in result.message
    assert result.figures["flagged"] == "implausible accuracy"


CIFAR10_TUTORIAL_NET = '''import torch.nn.functional as F

class SimpleCNN(nn.Module):
    """PyTorch's CIFAR-10 tutorial network, for one channel: 5x5 convolutions with 6 and 16 channels, no batch
    norm, three linear layers. It works, but it is not the network the docstring asks for."""
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5)
        self.pool = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 4 * 4, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)
'''


@pytest.mark.sandbox
def test_a_network_other_than_the_docstrings_loses_simplecnns_points_naming_the_layer(tmp_path, ledger):
    """SimpleCNN's docstring gives its layers: two 3x3 convolutions (16 and 32 channels) with batch norm, then
    Linear(32 * 7 * 7, 128) and Linear(128, 10). PyTorch's CIFAR-10 tutorial network earned all of its points
    (issue 32); the architecture is now a contract, and the message names the layer the model lacks."""
    notebook = samples.student_notebook("07_cnn_gpu", {"SimpleCNN": CIFAR10_TUTORIAL_NET})
    path = samples.write(notebook, tmp_path, "07_cnn_gpu")
    report = grade(path, "07_cnn_gpu", quick=True, only=["SimpleCNN"])
    ledger("attack", "07_cnn_gpu", ["cifar10_tutorial_network"])
    test = next(t for t in report.tests if t["function"] == "SimpleCNN")
    assert test["score"] == 0, report.table(detail=True)
    assert "does not have the docstring's Conv2d(1, 16, kernel_size=3, padding=1)" in test["output"], test["output"]
