"""The warm start: a fork server that starts each sandboxed kernel and caller with its imports already made.

Starting a sandboxed Python costs a grading more than its cells do in the numpy
lessons: the interpreter, ipykernel, numpy and matplotlib, and in the PyTorch
lessons torch (with ``torch._dynamo``, which every optimizer constructor
imports), 2 to 4 s in the kernel and again in the caller (issue 34). This
module is that cost paid once per worker process and flavour.

Three roles, one file (run by path with the venv's Python; it imports nothing
of ``autograder``, so nothing of the grader's host side is in a sandbox's
memory):

``serve SOCKET FLAVOUR`` (the zygote, one per worker process and flavour, as root)
    Keeps a handle on the host's mount namespace, moves into a private root
    laid out as every sandbox is (the same /usr, venv, /scratch and
    matplotlib folder, so that what the imports remember of paths holds in
    each sandbox), imports the flavour's modules (``numpy``: ipykernel,
    numpy, matplotlib; ``torch``: those and torch), and then only accepts
    connections and forks. It never reads a request and never runs student
    code: a request is read by the fork that serves it, so no grading's
    paths, names or data are in the memory the next grading is forked from.

the fork that serves one request (outside the sandbox, root)
    Reads the request (the mounts, environment, argv, uid, limits and cgroup
    that ``sandbox.Sandbox`` decided) and the relay's standard streams,
    joins the grading's memory cgroup, goes back into the host's mount
    namespace, and makes new mount, PID, network, IPC, UTS and cgroup
    namespaces. Its child is the sandbox's PID 1, which builds the root
    from the request's mounts (as bubblewrap does from its arguments:
    the same list, ``sandbox.layout``), pivots into it, brings up the
    loopback, and forks the payload. The payload sets the limits, joins a new
    session, drops to the grading's uid with no capabilities and
    ``no_new_privs``, loads the seccomp filter, takes the request's
    environment, reseeds the random generators, closes every other
    descriptor and runs ``python -m MODULE`` or ``python -c CODE`` as the
    command line says. PID 1 drops to the uid too, reaps, and exits with the
    payload's status (128 + signal when a signal ended it, as bubblewrap
    reports). The fork outside waits for it, kills it (and with it the
    whole PID namespace) if the relay goes away, and sends the status back.

``relay SOCKET REQUEST`` (started by the runner in place of bubblewrap)
    Sends the request file and its own standard streams to the zygote,
    then waits and exits with the sandbox's status. Killing the relay (the
    runner kills a kernel's process group) ends the sandbox.
"""

from __future__ import annotations

import ctypes
import fcntl
import json
import os
import platform
import select
import signal
import socket
import struct
import sys

# linux/sched.h
CLONE_NEWNS, CLONE_NEWCGROUP, CLONE_NEWUTS = 0x00020000, 0x02000000, 0x04000000
CLONE_NEWIPC, CLONE_NEWPID, CLONE_NEWNET = 0x08000000, 0x20000000, 0x40000000
# linux/mount.h
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
MNT_DETACH = 2
# linux/prctl.h
PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_CAPBSET_DROP, PR_SET_SECCOMP, PR_SET_NO_NEW_PRIVS = 1, 4, 24, 22, 38
PR_SET_CHILD_SUBREAPER, PR_SET_NAME = 36, 15
SECCOMP_MODE_FILTER = 2
PIVOT_ROOT = {"x86_64": 155, "aarch64": 41}
# linux/sockios.h, linux/if.h
SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP, IFF_RUNNING = 0x8913, 0x8914, 0x1, 0x40
DEV_NODES = ("null", "zero", "full", "random", "urandom", "tty")
NO_SANDBOX = 125  # the relay's status when the zygote could not make the sandbox at all

# What a kernel and a caller import on their way to a lesson's first cell or call (ipykernel imports its
# debugger and the history's sqlite3 as it starts); torch._dynamo is what every optimizer constructor imports.
COMMON = ("numpy", "matplotlib", "matplotlib.pyplot", "ipykernel.kernelapp", "ipykernel.ipkernel", "debugpy", "sqlite3")
PRELOAD = {
    "numpy": (*COMMON, "cloudpickle"),
    "torch": (*COMMON, "cloudpickle", "torch", "torch.nn", "torch.optim", "torch._dynamo"),
}

