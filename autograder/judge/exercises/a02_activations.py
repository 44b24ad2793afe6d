"""02_activations: elementwise non-linearities and softmax."""

import numpy as np

from autograder.checks import Case, Exercise
from autograder.judge.exercises.reference import _F, torch_apply, torch_derivative, with_zeros


def _fixed(*values, dtype=np.float64):
    return lambda rng: (np.array(values, dtype=dtype),)


def _normal(*shape, scale=3.0, dtype=np.float64):
    return lambda rng: ((rng.standard_normal(shape) * scale).astype(dtype),)


def _uniform32(*shape, high=2.0):
    return lambda rng: (rng.uniform(-high, high, size=shape).astype(np.float32),)


def _float32(make):
    """The same input, in float32: every elementwise function keeps its input's dtype."""
    return lambda rng: tuple(np.asarray(a, dtype=np.float32) for a in make(rng))


EXTREMES = _fixed(-1000.0, -50.0, -1.0, 0.0, 1.0, 50.0, 1000.0)

relu = Exercise(
    signature="relu(z)",
    reference=lambda z: torch_apply(_F().relu, z),
    cases=(
        Case("a vector with negatives, zero and positives", _fixed(-2.0, -0.5, 0.0, 0.5, 2.0)),
        Case("a random (4, 5) matrix", _normal(4, 5)),
        Case("a float32 input keeps its dtype", _normal(2, 3, dtype=np.float32)),
        Case("a 3-D batch", _normal(2, 3, 4), hidden=True),
        Case("a float32 input keeps its dtype", _normal(3, 3, dtype=np.float32), hidden=True),
        Case("large magnitudes", _normal(6, scale=1e6), hidden=True),
        Case("all negative inputs", lambda rng: (-np.abs(rng.standard_normal((3, 4))) - 0.1,), hidden=True),
    ),
    hints={
        "dtype": "The result must be a float array of the input's dtype. `z > 0` gives booleans; "
        "np.maximum(z, 0) keeps the dtype.",
        "values": "ReLU keeps positive inputs and sets every negative input to 0.",
        "mutated": "Build a new array (np.maximum(z, 0)) instead of assigning into z.",
        "type": "Return a numpy array, not a list or a Python number.",
    },
)

relu_grad = Exercise(
    signature="relu_grad(z)",
    reference=lambda z: torch_derivative(_F().relu, z),
    cases=(
        Case("a vector with a zero", _fixed(-2.0, -0.5, 0.0, 0.5, 2.0)),
        Case("a random (4, 5) matrix with zeros", with_zeros(4, 5)),
        Case("a float32 input keeps its dtype", _float32(with_zeros(2, 3))),
        Case("exact zeros only", lambda rng: (np.zeros((2, 3)),), hidden=True),
        Case("a 3-D batch with zeros", with_zeros(2, 3, 4), hidden=True),
        Case("a float32 input keeps its dtype", _float32(with_zeros(3, 4)), hidden=True),
    ),
    hints={
        "values": "The slope is 1 where z > 0 and 0 elsewhere; at exactly z == 0 we use 0, as PyTorch does.",
        "dtype": "Return floats (1.0 and 0.0) of the input's dtype, not booleans: (z > 0).astype(z.dtype).",
        "mutated": "Build a new array instead of assigning into z.",
    },
)

leaky_relu = Exercise(
    signature="leaky_relu(z, alpha=0.01)",
    reference=lambda z, alpha=0.01: torch_apply(lambda x: _F().leaky_relu(x, negative_slope=alpha), z),
    cases=(
        Case("the default alpha", _fixed(-100.0, -2.0, 0.0, 3.0)),
        Case("alpha=0.2 on a (3, 4) matrix", _normal(3, 4), kwargs={"alpha": 0.2}),
        Case("a float32 input keeps its dtype", _normal(4, dtype=np.float32)),
        Case("a float32 input keeps its dtype", _normal(5, dtype=np.float32), hidden=True),
        Case("alpha=0.05 on a 3-D batch", _normal(2, 2, 3), kwargs={"alpha": 0.05}, hidden=True),
    ),
    hints={
        "values": "Negative inputs are multiplied by alpha; positive ones pass unchanged. Use the alpha argument, "
        "not a hard-coded 0.01.",
        "dtype": "np.where(z > 0, z, alpha * z) keeps the input's dtype.",
        "mutated": "Build a new array instead of assigning into z.",
    },
)

