"""05_backprop: backpropagation by hand, gradient checks, and a numpy training loop.

Every function takes numpy arrays and returns numpy results. The expected
gradients come from PyTorch's autograd in float64 (``torch.nn.functional``,
``torch.autograd``, ``torch.optim.SGD``); ``numerical_gradient`` is compared
with the exact gradient of the same test function written in torch. The
last exercise, ``train_mlp``, is a training exercise: the network it leaves
behind is scored on held-out accuracy against ``autograder.targets``.
"""

import numpy as np


from autograder.checks import Case, Exercise
from autograder.assessments import predict_mlp
from autograder.training import Training
from autograder.judge.exercises.reference import _torch, _F, first_training_examples

IMAGE_PIXELS = 28 * 28
NUM_CLASSES = 10


def _tensor(array, grad=False):
    torch = _torch()
    return torch.tensor(np.asarray(array, dtype=np.float64), requires_grad=grad)


def _numpy(tensor, dtype=np.float64):
    return tensor.detach().numpy().astype(dtype)


# ------------------------------------------------------------- references
def _dense_backward_ref(dout, x, W):
    """Autograd of out = F.linear(x, W.T, b) = x @ W + b, seeded with dout."""
    xt, Wt = _tensor(x, grad=True), _tensor(W, grad=True)
    bt = _torch().zeros(np.shape(W)[1], dtype=_torch().float64, requires_grad=True)
    out = _F().linear(xt, Wt.T, bt)
    out.backward(_tensor(dout))
    dtype = np.asarray(x).dtype
    return _numpy(xt.grad, dtype), _numpy(Wt.grad, dtype), _numpy(bt.grad, dtype)


def _relu_backward_ref(dout, z):
    zt = _tensor(z, grad=True)
    _F().relu(zt).backward(_tensor(dout))
    return _numpy(zt.grad, np.asarray(dout).dtype)


def _cross_entropy_backward_ref(logits, labels):
    torch = _torch()
    lt = _tensor(logits, grad=True)
    _F().cross_entropy(lt, torch.from_numpy(np.asarray(labels, dtype=np.int64))).backward()
    return _numpy(lt.grad, np.asarray(logits).dtype)


# numerical_gradient's test functions (autograder.probe.FunctionRef), written again in torch.
TORCH_FUNCTIONS = {
    "sum_of_cubes": lambda x: (x**3).sum(),
    "sin_times_square": lambda x: (x.sin() * x**2).sum(),
    "log_sum_exp": lambda x: x.flatten().logsumexp(dim=0),
}


def _numerical_gradient_ref(f, x, eps=1e-5):
    """The exact gradient, by autograd: central differences must come within the tolerance."""
    xt = _tensor(x, grad=True)
    TORCH_FUNCTIONS[f.name](xt).backward()
    return _numpy(xt.grad)


def _mlp_loss_and_grads_ref(x, labels, params):
    torch = _torch()
    F = _F()
    layers = [(_tensor(W, grad=True), _tensor(b, grad=True)) for W, b in params]
    h = _tensor(x)
    for i, (W, b) in enumerate(layers):
        h = F.linear(h, W.T, b)
        if i < len(layers) - 1:
            h = F.relu(h)
    loss = F.cross_entropy(h, torch.from_numpy(np.asarray(labels, dtype=np.int64)))
    loss.backward()
    return float(loss.item()), [(_numpy(W.grad), _numpy(b.grad)) for W, b in layers]


# _sgd_step_ref steps torch.optim.SGD: a warm judge imports what its constructor needs once (judge/server.py).
REFERENCE_OPTIMIZERS = True


def _sgd_step_ref(params, grads, lr):
    torch = _torch()
    tensors = []
    for (W, b), (dW, db) in zip(params, grads):
        for value, grad in ((W, dW), (b, db)):
            t = _tensor(value, grad=True)
            t.grad = _tensor(grad)
            tensors.append(t)
    torch.optim.SGD(tensors, lr=float(lr)).step()
    arrays = [_numpy(t) for t in tensors]
    return [(arrays[i], arrays[i + 1]) for i in range(0, len(arrays), 2)]


