"""Execute a repaired submission in a fresh kernel, then call its functions in the grader's caller.

Student code runs only in sandboxes: the kernel, a separate process started
by jupyter_client (autograder/sandbox.py), and the children of the grader's
caller (autograder/caller.py). This module drives the kernel cell by cell,
then the caller, and never imports or calls anything the student wrote; it
moves the caller's records to the judge, which decides every point.

One kernel run executes the notebook's cells. After each solution cell the
kernel saves that cell's function for the caller (so a later cell that
rebinds the name changes nothing, and is noted), and at the end every
other name the grader needs. When a cell ends the kernel (``os._exit``, a
crash) or ignores the interrupt at its time limit, the grader restarts the
kernel and runs the notebook again without it. Once the kernel has ended,
the caller calls every graded function, each call in a process of its own;
it charges a call that hangs or ends its process itself.
"""

from __future__ import annotations

import copy
import inspect
import json
import os
import subprocess
import sys
import shutil
import signal
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from queue import Empty
from typing import Literal

import nbformat
import numpy as np
import zmq
from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import ensure_async, run_sync
from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError

from autograder import caller, probe
from autograder.checks import Exercise
from autograder.host.sandbox import Limits
from autograder.i18n import N_, _
from autograder.training import CELL_TIMEOUT, KERNEL_TIMEOUT, Training

# What the kernel runs to save the graded names (caller.export), as text: nothing is imported there.
EXPORT_SOURCE = f"import json, os, sys\nMAX_EXPORT_BYTES = {caller.MAX_EXPORT_BYTES}\n" + inspect.getsource(
    caller.export
)
CALLER_SLACK = 60.0  # seconds on top of the per-call limits, for the caller's start (torch's import)
EXPORT_TIMEOUT = 60.0  # seconds for the kernel to save the graded names
# Run before any student cell: what the export imports, so that no file of the student's can stand in.
PRELUDE = "def __autograder_prelude():\n    import cloudpickle\n__autograder_prelude()\ndel __autograder_prelude\n"
MAX_RUNS = 6  # kernel runs: each restart leaves out one more cell that ended the kernel


@dataclass
class Execution:
    seconds: float = 0.0
    cell_errors: list[str] = field(default_factory=list)
    errors_by_grade_id: dict[str, str] = field(default_factory=dict)
    failure: str | None = None  # why some calls were never made, if they were not
    # Set when the grader failed before any student code could be blamed (the sandboxed kernel did not
    # start, the caller could not start): then nothing of this execution is a grade.
    fault: str | None = None
    # Why the caller ended before it finished (killed from inside the sandbox, or from outside it), or None:
    # its records are untrusted, and grade() grades the submission once more before that verdict stands.
    disturbed: str | None = None
    notes: list[str] = field(default_factory=list)
    # call id -> {"key"}: records the caller sent for the judge, now in the grader's results folder
    collected: dict[str, dict] = field(default_factory=dict)
    # call id -> an outcome the grader decided itself (the call hung or ended its process)
    outcomes: dict[str, dict] = field(default_factory=dict)
    runs: int = 0
    # grade_id -> seconds the cell ran in the last run, for the cells with a time budget of their own (training)
    cell_seconds: dict[str, float] = field(default_factory=dict)
    # call id -> seconds from the frame that said the call began to the one that gave its result, timed by the
    # grader outside the sandbox (a training call's time against its budget)
    call_seconds: dict[str, float] = field(default_factory=dict)
    notebook: object = None  # the repaired notebook with the outputs of its last run (plots, for feedback)


# ------------------------------------------------------------------ the plan
def plan_calls(
    exercises: list[Exercise | Training], call_timeout: float | None = None, quick: bool = False, device: str = "cpu"
):
    """Every call the caller will make, each with a ``key`` (its position), and their inputs. ``quick`` and
    ``device`` choose a training call's data and budget (targets.Target)."""
    inputs, calls = {}, []
    for exercise in exercises:
        calls += exercise.planned_calls(len(calls), inputs, call_timeout, quick, device)
    return calls, inputs


