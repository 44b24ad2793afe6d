"""The judge's result for one grade cell: the one record every stage passes on.

The judge writes these as JSON; the grader, the report, the gradebook and the
feedback pages read them. Whoever makes one goes through this class, so a
result has the same fields wherever it comes from.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal

from autograder.checks import CaseFailure

Status = Literal["passed", "failed", "error", "timeout"]
STATUSES: tuple[Status, ...] = ("passed", "failed", "error", "timeout")


@dataclass(frozen=True)
class TestResult:
    grade_id: str
    function: str
    status: Status
    score: float
    max_score: float
    output: str  # what the student sees
    detail: str  # the instructor's view: hidden cases by their inputs' kind, the kernel's own words
    cases_passed: int = 0
    cases_total: int = 0
    figures: dict | None = field(default=None)  # a training exercise's accuracy, target and tiers
    # Each case that did not pass: its label, hidden or not, the kind of failure, the hint. Never an input.
    failures: tuple[CaseFailure, ...] = ()

    __test__ = False  # not a pytest test class

    def __post_init__(self):
        if self.status not in STATUSES:
            raise ValueError(f"unknown status {self.status!r}")

    @classmethod
    def from_verdict(cls, cell, verdict) -> "TestResult":
        """The result of a judged cell: its points are the verdict's share of the cell's."""
        return cls(
            cell.grade_id,
            cell.function,
            verdict.status,
            round(cell.points * verdict.share, 6),
            cell.points,
            verdict.message,
            verdict.detail,
            verdict.cases_passed,
            verdict.cases_total,
            verdict.figures or None,
            tuple(verdict.failures),
        )

    @classmethod
    def zero(cls, cell, message: str, status: Status = "error") -> "TestResult":
        """0 points for ``cell``, because of ``message`` (the same words for student and instructor)."""
        return cls(cell.grade_id, cell.function, status, 0.0, cell.points, message, message)

    def to_dict(self) -> dict:
        record = asdict(self)
        record["failures"] = list(record["failures"])
        if record["figures"] is None:
            del record["figures"]
        return record
