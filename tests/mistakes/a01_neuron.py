"""Realistic wrong answers for 01_neuron.

The building blocks cascade: perceptron is built on weighted_sum and step,
the gates on perceptron, and xor_gate on the gates. ``loses`` lists exactly
the grade cells that fail with each mistake in place (checked by executing
the source notebook with the mistake swapped in).
"""

from tests.mistakes import Mistake

_ALL_BUT_WEIGHTED_SUM = ("step", "perceptron", "and_gate", "or_gate", "nand_gate", "xor_gate")
_FROM_PERCEPTRON = ("perceptron", "and_gate", "or_gate", "nand_gate", "xor_gate")

MISTAKES = {
    # ---------------------------------------------------------- weighted_sum
    "weighted_sum_forgets_bias": Mistake(
        "weighted_sum",
        """def weighted_sum(x, w, b):\n    return x @ w\n""",
        "the bias is never added; or_gate survives (its outputs do not change without the bias), "
        "and_gate and nand_gate do not",
        loses=("weighted_sum", "perceptron", "and_gate", "nand_gate", "xor_gate"),
    ),
    "weighted_sum_without_sum": Mistake(
        "weighted_sum",
        """def weighted_sum(x, w, b):\n    return x * w + b\n""",
        "multiplies elementwise but never sums over the features: an (n, d) result",
        loses=("weighted_sum",) + _FROM_PERCEPTRON,
    ),
    "weighted_sum_sums_whole_batch": Mistake(
        "weighted_sum",
        """def weighted_sum(x, w, b):\n    return np.sum(x * w) + b\n""",
        "sums over the whole batch as well: one number instead of one per row",
        loses=("weighted_sum",) + _FROM_PERCEPTRON,
        says={"weighted_sum": ("got a single number", "np.sum(x * w) without an axis")},
        never_says={
            "weighted_sum": ("not a list",),
            **{gate: ("Stack the inputs as columns",) for gate in ("and_gate", "or_gate", "nand_gate")},
        },
    ),
    "weighted_sum_returns_list": Mistake(
        "weighted_sum",
        """def weighted_sum(x, w, b):\n"""
        """    if x.ndim == 1:\n"""
        """        return sum(x[i] * w[i] for i in range(len(w))) + b\n"""
        """    return [sum(row[i] * w[i] for i in range(len(w))) + b for row in x]\n""",
        "loops in pure Python and returns a list for a batch",
        loses=("weighted_sum",) + _FROM_PERCEPTRON,
    ),
    # ------------------------------------------------------------------ step
    "step_is_one_at_zero": Mistake(
        "step",
        """def step(z):\n    return (z >= 0).astype(float)\n""",
        "a step that fires at z == 0; the gates never sit exactly on their line, so they survive",
        loses=("step", "perceptron"),
    ),
    "step_returns_bools": Mistake(
        "step",
        """def step(z):\n    return z > 0\n""",
        "returns booleans instead of 1.0 / 0.0 floats",
        loses=_ALL_BUT_WEIGHTED_SUM,
    ),
    "step_is_sign": Mistake(
        "step",
        """def step(z):\n    return np.sign(z)\n""",
        "the sign function: -1 for negative inputs instead of 0",
        loses=_ALL_BUT_WEIGHTED_SUM,
    ),
    "step_mutates_input": Mistake(
        "step",
        """def step(z):\n    z[z > 0] = 1.0\n    z[z <= 0] = 0.0\n    return z\n""",
        "overwrites z in place; perceptron only ever passes it a fresh array, so nothing else breaks",
        loses=("step",),
    ),
    # ------------------------------------------------------------ perceptron
    "perceptron_skips_step": Mistake(
        "perceptron",
        """def perceptron(x, w, b):\n    return weighted_sum(x, w, b)\n""",
        "returns the weighted sum itself: no activation",
        loses=_FROM_PERCEPTRON,
    ),
    "perceptron_plus_minus_one": Mistake(
        "perceptron",
        """def perceptron(x, w, b):\n    return 2 * step(weighted_sum(x, w, b)) - 1\n""",
        "Rosenblatt's -1 / +1 output convention instead of 0 / 1",
        loses=_FROM_PERCEPTRON,
    ),
    "perceptron_transposed": Mistake(
        "perceptron",
        """def perceptron(x, w, b):\n    return step(weighted_sum(x.T, w, b))\n""",
        "transposes the batch, so the shapes no longer line up",
        loses=_FROM_PERCEPTRON,
    ),
    "perceptron_inline": Mistake(
        "perceptron",
        """def perceptron(x, w, b):\n    return (x @ w + b > 0).astype(np.float64)\n""",
        "right values, written out again instead of built on weighted_sum and step (the spies catch it); "
        "the gates are built on it and keep their points",
        says={"perceptron": ("must be built on weighted_sum and step",)},
    ),
    "perceptron_recomputes_sum": Mistake(
        "perceptron",
        """def perceptron(x, w, b):\n    return step(x @ w + b)\n""",
        "uses step but writes the weighted sum out again: it never calls weighted_sum",
        says={"perceptron": ("it never called weighted_sum",)},
    ),
    # -------------------------------------------------------------- and_gate
    "and_gate_bias_of_or": Mistake(
        "and_gate",
        """def and_gate(x1, x2):\n"""
        """    x = np.stack([x1, x2], axis=1)\n"""
        """    return perceptron(x, np.array([1.0, 1.0]), -0.5)\n""",
        "a bias that lets a single 1 through: it computes OR",
        loses=("and_gate", "xor_gate"),
    ),
    "and_gate_hard_coded": Mistake(
        "and_gate",
        """def and_gate(x1, x2):\n    return x1 * x2\n""",
        "the right truth table without a perceptron (the spies catch it); xor_gate still works",
        loses=("and_gate",),
    ),
    "and_gate_returns_ints": Mistake(
        "and_gate",
        """def and_gate(x1, x2):\n"""
        """    x = np.stack([x1, x2], axis=1)\n"""
        """    return perceptron(x, np.array([1.0, 1.0]), -1.5).astype(int)\n""",
        "casts the output to integers; xor_gate's output inherits the wrong dtype",
        loses=("and_gate", "xor_gate"),
    ),
    "and_gate_stacks_rows": Mistake(
        "and_gate",
        """def and_gate(x1, x2):\n"""
        """    x = np.array([x1, x2])\n"""
        """    return perceptron(x, np.array([1.0, 1.0]), -1.5)\n""",
        "stacks the inputs as rows, shape (2, n), so the matrix product fails",
        loses=("and_gate", "xor_gate"),
    ),
    # --------------------------------------------------------------- or_gate
    "or_gate_bias_of_and": Mistake(
        "or_gate",
        """def or_gate(x1, x2):\n"""
        """    x = np.stack([x1, x2], axis=1)\n"""
        """    return perceptron(x, np.array([1.0, 1.0]), -1.5)\n""",
        "a bias so low that both inputs are needed: it computes AND",
        loses=("or_gate", "xor_gate"),
    ),
    "or_gate_hard_coded": Mistake(
        "or_gate",
        """def or_gate(x1, x2):\n    return np.maximum(x1, x2)\n""",
        "the right truth table without a perceptron (the spies catch it); xor_gate still works",
        loses=("or_gate",),
    ),
    "or_gate_returns_bools": Mistake(
        "or_gate",
        """def or_gate(x1, x2):\n"""
        """    x = np.stack([x1, x2], axis=1)\n"""
        """    return perceptron(x, np.array([1.0, 1.0]), -0.5) > 0\n""",
        "returns booleans; xor_gate survives because np.stack turns them back into floats",
        loses=("or_gate",),
    ),
    # ------------------------------------------------------------- nand_gate
    "nand_gate_weights_not_negated": Mistake(
        "nand_gate",
        """def nand_gate(x1, x2):\n"""
        """    x = np.stack([x1, x2], axis=1)\n"""
        """    return perceptron(x, np.array([1.0, 1.0]), 1.5)\n""",
        "negates only the bias of AND, not its weights: it always fires",
        loses=("nand_gate", "xor_gate"),
    ),
    "nand_gate_hard_coded": Mistake(
        "nand_gate",
        """def nand_gate(x1, x2):\n    return 1.0 - x1 * x2\n""",
        "the right truth table without a perceptron (the spies catch it); xor_gate still works",
        loses=("nand_gate",),
    ),
    "nand_gate_logical_not": Mistake(
        "nand_gate",
        """def nand_gate(x1, x2):\n"""
        """    x = np.stack([x1, x2], axis=1)\n"""
        """    return np.logical_not(perceptron(x, np.array([1.0, 1.0]), -1.5))\n""",
        "NOT of the AND perceptron with np.logical_not: right values, but booleans; xor_gate survives "
        "because np.stack turns them back into floats",
        loses=("nand_gate",),
    ),
    # -------------------------------------------------------------- xor_gate
    "xor_gate_not_equal": Mistake(
        "xor_gate",
        """def xor_gate(x1, x2):\n    return (x1 != x2).astype(float)\n""",
        "compares the inputs directly instead of building a network of gates (the spies catch it)",
    ),
    "xor_gate_is_or": Mistake(
        "xor_gate",
        """def xor_gate(x1, x2):\n    return or_gate(x1, x2)\n""",
        "a single gate: OR is right on three of the four inputs",
    ),
    "xor_gate_wrong_wiring": Mistake(
        "xor_gate",
        """def xor_gate(x1, x2):\n    return or_gate(and_gate(x1, x2), nand_gate(x1, x2))\n""",
        "two layers, wrongly wired: OR(AND, NAND) is always 1",
    ),
}
