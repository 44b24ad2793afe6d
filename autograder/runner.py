"""Execute a repaired submission in fresh kernels, then probe its functions.

Student code runs only in the kernel, a separate process started by
jupyter_client inside the sandbox (autograder/sandbox.py). This module
drives it cell by cell and never imports or calls anything the student
wrote; it moves the probe's result files, and the judge reads them.

One kernel run executes the notebook's cells, then the probe cell. When a
run goes wrong, the grader restarts the kernel and runs the notebook again:
- a cell that ends the kernel (``os._exit``, a crash) or ignores the
  interrupt at its time limit is skipped from then on;
- a graded function that ends or hangs the kernel while the probe calls it
  is charged with that (an error or a timeout, and its other cases are not
  run), and the probe goes on with the functions it had not reached.
The probe writes each call's result as soon as it has it, with a marker just
before each call, so the grader knows which call was running.
"""
from __future__ import annotations

import copy
import json
import os
import secrets
import shutil
import signal
import stat
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from queue import Empty

import nbformat
import numpy as np
import zmq
from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import ensure_async, run_sync
from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError

from autograder import data, probe
from autograder.checks import Exercise
from autograder.sandbox import Limits
from autograder.training import Training

PROBE_SOURCE = Path(probe.__file__).read_text()
CELL_TIMEOUT = Limits.cell_timeout  # seconds for one notebook cell
PROBE_SLACK = 30.0       # seconds on top of the per-call limits, for the probe's own start-up and writing
WATCHDOG_GRACE = 2.0     # seconds past a call's limit before the grader stops the kernel itself
MAX_EXTRA_RUNS = 3       # restarts allowed beyond one per graded function
PREDICT_TIMEOUT = 120.0  # seconds for a trained model's predictions on the test images
TEST_IMAGES = "test-images"
# BLAS/OpenMP threads in the kernel. More threads than free cores spin-wait
# and collapse: the numpy MLP trained 7x slower with 2 threads than with 1
# while other processes shared the 2 cores.
KERNEL_THREADS = 1
# The inline backend: the figures a notebook draws come back as PNG outputs, for the feedback pages.
KERNEL_ENV = {"MPLBACKEND": "module://matplotlib_inline.backend_inline", "PYTHONHASHSEED": "0",
              **{name: str(KERNEL_THREADS) for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}}


@dataclass
class Execution:
    seconds: float = 0.0
    cell_errors: list[str] = field(default_factory=list)
    errors_by_grade_id: dict[str, str] = field(default_factory=dict)
    failure: str | None = None   # why some calls were never made, if they were not
    notes: list[str] = field(default_factory=list)
    # call id -> {"key", "nonce"}: result files the probe wrote, now in the grader's results folder
    collected: dict[str, dict] = field(default_factory=dict)
    # call id -> an outcome the grader decided itself (the call ended or hung the kernel)
    outcomes: dict[str, dict] = field(default_factory=dict)
    runs: int = 0
    notebook: object = None  # the repaired notebook with the outputs of its last run (plots, for feedback)


# ------------------------------------------------------------------ the plan
def plan_calls(exercises: list[Exercise | Training], call_timeout: float | None = None):
    """Every call the probe will make, each with a ``key`` (its position), and their inputs."""
    inputs, calls = {}, []
    for exercise in exercises:
        if isinstance(exercise, Training):
            call = {"key": len(calls), "id": f"{exercise.name}/trained", "read": exercise.variable}
            if exercise.predicts_in_kernel:  # the test images, never their labels
                inputs.setdefault(TEST_IMAGES, data.load_images("test"))
                call.update(predict={"images": TEST_IMAGES, "normalize": exercise.normalize},
                            timeout=PREDICT_TIMEOUT)
            calls.append(call)
            continue
        timeout = exercise.timeout if call_timeout is None else min(exercise.timeout, call_timeout)
        for index in range(len(exercise.cases)):
            args, kwargs_list = exercise.calls(index)
            call_id = f"{exercise.name}/{index}"
            calls.append({
                "key": len(calls),
                "id": call_id,
                "fn": exercise.name,
                "args": probe.encode(args, inputs, call_id + "/args"),
                "kwargs": [probe.encode(kwargs, inputs, f"{call_id}/kwargs{i}") for i, kwargs in enumerate(kwargs_list)],
                "spies": list(exercise.spies),
                "timeout": timeout,
                "harness": exercise.harness,
            })
    return calls, inputs


