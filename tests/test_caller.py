"""The grader's caller (autograder/caller.py), without a kernel or a sandbox: what it decides itself.

Each call runs in a child process of its own, so a call that ends its
process or hangs is charged to its own function, in the grader's words,
and a record speaks only for its own call. A caller that is disturbed
(killed from a call: possible here, without a sandbox, where the caller is not its PID namespace's PID 1)
makes every record of the grading untrusted, and so does a call that kills the caller's
spawner (which forks each call's process).
"""

from __future__ import annotations

import pytest

from autograder.judge.exercises import exercises_for
from autograder.judge import run_judge
from tests import recording

A = "02_activations"
EXERCISES = exercises_for(A)
GOOD = {
    "relu": "def relu(z):\n    return np.maximum(z, 0)\n",
    "relu_grad": "def relu_grad(z):\n    return (z > 0).astype(z.dtype)\n",
}


def calls_of(context, function):
    return {k: v for k, v in context["outcomes"].items() if k.startswith(function + "/")}


def test_a_call_that_ends_its_process_is_charged_to_its_own_function(tmp_path):
    namespace = recording.namespace_of(GOOD["relu"], "import os\ndef relu_grad(z):\n    os._exit(3)\n")
    results, context, execution = recording.record(tmp_path, namespace, [EXERCISES["relu"], EXERCISES["relu_grad"]])
    charged = calls_of(context, "relu_grad")
    assert charged and all(
        o["error"].startswith("ProcessEnded: the call ended the process it ran in") for o in charged.values()
    )
    assert all(call_id.startswith("relu/") for call_id in context["collected"])
    assert len(context["collected"]) == len(EXERCISES["relu"].cases)


def test_a_call_that_swallows_its_timer_is_stopped_and_its_other_cases_not_run(tmp_path):
    swallowing = (
        "def relu(z):\n    while True:\n        try:\n            while True:\n                pass\n"
        "        except BaseException:\n            pass\n"
    )
    fast = EXERCISES["relu"].__class__(**{**EXERCISES["relu"].__dict__, "timeout": 1.0})
    namespace = recording.namespace_of(swallowing)
    results, context, execution = recording.record(tmp_path, namespace, [fast])
    first, *others = sorted(context["outcomes"].items(), key=lambda item: int(item[0].split("/")[1]))
    assert first[1]["status"] == "timeout" and "ignored the time limit" in first[1]["error"]
    assert others and all(o["status"] == "timeout" and o.get("not_run") for _, o in others)


PARENT = "os.getppid()"  # the caller's spawner, which forked the call's process
CALLER = "int(open(f'/proc/{os.getppid()}/stat').read().rsplit(')', 1)[1].split()[1])"  # the spawner's parent


@pytest.mark.parametrize("target", [PARENT, CALLER], ids=["the spawner", "the caller"])
def test_a_call_that_kills_the_caller_or_its_spawner_leaves_no_trusted_record(tmp_path, target):
    """The calls before it had sent good records: once the caller is disturbed, none of them counts."""
    killer = f"import os, signal\ndef relu_grad(z):\n    os.kill({target}, signal.SIGKILL)\n"
    namespace = recording.namespace_of(GOOD["relu"], killer)
    results, context, execution = recording.record(tmp_path, namespace, [EXERCISES["relu"], EXERCISES["relu_grad"]])
    assert context["collected"] == {}
    assert set(context["outcomes"]) == {
        f"{name}/{i}" for name in ("relu", "relu_grad") for i in range(len(EXERCISES[name].cases))
    }
    assert all(
        o["error_type"] == "ChecksDisturbed" and "while it called relu_grad" in o["error"]
        for o in context["outcomes"].values()
    )
    assert any("no result of this grading is trusted" in note for note in execution.notes)


def test_a_call_cannot_change_what_the_next_call_finds(tmp_path):
    """Each call starts from the notebook's saved state: a global a call changes is back for the next."""
    stateful = "COUNT = [0]\ndef relu(z):\n    COUNT[0] += 1\n    return np.maximum(z, 0) * COUNT[0]\n"
    results, context, execution = recording.record(tmp_path, recording.namespace_of(stateful), [EXERCISES["relu"]])
    assert len(context["collected"]) == len(EXERCISES["relu"].cases) and context["outcomes"] == {}
    tests = run_judge(A, results, {**context, "assignment": A, "only": ["relu"]})
    assert [(t["function"], t["status"]) for t in tests] == [("relu", "passed")], tests


def test_the_results_of_one_grading_are_capped_in_total(tmp_path):
    """The judge loaded every record at once (3.3 GB); the caller now sends at most MAX_TOTAL_BYTES."""
    from autograder import caller

    huge = "def relu(z):\n    return np.ones(25_000_000)\n"  # 200 MB a case
    results, context, execution = recording.record(tmp_path, recording.namespace_of(huge), [EXERCISES["relu"]])
    sent = sum((results / f"{where['key']}.npz").stat().st_size for where in context["collected"].values())
    assert sent <= caller.MAX_TOTAL_BYTES
    refused = [o for o in context["outcomes"].values() if o.get("error_type") == "ResultTooLarge"]
    assert refused and len(refused) + len(context["collected"]) == len(EXERCISES["relu"].cases)
