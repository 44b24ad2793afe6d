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
    assert target.mode == key[1]
    if target.baseline is None:  # full mode trains on the whole training split, quick mode on part of it
        assert (target.train_size is None) == (key[1] == "full")
    else:  # a task with a few labels (lesson 08): both modes train on them, to beat training from scratch
        assert target.train_size and target.baseline < target.accuracy


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
        cells = [cell.strip() for cell in row.strip().strip("|").split("|")]
        full, partial, budget = cells[3], cells[4], cells[5]
        assert float(re.match(r"\d\.\d+", full).group()) == target.accuracy, row
        tiers = [(float(floor), int(share) / 100) for share, floor in re.findall(r"(\d+)% from (\d\.\d+)", partial)]
        assert tiers == [(floor, share) for floor, share in target.tiers], row
        assert budget.startswith(f"{target.budget_s:g} s"), row


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


def _fixed_accuracy(share_right: float):
    """A Training's ``predict`` that gets ``share_right`` of any split right: the first images wrong."""

    def predict(value, images):
        validation = data.validation_split()
        same = images.shape == validation.images.shape and np.array_equal(images[:8], validation.images[:8])
        labels = (validation if same else data.load_fashion_mnist("test")).labels.copy()
        wrong = int(round(len(labels) * (1 - share_right)))
        labels[:wrong] = (labels[:wrong] + 1) % 10
        return labels

    return predict


def test_a_partial_tier_prints_in_the_notebook_and_fails_only_the_hidden_check(capsys, monkeypatch):
    """Run All goes on past a partial tier (to the learning curves); nbgrader's autograde, which scores a cell
    by whether it raises, still gives it 0 through the hidden check, as it did (tests/test_nbgrader_agreement.py)."""
    from dataclasses import replace

    from autograder.public_checks import TRAINED_SECONDS, CheckFailed, run_check

    monkeypatch.delenv("WORKBOOK_QUICK", raising=False)
    training = replace(exercises_for("05_backprop")["train_mlp"], predict=_fixed_accuracy(0.75))
    monkeypatch.setitem(TRAINED_SECONDS, "train_mlp", 12.0)
    run_check(training, "a trained network")
    out = capsys.readouterr().out
    assert "25% of the points" in out and "The training cell took 12.0 s of its 60 s budget (full mode)." in out
    with pytest.raises(CheckFailed, match="25% of the points"):
        run_check(training, "a trained network", hidden=True)


@pytest.mark.parametrize(
    "seconds,says,passes",
    [
        (20.0, "took 20.0 s of its 60 s budget (full mode).", True),
        (55.0, "Warning: that is over 80% of the budget", True),
        (295.0, "Over the budget: the grader stops this cell at 60 s", False),
    ],
)
def test_the_training_check_times_the_cell_against_its_budget(capsys, monkeypatch, seconds, says, passes):
    """A train_mlp whose defaults took 295 s got full points in the notebook, then 0 from the grader."""
    from dataclasses import replace

    from autograder.public_checks import TRAINED_SECONDS, CheckFailed, run_check

    monkeypatch.delenv("WORKBOOK_QUICK", raising=False)
    training = replace(exercises_for("05_backprop")["train_mlp"], predict=_fixed_accuracy(0.9))
    monkeypatch.setitem(TRAINED_SECONDS, "train_mlp", seconds)
    if passes:
        run_check(training, "a trained network")
        out = capsys.readouterr().out
        assert "full points" in out and says in out
    else:
        with pytest.raises(CheckFailed, match="0 points") as failed:
            run_check(training, "a trained network")
        assert says in str(failed.value) and "full points" not in str(failed.value)


def test_the_grade_line_names_the_students_own_defaults(capsys, monkeypatch):
    """Not the template's signature: a student who changed epochs sees the epochs they train with."""
    import sys
    from dataclasses import replace

    from autograder.public_checks import run_check

    def train_mlp(X, y, hidden_sizes=(256,), epochs=3, lr=0.2, batch_size=128, seed=0, history=None):
        return None

    monkeypatch.setattr(sys.modules["__main__"], "train_mlp", train_mlp, raising=False)
    training = replace(exercises_for("05_backprop")["train_mlp"], predict=_fixed_accuracy(0.9))
    run_check(training, "a trained network")
    assert "train_mlp(X, y, hidden_sizes=(256,), epochs=3, lr=0.2, batch_size=128" in capsys.readouterr().out


def test_workbook_check_counts_a_printed_partial_tier_as_failed(tmp_path, monkeypatch):
    """A partial tier no longer raises in the notebook: workbook-check reads its mark, not a silent cell."""
    import copy

    import nbformat

    from autograder.host.repair import grade_id
    from autograder.student import check as workbook
    from tests import samples

    notebook = samples.student_notebook("05_backprop")
    path = tmp_path / "05_backprop.ipynb"
    nbformat.write(notebook, path)
    fresh = copy.deepcopy(notebook)
    cell = next(c for c in fresh.cells if grade_id(c) == "test_train_mlp")
    printed = "\u25d1 train_mlp(X, y): validation accuracy 0.8100, target 0.85 (full mode): 50% of the points.\n"
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="train_mlp: 100%\n" + printed)]
    monkeypatch.setattr(workbook, "run_fresh", lambda *args, **kwargs: (fresh, {}))
    findings = workbook.examine(path, log=lambda *args, **kwargs: None)
    verdict = next(v for v in findings.verdicts if v.grade_id == "test_train_mlp")
    assert verdict.status == "failed" and verdict.text.startswith("train_mlp(X, y): validation accuracy 0.8100")
    assert "\u2718 test_train_mlp: train_mlp(X, y)" in workbook.report(path, findings)