_libc = ctypes.CDLL(None, use_errno=True)


def _check(result: int, what: str) -> int:
    if result < 0:
        error = ctypes.get_errno()
        raise OSError(error, f"{what}: {os.strerror(error)}")
    return result


def _mount(source, target, fstype, flags: int, data=None) -> None:
    encode = lambda s: None if s is None else str(s).encode()  # noqa: E731
    _check(
        _libc.mount(encode(source), encode(target), encode(fstype), ctypes.c_ulong(flags), encode(data)),
        f"mount {target}",
    )


def _prctl(option: int, arg: int = 0) -> None:
    _check(_libc.prctl(option, ctypes.c_ulong(arg), 0, 0, 0), f"prctl {option}")


def _unshare(flags: int) -> None:
    _check(_libc.unshare(flags), "unshare")


def _pivot_into(root: str) -> None:
    """Make ``root`` the root of this mount namespace, and detach the old one."""
    os.chdir(root)
    _check(_libc.syscall(PIVOT_ROOT[platform.machine()], b".", b"."), "pivot_root")
    _check(_libc.umount2(b".", MNT_DETACH), "umount the old root")
    os.chdir("/")


# ------------------------------------------------------------------ the layout
def _parents(path: str) -> None:
    parent = os.path.dirname(path)
    if not os.path.isdir(parent):
        _parents(parent)
        os.mkdir(parent)
        os.chmod(parent, 0o755)  # what bubblewrap makes missing parents: an unprivileged uid can enter them


def _readonly_below(target: str) -> None:
    """Remount read-only every mount at or under ``target`` (a recursive bind brings its submounts along)."""
    with open("/proc/self/mountinfo") as info:
        points = [line.split()[4] for line in info]
    for point in points:
        point = point.encode().decode("unicode_escape")
        if point == target or point.startswith(target.rstrip("/") + "/"):
            try:
                _mount(None, point, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV)
            except OSError:
                pass  # a submount that cannot be remounted (a special file system) stays as it was


