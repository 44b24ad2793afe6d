"""04_losses: mean squared error, one-hot targets, a stable cross-entropy, and accuracy.

Every function takes numpy arrays. The losses and the accuracy return one
number (a Python float or a numpy float64 scalar); one_hot returns an array.
References are PyTorch's own, computed in float64.
"""

import numpy as np

from autograder.checks import Case, Exercise
from autograder.judge.exercises.reference import _torch


# ------------------------------------------------------------- references
def _mse_ref(y_pred, y_true):
    torch = _torch()
    loss = torch.nn.functional.mse_loss(
        torch.from_numpy(np.asarray(y_pred, dtype=np.float64)), torch.from_numpy(np.asarray(y_true, dtype=np.float64))
    )
    return float(loss.item())


def _one_hot_ref(labels, num_classes):
    torch = _torch()
    encoded = torch.nn.functional.one_hot(torch.from_numpy(np.asarray(labels, dtype=np.int64)), int(num_classes))
    return encoded.to(torch.float64).numpy()


def _cross_entropy_ref(logits, labels):
    torch = _torch()
    loss = torch.nn.functional.cross_entropy(
        torch.from_numpy(np.asarray(logits, dtype=np.float64)), torch.from_numpy(np.asarray(labels, dtype=np.int64))
    )
    return float(loss.item())


def _accuracy_ref(logits, labels):
    torch = _torch()
    predicted = torch.from_numpy(np.asarray(logits, dtype=np.float64)).argmax(dim=1)
    right = predicted == torch.from_numpy(np.asarray(labels, dtype=np.int64))
    return float(right.to(torch.float64).mean().item())


# ------------------------------------------------------------------ inputs
def _pair(*shape, scale=2.0):
    """Random predictions and targets of the same shape."""

    def make(rng):
        return rng.standard_normal(shape) * scale, rng.standard_normal(shape) * scale

    return make


def _fixed_pair(pred, true):
    return lambda rng: (np.array(pred, dtype=np.float64), np.array(true, dtype=np.float64))


def _equal_pair(rng):
    y = rng.standard_normal((5, 2))
    return y.copy(), y


def _labels(values, num_classes):
    return lambda rng: (np.array(values, dtype=np.int64), num_classes)


def _random_labels(n, num_classes, missing=()):
    """n labels in [0, num_classes), never one of ``missing``."""

    def make(rng):
        allowed = np.array([c for c in range(num_classes) if c not in missing])
        return rng.choice(allowed, size=n).astype(np.int64), num_classes

    return make


def _scores(values, labels):
    return lambda rng: (np.array(values, dtype=np.float64), np.array(labels, dtype=np.int64))


def _random_scores(n, num_classes, scale=2.0, shift=0.0):
    """(n, num_classes) logits (scale * N(0, 1) + shift) and n random labels."""

    def make(rng):
        logits = rng.standard_normal((n, num_classes)) * scale + shift
        return logits, rng.integers(0, num_classes, size=n).astype(np.int64)

    return make


def _uniform_scores(n, num_classes, low, high):
    def make(rng):
        logits = rng.uniform(low, high, size=(n, num_classes))
        return logits, rng.integers(0, num_classes, size=n).astype(np.int64)

    return make


def _confident(right: bool, n=6, num_classes=4):
    """Logits whose argmax is the label (right=True) or never the label (right=False)."""

    def make(rng):
        labels = rng.integers(0, num_classes, size=n).astype(np.int64)
        logits = rng.standard_normal((n, num_classes))
        rows = np.arange(n)
        if right:
            logits[rows, labels] = logits.max(axis=1) + 5.0
        else:
            logits[rows, labels] = logits.min(axis=1) - 5.0
        return logits, labels

    return make


def _square_scores(rng):
    """A square batch whose row argmax and column argmax disagree."""
    logits = rng.standard_normal((4, 4))
    logits[np.arange(4), [1, 2, 3, 0]] += 6.0  # row i's maximum is in column (i + 1) % 4
    return logits, np.array([1, 2, 0, 0], dtype=np.int64)


EXTREME_LOGITS = _scores(
    [[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 999.0], [1000.0, 1000.0, -1000.0], [-1000.0, 0.0, 1000.0]],
    [1, 2, 0, 0],
)


# --------------------------------------------------------------- exercises
mse = Exercise(
    signature="mse(y_pred, y_true)",
    reference=_mse_ref,
    cases=(
        Case("a vector of 4 predictions and targets", _fixed_pair([1.0, 2.0, 3.0, 4.0], [1.5, 2.0, 2.0, 6.0])),
        Case("a random (4, 3) batch", _pair(4, 3)),
        Case("predictions equal to the targets", _equal_pair, hidden=True),
        Case("a single prediction", _fixed_pair([2.5], [-1.0]), hidden=True),
        Case("a 3-D batch", _pair(2, 3, 4), hidden=True),
        Case("a (10, 1) column of predictions", _pair(10, 1), hidden=True),
        Case("large errors", _pair(6, 5, scale=1e3), hidden=True),
    ),
    hints={
        "values": "Square the differences elementwise, then average over every element: "
        "np.mean((y_pred - y_true) ** 2). Do not sum, do not take a square root, and do not "
        "average each row separately.",
        "type": "Return one number for the whole batch (np.mean returns a numpy float), not an array.",
        "error": "y_pred and y_true have the same shape, whatever it is: work elementwise and let np.mean "
        "average over all the elements, without an axis argument.",
        "nan": "Compute (y_pred - y_true) ** 2 directly; avoid dividing by anything that can be 0.",
        "mutated": "Compute a new value; do not assign into y_pred or y_true.",
    },
)