def _array_keys(tree) -> list[str]:
    if isinstance(tree, dict):
        return ([tree["k"]] if "k" in tree else []) + [k for v in tree.values() for k in _array_keys(v)]
    if isinstance(tree, list):
        return [k for v in tree for k in _array_keys(v)]
    return []


def write_plan(calls: list[dict], inputs: dict, folder: Path, inside: str) -> str:
    """Write the plan for ``calls``, with only their inputs, into ``folder`` (``inside`` in the kernel's view)."""
    needed = {k for call in calls for k in _array_keys([call.get("args"), call.get("kwargs")])}
    needed |= {call["predict"]["images"] for call in calls if "predict" in call}
    np.savez(folder / "inputs.npz", **{k: v for k, v in inputs.items() if k in needed})
    (folder / "plan.json").write_text(json.dumps({"inputs": f"{inside}/inputs.npz", "calls": calls}))
    for name in ("inputs.npz", "plan.json"):
        (folder / name).chmod(0o644)
    return f"{inside}/plan.json"


def probe_cell(plan: str, outbox: str, nonce: str | None = None):
    # The probe runs inside a function so that none of its names land in the
    # student's namespace, and reads the student's functions from globals().
    code = (
        "def __autograder_probe():\n"
        "    import builtins  # students may shadow exec, compile or globals\n"
        "    namespace = {'__name__': 'autograder_probe'}\n"
        f"    builtins.exec(builtins.compile({PROBE_SOURCE!r}, 'autograder-probe', 'exec'), namespace)\n"
        f"    return namespace['run_plan'](builtins.globals(), {plan!r}, {outbox!r}, {nonce!r})\n"
        "__autograder_probe()\n"
    )
    return nbformat.v4.new_code_cell(code)


# ------------------------------------------------------- kernel and client
class SandboxedKernelManager(AsyncKernelManager):
    """A kernel manager whose kernel command runs inside the sandbox."""

    def __init__(self, host, message_cap: int, **kwargs):
        super().__init__(**kwargs)
        self.host = host
        self.message_cap = message_cap

    def format_kernel_cmd(self, extra_arguments=None):
        command = super().format_kernel_cmd(extra_arguments)
        # An interrupt by signal reaches bwrap's monitor process first, which dies of it and
        # takes the kernel along; ipykernel's interrupt_request message raises the same
        # KeyboardInterrupt from inside.
        self.kernel_spec.interrupt_mode = "message"
        self.host.own(Path(self.connection_file))  # the kernel, under its own uid, must read it
        return self.host.wrap(command)

    def client(self, **kwargs):
        client = super().client(**kwargs)
        # zmq drops (and reconnects past) a message over the cap instead of buffering it in the grader.
        client.context.setsockopt(zmq.MAXMSGSIZE, self.message_cap)
        return client

    def kill_now(self) -> None:
        """SIGKILL the kernel's process group: with the sandbox, bwrap, whose PID namespace then ends."""
        process = getattr(self.provisioner, "process", None)
        if process is not None and process.poll() is None:
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except OSError:
                process.kill()

    def exit_status(self) -> int | None:
        process = getattr(self.provisioner, "process", None)
        return None if process is None else process.poll()


def _output_size(content: dict) -> int:
    return len(json.dumps(content, default=str))


ERROR_TEXT = 4000   # characters kept of an error's message and of each traceback line
ERROR_LINES = 30    # traceback lines kept, the last ones


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + f"... [{len(text) - limit} more characters cut]"


