"""The grader's caller: calls each graded function in a process of its own and reports to the grader.

Why a process of its own: whatever runs in the same interpreter as student
code can be read and rewritten by it (a background thread, a patched
``os.replace``), so nothing there can vouch for a result. The caller starts
after the student's kernel has ended, in a sandbox of its own (another PID
namespace: nothing the kernel left behind can see or signal it), and never
runs student code itself:

- the kernel exported the graded names with cloudpickle as the notebook
  defined them (``export``, below), into a folder the caller reads only;
- before it reads the plan, the caller forks a spawner, which never reads a
  plan or a request. For each call the caller writes that call's entry and
  its inputs, and nothing else, into a memory file and hands it to the
  spawner, which forks the call's process: it reads its request, loads the
  function, calls it (``probe.call_case``) and writes its record into a pipe
  of its own. So a call's process holds its own call's inputs only, never
  another call's, hidden ones included. The caller then makes the call's
  process group and everything else left in the sandbox end before the next
  call;
- the caller alone holds the channel to the grader (its stdout) and is not
  dumpable, so no call's process can read its memory or open its descriptors.

A training function is called the same way, on the lesson's data in the
plan, under its budget (autograder/kernel/training.py): the grader trains,
and only weights come back.

A call's process can only speak for its own call: what it writes is, at
worst, what the function could have returned. One that ends or stops the
spawner disturbs the caller, as one that ends the caller would. A call that hangs or ends its process is
charged by the caller, in the grader's words. If the caller itself is
disturbed (killed), the grader trusts none of its records.

Runs with stdlib, numpy and cloudpickle only (torch where the lesson uses
it), from the kernel-side package in the sandbox.
"""

from __future__ import annotations

import io
import json
import os
import pickle
import select
import shutil
import signal
import socket
import struct
import sys
import time

import numpy as np

from autograder import probe
from autograder import i18n
from autograder.i18n import _

FRAME = struct.Struct(">I")  # length of a frame's JSON header
RECORD = struct.Struct(">II")  # a child's record: lengths of its JSON and of its arrays
MAX_RECORD_BYTES = 16 << 20  # one call's JSON record
MAX_ARRAY_BYTES = 256 << 20  # one call's arrays
MAX_TOTAL_BYTES = 1 << 30  # all the records of one grading together
MAX_EXPORT_BYTES = 64 << 20  # one exported name
LOAD_TIMEOUT = 20.0  # seconds for a child to load what it calls (torch models take longest)
GRACE = 2.0  # seconds past a call's limits before the caller stops it
# A child's pipe carries tagged pieces, each tag a byte outside any payload: LOADED first, once it has
# loaded what it calls (optional), then RECORD_TAG and its record. A tag is read only where a piece begins.
LOADED = b"L"
RECORD_TAG = b"R"
REQUEST = struct.Struct(">II")  # a call's request: lengths of its entry's JSON and of its inputs (npz)
SPAWNED = struct.Struct(">i")  # the spawner's replies: a call's process's pid, then its wait status
SPAWNER_TIMEOUT = 10.0  # seconds for the spawner to answer
COUNT_TIMEOUT = 10.0  # seconds to count a trained model's parameters
READ_TIMEOUT = 60.0  # seconds to read a variable the notebook left
WRITABLE = ("/scratch", "/dev/shm")  # emptied after every call in the sandbox


