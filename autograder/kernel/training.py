"""Training exercises: graded on held-out accuracy, with tiered points.

The grader trains: it calls the student's training function itself, in a
process of the caller's sandbox (autograder/kernel/caller.py), with the
lesson's training data and arguments (``inputs``: the plan carries them,
and nothing else of the data set is mounted there), under the lesson's
time budget, through a probe harness (``harness``) that hands back only
weights: a numpy network's (W, b) pairs, a PyTorch model's state_dict. The
judge loads them into the lesson's own architecture (``architecture``,
``preprocess``: the references, never the student's code) and computes
the accuracy on the test images changed by the course's secret
(autograder/host/heldout.py), whose labels the student's code never sees;
an accuracy above what the exercise's networks reach is held for review
(``Target.implausible``). The notebook's own training cell trains for the
student only (under the grader it does not train at all), and its public
check reports the validation accuracy of that network (``predict``).
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


# What a training function may carry with it (its code, and the globals it uses, as the kernel exports it):
# a real solution needs a few KB; weights trained elsewhere or a lookup table need far more.
TRAINING_EXPORT_BYTES = 64 << 10


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
    predicts_in_kernel: bool = False  # a torch model: the public check predicts with it in the kernel
    normalize: str | None = None  # the notebook function that preprocesses images for the model
    builds_on: tuple[str, ...] = ()  # earlier graded functions training uses (checks.Exercise.builds_on)
    # Scored only on the held-out images of these Fashion-MNIST classes, labelled 0, 1, ... in this order
    # (lesson 08's new task); None: all ten classes.
    classes: tuple[int, ...] | None = None
    # The grader's training call (the judge's side only; public checks never see these):
    harness: str | None = None  # the probe harness that calls the function on the plan's data (probe.HARNESSES)
    inputs: Callable[[Target], tuple[list, dict]] | None = None  # (args, kwargs) the lesson trains with
    # A PyTorch lesson's network and preprocessing, the references: the returned weights are loaded into
    # ``architecture()`` and scored on ``preprocess(uint8 images (N, 1, 28, 28))``; None: a numpy network,
    # scored by ``predict``.
    architecture: Callable[[], Any] | None = None
    preprocess: Callable[[Any], Any] | None = None
    # Which of the weights are the student's (state_dict name prefixes); the rest stay the architecture's
    # own (lesson 08: the pretrained backbone, with the student's trained head). None: all of them.
    trained: tuple[str, ...] | None = None

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

    def planned_calls(self, first_key: int, inputs: dict, call_timeout=None, quick=False, device="cpu") -> list[dict]:
        """One call: the student's training function on the lesson's data and arguments, within the training
        budget on ``device`` (not capped by ``call_timeout``, which caps the checks' calls)."""
        from autograder import probe

        target = self.target(quick)
        args, kwargs = self.inputs(target)
        call_id = f"{self.name}/train"
        return [
            {
                "key": first_key,
                "id": call_id,
                "fn": self.name,
                "args": probe.encode(list(args), inputs, call_id + "/args"),
                "kwargs": [probe.encode(dict(kwargs), inputs, call_id + "/kwargs0")],
                "spies": [],
                "timeout": float(target.budget(device)),
                "harness": self.harness,
                "signature_of": self.name,
            }
        ]

    def target(self, quick: bool | None = None) -> Target:
        return target_for(self.assignment, quick)

    def accuracy(self, value, split: str, images: np.ndarray | None = None) -> float:
        """Accuracy on ``split``: "validation" (the public check, through ``predict``), or "test" (the judge:
        the weights the grader's training call returned, in the lesson's architecture), on ``images`` in
        place of the split's own (the judge's: changed by the course's secret)."""
        held_out = data.validation_split() if split == "validation" else data.load_fashion_mnist(split)
        images, labels = self.task(held_out.images if images is None else images, held_out.labels)
        if split != "validation" and self.architecture is not None:  # the judge's own Training
            predictions = weights_predictions(self, value, images)
        else:
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
    images: np.ndarray | None = None,
    call: bool = False,
) -> Verdict:
    """Score a trained network on ``split``: "validation" for the notebook's public check (the network its
    training cell left), "test" for the judge (the weights the grader's training call returned, on
    ``images``: the test images changed by the course's secret).

    ``seconds``: how long the training took (the training call, timed by the grader from outside its
    sandbox; or the notebook's clock); the message gives it against the budget on ``device``, with a
    warning past ``WARN_SHARE`` of it, and, with the network's parameter count, it goes into the figures
    for the cohort's leaderboard (never into points). ``blame``: the earlier functions of the lesson that
    training is built on and that fail their own checks (checks.blame_roots): a message that is not full
    points leads with them. ``defaults``: the student's own train function's signature, as the message
    names it. ``call``: the network is what the grader's own training call returned (the judge), not the
    one a notebook's training cell left."""
    target = training.target(quick)
    graders = call
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
        if graders and status == "timeout":
            text = _(
                "{signature}: the grader's training call did not finish within its {budget:g} s budget "
                "({mode} mode), so it was stopped and no network was scored."
            ).format(signature=training.signature, budget=budget, mode=target.mode)
            state = "timeout"
        elif graders:
            text = _("{signature}: the grader's training call gave no trained network ({why}).").format(
                signature=training.signature, why=why
            )
            state = "error"
        else:
            text = _("{signature} was not graded: {variable} was not left by the cell test_{name} ({why}).").format(
                signature=training.signature, variable=training.variable, name=training.name, why=why
            )
            state = "timeout" if ran_too_long(why) else "error"
        text = blamed + text
        return Verdict(state, text, text, 0, 1, 0.0, failures=failed("timeout" if state == "timeout" else "missing"))
    try:
        accuracy = training.accuracy(outcome.get("value"), split, images)
    except NotAModel as problem:
        hint = _(training.hints.get("model", ""))
        if graders:
            text = _(
                "{signature}: what the grader's training call returned is not a trained network of this lesson "
                "that the grader can evaluate: {problem}."
            ).format(signature=training.signature, problem=problem)
        else:
            text = _("{signature}: {variable} is not a trained network the grader can evaluate: {problem}.").format(
                signature=training.signature, variable=training.variable, problem=problem
            )
        text += hint_line(hint) if hint and not blame else ""
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
    timing = "" if seconds is None else "\n    " + time_against_budget(seconds, budget, target.mode, graders)
    if not graders and seconds is not None and seconds > budget:  # the notebook's clock: the grader stops it
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