class GuardedClient(NotebookClient):
    """nbclient that keeps at most so much output, and notes how each cell ended."""

    def __init__(self, nb, limits: Limits, **kwargs):
        super().__init__(nb, **kwargs)
        self.limits = limits
        self.kept = 0                      # output bytes kept in the whole notebook
        self.dropped: dict[int, int] = {}  # cell index -> output bytes dropped
        self.lost: set[int] = set()        # cells whose output went over the message cap
        self.frozen = False                # True while the grader's checks run: display updates are ignored
        self.running_cell = 0
        self.start_cell()

    def start_cell(self) -> None:
        self.cell_kept = 0
        self.idle_seen = False
        self.timed_out = False

    def process_message(self, msg, cell, cell_index):
        self.running_cell = cell_index
        if msg.get("msg_type") == "status" and msg.get("content", {}).get("execution_state") == "idle":
            self.idle_seen = True  # the kernel finished the cell (or honoured the interrupt)
        return super().process_message(msg, cell, cell_index)

    def _fits(self, size: int, cell_index: int) -> bool:
        """Count ``size`` output bytes of the running cell against the caps; False (and noted) when over."""
        if self.cell_kept + size > self.limits.cell_output or self.kept + size > self.limits.notebook_output:
            self.dropped[cell_index] = self.dropped.get(cell_index, 0) + size
            return False
        self.cell_kept += size
        self.kept += size
        return True

    def output(self, outs, msg, display_id, cell_index):
        if msg.get("msg_type") == "error":  # always kept, for the report: but cut to a bounded size
            content = msg["content"]
            content["evalue"] = _cut(str(content.get("evalue", "")), ERROR_TEXT)
            content["traceback"] = [_cut(str(line), ERROR_TEXT) for line in content.get("traceback", [])[-ERROR_LINES:]]
            self.cell_kept += _output_size(content)
            self.kept += _output_size(content)
        elif not self._fits(_output_size(msg.get("content", {})), cell_index):
            return None
        return super().output(outs, msg, display_id, cell_index)

    def _update_display_id(self, display_id, msg):
        """A display update rewrites every output with that id: each copy counts against the caps, and
        during the grader's checks none is made (the outputs shown in feedback are fixed by then)."""
        if self.frozen:
            return
        copies = sum(len(indices) for indices in self._display_id_map.get(display_id, {}).values())
        if copies and not self._fits(copies * _output_size(msg.get("content", {})), self.running_cell):
            return
        super()._update_display_id(display_id, msg)

    async def _async_handle_timeout(self, timeout, cell=None):
        self.timed_out = True
        return await super()._async_handle_timeout(timeout, cell)

    async def _async_reconnect_iopub(self) -> bool:
        """A new IOPub socket, once zmq has closed the old one over an oversized message.

        zmq treats a message over MAXMSGSIZE as a protocol error and never
        reconnects that socket. True once the new one hears the kernel.
        """
        self.kc.iopub_channel.close()
        self.kc._iopub_channel = None
        for _ in range(40):
            asked = self.kc.kernel_info()
            try:
                while True:
                    msg = await ensure_async(self.kc.iopub_channel.get_msg(timeout=0.25))
                    if msg.get("parent_header", {}).get("msg_id") == asked:
                        return True
            except Empty:
                continue
        return False

    reconnect_iopub = run_sync(_async_reconnect_iopub)


def describe_exit(status: int | None) -> str:
    """Why a kernel process ended, in words, from its exit status (bwrap passes on 128 + signal)."""
    if status is None:
        return "it stopped answering"
    signum = -status if status < 0 else status - 128 if status > 128 else None
    causes = {signal.SIGKILL: "it was killed by SIGKILL: out of memory, or over the CPU-time limit",
              signal.SIGXCPU: "it went over the CPU-time limit",
              signal.SIGSEGV: "it crashed (segmentation fault)",
              signal.SIGABRT: "it aborted (a crash in native code)"}
    if signum in causes:
        return causes[signum]
    if signum is not None:
        return f"it was ended by signal {signum}"
    return f"it exited with status {status}: os._exit, or a crash"


