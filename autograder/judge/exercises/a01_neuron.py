"""01_neuron: the artificial neuron, the perceptron, and logic gates built from it."""

import numpy as np

from autograder.checks import Case, Exercise
from autograder.judge.exercises.reference import _torch, with_zeros


# ------------------------------------------------------------- references
def _weighted_sum_ref(x, w, b):
    torch = _torch()
    z = torch.from_numpy(np.asarray(x, dtype=np.float64)) @ torch.from_numpy(np.asarray(w, dtype=np.float64)) + b
    out = z.numpy().astype(np.float64)
    return out[()] if out.ndim == 0 else out  # a number for one input, an (n,) array for a batch


def _step_ref(z):
    torch = _torch()
    t = torch.from_numpy(np.asarray(z, dtype=np.float64))
    return torch.heaviside(t, torch.zeros_like(t)).numpy().astype(np.float64)


def _perceptron_ref(x, w, b):
    torch = _torch()
    z = torch.from_numpy(np.asarray(x, dtype=np.float64)) @ torch.from_numpy(np.asarray(w, dtype=np.float64)) + b
    return (z > 0).to(torch.float64).numpy()


AND = {(0, 0): 0, (0, 1): 0, (1, 0): 0, (1, 1): 1}
OR = {(0, 0): 0, (0, 1): 1, (1, 0): 1, (1, 1): 1}
NAND = {(0, 0): 1, (0, 1): 1, (1, 0): 1, (1, 1): 0}
XOR = {(0, 0): 0, (0, 1): 1, (1, 0): 1, (1, 1): 0}


def _truth_table(table):
    def reference(x1, x2):
        return np.array([table[int(a), int(b)] for a, b in zip(x1, x2)], dtype=np.float64)

    return reference


# ------------------------------------------------------------------ inputs
def _vector_input(*values, w, b):
    return lambda rng: (np.array(values, dtype=np.float64), np.array(w, dtype=np.float64), float(b))


def _batch_input(rows, w, b):
    return lambda rng: (np.array(rows, dtype=np.float64), np.array(w, dtype=np.float64), float(b))


def _random_input(*shape, b=None, scale=2.0):
    """x of ``shape`` ((d,) or (n, d)), w of (d,), and a float bias (random unless given)."""

    def make(rng):
        x = rng.standard_normal(shape) * scale
        w = rng.standard_normal(shape[-1])
        bias = float(rng.standard_normal()) if b is None else float(b)
        return x, w, bias

    return make


def _on_the_boundary(rng):
    """Integer inputs and weights, so that several weighted sums are exactly 0."""
    x = rng.integers(-2, 3, size=(12, 3)).astype(np.float64)
    x[:4] = [[1, 0, 0], [0, -2, 0], [2, 1, -1], [1, 1, 1]]  # z == 0 exactly for these four rows
    w = np.array([1.0, -0.5, 0.5])
    return x, w, -1.0


def _fixed(*values, dtype=np.float64):
    return lambda rng: (np.array(values, dtype=dtype),)


def _normal(*shape, scale=3.0):
    return lambda rng: (rng.standard_normal(shape) * scale,)


def _all_four(rng):
    return np.array([0.0, 0.0, 1.0, 1.0]), np.array([0.0, 1.0, 0.0, 1.0])


def _shuffled(n):
    def make(rng):
        return (rng.integers(0, 2, size=n).astype(np.float64), rng.integers(0, 2, size=n).astype(np.float64))

    return make


def _one_pair(a, b):
    return lambda rng: (np.array([a], dtype=np.float64), np.array([b], dtype=np.float64))


def _gate_cases():
    return (
        Case("all four input combinations", _all_four),
        Case("shuffled and repeated combinations", _shuffled(20), hidden=True),
        Case("a single pair of inputs", _one_pair(1.0, 1.0), hidden=True),
        Case("a long batch of combinations", _shuffled(1000), hidden=True),
    )


