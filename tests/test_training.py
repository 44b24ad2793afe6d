"""Training exercises: tiered points from held-out accuracy, targets in one place, clear failures."""

from __future__ import annotations

import re

import numpy as np
import pytest

from autograder import data
from autograder.data import REPO_ROOT
from autograder.judge.exercises import MODULES, exercises_for
from autograder.targets import TARGETS, Target, target_for
from autograder.training import NotAModel, Training, training_verdict

TRAININGS = [
    e
    for a in MODULES
    if (REPO_ROOT / "source" / a).is_dir()
    for e in exercises_for(a).values()
    if isinstance(e, Training)
]


def test_points_are_tiered_below_the_target():
    target = Target(0.85, ((0.80, 0.5), (0.70, 0.25)), budget_s=60)
    assert [target.fraction(a) for a in (0.9, 0.85, 0.849, 0.80, 0.75, 0.70, 0.69, 0.0)] == [
        1.0,
        1.0,
        0.5,
        0.5,
        0.25,
        0.25,
        0.0,
        0.0,
    ]


@pytest.mark.parametrize("key", sorted(TARGETS))
def test_every_target_is_well_formed(key):
    target = TARGETS[key]
    floors = [floor for floor, _ in target.tiers]
    assert floors == sorted(floors, reverse=True) and all(f < target.accuracy for f in floors)
    assert target.mode == key[1] and (target.train_size is None) == (key[1] == "full")


def test_each_training_exercise_has_a_full_and_a_quick_target_and_quick_is_not_harder():
    assert TRAININGS, "no training exercise found"
    for training in TRAININGS:
        full, quick = target_for(training.assignment, False), target_for(training.assignment, True)
        assert quick.accuracy <= full.accuracy and quick.train_size


def test_the_docs_state_the_targets_that_autograder_targets_holds():
    readme = (REPO_ROOT / "docs" / "grading.md").read_text()
    for (assignment, mode), target in TARGETS.items():
        row = next((line for line in readme.splitlines() if assignment in line and f"| {mode}" in line), None)
        assert row, f"docs/grading.md has no targets row for {assignment} ({mode})"
        assert f"{target.accuracy:.2f}" in row and f"{target.budget_s:g} s" in row, row
        for floor, share in target.tiers:
            assert re.search(rf"{share:.0%}.*{floor:.2f}", row), (row, floor, share)


def _perfect_then_wrong(right: float) -> Training:
    """A 'network' that is right on the first ``right`` share of the test set."""
    labels = data.load_labels("test")

    def predict(value, images):
        if value != "model":
            raise NotAModel("it is not the string 'model'")
        wrong = (labels + 1) % 10
        cut = int(right * len(labels))
        return np.concatenate([labels[:cut], wrong[cut:]])

    return Training("fit(X, y)", "05_backprop", "model", predict, hints={"accuracy": "train longer"})


def test_accuracy_at_the_target_earns_full_points_and_below_it_a_tier():
    full = target_for("05_backprop", False)
    verdict = training_verdict(_perfect_then_wrong(0.95), {"status": "ok", "value": "model"}, "test", False)
    assert verdict.passed and verdict.share == 1.0 and "0.9500" in verdict.message
    partial = training_verdict(
        _perfect_then_wrong(full.tiers[0][0] + 0.01), {"status": "ok", "value": "model"}, "test", False
    )
    assert partial.status == "failed" and partial.share == full.tiers[0][1]
    assert f"target {full.accuracy:.2f} (full mode)" in partial.message and "train longer" in partial.message


def test_a_missing_or_malformed_model_earns_nothing_and_says_why():
    training = _perfect_then_wrong(1.0)
    gone = training_verdict(
        training,
        {"status": "missing", "error": "x"},
        "test",
        True,
        cell_error="CellTimeoutError: the cell ran longer than 60 s",
    )
    assert gone.status == "timeout" and gone.share == 0 and "longer than 60 s" in gone.message
    bad = training_verdict(training, {"status": "ok", "value": [1, 2]}, "test", True)
    assert bad.status == "failed" and bad.share == 0 and "not the string 'model'" in bad.message
