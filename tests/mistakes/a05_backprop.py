"""Realistic wrong answers for 05_backprop, one solution cell each.

The grader runs the whole notebook, so the reference mlp_loss_and_grads is
built on the student's dense_backward, relu_backward and
cross_entropy_backward, and the reference train_mlp on the student's
mlp_loss_and_grads and sgd_step. A broken building block therefore also
costs what is built on it, as far as it really breaks it:

- a wrong shape or a crash costs everything above it (train_mlp included);
- a gradient that points the wrong way or is 64 times too large makes
  training diverge (test accuracy ~0.10, no points for train_mlp);
- a small slip (db averaged, bias never updated, ReLU after the output
  layer) fails the exact checks but still trains to 0.8250-0.8312, so train_mlp
  keeps its points;
- a gradient that is only wrong at z == 0, or that only mutates an input,
  breaks nothing above it.

Accuracies are held-out test accuracies in the test suite's quick mode
(20 000 training examples, 5 epochs, scored against the quick targets and
tiers of autograder/targets.py: full points from 0.805; the reference
solution reaches 0.8245), measured with the grader. Every training
accuracy is at least 0.019 from a tier edge. (Until issue 34 quick mode
trained 10 epochs, a training call of 5.2 s against 2.6 s; the reference
reached 0.8560, against full points from 0.82.)
"""

from tests.mistakes import Mistake

CASCADE_TO_MLP = ("mlp_loss_and_grads",)
CASCADE_TO_TRAINING = ("mlp_loss_and_grads", "train_mlp")

_TRAIN_HEAD = "def train_mlp(X, y, hidden_sizes=(128,), epochs=10, lr={lr}, batch_size=64, seed=0, history=None):\n"
_TRAIN_BODY = (
    "    params = init_mlp([X.shape[1], *hidden_sizes, 10], seed=seed)\n"
    "    rng = np.random.default_rng(seed)\n"
    "    for epoch in tqdm(range(epochs), desc='train_mlp'):\n"
    "        order = rng.permutation(len(X))\n"
    "        losses = []\n"
    "        for start in range(0, len(X), batch_size):\n"
    "            batch = order[start:start + batch_size]\n"
    "            loss, grads = mlp_loss_and_grads(X[batch].astype(np.float64), y[batch], params)\n"
    "{step}"
    "            losses.append(loss)\n"
    "{after}"
    "        if history is not None:\n"
    "            history.setdefault('loss', []).append(float(np.mean(losses)))\n"
    "            history.setdefault('accuracy', []).append(accuracy(mlp_forward(X[:5000], params), y[:5000]))\n"
    "    return params\n"
)
_STEP = "            params = sgd_step(params, grads, lr)\n"


def _train_mlp(lr="0.1", hidden="(128,)", step=_STEP, after=""):
    return _TRAIN_HEAD.format(lr=lr).replace("hidden_sizes=(128,)", f"hidden_sizes={hidden}") + _TRAIN_BODY.format(
        step=step, after=after
    )


_MLP_FORWARD = (
    "def mlp_loss_and_grads(x, labels, params):\n"
    "    inputs, pre_activations = [], []\n"
    "    h = x\n"
    "    for i, (W, b) in enumerate(params):\n"
    "        inputs.append(h)\n"
    "        z = h @ W + b\n"
    "        pre_activations.append(z)\n"
    "{activation}"
)
_MLP_HIDDEN_RELU = "        h = relu(z) if i < len(params) - 1 else z\n"


def _mlp(backward, activation=_MLP_HIDDEN_RELU):
    return _MLP_FORWARD.format(activation=activation) + backward