def _cell_error(cell) -> str | None:
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            return f"{output.get('ename')}: {output.get('evalue')}"[:300]
    return None


def _safe_name(name) -> str:
    """An exception's name as the report may show it: the student chooses class names freely."""
    text = str(name)
    return text if text.isidentifier() and len(text) <= 40 else "an exception"


# ---------------------------------------------------------------- watchdog
class Watchdog(threading.Thread):
    """Stops the kernel when a probed call overruns its limit by WATCHDOG_GRACE.

    The probe's own timer raises in the call, but code that catches
    everything (a bare ``except:`` in a loop) can swallow it for ever.
    """

    def __init__(self, outbox: Path, limits: dict[str, float], kill):
        super().__init__(daemon=True)
        self.outbox, self.limits, self.kill = outbox, limits, kill
        self.stop = threading.Event()
        self.culprit: str | None = None
        self.first_seen: dict[str, float] = {}

    def run(self):
        while not self.stop.wait(0.1):
            try:
                names = set(os.listdir(self.outbox))
            except OSError:
                continue
            now = time.monotonic()
            for name in names:
                key = name[len(probe.STARTED_PREFIX):]
                if not name.startswith(probe.STARTED_PREFIX) or key not in self.limits or f"{key}.json" in names:
                    continue
                since = self.first_seen.setdefault(key, now)
                if now - since > self.limits[key] + WATCHDOG_GRACE:
                    self.culprit = key
                    self.kill()
                    return


# --------------------------------------------------------------- one run
@dataclass
class Run:
    """What happened in one kernel."""
    fatal_cell: int | None = None   # a cell that ended the kernel or would not stop
    fatal_cause: str = ""
    probe: str = "not reached"      # finished | failed | died | stopped | not reached
    probe_error: str = ""
    stopped_for: str | None = None  # the call the watchdog stopped the kernel for
    exit: str = ""                  # why the kernel ended, when it died
    deadline_at: int | None = None  # first cell not run because the notebook ran out of time
    cells_run: int = 0              # cells the kernel started
    dropped: dict[int, int] = field(default_factory=dict)  # cell index -> output bytes dropped
    lost: set[int] = field(default_factory=set)  # cells whose output went over the message cap
    cells: list = field(default_factory=list)  # this run's cells, with the outputs they produced


def _clear_outbox(host) -> Path:
    outbox = host.exchange / "outbox"
    if outbox.is_symlink() or outbox.is_file():
        outbox.unlink()
    elif outbox.exists():
        shutil.rmtree(outbox, ignore_errors=True)
    outbox.mkdir(mode=0o700)
    host.own(outbox)
    return outbox


