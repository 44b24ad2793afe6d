"""Training exercises: graded on held-out accuracy, with tiered points.

The notebook's locked test cell trains the student's network and leaves it
in a variable. For a numpy network the probe hands that variable over as
plain data, and the judge computes the predictions itself. A PyTorch model
cannot be scored without running its code, so the grader's caller runs it
(autograder/caller.py, a process of its own) on the test images the grader
puts in the plan (``predicts_in_kernel``): the test images changed by the
course's secret (autograder/heldout.py), so that no table of the public
labels can answer for a model. Either way the judge computes the accuracy
on the test split, whose labels the student's kernel never sees, and holds
an implausible accuracy for review (``Target.implausible``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar, Mapping

import numpy as np

from autograder import data
from autograder.checks import CaseFailure, Verdict, _quote, blame_text, hint_line, quote_names, student_text
from autograder.i18n import N_, _
from autograder.targets import Target, target_for


# What the grader says of a cell it stopped (host/runner.py writes them; a training verdict recognises them).
CELL_TIMEOUT = N_("the cell ran longer than {limit:g} s")
KERNEL_TIMEOUT = N_("ran longer than {limit:g} s and did not stop when interrupted")


def ran_too_long(why: str) -> bool:
    """Whether a cell's error, in the language in force, says the grader stopped it for its time."""
    for template in (CELL_TIMEOUT, KERNEL_TIMEOUT):
        pattern = re.escape(_(template)).replace(re.escape("{limit:g}"), "[0-9.e+]+")
        if re.search(pattern, why):
            return True
    return False


TEST_IMAGES = "test-images"  # the plan's key for the images a trained PyTorch model predicts on
PREDICT_TIMEOUT = 120.0  # seconds for a trained model's predictions on the test images


class NotAModel(ValueError):
    """The trained variable does not have the structure the exercise asks for."""