# --------------------------------------------------------------- exercises
weighted_sum = Exercise(
    signature="weighted_sum(x, w, b)",
    reference=_weighted_sum_ref,
    cases=(
        Case("one input vector of 3 features", _vector_input(1.0, 2.0, 3.0, w=(0.5, -1.0, 2.0), b=0.5)),
        Case(
            "a batch of 4 inputs with 3 features",
            _batch_input(
                [[1.0, 2.0, 3.0], [0.0, 0.0, 0.0], [-1.0, 0.5, 2.0], [3.0, -2.0, 1.0]], w=(0.5, -1.0, 2.0), b=0.5
            ),
        ),
        Case("a random (5, 3) batch", _random_input(5, 3)),
        Case("a batch of one input", _random_input(1, 4), hidden=True),
        Case("many features", _random_input(8, 50), hidden=True),
        Case("a negative bias", _random_input(6, 3, b=-2.5), hidden=True),
        Case("one long input vector", _random_input(30), hidden=True),
    ),
    hints={
        "values": "The weighted sum is z = x1*w1 + ... + xd*wd + b: multiply each feature by its weight, add "
        "them up, then add the bias once. x @ w + b does it for one input and for a batch.",
        "shape": "For a batch x of shape (n, d), the result has one number per row: shape (n,). x @ w does the "
        "multiplying and the summing per row; x * w alone only multiplies, and np.sum(x * w) without an axis "
        "adds up the whole batch into one number.",
        "type": "Return a numpy result (x @ w + b), not a list: for one input a number, for a batch an (n,) array.",
        "dtype": "Keep the float64 inputs in float64: x @ w + b does.",
        "mutated": "Compute a new value; do not assign into x or w.",
    },
)

step = Exercise(
    signature="step(z)",
    reference=_step_ref,
    cases=(
        Case("a vector with negatives, zero and positives", _fixed(-2.0, -0.5, 0.0, 0.5, 2.0)),
        Case("a random (4, 5) matrix with zeros", with_zeros(4, 5)),
        Case("exact zeros only", lambda rng: (np.zeros((2, 3)),), hidden=True),
        Case("a 3-D batch", _normal(2, 3, 4), hidden=True),
        Case("tiny values either side of zero", _fixed(-1e-300, -1e-12, -0.0, 1e-12, 1e-300), hidden=True),
        Case("large magnitudes", _normal(6, scale=1e6), hidden=True),
    ),
    hints={
        "values": "step(z) is 1.0 where z > 0 and 0.0 everywhere else, including at exactly z == 0 "
        "(use >, not >=). It never gives -1.",
        "dtype": "Return floats (1.0 and 0.0), not booleans or integers: np.where(z > 0, 1.0, 0.0) "
        "or (z > 0).astype(np.float64).",
        "shape": "step works elementwise: the result has the shape of z.",
        "type": "Return a numpy array, not a list.",
        "mutated": "Build a new array (np.where(...)) instead of assigning into z.",
    },
)

perceptron = Exercise(
    signature="perceptron(x, w, b)",
    reference=_perceptron_ref,
    # Built on the student's weighted_sum and step, and must call both (the lesson says the grader checks
    # it). No stand-in test: 1 - step(1 - z) equals step(z) wherever z <= 0 or z >= 1.
    spies=("weighted_sum", "step"),
    every_spy=True,
    standin_check=False,
    builds_on=("weighted_sum", "step"),
    cases=(
        Case(
            "a batch of 4 inputs with 2 features",
            _batch_input([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], w=(2.0, -1.0), b=-1.5),
        ),
        Case("a random (6, 3) batch", _random_input(6, 3)),
        Case("inputs exactly on the decision boundary", _on_the_boundary),
        Case("more inputs exactly on the decision boundary", _on_the_boundary, hidden=True),
        Case("a batch of one input", _random_input(1, 3), hidden=True),
        Case("many features and a negative bias", _random_input(10, 40, b=-1.5), hidden=True),
    ),
    hints={
        "values": "Each output must be 1.0 where x[i] . w + b > 0 and 0.0 otherwise. Check that you pass the "
        "bias on, that you apply the step, and that your step gives 0.0 at exactly 0.",
        "dtype": "The outputs are floats 1.0 and 0.0 in float64: check what your step returns.",
        "shape": "One output per row of x: shape (n,).",
        "mutated": "Compute new values; do not assign into x or w.",
        "spies": "Compute the weighted sum with your weighted_sum and apply your step to it: "
        "step(weighted_sum(x, w, b)). Do not write the formulas again.",
    },
)

