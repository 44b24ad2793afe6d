"""One memory cgroup per sandbox, so that the memory limit holds for a kernel's processes together.

RLIMIT_DATA caps each process; a kernel that forks could still add up to
more than the machine has. Where the grader may create cgroups (root on
cgroup v1, or a cgroup v2 subtree with the memory controller delegated to
it), each sandbox's kernel joins a cgroup of its own, capped at
``Limits.memory_total``: past it, the kernel's OOM killer ends a process of
that sandbox and nothing else. Elsewhere only the per-process limits hold,
and the report says so.

The cgroup also gives a sure way to end every process a sandbox left.
"""

from __future__ import annotations

import itertools
import os
import signal
import time
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")
NEAR_LIMIT = 4 << 20  # bytes under a cgroup's limit at which its high-water mark counts as having reached it
_names = itertools.count()


def _own_paths() -> dict[str, str]:
    """This process's cgroup path per hierarchy: "memory" (v1) and "" (v2)."""
    paths = {}
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return paths
    for line in lines:
        _, controllers, path = line.split(":", 2)
        for controller in controllers.split(","):
            paths[controller] = path
    return paths


def _parent() -> tuple[Path, str] | None:
    """Where a new memory cgroup can be made, and its version ("v1" or "v2"); None when nowhere."""
    paths = _own_paths()
    if "memory" in paths:  # v1
        folder = CGROUP_ROOT / "memory" / paths["memory"].lstrip("/")
        if (folder / "memory.limit_in_bytes").exists() and os.access(folder, os.W_OK):
            return folder, "v1"
    if "" in paths:  # v2, unified at the root or beside the v1 hierarchies
        for root in (CGROUP_ROOT, CGROUP_ROOT / "unified"):
            folder = root / paths[""].lstrip("/")
            try:
                delegated = "memory" in (folder / "cgroup.subtree_control").read_text().split()
            except OSError:
                continue
            if delegated and os.access(folder, os.W_OK):
                return folder, "v2"
    return None


class MemoryCgroup:
    """A cgroup with a memory limit; ``join_prefix`` makes a command start inside it."""

    def __init__(self, folder: Path, version: str):
        self.folder, self.version = folder, version

    @classmethod
    def create(cls, limit: int) -> "MemoryCgroup | None":
        """A new capped cgroup, or None where this machine does not let the grader make one."""
        found = _parent()
        if found is None:
            return None
        parent, version = found
        folder = parent / f"workbook-{os.getpid()}-{next(_names)}"
        try:
            folder.mkdir()
            if version == "v1":
                (folder / "memory.limit_in_bytes").write_text(str(limit))
                _try_write(folder / "memory.memsw.limit_in_bytes", str(limit))  # no swapping past it either
            else:
                (folder / "memory.max").write_text(str(limit))
                _try_write(folder / "memory.swap.max", "0")
        except OSError:
            _remove(folder)
            return None
        return cls(folder, version)

    def join_prefix(self) -> list[str]:
        """A prefix that moves the command's first process into the cgroup; its children follow."""
        return ["/bin/sh", "-c", 'echo $$ > "$0" && exec "$@"', str(self.folder / "cgroup.procs")]

    def pids(self) -> list[int]:
        try:
            return [int(p) for p in (self.folder / "cgroup.procs").read_text().split()]
        except OSError:
            return []

    def starved(self) -> bool:
        """Whether the OOM killer ended a process of this cgroup that never reached the cgroup's own limit:
        memory pressure from outside it (the machine, or a cgroup above) took it, not the sandbox's own use.
        The kernel counts both in the cgroup: its kills (v1 ``memory.oom_control``'s oom_kill, v2
        ``memory.events``' oom_kill), and the times its usage met its limit (v2 ``memory.events``' max; v1
        ``memory.failcnt``, or a high-water mark at the limit)."""
        if self.version == "v1":
            kills = _fields(self.folder / "memory.oom_control").get("oom_kill", 0)
            # failcnt, and the high-water mark against the limit: recent kernels leave v1's failcnt at 0 even
            # when the cgroup's own limit was hit (6.18 here), while the high-water mark then equals the limit.
            at_limit = _number(self.folder / "memory.failcnt") + _number(self.folder / "memory.memsw.failcnt")
            for prefix in ("memory.", "memory.memsw."):
                limit = _number(self.folder / f"{prefix}limit_in_bytes")
                if limit and _number(self.folder / f"{prefix}max_usage_in_bytes") >= limit - NEAR_LIMIT:
                    at_limit += 1
        else:
            events = _fields(self.folder / "memory.events")
            kills, at_limit = events.get("oom_kill", 0), events.get("max", 0) + events.get("oom", 0)
        return kills > 0 and at_limit == 0

    def close(self) -> None:
        """End whatever the sandbox left running, and remove the cgroup."""
        self.empty()
        _remove(self.folder)

    def empty(self) -> None:
        """End every process in the cgroup, and wait (up to 5 s) until none is left."""
        for _ in range(50):
            pids = self.pids()
            if not pids:
                break
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            time.sleep(0.1)


def _fields(path: Path) -> dict[str, int]:
    """A cgroup file of "name value" lines, as numbers; empty where it cannot be read."""
    try:
        lines = path.read_text().splitlines()
    except OSError:
        return {}
    found = {}
    for line in lines:
        parts = line.split()
        if len(parts) == 2 and parts[1].isdigit():
            found[parts[0]] = int(parts[1])
    return found


def _number(path: Path) -> int:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return 0


def _try_write(path: Path, value: str) -> None:
    try:
        path.write_text(value)
    except OSError:
        pass  # swap accounting is off: there is no swap limit to set


def _remove(folder: Path) -> None:
    for _ in range(20):
        try:
            folder.rmdir()
            return
        except FileNotFoundError:
            return
        except OSError:
            time.sleep(0.1)
