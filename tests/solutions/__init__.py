"""Correct answers written independently of the reference, in different styles.

Each assignment module holds ``SOLUTIONS = {"style-name": {grade_id: code}}``:
whole solution cells, as different students would hand them in. They are
for tests that need a realistic cohort (tests/test_similarity.py); each
one was checked to earn full marks with ``python -m autograder grade``.
"""

from __future__ import annotations

import textwrap

from autograder.host.repair import grade_id, nbgrader_meta
from tests.samples import release_notebook

PLACEHOLDER = "    # YOUR CODE HERE\n    raise NotImplementedError()"


def in_release_cell(assignment: str, cid: str, body: str) -> str:
    """The release's cell for ``cid`` with the placeholder replaced by ``body``, as a student
    who kept the signature and docstring would write it."""
    cell = next(
        c for c in release_notebook(assignment).cells if nbgrader_meta(c).get("solution") and grade_id(c) == cid
    )
    assert PLACEHOLDER in cell.source, f"{assignment}: {cid}'s release cell has no placeholder"
    return cell.source.replace(PLACEHOLDER, textwrap.indent(textwrap.dedent(body).strip("\n"), "    "))


def _by_assignment() -> dict[str, dict[str, dict[str, str]]]:
    from tests.solutions import a02_activations

    return {a02_activations.A: a02_activations.SOLUTIONS}


SOLUTIONS_BY_ASSIGNMENT = _by_assignment()
