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

from autograder import data, probe
from autograder.checks import Case, Exercise
from autograder.assessments import assess_build_mlp
from autograder.training import Training, predictions_from_kernel
from autograder.judge.exercises.reference import _torch, course_normalize


# ---------------------------------------------------------------- build_mlp
def _build_mlp_ref():
    nn = _torch().nn
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Dropout(0.2), nn.Linear(128, 10))


def _images(n):
    def make(rng):
        return rng.uniform(-1, 1, size=(n, 1, 28, 28)).astype(np.float32), int(rng.integers(0, 1000))

    return make


build_mlp = Exercise(
    signature="build_mlp()",
    reference=_build_mlp_ref,
    harness="module_outputs",
    assess=assess_build_mlp,
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
def _train_epoch_variant(zero_grad=True, weighted=True, train=True):
    """The reference train_epoch, or (with a flag off) a known wrong one, for its hint (Exercise.diagnoses)."""

    def train_epoch(model, loader, optimizer, device):
        F = _torch().nn.functional
        if train:
            model.train()
        total, count, batches = 0.0, 0, 0
        for images, labels in loader:
            images, labels = images.to(device), labels.to(device)
            if zero_grad:
                optimizer.zero_grad()
            loss = F.cross_entropy(model(images), labels)
            loss.backward()
            optimizer.step()
            total += loss.item() * (len(labels) if weighted else 1)
            count += len(labels)
            batches += 1
        return total / (count if weighted else batches)

    return train_epoch


_train_epoch_ref = _train_epoch_variant()


def _batches(n, batch_size, lr=0.05):
    def make(rng):
        x = rng.uniform(-1, 1, size=(n, 1, 28, 28)).astype(np.float32)
        labels = rng.integers(0, 10, size=n).astype(np.int64)
        return x, labels, batch_size, lr, int(rng.integers(0, 1000))

    return make


TRAIN_EPOCH_HINTS = {
    "zero_grad": "Call optimizer.zero_grad() in every batch, before loss.backward(): PyTorch adds new "
    "gradients to the old ones in .grad, so without it every step uses the sum of all earlier gradients.",
    "batch_mean": "Weight each batch's mean loss by its size: add up loss.item() * len(labels) and divide "
    "by the number of examples. The mean of the batch means counts a smaller last batch as much as a "
    "full one.",
    "train_mode": "Call model.train() first: the model may come to you in eval mode (after evaluate), and "
    "then dropout stays off while it trains.",
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
        Case("a last batch of 4 (36 examples, batches of 16)", _batches(36, 16)),
        Case("a last batch of 4 (100 examples, batches of 32)", _batches(100, 32), hidden=True),
        Case("one batch of 50", _batches(50, 64), hidden=True),
    ),
    hints=TRAIN_EPOCH_HINTS,
    diagnoses={
        "zero_grad": _train_epoch_variant(zero_grad=False),
        "batch_mean": _train_epoch_variant(weighted=False),
        "train_mode": _train_epoch_variant(train=False),
    },
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
def _train_model_inputs(target):
    """What the notebook's loaders hold: the first training examples, and the validation split (uint8)."""
    examples, validation = data.training_examples(target.train_size), data.validation_split()
    return [examples.images, examples.labels, validation.images, validation.labels], target.train_args()


train_model = Training(
    signature="train_model(train_loader, val_loader, epochs=10, lr=0.001, seed=0, device='cpu', history=None)",
    harness="train_model_run",
    inputs=_train_model_inputs,
    architecture=_build_mlp_ref,
    preprocess=course_normalize,
    builds_on=("build_mlp", "train_epoch", "evaluate"),
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
