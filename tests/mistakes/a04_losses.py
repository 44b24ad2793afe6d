"""Realistic wrong answers for 04_losses, one solution cell each.

No graded function is built on another (the reference cross_entropy indexes
the log-probabilities directly rather than calling one_hot), so every mistake
loses only its own function's points: there are no cascades.
"""

from tests.mistakes import Mistake

MISTAKES = {
    # ------------------------------------------------------------------- mse
    "mse_summed": Mistake(
        "mse",
        "def mse(y_pred, y_true):\n    return np.sum((y_pred - y_true) ** 2)\n",
        "the sum of squared errors instead of their mean",
        says={"mse": ("a difference of",)},
    ),
    "mse_row_means_summed": Mistake(
        "mse",
        "def mse(y_pred, y_true):\n    return np.sum(np.mean((y_pred - y_true) ** 2, axis=-1))\n",
        "the mean over each row's last axis, then summed over the rows",
    ),
    "mse_root": Mistake(
        "mse",
        "def mse(y_pred, y_true):\n    return np.sqrt(np.mean((y_pred - y_true) ** 2))\n",
        "the root mean squared error (np.sqrt of the MSE)",
    ),
    "mse_absolute": Mistake(
        "mse",
        "def mse(y_pred, y_true):\n    return np.mean(np.abs(y_pred - y_true))\n",
        "the mean absolute error instead of the squared one",
    ),
    "mse_per_element": Mistake(
        "mse",
        "def mse(y_pred, y_true):\n    return (y_pred - y_true) ** 2\n",
        "the array of squared errors, never averaged to one number",
    ),
    # --------------------------------------------------------------- one_hot
    "one_hot_transposed": Mistake(
        "one_hot",
        "def one_hot(labels, num_classes):\n"
        "    Y = np.zeros((num_classes, labels.shape[0]))\n"
        "    Y[labels, np.arange(labels.shape[0])] = 1.0\n"
        "    return Y\n",
        "a one-hot matrix of shape (num_classes, N): one column per example",
    ),
    "one_hot_int": Mistake(
        "one_hot",
        "def one_hot(labels, num_classes):\n    return np.eye(num_classes, dtype=int)[labels]\n",
        "a one-hot matrix of integers (np.eye with dtype=int)",
    ),
    "one_hot_infers_classes": Mistake(
        "one_hot",
        "def one_hot(labels, num_classes):\n    return np.eye(labels.max() + 1)[labels]\n",
        "a one-hot matrix that ignores num_classes and uses labels.max() + 1 columns",
    ),
    "one_hot_sets_columns": Mistake(
        "one_hot",
        "def one_hot(labels, num_classes):\n"
        "    Y = np.zeros((labels.shape[0], num_classes))\n"
        "    Y[:, labels] = 1.0\n"
        "    return Y\n",
        "Y[:, labels] = 1: sets whole columns, so each row gets a 1 for every class in the batch",
    ),
    # --------------------------------------------------------- cross_entropy
    "cross_entropy_summed": Mistake(
        "cross_entropy",
        "def cross_entropy(logits, labels):\n"
        "    N = logits.shape[0]\n"
        "    shifted = logits - logits.max(axis=1, keepdims=True)\n"
        "    log_probs = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))\n"
        "    return -np.sum(log_probs[np.arange(N), labels])\n",
        "a stable cross-entropy summed over the batch instead of averaged",
    ),
    "cross_entropy_log_of_softmax": Mistake(
        "cross_entropy",
        "def cross_entropy(logits, labels):\n"
        "    N = logits.shape[0]\n"
        "    e = np.exp(logits - logits.max(axis=1, keepdims=True))\n"
        "    probs = e / e.sum(axis=1, keepdims=True)\n"
        "    return -np.mean(np.log(probs[np.arange(N), labels]))\n",
        "np.log of a stable softmax: a probability that rounds to 0 gives log(0) = -inf on extreme logits",
    ),
    "cross_entropy_no_max_shift": Mistake(
        "cross_entropy",
        "def cross_entropy(logits, labels):\n"
        "    N = logits.shape[0]\n"
        "    log_probs = logits - np.log(np.sum(np.exp(logits), axis=1, keepdims=True))\n"
        "    return -np.mean(log_probs[np.arange(N), labels])\n",
        "log-sum-exp without subtracting the maximum: np.exp overflows for logits of 1000",
    ),
    "cross_entropy_forgets_max": Mistake(
        "cross_entropy",
        "def cross_entropy(logits, labels):\n"
        "    N = logits.shape[0]\n"
        "    m = logits.max(axis=1, keepdims=True)\n"
        "    log_probs = logits - np.log(np.sum(np.exp(logits - m), axis=1, keepdims=True))\n"
        "    return -np.mean(log_probs[np.arange(N), labels])\n",
        "the log-sum-exp trick with the maximum subtracted inside the exp but never taken off z_y",
    ),
    "cross_entropy_mean_over_classes": Mistake(
        "cross_entropy",
        "def cross_entropy(logits, labels):\n"
        "    N, C = logits.shape\n"
        "    shifted = logits - logits.max(axis=1, keepdims=True)\n"
        "    log_probs = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))\n"
        "    Y = np.zeros((N, C))\n"
        "    Y[np.arange(N), labels] = 1.0\n"
        "    return -np.mean(Y * log_probs)\n",
        "the mean of the one-hot product over all N * C entries: the loss divided by C",
    ),
    "cross_entropy_wrong_indexing": Mistake(
        "cross_entropy",
        "def cross_entropy(logits, labels):\n"
        "    shifted = logits - logits.max(axis=1, keepdims=True)\n"
        "    log_probs = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))\n"
        "    return -np.mean(log_probs[:, labels])\n",
        "log_probs[:, labels] picks every example's column for every label (an N x N block)",
    ),
    "cross_entropy_mutates_input": Mistake(
        "cross_entropy",
        "def cross_entropy(logits, labels):\n"
        "    N = logits.shape[0]\n"
        "    logits -= logits.max(axis=1, keepdims=True)\n"
        "    log_probs = logits - np.log(np.sum(np.exp(logits), axis=1, keepdims=True))\n"
        "    return -np.mean(log_probs[np.arange(N), labels])\n",
        "a stable cross-entropy that subtracts the row maximum from the caller's logits in place",
    ),
    # -------------------------------------------------------------- accuracy
    "accuracy_count": Mistake(
        "accuracy",
        "def accuracy(logits, labels):\n    return np.sum(np.argmax(logits, axis=1) == labels)\n",
        "the number of right predictions instead of their fraction",
    ),
    "accuracy_percent": Mistake(
        "accuracy",
        "def accuracy(logits, labels):\n    return 100 * np.mean(np.argmax(logits, axis=1) == labels)\n",
        "the accuracy as a percentage (0..100) instead of a fraction",
    ),
    "accuracy_argmax_axis0": Mistake(
        "accuracy",
        "def accuracy(logits, labels):\n    return np.mean(np.argmax(logits, axis=0) == labels)\n",
        "argmax over axis 0 (the best example per class) instead of per row",
    ),
    "accuracy_max_value": Mistake(
        "accuracy",
        "def accuracy(logits, labels):\n    return np.mean(np.max(logits, axis=1) == labels)\n",
        "compares the largest logit's value, not its index, with the label",
    ),
    "accuracy_no_mean": Mistake(
        "accuracy",
        "def accuracy(logits, labels):\n    return np.argmax(logits, axis=1) == labels\n",
        "the boolean array of matches, never averaged to one number",
    ),
}
