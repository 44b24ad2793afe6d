"""The runner's restart decisions, without a kernel: each run's ending is scripted, and the runner decides.

runner.execute starts a kernel per run through ``_run_kernel``; here a
script stands in for it: per run, which cell ends the kernel, which probed
call was running when the kernel died or hung, which calls finished. The
end-to-end cases (tests/adversarial/) show the same decisions on real kernels.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from autograder import probe, runner
from autograder.exercises import exercises_for
from autograder.notebooks import grade_id
from autograder.sandbox import Limits
from tests import samples

A = "02_activations"


class Host:
    """What the runner needs of a sandbox: its folders."""

    def __init__(self, root: Path):
        self.exchange = root / "exchange"
        self.kernel_dir = root / "kernel"
        for folder in (self.exchange, self.kernel_dir):
            folder.mkdir()

    def own(self, path):
        pass


def scripted(script: list[dict]):
    """A stand-in for _run_kernel that plays one entry of ``script`` per run.

    An entry may name ``fatal`` (a cell index that ends the kernel), ``probe`` (how the probe ended),
    ``running`` (the call key it was in: a started marker without a result) and ``finish`` (how many of
    the pending calls write their results first; all when absent).
    """
    runs = iter(script)

    def run_kernel(notebook, host, calls, inputs, limits, cell_timeouts, skip, errors, run, nonce, left_out):
        entry = next(runs)
        run.cells = list(notebook.cells)
        run.cells_run = len(notebook.cells)
        if "fatal" in entry:
            run.fatal_cell, run.fatal_cause = entry["fatal"], "ended the kernel (os._exit, or a crash)"
            return
        outbox = runner._clear_outbox(host)
        for call in calls[:entry.get("finish", len(calls))]:
            (outbox / f"{call['key']}.json").write_text(json.dumps({"status": "ok", "nonce": nonce}))
        if "running" in entry:
            (outbox / f"{probe.STARTED_PREFIX}{entry['running']}").touch()
        run.probe = entry.get("probe", "finished")
        run.exit = entry.get("exit", "")
    return run_kernel


@pytest.fixture
def execute(tmp_path, monkeypatch):
    exercises = list(exercises_for(A).values())
    notebook = samples.student_notebook(A)

    def play(*script):
        monkeypatch.setattr(runner, "_run_kernel", scripted(list(script)))
        return runner.execute(notebook, Host(tmp_path), exercises, tmp_path / "results", Limits())
    calls, _ = runner.plan_calls(exercises)
    return play, calls, notebook


def keys_of(calls, function):
    return [str(c["key"]) for c in calls if c.get("fn") == function]


def test_one_run_when_the_probe_finishes(execute):
    play, calls, _ = execute
    execution = play({})
    assert execution.runs == 1 and execution.failure is None and len(execution.collected) == len(calls)


def test_a_cell_that_ends_the_kernel_is_skipped_in_the_next_run(execute):
    play, calls, notebook = execute
    fatal = next(i for i, c in enumerate(notebook.cells) if grade_id(c) == "relu")
    execution = play({"fatal": fatal}, {})
    assert execution.runs == 2 and len(execution.collected) == len(calls)
    assert execution.errors_by_grade_id["relu"].startswith("the cell ended the kernel")
    assert any(note.startswith(f"cell {fatal} (relu) ended the kernel") for note in execution.notes)


def test_the_call_running_when_the_kernel_died_is_charged_with_its_function_and_the_rest_graded(execute):
    play, calls, _ = execute
    leaky = keys_of(calls, "leaky_relu")
    first = int(leaky[0])
    execution = play({"probe": "died", "exit": "it was killed by SIGKILL", "finish": first, "running": first}, {})
    assert execution.runs == 2 and execution.failure is None
    charged = set(execution.outcomes)
    assert charged == {f"leaky_relu/{i}" for i in range(len(leaky))}
    assert execution.outcomes["leaky_relu/0"]["error"].startswith("KernelDied: the kernel ended during this call")
    assert execution.outcomes["leaky_relu/1"]["error"].startswith("was not run: an earlier case")
    assert set(execution.collected) == {c["id"] for c in calls} - charged  # the functions after it, in run 2
    assert any(note.startswith("leaky_relu ended the kernel") for note in execution.notes)


def test_a_call_that_hangs_is_charged_as_a_timeout(execute):
    play, calls, _ = execute
    key = keys_of(calls, "relu_grad")[0]
    execution = play({"probe": "stopped", "finish": int(key), "running": key}, {})
    assert execution.outcomes["relu_grad/0"]["status"] == "timeout"
    assert "ignored the time limit" in execution.outcomes["relu_grad/0"]["error"]


def test_a_kernel_that_dies_with_no_call_to_blame_and_no_progress_is_a_failure_not_a_loop(execute):
    play, _, _ = execute
    execution = play({"probe": "died", "exit": "it crashed (segmentation fault)", "finish": 0})
    assert execution.runs == 1
    assert execution.failure == "the kernel died during the grader's checks (it crashed (segmentation fault))"


def test_results_removed_after_a_finished_probe_are_a_failure(execute):
    play, calls, _ = execute
    execution = play({"finish": len(calls) - 1})
    assert execution.runs == 1 and execution.failure == "the grader's checks finished, but some of their results were removed"


def test_the_runner_gives_up_after_one_run_per_function_and_three_more(execute):
    play, calls, notebook = execute
    functions = {c["fn"] for c in calls}
    code_cells = [i for i, c in enumerate(notebook.cells) if c.cell_type == "code"]
    script = [{"fatal": i} for i in code_cells]  # every run loses one more cell, for ever
    execution = play(*script)
    assert execution.runs == len(functions) + runner.MAX_EXTRA_RUNS
    assert execution.failure == f"the grader gave up after restarting the kernel {execution.runs - 1} times"