def build(root: str, mounts: list) -> None:
    """Lay out a fresh tmpfs at ``root`` from ``mounts``: the operations ``sandbox.layout`` lists, in order,
    as bubblewrap's arguments would (``--ro-bind``, ``--bind``, ``--dev-bind``, ``--symlink``, ``--tmpfs``,
    ``--dir``, ``--proc``, ``--dev``, ``--remount-ro``)."""
    _mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755")
    for op in mounts:
        kind, args = op[0], op[1:]
        target = root + args[-1]  # every operation names its path inside last
        if kind in ("ro-bind", "bind", "dev-bind"):
            source = args[0]
            _parents(target)
            if os.path.isdir(source):
                os.makedirs(target, exist_ok=True)
            elif not os.path.exists(target):
                open(target, "w").close()
            _mount(source, target, None, MS_BIND | MS_REC)
            if kind == "ro-bind":
                _readonly_below(target)
            elif kind == "bind":
                _mount(None, target, None, MS_REMOUNT | MS_BIND | MS_NOSUID | MS_NODEV)
        elif kind == "symlink":
            _parents(target)
            os.symlink(args[0], target)
        elif kind == "tmpfs":
            size, perms, _path = args
            _parents(target)
            os.makedirs(target, exist_ok=True)
            options = f"mode={perms:o}" + (f",size={size}" if size else "")
            _mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV, options)
        elif kind == "dir":  # as bubblewrap's --dir: an existing folder (in a bind) stays as it is
            if not os.path.isdir(target):
                _parents(target)
                os.mkdir(target)
                os.chmod(target, args[0])
        elif kind == "proc":
            _parents(target)
            os.makedirs(target, exist_ok=True)
            _mount("proc", target, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
            for part in ("sys", "sysrq-trigger", "irq", "bus"):  # read-only, as bubblewrap leaves them
                path = f"{target}/{part}"
                if os.path.exists(path):
                    _mount(path, path, None, MS_BIND | MS_REC)
                    _readonly_below(path)
        elif kind == "dev":
            _parents(target)
            os.makedirs(target, exist_ok=True)
            _mount("tmpfs", target, "tmpfs", MS_NOSUID, "mode=0755")
            for node in DEV_NODES:
                if os.path.exists(f"/dev/{node}"):
                    open(f"{target}/{node}", "w").close()
                    _mount(f"/dev/{node}", f"{target}/{node}", None, MS_BIND)
            for name, points_to in (("fd", "/proc/self/fd"), ("core", "/proc/kcore")):
                os.symlink(points_to, f"{target}/{name}")
            for number, name in enumerate(("stdin", "stdout", "stderr")):
                os.symlink(f"/proc/self/fd/{number}", f"{target}/{name}")
            for folder in ("shm", "pts"):
                os.mkdir(f"{target}/{folder}")
                os.chmod(f"{target}/{folder}", 0o755)
            try:
                _mount("devpts", f"{target}/pts", "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=620")
                os.symlink("pts/ptmx", f"{target}/ptmx")
            except OSError:
                pass  # no pseudo-terminals: nothing the grader runs needs one
        elif kind == "remount-ro":
            _mount(None, target, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV)
        else:
            raise ValueError(f"unknown mount operation {kind!r}")


def _loopback_up() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        request = struct.pack("16sH14x", b"lo", 0)
        flags = struct.unpack("16sH14x", fcntl.ioctl(sock, SIOCGIFFLAGS, request))[1]
        fcntl.ioctl(sock, SIOCSIFFLAGS, struct.pack("16sH14x", b"lo", flags | IFF_UP | IFF_RUNNING))


# ------------------------------------------------------------------ dropping privileges
def _drop(uid: int | None, seccomp: bytes | None, dumpable: bool) -> None:
    """No capabilities, the grading's uid, no new privileges, the seccomp filter."""
    if uid is not None:
        for capability in range(64):
            if _libc.prctl(PR_CAPBSET_DROP, ctypes.c_ulong(capability), 0, 0, 0) < 0:
                break  # past the last capability this kernel knows
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)  # from root to another uid: the permitted and effective sets empty too
    _prctl(PR_SET_DUMPABLE, 1 if dumpable else 0)  # the payload's /proc/self stays its own; PID 1 stays out of reach
    _prctl(PR_SET_NO_NEW_PRIVS, 1)
    if seccomp:

        class Program(ctypes.Structure):
            _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

        code = ctypes.create_string_buffer(seccomp, len(seccomp))
        program = Program(len(seccomp) // 8, ctypes.addressof(code))
        _check(_libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(program), 0, 0), "seccomp")


def _limits(request: dict) -> None:
    import resource

    limits = request["limits"]
    for name, value in limits.items():
        soft, hard = (value, value) if not isinstance(value, list) else value
        resource.setrlimit(getattr(resource, name), (soft, hard))
    try:
        with open("/proc/self/oom_score_adj", "w") as score:
            score.write(str(request.get("oom_score_adj", 0)))
    except OSError:
        pass


# ------------------------------------------------------------------ the payload
def _python_argv(argv: list[str]) -> tuple[str, str, list[str], bool]:
    """``python [-E] [-s] [-I] (-m MODULE | -c CODE) ARGS``: (how, what, sys.argv, ignore_environment)."""
    i, ignore = 1, False
    while i < len(argv) and argv[i].startswith("-") and argv[i] not in ("-m", "-c"):
        ignore = ignore or argv[i] in ("-E", "-I")
        i += 1
    if i + 1 >= len(argv) or argv[i] not in ("-m", "-c"):
        raise ValueError(f"the warm start runs `python -m MODULE` or `python -c CODE`, not {argv[:3]}")
    how, what, rest = argv[i], argv[i + 1], argv[i + 2 :]
    return how, what, [what if how == "-m" else "-c", *rest], ignore


