"""Every lesson of source/ has what grades it, and nothing names a lesson that is not there.

The lists of lessons are derived, never kept by hand: the assignments are the
folders of source/ (autograder.host.repair.assignments), the judge's
exercises and the test suite's catalogue of mistakes are the modules named
``a`` + the assignment in their packages. A lesson added to source/ without
them, or a module left behind by a removed lesson, fails here.
"""

from __future__ import annotations

from autograder.host.repair import assignments
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