# ------------------------------------------------------------ kernel side
def export(namespace, names, folder, final):
    """Keep or save the notebook's ``names`` for the caller (runs in the kernel).

    After a solution cell (``final`` False) the cell's function is kept, as
    that cell defined it. At the end (``final`` True) every name is saved
    into ``folder`` with cloudpickle: a kept function (with the globals it
    uses as they are now), else what the name holds now; a kept name bound
    to something else since is marked ``NAME.rebound``. This runs in the
    student's kernel, so it decides nothing: at worst it saves another
    function under a graded name.
    """
    state = sys.modules.setdefault("__autograder_exports__", type(sys)("__autograder_exports__"))
    kept = state.__dict__.setdefault("kept", {})
    if not final:
        kept.update({name: namespace[name] for name in names if name in namespace})
        return
    import importlib
    import io
    import types

    import cloudpickle

    class Pickler(cloudpickle.Pickler):
        def reducer_override(self, obj):
            # A module object of another type (torch.backends is one) is imported, not copied.
            if (
                isinstance(obj, types.ModuleType)
                and type(obj) is not types.ModuleType
                and sys.modules.get(getattr(obj, "__name__", None)) is obj
            ):
                return importlib.import_module, (obj.__name__,)
            return super().reducer_override(obj)

    def dumps(value):
        buffer = io.BytesIO()
        Pickler(buffer, protocol=5).dump(value)
        return buffer.getvalue()

    os.makedirs(folder, exist_ok=True)

    def write(name, suffix, data):
        temporary = os.path.join(folder, f".{name}{suffix}.tmp")
        with open(temporary, "wb") as handle:
            handle.write(data)
        os.replace(temporary, os.path.join(folder, name + suffix))

    # Facts only, no words: this function runs in the student's kernel, compiled on its own (host/runner.py's
    # EXPORT_SOURCE), so it has no catalogue; load() says them in the grading's language.
    for name in names:
        if name in kept and namespace.get(name) is not kept[name]:
            write(name, ".rebound", b"")
        if name not in kept and name not in namespace:
            write(name, ".json", json.dumps({"missing": True}).encode())
            continue
        try:
            data = dumps(kept[name] if name in kept else namespace[name])
        except Exception as error:
            write(name, ".json", json.dumps({"unexportable": [type(error).__name__, str(error)[:200]]}).encode())
            continue
        if len(data) > MAX_EXPORT_BYTES:
            write(name, ".json", json.dumps({"too_large": len(data)}).encode())
            continue
        write(name, ".pkl", data)


# ------------------------------------------------------------- the child
def _read_limited(path, limit):
    """A regular file's bytes, never through a link, or None when it is not there."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except FileNotFoundError:
        return None
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not (info.st_mode & 0o170000 == 0o100000) or info.st_size > limit:
            raise ValueError("not a plain file of a size the grader takes")
        return handle.read(limit + 1)[:limit]


class NotDefined(Exception):
    pass


def load(defs, name):
    """What the notebook left under ``name``, unpickled (student code may run: only ever in a child)."""
    data = _read_limited(os.path.join(defs, name + ".pkl"), MAX_EXPORT_BYTES)
    if data is not None:
        return pickle.loads(data)
    note = _read_limited(os.path.join(defs, name + ".json"), 4096)
    raise NotDefined(not_exported(name, json.loads(note) if note else {}))


def not_exported(name, why) -> str:
    """Why the notebook left nothing the caller can load under ``name``, from export()'s note: in words."""
    why = why if isinstance(why, dict) else {}
    unexportable, size = why.get("unexportable"), why.get("too_large")
    if type(size) is int:
        unexportable = [
            "ValueError",
            _("it takes {size:.0f} MB with the globals it uses, over the {limit} MB the grader takes").format(
                size=size / 2**20, limit=MAX_EXPORT_BYTES >> 20
            ),
        ]
    if isinstance(unexportable, list) and len(unexportable) == 2:
        return _("{name} could not be handed to the grader ({error_type}: {error})").format(
            name=name, error_type=str(unexportable[0])[:80], error=str(unexportable[1])[:200]
        )
    return _("the notebook left no {name}").format(name=name)


def _training_too_large(defs, name) -> str | None:
    """Why a training function, as the kernel saved it with the globals it uses, is more than the grader
    takes (training.TRAINING_EXPORT_BYTES), before any of it is unpickled; None when it fits."""
    from autograder.training import TRAINING_EXPORT_BYTES

    try:
        size = os.lstat(os.path.join(defs, name + ".pkl")).st_size
    except OSError:
        return None  # not saved: load() says why
    if size <= TRAINING_EXPORT_BYTES:
        return None
    return _(
        "TooLarge: {name} takes {size:.0f} KB with the globals it uses, over the {limit} KB the grader takes for "
        "a training function. A real solution needs a few KB: it may not carry weights trained elsewhere or a "
        "lookup table with it, because the grader scores what the function itself trains"
    ).format(name=name, size=size / 1024, limit=TRAINING_EXPORT_BYTES >> 10)