def _run_kernel(notebook, host, calls, inputs, limits: Limits, cell_timeouts, skip: dict[int, str],
                errors: dict[int, str], run: Run, nonce: str, left_out: frozenset[int] = frozenset()) -> None:
    notebook = copy.deepcopy(notebook)  # each run starts from the repaired cells, without outputs
    cells = run.cells = list(notebook.cells)
    # shutdown_kernel="immediate": the kernel is killed once the run is over, not asked to stop and
    # waited for; it holds nothing to save, and the sandbox's cgroup ends whatever it left running.
    client = GuardedClient(notebook, limits, timeout=int(limits.cell_timeout), kernel_name="python3",
                           allow_errors=True, interrupt_on_timeout=True, record_timing=False,
                           shutdown_kernel="immediate")
    client.km = SandboxedKernelManager(host, limits.message, kernel_name="python3")
    # Unix sockets in the private work folder rather than TCP on localhost: no other local user can connect.
    client.km.transport = "ipc"
    client.km.ip = str(host.kernel_dir / "ipc")
    client.km.connection_file = str(host.kernel_dir / "connection.json")
    run.dropped, run.lost = client.dropped, client.lost
    log = open(host.kernel_dir.parent / "kernel.log", "ab")
    try:
        with client.setup_kernel(env=host.env, cwd=host.cwd, stdout=log, stderr=log):
            deadline = time.monotonic() + limits.notebook_timeout
            for index, cell in enumerate(cells):
                if cell.cell_type != "code" or index in skip or index in left_out:
                    continue
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    run.deadline_at = index
                    break
                cid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
                limit = min(cell_timeouts.get(cid, limits.cell_timeout), max(1.0, remaining))
                run.cells_run += 1
                if not _execute(client, cell, index, limit):
                    run.fatal_cell = index
                    status = client.km.exit_status()
                    if status is None:
                        run.fatal_cause = f"ran longer than {limit:g} s and did not stop when interrupted"
                        client.km.kill_now()
                    else:
                        run.fatal_cause = f"ended the kernel ({describe_exit(status)})"
                    return
                error = _cell_error(cell)
                if client.timed_out:
                    error = f"CellTimeoutError: the cell ran longer than {limit:g} s"
                if error:
                    errors[index] = error
                else:
                    errors.pop(index, None)
            if not calls:
                run.probe = "finished"
                return
            # The outputs feedback may show are fixed now, before any hidden input reaches the sandbox.
            run.cells = copy.deepcopy(cells)
            client.frozen = True
            # The plan reaches the sandbox only now, after every student cell has run.
            outbox = _clear_outbox(host)
            plan = write_plan(calls, inputs, host.exchange, host.exchange_inside)
            cell = probe_cell(plan, f"{host.exchange_inside}/outbox", nonce)
            notebook.cells.append(cell)
            watchdog = Watchdog(outbox, {str(c["key"]): c["timeout"] for c in calls if c.get("timeout")},
                                client.km.kill_now)
            watchdog.start()
            limit = sum(c.get("timeout") or 0 for c in calls) + PROBE_SLACK
            try:
                finished = _execute(client, cell, len(cells), limit, store_history=False)
            finally:
                watchdog.stop.set()
                watchdog.join()
            if watchdog.culprit is not None:
                run.probe, run.stopped_for = "stopped", watchdog.culprit
            elif not finished:
                status = client.km.exit_status()
                if status is None:  # the probe cell overran and ignored the interrupt
                    client.km.kill_now()
                    run.probe = "stopped"
                else:
                    run.probe, run.exit = "died", describe_exit(status)
            elif _cell_error(cell) or client.timed_out:
                run.probe = "failed"
                ename = next((o.get("ename") for o in cell.get("outputs", []) if o.get("output_type") == "error"),
                             "CellTimeoutError" if client.timed_out else "an error")
                run.probe_error = _safe_name(ename)
            else:
                run.probe = "finished"
    except DeadKernelError:
        run.exit = describe_exit(client.km.exit_status() if client.km else None)
    finally:
        log.close()


def _execute(client: GuardedClient, cell, index: int, limit: float, store_history: bool = True) -> bool:
    """Run one cell. False when the kernel died or will not stop (then the run is over)."""
    if not cell.source.strip():
        return True  # nbclient does not send it, so no reply or idle status would come
    client.timeout = max(1, int(round(limit)))
    # nbclient then answers for the kernel instead of waiting (and interrupting) again and again.
    client.error_on_timeout = {"ename": "CellTimeoutError", "evalue": f"the cell ran longer than {limit:g} s"}
    client.start_cell()
    try:
        client.execute_cell(cell, index, store_history=store_history)
    except DeadKernelError:
        return False
    if client.idle_seen:
        return True
    if client.timed_out:  # nbclient interrupted the kernel and waited a little: it is still busy
        return False
    # The cell finished but its end never came over IOPub: zmq dropped an oversized message.
    client.lost.add(index)
    return client.reconnect_iopub()


# ------------------------------------------------------------ all the runs
def _plain_file(path: Path) -> bool:
    return stat.S_ISREG(path.lstat().st_mode)


