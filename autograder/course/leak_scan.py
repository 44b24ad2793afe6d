"""The student kit's leak scan: nothing a student gets may hold an answer.

Needles, from the exercises and the source notebooks:

- every hidden case's label, and the arrays its generator makes (its
  inputs) and the reference makes from them (its expected values);
- the name of every reference function, and of every other function the
  exercise modules define (case generators, references' helpers);
- every line of every ``source/`` solution cell that is more than a trivial
  token (at least MIN_LINE characters).

Haystack: every file, opened all the way down: a wheel or an ``.npz`` is a
zip whose members are scanned in turn, so compressed data and compiled
files are seen as they are, byte for byte.

One exception, by the course's design: a later lesson's locked helper cells
give the earlier lessons' answers ("Pieces from lessons 02-04, so that this
notebook stands alone"). So a solution line of lesson k may appear in the
release notebook of a lesson after k, and nowhere else.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from autograder.data import REPO_ROOT
from autograder.judge.exercises import MODULES, exercises_for

MIN_LINE = 16  # characters of a stripped solution line that count as more than a token
MIN_ARRAY_BYTES = 32
EXERCISES_DIR = REPO_ROOT / "autograder" / "judge" / "exercises"


@dataclass(frozen=True)
class Needle:
    kind: str  # hidden label | hidden input | hidden expected | reference | solution line
    what: str  # for the report
    data: bytes
    assignment: str = ""  # a solution line's lesson (the only needle with an exception)
    word: bool = False  # match only as a whole identifier (a function's name)

    def found_in(self, data: bytes) -> bool:
        if not self.word:
            return self.data in data
        return re.search(rb"(?<![A-Za-z0-9_])" + re.escape(self.data) + rb"(?![A-Za-z0-9_])", data) is not None


@dataclass(frozen=True)
class Finding:
    needle: Needle
    where: str  # the file, and the members inside it


def _array_needles(kind: str, what: str, value) -> list[Needle]:
    found = []
    if isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            found += _array_needles(kind, f"{what}[{i}]", item)
    elif isinstance(value, dict):
        for key, item in value.items():
            found += _array_needles(kind, f"{what}[{key!r}]", item)
    elif isinstance(value, np.ndarray) and value.dtype.kind in "iuf":
        # Only arrays that could not turn up by chance: enough bytes, enough distinct values.
        if value.nbytes >= MIN_ARRAY_BYTES and len(np.unique(value)) >= 4:
            found.append(Needle(kind, what, np.ascontiguousarray(value).tobytes()))
    return found


def _name(fn) -> str | None:
    """The top-level function that defines ``fn`` (a reference, or the factory of a case's generator)."""
    name = getattr(fn, "__qualname__", "").split(".")[0]
    return name if name and name != "<lambda>" else None


def exercise_needles(assignment: str) -> list[Needle]:
    found = []
    exercises = [e for e in exercises_for(assignment).values() if not e.trains]
    public_labels = {c.label for a in MODULES for e in exercises_for(a).values() if not e.trains for _, c in e.public()}
    names = set()
    for exercise in exercises:
        names.add(_name(exercise.reference))
        for index, case in exercise.hidden():
            what = f"{assignment}: {exercise.name}, hidden case {index} ({case.label})"
            names.add(_name(case.make))
            # A label that is also a public case's tells nothing; a short one turns up in any prose.
            if case.label not in public_labels and len(case.label) >= MIN_LINE:
                found.append(Needle("hidden label", what, case.label.encode()))
            args, _ = exercise.inputs(index)
            found += _array_needles("hidden input", what, args)
            if exercise.assess is None:
                found += _array_needles("hidden expected", what, exercise.expected(index))
    for name in sorted(n for n in names if n):
        found.append(Needle("reference or generator", f"{assignment}: {name}", name.encode(), word=True))
    return found


def _solution_parts(source: str) -> tuple[list[str], str]:
    """The lines inside ``### BEGIN/END SOLUTION``, and the rest of the text."""
    inside, solution, rest = False, [], []
    for line in source.splitlines():
        stripped = line.strip()
        if stripped.startswith("### BEGIN SOLUTION"):
            inside = True
        elif stripped.startswith("### END SOLUTION"):
            inside = False
        else:
            (solution if inside else rest).append(line)
    return solution, "\n".join(rest)


def _trivial(line: str) -> bool:
    """A token, a comment, or the bare opening of a call ("return nn.Sequential("): no answer on its own."""
    return len(line) < MIN_LINE or line.startswith("#") or line.endswith(("(", "[", "{"))


def _taught_text(assignment: str) -> tuple[list[str], str]:
    """The lesson's solution lines, and everything it teaches outside them: prose, docstrings and given
    code (what its release holds) and its exercises' hints, which the grader shows."""
    source = REPO_ROOT / "source" / assignment / f"{assignment}.ipynb"
    lines, taught = [], []
    for cell in json.loads(source.read_text())["cells"]:
        solution, rest = _solution_parts("".join(cell["source"]))
        taught.append(rest)
        lines += [s for line in solution if not _trivial(s := line.strip())]
    taught += [hint for exercise in exercises_for(assignment).values() for hint in exercise.hints.values()]
    return lines, "\n".join(taught)


def solution_lines(assignment: str) -> tuple[list[str], list[str]]:
    """(untaught, taught): the lesson's non-trivial solution lines, split by whether the course has taught
    them by then, in this lesson's text or hints or an earlier lesson's."""
    lines, _ = _taught_text(assignment)
    taught_text = "\n".join(_taught_text(a)[1] for a in MODULES if a <= assignment)
    untaught = sorted({line for line in lines if line not in taught_text})
    return untaught, sorted(set(lines) - set(untaught))


def needles(assignments: list[str] | None = None) -> list[Needle]:
    assignments = assignments or list(MODULES)
    found = []
    for assignment in assignments:
        found += exercise_needles(assignment)
        untaught, _ = solution_lines(assignment)
        found += [Needle("solution line", f"{assignment}: {line}", line.encode(), assignment) for line in untaught]
    return found


def _contents(name: str, data: bytes):
    """(where, bytes) for a file and, inside a zip (a wheel, an .npz), for each member, all the way down."""
    yield name, data
    if data[:4] == b"PK\x03\x04":
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                for member in archive.namelist():
                    yield from _contents(f"{name}!{member}", archive.read(member))
        except zipfile.BadZipFile:
            pass


def _allowed(needle: Needle, where: str) -> bool:
    """A later lesson's release notebook may give an earlier lesson's answer in its helper cells."""
    if needle.kind != "solution line" or not where.endswith(".ipynb"):
        return False
    lesson = Path(where.split("!")[-1]).stem
    return lesson in MODULES and lesson > needle.assignment


def scan(paths: list[Path], found_needles: list[Needle]) -> list[Finding]:
    """Every needle found in any of ``paths`` (files, or folders scanned whole)."""
    files = [f for p in paths for f in ([p] if p.is_file() else sorted(p.rglob("*"))) if f.is_file()]
    findings = []
    for path in files:
        for where, data in _contents(str(path), path.read_bytes()):
            for needle in found_needles:
                if needle.found_in(data) and not _allowed(needle, where):
                    findings.append(Finding(needle, where))
    return findings