DEFAULTS_LIMIT = 300  # characters of a train function's signature that a record keeps


def _with_defaults(outcome: dict, entry, defs) -> dict:
    """The outcome of a read, with the signature of the function ``entry["signature_of"]`` names: the
    student's own defaults, which the grade line shows (words only; they never decide a point)."""
    name = entry.get("signature_of")
    if not name or not isinstance(outcome, dict):
        return outcome
    try:
        fn = load(defs, name)
    except NotDefined:
        return outcome
    import inspect

    signature = probe.call(lambda: str(inspect.signature(fn)), [], {}, timeout=COUNT_TIMEOUT)
    if signature["status"] == "ok" and type(signature["value"]) is str:
        outcome["defaults"] = signature["value"][:DEFAULTS_LIMIT]
    return outcome


def run_entry(entry, defs, inputs, arrays, loaded=lambda: None):
    """One plan entry's outcome, made in the child; ``loaded()`` once what it calls is loaded."""
    return _with_defaults(_call_entry(entry, defs, inputs, arrays, loaded), entry, defs)


def _call_entry(entry, defs, inputs, arrays, loaded):
    """A call of a graded function on one case's inputs (or a training function on the lesson's data)."""
    if entry.get("signature_of") == entry["fn"]:  # the grader's training call: the function must be small
        too_large = _training_too_large(defs, entry["fn"])
        if too_large:
            return {"status": "error", "error_type": "TooLarge", "error": too_large}
    try:
        fn = load(defs, entry["fn"])
    except NotDefined as missing:
        return {"status": "missing", "error": _("{name} is not defined ({why})").format(name=entry["fn"], why=missing)}
    if not callable(fn):
        return {
            "status": "missing",
            "error": _("{name} is a {kind}, not a function").format(name=entry["fn"], kind=type(fn).__name__),
        }
    args = probe.decode(entry["args"], inputs)
    kwargs_list = [probe.decode(kwargs, inputs) for kwargs in entry["kwargs"]]
    loaded()
    outcome = probe.call_case(
        probe.harnessed(fn, entry.get("harness")),
        args,
        kwargs_list,
        getattr(fn, "__globals__", {}),
        entry.get("spies", ()),
        entry.get("timeout"),
    )
    try:
        return probe.encode_outcome(outcome, arrays, entry["id"])
    except Exception as error:
        return _unreadable(_("its result"), error)


def _unreadable(what: str, error: Exception) -> dict:
    """The record of a value the caller could not encode for the judge."""
    return {
        "status": "error",
        "error_type": type(error).__name__,
        "error": _("{what} could not be read ({error_type}: {error})").format(
            what=what, error_type=type(error).__name__, error=str(error)[:200]
        ),
    }


def _child(entry, defs, inputs, out):
    """In the forked child: make the call and write its record into ``out``; never returns."""
    try:
        _default_signals()
        os.setsid()
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)
        os.closerange(3, out)  # the caller's channel to the grader among them
        os.closerange(out + 1, 1 << 16)
        arrays = {}
        try:
            outcome = run_entry(entry, defs, inputs, arrays, lambda: _write_all(out, LOADED))
        except BaseException as error:  # KeyboardInterrupt, SystemExit from loading: the student's too
            arrays = {}
            outcome = {
                "status": "error",
                "error_type": type(error).__name__,
                "error": f"{type(error).__name__}: {str(error)[:300]}",
            }
        record = json.dumps(outcome).encode()
        buffer = io.BytesIO()
        np.savez(buffer, **arrays)
        _write_all(out, RECORD_TAG + RECORD.pack(len(record), len(buffer.getvalue())) + record + buffer.getvalue())
    finally:
        os._exit(0)