def _collect(host, calls, results: Path, nonce: str, execution: Execution) -> tuple[set[str], set[str]]:
    """Move this run's finished results into the grader's folder; (keys finished, keys started)."""
    outbox = host.exchange / "outbox"
    try:
        names = set(os.listdir(outbox)) if outbox.is_dir() and not outbox.is_symlink() else set()
    except OSError:
        names = set()
    finished, started = set(), set()
    for call in calls:
        key = str(call["key"])
        if probe.STARTED_PREFIX + key in names:
            started.add(key)
        if f"{key}.json" not in names:
            continue
        try:
            # Only plain files: a link could point the judge at any file the grader can read.
            if not _plain_file(outbox / f"{key}.json"):
                continue
            os.replace(outbox / f"{key}.json", results / f"{key}.json")
            if f"{key}.npz" in names and _plain_file(outbox / f"{key}.npz"):
                os.replace(outbox / f"{key}.npz", results / f"{key}.npz")
        except OSError:
            continue
        execution.collected[call["id"]] = {"key": key, "nonce": nonce}
        finished.add(key)
    return finished, started


def _charge(call: dict, run: Run, pending: list[dict], execution: Execution) -> str:
    """Record what the call that ended or hung the kernel gets, and skip its function's other cases.

    Returns the note for the report.
    """
    name = call.get("fn") or call["id"].split("/")[0]
    if run.probe == "stopped":
        limit = call.get("timeout") or 0
        outcome = {"status": "timeout",
                   "error": f"did not return within {limit:g} s and ignored the time limit, so the grader stopped the kernel"}
        cause = "ran past its time limit and ignored it"
    elif run.probe == "failed":
        outcome = {"status": "error", "error_type": run.probe_error,
                   "error": f"{run.probe_error}, which stopped the grader's checks"}
        cause = f"let {run.probe_error} escape"
    else:
        why = run.exit or "the kernel died"
        outcome = {"status": "error", "error_type": "KernelDied",
                   "error": f"KernelDied: the kernel ended during this call ({why})"}
        cause = f"ended the kernel ({why})"
    execution.outcomes[call["id"]] = outcome
    for other in pending:  # the function's other cases would only do it again
        if other is not call and "fn" in call and other.get("fn") == name:
            execution.outcomes[other["id"]] = {**outcome, "error": f"was not run: an earlier case {cause}"}
    return f"{name} {cause} during the grader's checks; the grader restarted the kernel for the functions it had not checked yet"


