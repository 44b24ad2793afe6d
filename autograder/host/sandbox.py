"""The sandbox a student's kernel runs in: bubblewrap plus resource limits.

The kernel is started as

    prlimit <limits> -- [choom -n 1000 --] bwrap <namespaces, mounts> -- [setpriv <drop to uid>] --
        python -m ipykernel ...

so that it has:
- no network (its own, empty network namespace), its own PID, IPC and UTS namespaces;
- a read-only system: /usr, the Python install and the venv, nothing else of the host;
- a private, size-capped tmpfs as cwd, HOME and TMPDIR (/scratch);
- the training images and labels and the test images, bound file by file from
  the verified cache: never the test labels (the judge, outside, keeps those);
- ``autograder`` as a small kernel-side package (data, targets, checks, and a
  ``notebook.checks_for`` that only says the grader checks the cell): the
  exercises (hidden cases, references), the judge, source/, the gradebook,
  other submissions and the repo itself are simply not mounted;
- two writable folders shared with the grader: the kernel's IPC sockets and
  connection file (at the same path inside and out), and the exchange folder
  where the grader puts the plan right before the probe runs and the probe
  leaves its results;
- limits on memory, address space, CPU time, processes, file size; and,
  where the machine allows it, one memory cgroup for all of the kernel's
  processes together (autograder/memory_cgroup.py).

Run as root, bwrap keeps only the capabilities setpriv needs to drop to an
unprivileged uid of its own: root is exempt from RLIMIT_NPROC, so a fork
bomb is bounded only once the kernel is not root. Each grading picks its own
uid, so two workers' process limits do not share one pool. Run as an
ordinary user, bwrap makes a user namespace instead, where the process
limit counts only the sandbox's own processes.

There is no silent fallback: without bubblewrap, ``check_available`` says
how to install it, and only an explicit ``sandbox=False`` (CLI:
``--no-sandbox``) runs a kernel without it.
"""

from __future__ import annotations

import atexit
import fcntl
import glob
import importlib.util
import itertools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from autograder import backbone, data
from autograder.targets import CELL_SECONDS
from autograder.host.memory_cgroup import MemoryCgroup
from autograder.host import seccomp, warm
from autograder.i18n import N_, _

HERE = Path(__file__).resolve().parent
# The kernel side, mounted whole as the sandbox's `autograder` package: no hidden case and no
# reference is in it (those live with the judge, never mounted).
KERNEL_PACKAGE = HERE.parent / "kernel"
# What `import torch` says in a lesson that must not have it (01-05: torch is the judge's reference).
NO_TORCH = N_(
    "torch is not available in this lesson: it is a numpy lesson, and torch is "
    "what the grader compares your answers with. Use numpy."
)
# The data a notebook may read. The test labels are deliberately absent.
DATA_FILES = (data.SPLIT_FILES["train"][0], data.SPLIT_FILES["train"][1], data.SPLIT_FILES["test"][0])

BWRAP_ENV = "WORKBOOK_BWRAP"  # path of the bwrap binary; by default the one on PATH
INSTALL_HINT = "apt-get install bubblewrap"

# Paths as the kernel sees them.
SCRATCH = "/scratch"
INSIDE = "/grader"
LIB_INSIDE = f"{INSIDE}/lib"
DATA_INSIDE = f"{INSIDE}/data"
EXCHANGE_INSIDE = f"{INSIDE}/exchange"
MPLCONFIG_INSIDE = f"{SCRATCH}/.config/matplotlib"  # the kernel's MPLCONFIGDIR: writable, in /scratch

UID_BASE, UID_SPAN = 61000, 4000  # unprivileged uids for kernels when the grader runs as root
_uids = itertools.count()

GiB = 1 << 30
MiB = 1 << 20


class SandboxUnavailable(RuntimeError):
    """The sandbox cannot run here, so untrusted work is not graded."""


