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

import inspect
import sys
import time
from pathlib import Path

from autograder import data, probe, public_cases
from autograder.checks import blame_roots, verdict
from autograder.i18n import _
from autograder.targets import grading_device
from autograder.training import training_verdict

PUBLIC_DIR = Path(__file__).resolve().parent / "public"  # the kit's public cases


class CheckFailed(AssertionError):
    """Raised by a failing check; nbgrader's autograde scores the cell 0."""


def _outcomes(exercise, fn, indices) -> list:
    namespace = getattr(fn, "__globals__", {})
    outcomes = []
    for index in indices:
        args, kwargs_list = exercise.calls(index)
        outcome = probe.call_case(
            probe.harnessed(fn, exercise.harness), args, kwargs_list, namespace, exercise.spies, exercise.timeout
        )
        outcomes.append(probe.roundtrip(outcome))
    return outcomes


def _blame(name: str, namespace, lesson) -> list[str]:
    """The student's earlier functions that ``name`` is built on and that fail their own public checks
    (checks.blame_roots), as the grader blames them on every case."""
    if not lesson:
        return []
    builds_on = {other: tuple(getattr(e, "builds_on", ())) for other, e in lesson.items()}
    verdicts = {}

    def fails(helper: str) -> bool:
        if helper not in verdicts:
            fn = namespace.get(helper)
            if not callable(fn) or helper not in lesson:
                verdicts[helper] = helper in lesson
            else:
                indices = [index for index, _case in lesson[helper].public()]
                verdicts[helper] = not verdict(lesson[helper], indices, _outcomes(lesson[helper], fn, indices)).passed
        return verdicts[helper]

    return blame_roots(name, builds_on, fails)


def run_check(exercise, fn, hidden: bool = False, lesson=None, images=None) -> None:
    """Check ``fn`` (or a trained network) on the exercise's public cases (its hidden ones with ``hidden``).

    ``lesson``: the lesson's public exercises by name, to name an earlier function of the student's that
    this one is built on and that fails its own check. ``images``: for a hidden training check, the test
    images it scores on (the instructor's machine gives the ones changed by the course's secret)."""
    if exercise.trains:
        return _check_training(exercise, fn, hidden, lesson, images)
    chosen = exercise.hidden() if hidden else exercise.public()
    indices = [index for index, _ in chosen]
    outcomes = _outcomes(exercise, fn, indices)
    result = verdict(exercise, indices, outcomes)
    if not result.passed:
        blame = _blame(exercise.name, getattr(fn, "__globals__", {}), lesson)
        if blame:
            result = verdict(exercise, indices, outcomes, blame)
        raise CheckFailed("\n" + result.message)
    if len(indices) > 1:
        text = (
            _("{signature}: all {count} hidden checks passed.")
            if hidden
            else _("{signature}: all {count} public checks passed.")
        )
    else:
        text = _("{signature}: the hidden check passed.") if hidden else _("{signature}: the public check passed.")
    print("\u2714 " + text.format(signature=exercise.signature, count=len(indices)))


# How long the last ``train`` of each training exercise took, for its check to set against the budget.
TRAINED_SECONDS: dict[str, float] = {}


def train(name: str, fn, *args, **kwargs):
    """``fn(*args, **kwargs)``, the locked training cell's training, timed for the check that follows.

    An exercise not written yet gets the same message as every other test cell."""
    started = time.perf_counter()
    try:
        return fn(*args, **kwargs)
    except NotImplementedError:
        raise CheckFailed(
            "\n"
            + _("{signature} is not implemented yet: replace `raise NotImplementedError()` with your code.").format(
                signature=name
            )
        ) from None
    finally:
        TRAINED_SECONDS[name] = time.perf_counter() - started


def _defaults(name: str) -> str | None:
    """The student's train function's own signature, as the message names it (not the template's)."""
    fn = vars(sys.modules["__main__"]).get(name)
    try:
        return str(inspect.signature(fn)) if callable(fn) else None
    except (TypeError, ValueError):
        return None


def _check_training(training, value, hidden: bool, lesson=None, images=None) -> None:
    """Public: accuracy on the validation set the notebook holds. Hidden (nbgrader's
    autograde on the instructor's machine only): accuracy on the test split (``images``), scored as the
    judge scores the grader's own training, the network's weights in the lesson's own network.

    A partial tier on the validation set prints its message without raising, so Run All goes on to the
    learning curves. The hidden check raises for anything less than full points, so nbgrader (which
    scores a cell by whether it raises) gives a partial tier 0, as it always has: it has no partial
    points for a cell, and the grader's tier is the grade (docs/grading.md)."""
    split = "test" if hidden else "validation"
    if hidden and training.architecture is not None:  # the judge's Training: its weights, in the lesson's network
        value = probe.model_weights(value)
    elif training.predicts_in_kernel:  # a torch model: predict here with it (the grader scores its own training)
        held_out = data.load_fashion_mnist("test") if hidden else data.validation_split()
        scored = training.task(held_out.images, held_out.labels)[0]
        normalize = vars(sys.modules["__main__"]).get(training.normalize or "")
        try:
            value = probe.model_predictions(value, scored, normalize if callable(normalize) else None)
        except Exception as error:
            raise CheckFailed(
                "\n"
                + _("{signature}: {variable} could not make predictions ({error_type}: {error})").format(
                    signature=training.signature,
                    variable=training.variable,
                    error_type=type(error).__name__,
                    error=error,
                )
            ) from None
    outcome = probe.roundtrip({"status": "ok", "value": value})
    target = training.target()
    device = grading_device() if target.gpu_budget_s is not None else "cpu"
    seconds = TRAINED_SECONDS.get(training.name)
    defaults = _defaults(training.name)
    result = training_verdict(
        training, outcome, split, seconds=seconds, device=device, defaults=defaults, images=images
    )
    if not result.passed:
        blame = _blame(training.name, vars(sys.modules["__main__"]), lesson)
        if blame:
            result = training_verdict(
                training, outcome, split, seconds=seconds, blame=blame, device=device, defaults=defaults, images=images
            )
    message = result.message
    if not hidden:
        message += "\n    " + _(
            "The grader does not score this network: it calls {name} itself, with the lesson's data and time "
            "budget, and scores the network that call trains, on the test split."
        ).format(name=training.name)
    if result.passed:
        print(f"\u2714 {message}")
    elif not hidden and result.fraction:  # workbook-check reads this mark (student/check.py's PARTIAL)
        print(f"\u25d1 {message}")
    else:
        raise CheckFailed("\n" + message)


def checks_for(assignment: str):
    """The ``check`` for one assignment's notebook, from the kit's public cases."""
    path = PUBLIC_DIR / f"{assignment}.npz"
    if not path.is_file():
        raise FileNotFoundError(
            _(
                "no public checks for {assignment} in this installation ({path} is missing): "
                "is the notebook from the same course as the installed student kit?"
            ).format(assignment=repr(assignment), path=path)
        )
    exercises = public_cases.load(path)

    def check(name: str, fn, hidden: bool = False) -> None:
        if hidden:  # a release has no hidden test cells; nbgrader keeps them for the instructor
            print(_("{name}: the hidden cases are the grader's; they are not in the student kit.").format(name=name))
            return
        run_check(exercises[name], fn, lesson=exercises)

    check.train = train
    return check
