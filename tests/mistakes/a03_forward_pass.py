"""Realistic wrong answers for 03_forward_pass, one solution cell each.

mlp_forward is built on the student's dense (and the notebook's relu), and
predict on the student's mlp_forward. So a dense that breaks on the
networks' shapes costs all three; a dense that only fails its own hidden
cases (float32 inputs, a single output unit) costs only itself. An
mlp_forward whose output layer is squashed by a monotone function (softmax,
sigmoid) or cast to float32 keeps every argmax, so predict keeps its points;
one that changes the logits' order (ReLU on the output, no ReLU at all)
costs predict too. init_mlp is not used by any other graded function.
"""

from tests.mistakes import Mistake

DENSE_AND_UP = ("dense", "mlp_forward", "predict")
FORWARD_AND_PREDICT = ("mlp_forward", "predict")

MISTAKES = {
    # ----------------------------------------------------------------- dense
    "dense_casts_to_float64": Mistake(
        "dense",
        "def dense(x, W, b):\n    return (x @ W + b).astype(np.float64)\n",
        "a dense layer that converts its result to float64: float32 inputs lose their dtype",
    ),
    "dense_inputs_as_float": Mistake(
        "dense",
        "def dense(x, W, b):\n"
        "    x = np.asarray(x, dtype=float)\n"
        "    W = np.asarray(W, dtype=float)\n"
        "    return np.dot(x, W) + b\n",
        "a dense layer that converts its inputs with dtype=float (float64) first",
    ),
    "dense_squeezes": Mistake(
        "dense",
        "def dense(x, W, b):\n    return np.squeeze(x @ W + b)\n",
        "a dense layer that squeezes its output: a single example or a single unit loses an axis",
    ),
    "dense_transposed_W": Mistake(
        "dense",
        "def dense(x, W, b):\n    return x @ W.T + b\n",
        "W used as (D_out, D_in), PyTorch's layout: x @ W.T",
        loses=DENSE_AND_UP,
    ),
    "dense_forgets_bias": Mistake(
        "dense",
        "def dense(x, W, b):\n    return x @ W\n",
        "a dense layer without its bias",
        loses=DENSE_AND_UP,
    ),
    "dense_bias_as_column": Mistake(
        "dense",
        "def dense(x, W, b):\n    return x @ W + b.reshape(-1, 1)\n",
        "the bias added as a column (D_out, 1): along the wrong axis",
        loses=DENSE_AND_UP,
    ),
    # -------------------------------------------------------------- init_mlp
    "init_lecun_std": Mistake(
        "init_mlp",
        "def init_mlp(layer_sizes, seed=0):\n"
        "    rng = np.random.default_rng(seed)\n"
        "    params = []\n"
        "    for d_in, d_out in zip(layer_sizes[:-1], layer_sizes[1:]):\n"
        "        W = rng.standard_normal((d_in, d_out)) * np.sqrt(1 / d_in)\n"
        "        params.append((W, np.zeros(d_out)))\n"
        "    return params\n",
        "LeCun's std sqrt(1 / d_in) instead of He's sqrt(2 / d_in)",
    ),
    "init_xavier_std": Mistake(
        "init_mlp",
        "def init_mlp(layer_sizes, seed=0):\n"
        "    rng = np.random.default_rng(seed)\n"
        "    params = []\n"
        "    for d_in, d_out in zip(layer_sizes[:-1], layer_sizes[1:]):\n"
        "        W = rng.standard_normal((d_in, d_out)) * np.sqrt(2 / (d_in + d_out))\n"
        "        params.append((W, np.zeros(d_out)))\n"
        "    return params\n",
        "Glorot/Xavier's std sqrt(2 / (d_in + d_out)) instead of He's",
    ),
    "init_std_from_d_out": Mistake(
        "init_mlp",
        "def init_mlp(layer_sizes, seed=0):\n"
        "    rng = np.random.default_rng(seed)\n"
        "    params = []\n"
        "    for d_in, d_out in zip(layer_sizes[:-1], layer_sizes[1:]):\n"
        "        W = rng.standard_normal((d_in, d_out)) * np.sqrt(2 / d_out)\n"
        "        params.append((W, np.zeros(d_out)))\n"
        "    return params\n",
        "the He scale computed from the layer's outputs: sqrt(2 / d_out)",
    ),
    "init_variance_as_std": Mistake(
        "init_mlp",
        "def init_mlp(layer_sizes, seed=0):\n"
        "    rng = np.random.default_rng(seed)\n"
        "    params = []\n"
        "    for d_in, d_out in zip(layer_sizes[:-1], layer_sizes[1:]):\n"
        "        W = rng.standard_normal((d_in, d_out)) * (2 / d_in)\n"
        "        params.append((W, np.zeros(d_out)))\n"
        "    return params\n",
        "the variance 2 / d_in used as the standard deviation (no square root)",
    ),
    "init_random_bias": Mistake(
        "init_mlp",
        "def init_mlp(layer_sizes, seed=0):\n"
        "    rng = np.random.default_rng(seed)\n"
        "    params = []\n"
        "    for d_in, d_out in zip(layer_sizes[:-1], layer_sizes[1:]):\n"
        "        W = rng.standard_normal((d_in, d_out)) * np.sqrt(2 / d_in)\n"
        "        b = rng.standard_normal(d_out) * np.sqrt(2 / d_in)\n"
        "        params.append((W, b))\n"
        "    return params\n",
        "biases drawn at random like the weights instead of zeros",
    ),
    "init_W_transposed": Mistake(
        "init_mlp",
        "def init_mlp(layer_sizes, seed=0):\n"
        "    rng = np.random.default_rng(seed)\n"
        "    params = []\n"
        "    for d_in, d_out in zip(layer_sizes[:-1], layer_sizes[1:]):\n"
        "        W = rng.standard_normal((d_out, d_in)) * np.sqrt(2 / d_in)\n"
        "        params.append((W, np.zeros(d_out)))\n"
        "    return params\n",
        "W of shape (d_out, d_in), PyTorch's layout, instead of (d_in, d_out)",
    ),
    "init_ignores_seed": Mistake(
        "init_mlp",
        "def init_mlp(layer_sizes, seed=0):\n"
        "    params = []\n"
        "    for d_in, d_out in zip(layer_sizes[:-1], layer_sizes[1:]):\n"
        "        W = np.random.randn(d_in, d_out) * np.sqrt(2 / d_in)\n"
        "        params.append((W, np.zeros(d_out)))\n"
        "    return params\n",
        "np.random.randn: the global generator ignores the seed argument",
    ),
    "init_fixed_seed": Mistake(
        "init_mlp",
        "def init_mlp(layer_sizes, seed=0):\n"
        "    rng = np.random.default_rng(0)\n"
        "    params = []\n"
        "    for d_in, d_out in zip(layer_sizes[:-1], layer_sizes[1:]):\n"
        "        W = rng.standard_normal((d_in, d_out)) * np.sqrt(2 / d_in)\n"
        "        params.append((W, np.zeros(d_out)))\n"
        "    return params\n",
        "a generator seeded with a hard-coded 0: every seed gives the same parameters",
    ),
    "init_uniform": Mistake(
        "init_mlp",
        "def init_mlp(layer_sizes, seed=0):\n"
        "    rng = np.random.default_rng(seed)\n"
        "    params = []\n"
        "    for d_in, d_out in zip(layer_sizes[:-1], layer_sizes[1:]):\n"
        "        W = rng.random((d_in, d_out)) * np.sqrt(2 / d_in)\n"
        "        params.append((W, np.zeros(d_out)))\n"
        "    return params\n",
        "rng.random (uniform on [0, 1), mean 0.5) instead of the standard normal",
    ),
    "init_one_layer_too_many": Mistake(
        "init_mlp",
        "def init_mlp(layer_sizes, seed=0):\n"
        "    rng = np.random.default_rng(seed)\n"
        "    params = []\n"
        "    for d in layer_sizes[1:]:\n"
        "        W = rng.standard_normal((layer_sizes[0], d)) * np.sqrt(2 / layer_sizes[0])\n"
        "        params.append((W, np.zeros(d)))\n"
        "    return params\n",
        "every W takes layer_sizes[0] inputs, not the previous layer's size",
    ),
    # ----------------------------------------------------------- mlp_forward
    "forward_softmax_output": Mistake(
        "mlp_forward",
        "def mlp_forward(x, params):\n"
        "    h = x\n"
        "    for W, b in params[:-1]:\n"
        "        h = relu(dense(h, W, b))\n"
        "    W, b = params[-1]\n"
        "    z = dense(h, W, b)\n"
        "    e = np.exp(z - z.max(axis=1, keepdims=True))\n"
        "    return e / e.sum(axis=1, keepdims=True)\n",
        "softmax applied to the logits: probabilities, not logits (the argmax is kept)",
    ),
    "forward_sigmoid_output": Mistake(
        "mlp_forward",
        "def mlp_forward(x, params):\n"
        "    h = x\n"
        "    for W, b in params[:-1]:\n"
        "        h = relu(dense(h, W, b))\n"
        "    W, b = params[-1]\n"
        "    return 1 / (1 + np.exp(-dense(h, W, b)))\n",
        "the logits squashed by a sigmoid (monotone: the argmax is kept)",
    ),
    "forward_float32": Mistake(
        "mlp_forward",
        "def mlp_forward(x, params):\n"
        "    h = x.astype(np.float32)\n"
        "    for W, b in params[:-1]:\n"
        "        h = relu(dense(h, W.astype(np.float32), b.astype(np.float32)))\n"
        "    W, b = params[-1]\n"
        "    return dense(h, W.astype(np.float32), b.astype(np.float32))\n",
        "the forward pass computed in float32 'to save memory': float32 logits",
    ),
    "forward_relu_on_output": Mistake(
        "mlp_forward",
        "def mlp_forward(x, params):\n"
        "    h = x\n"
        "    for W, b in params:\n"
        "        h = relu(dense(h, W, b))\n"
        "    return h\n",
        "ReLU after every layer, the output layer included: negative logits become 0",
        loses=FORWARD_AND_PREDICT,
        never_says={"predict": ("take the index of the largest logit",)},
    ),
    "forward_no_relu": Mistake(
        "mlp_forward",
        "def mlp_forward(x, params):\n    h = x\n    for W, b in params:\n        h = dense(h, W, b)\n    return h\n",
        "no activation between the layers: the network collapses to one linear map",
        loses=FORWARD_AND_PREDICT,
    ),
    "forward_sigmoid_hidden": Mistake(
        "mlp_forward",
        "def mlp_forward(x, params):\n"
        "    h = x\n"
        "    for W, b in params[:-1]:\n"
        "        h = 1 / (1 + np.exp(-dense(h, W, b)))\n"
        "    W, b = params[-1]\n"
        "    return dense(h, W, b)\n",
        "a sigmoid between the layers instead of ReLU",
        loses=FORWARD_AND_PREDICT,
    ),
    "forward_relu_before_dense": Mistake(
        "mlp_forward",
        "def mlp_forward(x, params):\n"
        "    h = x\n"
        "    for W, b in params:\n"
        "        h = dense(relu(h), W, b)\n"
        "    return h\n",
        "ReLU before every dense layer: the input is rectified too",
        loses=FORWARD_AND_PREDICT,
    ),
    "forward_pops_params": Mistake(
        "mlp_forward",
        "def mlp_forward(x, params):\n"
        "    W_out, b_out = params.pop()\n"
        "    h = x\n"
        "    for W, b in params:\n"
        "        h = relu(dense(h, W, b))\n"
        "    return dense(h, W_out, b_out)\n",
        "the output layer taken off with params.pop(): the caller's list loses a layer",
        loses=FORWARD_AND_PREDICT,
        never_says={"predict": ("Read x and params without changing them",)},
    ),
    # --------------------------------------------------------------- predict
    "predict_argmax_axis0": Mistake(
        "predict",
        "def predict(x, params):\n    return np.argmax(mlp_forward(x, params), axis=0)\n",
        "argmax over the examples (axis 0) instead of the classes",
    ),
    "predict_max_logit": Mistake(
        "predict",
        "def predict(x, params):\n    return np.max(mlp_forward(x, params), axis=1)\n",
        "the largest logit itself instead of its index",
    ),
    "predict_float_indices": Mistake(
        "predict",
        "def predict(x, params):\n    return np.argmax(mlp_forward(x, params), axis=1).astype(float)\n",
        "class indices returned as floats",
    ),
    "predict_argmax_no_axis": Mistake(
        "predict",
        "def predict(x, params):\n    return np.argmax(mlp_forward(x, params))\n",
        "np.argmax without an axis: one index into the flattened batch",
    ),
}
