"""Both sides of every grade: correct work earns the points, each mistake loses exactly its own."""
from __future__ import annotations

import pytest

from autograder.notebooks import grade_cells
from tests.conftest import ASSIGNMENTS, MISTAKES
from tests.mistakes import mistakes_for
from tests.solutions import SOLUTIONS_BY_ASSIGNMENT

SOLUTIONS = [(a, style) for a, styles in SOLUTIONS_BY_ASSIGNMENT.items() for style in styles]


def points(assignment):
    return {cell.grade_id: cell.points for cell in grade_cells(assignment)}


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_source_notebook_earns_full_marks(graded, assignment):
    report = graded(assignment, "source")
    assert report.error is None
    assert [t["grade_id"] for t in report.tests] == list(points(assignment))
    assert all(t["status"] == "passed" for t in report.tests), report.table(detail=True)
    assert report.score == report.max_score == sum(points(assignment).values()) > 0


@pytest.mark.parametrize("assignment,style", SOLUTIONS, ids=[f"{a}:{s}" for a, s in SOLUTIONS])
def test_independently_written_solutions_earn_full_marks(graded, assignment, style):
    """tests/solutions/: correct answers in other styles than the reference also earn every point."""
    report = graded(assignment, f"solution:{style}")
    assert report.score == report.max_score == sum(points(assignment).values()), report.table(detail=True)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_untouched_release_earns_zero_without_crashing(graded, assignment):
    report = graded(assignment, "release")
    assert report.error is None, report.error
    assert report.score == 0 and report.max_score == sum(points(assignment).values())
    assert not [note for note in report.notes if "locked cell" in note], report.notes
    for test in report.tests:
        assert test["status"] == "error", report.table()
        assert "not implemented yet" in test["output"], test["output"]


@pytest.mark.parametrize("assignment,mistake", MISTAKES, ids=[f"{a}:{m}" for a, m in MISTAKES])
def test_mistake_loses_exactly_its_points(graded, assignment, mistake):
    spec = mistakes_for(assignment)[mistake]
    expected_lost = {f"test_{g}" for g in spec.lost} | {f"test_{g}" for g in spec.partial}
    kept = {f"test_{g}": share for g, share in spec.partial.items()}
    report = graded(assignment, f"mistake:{mistake}")
    lost = {t["grade_id"] for t in report.tests if t["score"] < t["max_score"]}
    assert lost == expected_lost, report.table(detail=True)
    assert report.score == pytest.approx(sum(p * kept.get(g, 0.0) if g in expected_lost else p
                                             for g, p in points(assignment).items())), report.table(detail=True)
    for test in report.tests:
        if test["grade_id"] in expected_lost:
            assert test["score"] == pytest.approx(test["max_score"] * kept.get(test["grade_id"], 0.0))
            assert test["status"] in ("failed", "error", "timeout")
            assert test["function"] in test["output"], "the message must name the function"
        else:
            assert test["status"] == "passed" and test["score"] == test["max_score"]


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_graded_function_has_two_realistic_mistakes(assignment):
    per_cell = {cell.function: 0 for cell in grade_cells(assignment)}
    for mistake in mistakes_for(assignment).values():
        per_cell[mistake.grade_id] += 1
        assert set(mistake.partial).isdisjoint(mistake.lost), "a grade cell is lost either wholly or partly"
    assert all(count >= 2 for count in per_cell.values()), per_cell