# ------------------------------------------------------------------ inputs
def _dense_input(n, d_in, d_out, scale=1.0):
    def make(rng):
        return (
            rng.standard_normal((n, d_out)) * scale,
            rng.standard_normal((n, d_in)) * scale,
            rng.standard_normal((d_in, d_out)),
        )

    return make


def _relu_input(*shape, dtype=np.float64):
    """dout and z of ``shape``; every third entry of z is exactly 0."""

    def make(rng):
        z = rng.standard_normal(shape) * 2
        z.flat[::3] = 0.0
        return rng.standard_normal(shape).astype(dtype), z.astype(dtype)

    return make


def _relu_fixed(rng):
    return np.array([0.5, -1.0, 2.0, 3.0, -0.25]), np.array([-2.0, -0.5, 0.0, 0.5, 2.0])


def _scores(values, labels):
    return lambda rng: (np.array(values, dtype=np.float64), np.array(labels, dtype=np.int64))


def _random_scores(n, num_classes, scale=2.0, shift=0.0, label=None):
    def make(rng):
        logits = rng.standard_normal((n, num_classes)) * scale + shift
        labels = np.full(n, label) if label is not None else rng.integers(0, num_classes, size=n)
        return logits, labels.astype(np.int64)

    return make


def _uniform_scores(n, num_classes, low, high):
    def make(rng):
        return rng.uniform(low, high, size=(n, num_classes)), rng.integers(0, num_classes, size=n).astype(np.int64)

    return make


EXTREME_LOGITS = _scores(
    [[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 999.0], [1000.0, 1000.0, -1000.0], [-1000.0, 0.0, 1000.0]],
    [1, 2, 0, 0],
)


def _test_function(name, *shape, scale=1.0):
    """A FunctionRef (only its name travels) and a random point x of ``shape``."""
    from autograder.probe import FunctionRef

    def make(rng):
        return FunctionRef(name), rng.standard_normal(shape) * scale

    return make


def _mlp_input(n, sizes, scale=1.0):
    """x (n, sizes[0]), labels (n,), and params: one (W, b) pair per layer, biases not zero."""

    def make(rng):
        x = rng.standard_normal((n, sizes[0])) * scale
        labels = rng.integers(0, sizes[-1], size=n).astype(np.int64)
        params = [
            (rng.standard_normal((d_in, d_out)) * np.sqrt(2.0 / d_in), rng.standard_normal(d_out) * 0.1)
            for d_in, d_out in zip(sizes[:-1], sizes[1:])
        ]
        return x, labels, params

    return make


def _sgd_input(sizes, lr):
    def make(rng):
        shapes = list(zip(sizes[:-1], sizes[1:]))
        params = [(rng.standard_normal((a, b)), rng.standard_normal(b)) for a, b in shapes]
        grads = [(rng.standard_normal((a, b)), rng.standard_normal(b)) for a, b in shapes]
        return params, grads, lr

    return make