def _run_payload(request: dict, base_path: list[str]) -> None:
    import random
    import runpy
    import types

    how, what, args, ignore = _python_argv(request["argv"])
    os.environ.clear()
    os.environ.update(request["env"])
    os.chdir(request["chdir"])
    extra = [] if ignore else [p for p in request["env"].get("PYTHONPATH", "").split(os.pathsep) if p]
    sys.path[:] = ([os.getcwd()] if how == "-m" else [""]) + extra + base_path
    os.closerange(3, os.sysconf("SC_OPEN_MAX") if os.sysconf("SC_OPEN_MAX") > 0 else 65536)
    random.seed()
    if "numpy" in sys.modules:
        sys.modules["numpy"].random.seed()  # numpy's global generator was seeded once, in the zygote
    if "matplotlib" in sys.modules and "MPLBACKEND" in os.environ:
        sys.modules["matplotlib"].rcParams["backend"] = os.environ["MPLBACKEND"]  # read at import, in the zygote
    # Standard streams as a fresh interpreter makes them, on the relay's descriptors.
    sys.stdin = sys.__stdin__ = open(0, "r", closefd=False)
    sys.stdout = sys.__stdout__ = open(1, "w", closefd=False)
    sys.stderr = sys.__stderr__ = open(2, "w", buffering=1, closefd=False, errors="backslashreplace")
    sys.argv[:] = args
    if how == "-m":
        runpy.run_module(what, run_name="__main__", alter_sys=True)
    else:
        main = types.ModuleType("__main__")
        main.__builtins__ = __builtins__
        sys.modules["__main__"] = main
        exec(compile(what, "<string>", "exec"), main.__dict__)


def _sandbox_pid1(request: dict, seccomp: bytes | None, base_path: list[str], root: str) -> int:
    """PID 1 of the new namespaces: build the root, start the payload, reap, and return its status."""
    _mount(None, "/", None, MS_REC | MS_PRIVATE)  # nothing of this namespace's mounts reaches the host's
    build(root, request["mounts"])
    _pivot_into(root)
    _libc.sethostname(request["hostname"].encode(), len(request["hostname"]))
    try:
        _loopback_up()
    except OSError:
        pass
    payload = 0 if request.get("as_pid_1") else os.fork()  # as bubblewrap's --as-pid-1: the payload is PID 1
    if payload == 0:
        try:
            name = request.get("name", "sandbox").encode()[:15]
            _check(_libc.prctl(PR_SET_NAME, ctypes.c_char_p(name), 0, 0, 0), "prctl PR_SET_NAME")
            _limits(request)
            os.setsid()
            _drop(request["uid"], seccomp, dumpable=True)
            _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)  # after the uid change, which clears it
            _run_payload(request, base_path)
        except SystemExit as stop:
            code = stop.code
            os._exit(code if isinstance(code, int) else (0 if code is None else 1))
        except BaseException:
            import traceback

            traceback.print_exc()
            sys.stderr.flush()
            os._exit(1)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)
    for number in signal.valid_signals() - {signal.SIGCHLD, signal.SIGKILL, signal.SIGSTOP}:
        try:  # PID 1 takes only what it has a handler for: the payload's signals do not reach it
            signal.signal(number, signal.SIG_IGN)
        except (OSError, ValueError):
            pass
    _drop(request["uid"], seccomp, dumpable=False)
    while True:
        try:
            pid, status = os.wait()
        except ChildProcessError:
            return 1
        if pid == payload:
            code = os.waitstatus_to_exitcode(status)
            return code if code >= 0 else 128 - code


