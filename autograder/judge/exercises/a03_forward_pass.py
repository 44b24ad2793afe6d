"""03_forward_pass: a dense layer, He initialisation, the forward pass of an MLP, and prediction.

Parameters are a list of ``(W, b)`` pairs, one per layer, with W of shape
(d_in, d_out) and b of shape (d_out,), so a layer computes ``x @ W + b``.
References are PyTorch's own (``F.linear`` takes the weight as (d_out, d_in),
hence the ``W.T``), computed in float64. init_mlp has no single right answer:
``assess_init`` checks its structure, its statistics and its use of the seed, and three cases call
it again with a seed another case used, after another seed, in a process of their own: the same
parameters must come back (``Case.agrees_with``), which no cache and no unseeded generator gives.
"""

import math

import numpy as np


from autograder.assessments import assess_init, same_params
from autograder.checks import Case, Exercise
from autograder.judge.exercises.reference import _torch


# ------------------------------------------------------------- references
def _t(array):
    return _torch().from_numpy(np.asarray(array, dtype=np.float64))


def _forward_ref(x, params):
    """Logits of the MLP, as a float64 torch tensor: linear, then ReLU between layers."""
    F = _torch().nn.functional
    h = _t(x)
    for i, (W, b) in enumerate(params):
        h = F.linear(h, _t(W).T, _t(b))
        if i < len(params) - 1:
            h = F.relu(h)
    return h


def _dense_ref(x, W, b):
    out = _torch().nn.functional.linear(_t(x), _t(W).T, _t(b))
    return out.numpy().astype(np.asarray(x).dtype)


def _init_ref(layer_sizes, seed=0):
    rng = np.random.default_rng(seed)
    return [
        (rng.standard_normal((d_in, d_out)) * math.sqrt(2.0 / d_in), np.zeros(d_out))
        for d_in, d_out in zip(layer_sizes[:-1], layer_sizes[1:])
    ]


def _mlp_forward_ref(x, params):
    return _forward_ref(x, params).numpy()


def _predict_ref(x, params):
    return _forward_ref(x, params).argmax(dim=1).numpy()


# ------------------------------------------------------------------ inputs
def _dense_input(n, d_in, d_out, x_scale=1.0):
    def make(rng):
        x = rng.standard_normal((n, d_in)) * x_scale
        W = rng.standard_normal((d_in, d_out)) / math.sqrt(d_in)
        b = rng.standard_normal(d_out)
        return x, W, b

    return make


def _dense_float32_exact(rng):
    """float32 inputs on a grid of quarters: every product and sum is exact in float32,
    so any order of summation gives exactly the reference."""

    def quarters(*shape):
        return (rng.integers(-8, 9, size=shape) / 4).astype(np.float32)

    return quarters(5, 6), quarters(6, 3), quarters(3)


