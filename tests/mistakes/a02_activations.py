"""Realistic wrong answers for 02_activations, one solution cell each.

sigmoid_grad is built on the student's own sigmoid, so a sigmoid that
overflows or returns NaN also costs sigmoid_grad its points (its message says
to fix sigmoid first, and gives no hint of its own); a sigmoid that
is only wrong for negative inputs does not (sigma(|z|) * (1 - sigma(|z|))
equals sigma(z) * (1 - sigma(z)) by symmetry).
"""

from tests.mistakes import Mistake

BOTH_SIGMOIDS = ("sigmoid", "sigmoid_grad")

MISTAKES = {
    # ------------------------------------------------------------------ relu
    "relu_returns_bool": Mistake(
        "relu",
        "def relu(z):\n    return z > 0\n",
        "a ReLU that returns the boolean mask instead of the values",
    ),
    "relu_mutates_input": Mistake(
        "relu",
        "def relu(z):\n    z[z < 0] = 0\n    return z\n",
        "a ReLU that zeroes the negatives of the caller's array in place",
    ),
    "relu_out_is_input": Mistake(
        "relu",
        "def relu(z):\n    return np.maximum(z, 0, out=z)\n",
        "a ReLU that writes its result into its input with out=z",
    ),
    "relu_float_mask": Mistake(
        "relu",
        "def relu(z):\n    return z * (z > 0).astype(float)\n",
        "multiplies by a float64 mask: a float32 input comes back as float64",
        says={"relu": ("should have dtype float32, got dtype float64",)},
    ),
    "relu_np_max": Mistake(
        "relu",
        "def relu(z):\n    return np.max(z, 0)\n",
        "np.max (a reduction over axis 0) instead of the elementwise np.maximum",
    ),
    # ------------------------------------------------------------- relu_grad
    "relu_grad_one_at_zero": Mistake(
        "relu_grad",
        "def relu_grad(z):\n    return (z >= 0).astype(z.dtype)\n",
        "a ReLU slope of 1 at z == 0 (>= instead of >)",
    ),
    "relu_grad_returns_bool": Mistake(
        "relu_grad",
        "def relu_grad(z):\n    return z > 0\n",
        "a ReLU slope returned as booleans",
    ),
    "relu_grad_int": Mistake(
        "relu_grad",
        "def relu_grad(z):\n    return np.where(z > 0, 1, 0)\n",
        "a ReLU slope of integers (np.where with int branches)",
    ),
    "relu_grad_float64": Mistake(
        "relu_grad",
        "def relu_grad(z):\n    return (z > 0).astype(np.float64)\n",
        "a ReLU slope always in float64: a float32 input's slope must stay float32, as relu's output does",
        says={"relu_grad": ("should have dtype float32",)},
    ),
    # ------------------------------------------------------------ leaky_relu
    "leaky_relu_hardcoded_alpha": Mistake(
        "leaky_relu",
        "def leaky_relu(z, alpha=0.01):\n    return np.where(z > 0, z, 0.01 * z)\n",
        "a leaky ReLU that ignores alpha and always leaks 0.01",
    ),
    "leaky_relu_scales_positive": Mistake(
        "leaky_relu",
        "def leaky_relu(z, alpha=0.01):\n    return np.where(z > 0, alpha * z, z)\n",
        "a leaky ReLU with the branches swapped: scales the positive side",
    ),
    "leaky_relu_mutates_input": Mistake(
        "leaky_relu",
        "def leaky_relu(z, alpha=0.01):\n    z[z < 0] *= alpha\n    return z\n",
        "a leaky ReLU that scales the caller's array in place",
    ),
    # --------------------------------------------------------------- sigmoid
    "sigmoid_naive": Mistake(
        "sigmoid",
        "def sigmoid(z):\n    return 1 / (1 + np.exp(-z))\n",
        "the textbook sigmoid: np.exp(-z) overflows for z = -1000",
        loses=BOTH_SIGMOIDS,
        never_says={"sigmoid_grad": ("Reuse your stable sigmoid",)},
    ),
    "sigmoid_exp_ratio": Mistake(
        "sigmoid",
        "def sigmoid(z):\n    return np.exp(z) / (1 + np.exp(z))\n",
        "exp(z) / (1 + exp(z)): overflow and inf / inf = NaN at z = 1000",
        loses=BOTH_SIGMOIDS,
    ),
    "sigmoid_where_both_naive": Mistake(
        "sigmoid",
        "def sigmoid(z):\n    return np.where(z >= 0, 1 / (1 + np.exp(-z)), np.exp(z) / (1 + np.exp(z)))\n",
        "np.where over two naive branches: both are evaluated, so exp still overflows",
        loses=BOTH_SIGMOIDS,
    ),
    "sigmoid_forgets_negative_branch": Mistake(
        "sigmoid",
        "def sigmoid(z):\n    e = np.exp(-np.abs(z))\n    return 1 / (1 + e)\n",
        "a stable sigmoid without the z < 0 branch: returns sigmoid(|z|)",
    ),
    # ---------------------------------------------------------- sigmoid_grad
    "sigmoid_grad_uses_z": Mistake(
        "sigmoid_grad",
        "def sigmoid_grad(z):\n    s = sigmoid(z)\n    return s * (1 - z)\n",
        "sigmoid(z) * (1 - z) instead of s * (1 - s)",
    ),
    "sigmoid_grad_squared": Mistake(
        "sigmoid_grad",
        "def sigmoid_grad(z):\n    s = sigmoid(z)\n    return s * s\n",
        "sigmoid(z) squared instead of s * (1 - s)",
    ),
    "sigmoid_grad_naive_exp": Mistake(
        "sigmoid_grad",
        "def sigmoid_grad(z):\n    return np.exp(-z) / (1 + np.exp(-z)) ** 2\n",
        "the derivative written out with exp(-z) again: overflows (and inf / inf) at z = -1000",
    ),
    # --------------------------------------------------------------- softmax
    "softmax_axis0": Mistake(
        "softmax",
        "def softmax(z):\n"
        "    e = np.exp(z - z.max(axis=0, keepdims=True))\n"
        "    return e / e.sum(axis=0, keepdims=True)\n",
        "a softmax over the columns (axis 0) instead of the last axis",
    ),
    "softmax_no_max_shift": Mistake(
        "softmax",
        "def softmax(z):\n    e = np.exp(z)\n    return e / e.sum(axis=-1, keepdims=True)\n",
        "a softmax without the max subtraction: overflows for logits of 1000",
    ),
    "softmax_global_sum": Mistake(
        "softmax",
        "def softmax(z):\n    e = np.exp(z - np.max(z))\n    return e / np.sum(e)\n",
        "a softmax normalised over the whole array (np.sum without axis)",
    ),
    "softmax_mutates_input": Mistake(
        "softmax",
        "def softmax(z):\n"
        "    z -= z.max(axis=-1, keepdims=True)\n"
        "    e = np.exp(z)\n"
        "    return e / e.sum(axis=-1, keepdims=True)\n",
        "a softmax that subtracts the row maximum in place (z -= ...)",
    ),
    "softmax_sum_without_keepdims": Mistake(
        "softmax",
        "def softmax(z):\n    e = np.exp(z - z.max(axis=-1, keepdims=True))\n    return e / e.sum(axis=-1)\n",
        "a softmax whose row sums lose keepdims: fine for one vector, a broadcast error for a batch",
    ),
}
