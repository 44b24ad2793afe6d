"""The similarity screen against a copy laundered through helper cells.

It was a hole: the screen fingerprinted the text of the solution cells only,
while a graded function may live anywhere in the notebook. A student who
pasted the reference into a cell of their own, under other names, and left
each solution cell as ``relu = _pos`` or a one-line call of the helper,
scored 0.00 against the notebook copied. The screen now fingerprints what
the grader calls: each graded function and every top-level definition of
the notebook that it reaches, read with ``ast`` and never run.
"""

from __future__ import annotations

import nbformat
import pytest

from autograder.course.similarity import THRESHOLD, compare
from tests import samples
from tests.solutions.a02_activations import SOLUTIONS

A = "02_activations"

# The reference's code, under other names, in a cell the student added.
HELPERS = '''\
def _pos(v):
    return np.maximum(v, 0)

def _step(v):
    return (v > 0).astype(v.dtype)

def _leaky(v, slope=0.01):
    """Mine."""
    return np.where(v > 0, v, slope * v)

def _logistic(v):
    t = np.exp(-np.abs(v))
    return np.where(v >= 0, 1 / (1 + t), t / (1 + t))

def _logistic_slope(v):
    p = sigmoid(v)
    return p * (1 - p)

def _normalised_exp(v):
    centred = v - v.max(axis=-1, keepdims=True)
    t = np.exp(centred)
    return t / t.sum(axis=-1, keepdims=True)
'''

# The same code hidden one level deeper: in a class, under an `if`, behind a name given as a string.
HIDDEN_HELPERS = """\
class _Kit:
    @staticmethod
    def pos(v):
        return np.maximum(v, 0)

if True:
    def _step(v):
        return (v > 0).astype(v.dtype)

    def _leaky(v, slope=0.01):
        return np.where(v > 0, v, slope * v)

def _logistic(v):
    t = np.exp(-np.abs(v))
    return np.where(v >= 0, 1 / (1 + t), t / (1 + t))

def _logistic_slope(v):
    p = sigmoid(v)
    return p * (1 - p)

try:
    def _normalised_exp(v):
        centred = v - v.max(axis=-1, keepdims=True)
        t = np.exp(centred)
        return t / t.sum(axis=-1, keepdims=True)
except Exception:
    pass
"""

# Solution cells reduced to aliases and thin wrappers of the helpers.
WRAPPERS = {
    "relu": "relu = _pos\n",
    "relu_grad": "def relu_grad(z):\n    return _step(z)\n",
    "leaky_relu": 'def leaky_relu(z, alpha=0.01):\n    """Leaky ReLU."""\n    return _leaky(z, slope=alpha)\n',
    "sigmoid": "sigmoid = _logistic\n",
    "sigmoid_grad": "sigmoid_grad = lambda z: _logistic_slope(z)\n",
    "softmax": "def softmax(z):\n    return _normalised_exp(z)\n",
}

HIDDEN_WRAPPERS = {
    **WRAPPERS,
    "relu": "relu = _Kit.pos\n",
    "softmax": "softmax = globals()['_normalised_exp']\n",
}


def laundered(helpers: str, wrappers: dict[str, str]):
    """The reference notebook with its graded code moved into a cell of the student's own, after the imports."""
    notebook = samples.student_notebook(A, wrappers)
    notebook.cells.insert(1, nbformat.v4.new_code_cell(helpers))
    return notebook


def cohort(copy_of_reference):
    """The reference, the laundered copy of it, and five solutions written independently."""
    return {
        "reference": samples.student_notebook(A),
        "laundered": copy_of_reference,
        **{style: samples.student_notebook(A, answers) for style, answers in SOLUTIONS.items()},
    }


@pytest.mark.parametrize(
    "helpers, wrappers",
    [
        pytest.param(HELPERS, WRAPPERS, id="helper-cell"),
        pytest.param(HIDDEN_HELPERS, HIDDEN_WRAPPERS, id="class-if-try-and-globals"),
        pytest.param(f"%%capture\nexec({HELPERS!r})\n", WRAPPERS, id="cell-magic-and-exec"),
    ],
)
def test_a_copy_whose_graded_code_moved_into_a_helper_cell_is_flagged(helpers, wrappers):
    pairs = compare(cohort(laundered(helpers, wrappers)), A)
    first = pairs[0]
    assert {first.a, first.b} == {"laundered", "reference"}, pairs[:3]
    assert first.score >= THRESHOLD, first
    assert first.matching(THRESHOLD) == list(first.functions), first  # every function with code of its own
    assert all(p.score < THRESHOLD for p in pairs[1:]), pairs[1]  # independent work is still not flagged


def test_a_helper_after_the_solution_cells_is_found_too():
    # A wrapper looks its helper up when called, after the whole notebook ran: the helper may come last.
    wrappers = {cid: code for cid, code in WRAPPERS.items() if cid not in ("relu", "sigmoid")}
    wrappers |= {"relu": "def relu(z):\n    return _pos(z)\n", "sigmoid": "def sigmoid(z):\n    return _logistic(z)\n"}
    notebook = samples.student_notebook(A, wrappers)
    notebook.cells.append(nbformat.v4.new_code_cell(HELPERS))
    [pair] = compare({"reference": samples.student_notebook(A), "laundered": notebook}, A)
    assert pair.score >= THRESHOLD, pair
