"""The judge's verdicts on records the caller made, without a kernel.

The caller (autograder/caller.py) calls the grader's own reference code (or
a catalogue mistake), defined in the test's own namespace: it sends the
records it would send after a sandboxed kernel, and the real judge scores
them. So the judge's side of the boundary is tested on exactly the files
it gets (tests/recording.py).
"""

from __future__ import annotations


import json

import pytest

from autograder import probe
from autograder.judge.exercises import exercises_for
from autograder.judge import run_judge
from autograder.host.repair import grade_cells
from tests.mistakes import mistakes_for
from tests import recording
from tests.samples import reference_answers

A = "02_activations"


def recorded(tmp_path, answers: dict[str, str]) -> tuple:
    """The caller's records of ``answers`` (grade_id -> code), collected as the runner does."""
    results, context, _ = recording.record(
        tmp_path, recording.namespace_of(*answers.values()), exercises_for(A).values()
    )
    return results, {**context, "assignment": A}


def by_function(tests) -> dict[str, dict]:
    return {t["function"]: t for t in tests}


def test_the_reference_earns_every_point(tmp_path):
    results, context = recorded(tmp_path, reference_answers(A))
    tests = run_judge(A, results, context)
    assert [t["grade_id"] for t in tests] == [c.grade_id for c in grade_cells(A)]
    assert all(t["status"] == "passed" and t["score"] == t["max_score"] for t in tests), tests


@pytest.mark.parametrize("mistake", ["softmax_no_max_shift", "relu_returns_bool"])
def test_a_mistake_loses_exactly_its_cells(tmp_path, mistake):
    spec = mistakes_for(A)[mistake]
    results, context = recorded(tmp_path, {**reference_answers(A), spec.grade_id: spec.code})
    tests = by_function(run_judge(A, results, context))
    for function, test in tests.items():
        if function in spec.touches:
            assert test["score"] == 0 and test["status"] == "failed" and function in test["output"], test
            # Every failed case, by label and kind (the item analysis counts these); never an input.
            labels = [case.label for case in exercises_for(A)[function].cases]
            assert test["failures"] and all(f["label"] == labels[f["case"]] for f in test["failures"]), test
            assert set(test["failures"][0]) == {"case", "label", "hidden", "kind", "hint"}
        else:
            assert test["status"] == "passed" and test["failures"] == [], test


def test_a_record_that_is_unreadable_or_a_link_is_not_trusted(tmp_path):
    results, context = recorded(tmp_path, reference_answers(A))
    relu = [where["key"] for call_id, where in context["collected"].items() if call_id.startswith("relu/")]
    (results / f"{relu[0]}.json").write_text("{not json")
    leaky = next(where["key"] for call_id, where in context["collected"].items() if call_id.startswith("leaky_relu/"))
    (results / f"{leaky}.json").unlink()
    (results / f"{leaky}.json").symlink_to(results / f"{relu[1]}.json")
    tests = by_function(run_judge(A, results, context))
    for function in ("relu", "leaky_relu"):
        assert tests[function]["score"] == 0 and "no result the grader can trust" in tests[function]["output"]
    assert tests["softmax"]["status"] == "passed"


def test_only_the_named_cells_are_judged_in_a_partial_grading(tmp_path):
    results, context = recorded(tmp_path, reference_answers(A))
    tests = run_judge(A, results, {**context, "only": ["softmax", "relu"]})
    assert [t["grade_id"] for t in tests] == ["test_relu", "test_softmax"]


@pytest.mark.parametrize(
    "value",
    [
        {"t": "py", "type": "str", "v": "x" * 5_000_000},
        {"t": "other", "type": "C" * 5_000_000, "repr": "r" * 5_000_000},
    ],
)
def test_what_a_message_quotes_of_a_returned_value_is_bounded(value):
    """A returned value's repr or class name was quoted whole: 46-92 MB results and feedback pages. (The
    probe cuts them, but the records come from the student's kernel, so the judge bounds them itself.)"""
    from autograder.checks import MESSAGE_LIMIT, verdict

    exercise = exercises_for(A)["relu"]
    public = [index for index, _ in exercise.public()]
    record = {"status": "ok", "value": probe.decode(value, {})}
    result = verdict(exercise, public, [record for _ in public])
    assert not result.passed
    assert len(result.message) < MESSAGE_LIMIT + 1000 and len(result.detail) < MESSAGE_LIMIT + 1000


@pytest.mark.parametrize(
    "record",
    [
        [1, 2],
        {"status": "passed"},
        {"status": "ok", "mutated": 5},
        {"status": "ok", "mutated": [0]},
        {"status": "ok", "calls": {"perceptron": "many"}},
        {"status": "ok", "calls": {"perceptron": True}},
        {"status": "ok", "seconds": "fast"},
        {"status": "ok", "warnings": "none"},
    ],
)
def test_a_record_of_the_wrong_shape_is_unreadable(record):
    """Records come from a call in the student's code: one whose fields have the wrong types is refused
    (the judge would otherwise crash on it, or count a string as a spy call)."""
    with pytest.raises(ValueError):
        probe.validate_record(record)


def test_the_callers_records_are_valid_records(tmp_path):
    results, context = recorded(tmp_path, reference_answers(A))
    for where in context["collected"].values():
        probe.validate_record(json.loads((results / f"{where['key']}.json").read_text()))
