"""Every graded function of every assignment, by assignment name."""

from __future__ import annotations

import importlib
import pkgutil
import re

from autograder.checks import Exercise


def lesson_modules(package: str, path) -> dict[str, str]:
    """Assignment name (its folder in source/) -> the module of ``package`` (at ``path``) for that lesson: every
    module named ``a`` + the assignment (a01_neuron for source/01_neuron/). A lesson is added by adding its
    module; there is no list to edit (tests/test_lessons.py: one module per lesson of source/)."""
    return {
        info.name[1:]: f"{package}.{info.name}"
        for info in sorted(pkgutil.iter_modules(path), key=lambda info: info.name)
        if re.fullmatch(r"a\d\d_\w+", info.name)
    }


MODULES = lesson_modules(__name__, __path__)  # each holds its lesson's EXERCISES


def exercises_for(assignment: str) -> dict[str, Exercise]:
    if assignment not in MODULES:
        raise KeyError(f"unknown assignment {assignment!r}; known: {', '.join(MODULES)}")
    exercises = importlib.import_module(MODULES[assignment]).EXERCISES
    return {exercise.name: exercise for exercise in exercises}


def needs_torch(assignment: str) -> bool:
    """True for a PyTorch lesson; the numpy lessons' sandboxes have no torch (the judge's reference)."""
    return any(
        (e.architecture is not None or e.predicts_in_kernel) if e.trains else e.harness is not None
        for e in exercises_for(assignment).values()
    )


def judge_builds_optimizers(assignment: str) -> bool:
    """Whether judging ``assignment`` builds a torch.optim optimizer (whose first constructor imports
    torch._dynamo, about 1.5 s): the PyTorch lessons, and a lesson whose references use one
    (``REFERENCE_OPTIMIZERS`` in its module: 05's sgd_step is compared with torch.optim.SGD)."""
    module = importlib.import_module(MODULES[assignment])
    return needs_torch(assignment) or bool(getattr(module, "REFERENCE_OPTIMIZERS", False))