# --------------------------------------------------------------- exercises
dense_backward = Exercise(
    signature="dense_backward(dout, x, W)",
    reference=_dense_backward_ref,
    output_names=("dx", "dW", "db"),
    cases=(
        Case("a batch of 4 inputs, 3 features in, 5 out", _dense_input(4, 3, 5)),
        Case("a batch of 10 inputs, 6 features in, 2 out", _dense_input(10, 6, 2)),
        Case("a batch of one input", _dense_input(1, 7, 4), hidden=True),
        Case("square weights (as many outputs as inputs)", _dense_input(5, 4, 4), hidden=True),
        Case("a single output unit", _dense_input(8, 5, 1), hidden=True),
        Case("a large batch with more outputs than inputs", _dense_input(64, 5, 12), hidden=True),
        Case("large values", _dense_input(6, 3, 7, scale=1e3), hidden=True),
    ),
    hints={
        "shape": "Each gradient has the shape of the thing it is the gradient of: dx like x (N, D_in), "
        "dW like W (D_in, D_out), db like b (D_out,). Let the shapes choose the products: "
        "dW = x.T @ dout, dx = dout @ W.T, db = dout.sum(axis=0).",
        "values": "dW = x.T @ dout (not dout.T @ x), dx = dout @ W.T, and db = dout.sum(axis=0): sum over the "
        "batch, do not average. The 1/N of the mean loss is already inside dout.",
        # One hint per gradient: a message addresses only the part that is wrong.
        "values:dx": "dx = dout @ W.T: each input feature collects the gradient of every output it feeds, "
        "through its weight.",
        "values:dW": "dW = x.T @ dout (not dout.T @ x, not without the transpose): the weight from input i to "
        "output j collects x[:, i] * dout[:, j] over the batch.",
        "values:db": "db = dout.sum(axis=0): sum over the batch, do not average. The 1/N of the mean loss is "
        "already inside dout.",
        "type": "Return the three gradients as a tuple (dx, dW, db), in that order.",
        "error": "dout is (N, D_out), x is (N, D_in) and W is (D_in, D_out): check that the inner sizes of "
        "each matrix product agree (dW = x.T @ dout, dx = dout @ W.T).",
        "mutated": "Compute new arrays; do not assign into dout, x or W.",
    },
)

relu_backward = Exercise(
    signature="relu_backward(dout, z)",
    reference=_relu_backward_ref,
    cases=(
        Case("a vector with an exact zero in z", _relu_fixed),
        Case("a random (4, 5) batch, z with exact zeros", _relu_input(4, 5)),
        Case("z all exact zeros", lambda rng: (rng.standard_normal((2, 3)), np.zeros((2, 3))), hidden=True),
        Case("a 3-D batch, z with exact zeros", _relu_input(2, 3, 4), hidden=True),
        Case("float32 inputs keep their dtype", _relu_input(3, 6, dtype=np.float32), hidden=True),
        Case(
            "z all positive: the gradient passes unchanged",
            lambda rng: (rng.standard_normal((3, 4)), np.abs(rng.standard_normal((3, 4))) + 0.1),
            hidden=True,
        ),
    ),
    hints={
        "values": "ReLU is a gate: the upstream gradient passes where z > 0 and is blocked (0) elsewhere, "
        "including at exactly z == 0, as in PyTorch. dz = dout * (z > 0): multiply dout, do not "
        "return the mask alone and do not clip dout itself.",
        "mutated": "dout[z <= 0] = 0 changes the caller's array. Build a new one: dout * (z > 0), "
        "or np.where(z > 0, dout, 0.0).",
        "dtype": "Keep dout's dtype: dout * (z > 0) does (a boolean mask times floats gives floats).",
        "shape": "dz has the shape of z (and of dout): work elementwise.",
        "type": "Return a numpy array.",
    },
)

cross_entropy_backward = Exercise(
    signature="cross_entropy_backward(logits, labels)",
    reference=_cross_entropy_backward_ref,
    cases=(
        Case("a batch of (4, 3) logits", _random_scores(4, 3)),
        Case("a batch of 8 examples over 10 classes", _random_scores(8, 10)),
        Case("logits of \u00b11000", EXTREME_LOGITS),
        Case("a single example", _scores([[2.0, 1.0, 0.1, -1.0]], [2]), hidden=True),
        Case("a batch of 64 examples over 10 classes", _random_scores(64, 10), hidden=True),
        Case("large negative logits", _uniform_scores(5, 7, -1000.0, -800.0), hidden=True),
        Case("large positive logits", _uniform_scores(5, 7, 800.0, 1000.0), hidden=True),
        Case("every example of the same class", _random_scores(6, 4, label=3), hidden=True),
        Case("many classes", _random_scores(12, 100), hidden=True),
    ),
    forbid_warnings=True,
    hints={
        "values": "The gradient of the batch-mean cross-entropy is (softmax(logits) - one_hot(labels)) / N: "
        "subtract 1 at each row's true class (probs[np.arange(N), labels] -= 1) and divide by the "
        "batch size N, because the loss is a mean over the batch.",
        "warning": "Subtract each row's maximum before np.exp (the stable softmax of lesson 02): exp(1000) overflows.",
        "nan": "Subtract each row's maximum before np.exp (the stable softmax of lesson 02); never divide "
        "by a sum of exponentials that may be inf or 0.",
        "shape": "The gradient has the shape of logits, (N, C): one row per example, one column per class.",
        "error": "logits has shape (N, C) and labels shape (N,): index the true classes with "
        "probs[np.arange(N), labels].",
        "mutated": "Work on a new array (softmax returns one); do not assign into logits.",
    },
)