def call_inputs(entry) -> set[str]:
    """The keys of the plan's inputs that one call uses: its arguments' arrays."""

    def keys(tree):
        if isinstance(tree, dict):
            return ([tree["k"]] if "k" in tree else []) + [k for v in tree.values() for k in keys(v)]
        if isinstance(tree, list):
            return [k for v in tree for k in keys(v)]
        return []

    return set(keys([entry.get("args"), entry.get("kwargs")]))


def _request(entry, inputs) -> int:
    """A memory file with one call's request: its entry and only the inputs it uses."""
    encoded = json.dumps(entry).encode()
    buffer = io.BytesIO()
    np.savez(buffer, **{key: inputs[key] for key in call_inputs(entry) if key in inputs})
    fd = os.memfd_create("workbook-call")
    _write_all(fd, REQUEST.pack(len(encoded), len(buffer.getvalue())) + encoded + buffer.getvalue())
    return fd


def _call_process(request, out, defs):
    """In a call's process (a fork of the spawner): read the request, then make the call; never returns."""
    try:
        with os.fdopen(request, "rb") as handle:
            handle.seek(0)
            data = handle.read()
        length, size = REQUEST.unpack(data[: REQUEST.size])
        entry = json.loads(data[REQUEST.size : REQUEST.size + length])
        with np.load(io.BytesIO(data[REQUEST.size + length :]), allow_pickle=False) as stored:
            inputs = {key: stored[key] for key in stored.files}
        del data
    except BaseException:
        os._exit(0)  # no record: nothing of the student's has run, and the caller says the call ended early
    _child(entry, defs, inputs, out)


def _spawner(channel, defs):
    """The spawner's loop: for each request (a memory file and the pipe to write into, handed over the
    socket), fork the call's process, say its pid, wait for it, and say how it ended. It never reads a
    request, so it holds no call's inputs for the next call's process to find; never returns."""
    try:
        keep = channel.fileno()  # and not the caller's channel to the grader, nor anything else it had open
        os.closerange(3, keep)
        os.closerange(keep + 1, 1 << 16)
        while True:
            message, fds, _flags, _address = socket.recv_fds(channel, 1, 2)
            if message != b"F" or len(fds) != 2:
                break
            request, out = fds
            pid = os.fork()
            if pid == 0:
                channel.close()
                _call_process(request, out, defs)
            os.close(request)
            os.close(out)
            channel.sendall(SPAWNED.pack(pid))
            try:
                status = os.waitpid(pid, 0)[1]
            except ChildProcessError:
                status = -1
            channel.sendall(SPAWNED.pack(status))
    finally:
        os._exit(0)


class SpawnerGone(Exception):
    """The spawner did not answer: a call's process ended or stopped it."""


class Spawner:
    """The caller's handle on its spawner (``_spawner``), forked before the plan is read."""

    def __init__(self, defs):
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        pid = os.fork()
        if pid == 0:
            ours.close()
            _spawner(theirs, defs)
        theirs.close()
        ours.settimeout(SPAWNER_TIMEOUT)
        self.pid, self.channel = pid, ours

    def spawn(self, request: int, out: int) -> int:
        """Start a call's process on ``request``, writing into ``out``; its pid."""
        self._wake()
        try:
            socket.send_fds(self.channel, [b"F"], [request, out])
        except OSError as error:
            raise SpawnerGone(str(error)) from None
        return self._reply()

    def status(self) -> int | None:
        """How the last call's process ended (a wait status), once it has."""
        value = self._reply()
        return None if value == -1 else value

    def close(self):
        """End the spawner (it ends when its socket closes) and wait for it."""
        self.channel.close()
        try:
            os.waitpid(self.pid, 0)
        except ChildProcessError:
            pass

    def _wake(self):
        try:
            os.kill(self.pid, signal.SIGCONT)  # a call's process may have stopped it
        except OSError:
            pass

    def _reply(self) -> int:
        data = b""
        while len(data) < SPAWNED.size:
            self._wake()
            try:
                chunk = self.channel.recv(SPAWNED.size - len(data))
            except OSError as error:  # socket.timeout among them
                raise SpawnerGone(str(error)) from None
            if not chunk:
                raise SpawnerGone("the spawner ended")
            data += chunk
        return SPAWNED.unpack(data)[0]


