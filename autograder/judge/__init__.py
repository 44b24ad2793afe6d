"""The judge: a clean pytest process that scores what the probe recorded.

It imports numpy, torch and the autograder, and nothing of the student's:
its inputs are, per call, a JSON record and a pickle-free npz that the
grader's caller sent (autograder/caller.py: each call in a process of its
own, so a record speaks for its own call only), plus the grader's own
context file: which records to read, and the outcomes the grader decided
itself (a call that hung or ended its process, checks that were
disturbed). Every point is decided here, in a process student code never
touches, so nothing the student redefines in the kernel (check, assert
helpers, numpy or torch comparisons, builtins, the probe, the exit code)
can change a verdict.
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

HERE = Path(__file__).resolve().parent
TESTS = HERE / "test_grade_cells.py"


class JudgeFailed(RuntimeError):
    """The judge process itself broke: a grader bug, never the student's fault."""


def _command(*args: str) -> list[str]:
    return [sys.executable, "-I", *args]


def _environment() -> dict[str, str]:
    env = {key: os.environ[key] for key in ("PATH", "HOME", "LANG", "TMPDIR", "WORKBOOK_DATA") if key in os.environ}
    # One thread: judges of several workers run side by side, and each scores small arrays.
    return {**env, **{name: "1" for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}}


class WarmJudge:
    """This process's judge server (autograder/judge/server.py), started on first use.

    A grading process that grades many submissions (a cohort worker, a test
    worker) then pays torch's import once. Anything odd about the server
    (it will not start, it dies, it does not answer) stops it, and that
    judgement falls back to a cold judge process; the next one starts a new
    server. After three such failures this process judges cold.
    """

    STARTUP_TIMEOUT = 120
    MAX_FAILURES = 3

    def __init__(self):
        self.process = None
        self.ready = False  # the server said it has imported everything
        self.lock = threading.Lock()
        self.failures = 0

    @property
    def broken(self) -> bool:
        return self.failures >= self.MAX_FAILURES

    def _spawn(self) -> None:
        self.ready = False
        self.process = subprocess.Popen(
            _command("-m", "autograder.judge.server"),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=_environment(),
            cwd=tempfile.gettempdir(),
            text=True,
            bufsize=1,
        )

    def prestart(self) -> None:
        """Start the server now, without waiting: it imports torch while the grading's kernel runs."""
        with self.lock:
            if not self.broken and (self.process is None or self.process.poll() is not None):
                self._spawn()

    def _start(self) -> bool:
        """A server that has said it is ready: the one prestarted, or a new one."""
        if self.process is None or self.process.poll() is not None:
            self._spawn()
        self.ready = self.ready or self._reply(self.STARTUP_TIMEOUT) == {"ready": True}
        return self.ready

    def _reply(self, timeout: float) -> dict | None:
        ready, _, _ = select.select([self.process.stdout], [], [], timeout)
        line = self.process.stdout.readline() if ready else ""
        try:
            return json.loads(line) if line else None
        except ValueError:
            return None

    def _retire(self) -> None:
        self.failures += 1
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None
        self.ready = False

    def run(self, argv: list[str], cwd: str, log: str, timeout: float) -> int | str | None:
        """The judge's exit code, TIMED_OUT, or None when the server could not judge (then judge cold)."""
        with self.lock:
            if self.broken:
                return None
            try:
                if not self.ready or self.process.poll() is not None:
                    if not self._start():
                        self._retire()
                        return None
                self.process.stdin.write(json.dumps({"argv": argv, "cwd": cwd, "log": log, "timeout": timeout}) + "\n")
                self.process.stdin.flush()
                reply = self._reply(timeout + 30)
            except OSError:
                reply = None
            if reply is None or "exit" not in reply:
                self._retire()
                return None
            return TIMED_OUT if reply.get("timed_out") else reply["exit"]


WARM = WarmJudge()
TIMED_OUT = "timed out"


def run_judge(assignment: str, outbox: Path, context: dict, timeout: float = 600, warm: bool = True) -> list[dict]:
    """Score every grade cell from the records in ``outbox`` (the grader's results folder)."""
    with tempfile.TemporaryDirectory(prefix="judge-") as tmp:
        context_path = Path(tmp) / "context.json"
        context_path.write_text(json.dumps(context))
        results_path = Path(tmp) / "results.json"
        argv = [
            str(TESTS),
            "-p",
            "autograder.judge.plugin",
            "-p",
            "no:cacheprovider",
            "--noconftest",
            "-c",
            os.devnull,
            "--rootdir",
            tmp,
            "-q",
            "--no-header",
            "-p",
            "no:randomly",
            "--tb=line",
            "--assignment",
            assignment,
            "--outbox",
            str(outbox),
            "--context",
            str(context_path),
            "--results",
            str(results_path),
        ]
        log = Path(tmp) / "judge.log"
        code = WARM.run(argv, tmp, str(log), timeout) if warm else None
        if code == TIMED_OUT:
            raise JudgeFailed(f"the judge did not finish within {timeout:g} s")
        if code is None:  # no warm judge here: a cold one, the same pytest session in a fresh process
            try:
                done = subprocess.run(
                    _command("-m", "pytest", *argv),
                    cwd=tmp,
                    env=_environment(),
                    capture_output=True,
                    text=True,
                    timeout=timeout,
                )
            except subprocess.TimeoutExpired:
                raise JudgeFailed(f"the judge did not finish within {timeout:g} s") from None
            code, output = done.returncode, done.stdout[-3000:] + done.stderr[-3000:]
        else:
            output = log.read_text(errors="replace")[-6000:] if log.exists() else ""
        if not results_path.exists():
            raise JudgeFailed(f"the judge wrote no results (exit {code}):\n{output}")
        return json.loads(results_path.read_text())
