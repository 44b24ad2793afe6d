"""The warm judge (autograder/judge/server.py) gives exactly the cold judge's verdicts, faster."""

from __future__ import annotations

import json
import time

import pytest

from autograder import judge
from autograder.host.grader import grade
from tests import samples


def _records(tmp_path, assignment: str):
    """A results folder with one unreadable record and one missing, and the context naming them."""
    results = tmp_path / f"results-{assignment}"
    results.mkdir()
    (results / "0.json").write_text(json.dumps({"value": {"t": "py", "type": "float", "v": 1.0}}))  # no status
    function = {"01_neuron": "weighted_sum", "02_activations": "relu"}[assignment]
    context = {
        "assignment": assignment,
        "collected": {f"{function}/0": {"key": "0"}},
        "outcomes": {},
        "failure": "the kernel died",
        "missing_solutions": [],
        "cell_errors": {},
    }
    return results, context


@pytest.mark.parametrize("assignment", ["01_neuron", "02_activations"])
def test_the_warm_judge_agrees_with_a_cold_one(tmp_path, assignment):
    results, context = _records(tmp_path, assignment)
    cold = judge.run_judge(assignment, results, context, warm=False)
    warm = judge.run_judge(assignment, results, context)
    assert not judge.WARM.broken, "the warm judge fell back to a cold one"
    assert warm == cold
    assert any("no result the grader can trust" in t["output"] for t in warm)


def test_the_warm_judge_is_reused_and_replaced_when_it_dies(tmp_path):
    results, context = _records(tmp_path, "01_neuron")
    first = judge.run_judge("01_neuron", results, context)
    server = judge.WARM.process.pid
    started = time.perf_counter()
    assert judge.run_judge("01_neuron", results, context) == first
    warm_seconds = time.perf_counter() - started
    assert judge.WARM.process.pid == server, "one server serves every judgement of this process"

    judge.WARM.process.kill()
    judge.WARM.process.wait()
    assert judge.run_judge("01_neuron", results, context) == first
    assert judge.WARM.process.pid != server and not judge.WARM.broken
    print(f"a warm judgement took {warm_seconds:.2f} s")


@pytest.mark.sandbox
def test_a_grading_judged_warm_equals_one_judged_cold(tmp_path, monkeypatch):
    """A real submission (two mistakes) graded twice: the verdicts, messages and points are the same."""
    path = samples.write(
        samples.with_mistakes("02_activations", "softmax_no_max_shift", "relu_returns_bool"), tmp_path, "02_activations"
    )
    warm = grade(path, "02_activations")
    assert not judge.WARM.broken
    monkeypatch.setattr(judge.WARM, "failures", judge.WarmJudge.MAX_FAILURES)  # this process now judges cold
    cold = grade(path, "02_activations")
    assert 0 < warm.score < warm.max_score
    assert warm.tests == cold.tests