def write_plan(calls: list[dict], inputs: dict, folder: Path, inside: str, budget: float) -> str:
    """Write the plan for ``calls``, with only their inputs, into ``folder`` (``inside`` in the sandbox's view).

    ``budget``: seconds for all the calls together (Limits.calls_budget)."""
    needed = set().union(*(caller.call_inputs(call) for call in calls))
    np.savez(folder / "inputs.npz", **{k: v for k, v in inputs.items() if k in needed})
    plan = {"inputs": f"{inside}/inputs.npz", "calls": calls, "budget": budget}
    (folder / "plan.json").write_text(json.dumps(plan))
    for name in ("inputs.npz", "plan.json"):
        (folder / name).chmod(0o644)
    return f"{inside}/plan.json"


def export_cell(names: list[str], folder: str, final: bool):
    """The cell that saves ``names`` for the caller (caller.export), leaving no name behind."""
    code = (
        "def __autograder_export():\n"
        "    import builtins  # students may shadow exec, compile or globals\n"
        "    namespace = {'__name__': 'autograder_export'}\n"
        f"    builtins.exec(builtins.compile({EXPORT_SOURCE!r}, 'autograder-export', 'exec'), namespace)\n"
        f"    namespace['export'](builtins.globals(), {names!r}, {folder!r}, {final!r})\n"
        "__autograder_export()\n"
        "del __autograder_export\n"
    )
    return nbformat.v4.new_code_cell(code)


def exported_names(calls: list[dict]) -> list[str]:
    """Every name of the notebook's that the caller loads."""
    names = []
    for call in calls:
        for name in (call.get("fn"), call.get("signature_of")):
            if name and name not in names:
                names.append(name)
    return names


# ------------------------------------------------------- kernel and client
class ReadyClient(AsyncKernelClient):
    """jupyter_client's client, with its wait for a kernel's first reply made without the fixed 0.2 s at its
    end (it waits that long for IOPub to stay quiet): messages that arrive later are not this run's cells',
    and nbclient reads only the replies to its own requests."""

    async def wait_for_ready(self, timeout: float | None = None) -> None:
        deadline = time.monotonic() + (float("inf") if timeout is None else timeout)
        while True:
            self.kernel_info()
            try:
                reply = await ensure_async(self.shell_channel.get_msg(timeout=1))
            except Empty:
                reply = None
            if reply is not None and reply["msg_type"] == "kernel_info_reply":
                try:  # IOPub is connected once it has carried the request's status
                    await ensure_async(self.iopub_channel.get_msg(timeout=0.2))
                except Empty:
                    pass
                else:
                    self._handle_kernel_info_reply(reply)
                    break
            if not await self._async_is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")
            if time.monotonic() > deadline:
                raise RuntimeError(f"Kernel didn't respond in {timeout:.0f} seconds")
        while True:  # what IOPub holds already, without waiting for more
            try:
                await ensure_async(self.iopub_channel.get_msg(timeout=0))
            except Empty:
                break


RECEIVE_QUEUE = 4  # messages zmq may hold for the grader, per socket, before it reads them


class SandboxedKernelManager(AsyncKernelManager):
    """A kernel manager whose kernel command runs inside the sandbox."""

    def __init__(self, host, message_cap: int, **kwargs):
        super().__init__(**kwargs)
        self.client_factory = ReadyClient
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
        # zmq queues what arrives before the grader reads it, in this process: a flood of messages under the
        # cap (widget state, displays) grew it by the whole flood on a busy machine (360 MB). Past
        # RECEIVE_QUEUE waiting messages, a publisher's (the kernel's output) are dropped instead; a cell whose
        # idle status is lost so is waited for nbclient's iopub_timeout, then the run goes on.
        client.context.setsockopt(zmq.RCVHWM, RECEIVE_QUEUE)
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

    async def _async_wait(self, pollinterval: float = 0.1) -> None:
        # jupyter_client looks every 0.1 s whether a killed kernel has ended; a killed sandbox ends within
        # milliseconds, and every grading waited out the first 0.1 s.
        await super()._async_wait(pollinterval=min(pollinterval, 0.005))


def _output_size(content: dict) -> int:
    return len(json.dumps(content, default=str))


