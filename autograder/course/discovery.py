"""What grade-all grades: the submissions in nbgrader's layout, the files that travel, and the
fingerprints that say whether a student's record is still current."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from autograder.data import REPO_ROOT
from autograder.host import repair
from autograder.host.worker import (
    MAX_NOTEBOOK_BYTES,
    Options,
    _digest_files,
    code_fingerprint,
)


@dataclass
class Submission:
    student: str
    folder: Path
    fingerprint: str
    # With --only: the student's earlier record, whose other scores the regraded functions join.
    previous: dict | None = None


def discover(submitted: Path, assignment: str) -> list[tuple[str, Path]]:
    """(student, folder) for every ``<submitted>/<student>/<assignment>/`` folder, by student."""
    if not submitted.is_dir():
        return []
    return sorted(
        (entry.name, entry / assignment)
        for entry in submitted.iterdir()
        if (entry / assignment).is_dir() and not entry.name.startswith(".")
    )


def grader_fingerprint(assignment: str, options: Options) -> str:
    """What a grade depends on besides the submission: the grading code, the assignment, the settings."""
    digest = hashlib.sha256(code_fingerprint().encode())
    _digest_files(digest, [repair.source_path(assignment)], REPO_ROOT)
    digest.update(repr((options.quick, options.sandbox, options.limits)).encode())
    if options.lang:  # messages in one language for all: a grading in another is not this one
        digest.update(f"lang={options.lang}".encode())
    return digest.hexdigest()


MAX_SHIPPED_BYTES = 2 * MAX_NOTEBOOK_BYTES  # all that one submission sends to a worker


def submission_files(folder: Path) -> list[Path]:
    """What nbgrader collected that grading reads: the notebooks and nbgrader's timestamp, as regular files.

    A link is never followed (it could point at any file the grader can read, and an error message would
    quote it), nor is a FIFO or a device read: the submission is graded as if they were not there.
    """
    return sorted(
        p
        for p in folder.iterdir()
        if (p.suffix == ".ipynb" or p.name == "timestamp.txt") and not p.is_symlink() and p.is_file()
    )


def fingerprint(folder: Path, grader: str) -> str:
    digest = hashlib.sha256(grader.encode())
    _digest_files(digest, submission_files(folder), folder)
    return digest.hexdigest()


def submission_digest(folder: Path) -> str:
    """The submission's files alone: a partial regrade (--only) may join an earlier grading only of these."""
    return fingerprint(folder, "")