sigmoid = Exercise(
    signature="sigmoid(z)",
    reference=lambda z: torch_apply(lambda x: x.sigmoid(), z),
    cases=(
        Case("a random (3, 4) matrix", _normal(3, 4)),
        Case("extreme inputs of \u00b11000", EXTREMES),
        Case("a float32 input keeps its dtype", _normal(2, 3, scale=10, dtype=np.float32)),
        Case("large negative inputs", lambda rng: (-rng.uniform(700, 1000, size=(4, 3)),), hidden=True),
        Case("a 3-D batch", _normal(2, 3, 2, scale=10), hidden=True),
        Case("a float32 input keeps its dtype", _normal(4, scale=50, dtype=np.float32), hidden=True),
    ),
    forbid_warnings=True,
    hints={
        "warning": "np.exp(-z) overflows for large negative z. Compute e = np.exp(-np.abs(z)) once; then "
        "sigmoid is 1 / (1 + e) where z >= 0 and e / (1 + e) where z < 0. np.where evaluates "
        "both branches, so neither may overflow.",
        "nan": "inf / inf is NaN: rewrite so that np.exp only ever sees non-positive numbers.",
        "values": "sigmoid(z) = 1 / (1 + exp(-z)); sigmoid(0) = 0.5.",
        "dtype": "Keep the input's dtype, as every elementwise function here does: np.exp and 1 / (1 + e) of a "
        "float32 array stay float32; a float64 constant array (np.ones(..., dtype=float)) would not.",
    },
)

sigmoid_grad = Exercise(
    signature="sigmoid_grad(z)",
    reference=lambda z: torch_derivative(lambda x: x.sigmoid(), z),
    cases=(
        Case("a random (3, 4) matrix", _normal(3, 4)),
        Case("extreme inputs of \u00b11000", EXTREMES),
        # Small inputs: 1 - s in float32 loses digits as s nears 1, and the check is about the dtype.
        Case("a float32 input keeps its dtype", _uniform32(2, 3)),
        Case("a 3-D batch", _normal(2, 2, 3, scale=5), hidden=True),
        Case("large positive and negative inputs", lambda rng: (rng.uniform(-900, 900, size=(5, 2)),), hidden=True),
        Case("a float32 input keeps its dtype", _uniform32(5), hidden=True),
    ),
    forbid_warnings=True,
    builds_on=("sigmoid",),
    hints={
        "values": "The derivative is sigmoid(z) * (1 - sigmoid(z)): reuse your sigmoid.",
        "dtype": "Keep the input's dtype: s * (1 - s) of a float32 s stays float32.",
        "warning": "Reuse your stable sigmoid rather than writing exp(-z) again.",
        "nan": "Reuse your stable sigmoid rather than writing exp(-z) again.",
    },
)

softmax = Exercise(
    signature="softmax(z)",
    reference=lambda z: torch_apply(lambda x: _F().softmax(x, dim=-1), z),
    cases=(
        Case("a single vector of logits", _fixed(1.0, 2.0, 3.0, 0.5)),
        Case("a batch of (4, 3) logits", _normal(4, 3)),
        Case("logits of \u00b11000", lambda rng: (np.array([[1000.0, 999.0, -1000.0], [-1000.0, -999.0, -1000.0]]),)),
        Case("a square (5, 5) batch", _normal(5, 5), hidden=True),
        Case("a 3-D batch", _normal(2, 3, 4), hidden=True),
        Case("large equal logits", lambda rng: (np.full((2, 6), 1000.0),), hidden=True),
        Case("large negative logits", lambda rng: (rng.uniform(-1000, -800, size=(3, 7)),), hidden=True),
    ),
    forbid_warnings=True,
    hints={
        "values": "Normalise over the last axis: each row must sum to 1. Use axis=-1 with keepdims=True.",
        "shape": "softmax keeps the shape of its input; sum with keepdims=True so the division broadcasts.",
        "warning": "Subtract the row maximum before np.exp: softmax(z) = softmax(z - max(z)), and exp never overflows.",
        "nan": "Subtract the row maximum before np.exp: softmax(z) = softmax(z - max(z)), and exp never overflows.",
        "mutated": "z -= z.max(...) changes the caller's array; write z = z - z.max(...) instead.",
    },
)

EXERCISES = (relu, relu_grad, leaky_relu, sigmoid, sigmoid_grad, softmax)
