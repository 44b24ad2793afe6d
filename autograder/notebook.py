"""The public checks that the visible test cells run in a student's notebook.

They use the grader's own exercises and verdicts, so a student sees here the
message the grader's report will give. They run in the student's kernel and
decide nothing: the grade comes from the judge, in a process of its own.
"""

from __future__ import annotations

import sys

from autograder import data, probe
from autograder.checks import verdict
from autograder.judge.exercises import exercises_for
from autograder.training import Training, training_verdict


class CheckFailed(AssertionError):
    """Raised by a failing check; nbgrader's autograde scores the cell 0."""


def checks_for(assignment: str):
    """The ``check`` function for one assignment's notebook."""
    exercises = exercises_for(assignment)

    def check(name: str, fn, hidden: bool = False) -> None:
        exercise = exercises[name]
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
        print(f"\u2714 {exercise.signature}: all {len(indices)} {kind} checks passed.")

    return check


def _check_training(training: Training, value, hidden: bool) -> None:
    """Public: accuracy on the validation set the notebook holds. Hidden (nbgrader's
    autograde on the instructor's machine only): accuracy on the test split."""
    split = "test" if hidden else "validation"
    if training.predicts_in_kernel:  # a torch model: predict here, as the probe does under the grader
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
