"""``python -m autograder collect ASSIGNMENT``: nbgrader's collect, dated by what no student can set.

``nbgrader collect`` copies each student's newest submission from the
exchange's ``inbound/`` into ``submitted/<student>/<assignment>/``, with
its ``timestamp.txt``, and everything after it dates the submission by that
file: nbgrader's late penalty and our ``grade-all`` alike. The file is the
student's own: ``nbgrader submit`` writes it in the student's process, and
so can anyone. A submission after the due date that wrote an earlier time
escaped the late penalty (10/10, where an honest late one got 0: issue 33).
nbgrader's parser also stalls for about a minute on a 1 MB
``timestamp.txt`` left in ``submitted/`` (``collect --update`` reads it).

So this command:

1. removes every ``timestamp.txt`` in ``submitted/`` for this assignment
   that is not a small file in nbgrader's format, so nbgrader never parses
   one (the submission is then collected again);
2. runs nbgrader's own ``collect`` (``--update`` passed on);
3. dates each collected submission by the exchange: the latest change time
   (ctime) of the student's inbound folders for this assignment and of
   everything in them. The kernel sets a ctime on every change, and no
   user can set it back. The student's ``timestamp.txt`` counts only where
   it is later, so it can only lower the grade;
4. writes that time into the collected ``timestamp.txt`` in nbgrader's
   format. nbgrader, ``grade-all`` and the gradebook read it from there.

It prints what it did for each student. A student's id and the times come from names and files in the
exchange; the printout shows them escaped.
"""

from __future__ import annotations

import argparse
import datetime
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from nbgrader.utils import parse_utc
from traitlets.config.loader import PyFileConfigLoader

from autograder.course.gradebook import CONFIG_FILE, TIMESTAMP_BYTES, course, read_timestamp
from autograder.host.repair import read_regular_file

DEFAULT_EXCHANGE = "/srv/nbgrader/exchange"  # nbgrader's default Exchange.root
MAX_ENTRIES = 10_000  # files and folders looked at in one student's inbound folders
MAX_NOTEBOOK_BYTES = 64 << 20  # a notebook read to find the inbound folder it was collected from


@dataclass(frozen=True)
class Dated:
    """One collected submission and the time it is dated by."""

    student: str
    changed: datetime.datetime  # the latest change time of the student's inbound folders (UTC)
    claimed: datetime.datetime | None  # what the student's timestamp.txt said, when it was readable
    dated: datetime.datetime  # the later of the two: what nbgrader and grade-all read

    def line(self) -> str:
        said = "no readable timestamp.txt" if self.claimed is None else f"its timestamp.txt said {stamp(self.claimed)}"
        kept = "later, kept" if self.claimed is not None and self.claimed > self.changed else "not later, not used"
        kept = "" if self.claimed is None else f" ({kept})"
        return f"{ascii(self.student)[1:-1]}: dated {stamp(self.dated)}, by the exchange; {said}{kept}"


