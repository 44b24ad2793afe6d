"""The judge: a clean pytest process that scores what the probe recorded.

It imports numpy, torch and the autograder, and nothing of the student's:
its inputs are, per probed call, a JSON record and a pickle-free npz that
the sandboxed kernel wrote (and the grader moved into its own folder), plus
the grader's own context file: which records to read and the nonce each
must carry, and the outcomes the grader decided itself (a call that ended
or hung the kernel). Every point is decided here, in a process student
code never touches, so nothing the student redefines in the kernel
(check, assert helpers, numpy or torch comparisons, builtins, the probe,
the exit code) can change a verdict.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
TESTS = HERE / "test_grade_cells.py"


class JudgeFailed(RuntimeError):
    """The judge process itself broke: a grader bug, never the student's fault."""


def run_judge(assignment: str, outbox: Path, context: dict, timeout: float = 600) -> list[dict]:
    """Score every grade cell from the records in ``outbox`` (the grader's results folder)."""
    with tempfile.TemporaryDirectory(prefix="judge-") as tmp:
        context_path = Path(tmp) / "context.json"
        context_path.write_text(json.dumps(context))
        results_path = Path(tmp) / "results.json"
        command = [
            sys.executable, "-I", "-m", "pytest", str(TESTS),
            "-p", "autograder.judge.plugin", "-p", "no:cacheprovider", "--noconftest",
            "-c", os.devnull, "--rootdir", tmp, "-q", "--no-header", "-p", "no:randomly",
            "--assignment", assignment, "--outbox", str(outbox),
            "--context", str(context_path), "--results", str(results_path),
        ]
        env = {key: os.environ[key] for key in ("PATH", "HOME", "LANG", "TMPDIR", "WORKBOOK_DATA") if key in os.environ}
        try:
            done = subprocess.run(command, cwd=tmp, env=env, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise JudgeFailed(f"the judge did not finish within {timeout:g} s") from None
        if not results_path.exists():
            raise JudgeFailed(f"the judge wrote no results (exit {done.returncode}):\n{done.stdout[-3000:]}{done.stderr[-3000:]}")
        return json.loads(results_path.read_text())
