"""Sample submissions built the way students make them: from the release notebook.

``student_notebook`` fills the release's solution cells with the reference
code from source, except where an answer is given (a mistake, say).
"""

from __future__ import annotations

import copy
import re
from pathlib import Path

import nbformat

from autograder.course.release import RELEASE_DIR, release_path  # noqa: F401  (RELEASE_DIR: for the tests)
from autograder.host.repair import assignments, grade_id, nbgrader_meta, read, source_path
from tests.mistakes import mistakes_for

ASSIGNMENTS = assignments()
MISTAKES = [(a, m) for a in ASSIGNMENTS for m in mistakes_for(a)]
QUICK = True  # the suite grades training exercises in quick mode
MARKERS = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[^\n]*\n?", re.M)


def release_notebook(assignment: str):
    return read(release_path(assignment))


def reference_answers(assignment: str) -> dict[str, str]:
    """grade_id -> the solution cell's code, as a student who got it right would have it."""
    return {
        grade_id(cell): MARKERS.sub("", cell.source)
        for cell in read(source_path(assignment)).cells
        if nbgrader_meta(cell).get("solution")
    }


def student_notebook(assignment: str, answers: dict[str, str] | None = None, fill: bool = True):
    notebook = copy.deepcopy(release_notebook(assignment))
    code = {**(reference_answers(assignment) if fill else {}), **(answers or {})}
    for cell in notebook.cells:
        cid = grade_id(cell)
        if nbgrader_meta(cell).get("solution") and cid in code:
            cell.source = code[cid]
    return notebook


def edition(notebook, assignment: str, lang: str):
    """A student's notebook in the ``lang`` edition of its assignment: its markdown cells translated
    (autograder/course/editions.py), its code cells as they are."""
    from autograder.course import editions

    return editions.edition(notebook, editions.load(assignment, lang))


def with_mistakes(assignment: str, *mistake_ids: str):
    mistakes = mistakes_for(assignment)
    return student_notebook(assignment, {mistakes[m].grade_id: mistakes[m].code for m in mistake_ids})


def write(notebook, folder: Path, assignment: str) -> Path:
    """Save as nbgrader's submitted/<student>/<assignment>/<assignment>.ipynb leaf."""
    path = Path(folder) / assignment / f"{assignment}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, str(path))
    return path
