"""The sandbox: what a kernel can see and do, its limits, the refusal without bubblewrap, determinism."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import nbformat
import pytest

from autograder.host import memory_cgroup, runner, sandbox
from autograder.data import REPO_ROOT
from autograder.host.grader import grade
from autograder.host.sandbox import Limits, SandboxUnavailable
from tests import samples

pytestmark = pytest.mark.sandbox

A = "02_activations"

# Runs inside the sandboxed kernel; raises with every expectation that does not hold.
INSIDE = r"""
import importlib.util, json, os, resource, socket, sys
problems = []
def expect(ok, what):
    if not ok:
        problems.append(what)
if EXPECT["root"]:
    expect(os.getuid() != 0 and os.getgid() != 0, f"the kernel runs as uid {os.getuid()}")
expect(os.getcwd() == "/scratch" and os.environ["HOME"] == "/scratch" and os.environ["TMPDIR"] == "/scratch",
       "scratch is not cwd, HOME and TMPDIR")
with open("/scratch/written", "w") as handle:
    handle.write("ok")
for path in ["/usr/written", "/written", EXPECT["venv"] + "/written", "/grader/exchange/plan.json"]:
    try:
        open(path, "w").close()
        problems.append(f"could write {path}")
    except OSError:
        pass
for path in [EXPECT["repo"] + "/source", EXPECT["repo"] + "/autograder/judge", EXPECT["repo"] + "/gradebook.db",
             EXPECT["repo"] + "/datasets/fashion-mnist", "/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz",
             "/grader/data/t10k-labels-idx1-ubyte.gz", EXPECT["results"], "/root/.cache"]:
    expect(not os.path.exists(path), f"{path} is visible")
import autograder
expect(autograder.__file__.startswith("/grader/lib/"), f"autograder comes from {autograder.__file__}")
for module in ["autograder.judge", "autograder.judge.exercises", "autograder.exercises", "autograder.host",
               "autograder.host.grader", "autograder.course", "autograder.kernel"]:
    try:
        found = importlib.util.find_spec(module)
    except ModuleNotFoundError:  # its parent package is not there either
        found = None
    expect(found is None, f"{module} is importable")
mounted = sorted(n for n in os.listdir(os.path.dirname(autograder.__file__)) if n.endswith(".py"))
expect(mounted == EXPECT["kernel"], f"the sandbox's autograder package holds {mounted}, not autograder/kernel/")
expect("pytest" not in sys.modules, "pytest is loaded in the kernel")
from autograder import data
expect(data.load_images("test").shape == (10000, 28, 28), "the test images are missing")
expect(data.load_labels("train").shape == (60000,), "the training labels are missing")
try:
    socket.create_connection(("1.1.1.1", 443), timeout=2)
    problems.append("the network is reachable")
except OSError:
    pass
expect(resource.getrlimit(resource.RLIMIT_NPROC)[0] == EXPECT["nproc"], "no process limit")
expect(resource.getrlimit(resource.RLIMIT_DATA)[0] == EXPECT["memory"], "no memory limit")
expect(resource.getrlimit(resource.RLIMIT_CPU)[0] == EXPECT["cpu"], "no CPU-time limit")
expect(os.statvfs("/scratch").f_blocks * os.statvfs("/scratch").f_frsize <= EXPECT["scratch"], "scratch is not capped")
check = __import__("autograder.notebook", fromlist=["checks_for"]).checks_for("02_activations")
check("relu", None)  # the kernel-side check only says who checks
if problems:
    raise AssertionError("; ".join(problems))
"""


def run_cells(tmp_path, *sources, limits=Limits(), hide=("torch",)):
    """Execute code cells in a sandboxed kernel (no graded functions): a numpy lesson's (torch hidden, as in
    01-05), unless ``hide=()``. (With torch imported, as the PyTorch lessons' kernels have it from their
    first cell, a process starts at about 0.9 GB of RLIMIT_DATA's count.)"""
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in sources]
    (tmp_path / "work").mkdir(exist_ok=True, parents=True)
    with sandbox.make(tmp_path / "work", limits, {"MPLBACKEND": "Agg"}, hide=hide) as host:
        return runner.execute(notebook, host, [], tmp_path / "results", limits)


def test_the_kernel_sees_only_what_the_notebook_needs(tmp_path):
    limits = Limits()
    (tmp_path / "results").mkdir()
    expect = {
        "root": os.geteuid() == 0,
        "venv": sys.prefix,
        "repo": str(REPO_ROOT),
        "results": str(tmp_path / "results"),
        "nproc": limits.processes,
        "memory": limits.memory,
        "cpu": limits.cpu_seconds,
        "scratch": limits.scratch,
        "kernel": sorted(p.name for p in (REPO_ROOT / "autograder" / "kernel").glob("*.py")),
    }
    execution = run_cells(tmp_path, f"EXPECT = {expect!r}", INSIDE, limits=limits)
    assert execution.cell_errors == [] and execution.failure is None, execution


