"""02_activations, answered five ways (all correct, none copied from the reference)."""

from tests.solutions import in_release_cell

A = "02_activations"

# Kept the docstrings and wrote np.where everywhere.
WHERE = {
    "relu": in_release_cell(
        A,
        "relu",
        """
        return np.where(z > 0, z, 0.0)
    """,
    ),
    "relu_grad": in_release_cell(
        A,
        "relu_grad",
        """
        return np.where(z > 0, 1.0, 0.0).astype(z.dtype)
    """,
    ),
    "leaky_relu": in_release_cell(
        A,
        "leaky_relu",
        """
        return np.where(z >= 0, z, z * alpha)
    """,
    ),
    "sigmoid": in_release_cell(
        A,
        "sigmoid",
        """
        # exp(-|z|) never overflows; 1/(1+t) is sigmoid(|z|), and t/(1+t) is sigmoid(-|z|)
        t = np.exp(-np.abs(z))
        pos = 1.0 / (1.0 + t)
        return np.where(z >= 0, pos, t * pos)
    """,
    ),
    "sigmoid_grad": in_release_cell(
        A,
        "sigmoid_grad",
        """
        return sigmoid(z) * (1.0 - sigmoid(z))
    """,
    ),
    "softmax": in_release_cell(
        A,
        "softmax",
        """
        z_max = np.max(z, axis=-1, keepdims=True)
        exps = np.exp(z - z_max)
        return exps / np.sum(exps, axis=-1, keepdims=True)
    """,
    ),
}

# Deleted the docstrings; copies the input and assigns through boolean masks.
MASKS = {
    "relu": """\
def relu(z):
    out = z.copy()
    out[out < 0] = 0
    return out
""",
    "relu_grad": """\
def relu_grad(z):
    grad = np.zeros_like(z)
    grad[z > 0] = 1
    return grad
""",
    "leaky_relu": """\
def leaky_relu(z, alpha=0.01):
    out = z.copy()
    negative = out < 0
    out[negative] = alpha * out[negative]
    return out
""",
    "sigmoid": """\
def sigmoid(z):
    out = np.empty_like(z)
    pos = z >= 0
    neg = ~pos
    # positive side: exp(-z) <= 1
    out[pos] = 1 / (1 + np.exp(-z[pos]))
    # negative side: exp(z) <= 1
    exp_z = np.exp(z[neg])
    out[neg] = exp_z / (1 + exp_z)
    return out
""",
    "sigmoid_grad": """\
def sigmoid_grad(z):
    s = sigmoid(z)
    return s * (1 - s)
""",
    "softmax": """\
def softmax(z):
    shape = z.shape[:-1] + (1,)
    shifted = z - np.max(z, axis=-1).reshape(shape)
    exp = np.exp(shifted)
    return exp / np.sum(exp, axis=-1).reshape(shape)
""",
}

# Renamed the argument to x; clips before exp and uses the log-sum-exp trick.
CLIP = {
    "relu": """\
def relu(x):
    return np.maximum(x, 0)
""",
    "relu_grad": """\
def relu_grad(x):
    return (x > 0).astype(x.dtype)
""",
    "leaky_relu": """\
def leaky_relu(x, alpha=0.01):
    return np.maximum(x, 0) + alpha * np.minimum(x, 0)
""",
    "sigmoid": """\
def sigmoid(x):
    # Beyond +-80 the sigmoid is 0 or 1 to 35 digits, and exp(80) fits even in float32.
    x = np.clip(x, -80, 80)
    return 1.0 / (1.0 + np.exp(-x))
""",
    "sigmoid_grad": """\
def sigmoid_grad(x):
    sig = sigmoid(x)
    return sig * (1.0 - sig)
""",
    "softmax": """\
def softmax(x):
    # softmax(x) = exp(x - logsumexp(x)), with the max taken out so exp never overflows
    m = np.max(x, axis=-1, keepdims=True)
    lse = m + np.log(np.sum(np.exp(x - m), axis=-1, keepdims=True))
    return np.exp(x - lse)
""",
}

# One-liners built from arithmetic on booleans, minimum and maximum.
TRICKS = {
    "relu": """\
def relu(z):
    return z * (z > 0)
""",
    "relu_grad": """\
def relu_grad(z):
    return np.greater(z, 0).astype(z.dtype)
""",
    "leaky_relu": """\
def leaky_relu(z, alpha=0.01):
    return np.maximum(z, alpha * z)  # right for 0 <= alpha < 1
""",
    "sigmoid": """\
def sigmoid(z):
    a = np.exp(np.minimum(z, 0))
    b = np.exp(np.minimum(-z, 0))
    return a / (a + b)
""",
    "sigmoid_grad": """\
def sigmoid_grad(z):
    return sigmoid(z) * sigmoid(-z)  # 1 - sigmoid(z) == sigmoid(-z)
""",
    "softmax": """\
def softmax(z):
    out = np.exp(z - z.max(axis=-1)[..., np.newaxis])
    out /= out.sum(axis=-1)[..., np.newaxis]
    return out
""",
}

# Kept the docstrings; found library helpers (clip, heaviside, logaddexp) and works row by row.
ROWS = {
    "relu": in_release_cell(
        A,
        "relu",
        """
        return np.clip(z, 0, None)
    """,
    ),
    "relu_grad": in_release_cell(
        A,
        "relu_grad",
        """
        return np.heaviside(z, 0.0).astype(z.dtype)
    """,
    ),
    "leaky_relu": in_release_cell(
        A,
        "leaky_relu",
        """
        slope = np.ones_like(z)
        slope[z < 0] = alpha
        return z * slope
    """,
    ),
    "sigmoid": in_release_cell(
        A,
        "sigmoid",
        """
        # 1 / (1 + e^-z) = e^(-log(1 + e^-z)), and logaddexp(0, -z) = log(1 + e^-z) without overflow
        return np.exp(-np.logaddexp(0, -z))
    """,
    ),
    "sigmoid_grad": in_release_cell(
        A,
        "sigmoid_grad",
        """
        s = sigmoid(z)
        return s - s ** 2
    """,
    ),
    "softmax": in_release_cell(
        A,
        "softmax",
        """
        def one_row(row):
            e = np.exp(row - row.max())
            return e / e.sum()
        return np.apply_along_axis(one_row, -1, z)
    """,
    ),
}

SOLUTIONS = {"where": WHERE, "masks": MASKS, "clip": CLIP, "tricks": TRICKS, "rows": ROWS}