@dataclass(frozen=True)
class Limits:
    """Every limit a grading runs under. The defaults keep a 24 GB machine safe with two workers."""

    memory: int = 6 * GiB  # RLIMIT_DATA: heap and private memory, per process
    memory_total: int = 8 * GiB  # the cgroup: all of the sandbox's processes together
    # RLIMIT_AS also catches shared mappings, which RLIMIT_DATA does not count.
    # It must stay well above memory: importing torch alone maps about 3.4 GB.
    address_space: int = 14 * GiB
    cpu_seconds: int = 1800  # RLIMIT_CPU, per process (the kernel: all its cells together)
    processes: int = 256  # RLIMIT_NPROC for the kernel's uid; threads count too
    file_size: int = 256 * MiB  # RLIMIT_FSIZE: the largest file the kernel may write
    scratch: int = 512 * MiB  # size of the tmpfs at /scratch
    exchange: int = 1 * GiB  # size of the tmpfs the kernel saves its functions into (root only)
    cell_timeout: float = CELL_SECONDS  # seconds for one notebook cell (a training cell: its budget)
    notebook_timeout: float = 900  # seconds for all of a notebook's cells in one run (the probe has its own)
    call_timeout: float | None = None  # caps every exercise's per-call limit (the tests use short ones)
    # Seconds for all of a submission's calls together, each with its own limit too: a notebook whose every
    # function takes nearly its limit cannot hold a worker for the sum of them (02 makes 37 calls). A
    # reference's calls take under 10 s in every lesson; a call begun within the budget runs to its own limit.
    calls_budget: float = 300.0
    cell_output: int = 1 * MiB  # output kept per cell; the rest is dropped, with a note
    notebook_output: int = 5 * MiB  # output kept per notebook
    message: int = 8 * MiB  # largest message the grader accepts from the kernel (zmq MAXMSGSIZE)
    # The machine's CUDA devices in the sandboxes, for a lesson that trains on a GPU (one with a GPU budget,
    # where the grader has a GPU): every other lesson's sandboxes get none, and an address-space limit.
    gpu: bool = False


def gpu_devices(limits: Limits) -> list[str]:
    """The CUDA device files the sandboxes of a grading under ``limits`` get: none unless ``limits.gpu``."""
    return sorted(glob.glob("/dev/nvidia*")) if limits.gpu else []


def bwrap_path() -> str | None:
    configured = os.environ.get(BWRAP_ENV)
    if configured:
        return configured if os.access(configured, os.X_OK) else None
    return shutil.which("bwrap")


def _tools() -> dict[str, str]:
    """The programs the kernel command needs; raises with an install hint when one is missing."""
    bwrap = bwrap_path()
    if bwrap is None:
        raise SandboxUnavailable(
            "The grader runs student code only inside a bubblewrap sandbox, and bubblewrap (bwrap) is not "
            f"installed{' at ' + os.environ[BWRAP_ENV] if os.environ.get(BWRAP_ENV) else ''}. "
            f"Install it with `{INSTALL_HINT}` (Debian/Ubuntu; `make setup` does it when run as root), "
            "or pass --no-sandbox (API: sandbox=False) to grade trusted work without it."
        )
    tools = {"bwrap": bwrap}
    for name in ("prlimit", "setpriv") if os.geteuid() == 0 else ("prlimit",):
        found = shutil.which(name)
        if found is None:
            raise SandboxUnavailable(f"{name} (from util-linux) is missing; the sandbox needs it to set limits")
        tools[name] = found
    tools["choom"] = shutil.which("choom") or ""  # optional: makes the OOM killer pick sandboxed processes first
    return tools


@lru_cache(maxsize=None)
def _smoke_test(bwrap: str) -> str | None:
    """Start a trivial sandbox once per process: bwrap can be installed yet refused (no user namespaces)."""
    uid, lease = _lease_uid() if os.geteuid() == 0 else (None, None)
    command = kernel_command(["true"], {}, uid=uid, binds=[], limits=Limits(), tools=_tools())
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    finally:
        if lease is not None:
            lease.close()
    if done.returncode != 0:
        return (
            f"bubblewrap is installed but cannot create a sandbox here (exit {done.returncode}: "
            f"{done.stderr.strip()[:300]}). It needs user namespaces, or root."
        )
    return None


def check_available() -> None:
    """Raise SandboxUnavailable, saying how to fix it, unless a sandbox can run here."""
    tools = _tools()
    problem = _smoke_test(tools["bwrap"])
    if problem:
        raise SandboxUnavailable(problem + " Or pass --no-sandbox (API: sandbox=False) for trusted work.")