ERROR_TEXT = 4000  # characters kept of an error's message and of each traceback line
ERROR_LINES = 30  # traceback lines kept, the last ones
ERROR_NAME = 200  # characters kept of an error's exception name


def _cut(text: str, limit: int) -> str:
    return (
        text
        if len(text) <= limit
        else text[:limit] + _("... [{count} more characters cut]").format(count=len(text) - limit)
    )


class GuardedClient(NotebookClient):
    """nbclient that keeps at most so much output, and notes how each cell ended."""

    def __init__(self, nb, limits: Limits, **kwargs):
        super().__init__(nb, **kwargs)
        self.limits = limits
        self.kept = 0  # output bytes kept in the whole notebook
        self.dropped: dict[int, int] = {}  # cell index -> output bytes dropped
        self.lost: set[int] = set()  # cells whose output went over the message cap
        self.frozen = False  # True while the grader's checks run: display updates are ignored
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
        if msg.get("msg_type") == "error":
            content = msg["content"]
            content["ename"] = _cut(str(content.get("ename", "")), ERROR_NAME)
            content["evalue"] = _cut(str(content.get("evalue", "")), ERROR_TEXT)
            content["traceback"] = [_cut(str(line), ERROR_TEXT) for line in content.get("traceback", [])[-ERROR_LINES:]]
            if not self._fits(_output_size(content), cell_index):
                if any(out.get("output_type") == "error" for out in outs):
                    return None  # past the caps, a cell keeps its first error only
                # A cell's first error is kept for the report, past the caps too, but only its name and message
                content["traceback"] = []
                content["ename"], content["evalue"] = content["ename"][:80], content["evalue"][:300]
        elif not self._fits(_output_size(msg.get("content", {})), cell_index):
            return None
        return super().output(outs, msg, display_id, cell_index)

    def handle_comm_msg(self, outs, msg, cell_index):
        """Comm (widget) messages are dropped, never held: nbclient keeps each widget's state and buffers in
        the grader's own process, outside every cap (330 messages of 6 MB grew it to 2.1 GB), and a graded
        notebook shows no live widget (its feedback keeps text and PNG outputs)."""
        return None

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
        for _attempt in range(40):
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
        return _("it stopped answering")
    signum = -status if status < 0 else status - 128 if status > 128 else None
    causes = {
        signal.SIGKILL: N_("it was killed by SIGKILL: out of memory, or over the CPU-time limit"),
        signal.SIGXCPU: N_("it went over the CPU-time limit"),
        signal.SIGSEGV: N_("it crashed (segmentation fault)"),
        signal.SIGABRT: N_("it aborted (a crash in native code)"),
    }
    if signum in causes:
        return _(causes[signum])
    if signum is not None:
        return _("it was ended by signal {signum}").format(signum=signum)
    return _("it exited with status {status}: os._exit, or a crash").format(status=status)


def _cell_error(cell) -> str | None:
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            return f"{output.get('ename')}: {output.get('evalue')}"[:300]
    return None


def _safe_name(name) -> str:
    """An exception's name as the report may show it: the student chooses class names freely."""
    text = str(name)
    return text if text.isidentifier() and len(text) <= 40 else _("an exception")


# --------------------------------------------------------------- one run
@dataclass
class Run:
    """What happened in one kernel."""

    fatal_cell: int | None = None  # a cell that ended the kernel or would not stop
    fatal_cause: str = ""
    exported: bool = False  # the kernel saved the graded names at the end
    export_error: str = ""
    exit: str = ""  # why the kernel ended, when it died
    deadline_at: int | None = None  # first cell not run because the notebook ran out of time
    cells_run: int = 0  # cells the kernel started
    dropped: dict[int, int] = field(default_factory=dict)  # cell index -> output bytes dropped
    lost: set[int] = field(default_factory=set)  # cells whose output went over the message cap
    cells: list = field(default_factory=list)  # this run's cells, with the outputs they produced
    seconds: dict[str, float] = field(default_factory=dict)  # grade_id -> wall-clock s, cells with a budget