one_hot = Exercise(
    signature="one_hot(labels, num_classes)",
    reference=_one_hot_ref,
    cases=(
        Case("4 classes, each of them present", _labels([0, 2, 1, 3, 2], 4)),
        Case("5 classes, but only 0 and 1 occur", _labels([0, 1, 1, 0], 5)),
        Case("a single example", _labels([3], 10), hidden=True),
        Case("the highest classes never occur", _random_labels(30, 10, missing=(8, 9)), hidden=True),
        Case("a large batch of 10-class labels", _random_labels(1000, 10), hidden=True),
        Case("many classes", _random_labels(40, 100), hidden=True),
    ),
    hints={
        "shape": "The result has one row per example and one column per class: shape (N, num_classes). "
        "Use the num_classes argument, not labels.max() + 1: a class may be missing from a batch.",
        "dtype": "Return floats (float64), not integers or booleans: start from np.zeros((N, num_classes)) "
        "or np.eye(num_classes).",
        "values": "Row i must hold a single 1.0, in column labels[i], and 0.0 elsewhere: "
        "out[np.arange(N), labels] = 1.0 (or np.eye(num_classes)[labels]).",
        "type": "Return a numpy array, not a list.",
        "error": "Build an (N, num_classes) array of zeros, then set one entry per row, in column labels[i].",
        "mutated": "Build a new array; do not assign into labels.",
    },
)

cross_entropy = Exercise(
    signature="cross_entropy(logits, labels)",
    reference=_cross_entropy_ref,
    cases=(
        Case("a batch of (4, 3) logits", _random_scores(4, 3)),
        Case("a single example", _scores([[2.0, 1.0, 0.1]], [0])),
        Case("logits of \u00b11000", EXTREME_LOGITS),
        Case("a batch of 64 examples over 10 classes", _random_scores(64, 10), hidden=True),
        Case("large negative logits", _uniform_scores(5, 7, -1000.0, -800.0), hidden=True),
        Case("large positive logits", _uniform_scores(5, 7, 800.0, 1000.0), hidden=True),
        Case("confident right predictions", _confident(True), hidden=True),
        Case(
            "confident wrong predictions with logits of \u00b11000",
            lambda rng: (
                np.array([[1000.0, -1000.0], [-1000.0, 1000.0], [500.0, -500.0]]),
                np.array([1, 0, 1], dtype=np.int64),
            ),
            hidden=True,
        ),
        Case("logits all shifted by a large constant", _random_scores(8, 5, shift=900.0), hidden=True),
    ),
    forbid_warnings=True,
    hints={
        "values": "The loss is the batch mean of -log softmax(logits)[i, labels[i]]: pick the true class's "
        "log-probability in each row with log_probs[np.arange(N), labels], negate it, and average "
        "over the N examples (not over the classes too, and not a sum).",
        "warning": "Do not compute np.log(softmax(...)) or np.exp of the raw logits. Use the log-sum-exp trick: "
        "with m = logits.max(axis=1, keepdims=True), log_probs = logits - m - "
        "np.log(np.sum(np.exp(logits - m), axis=1, keepdims=True)).",
        "nan": "Subtract the row maximum before np.exp, and work with log-probabilities directly "
        "(the log-sum-exp trick) instead of taking the log of a probability that may be 0.",
        "type": "Return one number, the mean loss over the batch, not an array of per-example losses.",
        "error": "logits has shape (N, C) and labels shape (N,): reduce over axis=1 with keepdims=True, and "
        "index the true classes with log_probs[np.arange(N), labels].",
        "mutated": "logits -= ... changes the caller's array; write shifted = logits - ... instead.",
    },
)

accuracy = Exercise(
    signature="accuracy(logits, labels)",
    reference=_accuracy_ref,
    cases=(
        Case(
            "a batch of 5 examples over 3 classes",
            _scores(
                [[2.0, 1.0, 0.1], [0.5, 2.5, 0.3], [0.2, 0.1, 3.0], [1.5, 0.2, 0.1], [0.3, 0.2, 0.4]], [0, 1, 1, 2, 2]
            ),
        ),
        Case("a random (20, 10) batch", _random_scores(20, 10)),
        Case("a square (4, 4) batch", _square_scores, hidden=True),
        Case("all predictions right", _confident(True), hidden=True),
        Case("all predictions wrong", _confident(False), hidden=True),
        Case("a single example", _scores([[0.1, 0.7, 0.2]], [1]), hidden=True),
        Case("a large batch of 10-class logits", _random_scores(1000, 10), hidden=True),
    ),
    hints={
        "values": "Predict with the argmax of each row (axis=1), compare with labels, and return the fraction "
        "of matches between 0 and 1: np.mean(predictions == labels). Not a count, not a percentage.",
        "type": "Return one number, the fraction of right predictions, not the array of matches: "
        "average it with np.mean.",
        "error": "Take the argmax along axis=1 (one prediction per row), so that it lines up with labels, shape (N,).",
        "mutated": "Compute new values; do not assign into logits or labels.",
    },
)

EXERCISES = (mse, one_hot, cross_entropy, accuracy)
