"""Every lesson of source/ has what grades it, nothing names a lesson that is not there, and the README says
what each grades.

The lists of lessons are derived, never kept by hand: the assignments are the
folders of source/ (autograder.host.repair.assignments), the judge's
exercises and the test suite's catalogue of mistakes are the modules named
``a`` + the assignment in their packages. A lesson added to source/ without
them, or a module left behind by a removed lesson, fails here.
"""

from __future__ import annotations

import re

import pytest

from autograder.data import REPO_ROOT
from autograder.host.repair import assignments, grade_cells
from autograder.judge import exercises
from tests import mistakes


def test_each_lesson_of_source_has_its_exercises_and_nothing_else_has():
    assert list(exercises.MODULES) == assignments()
    for assignment in assignments():
        assert exercises.exercises_for(assignment), assignment


def test_each_lesson_of_source_has_its_catalogue_of_mistakes_and_nothing_else_has():
    assert list(mistakes.MODULES) == assignments()
    for assignment in assignments():
        assert mistakes.mistakes_for(assignment), assignment


@pytest.mark.parametrize("readme", ["README.md", "README.ja.md"])
def test_the_readme_table_lists_each_lessons_graded_functions_and_points(readme):
    """The README's table of lessons (in both languages) says what the source notebooks grade: every lesson,
    its graded functions in the notebook's order, and its points. A lesson's new function cannot leave it stale."""
    rows = {}
    for line in (REPO_ROOT / readme).read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 3 and re.fullmatch(r"`\d\d_\w+`", cells[0]):
            rows[cells[0].strip("`")] = (re.findall(r"`(\w+)`", cells[1]), cells[2])
    assert list(rows) == assignments()
    for assignment, (functions, points) in rows.items():
        cells = grade_cells(assignment)
        assert functions == [cell.function for cell in cells], assignment
        assert points == f"{sum(cell.points for cell in cells):g}", assignment