def time_against_budget(seconds: float, budget: float, mode: str, call: bool = False) -> str:
    """The training cell's time against its budget, in words, with a warning past ``WARN_SHARE`` of it; or
    (``call``) the grader's own training call's, which the grader stopped at the budget if it ran over."""
    if call:
        return _(
            "The grader's training call took {seconds:.1f} s of its {budget:g} s budget ({mode} mode), timed "
            "from outside its sandbox, loading included."
        ).format(seconds=seconds, budget=budget, mode=mode)
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


BUFFERS = ("running_mean", "running_var", "num_batches_tracked")  # state_dict entries that are no parameters


def parameter_count(training: Training, outcome: Mapping) -> int | None:
    """The trained network's number of parameters: for a PyTorch model, the sizes of its state_dict's
    parameters (not batch norm's statistics); for a numpy network, the sizes of its arrays. None if unknown."""
    value = outcome.get("value")
    if training.architecture is not None:
        weights = value.get("weights") if isinstance(value, dict) else None
        if not isinstance(weights, dict):
            return None
        return sum(int(a.size) for k, a in weights.items() if isinstance(a, np.ndarray) and not k.endswith(BUFFERS))
    total, stack = 0, [value]
    while stack:
        value = stack.pop()
        if isinstance(value, np.ndarray) and value.dtype.kind in "iuf":
            total += int(value.size)
        elif isinstance(value, (list, tuple)):
            stack.extend(value)
        elif isinstance(value, dict):
            stack.extend(value.values())
    return total or None