and_gate = Exercise(
    signature="and_gate(x1, x2)",
    reference=_truth_table(AND),
    cases=_gate_cases(),
    spies=("perceptron",),
    builds_on=("perceptron",),
    hints={
        "spies": "Build the gate from a single perceptron: stack the inputs with np.stack([x1, x2], axis=1) and "
        "call perceptron with weights and a bias you choose.",
        "values": "AND fires only when both inputs are 1: with weights (1, 1), the bias must keep 1 + 0 "
        "below the threshold and lift 1 + 1 above it.",
        "dtype": "Return perceptron's float64 output as it is: no .astype(int), no comparison.",
        "shape": "Stack the inputs as columns (np.stack([x1, x2], axis=1), shape (n, 2)), so that there is "
        "one output per pair.",
        "mutated": "Compute new values; do not assign into x1 or x2.",
    },
)

or_gate = Exercise(
    signature="or_gate(x1, x2)",
    reference=_truth_table(OR),
    cases=_gate_cases(),
    spies=("perceptron",),
    builds_on=("perceptron",),
    hints={
        "spies": "Build the gate from a single perceptron: stack the inputs with np.stack([x1, x2], axis=1) and "
        "call perceptron with weights and a bias you choose.",
        "values": "OR fires when at least one input is 1: with weights (1, 1), the bias must keep 0 + 0 "
        "below the threshold and lift 1 + 0 above it.",
        "dtype": "Return perceptron's float64 output as it is: no .astype(int), no comparison.",
        "shape": "Stack the inputs as columns (np.stack([x1, x2], axis=1), shape (n, 2)), so that there is "
        "one output per pair.",
        "mutated": "Compute new values; do not assign into x1 or x2.",
    },
)

nand_gate = Exercise(
    signature="nand_gate(x1, x2)",
    reference=_truth_table(NAND),
    cases=_gate_cases(),
    spies=("perceptron",),
    builds_on=("perceptron",),
    hints={
        "spies": "Build the gate from a single perceptron: stack the inputs with np.stack([x1, x2], axis=1) and "
        "call perceptron with weights and a bias you choose.",
        "values": "NAND is NOT AND: it outputs 0 only when both inputs are 1. Negate the AND weights and bias.",
        "dtype": "Return perceptron's float64 output as it is: no .astype(int), no comparison.",
        "shape": "Stack the inputs as columns (np.stack([x1, x2], axis=1), shape (n, 2)), so that there is "
        "one output per pair.",
        "mutated": "Compute new values; do not assign into x1 or x2.",
    },
)

xor_gate = Exercise(
    signature="xor_gate(x1, x2)",
    reference=_truth_table(XOR),
    cases=_gate_cases(),
    spies=("and_gate", "or_gate", "nand_gate"),
    builds_on=("and_gate", "or_gate", "nand_gate"),
    min_spy_calls=2,
    hints={
        "spies": "No single perceptron computes XOR: build a two-layer network from your gates. The first layer "
        "computes or_gate and nand_gate of the inputs; the second layer combines them with and_gate.",
        "values": "XOR is 1 when exactly one input is 1: it is OR, except when both are 1 (then NAND is 0).",
        "dtype": "Return the gates' float64 output as it is: no .astype(int), no comparison.",
        "shape": "One output per pair of inputs: shape (n,).",
        "mutated": "Compute new values; do not assign into x1 or x2.",
    },
)

EXERCISES = (weighted_sum, step, perceptron, and_gate, or_gate, nand_gate, xor_gate)
