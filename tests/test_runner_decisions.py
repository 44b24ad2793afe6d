"""The runner's restart decisions, without a kernel: each run's ending is scripted, and the runner decides.

runner.execute starts a kernel per run through ``_run_kernel``, then the
caller once; here a script stands in for the kernel (per run: which cell
ends it, whether it saved the graded names) and a stub for the caller. The
caller's own decisions are in tests/test_caller.py; the end-to-end cases
(tests/adversarial/) show the same decisions on real kernels.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from autograder.host import runner
from autograder.judge.exercises import exercises_for
from autograder.host.repair import grade_id
from autograder.host.sandbox import Limits
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

    def end_processes(self):
        pass


def scripted(script: list[dict]):
    """A stand-in for _run_kernel that plays one entry of ``script`` per run.

    An entry may name ``fatal`` (a cell index that ends the kernel) and ``exported`` (False: the kernel
    did not save the graded names).
    """
    runs = iter(script)

    def run_kernel(notebook, host, names, limits, cell_timeouts, skip, errors, run, left_out):
        entry = next(runs)
        run.cells = list(notebook.cells)
        run.cells_run = len(notebook.cells)
        if "fatal" in entry:
            run.fatal_cell, run.fatal_cause = entry["fatal"], "ended the kernel (os._exit, or a crash)"
            return
        run.exported = entry.get("exported", True)
        run.export_error = (
            "" if run.exported else "saving the notebook's functions for the grader failed (an exception)"
        )

    return run_kernel


@pytest.fixture
def execute(tmp_path, monkeypatch):
    exercises = list(exercises_for(A).values())
    notebook = samples.student_notebook(A)
    callers = []

    def play(*script):
        monkeypatch.setattr(runner, "_run_kernel", scripted(list(script)))
        monkeypatch.setattr(
            runner,
            "run_caller",
            lambda host, calls, inputs, results, execution, torch: (
                callers.append(calls),
                execution.collected.update({c["id"]: {"key": str(c["key"])} for c in calls}),
            ),
        )
        return runner.execute(notebook, Host(tmp_path), exercises, tmp_path / "results", Limits())

    calls, _ = runner.plan_calls(exercises)
    return play, calls, notebook, callers


def test_one_run_then_the_caller_once(execute):
    play, calls, _, callers = execute
    execution = play({})
    assert execution.runs == 1 and execution.failure is None and len(execution.collected) == len(calls)
    assert callers == [calls]


def test_a_cell_that_ends_the_kernel_is_skipped_in_the_next_run(execute):
    play, calls, notebook, callers = execute
    fatal = next(i for i, c in enumerate(notebook.cells) if grade_id(c) == "relu")
    execution = play({"fatal": fatal}, {})
    assert execution.runs == 2 and len(execution.collected) == len(calls) and len(callers) == 1
    assert execution.errors_by_grade_id["relu"].startswith("the cell ended the kernel")
    assert any(note.startswith(f"cell {fatal} (relu) ended the kernel") for note in execution.notes)


def test_a_kernel_that_did_not_save_the_functions_is_noted_and_the_caller_still_runs(execute):
    """The caller then finds no function: each is "not defined", with the reason in the notes."""
    play, calls, _, callers = execute
    execution = play({"exported": False})
    assert len(callers) == 1 and any(
        "saving the notebook's functions for the grader failed" in n for n in execution.notes
    )


def test_the_runner_gives_up_after_max_runs(execute):
    play, calls, notebook, callers = execute
    code_cells = [i for i, c in enumerate(notebook.cells) if c.cell_type == "code"]
    script = [{"fatal": i} for i in code_cells]  # every run loses one more cell, for ever
    execution = play(*script)
    assert execution.runs == runner.MAX_RUNS and callers == []
    assert execution.failure == f"the grader gave up after restarting the kernel {execution.runs - 1} times"


@pytest.mark.parametrize(
    "fatal, runs, elapsed, step",
    [
        (None, 1, 0.0, "call"),  # no cell ended the kernel: call the functions
        (None, runner.MAX_RUNS, 10_000.0, "call"),
        (3, 1, 0.0, "rerun"),  # a cell did: run the notebook again without it
        (3, runner.MAX_RUNS - 1, 0.0, "rerun"),
        (3, runner.MAX_RUNS, 0.0, "give up"),  # every run loses one more cell: not for ever
        (3, 1, 2 * 900.0 + 1, "give up"),  # twice the notebook's limit spent
    ],
)
def test_the_restart_policy(fatal, runs, elapsed, step):
    assert runner.next_step(fatal, runs, elapsed, notebook_timeout=900.0) == step
