"""06_pytorch_mlp: the tutorial's MLP in PyTorch, its training epoch, its evaluation, and training it.

A PyTorch answer is a model or a function that drives one, so the probe
runs it through a harness (autograder/probe.py) and hands over plain data:
the model's outputs and parameters, the loss returned, the parameters
after an epoch. The judge runs the reference through the same harness.
build_mlp has no single right answer (its initial weights are random): its
check recomputes the tutorial network's output from the student's own
parameters, in float64, and compares.
"""

import numpy as np

from autograder import probe
from autograder.checks import Case, Exercise, _fmt
from autograder.judge.training import Training, predictions_from_kernel
from autograder.judge.exercises.reference import _torch

MLP_SHAPES = [(128, 784), (128,), (10, 128), (10,)]


def what(value) -> str:
    """What a decoded value is, for messages."""
    if isinstance(value, probe.Tensor):
        return f"a torch tensor (dtype {value['dtype']}, shape {tuple(value['array'].shape)})"
    if isinstance(value, probe.Other):
        return f"an object of type {value['type']}"
    if isinstance(value, np.ndarray):
        return f"a numpy array of shape {value.shape}"
    return f"a {type(value).__name__}"


def tensor_problem(value, where: str, shape: tuple, dtype: str = "torch.float32"):
    """None, or (kind, explanation) when ``value`` is not a tensor of this shape and dtype."""
    if not (isinstance(value, probe.Tensor)):
        return "type", f"{where} should be a torch tensor, got {what(value)}"
    if tuple(value["array"].shape) != shape:
        return "shape", f"{where} should have shape {shape}, got shape {tuple(value['array'].shape)}"
    if value["dtype"] != dtype:
        return "dtype", f"{where} should have dtype {dtype}, got dtype {value['dtype']}"
    if not np.isfinite(value["array"]).all():
        return "nan", f"{where} holds NaN or inf"
    return None


def module_problem(value, call: str):
    """None, or a problem when the harness module_outputs could not build a torch.nn.Module with ``call``."""
    if not isinstance(value, dict) or "module" not in value:
        return "type", f"{call} could not be run as a model: got {what(value)}"
    if not value["module"]:
        return "type", f"{call} should give a torch.nn.Module, got an object of type {value['type']}"
    return None


def logits_problem(value, where: str, n: int):
    """None, or a problem when ``value`` is not an (n, 10) float32 tensor of logits."""
    problem = tensor_problem(value, where, (n, 10))
    if problem:
        return problem
    out = value["array"].astype(np.float64)
    if (out >= 0).all() and np.allclose(out.sum(axis=1), 1.0, atol=1e-4):
        return "probabilities", (
            f"{where} gives probabilities (every row is non-negative and sums to 1), where logits are expected"
        )
    return None


# ---------------------------------------------------------------- build_mlp
def _build_mlp_ref():
    nn = _torch().nn
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Dropout(0.2), nn.Linear(128, 10))


def _mlp_logits(x, params) -> np.ndarray:
    """The tutorial network's eval-mode output for these parameters, in float64."""
    torch = _torch()
    F = torch.nn.functional
    W1, b1, W2, b2 = (torch.from_numpy(p.astype(np.float64)) for p in params)
    h = F.relu(F.linear(torch.from_numpy(x.astype(np.float64)).reshape(len(x), -1), W1, b1))
    return F.linear(h, W2, b2).numpy()


def _assess_build_mlp(args, kwargs, value):
    x, _seed = args
    call = "build_mlp()"
    problem = module_problem(value, call) or logits_problem(
        value["eval"], f"{call}(x) for x of shape {x.shape}", len(x)
    )
    if problem:
        return problem
    shapes = [tuple(p.shape) for p in value["params"]]
    if shapes != MLP_SHAPES:
        return "layers", f"{call}'s parameters should have the shapes {MLP_SHAPES}, got {shapes}"
    expected, actual = _mlp_logits(x, value["params"]), value["eval"]["array"]
    if not np.allclose(actual, expected, rtol=1e-4, atol=1e-5):
        return "values", (
            f"{call}(x) in eval mode: expected {_fmt(expected.astype(np.float32))} "
            f"(Flatten, Linear, ReLU, Dropout, Linear with the model's own weights), "
            f"got {_fmt(actual)}"
        )
    again = value["eval_again"]
    if tensor_problem(again, "", (len(x), 10)) or not np.array_equal(again["array"], actual):
        return "values", f"{call}(x) gives a different output each time in eval mode"
    if value["train"] is None or tensor_problem(value["train"], "", (len(x), 10)):
        return "values", f"{call}(x) in training mode does not give logits of shape ({len(x)}, 10)"
    if np.allclose(value["train"]["array"], actual):
        return "dropout", f"{call}(x) gives the same output in training mode as in eval mode: there is no dropout"
    return None


def _images(n):
    def make(rng):
        return rng.uniform(-1, 1, size=(n, 1, 28, 28)).astype(np.float32), int(rng.integers(0, 1000))

    return make