def _remove_outbox(host) -> None:
    outbox = host.exchange / "outbox"
    if outbox.is_symlink() or outbox.is_file():
        outbox.unlink()
    elif outbox.exists():
        shutil.rmtree(outbox, ignore_errors=True)


def _open_outbox(host) -> Path:
    """The one folder the kernel may write to, made only for the final export: no cell can fill it."""
    _remove_outbox(host)
    outbox = host.exchange / "outbox"
    outbox.mkdir(mode=0o700)
    host.own(outbox)
    return outbox


def _keep_only_defs(host) -> None:
    """After the kernel: whatever it left in the outbox beside the saved functions goes, before the plan."""
    outbox = host.exchange / "outbox"
    if outbox.is_symlink() or not outbox.is_dir():
        _remove_outbox(host)
        return
    for item in outbox.iterdir():
        if item.name == "defs" and item.is_dir() and not item.is_symlink():
            continue
        if item.is_dir() and not item.is_symlink():
            shutil.rmtree(item, ignore_errors=True)
        else:
            item.unlink(missing_ok=True)


def _grade_id(cell) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def _export(client: GuardedClient, host, names: list[str], final: bool) -> str | None:
    """Have the kernel save ``names`` for the caller; the error, if it did not."""
    cell = export_cell(names, f"{host.exchange_inside}/outbox/defs", final)
    if not _run_hidden(client, cell, EXPORT_TIMEOUT):
        return _("the kernel died or hung while it saved the notebook's functions for the grader")
    error = _cell_error(cell) or ("a timeout" if client.timed_out else None)
    if error:
        return _("saving the notebook's functions for the grader failed ({error})").format(
            error=_safe_name(error.split(":")[0])
        )
    return None


def _client(notebook, host, limits: Limits) -> GuardedClient:
    """An nbclient for ``notebook`` whose kernel starts in ``host``'s sandbox, over Unix sockets."""
    # shutdown_kernel="immediate": the kernel is killed once the run is over, not asked to stop and
    # waited for; it holds nothing to save, and the sandbox's cgroup ends whatever it left running.
    client = GuardedClient(
        notebook,
        limits,
        timeout=int(limits.cell_timeout),
        kernel_name="python3",
        allow_errors=True,
        interrupt_on_timeout=True,
        record_timing=False,
        shutdown_kernel="immediate",
    )
    client.km = SandboxedKernelManager(host, limits.message, kernel_name="python3")
    # Unix sockets in the private work folder rather than TCP on localhost: no other local user can connect.
    client.km.transport = "ipc"
    client.km.ip = str(host.kernel_dir / "ipc")
    client.km.connection_file = str(host.kernel_dir / "connection.json")
    return client


def _run_hidden(client: GuardedClient, cell, limit: float) -> bool:
    """Run a cell of the grader's in the kernel, outside the notebook: no history, no outputs kept."""
    client.nb.cells.append(cell)  # nbclient runs a cell at its index in the notebook
    try:
        return _execute(client, cell, len(client.nb.cells) - 1, limit, store_history=False)
    finally:
        client.nb.cells.remove(cell)


def _run_cells(client, host, cells, names, limits, cell_timeouts, skip, errors, run, left_out) -> bool:
    """The notebook's code cells in order, keeping each solution cell's function; False when one ended
    the kernel or would not stop (``run.fatal_cell``), or the notebook ran out of time."""
    deadline = time.monotonic() + limits.notebook_timeout
    for index, cell in enumerate(cells):
        if cell.cell_type != "code" or index in skip or index in left_out:
            continue
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            run.deadline_at = index
            return True
        cid = _grade_id(cell)
        limit = min(cell_timeouts.get(cid, limits.cell_timeout), max(1.0, remaining))
        run.cells_run += 1
        began = time.perf_counter()
        done = _execute(client, cell, index, limit)
        if cid in cell_timeouts:
            run.seconds[cid] = time.perf_counter() - began
        if not done:
            run.fatal_cell = index
            status = client.km.exit_status()
            if status is None:
                run.fatal_cause = _(KERNEL_TIMEOUT).format(limit=limit)
                client.km.kill_now()
            else:
                run.fatal_cause = _("ended the kernel ({cause})").format(cause=describe_exit(status))
            return False
        error = "CellTimeoutError: " + _timeout_text(limit) if client.timed_out else _cell_error(cell)
        if error:
            errors[index] = error
        else:
            errors.pop(index, None)
        if cid in names and cell.get("metadata", {}).get("nbgrader", {}).get("solution"):
            # The function as its solution cell defined it; a later rebinding changes nothing.
            run.export_error = _export(client, host, [cid], False) or run.export_error
    return True


