"""Attacks on the training exercises (issues 13 and 32): grades that did not prove the student's training.

The Fashion-MNIST test split is public, labels included. When the student's
code predicted, a lookup of the public labels could answer for a network
(exactly: 1.0000 on the public images; by the nearest image: 0.92 on
images changed by the course's secret), and whatever model the notebook
ended with was scored, however it got there. Now the grader trains: it
calls the training function itself, in a sandbox with only the lesson's
training data, under the budget, takes back only weights, and scores them
in the lesson's own network on the changed test images. Each attack below
scored points before and earns nothing now; an accuracy no network of the
exercise reaches is still held for review (Target.implausible).
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
from autograder.training import training_verdict
from tests import samples
from tests.adversarial.corpus import with_cell

# The nearest-public-image lookup of issue 32 (4/4 at 0.92 on train_model, under the implausible line): a
# "network" whose forward finds the closest public test image and answers its public label. Its training
# function reads the public test split, which the grader's training call does not have.
NEAREST = '''from autograder import data as _data

class Nearest(nn.Module):
    """No network at all: the public label of the closest public test image."""
    def __init__(self):
        super().__init__()
        self.register_buffer("images", torch.from_numpy(_data.load_images("test")).float().reshape(-1, 784))
        self.register_buffer("labels", torch.from_numpy(_data.load_labels("test")))

    def forward(self, x):
        pixels = ((x * 0.5 + 0.5) * 255).reshape(len(x), 784)
        return torch.nn.functional.one_hot(self.labels[torch.cdist(pixels, self.images).argmin(1)], 10).float()

def {name}(*args, **kwargs):
    return Nearest()
'''
TRAINING = {"06_pytorch_mlp": "train_model", "07_cnn_gpu": "train_cnn"}


def graded(tmp_path, assignment, solutions, name, after=None, code=None):
    """The reference with ``solutions`` (and a cell ``code`` after ``after``), graded on ``name`` alone."""
    if code is None:
        notebook = samples.student_notebook(assignment, solutions)
    else:
        notebook = with_cell(code, after=after, assignment=assignment, **solutions)
    report = grade(samples.write(notebook, tmp_path, assignment), assignment, quick=True, only=[name])
    return next(t for t in report.tests if t["function"] == name), report


@pytest.mark.sandbox
@pytest.mark.training
@pytest.mark.parametrize("assignment", sorted(TRAINING))
def test_a_lookup_of_the_nearest_public_test_image_earns_nothing(tmp_path, ledger, assignment):
    """The grader calls the training function itself, in a sandbox that holds the lesson's training data
    and no test image, public or changed: the lookup has nothing to look up, and trains nothing."""
    name = TRAINING[assignment]
    test, report = graded(tmp_path, assignment, {name: NEAREST.format(name=name)}, name)
    ledger("attack", assignment, ["nearest_public_image_lookup"])
    assert test["score"] == 0, report.table(detail=True)
    assert "the grader's training call gave no trained network" in test["output"], test["output"]


TRAINS_NOTHING = """def train_model(train_loader, val_loader, epochs=10, lr=0.001, seed=0, device="cpu", history=None):
    torch.manual_seed(seed)
    return build_mlp().to(device)  # trains nothing
"""
TRAINED_ELSEWHERE = """# "Weights trained elsewhere", put into model after the training cell (trained here, where
# nobody times it): the grade used to score whatever model the notebook ended with.
torch.manual_seed(0)
model = build_mlp()
optimizer = torch.optim.Adam(model.parameters(), lr=0.001)
for _ in range(2):
    train_epoch(model, train_loader, optimizer, "cpu")
"""


@pytest.mark.sandbox
@pytest.mark.training
def test_weights_put_into_the_model_after_the_training_cell_count_for_nothing(tmp_path, ledger):
    """train_model trains nothing; a later cell puts a well trained network into model. The grade is what
    the student's own train_model trains when the grader calls it: nothing, so 0."""
    solutions = {"train_model": TRAINS_NOTHING}
    test, report = graded(tmp_path, "06_pytorch_mlp", solutions, "train_model", "test_train_model", TRAINED_ELSEWHERE)
    ledger("attack", "06_pytorch_mlp", ["weights_from_elsewhere_after_the_training_cell"])
    assert test["score"] == 0, report.table(detail=True)
    accuracy = float(test["output"].split("held-out test accuracy ")[1].split(",")[0])
    assert accuracy < 0.3, test["output"]