def _serve_one(conn: socket.socket, host_mounts: int, base_path: list[str], root: str) -> None:
    """In the zygote's fork: read the request, make the sandbox, report its status."""
    header, fds, _flags, _addr = socket.recv_fds(conn, 8, 3)
    if len(fds) != 3 or len(header) != 8:
        raise OSError("the relay sent no request")
    size = struct.unpack("!Q", header)[0]
    data = b""
    while len(data) < size:
        chunk = conn.recv(min(1 << 20, size - len(data)))
        if not chunk:
            raise OSError("the relay's request ended early")
        data += chunk
    request = json.loads(data)
    seccomp = bytes.fromhex(request["seccomp"]) if request.get("seccomp") else None
    for number, fd in enumerate(fds):
        os.dup2(fd, number)
        os.close(fd)
    os.setsid()
    _check(_libc.setns(host_mounts, CLONE_NEWNS), "setns")  # back to the host's paths, for the mounts' sources
    os.close(host_mounts)
    if request.get("cgroup"):
        with open(request["cgroup"], "w") as procs:
            procs.write(str(os.getpid()))
    _unshare(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWCGROUP)
    pid1 = os.fork()
    if pid1 == 0:
        conn.close()
        try:
            os._exit(_sandbox_pid1(request, seccomp, base_path, root))
        except BaseException:
            import traceback

            traceback.print_exc()
            sys.stderr.flush()
            os._exit(NO_SANDBOX)
    devnull = os.open(os.devnull, os.O_RDWR)
    for number in range(3):
        os.dup2(devnull, number)  # only the sandbox holds the relay's streams: their readers see its end
    watch = os.pidfd_open(pid1)
    while True:
        ready, _, _ = select.select([conn, watch], [], [])
        if watch in ready:
            break
        if conn in ready and not conn.recv(1):
            os.kill(pid1, signal.SIGKILL)  # the relay is gone (killed by the runner): so is the sandbox
            break
    _pid, status = os.waitpid(pid1, 0)
    code = os.waitstatus_to_exitcode(status)
    try:
        conn.sendall(struct.pack("!i", code if code >= 0 else 128 - code))
    except OSError:
        pass


def serve(socket_path: str, flavour: str) -> None:
    """The zygote: lay out its root, import, say ready, then accept and fork (until its parent is gone)."""
    setup = json.loads(sys.stdin.read())
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(socket_path)
    os.chmod(socket_path, 0o600)
    listener.listen(64)
    host_mounts = os.open("/proc/self/ns/mnt", os.O_RDONLY)
    _unshare(CLONE_NEWNS)
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    root = setup["root"]
    build(root, setup["mounts"])
    _pivot_into(root)
    os.chdir(setup["chdir"])
    # What a fresh Python in the sandbox has on its path: not this file's folder, nor what site added
    # for paths that the sandbox does not have (the repo of an editable install).
    base_path = [path for path in sys.path[1:] if os.path.exists(path)]
    import importlib

    for name in PRELOAD[flavour]:
        importlib.import_module(name)
    threads = len(os.listdir("/proc/self/task"))
    if threads != 1:
        raise RuntimeError(f"the zygote has {threads} threads after its imports: it could not fork safely")
    # Its forks, and a sandbox's PID 1 orphaned when a cgroup is emptied all at once, are reaped at once: no
    # zombie of a sandbox's uid outlives its grading.
    _prctl(PR_SET_CHILD_SUBREAPER, 1)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    parent = os.getppid()
    while True:
        if not select.select([listener], [], [], 1.0)[0]:
            if os.getppid() != parent:
                os._exit(0)  # the worker process that started it is gone
            continue
        conn, _addr = listener.accept()
        if os.fork() == 0:
            listener.close()
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            try:
                _serve_one(conn, host_mounts, base_path, setup["sandbox_root"])
            except BaseException:
                import traceback

                traceback.print_exc()
                os._exit(NO_SANDBOX)
            os._exit(0)
        conn.close()


def relay(socket_path: str, request_path: str) -> int:
    """Hand the request and this process's standard streams to the zygote; return the sandbox's status."""
    _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)  # as bubblewrap's --die-with-parent
    with open(request_path, "rb") as file:
        data = file.read()
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        conn.connect(socket_path)
        socket.send_fds(conn, [struct.pack("!Q", len(data))], [0, 1, 2])
        conn.sendall(data)
    except OSError as error:
        sys.stderr.write(f"the grader's warm start is not answering ({error})\n")
        return NO_SANDBOX
    devnull = os.open(os.devnull, os.O_RDWR)
    for number in range(3):
        os.dup2(devnull, number)
    answer = b""
    while len(answer) < 4:
        chunk = conn.recv(4 - len(answer))
        if not chunk:
            return NO_SANDBOX
        answer += chunk
    return struct.unpack("!i", answer)[0]


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve(sys.argv[2], sys.argv[3])
    elif sys.argv[1] == "relay":
        sys.exit(relay(sys.argv[2], sys.argv[3]))
    else:
        raise SystemExit(f"usage: {sys.argv[0]} serve SOCKET FLAVOUR | relay SOCKET REQUEST")
