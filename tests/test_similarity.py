"""The plagiarism screen: a planted copy is found, independent work and the template are not."""

from __future__ import annotations

import argparse
import re

import pytest

from autograder.course.similarity import (
    THRESHOLD,
    add_arguments,
    compare,
    fingerprints,
    load_submissions,
    normalise,
    run,
    template_kgrams,
)
from tests import samples
from tests.solutions.a02_activations import SOLUTIONS

A = "02_activations"

# The "masks" student's answers, disguised: every local renamed, comments and
# docstrings added, spacing and blank lines changed, 0 written as 0.0.
COPIED_FROM_MASKS = {
    "relu": '''\
def relu(x):
    """Returns max(x, 0) elementwise."""
    # copy so that the caller's array is left alone
    y = x.copy()
    y[y<0]=0.0
    return y
''',
    "relu_grad": """\
def relu_grad(x):
    g = np.zeros_like(x)   # start from all zeros

    g[x>0] = 1
    return g
""",
    "leaky_relu": '''\
def leaky_relu(x, alpha=0.01):
    """Leaky ReLU."""
    y = x.copy()
    mask = y < 0  # where the slope is alpha
    y[mask] = alpha*y[mask]
    return y
''',
    "sigmoid": """\
def sigmoid(x):
    result = np.empty_like(x)
    is_pos = x >= 0
    is_neg = ~is_pos

    # stable for x >= 0
    result[is_pos] = 1 / (1 + np.exp(-x[is_pos]))
    # stable for x < 0
    ex = np.exp(x[is_neg])
    result[is_neg] = ex / (1 + ex)
    return result
""",
    "sigmoid_grad": """\
def sigmoid_grad(x):
    sx = sigmoid(x)   # reuse the stable version
    return sx * (1 - sx)
""",
    "softmax": '''\
def softmax(logits):
    """Softmax along the last axis, stable for large logits."""
    new_shape = logits.shape[:-1] + (1,)
    centred = logits - np.max(logits, axis = -1).reshape(new_shape)
    ex = np.exp(centred)
    return ex / np.sum(ex, axis = -1).reshape(new_shape)
''',
}


def independent_cohort():
    """The reference solution and five correct answers written independently of each other."""
    return {
        "reference": samples.student_notebook(A),
        **{style: samples.student_notebook(A, answers) for style, answers in SOLUTIONS.items()},
    }


@pytest.fixture(scope="module")
def submitted(tmp_path_factory):
    """An nbgrader submitted/ folder: the independent cohort, the copy, and one file that is not a notebook."""
    folder = tmp_path_factory.mktemp("submitted")
    for student, notebook in {
        **independent_cohort(),
        # The copy in the Japanese edition: the same code cells, so the same tokens.
        "copycat": samples.edition(samples.student_notebook(A, COPIED_FROM_MASKS), A, "ja"),
    }.items():
        samples.write(notebook, folder / student, A)
    broken = folder / "broken" / A / f"{A}.ipynb"
    broken.parent.mkdir(parents=True)
    broken.write_text("{not json")
    return folder


def test_renaming_comments_docstrings_and_spacing_do_not_change_the_tokens():
    original = "def f(z, alpha=0.01):\n    out = np.where(z > 0, z, alpha * z)\n    return out.sum(axis=-1)\n"
    disguised = (
        'def f(x,alpha = 0.01):\n    """Mine."""\n\n    # my own work\n'
        "    result = np.where(x>0 , x, alpha*x)   # sure\n    return result.sum(axis = -1.0)\n"
    )
    keep = frozenset({"np", "f"})
    assert normalise(original, keep) == normalise(disguised, keep)
    tokens = normalise(original, keep)
    assert {"def", "f", "np", "where", "return", "sum", "axis"} <= set(tokens)  # kept as written
    assert not {"z", "alpha", "out"} & set(tokens)  # renamed by first appearance
    assert normalise("out = z", keep) != normalise("out = y.z", keep)  # an attribute is not a local


def test_code_that_does_not_tokenize_is_compared_as_text():
    assert normalise("def f(z:\n    return (z", frozenset()) == ["def", "f", "(", "z", ":", "return", "(", "z"]


