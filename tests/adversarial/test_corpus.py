"""The adversarial corpus (corpus.py): each crafted submission gets exactly the grade its work earns.

For every attack: no point without the work, the grader survives (grade()
returns a report), the report names the cause, and a correct submission
graded afterwards keeps its full score: right after each attack that could
leave damage behind, and once more after the whole corpus. Its grade is
the same every time (determinism). A table of the outcomes is written to
build/adversarial-corpus.md.
"""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache

import numpy as np
import pytest

from autograder.checks import _fmt
from autograder.data import REPO_ROOT
from autograder.judge.exercises import exercises_for
from autograder.host.grader import grade
from autograder.host.repair import grade_cells
from autograder.host.sandbox import Limits
from tests import samples
from tests.adversarial.corpus import ALL, ATTACKS, A

# Short limits keep the corpus quick: an infinite loop costs 3 s per call, 5 s per cell.
LIMITS = Limits(cell_timeout=5, call_timeout=3, notebook_timeout=120)
# One row per attack, written as it is graded (by whichever pytest-xdist worker);
# tests/conftest.py puts them together into build/adversarial-corpus.md.
ROWS = REPO_ROOT / "build" / "adversarial-rows"
TABLE = REPO_ROOT / "build" / "adversarial-corpus.md"


def seen_by_student(report) -> str:
    return "\n".join([report.error or ""] + report.notes + [t["output"] for t in report.tests])


@lru_cache(maxsize=None)
def hidden_texts(assignment: str) -> tuple[str, ...]:
    """Every hidden case's inputs and expected value, printed the way a message would print them."""
    texts = []
    for exercise in exercises_for(assignment).values():
        for index, _ in exercise.hidden():
            args, _ = exercise.inputs(index)
            for value in [*args, exercise.expected(index)]:
                if isinstance(value, np.ndarray) and value.dtype.kind == "f":
                    texts.append(_fmt(value))
                    # single values, as a mismatch message would quote them; round ones could be anyone's
                    texts += [f"{v:.6g}" for v in value.ravel()[:3].tolist() if v != round(v)]
    return tuple(texts)


def fingerprint(report):
    return [(t["grade_id"], t["score"], t["status"], t["output"]) for t in report.tests]


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """A correct submission, graded once before the corpus; later gradings must match it exactly."""
    path = samples.write(samples.student_notebook(A), tmp_path_factory.mktemp("reference"), A)
    report = grade(path, A, limits=LIMITS)
    assert report.score == report.max_score > 0, report.table(detail=True)
    return path, fingerprint(report)


def assert_reference_still_full(reference):
    path, expected = reference
    again = grade(path, A, limits=LIMITS)
    assert fingerprint(again) == expected, again.table(detail=True)


@pytest.mark.sandbox
@pytest.mark.parametrize("attack", ATTACKS, ids=[a.name for a in ATTACKS])
def test_attack_earns_only_what_its_work_earns(attack, tmp_path, reference, ledger):
    limits = replace(LIMITS, call_timeout=attack.call_timeout, cell_timeout=attack.cell_timeout)
    if attack.memory is not None:
        limits = replace(limits, memory=attack.memory)
    if attack.calls_budget is not None:
        limits = replace(limits, calls_budget=attack.calls_budget)
    report = grade(attack.build(tmp_path), attack.assignment, limits=limits)  # the grader survives
    ledger("attack", attack.assignment, [attack.name])
    points = {cell.function: cell.points for cell in grade_cells(attack.assignment)}
    lost = set(points) if attack.lost == ALL else set(attack.lost)
    assert lost <= set(points), attack.lost
    tests = {t["function"]: t for t in report.tests}
    text = seen_by_student(report)

    def losses(functions) -> str:
        functions = set(functions)
        return "everything" if functions == set(points) else ", ".join(sorted(functions)) or "nothing"

    said = next((m for m in attack.message if m in text), "(none of: " + "; ".join(attack.message) + ")")
    ROWS.mkdir(parents=True, exist_ok=True)
    (ROWS / f"{attack.name}.md").write_text(
        f"| {attack.name} | {attack.why} | {report.max_score - sum(points[f] for f in lost):g}, "
        f"loses {losses(lost)} | {report.score:g}, "
        f"loses {losses(f for f, t in tests.items() if t['score'] < t['max_score'])} | "
        f"{said if attack.message else '-'} |"
    )
    assert set(tests) == set(points), report.table(detail=True)
    for function, test in tests.items():
        if function in lost:  # no point without the work
            assert test["score"] == 0 and test["status"] in ("failed", "error", "timeout"), report.table(detail=True)
        else:
            assert test["score"] == test["max_score"] and test["status"] == "passed", report.table(detail=True)
    assert report.score == sum(p for f, p in points.items() if f not in lost)
    if attack.message:  # the report names the cause
        assert any(m in text for m in attack.message), (attack.message, report.table())
    for secret in attack.absent + hidden_texts(attack.assignment):  # feedback without leaks
        assert all(secret not in t["output"] for t in report.tests), (secret, report.table())
    if attack.dangerous:
        assert_reference_still_full(reference)


@pytest.mark.sandbox
def test_a_correct_submission_after_the_whole_corpus_keeps_its_full_score(reference):
    assert_reference_still_full(reference)


def write_table() -> None:
    """The corpus's outcomes as a table, in ATTACKS order (rows of attacks not graded this run are left out)."""
    rows = [(ROWS / f"{a.name}.md").read_text() for a in ATTACKS if (ROWS / f"{a.name}.md").exists()]
    if rows:
        TABLE.write_text(
            "| case | attack | expected (of 10) | actual | the report says |\n|---|---|---|---|---|\n"
            + "\n".join(rows)
            + "\n"
        )


def test_the_corpus_covers_the_issue():
    assert len(ATTACKS) >= 25
    names = " ".join(a.name for a in ATTACKS)
    for needed in (
        "sys_exit",
        "os_exit",
        "infinite_loop_in_a_function",
        "infinite_loop_in_a_cell",
        "50_gb",
        "fork_bomb",
        "print_1_gb",
        "redefine_check",
        "assert_helpers",
        "numpy",
        "builtins",
        "torch",
        "outbox",
        "hard_coded",
        "test_labels",
        "source",
        "references",
        "network",
        "delete_files",
        "edit_locked",
        "delete_cells",
        "duplicate_cells",
        "not_a_notebook",
        "nan",
        "inf",
        "dtype",
        # issue 13: forging, the caller, spies, torch, stability, the state a function is graded in
        "forge_with_a_thread",
        "patch_the_probes_tools",
        "forges_the_other_calls",
        "kill_the_caller",
        "throw_away_spy",
        "torch_in_a_numpy_lesson",
        "reference_from_torch",
        "stability_check",
        "rebind_after_the_solution_cell",
    ):
        assert needed in names, needed