def weights_predictions(training: Training, value, images: np.ndarray, batch_size: int = 250) -> np.ndarray:
    """Class indices for uint8 images (N, 28, 28) from the weights the grader's training call returned,
    loaded into the lesson's own network (``training.architecture``) and run in eval mode on the lesson's
    own preprocessing: the grader's code only. Raises NotAModel, naming the layer that does not fit.

    A convolutional network runs channels-last, in batches of 250 that keep its activations in the CPU's
    caches: 07's 10,000 test images take about 1.4 s in a forked judge, against 2.6 s contiguous in
    batches of 1000 (the same arithmetic up to rounding: eval mode, and the same predictions)."""
    import torch

    if not isinstance(value, dict) or value.get("model") is False:
        kind = value.get("type") if isinstance(value, dict) else None
        raise NotAModel(
            _("it returned a {kind}, not a torch.nn.Module").format(kind=student_text(str(kind), 120))
            if kind
            else _("it returned no torch.nn.Module")
        )
    if "too_large" in value:
        raise NotAModel(
            _("its state_dict is larger than the grader takes ({what})").format(
                what=student_text(str(value["too_large"]), 80)
            )
        )
    weights = value.get("weights")
    if not isinstance(weights, dict) or not all(isinstance(a, np.ndarray) for a in weights.values()):
        raise NotAModel(_("its weights could not be read"))
    model = training.architecture()
    load_weights(model, weights, training.trained)
    model.eval()
    layout = torch.contiguous_format
    if any(isinstance(module, torch.nn.Conv2d) for module in model.modules()):
        layout = torch.channels_last  # on a CPU, convolution and max pooling run vectorised over the channels
        model = model.to(memory_format=layout)
    x = torch.from_numpy(np.ascontiguousarray(images)).unsqueeze(1)
    with torch.no_grad():
        return torch.cat(
            [
                model(training.preprocess(x[i : i + batch_size]).contiguous(memory_format=layout)).argmax(dim=1)
                for i in range(0, len(x), batch_size)
            ]
        ).numpy()


def load_weights(model, weights: Mapping[str, np.ndarray], trained: tuple[str, ...] | None = None) -> None:
    """Load a state_dict's arrays into ``model`` by their order and shapes (a student may name the layers
    as they like; batch norm's counter aside), or raise NotAModel naming the first of the model's layers
    that they do not fit. ``trained``: only the entries under these prefixes are taken; the model keeps
    its own others."""
    import torch

    ours = [(name, tensor) for name, tensor in model.state_dict().items() if not name.endswith("num_batches_tracked")]
    theirs = [(name, array) for name, array in weights.items() if not str(name).endswith("num_batches_tracked")]

    def layer(name: str) -> str:
        owner = name.rsplit(".", 1)[0] if "." in name else ""
        try:
            module = model.get_submodule(owner)
        except AttributeError:
            return name
        return f"{type(module).__name__} ({name}: {tuple(model.state_dict()[name].shape)})"

    for index, (name, tensor) in enumerate(ours):
        if index >= len(theirs):
            raise NotAModel(
                _("it has {count} tensors where the lesson's network has {expected}: it lacks {layer}").format(
                    count=len(theirs), expected=len(ours), layer=layer(name)
                )
            )
        their_name, array = theirs[index]
        if tuple(array.shape) != tuple(tensor.shape):
            raise NotAModel(
                _("its tensor {index} ({name}, of shape {shape}) does not fit the lesson's {layer}").format(
                    index=index, name=student_text(str(their_name), 80), shape=tuple(array.shape), layer=layer(name)
                )
            )
    if len(theirs) > len(ours):
        raise NotAModel(
            _("it has {count} tensors where the lesson's network has {expected}: from {extra} on, none is").format(
                count=len(theirs), expected=len(ours), extra=student_text(str(theirs[len(ours)][0]), 80)
            )
        )
    state = model.state_dict()
    for (name, tensor), (_their_name, array) in zip(ours, theirs):
        if trained is None or name.startswith(trained):
            state[name] = torch.from_numpy(np.array(array, dtype=tensor.numpy().dtype))
    model.load_state_dict(state)


def predictions_from_kernel(value, images: np.ndarray) -> np.ndarray:
    """``predict`` for a model that the caller ran: the value is already its predictions."""
    if isinstance(value, str):  # the probe's word for a variable that is no model: the call's own text, bounded
        raise NotAModel(student_text(value, 300))
    if not isinstance(value, np.ndarray) or value.dtype.kind not in "iu":
        raise NotAModel(_("the probe could not compute its predictions"))
    return value
