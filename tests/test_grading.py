"""Both sides of every grade: correct work earns the points, each mistake loses exactly its own."""

from __future__ import annotations

import re

import pytest

from autograder.host.grader import grade
from autograder.host.repair import grade_cells, grade_id
from tests import samples
from tests.samples import ASSIGNMENTS, MISTAKES
from tests.mistakes import group_of, groups, mistakes_for
from tests.solutions import SOLUTIONS_BY_ASSIGNMENT

SOLUTIONS = [(a, style) for a, styles in SOLUTIONS_BY_ASSIGNMENT.items() for style in styles]


def points(assignment):
    return {cell.grade_id: cell.points for cell in grade_cells(assignment)}


@pytest.mark.sandbox
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_source_notebook_earns_full_marks(graded, assignment):
    report = graded(assignment, "source")
    assert report.error is None
    assert [t["grade_id"] for t in report.tests] == list(points(assignment))
    assert all(t["status"] == "passed" for t in report.tests), report.table(detail=True)
    assert report.score == report.max_score == sum(points(assignment).values()) > 0


@pytest.mark.sandbox
@pytest.mark.parametrize("assignment,style", SOLUTIONS, ids=[f"{a}:{s}" for a, s in SOLUTIONS])
def test_independently_written_solutions_earn_full_marks(graded, assignment, style):
    """tests/solutions/: correct answers in other styles than the reference also earn every point."""
    report = graded(assignment, f"solution:{style}")
    assert report.score == report.max_score == sum(points(assignment).values()), report.table(detail=True)


@pytest.mark.sandbox
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_untouched_release_earns_zero_without_crashing(graded, assignment):
    report = graded(assignment, "release")
    assert report.error is None, report.error
    assert report.score == 0 and report.max_score == sum(points(assignment).values())
    assert not [note for note in report.notes if "locked cell" in note], report.notes
    for test in report.tests:
        assert test["status"] == "error", report.table()
        assert "not implemented yet" in test["output"], test["output"]


def blamed(output: str) -> list[str]:
    """The earlier functions a message says fail their own checks ("your `sigmoid` fails its own check; fix
    it first", or "your `a` and `b` fail their own checks; fix them first")."""
    found = re.search(r"your ((?:`\w+`(?:, | and )?)+) fails? (?:its|their) own checks?; fix (?:it|them) first", output)
    return re.findall(r"`(\w+)`", found.group(1)) if found else []


def expected_scores(assignment: str, together) -> dict[str, float]:
    """grade_id -> the points a notebook holding the mistakes ``together`` must earn (tests.mistakes.groups
    puts no two mistakes that touch one grade cell together)."""
    expected = points(assignment)
    for mistake in together:
        for function in mistake.touches:
            expected[f"test_{function}"] *= mistake.partial.get(function, 0.0)
    return expected


@pytest.mark.sandbox
@pytest.mark.parametrize("assignment,mistake", MISTAKES, ids=[f"{a}:{m}" for a, m in MISTAKES])
def test_mistake_loses_exactly_its_points(graded, assignment, mistake):
    """Graded in one notebook with the other mistakes of its group (tests.mistakes.groups), each in a
    function independent of this one's: its own grade cells lose exactly what it costs, and every grade
    cell no mistake of the group touches keeps its points."""
    catalogue = mistakes_for(assignment)
    index = group_of(assignment, mistake)
    together = [catalogue[name] for name in groups(assignment)[index]]
    report = graded(assignment, f"group:{index}")
    where = f"{mistake}, graded with {', '.join(groups(assignment)[index])}\n{report.table(detail=True)}"
    expected = expected_scores(assignment, together)
    own = {f"test_{function}" for function in catalogue[mistake].touches}
    touched = {f"test_{function}" for m in together for function in m.touches}
    assert [t["grade_id"] for t in report.tests] == list(expected), where
    spec = catalogue[mistake]
    for test in report.tests:
        if test["grade_id"] in own:
            assert test["score"] == pytest.approx(expected[test["grade_id"]]), where
            assert test["status"] in ("failed", "error", "timeout"), where
            assert test["function"] in test["output"], "the message must name the function"
            if test["function"] != spec.grade_id and spec.grade_id in spec.lost:
                # A cascade: the message blames the function at fault, which fails its own check (with any
                # other failing one of the group that this one is built on too),
                assert spec.grade_id in blamed(test["output"]), where
                assert "Hint:" not in test["output"], where  # and gives no hint about work that may be right
            for words in spec.says.get(test["function"], ()):
                assert words in test["output"], where
            for words in spec.never_says.get(test["function"], ()):
                assert words not in test["output"], where
        elif test["grade_id"] not in touched:
            assert test["status"] == "passed" and test["score"] == test["max_score"], where
    assert report.score == pytest.approx(sum(expected.values())), where


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_graded_function_has_two_realistic_mistakes(assignment):
    per_cell = {cell.function: 0 for cell in grade_cells(assignment)}
    for mistake in mistakes_for(assignment).values():
        per_cell[mistake.grade_id] += 1
        assert set(mistake.partial).isdisjoint(mistake.lost), "a grade cell is lost either wholly or partly"
        assert {*mistake.says, *mistake.never_says} <= mistake.touches, "messages are pinned where points are lost"
    assert all(count >= 2 for count in per_cell.values()), per_cell


@pytest.mark.sandbox
def test_a_partial_grading_judges_only_the_named_functions_and_trains_nothing(tmp_path):
    """grade(only=...): what `grade --only` and `grade-all --only` run. The training cell of a function
    left out, and the lesson cells after it that plot its network, do not run."""
    assignment = "05_backprop"
    notebook = samples.with_mistakes(assignment, "relu_backward_ge_zero")
    report = grade(
        samples.write(notebook, tmp_path, assignment), assignment, quick=True, only=["relu_backward", "sgd_step"]
    )
    assert [(t["grade_id"], t["score"]) for t in report.tests] == [("test_relu_backward", 0.0), ("test_sgd_step", 1.0)]
    assert report.not_graded == [
        "numerical_gradient",
        "dense_backward",
        "cross_entropy_backward",
        "mlp_loss_and_grads",
        "train_mlp",
    ]
    assert "not graded this time: numerical_gradient" in report.table() and report.max_score == 2
    cells = report.notebook.cells
    trains = next(i for i, c in enumerate(cells) if grade_id(c) == "test_train_mlp")
    assert not cells[trains].outputs and all(not c.get("outputs") for c in cells[trains:] if c.cell_type == "code")
    assert any(c.get("outputs") for c in cells[:trains] if c.cell_type == "code")
    assert not [note for note in report.notes if "cell" in note], report.notes
    with pytest.raises(ValueError, match="has no graded function train"):
        grade(samples.write(notebook, tmp_path, assignment), assignment, only=["train"])
