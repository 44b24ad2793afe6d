"""What a call writes cannot carry hidden inputs or the held-out images into a student's report (issue 33).

A call runs the student's code in the caller's sandbox, where the probe that
writes its record can be patched: every string of a record is the student's
to choose. Two ways the third round of attacks used:

- a hidden case's timeout whose "number of seconds" was the case's inputs,
  digit-encoded ("did not return within 31415926 s" passed the judge's
  check of the grader's words);
- a trained variable's "it is a <class name>, not a torch.nn.Module", with
  a class renamed to 10 MB of the held-out images, quoted whole into
  results.json and the feedback page.

The judge now rebuilds a hidden case's timeout from its status alone, and
bounds every string of a record, and the notebook's cell errors, in one
place (checks.student_text).
"""

from __future__ import annotations

import base64

import numpy as np
import pytest

from autograder import caller
from autograder.host import runner
from autograder.host.grader import grade

from autograder.checks import QUOTE_CHARS, student_text
from autograder.judge.exercises import exercises_for
from autograder.judge.test_grade_cells import _public, screened
from autograder.training import training_verdict
from tests import samples

A = "02_activations"


def hidden_index(exercise) -> int:
    return next(i for i, case in enumerate(exercise.cases) if case.hidden)


def digits_of(array) -> str:
    return "".join(str(int(abs(v) * 1000) % 10) for v in np.ravel(np.asarray(array, dtype=float))[:12])


def test_a_hidden_cases_timeout_says_its_kind_only_whatever_number_the_call_wrote():
    relu = exercises_for(A)["relu"]
    index = hidden_index(relu)
    encoded = "9" + digits_of(relu.cases[index].make(np.random.default_rng(0))[0]) + "7"  # an input, as digits
    forged = {"status": "timeout", "error": f"did not return within {encoded} s", "warnings": []}
    shown = _public(relu, index, forged)
    assert shown["error"] == "did not return within its time limit"
    forged_later = {**forged, "error": f"was not run: an earlier case did not return within {encoded} s", "not_run": 1}
    assert _public(relu, index, forged_later)["error"] == (
        "was not run: an earlier case did not return within its time limit"
    )


def test_a_trained_variables_word_cannot_carry_the_held_out_images():
    """A class renamed to the base64 of 10 MB of images: the verdict quotes at most a few hundred characters."""
    images = np.random.default_rng(0).integers(0, 256, size=(10_000, 28, 28), dtype=np.uint8)
    payload = base64.b64encode(images.tobytes()).decode()
    training = exercises_for("07_cnn_gpu")["train_cnn"]
    outcome = {"status": "ok", "value": f"it is a {payload}, not a torch.nn.Module"}
    verdict = training_verdict(training, outcome, "test", True, None, 1.0)
    assert verdict.status == "failed" and verdict.fraction == 0.0
    assert len(verdict.message) < 2000 and len(verdict.detail) < 2000
    assert payload[:400] not in verdict.message


def test_every_string_of_a_record_is_bounded_before_the_judge_reads_it():
    huge = "\x1b[31m" + "A" * 5_000_000 + "\x00"
    record = screened(
        {
            "status": "error",
            "error": huge,
            "error_type": huge,
            "traceback": huge,
            "warnings": [huge] * 50,
            "defaults": huge,
        }
    )
    assert len(record["error"]) <= QUOTE_CHARS + 60 and "more characters not shown" in record["error"]
    assert len(record["error_type"]) <= 80 + 60 and len(record["traceback"]) <= 1500 + 60
    assert len(record["warnings"]) == 5 and all(len(w) <= 200 + 60 for w in record["warnings"])
    assert len(record["defaults"]) <= 300 + 60
    assert not any("\x1b" in str(v) or "\x00" in str(v) for v in record.values())


def test_student_text_keeps_short_plain_text_as_it_is():
    plain = "ValueError: shapes (3,) and (4,) not aligned"
    assert student_text(plain) == plain
    assert student_text("line one\n\tline two") == "line one\n\tline two"
    assert student_text("\x1b[0;31mKeyError\x1b[0m: 'W1'") == "KeyError: 'W1'"


SCANNING_RELU = '''import ctypes

_HEAD, _TAIL = bytes.fromhex("{head}"), bytes.fromhex("{tail}")  # apart: never one run of bytes in this code

def _holds_the_hidden_input():
    """Whether this process's memory holds softmax's hidden input (its bytes, as numpy keeps them)."""
    with open("/proc/self/maps") as maps:
        for line in maps:
            fields = line.split()
            if not fields[1].startswith("r") or (len(fields) > 5 and fields[5] != "[heap]"):
                continue  # only the heap and anonymous memory, where a process keeps what it read
            start, end = (int(x, 16) for x in fields[0].split("-"))
            memory = ctypes.string_at(start, end - start)
            at = memory.find(_HEAD)
            while at >= 0:
                if memory[at + len(_HEAD) : at + len(_HEAD) + len(_TAIL)] == _TAIL:
                    return True
                at = memory.find(_HEAD, at + 1)
    return False

def relu(z):
    if _holds_the_hidden_input():
        return np.full_like(z, -1.0)  # an attack would encode the input into what it returns
    return np.maximum(z, 0)
'''


@pytest.mark.sandbox
def test_a_calls_process_holds_its_own_calls_inputs_and_no_other(tmp_path):
    """Each call's process was a fork of a caller that held every input of the plan, so relu's calls could
    read softmax's hidden inputs in their own memory. Now the spawner, forked before the plan is read,
    forks each call's process, which reads only its own request."""
    exercises = exercises_for(A)
    calls, inputs = runner.plan_calls([exercises["relu"], exercises["softmax"]])
    hidden = [
        key
        for call in calls
        if call["fn"] == "softmax" and exercises["softmax"].cases[int(call["id"].split("/")[1])].hidden
        for key in caller.call_inputs(call)
    ]
    secret = max((np.ascontiguousarray(inputs[key]) for key in hidden), key=lambda a: a.nbytes).tobytes()
    assert len(secret) >= 64
    relu = SCANNING_RELU.format(head=secret[:32].hex(), tail=secret[32:64].hex())
    notebook = samples.student_notebook(A, {"relu": relu})
    report = grade(samples.write(notebook, tmp_path, A), A, only=["relu", "softmax"])
    scores = {t["function"]: (t["score"], t["max_score"]) for t in report.tests}
    assert scores["relu"][0] == scores["relu"][1] and scores["softmax"][0] == scores["softmax"][1], report.table(
        detail=True
    )