def test_the_planted_copy_is_ranked_first_and_flagged():
    copy = samples.edition(samples.student_notebook(A, COPIED_FROM_MASKS), A, "ja")  # either edition
    cohort = {**independent_cohort(), "copycat": copy}
    pairs = compare(cohort, A)
    assert len(pairs) == 7 * 6 // 2
    first, second = pairs[0], pairs[1]
    assert {first.a, first.b} == {"masks", "copycat"}
    assert first.score >= THRESHOLD
    assert second.score < THRESHOLD
    # sigmoid_grad is the reference's own two lines, which four students wrote: common, so it is not evidence.
    assert first.matching(THRESHOLD) == ["relu", "relu_grad", "leaky_relu", "sigmoid", "softmax"]


def test_a_study_group_of_three_sharing_one_notebook_is_flagged():
    # Their shared code is held by three of eight submissions: not common, or a group would hide itself.
    copy = samples.student_notebook(A, COPIED_FROM_MASKS)
    pairs = compare({**independent_cohort(), "copycat": copy, "friend": copy}, A)
    group = {frozenset(pair) for pair in (("masks", "copycat"), ("masks", "friend"), ("copycat", "friend"))}
    assert {frozenset((p.a, p.b)) for p in pairs[:3]} == group
    assert min(p.score for p in pairs[:3]) >= THRESHOLD > pairs[3].score


def test_independent_solutions_are_not_flagged():
    pairs = compare(independent_cohort(), A)
    assert len(pairs) == 6 * 5 // 2
    assert max(p.score for p in pairs) < THRESHOLD / 2, pairs[0]


def test_code_most_of_the_cohort_writes_alike_counts_for_nothing():
    # Everyone hands in the reference's one-liners for four functions; only sigmoid and softmax differ.
    cohort = {
        style: samples.student_notebook(A, {cid: answers[cid] for cid in ("sigmoid", "softmax")})
        for style, answers in SOLUTIONS.items()
    }
    cohort["reference"] = samples.student_notebook(A)
    pairs = compare(cohort, A)
    assert all(set(p.functions) <= {"sigmoid", "softmax"} for p in pairs)
    assert max(p.score for p in pairs) < THRESHOLD / 2, pairs[0]


def test_two_untouched_release_notebooks_are_not_similar():
    release = samples.release_notebook(A)
    assert fingerprints(release, A, template_kgrams(A)) == {}  # the template is all there is
    # Alone, so that no commonality rule can be what keeps them apart: only the template does.
    [pair] = compare({"idle": release, "also-idle": samples.release_notebook(A)}, A)
    assert pair.score == 0 and pair.functions == {}
    pairs = compare({**independent_cohort(), "idle": release, "also-idle": samples.release_notebook(A)}, A)
    assert max(p.score for p in pairs if "idle" in (p.a, p.b) or "also-idle" in (p.a, p.b)) == 0


def test_an_unreadable_submission_is_skipped_and_the_rest_compared(submitted):
    submissions, skipped = load_submissions(submitted, A)
    assert sorted(submissions) == sorted([*independent_cohort(), "copycat"])
    [(student, reason)] = skipped
    assert student == "broken" and "not a Jupyter notebook" in reason
    assert len(compare(submissions, A)) == 7 * 6 // 2


def test_cli_prints_the_planted_pair_first_and_says_grades_are_unchanged(submitted, capsys):
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    assert run(parser.parse_args([A, "--submitted", str(submitted), "--top", "5"])) == 0
    out = capsys.readouterr().out
    assert "never changes a grade" in out and "human to review" in out
    assert "7 submissions, 21 pairs compared" in out
    rows = [line.split() for line in out.splitlines() if re.match(r"\s*\d+\s+\d\.\d\d\s", line)]
    assert rows[0][:4] == ["1", "1.00", "copycat", "masks"] and rows[0][-1] == "FLAGGED"
    assert [row[0] for row in rows] == ["1", "2", "3", "4", "5"]
    assert not any("FLAGGED" in row for row in rows[1:])
    assert "1 pair(s) flagged" in out and "copycat & masks" in out
    assert "broken:" in out and "not a Jupyter notebook" in out