build_mlp = Exercise(
    signature="build_mlp()",
    reference=_build_mlp_ref,
    harness="module_outputs",
    assess=_assess_build_mlp,
    cases=(
        Case("a batch of 4 images", _images(4)),
        Case("one image", _images(1), hidden=True),
        Case("a batch of 64 images", _images(64), hidden=True),
    ),
    hints={
        "probabilities": "Return the logits of the last Linear layer: nn.CrossEntropyLoss (and F.cross_entropy) "
        "apply log-softmax themselves, and argmax is the same on logits.",
        "layers": "The tutorial's network: nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), "
        "nn.Dropout(0.2), nn.Linear(128, 10)).",
        "shape": "nn.Flatten() keeps the batch dimension: (N, 1, 28, 28) becomes (N, 784). x.view(-1) would "
        "flatten the whole batch into one row.",
        "dropout": "Put nn.Dropout(0.2) after the ReLU: it is active in model.train() mode only.",
        "default": "Build nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Dropout(0.2), "
        "nn.Linear(128, 10)).",
    },
)


# --------------------------------------------------------------- train_epoch
def _train_epoch_ref(model, loader, optimizer, device):
    F = _torch().nn.functional
    model.train()
    total, count = 0.0, 0
    for images, labels in loader:
        images, labels = images.to(device), labels.to(device)
        optimizer.zero_grad()
        loss = F.cross_entropy(model(images), labels)
        loss.backward()
        optimizer.step()
        total += loss.item() * len(labels)
        count += len(labels)
    return total / count


def _batches(n, batch_size, lr=0.05):
    def make(rng):
        x = rng.uniform(-1, 1, size=(n, 1, 28, 28)).astype(np.float32)
        labels = rng.integers(0, 10, size=n).astype(np.int64)
        return x, labels, batch_size, lr, int(rng.integers(0, 1000))

    return make


TRAIN_EPOCH_HINTS = {
    "values": "In order, for every (images, labels) batch: move both to device, optimizer.zero_grad(), "
    "loss = F.cross_entropy(model(images), labels), loss.backward(), optimizer.step(). Call "
    "model.train() first, so that dropout is on. Return the mean loss over all examples: add up "
    "loss.item() * len(labels), and divide by the number of examples.",
    "type": "Return a Python float: loss.item() turns a one-element tensor into a number.",
}

train_epoch = Exercise(
    signature="train_epoch(model, loader, optimizer, device)",
    reference=_train_epoch_ref,
    harness="train_epoch_run",
    output_names=("the mean loss it returned", "the model's parameters after the epoch"),
    rtol=1e-4,
    atol=1e-6,
    cases=(
        Case("3 batches of 32", _batches(96, 32)),
        Case("a last batch of 4 (100 examples, batches of 32)", _batches(100, 32), hidden=True),
        Case("one batch of 50", _batches(50, 64), hidden=True),
    ),
    hints=TRAIN_EPOCH_HINTS,
)


# ------------------------------------------------------------------ evaluate
def _evaluate_ref(model, loader, device):
    torch = _torch()
    model.eval()
    correct, total = 0, 0
    with torch.no_grad():
        for images, labels in loader:
            images, labels = images.to(device), labels.to(device)
            correct += (model(images).argmax(dim=1) == labels).sum().item()
            total += len(labels)
    return correct / total


def _labelled(n, batch_size):
    """Labels that agree with the eval-mode network on 60% of the examples, so that the accuracy
    depends on dropout being off: with it on, many predictions change."""

    def make(rng):
        torch = _torch()
        x = rng.uniform(-1, 1, size=(n, 1, 28, 28)).astype(np.float32)
        seed = int(rng.integers(0, 1000))
        model = probe.tiny_mlp(seed, 0.5).eval()
        with torch.no_grad():
            labels = model(torch.from_numpy(x)).argmax(dim=1).numpy().astype(np.int64)
        flip = rng.random(n) < 0.4
        labels[flip] = (labels[flip] + rng.integers(1, 10, size=flip.sum())) % 10
        return x, labels, batch_size, seed

    return make


evaluate = Exercise(
    signature="evaluate(model, loader, device)",
    reference=_evaluate_ref,
    harness="evaluate_run",
    output_names=("the accuracy it returned", "the model's parameters afterwards"),
    cases=(
        Case("4 batches of 50", _labelled(200, 50)),
        Case("a last batch of 7 (103 examples)", _labelled(103, 32), hidden=True),
        Case("one batch of 500", _labelled(500, 1000), hidden=True),
    ),
    hints={
        "values": "Call model.eval() first, so that dropout is off, and loop under torch.no_grad(). Count the "
        "examples where model(images).argmax(dim=1) == labels over every batch, and return that count "
        "divided by the number of examples: a fraction in [0, 1], not a percentage. evaluate must "
        "not change the parameters.",
        "type": "Return a Python float: .item() turns a one-element tensor into a number, and correct / total "
        "of two ints is a float.",
    },
)


# --------------------------------------------------------------- train_model
train_model = Training(
    signature="train_model(train_loader, val_loader, epochs=10, lr=0.001, seed=0, device='cpu', history=None)",
    assignment="06_pytorch_mlp",
    variable="model",
    predict=predictions_from_kernel,
    predicts_in_kernel=True,
    hints={
        "model": "train_model must return the trained torch.nn.Module that build_mlp made.",
        "accuracy": "First make every check above pass. Then check the recipe: torch.manual_seed(seed), "
        "model = build_mlp().to(device), torch.optim.Adam(model.parameters(), lr=lr), "
        "CosineAnnealingLR(optimizer, T_max=epochs), and one train_epoch then scheduler.step() per "
        "epoch, with the defaults epochs=10 and lr=0.001. history['loss'] should fall steadily.",
    },
)

EXERCISES = (build_mlp, train_epoch, evaluate, train_model)
