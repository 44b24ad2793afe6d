"""Execute a repaired submission in a fresh kernel, then probe its functions.

Student code runs only in the kernel, a separate process started by
jupyter_client. This module drives it cell by cell and never imports or
calls anything the student wrote.
"""
from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import numpy as np
from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError

from autograder import probe
from autograder.checks import Exercise
from autograder.targets import QUICK_ENV
from autograder.training import Training

PROBE_SOURCE = Path(probe.__file__).read_text()
CELL_TIMEOUT = 60  # seconds for one notebook cell
# BLAS/OpenMP threads in the kernel. More threads than free cores spin-wait
# and collapse: the numpy MLP trained 7x slower with 2 threads than with 1
# while other processes shared the 2 cores.
KERNEL_THREADS = 1


@dataclass
class Execution:
    seconds: float = 0.0
    cell_errors: list[str] = field(default_factory=list)
    errors_by_grade_id: dict[str, str] = field(default_factory=dict)
    failure: str | None = None   # why execution stopped early, if it did


def write_plan(exercises: list[Exercise | Training], folder: Path) -> Path:
    """The calls the probe will make, with their inputs as a pickle-free npz."""
    inputs, calls = {}, []
    for exercise in exercises:
        if isinstance(exercise, Training):
            calls.append({"id": f"{exercise.name}/trained", "read": exercise.variable})
            continue
        for index in range(len(exercise.cases)):
            args, kwargs_list = exercise.calls(index)
            call_id = f"{exercise.name}/{index}"
            calls.append({
                "id": call_id,
                "fn": exercise.name,
                "args": probe.encode(args, inputs, call_id + "/args"),
                "kwargs": [probe.encode(kwargs, inputs, f"{call_id}/kwargs{i}") for i, kwargs in enumerate(kwargs_list)],
                "spies": list(exercise.spies),
                "timeout": exercise.timeout,
            })
    folder.mkdir(parents=True, exist_ok=True)
    np.savez(folder / "inputs.npz", **inputs)
    plan = folder / "plan.json"
    plan.write_text(json.dumps({"inputs": str(folder / "inputs.npz"), "calls": calls}))
    return plan


def probe_cell(plan: Path, outbox: Path):
    # The probe runs inside a function so that none of its names land in the
    # student's namespace, and reads the student's functions from globals().
    code = (
        "def __autograder_probe():\n"
        "    import builtins  # students may shadow exec, compile or globals\n"
        "    namespace = {'__name__': 'autograder_probe'}\n"
        f"    builtins.exec(builtins.compile({PROBE_SOURCE!r}, 'autograder-probe', 'exec'), namespace)\n"
        f"    return namespace['run_plan'](builtins.globals(), {str(plan)!r}, {str(outbox)!r})\n"
        "__autograder_probe()\n"
    )
    return nbformat.v4.new_code_cell(code)


def _cell_error(cell) -> str | None:
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            return f"{output.get('ename')}: {output.get('evalue')}"[:300]
    return None


def execute(notebook, workdir: Path, plan: Path, outbox: Path, probe_timeout: float,
            cell_timeout: float = CELL_TIMEOUT, cell_timeouts: dict[str, float] | None = None,
            quick: bool = False) -> Execution:
    """Run every cell, then the probe; the kernel is shut down afterwards.

    ``cell_timeouts`` gives some cells, by grade_id, a limit of their own
    (a training cell's budget); ``quick`` puts the kernel in quick mode.
    """
    cell_timeouts = cell_timeouts or {}
    result = Execution()
    notebook.cells.append(probe_cell(plan, outbox))
    client = NotebookClient(
        notebook,
        timeout=int(cell_timeout),
        kernel_name="python3",
        allow_errors=True,
        interrupt_on_timeout=True,
        resources={"metadata": {"path": str(workdir)}},
        record_timing=False,
    )
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONHASHSEED": "0", QUICK_ENV: "1" if quick else "0",
           **{name: str(KERNEL_THREADS) for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}}
    # Unix sockets in the private work folder rather than TCP on localhost:
    # no other local user can connect to the kernel.
    client.km = client.create_kernel_manager()
    client.km.transport = "ipc"
    client.km.ip = str(workdir / "kernel")
    started = time.perf_counter()
    try:
        with client.setup_kernel(env=env, cwd=str(workdir)):
            last = len(notebook.cells) - 1
            for index, cell in enumerate(notebook.cells):
                if cell.cell_type != "code":
                    continue
                cid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
                limit = probe_timeout if index == last else cell_timeouts.get(cid, cell_timeout)
                client.timeout = int(limit)
                client.error_on_timeout = {"ename": "CellTimeoutError", "evalue": f"the cell ran longer than {limit:g} s"}
                client.execute_cell(cell, index)
                error = _cell_error(cell)
                if error and index != last:
                    result.cell_errors.append(f"cell {index}{f' ({cid})' if cid else ''}: {error}")
                    if cid:
                        result.errors_by_grade_id[cid] = error
                if index == last:
                    if error:
                        result.failure = f"the grader's probe failed: {error}"
    except DeadKernelError:
        result.failure = "the kernel died (os._exit, a crash, or memory exhausted)"
    except Exception as error:  # a kernel that cannot start or talk is a grading failure, reported
        result.failure = f"the notebook could not be executed ({type(error).__name__}: {str(error)[:200]})"
    result.seconds = time.perf_counter() - started
    return result