# What the caller ignores in the sandbox (it is its PID namespace's PID 1, so the kernel drops what it ignores,
# and SIGKILL and SIGSTOP, when they come from a process in there: a call's process cannot stop or end it).
# SIGPIPE and SIGXFSZ stay as Python sets them (ignored), in the caller and in its calls' processes.
UNCHANGED = {signal.SIGKILL, signal.SIGSTOP, signal.SIGCHLD, signal.SIGPIPE, signal.SIGXFSZ}
IGNORED = tuple(sorted(signal.valid_signals() - UNCHANGED, key=int))


def _ignore_signals():
    for number in IGNORED:
        try:
            signal.signal(number, signal.SIG_IGN)
        except (OSError, ValueError):
            pass


def _default_signals():
    """A call's process gets the signals' dispositions a fresh Python has, not the caller's."""
    for number in IGNORED:
        try:
            signal.signal(number, signal.default_int_handler if number == signal.SIGINT else signal.SIG_DFL)
        except (OSError, ValueError):
            pass


def _write_all(fd, data):
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


# ------------------------------------------------------------ the caller
def _deadline(entry):
    """Seconds a call may take once loaded: its limit for each of its calls (twice with spies)."""
    per_call = entry.get("timeout") or READ_TIMEOUT
    calls = len(entry.get("kwargs") or [None]) * (2 if entry.get("spies") else 1)
    return per_call * calls + GRACE


def _receive(fd, limit):
    """The child's record (RECORD lengths, JSON, arrays) once it is whole, or what came until the pipe
    closed; (bytes, in time). The child has LOAD_TIMEOUT to load what it calls (it then writes
    LOADED), and ``limit`` more. A process the call left behind cannot hold the caller up: a whole
    record is enough. Tags are read where a piece begins, never inside a payload (a record's bytes
    may begin a read with any value); a stream that begins with anything else is returned as it
    came, and is unreadable."""
    data, end, loading = bytearray(), time.monotonic() + LOAD_TIMEOUT, True
    while True:
        if loading and data[:1] == LOADED:
            del data[:1]
            loading, end = False, time.monotonic() + limit
        if data[:1] == RECORD_TAG and len(data) >= 1 + RECORD.size:
            size = 1 + RECORD.size + sum(RECORD.unpack(data[1 : 1 + RECORD.size]))
            if size > 1 + RECORD.size + MAX_RECORD_BYTES + MAX_ARRAY_BYTES:
                return b"", True  # over every limit: treated as no result
            if len(data) >= size:  # whole, but taken only within its time
                return bytes(data[1:size]), time.monotonic() <= end
        elif data[:1] not in (b"", RECORD_TAG):
            return bytes(data), True  # no piece of the protocol: unreadable
        left = end - time.monotonic()
        if left <= 0:
            return _untagged(data), False
        ready, _, _ = select.select([fd], [], [], left)
        if not ready:
            continue
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            return _untagged(data), True
        data += chunk


def _untagged(data):
    """What came of a record before the pipe closed or the time ran out, without its tag."""
    return bytes(data[1:] if data[:1] == RECORD_TAG else data)


