"""The public checks that the visible test cells run in a student's notebook.

They give the grader's own messages: the verdicts are checks.verdict and
training.training_verdict, the same functions the judge runs, on the public
cases of kernel/public_cases.py. They run in the student's kernel and
decide nothing: the grade comes from the judge, in a process of its own.

In the student kit the public cases come from the files the kit was built
with (``autograder/public/<assignment>.npz``); on the instructor's machine
``autograder/notebook.py`` builds the same records from the exercises.
"""

from __future__ import annotations

import sys
from pathlib import Path

from autograder import data, probe, public_cases
from autograder.checks import verdict
from autograder.training import training_verdict

PUBLIC_DIR = Path(__file__).resolve().parent / "public"  # the kit's public cases


class CheckFailed(AssertionError):
    """Raised by a failing check; nbgrader's autograde scores the cell 0."""


def run_check(exercise, fn, hidden: bool = False) -> None:
    """Check ``fn`` (or a trained network) on the exercise's public cases (its hidden ones with ``hidden``)."""
    if exercise.trains:
        return _check_training(exercise, fn, hidden)
    chosen = exercise.hidden() if hidden else exercise.public()
    indices = [index for index, _ in chosen]
    namespace = getattr(fn, "__globals__", {})
    outcomes = []
    for index in indices:
        args, kwargs_list = exercise.calls(index)
        outcome = probe.call_case(
            probe.harnessed(fn, exercise.harness), args, kwargs_list, namespace, exercise.spies, exercise.timeout
        )
        outcomes.append(probe.roundtrip(outcome))
    result = verdict(exercise, indices, outcomes)
    if not result.passed:
        raise CheckFailed("\n" + result.message)
    kind = "hidden" if hidden else "public"
    count = f"all {len(indices)} {kind} checks" if len(indices) > 1 else f"the {kind} check"
    print(f"\u2714 {exercise.signature}: {count} passed.")


def _check_training(training, value, hidden: bool) -> None:
    """Public: accuracy on the validation set the notebook holds. Hidden (nbgrader's
    autograde on the instructor's machine only): accuracy on the test split."""
    split = "test" if hidden else "validation"
    if training.predicts_in_kernel:  # a torch model: predict here, as the grader's caller does
        images = data.load_images("test") if hidden else data.validation_split().images
        normalize = vars(sys.modules["__main__"]).get(training.normalize or "")
        try:
            value = probe.model_predictions(value, images, normalize if callable(normalize) else None)
        except Exception as error:
            raise CheckFailed(
                f"\n{training.signature}: {training.variable} could not make predictions "
                f"({type(error).__name__}: {error})"
            ) from None
    outcome = probe.roundtrip({"status": "ok", "value": value})
    result = training_verdict(training, outcome, split)
    if not result.passed:
        raise CheckFailed("\n" + result.message)
    print(f"\u2714 {result.message}")


def checks_for(assignment: str):
    """The ``check`` for one assignment's notebook, from the kit's public cases."""
    path = PUBLIC_DIR / f"{assignment}.npz"
    if not path.is_file():
        raise FileNotFoundError(
            f"no public checks for {assignment!r} in this installation ({path} is missing): "
            "is the notebook from the same course as the installed student kit?"
        )
    exercises = public_cases.load(path)

    def check(name: str, fn, hidden: bool = False) -> None:
        if hidden:  # a release has no hidden test cells; nbgrader keeps them for the instructor
            print(f"{name}: the hidden cases are the grader's; they are not in the student kit.")
            return
        run_check(exercises[name], fn)

    return check
