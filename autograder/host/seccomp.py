"""The seccomp filter every sandboxed process runs under (bubblewrap's ``--seccomp``), as a cBPF program.

Namespaces, the uid drop and the limits (autograder/host/sandbox.py) leave a
kernel surface open that no notebook needs and that reaches past one grading
(issue 33's third round):

- kernel keyrings are per uid, not per sandbox: a key one grading adds is
  there for the next grading under the same uid (``add_key``, ``keyctl``,
  ``request_key``);
- new user, mount, PID, network, IPC, UTS, cgroup or time namespaces
  (``unshare``, ``setns``, ``clone`` with a namespace flag, and ``clone3``,
  whose flags a filter cannot read: it answers ENOSYS, so that glibc falls back
  to ``clone`` for threads), and mounts (``mount``, ``umount2``,
  ``pivot_root``, the new mount API);
- io_uring (``io_uring_setup``, ``io_uring_enter``, ``io_uring_register``),
  AF_VSOCK sockets (vsock is not network-namespaced), ``bpf``,
  ``perf_event_open``, ``userfaultfd``;
- another process's memory (``ptrace``, ``process_vm_readv``,
  ``process_vm_writev``): a call's process could otherwise read the caller's;
- what only root could use anyway (modules, kexec, reboot, swap, quotas,
  ``acct``, ``chroot``, file handles), refused here too in case a uid
  drop ever fails.

Each is refused with EPERM (``clone3``: ENOSYS). Any other architecture's
system call ABI (i386 or x32 on x86_64) is refused too, so the filter cannot
be stepped around through another syscall table. Everything else is allowed:
the filter is a denylist of what a sandbox must not do, not an allowlist of
what Python, numpy, torch and ipykernel happen to use today.

The program is built here, without libseccomp, from the Linux UAPI constants,
for x86_64 and aarch64; on another architecture ``program()`` is None and the
sandbox runs without a filter (its notes say so).
"""

from __future__ import annotations

import atexit
import errno
import os
import platform
import shutil
import struct
import tempfile
from functools import lru_cache
from pathlib import Path

# linux/audit.h
AUDIT_ARCH = {"x86_64": 0xC000003E, "aarch64": 0xC00000B7}
# linux/seccomp.h
RET_ALLOW = 0x7FFF0000
RET_ERRNO = 0x00050000
RET_KILL_PROCESS = 0x80000000
# struct seccomp_data: int nr; __u32 arch; __u64 instruction_pointer; __u64 args[6]
NR, ARCH, ARG0 = 0, 4, 16  # args[0]'s low 32 bits on these little-endian machines
# linux/filter.h (classic BPF)
LD_W_ABS, JEQ, JGE, JSET, RET = 0x20, 0x15, 0x35, 0x45, 0x06
X32_SYSCALL_BIT = 0x40000000
AF_VSOCK = 40
# linux/sched.h: every namespace flag of clone()
NAMESPACE_FLAGS = 0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000 | 0x20000000 | 0x40000000 | 0x80

DENIED = (
    "add_key request_key keyctl unshare setns mount umount2 pivot_root open_tree move_mount fsopen fsconfig "
    "fsmount fspick mount_setattr io_uring_setup io_uring_enter io_uring_register bpf perf_event_open "
    "userfaultfd ptrace process_vm_readv process_vm_writev init_module finit_module delete_module kexec_load "
    "kexec_file_load reboot swapon swapoff quotactl acct chroot name_to_handle_at open_by_handle_at"
).split()
# The system call numbers (arch/x86/entry/syscalls/syscall_64.tbl; include/uapi/asm-generic/unistd.h for arm64).
NUMBERS = {
    "x86_64": dict(
        add_key=248,
        request_key=249,
        keyctl=250,
        unshare=272,
        setns=308,
        mount=165,
        umount2=166,
        pivot_root=155,
        open_tree=428,
        move_mount=429,
        fsopen=430,
        fsconfig=431,
        fsmount=432,
        fspick=433,
        mount_setattr=442,
        io_uring_setup=425,
        io_uring_enter=426,
        io_uring_register=427,
        bpf=321,
        perf_event_open=298,
        userfaultfd=323,
        ptrace=101,
        process_vm_readv=310,
        process_vm_writev=311,
        init_module=175,
        finit_module=313,
        delete_module=176,
        kexec_load=246,
        kexec_file_load=320,
        reboot=169,
        swapon=167,
        swapoff=168,
        quotactl=179,
        acct=163,
        chroot=161,
        name_to_handle_at=303,
        open_by_handle_at=304,
        clone=56,
        clone3=435,
        socket=41,
    ),  # fmt: skip
    "aarch64": dict(
        add_key=217,
        request_key=218,
        keyctl=219,
        unshare=97,
        setns=268,
        mount=40,
        umount2=39,
        pivot_root=41,
        open_tree=428,
        move_mount=429,
        fsopen=430,
        fsconfig=431,
        fsmount=432,
        fspick=433,
        mount_setattr=442,
        io_uring_setup=425,
        io_uring_enter=426,
        io_uring_register=427,
        bpf=280,
        perf_event_open=241,
        userfaultfd=282,
        ptrace=117,
        process_vm_readv=270,
        process_vm_writev=271,
        init_module=105,
        finit_module=273,
        delete_module=106,
        kexec_load=104,
        kexec_file_load=294,
        reboot=142,
        swapon=224,
        swapoff=225,
        quotactl=60,
        acct=89,
        chroot=51,
        name_to_handle_at=264,
        open_by_handle_at=265,
        clone=220,
        clone3=435,
        socket=198,
    ),  # fmt: skip
}