def _params(rng, sizes, last_bias=None):
    params = []
    for i, (d_in, d_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        W = rng.standard_normal((d_in, d_out)) * math.sqrt(2.0 / d_in)
        b = rng.standard_normal(d_out) * 0.5
        if last_bias is not None and i == len(sizes) - 2:
            b = last_bias(rng, d_out)
        params.append((W, b))
    return params


def _network(n, sizes, x_scale=1.0, last_bias=None):
    """A batch x of shape (n, sizes[0]) and random parameters for the layer sizes."""

    def make(rng):
        x = rng.standard_normal((n, sizes[0])) * x_scale
        return x, _params(rng, sizes, last_bias)

    return make


def _images_like(n, sizes):
    """Inputs in [-1, 1], like normalised Fashion-MNIST pixels."""

    def make(rng):
        return rng.uniform(-1, 1, size=(n, sizes[0])), _params(rng, sizes)

    return make


def _all_negative(rng, d_out):
    """Output biases that push every logit below zero."""
    return -10.0 - rng.uniform(0, 2, size=d_out)


def _init_case(label, sizes, seed=None, hidden=False, agrees_with=None):
    """Calls init_mlp(sizes[, seed]), then again with the same seed, then with seed + 1. ``agrees_with``:
    the case (its index) whose first call, made in another process, used seed + 1: the last call here must
    give the same parameters, after two calls with another seed (no cache or unseeded generator can)."""
    same = 0 if seed is None else seed
    return Case(
        label,
        lambda rng: (list(sizes),),
        kwargs={} if seed is None else {"seed": seed},
        hidden=hidden,
        repeat_with=({"seed": same}, {"seed": same + 1}),
        agrees_with=agrees_with,
    )


# --------------------------------------------------------------- exercises
dense = Exercise(
    signature="dense(x, W, b)",
    reference=_dense_ref,
    cases=(
        Case("a (4, 3) batch into 5 units", _dense_input(4, 3, 5)),
        Case("a (2, 6) batch into 2 units", _dense_input(2, 6, 2, x_scale=3.0)),
        Case("a single example (1, 3) into 2 units", _dense_input(1, 3, 2)),
        Case("float32 inputs keep their dtype", _dense_float32_exact),
        Case("a single example (1, 8) into 4 units", _dense_input(1, 8, 4), hidden=True),
        Case("float32 inputs keep their dtype", _dense_float32_exact, hidden=True),
        Case("a single output unit (D_out = 1)", _dense_input(7, 5, 1), hidden=True),
        Case("a square weight matrix (D_in = D_out)", _dense_input(6, 6, 6), hidden=True),
        Case("a Fashion-MNIST-sized batch (32, 784) into 128 units", _dense_input(32, 784, 128), hidden=True),
    ),
    hints={
        "values": "Compute x @ W + b: a matrix product of x (N, D_in) with W (D_in, D_out), not x * W and not "
        "x @ W.T, then add the bias b to every row.",
        "shape": "x @ W has shape (N, D_out), and b of shape (D_out,) broadcasts over the rows: the result has "
        "shape (N, D_out). Do not squeeze, reshape or transpose it.",
        "error": "x @ W needs the last axis of x (D_in) to match the first axis of W: use W as it is, not W.T. "
        "Add b as it is, shape (D_out,); it broadcasts over the N rows without a reshape.",
        "dtype": "Keep the dtype of the inputs: x @ W + b does. Do not convert x or the result to float64.",
        "type": "Return a numpy array: x @ W + b.",
        "mutated": "Compute a new array; do not use += on x, W or b.",
    },
)

init_mlp = Exercise(
    signature="init_mlp(layer_sizes, seed=0)",
    reference=_init_ref,
    assess=assess_init,
    same=same_params,
    cases=(
        _init_case("layer sizes [784, 128, 10] with the default seed", [784, 128, 10]),
        _init_case("a tiny one-layer network [4, 3]", [4, 3]),
        _init_case("layer sizes [784, 128, 10] with seed=3", [784, 128, 10], seed=3),
        _init_case("four layers [784, 256, 64, 10]", [784, 256, 64, 10], hidden=True),
        _init_case("a narrow-to-wide network [20, 300, 50] with seed=7", [20, 300, 50], seed=7, hidden=True),
        _init_case("one wide layer [1000, 40] with seed=42", [1000, 40], seed=42, hidden=True),
        _init_case(
            "[784, 128, 10] with seed=2, then seed=3 as in another process", [784, 128, 10], seed=2, agrees_with=2
        ),
        _init_case("[20, 300, 50] with seed=6, then seed=7 as in another process", [20, 300, 50], 6, True, 4),
        _init_case("[1000, 40] with seed=41, then seed=42 as in another process", [1000, 40], 41, True, 5),
    ),
    hints={
        "type": "Return a list with one tuple (W, b) per layer: build it with params.append((W, b)).",
        "shape": "For layer_sizes [d_0, d_1, ..., d_L] there are L layers; layer i maps d_i inputs to d_(i+1) "
        "outputs, so W has shape (d_i, d_(i+1)) and b has shape (d_(i+1),). Loop over "
        "zip(layer_sizes[:-1], layer_sizes[1:]).",
        "dtype": "Keep float64, the default of rng.standard_normal and np.zeros: no .astype(np.float32).",
        "values": "Draw W = rng.standard_normal((d_in, d_out)) * np.sqrt(2 / d_in): the scale uses the layer's "
        "number of inputs d_in. Set b = np.zeros(d_out).",
        "seed": "Create one generator, rng = np.random.default_rng(seed), at the start and draw every W from it. "
        "np.random.randn and np.random.default_rng() without the seed ignore the seed argument.",
        "nan": "Use np.sqrt(2 / d_in) with d_in > 0: check which layer size you divide by.",
        "mutated": "Do not change layer_sizes; read it, and build a new list of parameters.",
    },
)

mlp_forward = Exercise(
    signature="mlp_forward(x, params)",
    builds_on=("dense",),
    reference=_mlp_forward_ref,
    cases=(
        Case("one layer: a linear classifier (5, 4) -> 3", _network(5, [4, 3])),
        Case("two layers (6, 4) -> 8 -> 3", _network(6, [4, 8, 3], x_scale=2.0)),
        Case("three layers (10, 20) -> 16 -> 12 -> 5", _network(10, [20, 16, 12, 5]), hidden=True),
        Case("a Fashion-MNIST-sized network (16, 784) -> 128 -> 10", _images_like(16, [784, 128, 10]), hidden=True),
        Case(
            "four layers with negative output biases",
            _network(8, [5, 7, 7, 6, 4], last_bias=_all_negative),
            hidden=True,
        ),
    ),
    hints={
        "values": "Apply the layers in order, h = dense(h, W, b), with a ReLU after every layer except the last: "
        "the output layer returns the raw logits, which can be negative. No softmax or sigmoid at the end.",
        "shape": "Use every (W, b) pair in params: the logits have shape (N, C), where C is the number of units "
        "of the last layer.",
        "error": "Each layer's output, of shape (N, d_out), is the next layer's input: loop over the (W, b) pairs "
        "in params in order and call dense(h, W, b).",
        "dtype": "Return the last layer's output as it is (float64): no .astype.",
        "type": "Return only the logits, a numpy array of shape (N, C).",
        "mutated": "Read params without changing it: no params.pop(), no += on x or on the weights.",
    },
)

predict = Exercise(
    signature="predict(x, params)",
    builds_on=("mlp_forward",),
    reference=_predict_ref,
    cases=(
        Case("two layers (8, 4) -> 6 -> 3", _network(8, [4, 6, 3])),
        Case(
            "a network whose logits are all negative, (6, 5) -> 8 -> 4", _network(6, [5, 8, 4], last_bias=_all_negative)
        ),
        Case("one layer (12, 5) -> 4", _network(12, [5, 4]), hidden=True),
        Case("three layers (20, 30) -> 16 -> 8 -> 10", _network(20, [30, 16, 8, 10]), hidden=True),
        Case("a Fashion-MNIST-sized network (16, 784) -> 128 -> 10", _images_like(16, [784, 128, 10]), hidden=True),
    ),
    hints={
        "shape": "One class index per example: np.argmax(logits, axis=1) has shape (N,). axis=0 would pick an "
        "example for every class instead.",
        "dtype": "Return the class indices (integers, int64, as np.argmax gives them), not the largest scores "
        "and not floats.",
        "values": "Compute the logits with your mlp_forward, then take the index of the largest logit in each "
        "row: np.argmax(logits, axis=1).",
        "type": "np.argmax(logits) without an axis returns one number for the whole batch: use axis=1.",
        "error": "Compute logits = mlp_forward(x, params) first, then np.argmax(logits, axis=1).",
        "mutated": "Read x and params without changing them.",
    },
)

EXERCISES = (dense, init_mlp, mlp_forward, predict)