numerical_gradient = Exercise(
    signature="numerical_gradient(f, x, eps=1e-5)",
    reference=_numerical_gradient_ref,
    rtol=1e-6,
    atol=1e-8,
    cases=(
        Case("f = sum(x ** 3) on a (3, 4) array", _test_function("sum_of_cubes", 3, 4)),
        Case("f = sum(sin(x) * x ** 2) on a vector", _test_function("sin_times_square", 6)),
        Case("f = log(sum(exp(x))) on a (2, 3) array", _test_function("log_sum_exp", 2, 3), hidden=True),
        Case("a 3-D array", _test_function("sum_of_cubes", 2, 3, 2), hidden=True),
        Case("a single entry", _test_function("sin_times_square", 1, scale=2.0), hidden=True),
        Case("a smaller eps=1e-6", _test_function("sin_times_square", 4, 2), kwargs={"eps": 1e-6}, hidden=True),
        Case("a long vector", _test_function("log_sum_exp", 40), hidden=True),
    ),
    hints={
        "values": "Use central differences: grad[i] = (f(x + eps at i) - f(x - eps at i)) / (2 * eps), moving "
        "only the entry x[i] each time. A forward difference (f(x + eps at i) - f(x)) / eps is only "
        "accurate to O(eps), too coarse for this check.",
        "mutated": "x must be exactly as it was afterwards. Store old = x[i] before you change it and put it "
        "back with x[i] = old: adding eps and subtracting it again does not always give back the "
        "same float.",
        "shape": "The gradient has x's shape: start from np.zeros_like(x) and visit every index with "
        "np.ndindex(x.shape), which works for any number of dimensions.",
        "dtype": "Return float64 gradients: np.zeros_like(x, dtype=np.float64).",
        "type": "Return a numpy array of x's shape, one partial derivative per entry.",
        "error": "f takes the whole array x and returns one number: change one entry x[i], call f(x), and "
        "visit every index with np.ndindex(x.shape).",
    },
)

