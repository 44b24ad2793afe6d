"""The sandbox's kernel surface (issue 33, third round): what the seccomp filter refuses, in the kernel's
sandbox and in the caller's, and that nothing a grading leaves in a kernel keyring reaches the next one.

Each test runs real system calls (through libc's ``syscall``) in a sandboxed kernel; the numbers come from
the filter's own table for this machine (autograder/host/seccomp.py).
"""

from __future__ import annotations

import json
import platform

import pytest

from autograder.host import seccomp
from autograder.host.grader import grade
from tests import samples
from tests.test_sandbox import run_cells

pytestmark = pytest.mark.sandbox

A = "02_activations"
NUMBERS = seccomp.NUMBERS.get(platform.machine())

# Runs in a sandboxed process; PROBES (name -> syscall arguments) is set before it. Prints one line per probe.
PROBE = r"""
import ctypes, errno, json, os
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
outcome = {}
for name, (number, *args) in PROBES.items():
    ctypes.set_errno(0)
    result = libc.syscall(ctypes.c_long(number), *[ctypes.c_long(a) for a in args])
    outcome[name] = "ok" if result >= 0 else errno.errorcode.get(ctypes.get_errno(), str(ctypes.get_errno()))
print("OUTCOME", json.dumps(outcome))
"""

CLONE_NEWUSER, CLONE_NEWNS, CLONE_NEWNET = 0x10000000, 0x00020000, 0x40000000
KEY_SPEC_USER_KEYRING = -4


def probes() -> dict[str, list[int]]:
    n = NUMBERS
    return {
        "unshare a user namespace": [n["unshare"], CLONE_NEWUSER],
        "unshare a mount namespace": [n["unshare"], CLONE_NEWNS],
        "clone into a new network namespace": [n["clone"], CLONE_NEWNET | 17, 0, 0, 0, 0],  # 17: SIGCHLD
        "clone3": [n["clone3"], 0, 0],
        "setns": [n["setns"], 0, 0],
        "mount": [n["mount"], 0, 0, 0, 0, 0],
        "io_uring_setup": [n["io_uring_setup"], 8, 0],
        "keyctl (get the user keyring)": [n["keyctl"], 0, KEY_SPEC_USER_KEYRING, 0],
        "add_key": [n["add_key"], 0, 0, 0, 0, KEY_SPEC_USER_KEYRING],
        "an AF_VSOCK socket": [n["socket"], 40, 1, 0],
        "bpf": [n["bpf"], 0, 0, 0],
        "perf_event_open": [n["perf_event_open"], 0, 0, -1, -1, 0],
        "userfaultfd": [n["userfaultfd"], 0],
        "ptrace": [n["ptrace"], 0, 0, 0, 0],
        "process_vm_readv": [n["process_vm_readv"], 1, 0, 0, 0, 0, 0],
    }


def outcome_of(execution) -> dict[str, str]:
    for cell in execution.notebook.cells:
        for output in cell.get("outputs", []):
            text = output.get("text", "")
            if "OUTCOME " in text:
                return json.loads(text.split("OUTCOME ", 1)[1].splitlines()[0])
    raise AssertionError(f"the probe printed nothing: {execution.cell_errors} {execution.failure}")


@pytest.fixture(autouse=True)
def known_machine():
    # Not a silent skip: the filter has tables for x86_64 and aarch64 only, and these tests say so elsewhere.
    assert NUMBERS is not None, f"no seccomp table for {platform.machine()}: add its numbers to seccomp.NUMBERS"


def test_the_kernels_sandbox_refuses_what_no_notebook_needs(tmp_path):
    execution = run_cells(tmp_path, f"PROBES = {probes()!r}", PROBE)
    refused = outcome_of(execution)
    expected = {name: "EPERM" for name in probes()}
    expected["clone3"] = "ENOSYS"  # so that glibc makes its threads with clone, which the filter can read
    assert refused == expected


def test_threads_processes_and_sockets_still_work(tmp_path):
    """The filter refuses namespaces and vsock, not what numpy, torch, subprocesses and ipykernel use: threads
    (clone, after clone3's ENOSYS), fork, exec and Unix sockets."""
    code = (
        "import os, socket, subprocess, sys, threading\n"
        "t = threading.Thread(target=lambda: None); t.start(); t.join()\n"
        "pid = os.fork()\n"
        "if pid == 0:\n"
        "    os._exit(7)\n"
        "assert os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 7\n"
        "assert subprocess.run([sys.executable, '-c', 'import threading']).returncode == 0\n"
        "a, b = socket.socketpair(); a.send(b'x'); assert b.recv(1) == b'x'\n"
        "import numpy as np; assert float(np.ones((64, 64)).dot(np.ones(64)).sum()) == 64 * 64\n"
        'print(\'OUTCOME {"all": "ok"}\')\n'
    )
    assert outcome_of(run_cells(tmp_path, code)) == {"all": "ok"}


def test_a_key_left_in_a_keyring_by_one_grading_is_not_there_for_the_next(tmp_path):
    """A first grading tries to store a secret in its uid's user keyring; a second, later sandbox looks for it."""
    store = (
        "import ctypes, errno\n"
        "libc = ctypes.CDLL(None, use_errno=True)\n"
        f"n = libc.syscall({NUMBERS['add_key']}, b'user', b'workbook-hidden', b'secret', 6, {KEY_SPEC_USER_KEYRING})\n"
        "print('OUTCOME {\"stored\": \"%s\"}' % ('yes' if n >= 0 else errno.errorcode[ctypes.get_errno()]))\n"
    )
    find = (
        "import ctypes, errno\n"
        "libc = ctypes.CDLL(None, use_errno=True)\n"
        # keyctl(KEYCTL_SEARCH=10, the user keyring, type, description, 0)
        f"n = libc.syscall({NUMBERS['keyctl']}, 10, {KEY_SPEC_USER_KEYRING}, b'user', b'workbook-hidden', 0)\n"
        "print('OUTCOME {\"found\": \"%s\"}' % ('yes' if n >= 0 else errno.errorcode[ctypes.get_errno()]))\n"
    )
    (tmp_path / "first").mkdir()
    (tmp_path / "second").mkdir()
    assert outcome_of(run_cells(tmp_path / "first", store)) == {"stored": "EPERM"}
    assert outcome_of(run_cells(tmp_path / "second", find)) == {"found": "EPERM"}


def test_the_callers_sandbox_refuses_them_too(tmp_path):
    """A graded function's call runs in the caller's sandbox: relu tries each call there and reports via its
    return value's shape only if every one was refused, so full marks mean the filter held there too."""
    names = probes()
    relu = (
        "import ctypes, errno\n"
        "def relu(z):\n"
        "    libc = ctypes.CDLL(None, use_errno=True)\n"
        "    libc.syscall.restype = ctypes.c_long\n"
        f"    for number, *args in {list(names.values())!r}:\n"
        "        if libc.syscall(ctypes.c_long(number), *[ctypes.c_long(a) for a in args]) >= 0:\n"
        "            return z  # a system call the filter should refuse went through: relu is wrong\n"
        "    return np.maximum(z, 0)\n"
    )
    notebook = samples.student_notebook(A, {"relu": relu})
    report = grade(samples.write(notebook, tmp_path / "s", A), A, quick=True)
    relu_test = next(t for t in report.tests if t["function"] == "relu")
    assert relu_test["status"] == "passed", report.table(detail=True)
