"""The notebooks' ``check`` on the instructor's machine (``make lab``, nbgrader's own autograde).

Public checks run exactly as in the student kit (kernel/public_checks.py),
on public cases built from the exercises through the kit's own encoding
(kernel/public_cases.py). The hidden test cells of a source notebook, which
nbgrader strips from the release, check the hidden cases here with the same
verdicts. In a sandbox the same import name is kernel/notebook.py, which
checks nothing: the judge does.
"""

from __future__ import annotations

from functools import lru_cache

from autograder.judge.exercises import exercises_for
from autograder.public_cases import from_exercise
from autograder.public_checks import CheckFailed, run_check, train

__all__ = ["CheckFailed", "checks_for"]


def checks_for(assignment: str):
    """The ``check`` function for one assignment's notebook."""
    exercises = exercises_for(assignment)
    public = lru_cache(maxsize=None)(lambda name: from_exercise(exercises[name]))

    lesson = _Lesson(exercises, public)

    def check(name: str, fn, hidden: bool = False) -> None:
        # A hidden training check scores as the judge does: on the test images changed by the course's secret.
        images = held_out() if hidden and exercises[name].trains else None
        run_check(exercises[name] if hidden else public(name), fn, hidden, lesson, images)

    check.train = train
    return check


@lru_cache(maxsize=1)
def held_out():
    from autograder.host import heldout

    return heldout.test_images(heldout.course_secret())


class _Lesson(dict):
    """The lesson's public exercises by name, each built when first asked for."""

    def __init__(self, exercises, public):
        super().__init__({name: None for name in exercises})
        self.public = public

    def __getitem__(self, name):
        return self.public(name)

    def items(self):
        return [(name, self.public(name)) for name in self]
