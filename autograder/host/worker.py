"""What a grading worker runs: a pool process or a Dask worker, on this machine or another.

It imports the grader and nothing of the cohort's bookkeeping (nbgrader's
gradebook, the feedback pages), so that a worker process starts in a
fraction of the time: it receives a submission's bytes and the settings,
and sends back the report.
"""

from __future__ import annotations

import hashlib
import os
import socket
import tempfile
from importlib import metadata
from dataclasses import dataclass, field
from pathlib import Path

from autograder.data import REPO_ROOT
from autograder.host.grader import grade
from autograder.host.sandbox import Limits, SandboxUnavailable, check_available

MAX_NOTEBOOK_BYTES = 64 * 2**20  # a larger .ipynb is reported as ungradable, never shipped to a worker
GRADER_CODE = REPO_ROOT / "autograder"


@dataclass(frozen=True)
class Options:
    quick: bool = False
    sandbox: bool = True
    limits: Limits = field(default_factory=Limits)
    # Regrade only these functions (``--only``) where a student's earlier grading can keep the rest.
    only: tuple[str, ...] | None = None
    # The course's secret (autograder.host.heldout), for the workers; never in a record or a fingerprint.
    secret: str | None = field(default=None, repr=False)
    # The language of every message (``--lang``); None: each submission's own edition's.
    lang: str | None = None

    @property
    def mode(self) -> str:
        return "quick" if self.quick else "full"


def _digest_files(digest, paths, root: Path) -> None:
    for path in sorted(paths):
        digest.update(str(path.relative_to(root)).encode() + b"\0")
        if path.stat().st_size > MAX_NOTEBOOK_BYTES:  # never read whole: it is reported as too large
            digest.update(f"{path.stat().st_size}:{path.stat().st_mtime_ns}".encode() + b"\0")
            continue
        with open(path, "rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
        digest.update(b"\0")


# The packages whose code decides a grade; course/ only presents and ships results, so a change
# there regrades nothing.
DECIDING = ("kernel", "host", "judge")


def code_fingerprint() -> str:
    """The grading code and what it depends on: the same on every machine that may grade for us."""
    digest = hashlib.sha256()
    _digest_files(
        digest,
        [
            p
            for package in DECIDING
            for p in (GRADER_CODE / package).rglob("*")
            if p.is_file() and "__pycache__" not in p.parts
        ],
        GRADER_CODE,
    )
    _digest_files(digest, [REPO_ROOT / "datasets" / "manifest.json"], REPO_ROOT)
    for package in ("numpy", "torch", "nbclient", "ipykernel"):
        digest.update(f"{package}=={metadata.version(package)}".encode())
    return digest.hexdigest()


def grade_job(job: dict) -> dict:
    """Grade one submission from its files' bytes. Runs in a worker: a pool process or a Dask worker."""
    with tempfile.TemporaryDirectory(prefix="cohort-") as tmp:
        folder = Path(tmp) / job["student"] / job["assignment"]  # nbgrader's layout, as find_notebook expects
        folder.mkdir(parents=True)
        for name, data in job["files"].items():
            (folder / name).write_bytes(data)
        options: Options = job["options"]
        try:
            report = grade(
                folder,
                job["assignment"],
                quick=options.quick,
                sandbox=options.sandbox,
                limits=options.limits,
                only=job.get("only"),
                secret=options.secret,
                lang=options.lang,
            )
        except SandboxUnavailable as error:  # this worker cannot grade safely: a fault of the worker, not the work
            raise RuntimeError(f"worker {socket.gethostname()} cannot sandbox student code: {error}") from None
    report.submission = job["origin"]
    # Messages name the submission as the instructor knows it, not this worker's temporary copy.
    report.error = report.error and report.error.replace(str(folder), job["origin"])
    report.fault = report.fault and report.fault.replace(str(folder), job["origin"])
    report.notes = [note.replace(str(folder), job["origin"]) for note in report.notes]
    return {"student": job["student"], "report": report, "worker": f"{socket.gethostname()}:{os.getpid()}"}


def worker_problem(code: str | None = None, sandbox: bool = True) -> str | None:
    """None when this machine may grade for us; otherwise why not. Run on every Dask worker."""
    if sandbox:
        try:
            check_available()
        except SandboxUnavailable as error:
            return str(error)
    if code is not None and code_fingerprint() != code:
        return (
            "its grading code or packages differ from the instructor's (check out the same commit and run "
            "`make setup` there): its grades would not be the instructor's"
        )
    return None