def _run_kernel(
    notebook,
    host,
    names: list[str],
    limits: Limits,
    cell_timeouts,
    skip: dict[int, str],
    errors: dict[int, str],
    run: Run,
    left_out: frozenset[int] = frozenset(),
) -> None:
    """Run the notebook's cells in a fresh kernel; each solution cell's function, and at the end
    every other name in ``names``, is saved for the caller."""
    notebook = copy.deepcopy(notebook)  # each run starts from the repaired cells, without outputs
    cells = run.cells = list(notebook.cells)
    _remove_outbox(host)
    client = _client(notebook, host, limits)
    run.dropped, run.lost = client.dropped, client.lost
    log = open(host.kernel_dir.parent / "kernel.log", "ab")
    try:
        with client.setup_kernel(env=host.env, cwd=host.cwd, stdout=log, stderr=log):
            if names:  # what the export needs, imported before any student code (no file of theirs can stand in)
                _run_hidden(client, nbformat.v4.new_code_cell(PRELUDE), EXPORT_TIMEOUT)
            if not _run_cells(client, host, cells, names, limits, cell_timeouts, skip, errors, run, left_out):
                return
            if not names:
                run.exported = True
                return
            # The outputs feedback may show are fixed now; the kernel's display updates no longer count.
            run.cells = copy.deepcopy(cells)
            client.frozen = True
            _open_outbox(host)
            problem = _export(client, host, names, True)
            run.exported, run.export_error = problem is None, problem or run.export_error
    except DeadKernelError:
        run.exit = describe_exit(client.km.exit_status() if client.km else None)
    finally:
        log.close()


def _timeout_text(limit: float) -> str:
    """What a cell that ran past its time limit says (its CellTimeoutError's message)."""
    return _(CELL_TIMEOUT).format(limit=limit)


def _execute(client: GuardedClient, cell, index: int, limit: float, store_history: bool = True) -> bool:
    """Run one cell. False when the kernel died or will not stop (then the run is over)."""
    if not cell.source.strip():
        return True  # nbclient does not send it, so no reply or idle status would come
    client.timeout = max(1, int(round(limit)))
    # nbclient then answers for the kernel instead of waiting (and interrupting) again and again.
    client.error_on_timeout = {"ename": "CellTimeoutError", "evalue": _timeout_text(limit)}
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


# ------------------------------------------------------------ the caller
class CallerStream:
    """Reads the caller's frames (caller.send) from its stdout, within limits."""

    def __init__(self, stream):
        self.stream = stream

    def _exactly(self, size: int) -> bytes:
        data = self.stream.read(size)
        if data is None or len(data) != size:
            raise EOFError
        return data

    def frames(self):
        while True:
            try:
                length = caller.FRAME.unpack(self._exactly(caller.FRAME.size))[0]
            except EOFError:
                return
            if length > 1 << 20:
                return
            header = json.loads(self._exactly(length))
            sizes = header.get("sizes", [])
            if len(sizes) > 2 or sum(sizes) > caller.MAX_RECORD_BYTES + caller.MAX_ARRAY_BYTES:
                return
            yield header, [self._exactly(size) for size in sizes]


def _caller_command(host, plan: str, flavour: str) -> list[str]:
    lib = host.lib_inside
    boot = f"import sys; sys.path.insert(0, {lib!r}); from autograder import caller; caller.main(sys.argv[1:])"
    argv = [
        sys.executable,
        "-E",
        "-s",
        "-c",
        boot,
        plan,
        f"{host.exchange_inside}/outbox/defs",
        "sandboxed" if host.enabled else "trusted",
        flavour,  # what it imports before it reads the plan (probe.flavour)
    ]
    return host.wrap_caller(argv)