def stamp(moment: datetime.datetime) -> str:
    """A time as nbgrader's submit writes timestamp.txt (its default timestamp_format), in UTC."""
    return moment.astimezone(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f UTC")


def exchange_root(root: Path) -> Path:
    """The exchange folder the course's nbgrader_config.py names, as nbgrader reads it."""
    config = PyFileConfigLoader(CONFIG_FILE, path=str(root)).load_config()
    return Path(config.Exchange.root if "root" in config.Exchange else DEFAULT_EXCHANGE)


def inbound_folders(inbound: Path, assignment: str) -> dict[str, list[Path]]:
    """Each student's inbound folders for ``assignment``, named as nbgrader's submit names them
    (``<student>+<assignment>+<time>+<random>``; a student id may hold '+'); folders only, never a link."""
    found: dict[str, list[Path]] = {}
    for entry in os.scandir(inbound):
        parts = entry.name.rsplit("+", 3)
        if len(parts) == 4 and parts[1] == assignment and entry.is_dir(follow_symlinks=False):
            found.setdefault(parts[0], []).append(Path(entry.path))
    return found


def last_change(folders: list[Path]) -> float:
    """The latest ctime of ``folders`` and of everything in them (links not followed; at most MAX_ENTRIES)."""
    latest, seen, stack = 0.0, 0, list(folders)
    while stack and seen < MAX_ENTRIES:
        path = stack.pop()
        try:
            info = os.lstat(path)
        except OSError:
            continue
        seen += 1
        latest = max(latest, info.st_ctime)
        if os.path.isdir(path) and not os.path.islink(path):
            try:
                stack.extend(entry.path for entry in os.scandir(path))
            except OSError:
                continue
    return latest


def remove_unreadable_timestamps(submitted: Path, assignment: str) -> list[str]:
    """Remove each ``<student>/<assignment>/timestamp.txt`` that read_timestamp refuses (too large, not
    nbgrader's format, a link or a FIFO), before nbgrader's parser can meet it; the students concerned."""
    removed = []
    if not submitted.is_dir():
        return removed
    for student in sorted(os.listdir(submitted)):
        folder = submitted / student / assignment
        path = folder / "timestamp.txt"
        if os.path.lexists(path) and read_timestamp(folder) is None:
            path.unlink()
            removed.append(student)
    return removed


def nbgrader_collect(root: Path, assignment: str, update: bool) -> None:
    bin_dir = Path(sys.executable).parent  # nbgrader runs `alembic` from PATH
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    command = [str(bin_dir / "nbgrader"), "collect", assignment, "--log-level=WARN"] + (["--update"] if update else [])
    done = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        output = done.stdout[-2000:] + done.stderr[-2000:]
        raise RuntimeError(f"nbgrader collect failed (exit {done.returncode}):\n{output}")


def _notebook(folder: Path, assignment: str) -> bytes | None:
    try:
        return read_regular_file(folder / f"{assignment}.ipynb", MAX_NOTEBOOK_BYTES)
    except (OSError, ValueError):
        return None


def date_submissions(root: Path, assignment: str) -> list[Dated]:
    """Write each collected submission's time, from the exchange, into its timestamp.txt (step 3 and 4)."""
    coursedir = course(root)
    inbound = exchange_root(root) / coursedir.course_id / "inbound"
    folders = inbound_folders(inbound, assignment) if inbound.is_dir() else {}
    dated = []
    for student, theirs in sorted(folders.items()):
        collected = Path(coursedir.format_path(coursedir.submitted_directory, student, assignment))
        if not collected.is_dir() or collected.is_symlink():
            continue
        # The inbound folders that hold the notebook that was collected; if none does (it changed since, or
        # a submission came between), all of the student's: a later time, never an earlier one.
        notebook = _notebook(collected, assignment)
        same = [folder for folder in theirs if notebook is not None and _notebook(folder, assignment) == notebook]
        changed = datetime.datetime.fromtimestamp(last_change(same or theirs), datetime.timezone.utc)
        text = read_timestamp(collected)
        try:
            claimed = parse_utc(text).replace(tzinfo=datetime.timezone.utc) if text else None  # naive UTC
        except (ValueError, OverflowError):
            claimed = None
        when = max(changed, claimed) if claimed is not None else changed
        path = collected / "timestamp.txt"
        if os.path.lexists(path):
            path.unlink()
        path.write_text(stamp(when))
        assert len(read_regular_file(path, TIMESTAMP_BYTES + 1)) <= TIMESTAMP_BYTES
        dated.append(Dated(student, changed, claimed, when))
    return dated


def run(args) -> int:
    root = (args.course or Path.cwd()).resolve()
    coursedir = course(root)
    submitted = Path(coursedir.root) / coursedir.submitted_directory
    for student in remove_unreadable_timestamps(submitted, args.assignment):
        print(f"{ascii(student)[1:-1]}: its collected timestamp.txt was not in nbgrader's format: removed")
    try:
        nbgrader_collect(root, args.assignment, update=args.update)
    except RuntimeError as error:
        print(error, file=sys.stderr)
        return 1
    for line in date_submissions(root, args.assignment):
        print(line.line())
    return 0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("assignment")
    parser.add_argument("--course", type=Path, help="the nbgrader course folder (default: the current folder)")
    parser.add_argument(
        "--update", action="store_true", help="as nbgrader's: replace a collected submission with a newer one"
    )