mlp_loss_and_grads = Exercise(
    signature="mlp_loss_and_grads(x, labels, params)",
    builds_on=("dense_backward", "relu_backward", "cross_entropy_backward"),
    reference=_mlp_loss_and_grads_ref,
    output_names=("loss", "grads"),
    forbid_warnings=True,
    cases=(
        Case("one layer (softmax regression): 5 examples, 4 features, 3 classes", _mlp_input(5, (4, 3))),
        Case("two layers: 6 examples, sizes 5 -> 7 -> 4", _mlp_input(6, (5, 7, 4))),
        Case("three layers: 8 examples, sizes 6 -> 5 -> 4 -> 3", _mlp_input(8, (6, 5, 4, 3))),
        Case("large inputs: logits in the thousands", _mlp_input(4, (3, 5, 3), scale=3000.0)),
        Case("a batch of one example, two layers", _mlp_input(1, (4, 6, 3)), hidden=True),
        Case("three wider layers and 10 classes", _mlp_input(32, (20, 32, 16, 10)), hidden=True),
        Case("four layers", _mlp_input(7, (5, 6, 4, 5, 3)), hidden=True),
        Case("large inputs: logits in the thousands", _mlp_input(6, (5, 8, 4), scale=3000.0), hidden=True),
    ),
    hints={
        "values": "First make the checks of dense_backward, relu_backward and cross_entropy_backward pass. "
        "Forward: z = h @ W + b for every layer, ReLU after every layer except the last, then the "
        "batch-mean cross-entropy of the last layer's logits. Backward, from the last layer to the "
        "first: cross_entropy_backward, then dense_backward for each layer, and relu_backward with "
        "the previous layer's z before every layer but the last. Keep each layer's input h and z "
        "from the forward pass.",
        "shape": "grads must line up with params: grads[i] = (dW, db), of the shapes of params[i] = (W, b), "
        "first layer first. If dense_backward's check fails, fix it first; otherwise fill the list "
        "from the back (grads[i] = ...) or reverse it at the end.",
        "type": "Return a tuple (loss, grads): loss one number, grads a list of (dW, db) pairs, one per layer.",
        "warning": "Compute the loss with the stable cross_entropy of the helpers cell and the gradient with "
        "your stable cross_entropy_backward; never np.exp raw logits.",
        "nan": "Compute the loss with the stable cross_entropy of the helpers cell and the gradient with "
        "your stable cross_entropy_backward; never np.exp raw logits.",
        "error": "params is a list of (W, b) pairs with W of shape (D_in, D_out): loop with "
        "for W, b in params, and keep the inputs of every layer for the backward pass.",
        "mutated": "Do not assign into x, labels or the arrays in params: compute new arrays.",
    },
)

sgd_step = Exercise(
    signature="sgd_step(params, grads, lr)",
    reference=_sgd_step_ref,
    cases=(
        Case("two layers, lr=0.1", _sgd_input((4, 3, 2), 0.1)),
        Case("one layer, lr=0.5", _sgd_input((5, 3), 0.5)),
        Case("three layers, lr=0.01", _sgd_input((6, 5, 4, 3), 0.01), hidden=True),
        Case("lr=0 gives the same values", _sgd_input((3, 4, 2), 0.0), hidden=True),
        Case("a large learning rate", _sgd_input((2, 7, 3), 10.0), hidden=True),
    ),
    hints={
        "values": "Step against the gradient, for every layer: W - lr * dW and b - lr * db, with the lr argument.",
        "mutated": "W -= lr * dW changes the caller's array in place. Build new arrays (W - lr * dW) and return "
        "a new list of (W, b) pairs.",
        "type": "Return a list of (W, b) pairs, one per layer, like params: a list comprehension over "
        "zip(params, grads) does it.",
        "shape": "Return one (W, b) pair per layer, each array of the shape it had in params.",
        "error": "params and grads are lists of pairs: for (W, b), (dW, db) in zip(params, grads).",
    },
)


train_mlp = Training(
    signature="train_mlp(X, y, hidden_sizes=(128,), epochs=10, lr=0.1, batch_size=64, seed=0)",
    harness="train_mlp_run",
    inputs=first_training_examples,  # as the notebook's data cell (the harness normalises)
    builds_on=("mlp_loss_and_grads", "sgd_step"),
    assignment="05_backprop",
    variable="trained_params",
    predict=predict_mlp,
    hints={
        "model": "train_mlp must return the trained params as init_mlp makes them: a list of (W, b) pairs of "
        "numpy arrays, W of shape (D_in, D_out) and b of shape (D_out,), from the 784 pixels to the "
        "10 classes.",
        "accuracy": "First make every check above pass: train_mlp trains with your mlp_loss_and_grads and "
        "sgd_step. Then check the loop: a fresh rng.permutation every epoch, one sgd_step per "
        "minibatch (inside the batch loop), params = sgd_step(...) so that the new params are used, "
        "and the defaults lr=0.1, batch_size=64, epochs=10, hidden_sizes=(128,). "
        "history['loss'] should fall steadily.",
    },
)

EXERCISES = (
    numerical_gradient,
    dense_backward,
    relu_backward,
    cross_entropy_backward,
    mlp_loss_and_grads,
    sgd_step,
    train_mlp,
)