@dataclass(frozen=True)
class Training:
    signature: str  # "train_mlp(X, y, ...)", as messages name it
    assignment: str  # the key of its targets in autograder.targets
    variable: str  # what the locked test cell leaves behind, e.g. "trained_params"
    # predict(value, images uint8 (N, 28, 28)) -> int class indices (N,); raises NotAModel
    predict: Callable[[Any, np.ndarray], np.ndarray]
    hints: Mapping[str, str] = field(default_factory=dict)
    cases: tuple = ()  # none: the judge evaluates, the probe only reads the variable
    predicts_in_kernel: bool = False  # a torch model: the caller predicts, and ``predict`` checks the result
    normalize: str | None = None  # the notebook function that preprocesses images for the model
    builds_on: tuple[str, ...] = ()  # earlier graded functions training uses (checks.Exercise.builds_on)
    # Scored only on the held-out images of these Fashion-MNIST classes, labelled 0, 1, ... in this order
    # (lesson 08's new task); None: all ten classes.
    classes: tuple[int, ...] | None = None

    trains: ClassVar[bool] = True  # graded on held-out accuracy, not on cases (see checks.Exercise)

    @property
    def name(self) -> str:
        return self.signature.split("(")[0]

    def task(self, images: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The held-out images this exercise is scored on, with their labels: all of them, or for a task on
        some classes (``classes``), only theirs, labelled 0, 1, ... in that order."""
        if self.classes is None:
            return images, labels
        keep, labels = data.relabel(labels, self.classes)
        return images[keep], labels

    def planned_calls(self, first_key: int, inputs: dict, call_timeout=None, test_images=None) -> list[dict]:
        """One call: read the trained variable; for a PyTorch model, predict on ``test_images`` (by default
        the public test images; the grader passes the course's changed ones), never their labels."""
        call = {"key": first_key, "id": f"{self.name}/trained", "read": self.variable, "signature_of": self.name}
        if self.predicts_in_kernel:
            images = data.load_images("test") if test_images is None else test_images
            images = self.task(images, data.load_labels("test"))[0]  # only the scored images are predicted
            inputs.setdefault(TEST_IMAGES, images)
            call.update(predict={"images": TEST_IMAGES, "normalize": self.normalize}, timeout=PREDICT_TIMEOUT)
        return [call]

    def target(self, quick: bool | None = None) -> Target:
        return target_for(self.assignment, quick)

    def accuracy(self, value, split: str) -> float:
        held_out = data.validation_split() if split == "validation" else data.load_fashion_mnist(split)
        images, labels = self.task(held_out.images, held_out.labels)
        predictions = np.asarray(self.predict(value, images))
        if predictions.shape != labels.shape:
            raise NotAModel(
                _("it gives predictions of shape {shape} for {count} images").format(
                    shape=predictions.shape, count=len(labels)
                )
            )
        return float(np.mean(predictions == labels))


def training_verdict(
    training: Training,
    outcome: Mapping,
    split: str,
    quick: bool | None = None,
    cell_error: str | None = None,
    seconds: float | None = None,
    blame=(),
    device: str = "cpu",
    defaults: str | None = None,
) -> Verdict:
    """Score the trained network left in the notebook on ``split`` ("test" in the judge).

    ``seconds``: how long the training cell ran (the grader's measure, or the notebook's clock); the
    message gives it against the cell's budget on ``device``, with a warning past ``WARN_SHARE`` of it,
    and, with the network's parameter count, it goes into the figures for the cohort's leaderboard
    (never into points). ``blame``: the earlier functions of the lesson that training is built on and
    that fail their own checks (checks.blame_roots): a message that is not full points leads with them.
    ``defaults``: the student's own train function's signature, as the message names it."""
    target = training.target(quick)
    status = outcome.get("status")
    label = f"{training.name}: the trained network on the {split} split"
    budget = target.budget(device)
    blamed = (
        _("{name}: {blame}; it trains with your own {names}.").format(
            name=training.name, blame=blame_text(blame), names=quote_names(blame)
        )
        + "\n    "
        if blame
        else ""
    )

    def failed(kind: str, hint: str = "") -> tuple[CaseFailure, ...]:
        return (CaseFailure(0, label, False, kind, blamed.strip() or hint),)

    if status != "ok":
        why = cell_error or outcome.get("error") or _("the probe did not reach it")
        if why.startswith("NotImplementedError"):
            text = _(
                "{signature} is not implemented yet: replace `raise NotImplementedError()` with your code."
            ).format(signature=training.signature)
            text = blamed + text if blame else text
            return Verdict("error", text, text, 0, 1, 0.0, failures=failed("unimplemented"))
        text = _("{signature} was not graded: {variable} was not left by the cell test_{name} ({why}).").format(
            signature=training.signature, variable=training.variable, name=training.name, why=why
        )
        text = blamed + text
        state = "timeout" if ran_too_long(why) else "error"
        return Verdict(state, text, text, 0, 1, 0.0, failures=failed("timeout" if state == "timeout" else "missing"))
    try:
        accuracy = training.accuracy(outcome.get("value"), split)
    except NotAModel as problem:
        hint = _(training.hints.get("model", ""))
        text = _("{signature}: {variable} is not a trained network the grader can evaluate: {problem}.").format(
            signature=training.signature, variable=training.variable, problem=problem
        ) + (hint_line(hint) if hint and not blame else "")
        return Verdict("failed", blamed + text, blamed + text, 0, 1, 0.0, failures=failed("model", hint))
    share = target.fraction(accuracy)
    figures = {
        "accuracy": round(float(accuracy), 6),
        "target": target.accuracy,
        "mode": target.mode,
        "split": split,
        "tiers": [list(tier) for tier in target.tiers],
    }
    if seconds is not None:
        figures["seconds"] = round(float(seconds), 2)
    parameters = parameter_count(training, outcome)
    if parameters is not None:
        figures["parameters"] = parameters
    called = f"{training.name}{_quote(defaults, 300)}" if isinstance(defaults, str) and defaults else training.name
    if split == "validation":
        head = _("{called}: validation accuracy {accuracy:.4f}, target {target:.2f} ({mode} mode)")
    else:
        head = _("{called}: held-out test accuracy {accuracy:.4f}, target {target:.2f} ({mode} mode)")
    head = head.format(called=called, accuracy=accuracy, target=target.accuracy, mode=target.mode)
    timing = "" if seconds is None else "\n    " + time_against_budget(seconds, budget, target.mode)
    if seconds is not None and seconds > budget:  # the notebook's clock: the grader would have stopped it
        text = _("{head}, but 0 points: the cell ran over its budget.").format(head=head) + timing
        return Verdict("failed", text, text, 0, 1, 0.0, figures, failed("timeout"))
    if accuracy > target.implausible:
        text = (
            _(
                "{head}: held for the instructor's review, so no points for now. No network of this exercise "
                "reaches more than {implausible:.3f} here, while a table of the public test labels "
                "would. If yours really does, show the instructor how."
            ).format(head=head, implausible=target.implausible)
            + timing
        )
        figures["flagged"] = "implausible accuracy"
        return Verdict("failed", text, text, 0, 1, 0.0, figures, failed("implausible"))
    if share == 1.0:
        text = _("{head}: full points.").format(head=head) + timing
        return Verdict("passed", text, text, 1, 1, 1.0, figures)
    tiers = _("; ").join(_("{share:.0%} from {floor:.2f}").format(share=s, floor=f) for f, s in target.tiers)
    hint = _(training.hints.get("accuracy", ""))
    text = (
        blamed
        + _("{head}: {share:.0%} of the points (tiers: {tiers}).").format(head=head, share=share, tiers=tiers)
        + timing
        + (hint_line(hint) if hint and not blame else "")
    )
    return Verdict("failed", text, text, 0, 1, share, figures, failed("accuracy", hint))


WARN_SHARE = 0.8  # of a training cell's budget: past it, the message warns


def time_against_budget(seconds: float, budget: float, mode: str) -> str:
    """The training cell's time against its budget, in words, with a warning past ``WARN_SHARE`` of it."""
    if seconds > budget:
        text = _(
            "The training cell took {seconds:.1f} s of its {budget:g} s budget ({mode} mode). Over the budget: "
            "the grader stops this cell at {budget:g} s, and then it earns 0 points. "
            "Make training faster (fewer epochs, a smaller network, larger batches)."
        )
    elif seconds > WARN_SHARE * budget:
        text = _(
            "The training cell took {seconds:.1f} s of its {budget:g} s budget ({mode} mode). Warning: that is "
            "over {share:.0%} of the budget. The grader stops the cell at {budget:g} s (0 points), and its "
            "machine may be slower than yours: make training faster."
        )
    else:
        text = _("The training cell took {seconds:.1f} s of its {budget:g} s budget ({mode} mode).")
    return text.format(seconds=seconds, budget=budget, mode=mode, share=WARN_SHARE)


def parameter_count(training: Training, outcome: Mapping) -> int | None:
    """The trained network's number of parameters: for a PyTorch model, what the grader's caller counted
    (``parameters`` in its record); for a numpy network, the sizes of the arrays it left. None if unknown."""
    counted = outcome.get("parameters")
    if training.predicts_in_kernel:
        return counted if type(counted) is int and counted >= 0 else None
    total, stack = 0, [outcome.get("value")]
    while stack:
        value = stack.pop()
        if isinstance(value, np.ndarray) and value.dtype.kind in "iuf":
            total += int(value.size)
        elif isinstance(value, (list, tuple)):
            stack.extend(value)
        elif isinstance(value, dict):
            stack.extend(value.values())
    return total or None


def predictions_from_kernel(value, images: np.ndarray) -> np.ndarray:
    """``predict`` for a model that the caller ran: the value is already its predictions."""
    if isinstance(value, str):  # the probe's word for a variable that is no model: the call's own text, bounded
        raise NotAModel(student_text(value, 300))
    if not isinstance(value, np.ndarray) or value.dtype.kind not in "iu":
        raise NotAModel(_("the probe could not compute its predictions"))
    return value
