"""The public checks in the notebook, in this process: what a student sees before submitting.

Each catalogue mistake (tests/mistakes/) fails the public check of every grade cell it costs, so a
notebook whose public checks all pass can lose points only on inputs it never saw: every kind of
input a hidden case fails on has a public case of its kind. A function built on an earlier one that
fails its own check says so (checks.blame_roots), in the notebook as in the grader.

The catalogue's code runs here, unsandboxed: it is ours. Every lesson, without its training cells
(graded end to end in tests/test_grading.py).
"""

from __future__ import annotations

import pytest

from autograder.host.repair import grade_id, nbgrader_meta, read, source_path
from autograder.judge.exercises import exercises_for
from autograder.notebook import checks_for
from autograder.public_checks import CheckFailed
from tests.mistakes import mistakes_for
from tests.samples import ASSIGNMENTS, MARKERS, reference_answers
from tests.test_grading import blamed

LESSONS = ASSIGNMENTS  # every lesson of source/


def namespace(assignment: str, answers: dict[str, str]) -> dict:
    """The notebook's globals: its setup cell, the locked cells that define helpers, and ``answers``."""
    found = {"__name__": "__main__"}
    for cell in read(source_path(assignment)).cells:
        if cell.cell_type != "code":
            continue
        cid, meta = grade_id(cell), nbgrader_meta(cell)
        trains = cid in exercises_for(assignment) and exercises_for(assignment)[cid].trains
        if meta.get("solution") and not trains:
            exec(answers.get(cid, MARKERS.sub("", cell.source)), found)
        elif cid == "setup" or (meta.get("locked") and not cid.startswith("test_") and "def " in cell.source):
            exec(cell.source, found)
    return found


def public_message(assignment: str, function: str, names: dict) -> str | None:
    """None when the public check of ``function`` passes, else its message."""
    check = checks_for(assignment)
    try:
        check(function, names[function])
    except CheckFailed as failed:
        return str(failed)
    return None


def trains(assignment: str, function: str) -> bool:
    return exercises_for(assignment)[function].trains


# Every mistake in a function that does not train; its training cells are graded in tests/test_grading.py.
CATALOGUE = [(a, m) for a in LESSONS for m, spec in mistakes_for(a).items() if not trains(a, spec.grade_id)]


@pytest.mark.parametrize("assignment", LESSONS)
def test_the_reference_passes_every_public_check(assignment):
    names = namespace(assignment, reference_answers(assignment))
    for function, exercise in exercises_for(assignment).items():
        if not exercise.trains:
            assert public_message(assignment, function, names) is None, function


@pytest.mark.parametrize("assignment,mistake", CATALOGUE, ids=[f"{a}:{m}" for a, m in CATALOGUE])
def test_a_mistake_fails_the_public_check_of_every_cell_it_costs(assignment, mistake):
    spec = mistakes_for(assignment)[mistake]
    names = namespace(assignment, {**reference_answers(assignment), spec.grade_id: spec.code})
    for function in [f for f in spec.lost if not trains(assignment, f)]:
        message = public_message(assignment, function, names)
        assert message is not None, f"{mistake} passes the public check of {function}, and fails a hidden case"
        if function != spec.grade_id and spec.grade_id in spec.lost:
            assert spec.grade_id in blamed(message), message


FUNCTIONAL_CNN = '''
import torch
from torch import nn
import torch.nn.functional as F


class SimpleCNN(nn.Module):
    """Layers by name, pooling and ReLU as functions: no ``features`` attribute, no nn.MaxPool2d."""

    def __init__(self):
        super().__init__()
        self.conv1, self.bn1 = nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16)
        self.conv2, self.bn2 = nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32)
        self.fc1, self.fc2 = nn.Linear(32 * 7 * 7, 128), nn.Linear(128, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 2)
        x = F.max_pool2d(F.relu(self.bn2(self.conv2(x))), 2)
        return self.fc2(F.relu(self.fc1(x.flatten(1))))
'''


def test_functional_pooling_counts_as_pooling_as_f_relu_counts_as_relu():
    """F.max_pool2d in SimpleCNN.forward was refused as "does not use a pooling layer", F.relu accepted."""
    names = {"__name__": "__main__"}
    exec(FUNCTIONAL_CNN, names)
    check = checks_for("07_cnn_gpu")
    check("SimpleCNN", names["SimpleCNN"])
    check("SimpleCNN", names["SimpleCNN"], hidden=True)