def _instruction(code: int, k: int, jt: int = 0, jf: int = 0) -> bytes:
    return struct.pack("<HBBI", code, jt, jf, k)


def program(machine: str | None = None) -> bytes | None:
    """The filter as bubblewrap reads it (struct sock_filter[], as seccomp_export_bpf writes), or None where
    this architecture has no table here."""
    machine = machine or platform.machine()
    if machine not in NUMBERS:
        return None
    numbers = NUMBERS[machine]
    # Each entry: (code, k, jump-if-true label, jump-if-false label), labels resolved below.
    code: list[tuple] = [(LD_W_ABS, ARCH), (JEQ, AUDIT_ARCH[machine], None, "kill"), (LD_W_ABS, NR)]
    if machine == "x86_64":
        code.append((JGE, X32_SYSCALL_BIT, "eperm", None))
    code += [(JEQ, numbers[name], "eperm", None) for name in DENIED]
    code += [
        (JEQ, numbers["clone3"], "enosys", None),
        (JEQ, numbers["clone"], "clone", None),
        (JEQ, numbers["socket"], "socket", None),
        (RET, RET_ALLOW),
        "clone",
        (LD_W_ABS, ARG0),
        (JSET, NAMESPACE_FLAGS, "eperm", None),
        (RET, RET_ALLOW),
        "socket",
        (LD_W_ABS, ARG0),
        (JEQ, AF_VSOCK, "eperm", None),
        (RET, RET_ALLOW),
        "eperm",
        (RET, RET_ERRNO | errno.EPERM),
        "enosys",
        (RET, RET_ERRNO | errno.ENOSYS),
        "kill",
        (RET, RET_KILL_PROCESS),
    ]
    labels, position = {}, 0
    for entry in code:
        if isinstance(entry, str):
            labels[entry] = position
        else:
            position += 1
    out, position = [], 0
    for entry in code:
        if isinstance(entry, str):
            continue
        op, k, *jumps = entry
        offsets = [0 if label is None else labels[label] - position - 1 for label in jumps]
        assert all(0 <= offset < 256 for offset in offsets), "a jump too far for classic BPF"
        out.append(_instruction(op, k, *offsets))
        position += 1
    return b"".join(out)


@lru_cache(maxsize=None)
def filter_file() -> Path | None:
    """The program in a file of this process (made once), for bubblewrap to read on a descriptor; None where
    there is no program for this architecture."""
    made = program()
    if made is None:
        return None
    folder = Path(tempfile.mkdtemp(prefix="workbook-seccomp-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    path = folder / "filter.bpf"
    path.write_bytes(made)
    os.chmod(path, 0o644)
    return path


# The descriptor bubblewrap reads the filter from: opened on it by /bin/sh, just before it becomes bwrap.
FD = 9  # a single digit: POSIX shells (dash) redirect descriptors 0 to 9 only


def wrap(bwrap_command: list[str]) -> list[str]:
    """``bwrap_command`` (bwrap first) with the filter: ``sh -c 'exec "$@" 9<FILTER'``, and ``--seccomp 9``
    as bwrap's first option. Unchanged where there is no filter for this architecture."""
    path = filter_file()
    if path is None:
        return bwrap_command
    return ["/bin/sh", "-c", f'exec "$@" {FD}<"$0"', str(path), bwrap_command[0], "--seccomp", str(FD)] + list(
        bwrap_command[1:]
    )