def run_caller(host, calls: list[dict], inputs: dict, results: Path, execution: Execution, torch: bool = False) -> None:
    """Have the caller make every call, and keep its records for the judge (see caller.py).

    The caller is the grader's own code, so what it decides (a call hung, or
    ended its process) is the grader's word. If it does not finish (it was
    killed), none of its records is trusted: every call scores 0, with a note.
    """
    budget = host.limits.calls_budget
    plan = write_plan(calls, inputs, host.exchange, host.exchange_inside, budget)
    by_key = {str(call["key"]): call for call in calls}
    longest = max((caller._deadline(call) + caller.LOAD_TIMEOUT for call in calls), default=0.0)
    limit = min(sum(caller._deadline(call) + caller.LOAD_TIMEOUT for call in calls), budget + longest)
    limit += CALLER_SLACK
    log = open(host.kernel_dir.parent / "caller.log", "ab")
    process = subprocess.Popen(
        _caller_command(host, plan, probe.flavour(calls, torch)),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=log,
        cwd=host.cwd,
        env=host.caller_env,
        start_new_session=True,
    )
    timer = threading.Timer(limit, lambda: _kill_group(process))
    timer.start()
    done, running, since = False, None, time.monotonic()
    collected, outcomes = {}, {}
    try:
        for header, payloads in CallerStream(process.stdout).frames():
            if "started" in header:
                running, since = by_key.get(str(header["started"])), time.monotonic()
            elif "record" in header and str(header["record"]) in by_key and len(payloads) == 2:
                key = str(header["record"])
                execution.call_seconds[by_key[key]["id"]] = time.monotonic() - since
                if late(by_key[key], since):  # whatever it holds: timed from outside, it came too late
                    outcomes[by_key[key]["id"]] = {"status": "timeout", "error": _(LATE)}
                    continue
                (results / f"{key}.json").write_bytes(payloads[0])
                (results / f"{key}.npz").write_bytes(payloads[1])
                collected[by_key[key]["id"]] = {"key": key}
            elif "decided" in header and str(header["decided"]) in by_key:
                outcomes[by_key[str(header["decided"])]["id"]] = dict(header.get("outcome", {}))
                execution.call_seconds[by_key[str(header["decided"])]["id"]] = time.monotonic() - since
            elif header.get("done") == len(calls):
                done = True
    except (ValueError, OSError):
        done = False
    finally:
        timer.cancel()
        process.stdout.close()
        _kill_group(process)
        process.wait()
        log.close()
    if done and process.returncode in (0, -signal.SIGKILL) and len(collected) + len(outcomes) == len(calls):
        execution.collected.update(collected)
        execution.outcomes.update(outcomes)
        return
    who = running.get("fn") if running else None
    if who:
        error = _(
            "ChecksDisturbed: the grader's checks were disturbed while it called {name} (its caller process "
            "ended early), so none of their results is trusted"
        ).format(name=who)
        note = _(
            "the grader's checks were disturbed while it called {name}: its caller process ended early, "
            "so no result of this grading is trusted and every function scores 0"
        ).format(name=who)
    else:
        error = _(
            "ChecksDisturbed: the grader's checks were disturbed before its first call (its caller process "
            "ended early), so none of their results is trusted"
        )
        note = _(
            "the grader's checks were disturbed before its first call: its caller process ended early, "
            "so no result of this grading is trusted and every function scores 0"
        )
    for call in calls:
        execution.outcomes[call["id"]] = {"status": "error", "error_type": "ChecksDisturbed", "error": error}
    execution.notes.append(note)
    execution.disturbed = _("while it called {name}").format(name=who) if who else _("before its first call")


# The caller times each call itself, as its sandbox's PID 1, where no call's process can stop it. The grader
# times each call again from outside, from the frames that say a call began and what it gave: a record that
# comes later than the call's limits allow is a timeout, whatever it holds.
OUTSIDE_SLACK = 2.0  # seconds past a call's limits (loading included) for the record's way out
LATE = N_("did not return within its time limit (the grader, timing it from outside, took its result as too late)")


