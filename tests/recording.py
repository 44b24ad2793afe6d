"""Records made the way the grader makes them, without a kernel.

The notebook's functions are defined here, in a namespace of the test's
own; ``caller.export`` saves them as the kernel would, and the real caller
(autograder/caller.py, as a process of its own, without the sandbox) calls
them and sends its records. So the judge's side of the boundary is tested
on exactly the files it gets.
"""

from __future__ import annotations

from pathlib import Path

from autograder import caller
from autograder.host import runner
from autograder.host.sandbox import Limits, Unsandboxed


def namespace_of(*sources: str) -> dict:
    """A notebook's globals after running ``sources`` (numpy imported as np)."""
    namespace = {"__name__": "__main__"}
    exec("import numpy as np", namespace)
    for code in sources:
        exec(code, namespace)
    return namespace


def record(tmp_path: Path, namespace: dict, exercises, torch: bool = False) -> tuple[Path, dict, runner.Execution]:
    """(results folder, judge context, execution) for calling ``exercises`` on ``namespace``'s functions."""
    calls, inputs = runner.plan_calls(list(exercises))
    (tmp_path / "work").mkdir()
    host = Unsandboxed(tmp_path / "work", Limits(), {})
    defs = host.exchange / "outbox" / "defs"
    caller.export(namespace, runner.exported_names(calls), str(defs), final=True)
    results = tmp_path / "results"
    results.mkdir()
    execution = runner.Execution()
    runner.run_caller(host, calls, inputs, results, execution, torch)
    context = {
        "assignment": None,
        "collected": execution.collected,
        "outcomes": execution.outcomes,
        "failure": None,
        "missing_solutions": [],
        "cell_errors": {},
        "quick": True,
    }
    return results, context, execution