def test_a_fork_bomb_is_bounded_and_leaves_nothing_behind(tmp_path, monkeypatch):
    if os.geteuid() != 0:
        pytest.skip("the fixed uid below needs root; as a user the bomb is bounded in its user namespace")
    uid = sandbox.UID_BASE + sandbox.UID_SPAN - 1  # one no grading picks while this test runs
    monkeypatch.setattr(sandbox, "_lease_uid", lambda: (uid, None))
    bomb = (
        "import os, time\nn = 0\ntry:\n    while True:\n        if os.fork() == 0:\n            time.sleep(600)\n"
        "            os._exit(0)\n        n += 1\nfinally:\n    raise RuntimeError(f'forked {n} times')\n"
    )
    started = time.monotonic()
    execution = run_cells(tmp_path, bomb, "print('still here')", limits=Limits(processes=64))
    forked = int(execution.cell_errors[0].split("forked ")[1].split(" ")[0])
    assert forked < 64 and time.monotonic() - started < 60, execution.cell_errors
    left = subprocess.run(["ps", "-o", "pid=", "-u", str(uid)], capture_output=True, text=True).stdout.split()
    assert left == [], f"processes of the sandbox's uid survived: {left}"


def test_the_memory_limit_holds_for_the_sandboxs_processes_together(tmp_path):
    """Three children of 700 MB each stay under the per-process limit, but not under the sandbox's."""
    trial = memory_cgroup.MemoryCgroup.create(1 << 20)
    if trial is None:
        pytest.skip(
            "this machine lets the grader make no memory cgroup (it needs root or a delegated cgroup v2 "
            "subtree): only per-process limits hold here, and reports say so"
        )
    trial.close()
    hog = (
        "import os, time\npids = []\nfor _ in range(3):\n    pid = os.fork()\n    if pid == 0:\n"
        "        block = b'x' * (700 << 20)\n        time.sleep(5)\n        os._exit(0)\n    pids.append(pid)\n"
        "codes = [os.waitstatus_to_exitcode(os.waitpid(p, 0)[1]) for p in pids]\n"
        "raise RuntimeError('statuses ' + ' '.join(str(c) for c in codes))\n"
    )
    limits = Limits(memory=1 * sandbox.GiB, memory_total=3 * sandbox.GiB // 2)
    execution = run_cells(tmp_path, hog, "print('still here')", limits=limits)
    statuses = execution.cell_errors[0].split("statuses ")[1].split()
    assert "-9" in statuses, execution.cell_errors  # the OOM killer ended a child of this sandbox only
    assert len(execution.cell_errors) == 1 and execution.failure is None, execution


def test_where_no_memory_cgroup_can_be_made_the_report_says_so(tmp_path, monkeypatch):
    monkeypatch.setattr(memory_cgroup, "CGROUP_ROOT", tmp_path / "no-cgroups")
    with sandbox.make(tmp_path, Limits(), {}) as host:
        assert host.cgroup is None
        assert any("limited per process only" in note for note in host.notes)


def test_without_bubblewrap_the_grader_refuses_and_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setenv(sandbox.BWRAP_ENV, str(tmp_path / "no-bwrap"))
    with pytest.raises(SandboxUnavailable, match="apt-get install bubblewrap"):
        grade(samples.RELEASE_DIR / A, A)
    done = subprocess.run(
        [sys.executable, "-m", "autograder", "grade", str(samples.RELEASE_DIR / A)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, sandbox.BWRAP_ENV: str(tmp_path / "no-bwrap")},
    )
    assert done.returncode == 2 and "apt-get install bubblewrap" in done.stderr and "--no-sandbox" in done.stderr
    assert done.stdout == ""  # nothing graded, no silent fallback


def test_no_sandbox_grades_trusted_work_and_says_so(tmp_path, monkeypatch):
    monkeypatch.setenv(sandbox.BWRAP_ENV, str(tmp_path / "no-bwrap"))
    path = samples.write(samples.student_notebook(A), tmp_path, A)
    report = grade(path, A, sandbox=False)
    assert report.score == report.max_score > 0, report.table(detail=True)
    assert any("without the sandbox" in note for note in report.notes)


def test_the_same_submission_graded_twice_gets_the_same_grade(tmp_path):
    from tests.mistakes import mistakes_for

    mistake = next(iter(mistakes_for(A)))
    path = samples.write(samples.with_mistakes(A, mistake), tmp_path, A)
    first, second = grade(path, A), grade(path, A)
    assert 0 < first.score < first.max_score
    assert [(t["grade_id"], t["score"], t["output"], t["detail"]) for t in first.tests] == [
        (t["grade_id"], t["score"], t["output"], t["detail"]) for t in second.tests
    ]
    assert first.notes == second.notes


def test_only_a_lesson_that_trains_on_a_gpu_gets_the_gpus_devices(monkeypatch):
    """/dev/nvidia* was bound into every sandbox of every lesson, outside the memory limits: now only where
    Limits.gpu says (the grader sets it for a lesson with a GPU budget, on a machine with a GPU), and the
    address-space limit holds everywhere else. This machine may have no GPU: its device files stand in."""
    from autograder.host import sandbox

    devices = ["/dev/nvidia0", "/dev/nvidiactl"]
    real_glob = sandbox.glob.glob
    monkeypatch.setattr(
        sandbox.glob, "glob", lambda pattern: devices if pattern == "/dev/nvidia*" else real_glob(pattern)
    )
    for gpu in (False, True):
        limits = sandbox.Limits(gpu=gpu)
        bound = [op[1] for op in sandbox.layout([], limits) if op[0] == "dev-bind"]
        assert bound == (devices if gpu else []), gpu
        assert ("RLIMIT_AS" in sandbox.rlimits(limits)) == (not gpu)
