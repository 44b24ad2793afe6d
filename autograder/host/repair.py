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
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from autograder.data import REPO_ROOT
from autograder.i18n import _

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
            raise NotANotebook(_("{path} is a symbolic link, not a file").format(path=path)) from None
        raise
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise NotANotebook(_("{path} is not a regular file").format(path=path))
        return handle.read(limit)


def read(path: Path):
    try:
        text = read_regular_file(path).decode("utf-8")
    except UnicodeDecodeError as error:
        raise NotANotebook(_("{path} is not text ({reason})").format(path=path, reason=error.reason)) from None
    if not text.strip():
        raise NotANotebook(_("{path} is empty").format(path=path))
    try:
        return nbformat.reads(text, as_version=4)
    except Exception as error:  # nbformat raises several unrelated types for bad JSON
        raise NotANotebook(
            _("{path} is not a Jupyter notebook ({error_type}: {error})").format(
                path=path, error_type=type(error).__name__, error=str(error)[:200]
            )
        ) from None


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


@dataclass
class Repair:
    """A repair in progress: the source's locked and solution cells, the cells so far, and what was found."""

    locked: dict  # grade_id -> the locked cell as source has it, hidden tests stripped
    solutions: dict  # grade_id -> the source's solution cell
    cells: list
    seen: set = field(default_factory=set)  # grade_ids the repaired cells hold
    notes: list = field(default_factory=list)


def _source_parts(source) -> tuple[dict, dict]:
    locked, solutions = {}, {}
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
    return locked, solutions


def restore_locked_cells(state: Repair) -> None:
    """Pass 1: every locked cell as source has it (once: a copy is dropped); other cells as they are."""
    cells = []
    for cell in state.cells:
        cid = grade_id(cell)
        if cid in state.locked:
            if cid in state.seen:
                state.notes.append(
                    _("cell {grade_id!r} appeared more than once; the copy was dropped").format(grade_id=cid)
                )
                continue
            if cell.cell_type != state.locked[cid].cell_type:
                state.notes.append(
                    _(
                        "locked cell {grade_id!r} was turned into a {cell_type} cell; it was restored from source"
                    ).format(grade_id=cid, cell_type=cell.cell_type)
                )
            elif strip_hidden_tests(cell.source).strip() != state.locked[cid].source.strip():
                state.notes.append(
                    _("locked cell {grade_id!r} was edited; it was restored from source").format(grade_id=cid)
                )
            cell = copy.deepcopy(state.locked[cid])
        cells.append(cell)
        if cid:
            state.seen.add(cid)
    state.cells = cells


def retype_solution_cells(state: Repair) -> None:
    """Pass 2: a solution cell turned into markdown or raw runs as code again, as nbgrader's autograde does."""
    for index, cell in enumerate(state.cells):
        cid = grade_id(cell)
        if cid in state.solutions and cell.cell_type != "code":
            state.notes.append(
                _(
                    "solution cell {grade_id!r} had been turned into a {cell_type} cell; it was run as a code cell"
                ).format(grade_id=cid, cell_type=cell.cell_type)
            )
            metadata = copy.deepcopy(cell.get("metadata", {}))
            state.cells[index] = nbformat.v4.new_code_cell(cell.source, metadata=metadata)


def note_copied_solutions(state: Repair) -> None:
    """Pass 3: copies of a solution cell all run; the last definition counts, and the report says so."""
    copies = {}
    for cell in state.cells:
        if grade_id(cell) in state.solutions:
            copies[grade_id(cell)] = copies.get(grade_id(cell), 0) + 1
    for cid, count in copies.items():
        if count > 1:
            state.notes.append(
                _(
                    "solution cell {grade_id!r} appears {count} times; every copy was run, "
                    "so the last definition counts"
                ).format(grade_id=cid, count=count)
            )


def rebind_cleared_metadata(state: Repair) -> None:
    """Pass 4: a solution cell whose metadata was cleared is found by the function it defines."""
    for cid in state.solutions:
        if cid in state.seen:
            continue
        defines = re.compile(rf"^(def {re.escape(cid)}\s*\(|class {re.escape(cid)}\b)", re.M)
        match = next(
            (
                c
                for c in state.cells
                if c.cell_type == "code"
                and grade_id(c) not in state.locked
                and grade_id(c) not in state.solutions
                and defines.search(c.source)
            ),
            None,
        )
        if match is not None:
            match.setdefault("metadata", {})["nbgrader"] = copy.deepcopy(nbgrader_meta(state.solutions[cid]))
            state.seen.add(cid)
            state.notes.append(
                _(
                    "the solution cell {grade_id!r} had lost its nbgrader metadata; the cell that defines "
                    "{grade_id}() was graded in its place"
                ).format(grade_id=cid)
            )


def reinsert_missing_cells(state: Repair, source) -> None:
    """Pass 5: a deleted locked cell goes back after the graded cell that precedes it in source."""
    order = [grade_id(c) for c in source.cells if grade_id(c)]
    for position, cid in enumerate(order):
        if cid in state.locked and cid not in state.seen:
            previous = next((order[j] for j in range(position - 1, -1, -1) if order[j] in state.seen), None)
            at = 0 if previous is None else 1 + max(i for i, c in enumerate(state.cells) if grade_id(c) == previous)
            state.cells.insert(at, copy.deepcopy(state.locked[cid]))
            state.seen.add(cid)
            state.notes.append(
                _("locked cell {grade_id!r} was missing; it was restored from source").format(grade_id=cid)
            )


def repair(submission, assignment: str) -> Repaired:
    """The submission with every locked cell restored from source, in nbgrader-style passes.

    Students keep their solution cells and any cells they added. Locked
    cells (setup, tests) come from source by ``grade_id``, hidden tests
    stripped so that student code never sees them; a deleted one is put
    back after the graded cell that precedes it in source.
    """
    source = read(source_path(assignment))
    locked, solutions = _source_parts(source)
    state = Repair(locked, solutions, list(submission.cells))
    for step in (restore_locked_cells, retype_solution_cells, note_copied_solutions, rebind_cleared_metadata):
        step(state)
    reinsert_missing_cells(state, source)
    missing = [cid for cid in solutions if cid not in state.seen]
    state.notes += [
        _("solution cell {grade_id!r} is missing from the submission").format(grade_id=cid) for cid in missing
    ]
    repaired = nbformat.v4.new_notebook(metadata=copy.deepcopy(source.metadata))
    repaired.cells = state.cells
    for index, cell in enumerate(repaired.cells):
        cell["id"] = f"cell-{index}"  # copied or duplicated cells would otherwise share ids
    return Repaired(repaired, state.notes, missing)
