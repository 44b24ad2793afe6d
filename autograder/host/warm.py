"""The grader's side of the warm start: one zygote per worker process and flavour (autograder/host/zygote.py).

``Sandbox.wrap`` asks ``relay_command`` for the command that starts a kernel or
a caller: a small relay that hands the zygote the sandbox's request (the same
mounts bubblewrap would make, ``sandbox.layout``, and the same limits, uid,
environment, cgroup and seccomp filter). The zygote is started on first use,
with the flavour's imports (``numpy`` for lessons 01-05, where torch is hidden,
``torch`` for the rest), and again if it has died.

It runs only as root (it makes namespaces and mounts as bubblewrap does as
root). ``WORKBOOK_WARM_START=0`` turns it off: every sandbox is then started by
bubblewrap, as it is where the grader is not root.
"""

from __future__ import annotations

import atexit
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

ZYGOTE = Path(__file__).resolve().parent / "zygote.py"
ENV = "WORKBOOK_WARM_START"
START_TIMEOUT = 180  # seconds for a zygote's imports (torch, on a loaded machine)


class WarmStartFailed(RuntimeError):
    """A zygote would not start; the cause is in its log."""


def enabled() -> bool:
    """Whether sandboxes start warm here: as root on Linux, unless WORKBOOK_WARM_START=0."""
    return (
        os.environ.get(ENV, "1") != "0" and os.geteuid() == 0 and sys.platform == "linux" and hasattr(os, "pidfd_open")
    )


class Zygotes:
    """This process's zygotes, by flavour."""

    def __init__(self):
        self._lock = threading.Lock()
        self._servers: dict[str, subprocess.Popen] = {}
        self._folder: Path | None = None

    def forget(self) -> None:
        """In a forked worker process: the zygotes are its parent's; it starts its own."""
        self._lock = threading.Lock()
        self._servers = {}
        self._folder = None

    def folder(self) -> Path:
        if self._folder is None:
            self._folder = Path(tempfile.mkdtemp(prefix="workbook-zygote-"))  # 0700, root's
            (self._folder / "sandbox-root").mkdir()
            atexit.register(self.stop)
        return self._folder

    def socket(self, flavour: str, setup: dict, env: dict[str, str]) -> str:
        """The socket of this process's zygote of ``flavour``, started (``setup``: its own layout) if need be."""
        with self._lock:
            folder = self.folder()
            path = folder / f"{flavour}.sock"
            server = self._servers.get(flavour)
            if server is not None and server.poll() is None:
                return str(path)
            if path.exists():
                path.unlink()
            root = folder / f"{flavour}-root"
            root.mkdir(exist_ok=True)
            log = open(folder / f"{flavour}.log", "ab")
            server = subprocess.Popen(
                [sys.executable, str(ZYGOTE), "serve", str(path), flavour],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                env=env,
                cwd="/",
                start_new_session=True,
            )
            log.close()
            server.stdin.write(
                json.dumps({**setup, "root": str(root), "sandbox_root": str(folder / "sandbox-root")}).encode()
            )
            server.stdin.close()
            ready = select.select([server.stdout], [], [], START_TIMEOUT)[0]
            line = server.stdout.readline() if ready else b""
            if line.strip() != b"ready":
                server.kill()
                server.wait()
                tail = (folder / f"{flavour}.log").read_bytes()[-2000:].decode(errors="replace")
                raise WarmStartFailed(f"the {flavour} zygote did not start: {tail.strip() or 'no output'}")
            self._servers[flavour] = server
            return str(path)

    def stop(self) -> None:
        with self._lock:
            for server in self._servers.values():
                if server.poll() is None:
                    server.kill()
                    server.wait()
            self._servers.clear()
            if self._folder is not None:
                shutil.rmtree(self._folder, ignore_errors=True)
                self._folder = None


ZYGOTES = Zygotes()
os.register_at_fork(after_in_child=ZYGOTES.forget)


def relay_command(socket: str, request: Path) -> list[str]:
    """The command that starts a sandbox from the zygote at ``socket``: a relay in place of bubblewrap."""
    return [sys.executable, "-I", "-S", str(ZYGOTE), "relay", socket, str(request)]
