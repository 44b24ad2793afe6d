"""A graded submission: per-test results, a text table, Gradescope's JSON."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from pathlib import Path

from autograder import i18n
from autograder.i18n import _
from autograder.judge.results import TestResult


@dataclass
class Report:
    submission: str
    assignment: str | None
    tests: list[dict]  # one per grade cell, as the judge wrote them
    notes: list[str] = field(default_factory=list)
    error: str | None = None  # set when the submission could not be graded at all
    seconds: float = 0.0
    # The repaired notebook as it last ran, outputs included (None when it never ran): for feedback
    # pages and nbgrader's autograded/ folder. Student-controlled content: escape it before showing it.
    notebook: object = field(default=None, repr=False, compare=False)
    # Functions this grading left out (``--only``): they have no test here, and keep any earlier score.
    not_graded: list[str] = field(default_factory=list)
    # The language of its messages and feedback page (autograder.i18n.LANGUAGES): the submitted edition's, or --lang.
    language: str = "en"
    # Set when the grader failed, not the student (the sandbox did not start, the judge broke, the caller
    # could not start): the submission is not graded, and no score may be written for it (``graded``).
    fault: str | None = None
    # The grader's own logs of this grading (name -> the end of the text), kept for the instructor when it
    # ended in a grader fault or in untrusted checks; never shown to the student.
    logs: dict[str, str] = field(default_factory=dict, repr=False, compare=False)
    # Why the grader's checks were disturbed (its caller ended early: every record untrusted), or None.
    # grade() grades such a submission once more in a fresh sandbox before the verdict stands.
    disturbed: str | None = None

    @property
    def graded(self) -> bool:
        """False when a grader fault stopped the grading: then nothing of it is a score."""
        return self.fault is None

    @property
    def partial_note(self) -> str | None:
        if not self.not_graded:
            return None
        graded = _(", ").join(t["function"] for t in self.tests)
        not_graded = _(", ").join(self.not_graded)
        if len(self.tests) == 1:
            return _("only {graded} was graded (--only); not graded this time: {not_graded}").format(
                graded=graded, not_graded=not_graded
            )
        return _("only {graded} were graded (--only); not graded this time: {not_graded}").format(
            graded=graded, not_graded=not_graded
        )

    @property
    def score(self) -> float:
        return sum(t["score"] for t in self.tests)

    @property
    def max_score(self) -> float:
        return sum(t["max_score"] for t in self.tests)

    def gradescope(self) -> dict:
        """Gradescope's results.json; ``output`` never holds hidden inputs or answers."""
        with i18n.using(self.language):
            return self._gradescope()

    def _gradescope(self) -> dict:
        if self.fault:
            raise GraderFault(self.fault)  # a grader fault is never a grade: it has no results.json
        return {
            "score": self.score,
            "max_score": self.max_score,
            "execution_time": round(self.seconds, 2),
            "output": "\n".join(
                ([self.error] if self.error else []) + ([self.partial_note] if self.not_graded else []) + self.notes
            ),
            "tests": [
                {
                    "name": f"{t['grade_id']}: {t['function']}",
                    "grade_id": t["grade_id"],
                    "status": t["status"],
                    "score": t["score"],
                    "max_score": t["max_score"],
                    "output": t["output"],
                    "visibility": "visible",
                }
                for t in self.tests
            ],
        }

    def table(self, detail: bool = False) -> str:
        """The report as text, in its language."""
        with i18n.using(self.language):
            return self._table(detail)

    def _table(self, detail: bool) -> str:
        lines = [
            _("{submission} [{assignment}]: {score:g} / {max_score:g} points ({seconds:.1f} s)").format(
                submission=self.submission,
                assignment=self.assignment or _("unknown assignment"),
                score=self.score,
                max_score=self.max_score,
                seconds=self.seconds,
            )
        ]
        if self.fault:
            lines[0] = _("{submission} [{assignment}]: NOT GRADED ({seconds:.1f} s)").format(
                submission=self.submission,
                assignment=self.assignment or _("unknown assignment"),
                seconds=self.seconds,
            )
            lines.append("  " + _("grader error, not the student's: {fault}").format(fault=self.fault))
            lines.append("  " + _("no score was written; grade this submission again once the cause is fixed"))
        if self.error:
            lines.append("  " + _("ERROR: {error}").format(error=self.error))
        if self.not_graded:
            lines.append("  " + _("note: {note}").format(note=self.partial_note))
        for note in self.notes:
            lines.append("  " + _("note: {note}").format(note=note))
        width = max([len(t["grade_id"]) for t in self.tests] + [10])
        for t in self.tests:
            head = f"  {t['grade_id']:<{width}}  {t['score']:>4g}/{t['max_score']:<4g} {t['status']:<8} "
            body = (t["detail"] if detail else t["output"]).strip().splitlines() or [""]
            lines.append(head + body[0])
            pad = " " * len(head)
            for line in body[1:]:  # wrapped, never cut: a hint is read to its end
                indent = line[: len(line) - len(line.lstrip())]
                lines.extend(pad + part for part in textwrap.wrap(line, 120, subsequent_indent=indent + "  ") or [""])
        return "\n".join(lines)


class GraderFault(RuntimeError):
    """The grader failed, not the student: nothing of this grading is a score."""


LOG_BYTES = 64 * 1024  # the end of each log a fault report keeps


def log_tails(paths) -> dict[str, str]:
    """The last LOG_BYTES of each existing file of ``paths``, by file name, for a fault report."""
    tails = {}
    for path in paths:
        try:
            with open(path, "rb") as handle:
                handle.seek(0, 2)
                handle.seek(max(0, handle.tell() - LOG_BYTES))
                tails[Path(path).name] = handle.read().decode(errors="replace")
        except OSError:
            continue
    return tails


def fault_report(
    submission: str,
    assignment: str | None,
    cause: str,
    seconds: float,
    not_graded: list[str] | None = None,
    language: str = "en",
    logs: dict[str, str] | None = None,
) -> Report:
    """A grading the grader itself failed: no tests, no score, the cause, and the grader's logs."""
    return Report(
        submission,
        assignment,
        [],
        [],
        None,
        seconds,
        not_graded=list(not_graded or []),
        language=language,
        fault=cause,
        logs=dict(logs or {}),
    )


def unscored(
    submission: str,
    assignment: str | None,
    cells,
    error: str,
    seconds: float,
    not_graded: list[str] | None = None,
    language: str = "en",
) -> Report:
    """A submission that could not be run at all: every test listed, each at 0, with the cause."""
    tests = [TestResult.zero(c, error).to_dict() for c in cells]
    return Report(
        submission, assignment, tests, [], error, seconds, not_graded=list(not_graded or []), language=language
    )