TRAINS_WHEN_PREDICTING = '''class Patient(nn.Sequential):
    """build_mlp's layers, untrained, with a forward that would train itself on its first call: the
    prediction call nobody timed."""
    def forward(self, x):
        if not getattr(self, "trained", False):
            self.trained = True
            optimizer = torch.optim.Adam(self.parameters(), lr=0.001)
            for images, labels in train_loader:
                loss = F.cross_entropy(super().forward(images), labels)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
        return super().forward(x)

def train_model(train_loader, val_loader, epochs=10, lr=0.001, seed=0, device="cpu", history=None):
    torch.manual_seed(seed)
    return Patient(*build_mlp())
'''


@pytest.mark.sandbox
@pytest.mark.training
def test_a_model_that_trains_when_it_predicts_earns_nothing(tmp_path, ledger):
    """No student forward runs when the grader evaluates: its weights go into the lesson's own network."""
    test, report = graded(tmp_path, "06_pytorch_mlp", {"train_model": TRAINS_WHEN_PREDICTING}, "train_model")
    ledger("attack", "06_pytorch_mlp", ["training_inside_the_prediction_call"])
    assert test["score"] == 0, report.table(detail=True)


MORE_LABELS = """
from autograder.backbone import few_labels as _few_labels

def fine_tune(backbone, images, labels, num_classes, epochs=200, lr=0.01, seed=0, history=None):
    more, more_labels = _few_labels(150)  # 150 labelled images a class from the training split, not 10
    more, more_labels = torch.from_numpy(more).unsqueeze(1), torch.from_numpy(more_labels)
    return _fine_tune_on(backbone, more, more_labels, num_classes, epochs, lr, seed, history)
"""


@pytest.mark.sandbox
@pytest.mark.training
def test_fine_tune_cannot_read_more_labels_than_it_is_handed(tmp_path, ledger):
    """The grader's training call holds the 40 labelled images it hands fine_tune, and nothing else of the
    data set: reading more fails, and earns nothing."""
    reference = samples.reference_answers("08_transfer_learning")["fine_tune"]
    recipe = reference.replace("def fine_tune(", "def _fine_tune_on(")  # the lesson's recipe, on other data
    test, report = graded(tmp_path, "08_transfer_learning", {"fine_tune": recipe + MORE_LABELS}, "fine_tune")
    ledger("attack", "08_transfer_learning", ["fine_tune_reads_more_labels"])
    assert test["score"] == 0, report.table(detail=True)
    assert "the grader's training call gave no trained network" in test["output"], test["output"]


CARRIES_A_TABLE = """_TABLE = np.arange(200_000, dtype=np.float64)  # 1.6 MB: weights from elsewhere, or a table

def train_mlp(X, y, hidden_sizes=(128,), epochs=10, lr=0.1, batch_size=64, seed=0, history=None):
    params = init_mlp([X.shape[1], *hidden_sizes, 10], seed=seed)
    params[0] = (params[0][0] + 0 * _TABLE[: params[0][0].size].reshape(params[0][0].shape), params[0][1])
    return params
"""


@pytest.mark.sandbox
@pytest.mark.training
def test_a_training_function_that_carries_a_large_constant_is_refused(tmp_path, ledger):
    test, report = graded(tmp_path, "05_backprop", {"train_mlp": CARRIES_A_TABLE}, "train_mlp")
    ledger("attack", "05_backprop", ["training_function_carries_a_large_constant"])
    assert test["score"] == 0, report.table(detail=True)
    assert "over the 64 KB the grader takes for a training function" in test["output"], test["output"]


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
    """Perfect predictions earn nothing until reviewed. (Weights that predict perfectly are hard to make, so
    the network's predictions are stubbed: the rule is the point.)"""
    training = exercises_for(assignment)[name]
    labels = data.load_labels("test")
    stub = {"predict": lambda value, images: labels, "architecture": None}
    training = training.__class__(**{**training.__dict__, **stub})
    result = training_verdict(training, {"status": "ok", "value": None}, "test", quick=False, call=True)
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