@lru_cache(maxsize=None)
def font_cache() -> Path | None:
    """matplotlib's font list as a kernel in the sandbox would make it, made once per grading process.

    Every sandbox starts with an empty /scratch, so each kernel's first plot would
    scan the machine's fonts again (about 0.4 s). This list is made the same way, by
    the venv's matplotlib, with an empty home (the sandbox has no user fonts), and
    bound read-only into each sandbox's matplotlib folder; matplotlib reads it and
    writes it only if its fonts changed. None where it cannot be made: then each
    kernel makes its own, as before.
    """
    folder = Path(tempfile.mkdtemp(prefix="workbook-fonts-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    home = folder / "home"
    home.mkdir()
    script = (  # importing font_manager makes the list, where matplotlib's own code names it
        "import os, sys, matplotlib, matplotlib.font_manager as fm; "
        "sys.stdout.write(os.path.join(matplotlib.get_cachedir(), f'fontlist-v{fm.FontManager.__version__}.json'))"
    )
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(home), "MPLCONFIGDIR": str(folder), "LANG": "C.UTF-8"}
    try:
        done = subprocess.run(
            [sys.executable, "-I", "-c", script], env=env, capture_output=True, text=True, timeout=120
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    path = Path(done.stdout.strip()) if done.returncode == 0 else None
    if path is None or path.parent != folder or not path.is_file():
        return None
    path.chmod(0o644)
    return path


UID_LOCKS = Path("/run/lock/workbook-sandbox-uids")


def _lease_uid():
    """An unprivileged uid no other sandbox on this machine holds, and the lock that holds it.

    Every grading process (pool workers, Dask workers, test workers) takes its
    uids here, so two concurrent kernels never share one RLIMIT_NPROC pool.
    The lock is released when the returned file is closed (or the process dies).
    """
    folder = UID_LOCKS if UID_LOCKS.parent.is_dir() else Path(tempfile.gettempdir()) / UID_LOCKS.name
    folder.mkdir(mode=0o700, exist_ok=True)
    start = (os.getpid() * 16 + next(_uids)) % (UID_SPAN - 1)
    for step in range(UID_SPAN - 1):  # the span's last uid is never leased: the fork-bomb test claims it
        uid = UID_BASE + (start + step) % (UID_SPAN - 1)
        lock = open(folder / str(uid), "w")
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.close()
            continue
        return uid, lock
    raise SandboxUnavailable(f"every one of the {UID_SPAN - 1} sandbox uids is in use")


def kernel_package_binds() -> list[tuple]:
    """autograder/kernel/ whole as the sandbox's `autograder` package, and the data manifest and lesson 08's
    pretrained network beside it, where data.py and backbone.py find them (../datasets/)."""
    unreadable = [p for p in [KERNEL_PACKAGE, *KERNEL_PACKAGE.rglob("*")] if not p.stat().st_mode & 0o004]
    if unreadable:
        raise SandboxUnavailable(
            f"{unreadable[0]} is not readable by other users, so the sandboxed kernel could "
            "not import it: check out the repository with a umask of 022"
        )
    binds = [
        (KERNEL_PACKAGE, f"{LIB_INSIDE}/autograder", "ro"),
        (data.MANIFEST_PATH, f"{LIB_INSIDE}/datasets/manifest.json", "ro"),
    ]
    checkpoint = backbone.checkpoint_path()  # verified where it is loaded (backbone.load_backbone)
    if checkpoint.is_file():
        binds.append((checkpoint, f"{LIB_INSIDE}/datasets/backbone/{backbone.CHECKPOINT}", "ro"))
    return binds


def layout(binds: list, limits: Limits) -> list[tuple]:
    """The sandbox's file system, as a list of operations in order, each naming its path inside last:
    ("ro-bind" | "bind" | "dev-bind", host path, inside), ("symlink", target, inside), ("tmpfs", size or
    None, perms, inside), ("dir", perms, inside), ("proc" | "dev" | "remount-ro", inside). bubblewrap takes it
    as arguments (``kernel_command``); the warm start builds the same (autograder/host/zygote.py).

    ``binds`` are (host path, path inside, "ro" or "rw").
    """
    ops: list[tuple] = []
    made: set[str] = set()

    def parents(path: str) -> None:
        # bwrap creates missing parents 0700, which an unprivileged kernel could not enter.
        parts = Path(path).parts
        for i in range(2, len(parts)):
            parent = str(Path(*parts[:i]))
            if parent not in made:
                made.add(parent)
                ops.append(("dir", 0o755, parent))

    ops.append(("ro-bind", "/usr", "/usr"))
    for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64"):
        if os.path.islink(top):
            ops.append(("symlink", os.readlink(top), top))
        elif os.path.isdir(top):
            ops.append(("ro-bind", top, top))
    debian_data = data.manifest()["debian_path"]
    if os.path.isdir(debian_data):  # Debian's dataset package holds the test labels: hide it
        ops.append(("tmpfs", None, 0o755, debian_data))
    for path in ("/etc/ld.so.cache", "/etc/localtime", "/etc/fonts", "/etc/nsswitch.conf", "/etc/mime.types"):
        if os.path.exists(path):
            parents(path)
            ops.append(("ro-bind", path, path))
    for root in sorted({sys.base_prefix, sys.prefix, os.path.realpath(sys.base_prefix)}):
        if not root.startswith("/usr/") and os.path.isdir(root):  # the Python install and the venv
            parents(root)
            ops.append(("ro-bind", root, root))
    ops += [("proc", "/proc"), ("dev", "/dev")]
    for device in gpu_devices(limits):  # a CUDA GPU, for a lesson that trains on one
        ops.append(("dev-bind", device, device))
    ops.append(("tmpfs", limits.scratch, 0o1777, SCRATCH))
    # matplotlib's folder, which it must be able to write to, made here so that a font cache bound into it
    # (Sandbox: font_cache) does not make it the root-owned folder bwrap makes for a bind's parents.
    for folder in (str(Path(MPLCONFIG_INSIDE).parent), MPLCONFIG_INSIDE):
        made.add(folder)
        ops.append(("dir", 0o1777, folder))
    for host, inside, mode in binds:
        parents(inside)
        ops.append(("ro-bind" if mode == "ro" else "bind", str(host), inside))
    ops.append(("remount-ro", "/"))
    return ops


def _bwrap_arguments(ops: list[tuple]) -> list[str]:
    out: list[str] = []
    for kind, *args in ops:
        if kind == "tmpfs":
            size, perms, inside = args
            out += ["--perms", f"0{perms:o}", *(["--size", str(size)] if size else []), "--tmpfs", inside]
        elif kind == "dir":
            out += ["--perms", f"0{args[0]:o}", "--dir", args[1]]
        else:
            out += [f"--{kind}", *map(str, args)]
    return out


def rlimits(limits: Limits) -> dict[str, int | list[int]]:
    """The limits every sandboxed process starts under, by resource name (prlimit's options, and the warm
    start's setrlimit calls)."""
    cpu = int(limits.cpu_seconds)
    out: dict[str, int | list[int]] = {"RLIMIT_DATA": limits.memory}
    # The CUDA driver reserves far more address space than any cap would allow; with a
    # GPU, RLIMIT_DATA and the memory cgroup still bound what the kernel really uses.
    if not gpu_devices(limits):
        out["RLIMIT_AS"] = limits.address_space
    out.update(RLIMIT_CPU=[cpu, cpu + 5], RLIMIT_NPROC=limits.processes, RLIMIT_FSIZE=limits.file_size, RLIMIT_CORE=0)
    return out


PRLIMIT_OPTIONS = {"RLIMIT_DATA": "data", "RLIMIT_AS": "as", "RLIMIT_CPU": "cpu", "RLIMIT_NPROC": "nproc",
                   "RLIMIT_FSIZE": "fsize", "RLIMIT_CORE": "core"}  # fmt: skip


def kernel_command(
    argv: list[str],
    env: dict[str, str],
    *,
    uid: int | None,
    binds: list,
    limits: Limits,
    tools: dict[str, str],
    as_pid_1: bool = False,
) -> list[str]:
    """``argv`` wrapped: limits, namespaces, mounts, environment, and the drop to ``uid`` when root.

    ``binds`` are (host path, path inside, "ro" or "rw"). With ``as_pid_1``, ``argv`` is its PID namespace's
    PID 1 (bubblewrap's ``--as-pid-1``): no process in there can stop or kill it with a signal.
    """
    prlimit = [tools["prlimit"]]
    for name, value in rlimits(limits).items():
        prlimit.append(
            f"--{PRLIMIT_OPTIONS[name]}=" + (":".join(map(str, value)) if isinstance(value, list) else str(value))
        )
    prlimit.append("--")
    choom = [tools["choom"], "-n", "1000", "--"] if tools.get("choom") else []
    # No --unshare-all: as root it would add a user namespace, where setpriv could not switch uid.
    bwrap = [
        tools["bwrap"],
        "--die-with-parent",
        "--new-session",
        "--unshare-ipc",
        "--unshare-pid",
        "--unshare-net",
        "--unshare-uts",
        "--unshare-cgroup-try",
        "--hostname",
        "sandbox",
        *(["--as-pid-1"] if as_pid_1 else []),
    ]
    if uid is not None:  # root: keep only what setpriv needs to drop to an unprivileged uid
        bwrap += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID", "--cap-add", "CAP_SETPCAP"]
    else:
        bwrap += ["--unshare-user"]
    bwrap += _bwrap_arguments(layout(binds, limits))
    bwrap += ["--chdir", SCRATCH, "--clearenv"]
    for key, value in sorted(env.items()):
        bwrap += ["--setenv", key, value]
    bwrap += ["--"]
    drop = []
    if uid is not None:
        drop = [
            tools["setpriv"],
            f"--reuid={uid}",
            f"--regid={uid}",
            "--clear-groups",
            "--inh-caps=-all",
            "--bounding-set=-all",
            "--no-new-privs",
            "--",
        ]
    return prlimit + choom + seccomp.wrap(bwrap + drop + list(argv))


def zygote_setup() -> dict:
    """A zygote's own root: every sandbox's common part (the system, the venv, the kernel package, the data,
    /scratch and matplotlib's folder with its font list), so that what its imports remember of paths holds
    in each sandbox forked from it."""
    binds = kernel_package_binds()
    cache = font_cache()
    if cache is not None:
        binds.append((cache, f"{MPLCONFIG_INSIDE}/{cache.name}", "ro"))
    return {"mounts": layout(binds, Limits()), "chdir": SCRATCH}


def common_env() -> dict[str, str]:
    """The environment every sandbox has, whatever its grading: its own paths, user and language."""
    return {
        "PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin",
        "HOME": SCRATCH,
        "TMPDIR": SCRATCH,
        "USER": "student",
        "LOGNAME": "student",
        "LANG": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        data.ENV_VAR: DATA_INSIDE,
        data.OFFLINE_ENV: "1",  # no network in here: never try a download
        "MPLCONFIGDIR": MPLCONFIG_INSIDE,
        "JUPYTER_RUNTIME_DIR": f"{SCRATCH}/.jupyter",
    }


def zygote_env() -> dict[str, str]:
    """A zygote's environment: what a sandbox's has in common, since imports read some of it (threads,
    matplotlib's folder and backend, the hash seed); each sandbox then gets its own in full."""
    from autograder.targets import KERNEL_ENV

    return {**KERNEL_ENV, **common_env()}


class Sandbox:
    """One submission's sandbox: its folders on the host and the command that starts its kernel."""

    enabled = True

    def __init__(self, workdir: Path, limits: Limits, env: dict[str, str], hide: tuple[str, ...] = ()):
        self.tools = _tools()
        self.limits = limits
        self.cgroup = MemoryCgroup.create(limits.memory_total)
        self.notes = (
            []
            if self.cgroup
            else [
                _(
                    "memory was limited per process only ({gb:g} GB each): this machine lets the "
                    "grader make no memory cgroup for the sandbox as a whole"
                ).format(gb=limits.memory / GiB)
            ]
        )
        self.uid, self._lease = _lease_uid() if os.geteuid() == 0 else (None, None)
        self.warm = warm.enabled() and self.uid is not None
        self.flavour = "numpy" if "torch" in hide else "torch"  # the zygote's imports (autograder/host/zygote.py)
        self.workdir = workdir
        self._requests = itertools.count()
        self._mounted: list[Path] = []
        try:
            self._prepare(workdir, env, hide)
        except BaseException:  # the cgroup, the uid lease and the mounts are not left behind
            self.close()
            raise

    def _prepare(self, workdir: Path, env: dict[str, str], hide: tuple[str, ...]) -> None:
        limits = self.limits
        self.kernel_dir = workdir / "kernel"  # sockets and connection file, at the same path inside
        self.kernel_dir.mkdir(mode=0o700)
        # The plan, written by the grader, which the kernel may read but not replace; the
        # runner makes exchange/outbox, the one folder the kernel writes (the saved functions) into.
        self.exchange = workdir / "exchange"
        self.exchange.mkdir(mode=0o755)
        # Both are small file systems of their own in memory, where the machine lets the grader mount
        # them (root): the kernel cannot fill the host's disk or its inodes through them.
        self._mounted = [
            folder
            for folder, size, inodes, mode in (
                (self.kernel_dir, 16 * MiB, 64, "0700"),
                (self.exchange, limits.exchange, 1024, "0755"),
            )
            if _mount_tmpfs(folder, size, inodes, mode)
        ]
        if len(self._mounted) < 2:
            self.notes.append(
                _(
                    "the kernel's exchange folder was on the host's disk, capped per file only: this "
                    "machine lets the grader mount no file system of its own for it"
                )
            )
        self.own(self.kernel_dir)
        self.exchange_inside = EXCHANGE_INSIDE
        self.cwd = None  # bwrap sets the kernel's: /scratch
        passwd = workdir / "passwd"  # so that getpass and pwd find the kernel's user
        uid = self.uid if self.uid is not None else os.getuid()
        passwd.write_text(f"student:x:{uid}:{uid}:student:{SCRATCH}:/bin/sh\n")
        passwd.chmod(0o644)
        self.lib_inside = LIB_INSIDE
        self.binds = [*kernel_package_binds(), (passwd, "/etc/passwd", "ro")]
        self.binds += _hidden_packages(workdir / "hidden", hide)
        cache = font_cache()
        if cache is not None:  # matplotlib finds its font list made, instead of scanning every font (0.4 s)
            self.binds.append((cache, f"{MPLCONFIG_INSIDE}/{cache.name}", "ro"))
        # The kernel's sockets and its exchange folder; the caller gets the exchange read-only and no sockets.
        self.kernel_binds = [(self.kernel_dir, str(self.kernel_dir), "rw"), (self.exchange, EXCHANGE_INSIDE, "rw")]
        self.caller_binds = [(self.exchange, EXCHANGE_INSIDE, "ro")]
        self.caller_env = None  # bwrap sets the caller's environment
        try:  # the kernel's only: the caller's training calls get the lesson's data in their plan, nothing else
            folder = data.locate(DATA_FILES)
            self.kernel_binds += [(folder / name, f"{DATA_INSIDE}/{name}", "ro") for name in DATA_FILES]
        except data.DatasetUnavailable:
            pass  # a notebook that loads data gets the data module's own error, inside
        self.env = {
            **env,
            **common_env(),
            "PYTHONPATH": LIB_INSIDE,  # the kernel-side autograder wins over the venv's editable install
        }

    def own(self, path: Path) -> None:
        """Hand a grader-made file or folder to the kernel's uid, so that the kernel can use it."""
        if self.uid is not None:
            os.chown(path, self.uid, self.uid)

    def wrap(self, argv: list[str]) -> list[str]:
        return self._command(argv, self.env, self.binds + self.kernel_binds, "sandbox-kernel")

    def wrap_caller(self, argv: list[str]) -> list[str]:
        """The grader's caller in a sandbox of its own: another PID namespace, of which it is PID 1 (the calls'
        processes, forked from it under the same uid, cannot stop it with a signal), the same limits and uid."""
        env = {**self.env, "MPLBACKEND": "Agg"}
        return self._command(argv, env, self.binds + self.caller_binds, "sandbox-caller", as_pid_1=True)

    def _command(self, argv: list[str], env: dict[str, str], binds: list, name: str, as_pid_1=False) -> list[str]:
        if self.warm:
            return self._warm_command(argv, env, binds, name, as_pid_1)
        command = kernel_command(
            argv, env, uid=self.uid, binds=binds, limits=self.limits, tools=self.tools, as_pid_1=as_pid_1
        )
        return (self.cgroup.join_prefix() if self.cgroup else []) + command

    def _warm_command(self, argv: list[str], env: dict[str, str], binds: list, name: str, as_pid_1: bool) -> list[str]:
        """The same sandbox from this worker's zygote (autograder/host/zygote.py): the mounts, limits, uid,
        namespaces, cgroup and seccomp filter of ``kernel_command``, with the imports already made. The
        process's name (``ps``, /proc/PID/comm) is ``name``; its command line is the zygote's."""
        program = seccomp.program()
        request = {
            "name": name,
            "as_pid_1": as_pid_1,
            "argv": list(argv),
            "env": dict(env),
            "mounts": layout(binds, self.limits),
            "uid": self.uid,
            "limits": rlimits(self.limits),
            "oom_score_adj": 1000,
            "cgroup": str(self.cgroup.folder / "cgroup.procs") if self.cgroup else None,
            "hostname": "sandbox",
            "chdir": SCRATCH,
            "seccomp": program.hex() if program else None,
        }
        path = self.workdir / f"sandbox-request-{next(self._requests)}.json"
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as file:
            json.dump(request, file)
        return warm.relay_command(warm.ZYGOTES.socket(self.flavour, zygote_setup(), zygote_env()), path)

    def end_processes(self) -> None:
        """End everything the kernel left running (before the caller starts, under the same uid and limits)."""
        if self.cgroup:
            self.cgroup.empty()
        elif self.uid is not None:
            for _attempt in range(50):
                left = [pid for pid in _pids_of(self.uid) if pid != os.getpid()]
                if not left:
                    break
                for pid in left:
                    try:
                        os.kill(pid, 9)
                    except OSError:
                        pass
                time.sleep(0.1)

    def close(self) -> None:
        if self.cgroup:
            self.cgroup.close()  # kills whatever is left, so the uid is free before its lease ends
        for folder in self._mounted:
            subprocess.run(["umount", "--lazy", str(folder)], capture_output=True)
        self._mounted = []
        if self._lease is not None:
            self._lease.close()
            self._lease = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class Unsandboxed:
    """The same interface for trusted work (``sandbox=False``): the kernel runs as the grader's user."""

    enabled = False

    def __init__(self, workdir: Path, limits: Limits, env: dict[str, str], hide: tuple[str, ...] = ()):
        self.limits = limits
        self.uid = None
        self.lib_inside = str(HERE.parent)
        self.notes = []
        self.kernel_dir = workdir / "kernel"
        self.exchange = workdir / "exchange"
        self.cwd = str(workdir / "scratch")
        for folder in (self.kernel_dir, self.exchange, Path(self.cwd)):
            folder.mkdir(mode=0o700)
        self.exchange_inside = str(self.exchange)
        self.env = {**os.environ, **env}
        self.caller_env = {**self.env, "MPLBACKEND": "Agg"}

    def own(self, path: Path) -> None:
        pass

    def wrap(self, argv: list[str]) -> list[str]:
        return list(argv)

    def wrap_caller(self, argv: list[str]) -> list[str]:
        return list(argv)

    def end_processes(self) -> None:
        pass

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def make(workdir: Path, limits: Limits, env: dict[str, str], enabled: bool = True, hide: tuple[str, ...] = ()):
    """The sandbox for one submission, or the trusted stand-in when ``enabled`` is False.

    ``hide`` names installed packages that `import` must not find in the sandbox (torch in 01-05)."""
    return (Sandbox if enabled else Unsandboxed)(workdir, limits, env, hide)


def _mount_tmpfs(folder: Path, size: int, inodes: int, mode: str) -> bool:
    """Mount a tmpfs of ``size`` bytes and ``inodes`` files on ``folder``; False where this machine refuses."""
    if os.geteuid() != 0 or not shutil.which("mount"):
        return False
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},nr_inodes={inodes},mode={mode}", "tmpfs", str(folder)],
        capture_output=True,
    )
    return done.returncode == 0


def _pids_of(uid: int) -> list[int]:
    """The processes whose real uid is ``uid``."""
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.stat(f"/proc/{entry}").st_uid == uid:
                    pids.append(int(entry))
            except OSError:
                pass
    return pids


def _hidden_packages(folder: Path, names: tuple[str, ...]) -> list[tuple]:
    """Binds that put a package raising ImportError over each installed package in ``names``."""
    binds = []
    for name in names:
        spec = importlib.util.find_spec(name)
        if spec is None or not spec.submodule_search_locations:
            continue
        stand_in = folder / name
        stand_in.mkdir(parents=True, exist_ok=True)
        message = _(NO_TORCH) if name == "torch" else _("{name} is not available in this lesson").format(name=name)
        # A JSON string is a Python string literal too (non-ASCII as \uXXXX escapes): the file stays ASCII.
        (stand_in / "__init__.py").write_text(f"raise ImportError({json.dumps(message)})\n")
        for path in [folder, stand_in, stand_in / "__init__.py"]:
            path.chmod(0o755 if path.is_dir() else 0o644)
        binds.append((stand_in, str(Path(spec.submodule_search_locations[0]).resolve()), "ro"))
    return binds