def late(call: dict, since: float) -> bool:
    return time.monotonic() - since > caller.LOAD_TIMEOUT + caller._deadline(call) + OUTSIDE_SLACK


def _kill_group(process) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except OSError:
        pass


# ------------------------------------------------------------ all the runs
def _cell_name(notebook, index: int) -> str:
    """A cell as the report names it: its index, and its grade_id when it has one."""
    cid = _grade_id(notebook.cells[index])
    return (
        _("cell {index} ({grade_id})").format(index=index, grade_id=cid)
        if cid
        else _("cell {index}").format(index=index)
    )


def _note_cells(execution: Execution, notebook, errors, skip, dropped, lost, limits: Limits) -> None:
    """What the report says about the cells: their errors, the cells left out, the output dropped."""
    for index in sorted(errors):
        cid = _grade_id(notebook.cells[index])
        execution.cell_errors.append(_("{cell}: {error}").format(cell=_cell_name(notebook, index), error=errors[index]))
        if cid:
            execution.errors_by_grade_id[cid] = errors[index]
    for index, cause in skip.items():
        cid = _grade_id(notebook.cells[index])
        if cid:
            execution.errors_by_grade_id[cid] = _("the cell {cause}").format(cause=cause)
    for index, size in sorted(dropped.items()):
        execution.notes.append(
            _(
                "cell {index} printed more than the grader keeps ({cell_kb} KB a cell, {notebook_kb} KB "
                "a notebook): {mb:.1f} MB of its output was dropped"
            ).format(
                index=index,
                cell_kb=limits.cell_output // 1024,
                notebook_kb=limits.notebook_output // 1024,
                mb=size / 1e6,
            )
        )
    for index in sorted(lost - set(dropped)):
        execution.notes.append(
            _(
                "cell {index}'s output did not all reach the grader: it drops a message over "
                "{mb} MB unread, so that output was dropped"
            ).format(index=index, mb=limits.message // 2**20)
        )


Step = Literal["call", "rerun", "give up"]


def next_step(fatal_cell: int | None, runs: int, elapsed: float, notebook_timeout: float) -> Step:
    """The restart policy, from what the latest kernel run did: "call" the functions now (no cell
    ended the kernel), "rerun" the notebook without the cell that did, or "give up" (MAX_RUNS runs,
    or twice the notebook's time limit spent)."""
    if fatal_cell is None:
        return "call"
    if runs >= MAX_RUNS or elapsed > 2 * notebook_timeout:
        return "give up"
    return "rerun"


STARVED = N_(
    "the machine ran short of memory: a process of this grading was ended by memory pressure from outside its "
    "sandbox, below its own {gb:g} GB limit, so nothing of this grading is the student's doing"
)


def _starved(host, execution: Execution) -> bool:
    """Make the grading a grader fault when a process of its sandbox was killed by memory pressure from
    outside it (memory_cgroup.MemoryCgroup.starved): a neighbour's or the machine's, never a zero."""
    cgroup = getattr(host, "cgroup", None)
    if cgroup is None or not cgroup.starved():
        return False
    execution.failure = execution.fault = _(STARVED).format(gb=host.limits.memory_total / 2**30)
    return True


def execute(
    notebook,
    host,
    exercises,
    results: Path,
    limits: Limits | None = None,
    cell_timeouts: dict[str, float] | None = None,
    left_out=frozenset(),
    torch: bool = False,
    quick: bool = False,
    device: str = "cpu",
) -> Execution:
    """Run the notebook, then call every graded function in the caller.

    ``host`` is the submission's sandbox (or its trusted stand-in);
    ``results`` the grader's own folder, where the caller's records go for
    the judge. ``cell_timeouts`` gives some cells, by grade_id, a limit of
    their own (a training cell's budget). ``left_out`` holds the indices of
    cells a partial grading does not run (grader.cells_left_out).
    ``torch``: the lesson uses torch, so the caller imports it once. ``quick``, ``device``: see plan_calls.
    """
    limits = limits or Limits()
    cell_timeouts = cell_timeouts or {}
    calls, inputs = plan_calls(exercises, limits.call_timeout, quick, device)
    names = exported_names(calls)
    execution = Execution()
    skip: dict[int, str] = {}  # cell index -> why it is no longer run
    errors: dict[int, str] = {}  # cell index -> its error in the latest run that ran it
    dropped: dict[int, int] = {}
    lost: set[int] = set()
    started_at = time.perf_counter()
    results.mkdir(parents=True, exist_ok=True)
    run = Run()
    while True:
        execution.runs += 1
        run = Run()
        try:
            _run_kernel(notebook, host, names, limits, cell_timeouts, skip, errors, run, frozenset(left_out))
        except Exception as error:  # a kernel that cannot start or talk is a grading failure, reported
            log = host.kernel_dir.parent / "kernel.log"
            # The kernel's own log only before any student code ran: later it could hold anything.
            tail = (
                log.read_bytes()[-600:].decode(errors="replace").strip() if log.exists() and not run.cells_run else ""
            )
            fields = {"error_type": type(error).__name__, "error": str(error)[:200], "tail": tail}
            if not run.cells_run:  # no student code ran yet: the sandbox or the kernel failed, not the student
                execution.fault = _("the sandboxed kernel did not start ({error_type}: {error})").format(**fields)
            execution.failure = (
                _("the notebook could not be executed ({error_type}: {error}); the kernel said: {tail}").format(
                    **fields
                )
                if tail
                else _("the notebook could not be executed ({error_type}: {error})").format(**fields)
            )
            break
        if _starved(host, execution):
            break
        for index, size in run.dropped.items():
            dropped[index] = max(dropped.get(index, 0), size)
        execution.cell_seconds.update(run.seconds)
        lost |= {i for i in run.lost if i < len(notebook.cells)}
        if execution.runs == 1 and run.cells_run:
            # Only the first run's outputs are kept: a run's cells all run before any plan (hidden inputs
            # included) reaches the sandbox, and the first run's outputs are what the student's notebook shows.
            execution.notebook = copy.deepcopy(notebook)
            execution.notebook.cells = run.cells
        if run.deadline_at is not None:
            execution.notes.append(
                _("the notebook ran past its {limit:g} s limit: cells from cell {index} on were not run").format(
                    limit=limits.notebook_timeout, index=run.deadline_at
                )
            )
        step = next_step(run.fatal_cell, execution.runs, time.perf_counter() - started_at, limits.notebook_timeout)
        if step == "call":
            break
        where = _cell_name(notebook, run.fatal_cell)
        skip[run.fatal_cell] = run.fatal_cause
        errors.pop(run.fatal_cell, None)
        execution.notes.append(
            _("{cell} {cause}; the grader restarted the kernel and ran the notebook again without it").format(
                cell=where, cause=run.fatal_cause
            )
        )
        if step == "give up":
            execution.failure = _("the grader gave up after restarting the kernel {count} times").format(
                count=execution.runs - 1
            )
            break

    if calls and execution.failure is None:
        if not run.exported:
            execution.notes.append(
                run.export_error
                or (
                    _("the kernel died ({cause})").format(cause=run.exit)
                    if run.exit
                    else _("the kernel did not save the notebook's functions")
                )
            )
        defs = host.exchange / "outbox" / "defs"
        for name in names:
            if (defs / f"{name}.rebound").is_file():
                execution.notes.append(
                    _(
                        "{name} was defined again after its solution cell; the grader graded "
                        "the definition in its solution cell"
                    ).format(name=name)
                )
        host.end_processes()  # nothing the kernel left behind runs beside the caller
        _keep_only_defs(host)
        try:
            run_caller(host, calls, inputs, results, execution, torch)
        except Exception as error:  # the caller could not start: the grader's fault, never a grade
            execution.failure = _("the grader's checks could not start ({error_type}: {error})").format(
                error_type=type(error).__name__, error=str(error)[:200]
            )
            execution.fault = execution.failure
        _starved(host, execution)  # a call's process the machine's memory pressure ended is not the student's

    _note_cells(execution, notebook, errors, skip, dropped, lost, limits)
    execution.seconds = time.perf_counter() - started_at
    return execution
