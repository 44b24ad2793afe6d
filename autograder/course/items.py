"""Item analysis: which cases of which exercise a cohort failed, of what kind, and who.

It reads the records grade-all stores (``records/<student>.json``): each
grade cell's result carries ``failures``, one entry per case that did not
pass (autograder.checks.CaseFailure: the case's label, whether it is
hidden, the kind of failure, the hint for that kind; never its input). So
this is the judge's own account, not a parse of any page.

Two views:

- per exercise, the failing cases ranked by the number of students who
  failed them (``ExerciseItems.cases``);
- "what to reteach": the mistakes across the assignment, a mistake being an
  exercise and a kind of failure ("relu: wrong dtype"), ranked by the
  number of students who made it in any case (``ItemAnalysis.reteach``).
  An exercise left unwritten (``raise NotImplementedError()``), or one that
  failed with no case judged (a deleted solution cell), is no mistake to
  reteach: it is counted per exercise, not there.

Records that could not be graded are left out, as on the cohort page.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, field

from autograder.checks import KIND_WORDS, CaseFailure
from autograder.course.export import csv_text
from autograder.i18n import N_, _

NOT_A_MISTAKE = frozenset({"unimplemented"})  # kinds left out of "what to reteach"
NO_CASE = -1  # the case index of a failure the record has no case detail for (see ``_failures``)
# The label of such a failure: translated where it is shown, _(NO_CASE_LABEL), as a case's label is.
NO_CASE_LABEL = N_("(no case detail: the function was not judged case by case)")


class _Failing:
    """What a line of the analysis counts: its students, and its kind of failure in words."""

    students: list[str]
    kind: str

    @property
    def count(self) -> int:
        return len(self.students)

    @property
    def words(self) -> str:
        """The kind in words, in the current language (a kind the words do not know, as it is)."""
        return _(KIND_WORDS[self.kind]) if self.kind in KIND_WORDS else self.kind


@dataclass
class CaseItem(_Failing):
    """One case of one exercise, failed in one way, and the students who failed it so."""

    function: str
    grade_id: str
    case: int
    label: str
    hidden: bool
    kind: str
    hint: str
    students: list[str] = field(default_factory=list)


@dataclass
class Mistake(_Failing):
    """One exercise's kind of failure, over all its cases: a line of "what to reteach"."""

    function: str
    kind: str
    students: list[str]
    cases: list[CaseItem]  # the cases where it showed, most failed first
    hint: str


@dataclass
class ExerciseItems:
    function: str
    grade_id: str
    graded: int = 0  # students whose grading judged this cell
    failed: list[str] = field(default_factory=list)  # students who did not pass it
    # ranked: most students first; at equal counts mistakes before unwritten work, then case order
    cases: list[CaseItem] = field(default_factory=list)


@dataclass
class ItemAnalysis:
    assignment: str
    graded: int
    exercises: list[ExerciseItems]  # in notebook order

    def mistakes(self) -> list[Mistake]:
        """Every (exercise, kind) mistake, most students first; then most cases, then notebook order."""
        found = []
        for exercise in self.exercises:
            by_kind: dict[str, list[CaseItem]] = {}
            for item in exercise.cases:
                if _a_mistake(item):
                    by_kind.setdefault(item.kind, []).append(item)
            for kind, items in by_kind.items():
                students = sorted({s for item in items for s in item.students})
                found.append(Mistake(exercise.function, kind, students, items, next((i.hint for i in items), "")))
        return sorted(found, key=lambda m: (-m.count, -len(m.cases)))  # stable: notebook order among equals

    def reteach(self, top: int = 3) -> list[Mistake]:
        return self.mistakes()[:top]

    def csv(self) -> str:
        """items.csv: one row per failing case of each exercise, ranked as on the page (instructor's file)."""
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(
            [
                "assignment",
                "function",
                "grade_id",
                "rank",
                "case",
                "label",
                "hidden",
                "kind",
                "students_failed",
                "students_graded",
                "hint",
                "students",
            ]
        )
        for exercise in self.exercises:
            for rank, item in enumerate(exercise.cases, 1):
                writer.writerow(
                    [
                        csv_text(self.assignment),
                        csv_text(item.function),
                        csv_text(item.grade_id),
                        rank,
                        "" if item.case == NO_CASE else item.case,
                        csv_text(item.label),
                        "yes" if item.hidden else "no",
                        csv_text(item.kind),
                        item.count,
                        exercise.graded,
                        csv_text(item.hint),
                        csv_text(";".join(item.students)),
                    ]
                )
        return buffer.getvalue()


def analyse(records, assignment: str) -> ItemAnalysis:
    """The item analysis of ``records`` (grade-all's, one per student) for ``assignment``."""
    exercises: dict[str, ExerciseItems] = {}
    items: dict[tuple[str, int, str], CaseItem] = {}
    graded = 0
    for record in sorted(records, key=lambda r: str(r.get("student"))):
        report = record.get("report") if isinstance(record, dict) else None
        if not isinstance(report, dict) or report.get("error"):
            continue
        graded += 1
        student = str(record.get("student"))
        for test in report.get("tests") or []:
            if not isinstance(test, dict):
                continue
            grade_id, function = str(test.get("grade_id")), str(test.get("function"))
            exercise = exercises.setdefault(grade_id, ExerciseItems(function, grade_id))
            exercise.graded += 1
            if test.get("status") == "passed":
                continue
            exercise.failed.append(student)
            for failure in _failures(test):
                key = (grade_id, failure.case, failure.kind)
                item = items.get(key)
                if item is None:
                    item = items[key] = CaseItem(
                        function, grade_id, failure.case, failure.label, failure.hidden, failure.kind, failure.hint
                    )
                    exercise.cases.append(item)
                if student not in item.students:
                    item.students.append(student)
    for exercise in exercises.values():  # at equal counts, a mistake before an unwritten exercise
        exercise.cases.sort(
            key=lambda i: (-i.count, not _a_mistake(i), i.case if i.case != NO_CASE else math.inf, i.kind)
        )
    return ItemAnalysis(assignment, graded, list(exercises.values()))


def _a_mistake(item: CaseItem) -> bool:
    return item.kind not in NOT_A_MISTAKE and item.case != NO_CASE


def _failures(test: dict) -> list[CaseFailure]:
    """The test's failed cases, as the judge recorded them; a test that failed with none recorded (a missing
    solution cell, a cell the judge could not score, a record from before case detail was kept) counts as one
    failure without a case, of its status's kind."""
    found = []
    for entry in test.get("failures") or []:
        if not isinstance(entry, dict):
            continue
        case, label, hidden, kind, hint = (entry.get(k) for k in ("case", "label", "hidden", "kind", "hint"))
        if type(case) is int and isinstance(label, str) and isinstance(kind, str):
            found.append(CaseFailure(case, label, hidden is True, kind, hint if isinstance(hint, str) else ""))
    if not found:
        status = str(test.get("status"))
        found.append(CaseFailure(NO_CASE, NO_CASE_LABEL, False, status))
    return found
