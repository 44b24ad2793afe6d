"""Source notebooks as the truth about an assignment, and repair of submissions.

The source notebook says which cells are graded, what each is worth, and
what every locked cell must contain. A submission is trusted only for its
solution cells and the student's own extra cells; everything locked is put
back from source, matched by nbgrader ``grade_id``.
"""

from __future__ import annotations

import copy
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

import nbformat

from autograder.data import REPO_ROOT

SOURCE_DIR = REPO_ROOT / "source"
HIDDEN_TESTS = re.compile(r"^[ \t]*### BEGIN HIDDEN TESTS.*?^[ \t]*### END HIDDEN TESTS[^\n]*\n?", re.S | re.M)


class NotANotebook(ValueError):
    """The submission cannot be read as a Jupyter notebook."""


def assignments() -> list[str]:
    return sorted(p.name for p in SOURCE_DIR.iterdir() if (p / f"{p.name}.ipynb").is_file())


def source_path(assignment: str) -> Path:
    return SOURCE_DIR / assignment / f"{assignment}.ipynb"


def read_regular_file(path: Path, limit: int = -1) -> bytes:
    """The bytes of ``path`` (at most ``limit`` of them), which must be a regular file: never a link, a FIFO
    or a device.

    A submission folder is the student's: a FIFO would block the reader for
    ever, and a link could make the grader read, and quote, a file of its own.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW)
    except OSError:
        if Path(path).is_symlink():
            raise NotANotebook(f"{path} is a symbolic link, not a file") from None
        raise
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise NotANotebook(f"{path} is not a regular file")
        return handle.read(limit)


def read(path: Path):
    try:
        text = read_regular_file(path).decode("utf-8")
    except UnicodeDecodeError as error:
        raise NotANotebook(f"{path} is not text ({error.reason})") from None
    if not text.strip():
        raise NotANotebook(f"{path} is empty")
    try:
        return nbformat.reads(text, as_version=4)
    except Exception as error:  # nbformat raises several unrelated types for bad JSON
        raise NotANotebook(f"{path} is not a Jupyter notebook ({type(error).__name__}: {str(error)[:200]})") from None


def nbgrader_meta(cell) -> dict:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return meta if isinstance(meta, dict) else {}


def grade_id(cell) -> str | None:
    value = nbgrader_meta(cell).get("grade_id")
    return value if isinstance(value, str) else None


@dataclass(frozen=True)
class GradeCell:
    """A locked test cell ``test_<function>`` and the points it carries."""

    grade_id: str
    function: str
    points: float


def grade_cells(assignment: str) -> list[GradeCell]:
    cells = []
    for cell in read(source_path(assignment)).cells:
        meta = nbgrader_meta(cell)
        if meta.get("grade") and cell.cell_type == "code":
            cell_id = meta["grade_id"]
            if not cell_id.startswith("test_"):
                raise ValueError(f"{assignment}: grade cell {cell_id!r} must be named test_<function>")
            cells.append(GradeCell(cell_id, cell_id[len("test_") :], float(meta.get("points", 0))))
    return cells


def strip_hidden_tests(source: str) -> str:
    return HIDDEN_TESTS.sub("", source)


@dataclass
class Repaired:
    notebook: object
    notes: list[str]
    missing_solutions: list[str]


def repair(submission, assignment: str) -> Repaired:
    """The submission with every locked cell restored from source.

    Students keep their solution cells and any cells they added. Locked
    cells (setup, tests) come from source by ``grade_id``, hidden tests
    stripped so that student code never sees them; a deleted one is put
    back after the graded cell that precedes it in source.
    """
    source = read(source_path(assignment))
    notes, missing = [], []
    locked = {}
    solutions = {}
    for cell in source.cells:
        meta = nbgrader_meta(cell)
        if meta.get("locked") or meta.get("grade"):
            restored = copy.deepcopy(cell)
            restored.source = strip_hidden_tests(cell.source)
            restored.outputs = [] if restored.cell_type == "code" else restored.get("outputs")
            if restored.cell_type == "code":
                restored.execution_count = None
            locked[meta["grade_id"]] = restored
        elif meta.get("solution"):
            solutions[meta["grade_id"]] = cell

    cells, seen, copies = [], set(), {}
    for cell in submission.cells:
        cid = grade_id(cell)
        if cid in locked:
            if cid in seen:
                notes.append(f"cell {cid!r} appeared more than once; the copy was dropped")
                continue
            if cell.cell_type != locked[cid].cell_type:
                notes.append(
                    f"locked cell {cid!r} was turned into a {cell.cell_type} cell; it was restored from source"
                )
            elif strip_hidden_tests(cell.source).strip() != locked[cid].source.strip():
                notes.append(f"locked cell {cid!r} was edited; it was restored from source")
            cells.append(copy.deepcopy(locked[cid]))
            seen.add(cid)
            continue
        if cid in solutions and cell.cell_type != "code":
            # As nbgrader's autograde does: the cell keeps its text, and runs as code again.
            notes.append(
                f"solution cell {cid!r} had been turned into a {cell.cell_type} cell; it was run as a code cell"
            )
            cell = nbformat.v4.new_code_cell(cell.source, metadata=copy.deepcopy(cell.get("metadata", {})))
        if cid in solutions:
            copies[cid] = copies.get(cid, 0) + 1
        cells.append(cell)
        if cid:
            seen.add(cid)
    for cid, count in copies.items():
        if count > 1:
            notes.append(
                f"solution cell {cid!r} appears {count} times; every copy was run, so the last definition counts"
            )

    # A solution cell whose metadata was cleared is found by the function it defines.
    for cid in solutions:
        if cid in seen:
            continue
        defines = re.compile(rf"^(def {re.escape(cid)}\s*\(|class {re.escape(cid)}\b)", re.M)
        match = next(
            (
                c
                for c in cells
                if c.cell_type == "code"
                and grade_id(c) not in locked
                and grade_id(c) not in solutions
                and defines.search(c.source)
            ),
            None,
        )
        if match is not None:
            match.setdefault("metadata", {})["nbgrader"] = copy.deepcopy(nbgrader_meta(solutions[cid]))
            seen.add(cid)
            notes.append(
                f"the solution cell {cid!r} had lost its nbgrader metadata; the cell that defines "
                f"{cid}() was graded in its place"
            )

    # Put back deleted locked cells after their predecessor in source order.
    order = [grade_id(c) for c in source.cells if grade_id(c)]
    for position, cid in enumerate(order):
        if cid in locked and cid not in seen:
            previous = next((order[j] for j in range(position - 1, -1, -1) if order[j] in seen), None)
            at = 0 if previous is None else 1 + max(i for i, c in enumerate(cells) if grade_id(c) == previous)
            cells.insert(at, copy.deepcopy(locked[cid]))
            seen.add(cid)
            notes.append(f"locked cell {cid!r} was missing; it was restored from source")
    for cid in solutions:
        if cid not in seen:
            missing.append(cid)
            notes.append(f"solution cell {cid!r} is missing from the submission")

    repaired = nbformat.v4.new_notebook(metadata=copy.deepcopy(source.metadata))
    repaired.cells = cells
    for index, cell in enumerate(repaired.cells):
        cell["id"] = f"cell-{index}"  # copied or duplicated cells would otherwise share ids
    return Repaired(repaired, notes, missing)