MISTAKES = {
    # ---------------------------------------------------- numerical_gradient
    "numgrad_forward_difference": Mistake(
        "numerical_gradient",
        "def numerical_gradient(f, x, eps=1e-5):\n"
        "    grad = np.zeros_like(x, dtype=np.float64)\n"
        "    fx = f(x)\n"
        "    for i in np.ndindex(x.shape):\n"
        "        old = x[i]\n"
        "        x[i] = old + eps\n"
        "        grad[i] = (f(x) - fx) / eps\n"
        "        x[i] = old\n"
        "    return grad\n",
        "a forward difference, accurate only to O(eps): relative errors 2e-6..1e-4 against the 1e-6 allowed",
    ),
    "numgrad_restores_by_arithmetic": Mistake(
        "numerical_gradient",
        "def numerical_gradient(f, x, eps=1e-5):\n"
        "    grad = np.zeros_like(x, dtype=np.float64)\n"
        "    for i in np.ndindex(x.shape):\n"
        "        x[i] += eps\n"
        "        f_plus = f(x)\n"
        "        x[i] -= 2 * eps\n"
        "        f_minus = f(x)\n"
        "        x[i] += eps\n"
        "        grad[i] = (f_plus - f_minus) / (2 * eps)\n"
        "    return grad\n",
        "right values, but x[i] is put back by adding eps again: rounding leaves x changed (on every case)",
    ),
    "numgrad_never_restores": Mistake(
        "numerical_gradient",
        "def numerical_gradient(f, x, eps=1e-5):\n"
        "    grad = np.zeros_like(x, dtype=np.float64)\n"
        "    for i in np.ndindex(x.shape):\n"
        "        x[i] += eps\n"
        "        f_plus = f(x)\n"
        "        x[i] -= 2 * eps\n"
        "        f_minus = f(x)\n"
        "        grad[i] = (f_plus - f_minus) / (2 * eps)\n"
        "    return grad\n",
        "a central difference that never puts x[i] back: x ends up shifted by -eps",
    ),
    "numgrad_divides_by_eps": Mistake(
        "numerical_gradient",
        "def numerical_gradient(f, x, eps=1e-5):\n"
        "    grad = np.zeros_like(x, dtype=np.float64)\n"
        "    for i in np.ndindex(x.shape):\n"
        "        old = x[i]\n"
        "        x[i] = old + eps\n"
        "        f_plus = f(x)\n"
        "        x[i] = old - eps\n"
        "        f_minus = f(x)\n"
        "        x[i] = old\n"
        "        grad[i] = (f_plus - f_minus) / eps\n"
        "    return grad\n",
        "a central difference divided by eps instead of 2 * eps: twice the gradient",
    ),
    "numgrad_moves_whole_array": Mistake(
        "numerical_gradient",
        "def numerical_gradient(f, x, eps=1e-5):\n"
        "    slope = (f(x + eps) - f(x - eps)) / (2 * eps)\n"
        "    return np.full(x.shape, slope)\n",
        "moves every entry of x at once: the directional derivative along (1, ..., 1) in every entry",
    ),
    # -------------------------------------------------------- dense_backward
    "dense_dW_transposed": Mistake(
        "dense_backward",
        "def dense_backward(dout, x, W):\n    return dout @ W.T, dout.T @ x, dout.sum(axis=0)\n",
        "dW = dout.T @ x, the transpose: wrong shape; training crashes when sgd_step subtracts it from W",
        loses=("dense_backward", *CASCADE_TO_TRAINING),
    ),
    "dense_db_averaged": Mistake(
        "dense_backward",
        "def dense_backward(dout, x, W):\n    return dout @ W.T, x.T @ dout, dout.mean(axis=0)\n",
        "db averaged over the batch instead of summed: mlp_loss_and_grads is wrong too, but the biases only "
        "learn more slowly and training still reaches test accuracy 0.8286 (full points)",
        loses=("dense_backward", *CASCADE_TO_MLP),
        says={"dense_backward": ("db = dout.sum(axis=0)",)},
        never_says={"dense_backward": ("x.T @ dout", "dout @ W.T")},
    ),
    "dense_dx_without_transpose": Mistake(
        "dense_backward",
        "def dense_backward(dout, x, W):\n    return dout @ W, x.T @ dout, dout.sum(axis=0)\n",
        "dx = dout @ W without the transpose: a shape error for every non-square layer, so everything built "
        "on it crashes",
        loses=("dense_backward", *CASCADE_TO_TRAINING),
    ),
    # --------------------------------------------------------- relu_backward
    "relu_backward_ge_zero": Mistake(
        "relu_backward",
        "def relu_backward(dout, z):\n    return dout * (z >= 0)\n",
        "the gate open at z == 0 (>= instead of >): only exact zeros differ, which the MLP never meets",
    ),
    "relu_backward_mutates_dout": Mistake(
        "relu_backward",
        "def relu_backward(dout, z):\n    dout[z <= 0] = 0\n    return dout\n",
        "right values, but zeroes the caller's dout in place (harmless inside mlp_loss_and_grads, whose dout "
        "is a fresh array)",
    ),
    "relu_backward_mask_only": Mistake(
        "relu_backward",
        "def relu_backward(dout, z):\n    return (z > 0).astype(dout.dtype)\n",
        "returns ReLU's local slope (lesson 02's relu_grad) and forgets to multiply by dout: training "
        "diverges to test accuracy 0.1002",
        loses=("relu_backward", *CASCADE_TO_TRAINING),
    ),
    # ------------------------------------------------ cross_entropy_backward
    "ce_backward_not_divided_by_n": Mistake(
        "cross_entropy_backward",
        "def cross_entropy_backward(logits, labels):\n"
        "    dlogits = softmax(logits)\n"
        "    dlogits[np.arange(len(labels)), labels] -= 1\n"
        "    return dlogits\n",
        "the gradient of the summed loss (not divided by N): 64 times too large, training diverges "
        "(test accuracy 0.1002)",
        loses=("cross_entropy_backward", *CASCADE_TO_TRAINING),
    ),
    "ce_backward_naive_softmax": Mistake(
        "cross_entropy_backward",
        "def cross_entropy_backward(logits, labels):\n"
        "    e = np.exp(logits)\n"
        "    probs = e / e.sum(axis=1, keepdims=True)\n"
        "    probs[np.arange(len(labels)), labels] -= 1\n"
        "    return probs / len(labels)\n",
        "a softmax without the max subtraction: overflow and NaN for logits of 1000, so the MLP's hidden "
        "case with logits in the thousands fails too; Fashion-MNIST logits stay small, so training is fine",
        loses=("cross_entropy_backward", *CASCADE_TO_MLP),
    ),
    "ce_backward_no_onehot": Mistake(
        "cross_entropy_backward",
        "def cross_entropy_backward(logits, labels):\n    return softmax(logits) / len(labels)\n",
        "forgets to subtract the one-hot labels: the gradient ignores the labels, training learns nothing "
        "(test accuracy 0.1000)",
        loses=("cross_entropy_backward", *CASCADE_TO_TRAINING),
    ),
    # ---------------------------------------------------- mlp_loss_and_grads
    "mlp_relu_on_output": Mistake(
        "mlp_loss_and_grads",
        _mlp(
            "    loss = cross_entropy(h, labels)\n"
            "    grads = [None] * len(params)\n"
            "    dh = cross_entropy_backward(h, labels)\n"
            "    for i in reversed(range(len(params))):\n"
            "        dz = relu_backward(dh, pre_activations[i])\n"
            "        dh, dW, db = dense_backward(dz, inputs[i], params[i][0])\n"
            "        grads[i] = (dW, db)\n"
            "    return loss, grads\n",
            activation="        h = relu(z)\n",
        ),
        "ReLU after the output layer too: wrong loss and gradients, yet the network still trains to test "
        "accuracy 0.8312 (full points for train_mlp)",
    ),
    "mlp_grads_reversed": Mistake(
        "mlp_loss_and_grads",
        _mlp(
            "    loss = cross_entropy(h, labels)\n"
            "    grads = []\n"
            "    dz = cross_entropy_backward(h, labels)\n"
            "    for i in reversed(range(len(params))):\n"
            "        dh, dW, db = dense_backward(dz, inputs[i], params[i][0])\n"
            "        grads.append((dW, db))\n"
            "        if i > 0:\n"
            "            dz = relu_backward(dh, pre_activations[i - 1])\n"
            "    return loss, grads\n"
        ),
        "grads appended during the backward sweep and never reversed: last layer first; sgd_step then "
        "subtracts mismatched shapes and training crashes",
        loses=CASCADE_TO_TRAINING,
    ),
    "mlp_loss_summed": Mistake(
        "mlp_loss_and_grads",
        _mlp(
            "    loss = cross_entropy(h, labels) * len(labels)\n"
            "    grads = [None] * len(params)\n"
            "    dz = cross_entropy_backward(h, labels)\n"
            "    for i in reversed(range(len(params))):\n"
            "        dh, dW, db = dense_backward(dz, inputs[i], params[i][0])\n"
            "        grads[i] = (dW, db)\n"
            "        if i > 0:\n"
            "            dz = relu_backward(dh, pre_activations[i - 1])\n"
            "    return loss, grads\n"
        ),
        "returns the summed loss instead of the batch mean (the gradients are right, so training is unaffected)",
    ),
    "mlp_not_averaged": Mistake(
        "mlp_loss_and_grads",
        _mlp(
            "    loss = cross_entropy(h, labels)\n"
            "    grads = [None] * len(params)\n"
            "    dz = softmax(h)\n"
            "    dz[np.arange(len(labels)), labels] -= 1\n"
            "    for i in reversed(range(len(params))):\n"
            "        dh, dW, db = dense_backward(dz, inputs[i], params[i][0])\n"
            "        grads[i] = (dW, db)\n"
            "        if i > 0:\n"
            "            dz = relu_backward(dh, pre_activations[i - 1])\n"
            "    return loss, grads\n"
        ),
        "writes the output gradient by hand as softmax - onehot, not divided by N: the gradients are N times "
        "too large and training diverges (test accuracy 0.1002)",
        loses=CASCADE_TO_TRAINING,
    ),
    # -------------------------------------------------------------- sgd_step
    "sgd_plus": Mistake(
        "sgd_step",
        "def sgd_step(params, grads, lr):\n"
        "    return [(W + lr * dW, b + lr * db) for (W, b), (dW, db) in zip(params, grads)]\n",
        "steps up the gradient (+ instead of -): gradient ascent, training diverges (test accuracy 0.1000)",
        loses=("sgd_step", "train_mlp"),
    ),
    "sgd_in_place": Mistake(
        "sgd_step",
        "def sgd_step(params, grads, lr):\n"
        "    for (W, b), (dW, db) in zip(params, grads):\n"
        "        W -= lr * dW\n"
        "        b -= lr * db\n"
        "    return params\n",
        "updates the caller's arrays in place (harmless in the training loop, which trains as well)",
    ),
    "sgd_forgets_bias": Mistake(
        "sgd_step",
        "def sgd_step(params, grads, lr):\n    return [(W - lr * dW, b) for (W, b), (dW, db) in zip(params, grads)]\n",
        "never updates the biases: wrong values, but the weights alone train to test accuracy 0.8250",
    ),
    # ------------------------------------------------------------- train_mlp
    "train_lr_too_small": Mistake(
        "train_mlp",
        _train_mlp(lr="0.002"),
        "a learning rate 50 times too small (lr=0.002): test accuracy 0.7765, the 50% tier",
        partial={"train_mlp": 0.5},
        # The grade line names the student's own defaults, and the cell's time against its budget.
        says={"train_mlp": ("train_mlp(X, y, hidden_sizes=(128,), epochs=10, lr=0.002,", "s of its 60 s budget")},
    ),
    "train_lr_adam_default": Mistake(
        "train_mlp",
        _train_mlp(lr="5e-4"),
        "lr=5e-4, a learning rate from Adam recipes, far too small for plain SGD: test accuracy 0.7108, the 25% tier",
        partial={"train_mlp": 0.25},
    ),
    "train_step_outside_batch_loop": Mistake(
        "train_mlp",
        _train_mlp(step="", after="        params = sgd_step(params, grads, lr)\n"),
        "sgd_step indented one level too little: one step per epoch, on the last minibatch (test accuracy 0.3436)",
    ),
    "train_wrong_sign": Mistake(
        "train_mlp",
        _train_mlp(step="            params = sgd_step(params, grads, -lr)\n"),
        "passes -lr to sgd_step: gradient ascent, training diverges (test accuracy 0.1000)",
    ),
    "train_tiny_hidden_layer": Mistake(
        "train_mlp",
        _train_mlp(hidden="(4,)"),
        "a hidden layer of 4 units: far too small a network (test accuracy 0.5373)",
    ),
}
