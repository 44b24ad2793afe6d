"""Grades an LMS can import: Canvas's and Moodle's gradebook-import CSV, from nbgrader's gradebook.

nbgrader has no LTI grade passback, so courses import a CSV file. The
scores are the gradebook's (autograder.course.gradebook.course_grades: after
nbgrader's late penalty, as `nbgrader export` computes them), one column
per assignment. Which LMS user a student id is comes from a **roster**, a
CSV file the instructor keeps, with a header row:

    student_id,name,canvas_id,sis_user_id,sis_login_id,section,email,idnumber,username

``student_id`` (nbgrader's id, the folder name under submitted/) is
required; the other columns are those the chosen format uses, and may be
left out otherwise. Every student with a grade in the gradebook must be in
the roster (else nothing is written: a grade must not be dropped
silently); a roster student without a submission gets a row with the
missing cells as the format says below.

Canvas (https://community.canvaslms.com/t5/Instructor-Guide/How-do-I-import-grades-in-the-Gradebook/ta-p/807):
the columns ``Student, ID, SIS User ID, SIS Login ID, Section``, then one
column per assignment titled with its name, or ``name (ID)`` with the
Canvas assignment's id, which makes Canvas update that assignment rather
than match by name or create a new one. Canvas finds each student by ID,
SIS User ID or SIS Login ID, so each roster row needs one of them. A
missing submission is an empty cell (no score: Canvas's own missing policy
applies), unless ``missing="zero"``.

Moodle (https://docs.moodle.org/en/Grade_import): one identifier column
(``email`` -> "Email address", ``idnumber`` -> "ID number", ``username`` ->
"Username"), which the import form maps to the user field of the same name,
then one column per assignment, which the form maps to a grade item. A
missing submission is an empty cell, which Moodle's CSV import reads as
"no grade", unless ``missing="zero"``. Moodle stops the whole import at a
row whose user it cannot find, so every roster row needs the identifier.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from autograder.course.export import csv_text
from autograder.course.gradebook import CourseGrades

FORMATS = ("canvas", "moodle")
ROSTER_COLUMNS = (
    "student_id",
    "name",
    "canvas_id",
    "sis_user_id",
    "sis_login_id",
    "section",
    "email",
    "idnumber",
    "username",
)
CANVAS_IDENTITY = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
MOODLE_IDENTIFIERS = {"email": "Email address", "idnumber": "ID number", "username": "Username"}


class ExportError(ValueError):
    """The export cannot be written as asked: a roster or a mapping problem, said in words."""


@dataclass(frozen=True)
class RosterEntry:
    student_id: str
    name: str = ""
    canvas_id: str = ""
    sis_user_id: str = ""
    sis_login_id: str = ""
    section: str = ""
    email: str = ""
    idnumber: str = ""
    username: str = ""


def read_roster(path: Path) -> list[RosterEntry]:
    """The roster at ``path``; ExportError for an unknown column, a missing or repeated student_id."""
    text = Path(path).read_text(encoding="utf-8-sig")  # a spreadsheet's export may start with a BOM
    reader = csv.DictReader(io.StringIO(text))
    header = [name.strip() for name in reader.fieldnames or []]
    unknown = [name for name in header if name not in ROSTER_COLUMNS]
    if "student_id" not in header or unknown:
        raise ExportError(
            f"{path}: a roster's header names the columns {', '.join(ROSTER_COLUMNS)} (student_id required)"
            + (f"; unknown: {', '.join(unknown)}" if unknown else "")
        )
    entries, seen = [], set()
    for line, row in enumerate(reader, 2):
        values = {key.strip(): (value or "").strip() for key, value in row.items() if key}
        if not values.get("student_id"):
            raise ExportError(f"{path}, line {line}: no student_id")
        if values["student_id"] in seen:
            raise ExportError(f"{path}, line {line}: student_id {values['student_id']} is there twice")
        seen.add(values["student_id"])
        entries.append(RosterEntry(**values))
    return entries


def _cell(grades: CourseGrades, student: str, assignment: str, missing: str) -> str:
    score = grades.scores.get((student, assignment))
    if score is None:
        return "0" if missing == "zero" else ""
    return f"{round(score, 4):g}"


def _rows(grades: CourseGrades, roster: list[RosterEntry]) -> list[RosterEntry]:
    """The roster, checked to hold every student with a grade."""
    listed = {entry.student_id for entry in roster}
    graded = {student for (student, _), score in grades.scores.items() if score is not None}
    absent = sorted(graded - listed)
    if absent:
        raise ExportError(
            f"the roster has no row for {', '.join(absent)}, who {'has' if len(absent) == 1 else 'have'} grades "
            "in the gradebook: add them to the roster (nothing was written)"
        )
    return sorted(roster, key=lambda entry: entry.student_id)


def canvas_csv(
    grades: CourseGrades, roster: list[RosterEntry], canvas_ids: dict[str, str] | None = None, missing: str = "blank"
) -> str:
    canvas_ids = canvas_ids or {}
    rows = _rows(grades, roster)
    unmatched = [e.student_id for e in rows if not (e.canvas_id or e.sis_user_id or e.sis_login_id)]
    if unmatched:
        raise ExportError(
            f"Canvas finds a student by canvas_id, sis_user_id or sis_login_id: the roster gives none for "
            f"{', '.join(unmatched)}"
        )
    titles = [f"{a} ({canvas_ids[a]})" if canvas_ids.get(a) else a for a in grades.assignments]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([*CANVAS_IDENTITY, *titles])
    for e in rows:
        # The name and section are display text, made safe for a spreadsheet; the ids must match as they are.
        identity = (csv_text(e.name or e.student_id), e.canvas_id, e.sis_user_id, e.sis_login_id, csv_text(e.section))
        writer.writerow([*identity, *(_cell(grades, e.student_id, a, missing) for a in grades.assignments)])
    return buffer.getvalue()


def moodle_csv(
    grades: CourseGrades, roster: list[RosterEntry], identifier: str = "email", missing: str = "blank"
) -> str:
    if identifier not in MOODLE_IDENTIFIERS:
        raise ExportError(f"Moodle's identifier is one of {', '.join(MOODLE_IDENTIFIERS)}, not {identifier!r}")
    rows = _rows(grades, roster)
    unmatched = [e.student_id for e in rows if not getattr(e, identifier)]
    if unmatched:
        raise ExportError(
            f"Moodle stops the import at a row whose user it cannot find: the roster has no {identifier} for "
            f"{', '.join(unmatched)}"
        )
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([MOODLE_IDENTIFIERS[identifier], *grades.assignments])
    for e in rows:
        writer.writerow(
            [getattr(e, identifier), *(_cell(grades, e.student_id, a, missing) for a in grades.assignments)]
        )
    return buffer.getvalue()