def _end_everything(pid, sandboxed, spawner):
    """End the call's process group and, in the sandbox, every other process left there but the caller
    and its spawner; how the call's process ended (a wait status, or None)."""
    try:
        os.kill(-pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    if sandboxed:
        _end_all_but(spawner.pid)
    status = spawner.status()
    _reap()
    if sandboxed:  # nothing a call left in System V IPC or the writable folders reaches the next call
        _remove_ipc_objects()
        for folder in WRITABLE:
            try:
                entries = list(os.scandir(folder))
            except OSError:
                continue
            for item in entries:
                try:
                    if item.is_dir(follow_symlinks=False):
                        shutil.rmtree(item.path, ignore_errors=True)
                    else:
                        os.unlink(item.path)
                except OSError:
                    pass
    return status


def _reap():
    """Reap whatever ended among the caller's children (in the sandbox, every process a call left
    behind: the caller is its PID namespace's PID 1)."""
    while True:
        try:
            if os.waitpid(-1, os.WNOHANG)[0] == 0:
                break
        except ChildProcessError:
            break


def _end_all_but(spared: int, rounds: int = 1000):
    """SIGKILL every process in the sandbox (its own PID namespace) but the caller and ``spared``, until none
    is left: what one round missed, a process forked before it ended, the next round finds."""
    me = os.getpid()
    for _round in range(rounds):
        left = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit() or int(entry) in (me, spared):
                continue
            try:
                with open(f"/proc/{entry}/stat", "rb") as stat:
                    if stat.read().rsplit(b")", 1)[1].split()[0] == b"Z":
                        continue  # ended, waiting to be reaped
            except (OSError, IndexError):
                continue
            left.append(int(entry))
        if not left:
            return
        for number in left:
            try:
                os.kill(number, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        _reap()


IPC_RMID = 0


def _remove_ipc_objects():
    """Remove every System V shared-memory segment, semaphore set and message queue left in the caller's
    IPC namespace (its sandbox's own: bwrap --unshare-ipc). They outlive the process that made them, so
    a segment one call made could carry its state to every later call; the caller's uid made them all."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    removers = {
        "shm": lambda ident: libc.shmctl(ident, IPC_RMID, None),
        "sem": lambda ident: libc.semctl(ident, 0, IPC_RMID),
        "msg": lambda ident: libc.msgctl(ident, IPC_RMID, None),
    }
    for table, remove in removers.items():
        try:
            with open(f"/proc/sysvipc/{table}") as listing:
                rows = listing.read().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            fields = row.split()
            if len(fields) > 1 and fields[1].isdigit():
                remove(int(fields[1]))  # key, then id: the same two first columns in all three tables


def _describe(status):
    if status is None:
        return _("it could not be waited for")
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        if number == signal.SIGKILL:
            return _("killed by SIGKILL: out of memory, or over the CPU-time limit")
        if number == signal.SIGSEGV:
            return _("a crash (segmentation fault)")
        if number == signal.SIGABRT:
            return _("an abort in native code")
        return _("ended by signal {number}").format(number=number)
    return _("os._exit, or a crash")


def call_in_child(entry, defs, inputs, sandboxed, spawner=None):
    """(kind, record bytes or outcome, arrays bytes) for one plan entry, called in a process the spawner
    forks (one made for this call alone when ``spawner`` is None). Raises SpawnerGone."""
    if spawner is None:
        spawner = Spawner(defs)
        try:
            return call_in_child(entry, defs, inputs, sandboxed, spawner)
        finally:
            spawner.close()
    read_end, write_end = os.pipe()
    request = _request(entry, inputs)
    try:
        pid = spawner.spawn(request, write_end)
    finally:
        os.close(request)
        os.close(write_end)
    limit = _deadline(entry)
    try:
        data, in_time = _receive(read_end, limit)
    finally:
        os.close(read_end)
    status = _end_everything(pid, sandboxed, spawner)
    if not in_time:
        timeout = entry.get("timeout") or READ_TIMEOUT
        return (
            "decided",
            {
                "status": "timeout",
                "error": _(
                    "did not return within {timeout:g} s and ignored the time limit, so the grader stopped it"
                ).format(timeout=timeout),
            },
            b"",
        )
    if len(data) >= RECORD.size:
        length, arrays = RECORD.unpack(data[: RECORD.size])
        record = data[RECORD.size : RECORD.size + length]
        if len(record) == length <= MAX_RECORD_BYTES and len(data) == RECORD.size + length + arrays:
            try:
                parsed = json.loads(record)
            except ValueError:
                parsed = None
            if isinstance(parsed, dict) and isinstance(parsed.get("status"), str):
                return "record", record, data[RECORD.size + length :]
    if not data:
        return (
            "decided",
            {
                "status": "error",
                "error_type": "ProcessEnded",
                "error": _("ProcessEnded: the call ended the process it ran in ({how})").format(how=_describe(status)),
            },
            b"",
        )
    return (
        "decided",
        {
            "status": "error",
            "error_type": "UnreadableResult",
            "error": _("its result could not be read by the grader"),
        },
        b"",
    )


def send(channel, header, *payloads):
    header = {**header, "sizes": [len(p) for p in payloads]}
    encoded = json.dumps(header).encode()
    channel.write(FRAME.pack(len(encoded)) + encoded)
    for payload in payloads:
        channel.write(payload)
    channel.flush()


def _not_dumpable():
    """No process of this uid may read this one's memory or open its descriptors (PR_SET_DUMPABLE 0)."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(4, 0, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_DUMPABLE, 0) failed")


def main(argv):
    plan_path, defs, mode, flavour = argv
    sandboxed = mode == "sandboxed"
    if sandboxed:
        _ignore_signals()
    channel = os.fdopen(os.dup(1), "wb")
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 1)  # the channel lives on another descriptor, which the children close
    _not_dumpable()
    sys.path[:] = [p for p in sys.path if p not in ("", ".")]  # nothing from the working folder
    # Imported once, before the spawner is forked, not in every call's process.
    probe.warm(flavour)
    i18n.catalogue(i18n.language())  # the messages' translations
    import cloudpickle  # noqa: F401  (the calls' processes unpickle with it)

    spawner = Spawner(defs)  # before the plan is read: no call's process can find another call's inputs
    with open(plan_path) as handle:
        plan = json.load(handle)
    with np.load(plan["inputs"], allow_pickle=False) as stored:
        inputs = {key: stored[key] for key in stored.files}

    timed_out, sent = {}, 0
    budget, began = float(plan["budget"]), time.monotonic()  # seconds for all the calls (the runner's Limits)
    for entry in plan["calls"]:
        key = str(entry["key"])
        send(channel, {"started": key})
        name = entry.get("fn")
        if name in timed_out:
            send(channel, {"decided": key, "outcome": {"status": "timeout", "error": timed_out[name], "not_run": True}})
            continue
        if time.monotonic() - began > budget:
            spent = _(
                "was not run: this notebook's calls had used up the {budget:g} s the grader gives all of a "
                "submission's calls together"
            ).format(budget=budget)
            send(channel, {"decided": key, "outcome": {"status": "timeout", "error": spent, "not_run": True}})
            continue
        try:
            kind, result, arrays = call_in_child(entry, defs, inputs, sandboxed, spawner)
        except SpawnerGone as gone:  # a call's process ended or held up the spawner: the caller is disturbed
            print(f"the spawner is gone ({gone}) after the call {key}", file=sys.stderr)
            sys.exit(3)
        if kind == "record" and sent + len(result) + len(arrays) > MAX_TOTAL_BYTES:
            kind, result = (
                "decided",
                {
                    "status": "error",
                    "error_type": "ResultTooLarge",
                    "error": _(
                        "ResultTooLarge: the results of this notebook's calls came to more than the {limit} MB "
                        "the grader keeps"
                    ).format(limit=MAX_TOTAL_BYTES >> 20),
                },
            )
        if kind == "record":
            sent += len(result) + len(arrays)
            send(channel, {"record": key}, result, arrays)
            status = json.loads(result).get("status")
            error = json.loads(result).get("error", "") if status == "timeout" else ""
        else:
            send(channel, {"decided": key, "outcome": result})
            status, error = result["status"], result.get("error", "")
        if name and status == "timeout":
            timed_out[name] = _("was not run: an earlier case {error}").format(error=error)
    send(channel, {"done": len(plan["calls"])})


if __name__ == "__main__":
    main(sys.argv[1:])
