"""The processes below a process, read from /proc, so that a test touches only its own."""

from __future__ import annotations

import os


def children() -> dict[int, list[int]]:
    """Every live process's children, by parent pid."""
    found: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    parent = int(handle.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            found.setdefault(parent, []).append(int(entry))
    return found


def descendants(root: int, tree: dict[int, list[int]] | None = None) -> list[int]:
    """Every live process below ``root``."""
    tree = children() if tree is None else tree
    found, todo = [], [root]
    while todo:
        for child in tree.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def name(pid: int) -> str:
    """A process's name (/proc/PID/comm), or "" once it is gone."""
    try:
        with open(f"/proc/{pid}/comm") as handle:
            return handle.read().strip()
    except OSError:
        return ""


def is_kernel(pid: int) -> bool:
    """Whether ``pid`` is a grading's sandboxed kernel: the warm start's sandbox-kernel, or a process started
    as ipykernel_launcher (through bubblewrap)."""
    if name(pid) == "sandbox-kernel":
        return True
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return b"ipykernel_launcher" in handle.read()
    except OSError:
        return False