def execute(notebook, host, exercises, results: Path, limits: Limits | None = None,
            cell_timeouts: dict[str, float] | None = None, left_out=frozenset()) -> Execution:
    """Run the notebook and probe every graded function, restarting the kernel as needed.

    ``host`` is the submission's sandbox (or its trusted stand-in);
    ``results`` the grader's own folder, where finished results are moved
    for the judge. ``cell_timeouts`` gives some cells, by grade_id, a limit
    of their own (a training cell's budget). ``left_out`` holds the indices
    of cells a partial grading does not run (grader.cells_left_out).
    """
    limits = limits or Limits()
    cell_timeouts = cell_timeouts or {}
    calls, inputs = plan_calls(exercises, limits.call_timeout)
    by_key = {str(c["key"]): c for c in calls}
    pending = [str(c["key"]) for c in calls]
    execution = Execution()
    skip: dict[int, str] = {}    # cell index -> why it is no longer run
    errors: dict[int, str] = {}  # cell index -> its error in the latest run that ran it
    dropped: dict[int, int] = {}
    lost: set[int] = set()
    functions = {c.get("fn") or c["id"] for c in calls}
    started_at = time.perf_counter()
    max_runs = len(functions) + MAX_EXTRA_RUNS
    results.mkdir(parents=True, exist_ok=True)

    while True:
        execution.runs += 1
        nonce = secrets.token_hex(16)
        run = Run()
        try:
            _run_kernel(notebook, host, [by_key[k] for k in pending], inputs, limits, cell_timeouts,
                        skip, errors, run, nonce, frozenset(left_out))
        except Exception as error:  # a kernel that cannot start or talk is a grading failure, reported
            log = host.kernel_dir.parent / "kernel.log"
            # The kernel's own log only before any student code ran: later it could hold anything.
            tail = log.read_bytes()[-600:].decode(errors="replace").strip() if log.exists() and not run.cells_run else ""
            execution.failure = (f"the notebook could not be executed ({type(error).__name__}: {str(error)[:200]})"
                                 + (f"; the kernel said: {tail}" if tail else ""))
            break
        for index, size in run.dropped.items():
            dropped[index] = max(dropped.get(index, 0), size)
        lost |= {i for i in run.lost if i < len(notebook.cells)}
        if execution.runs == 1 and run.cells_run:
            # Only the first run's outputs are kept: its cells all ran before any plan (hidden inputs
            # included) reached the sandbox. A later run's cells could print what an earlier probe left.
            execution.notebook = copy.deepcopy(notebook)
            execution.notebook.cells = run.cells
        finished, started = _collect(host, [by_key[k] for k in pending], results, nonce, execution)
        before = len(pending)
        pending = [k for k in pending if k not in finished]

        if run.deadline_at is not None:
            execution.notes.append(f"the notebook ran past its {limits.notebook_timeout:g} s limit: "
                                   f"cells from cell {run.deadline_at} on were not run")
        if run.fatal_cell is not None:
            cell = notebook.cells[run.fatal_cell]
            cid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
            where = f"cell {run.fatal_cell}{f' ({cid})' if cid else ''}"
            skip[run.fatal_cell] = run.fatal_cause
            errors.pop(run.fatal_cell, None)
            execution.notes.append(f"{where} {run.fatal_cause}; the grader restarted the kernel and ran the "
                                   "notebook again without it")
        elif run.probe in ("died", "stopped", "failed") or (run.probe == "not reached" and pending):
            culprit = run.stopped_for or next((k for k in pending if k in started), None)
            if culprit is not None:
                execution.notes.append(_charge(by_key[culprit], run, [by_key[k] for k in pending], execution))
                pending = [k for k in pending if by_key[k]["id"] not in execution.outcomes]
            elif len(pending) == before:  # no call to blame and no progress: running again would not help
                why = {"died": f"the kernel died during the grader's checks ({run.exit})",
                       "stopped": "the grader's checks ran past their time limit",
                       "failed": f"the grader's checks failed ({run.probe_error})"}.get(run.probe)
                execution.failure = why or (f"the kernel died ({run.exit})" if run.exit
                                            else "the grader's checks did not run")
                break
        elif pending:  # the probe finished, yet some results are not there: something in the kernel removed them
            execution.failure = "the grader's checks finished, but some of their results were removed"
            break
        if not pending:
            break
        if execution.runs >= max_runs or time.perf_counter() - started_at > 2 * limits.notebook_timeout:
            execution.failure = execution.failure or (
                f"the grader gave up after restarting the kernel {execution.runs - 1} times")
            break

    for index in sorted(errors):
        cid = notebook.cells[index].get("metadata", {}).get("nbgrader", {}).get("grade_id")
        execution.cell_errors.append(f"cell {index}{f' ({cid})' if cid else ''}: {errors[index]}")
        if cid:
            execution.errors_by_grade_id[cid] = errors[index]
    for index, cause in skip.items():
        cid = notebook.cells[index].get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if cid:
            execution.errors_by_grade_id[cid] = f"the cell {cause}"
    for index, size in sorted(dropped.items()):
        execution.notes.append(f"cell {index} printed more than the grader keeps "
                               f"({limits.cell_output // 1024} KB a cell, {limits.notebook_output // 1024} KB "
                               f"a notebook): {size / 1e6:.1f} MB of its output was dropped")
    for index in sorted(lost - set(dropped)):
        execution.notes.append(f"cell {index}'s output did not all reach the grader: it drops a message over "
                               f"{limits.message // 2**20} MB unread, so that output was dropped")
    execution.seconds = time.perf_counter() - started_at
    return execution
