"""The course over time: one page for every assignment and student, from nbgrader's gradebook.

Per student, a row of their scores; per assignment, the mean of the
submitted scores and the pass rates; and the students falling behind. The
scores are the gradebook's (autograder.course.gradebook.course_grades, after
nbgrader's late penalty), so manual grades in the formgrader count too.

A score **passes** at half the assignment's points or more. A student is
**falling behind** with ``BEHIND_AFTER`` (2) or more assignments missing or
under half. The page is the instructor's: it names students.
"""

from __future__ import annotations

import csv
import io
import statistics
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from autograder import i18n
from autograder.course.export import csv_text
from autograder.course.feedback import _e, _h2, _page, _pts, _th  # one page style, one escaping
from autograder.course.gradebook import CourseGrades
from autograder.i18n import _

PASS_SHARE = 0.5
BEHIND_AFTER = 2


@dataclass(frozen=True)
class AssignmentStats:
    assignment: str
    max_score: float
    submitted: int
    students: int
    mean: float | None  # of the submitted scores
    passed: int  # submitted scores at or over PASS_SHARE of the points

    @property
    def pass_rate_submitted(self) -> float | None:
        return self.passed / self.submitted if self.submitted else None

    @property
    def pass_rate_all(self) -> float | None:
        return self.passed / self.students if self.students else None


@dataclass(frozen=True)
class Behind:
    student: str
    missing: list[str]
    under_half: list[str]


def passes(score: float | None, max_score: float) -> bool:
    return score is not None and score >= PASS_SHARE * max_score


def assignment_stats(grades: CourseGrades) -> list[AssignmentStats]:
    stats = []
    for a in grades.assignments:
        scores = [grades.scores[s, a] for s in grades.students if grades.scores[s, a] is not None]
        stats.append(
            AssignmentStats(
                a,
                grades.max_scores[a],
                len(scores),
                len(grades.students),
                statistics.mean(scores) if scores else None,
                sum(passes(score, grades.max_scores[a]) for score in scores),
            )
        )
    return stats


def falling_behind(grades: CourseGrades) -> list[Behind]:
    behind = []
    for s in grades.students:
        missing = [a for a in grades.assignments if grades.scores[s, a] is None]
        under = [
            a
            for a in grades.assignments
            if grades.scores[s, a] is not None and not passes(grades.scores[s, a], grades.max_scores[a])
        ]
        if len(missing) + len(under) >= BEHIND_AFTER:
            behind.append(Behind(s, missing, under))
    return sorted(behind, key=lambda b: (-(len(b.missing) + len(b.under_half)), b.student))


def course_csv(grades: CourseGrades) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["student", *grades.assignments, "total", "max_total", "falling_behind"])
    behind = {b.student for b in falling_behind(grades)}
    for s in grades.students:
        cells = [grades.scores[s, a] for a in grades.assignments]
        writer.writerow(
            [
                csv_text(s),
                *("" if c is None else f"{c:g}" for c in cells),
                f"{sum(c or 0.0 for c in cells):g}",
                f"{sum(grades.max_scores.values()):g}",
                "yes" if s in behind else "no",
            ]
        )
    return buffer.getvalue()


def course_html(grades: CourseGrades, reports: Path | None = None, language: str = "en") -> str:
    """The page, its texts in ``language``. ``reports``: the folder of the assignments' grade-all results
    (grades/), to link each assignment's cohort report that exists there."""
    with i18n.using(language):
        return _course_html(grades, reports)


def _course_html(grades: CourseGrades, reports: Path | None) -> str:
    title = _("Course report")
    stats = assignment_stats(grades)
    behind = falling_behind(grades)
    counts = _(
        "{students} students, {assignments} assignments, from nbgrader's gradebook (scores after late penalties, "
        "manual grades included)."
    ).format(students=len(grades.students), assignments=len(grades.assignments))
    rules = _(
        "A score passes at {share:.0%} of the points or more. Falling behind: {after} or more assignments missing "
        "or under {share:.0%}."
    ).format(share=PASS_SHARE, after=BEHIND_AFTER)
    body = [f"<h1>{_e(title)}</h1>", f"<p>{counts}</p>", f"<p class=meta>{rules}</p>"]
    body.append(_h2(_("Falling behind")))
    if behind:
        body.append("<table><tr>" + _th(_("student")) + _th(_("missing")) + _th(_("under half")) + "</tr>")
        for b in behind:
            body.append(
                f"<tr class=low><td>{_e(b.student)}</td><td>{_e(', '.join(b.missing) or '–')}</td>"
                f"<td>{_e(', '.join(b.under_half) or '–')}</td></tr>"
            )
        body.append("</table>")
    else:
        body.append("<p>" + _("Nobody.") + "</p>")

    body.append(
        _h2(_("Assignments"))
        + "<table><tr>"
        + _th(_("assignment"))
        + _th(_("submitted"), num=True)
        + _th(_("mean (submitted)"), num=True)
        + _th(_("pass rate (submitted)"), num=True)
        + _th(_("pass rate (all students)"), num=True)
        + "</tr>"
    )
    for st in stats:
        name = _e(st.assignment)
        if reports is not None and (reports / st.assignment / "report.html").is_file():
            name = f'<a href="{_e(quote(st.assignment))}/report.html">{name}</a>'
        mean = "–" if st.mean is None else f"{st.mean:.2f} / {_pts(st.max_score)}"
        rate_s = "–" if st.pass_rate_submitted is None else f"{st.pass_rate_submitted:.0%} ({st.passed}/{st.submitted})"
        rate_a = "–" if st.pass_rate_all is None else f"{st.pass_rate_all:.0%} ({st.passed}/{st.students})"
        body.append(
            f"<tr><td>{name}</td><td class=num>{st.submitted} / {st.students}</td><td class=num>{mean}</td>"
            f"<td class=num>{rate_s}</td><td class=num>{rate_a}</td></tr>"
        )
    body.append("</table>")

    body.append(
        _h2(_("Students"))
        + "<p class=meta>"
        + _("Points per assignment; – is no submission; red is under half.")
        + "</p><table><tr>"
        + _th(_("student"))
        + "".join(f"<th class=num>{_e(a)}</th>" for a in grades.assignments)
        + _th(_("total"), num=True)
        + "</tr>"
    )
    total_max = sum(grades.max_scores.values())
    for s in grades.students:
        cells = []
        for a in grades.assignments:
            score = grades.scores[s, a]
            low = "" if passes(score, grades.max_scores[a]) else ' class="num failed"'
            cells.append(f"<td{low or ' class=num'}>{'–' if score is None else _pts(score)}</td>")
        total = sum(grades.scores[s, a] or 0.0 for a in grades.assignments)
        body.append(f"<tr><td>{_e(s)}</td>{''.join(cells)}<td class=num>{_pts(total)} / {_pts(total_max)}</td></tr>")
    body.append("</table>")
    return _page(title, body)
