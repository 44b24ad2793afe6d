"""The warm start (issue 34): sandboxes forked from a zygote that has made the imports, and nothing of one
grading reaches the next.

The zygote (autograder/host/zygote.py) imports numpy, matplotlib, ipykernel and, for the PyTorch lessons,
torch once per worker process; each kernel and caller is a fork of it that makes its own namespaces,
root, limits and uid before any student code runs. What these tests prove:

- a kernel started warm has the zygote's imports and the sandbox's name, and one grading's globals,
  modules, environment, files, threads and processes are not in the next grading's kernel;
- the zygote's own memory never holds a grading's request (its paths, names, environment) or what its
  kernel did: the request is read by the fork that serves it;
- a zygote killed from outside is started again, and the grading after it is graded as before.

The attack corpus (tests/adversarial/) and the sandbox's own tests (tests/test_sandbox.py) run on the warm
start, as every grading does here; the cold start (bubblewrap) keeps tests of its own (test_grader_faults.py
starts its failing sandboxes with it).
"""

from __future__ import annotations

import json
import secrets
import shutil
import tempfile
from pathlib import Path

import pytest

from autograder.host import warm
from tests.test_sandbox import run_cells

pytestmark = pytest.mark.sandbox

LEAVE = """
import os, sys, threading, time, numpy
numpy.LEFT_BY_THE_LAST_GRADING = "{token}"
sys.modules["left_behind"] = type(sys)("left_behind")
os.environ["LEFT_BEHIND"] = "{token}"
with open("/scratch/left-behind.txt", "w") as file:
    file.write("{token}")
threading.Thread(target=time.sleep, args=(600,), daemon=True, name="left-behind").start()
if os.fork() == 0:
    time.sleep(600)
    os._exit(0)
print("{token}")
"""

LOOK = """
import json, os, signal, sys, threading, time, numpy
for number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGUSR1):
    os.kill(1, number)  # the sandbox's PID 1 (the zygote's fork that reaps) ignores them all
time.sleep(0.2)
found = {
    "name": open("/proc/self/comm").read().strip(),
    "preloaded": sorted(m for m in ("numpy", "matplotlib.pyplot", "torch") if m in sys.modules),
    "global": getattr(numpy, "LEFT_BY_THE_LAST_GRADING", None),
    "module": "left_behind" in sys.modules,
    "environment": os.environ.get("LEFT_BEHIND"),
    "file": os.path.exists("/scratch/left-behind.txt"),
    "threads": [t.name for t in threading.enumerate() if t.name == "left-behind"],
    "processes": sorted(int(p) for p in os.listdir("/proc") if p.isdigit()),
}
raise RuntimeError("FOUND " + json.dumps(found))
"""


@pytest.fixture(autouse=True)
def root_only():
    if not warm.enabled():
        pytest.skip("the warm start runs only as root (it makes namespaces and mounts itself); bubblewrap starts "
                    "every sandbox here, and tests/test_sandbox.py tests that")  # fmt: skip


def found(execution) -> dict:
    errors = [error for error in execution.cell_errors if "FOUND " in error]
    assert errors, execution
    return json.loads(errors[0].split("FOUND ", 1)[1].splitlines()[0].rstrip("'\""))


def zygote_memory(flavour: str) -> bytes:
    """Every writable or anonymous region of this process's zygote's memory, read from outside as root."""
    pid = warm.ZYGOTES._servers[flavour].pid
    chunks = []
    with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/mem", "rb", buffering=0) as memory:
        for line in maps:
            fields = line.split()
            if "r" not in fields[1] or ("w" not in fields[1] and len(fields) > 5):
                continue  # not readable, or a file's read-only mapping (code, constants)
            start, end = (int(part, 16) for part in fields[0].split("-"))
            try:
                memory.seek(start)
                chunks.append(memory.read(end - start))
            except (OSError, ValueError, OverflowError):
                pass  # [vvar] and the like
    return b"".join(chunks)


def test_one_gradings_kernel_leaves_nothing_for_the_next(tmp_path):
    token = "left-" + secrets.token_hex(8)
    first = run_cells(tmp_path / "first", LEAVE.format(token=token), hide=())
    assert first.cell_errors == [] and first.failure is None, first
    second = run_cells(tmp_path / "second", LOOK, hide=())
    seen = found(second)
    # Started warm: the zygote's imports are there before any cell imports them, under the sandbox's name.
    assert seen["name"] == "sandbox-kernel" and seen["preloaded"] == ["matplotlib.pyplot", "numpy", "torch"], seen
    assert seen["global"] is None and not seen["module"] and seen["environment"] is None, seen
    assert not seen["file"] and seen["threads"] == [], seen
    assert seen["processes"] == [1, 2], seen  # its PID 1 and itself: no process of the first grading


def test_the_zygote_never_holds_a_gradings_request_or_data():
    token = "secret-" + secrets.token_hex(8)
    # The grading's paths (its kernel folder, its request file) carry the token: a short folder, since a
    # kernel's socket path may not be longer than 107 bytes.
    folder = Path(tempfile.mkdtemp(prefix=f"{token}-"))
    try:
        done = run_cells(folder, LEAVE.format(token=token), hide=())
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    assert done.cell_errors == [] and done.failure is None, done
    memory = zygote_memory("torch")
    assert len(memory) > 1 << 20 and b"numpy" in memory  # what was read is the zygote's memory
    assert token.encode() not in memory


def test_a_zygote_killed_from_outside_is_started_again(tmp_path):
    assert run_cells(tmp_path / "first", "x = 1", hide=()).cell_errors == []
    killed = warm.ZYGOTES._servers["torch"]
    killed.kill()
    killed.wait()
    second = run_cells(tmp_path / "second", LOOK, hide=())
    assert found(second)["name"] == "sandbox-kernel", second
    assert warm.ZYGOTES._servers["torch"].pid != killed.pid
