"""A cohort's results as data: a record's report, and cohort.csv (fields that could be formulas made text)."""

from __future__ import annotations

import csv
import io

from autograder.course.report import Report
from autograder.host import repair


def report_dict(report: Report) -> dict:
    return {
        "submission": report.submission,
        "assignment": report.assignment,
        "tests": report.tests,
        "notes": report.notes,
        "error": report.error,
        "seconds": round(report.seconds, 2),
        "score": report.score,
        "max_score": report.max_score,
        "language": report.language,
    }


def csv_text(value: str) -> str:
    """A text field as a spreadsheet shows it, never runs it: a leading =, +, -, @, tab or CR makes a formula
    (OWASP's CSV injection), so such a field gets a leading apostrophe."""
    return f"'{value}" if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def cohort_csv(records: list[dict], assignment: str) -> str:
    cells = [cell.grade_id for cell in repair.grade_cells(assignment)]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        ["student", "score", "max_score", *cells, "graded", "reason", "seconds", "graded_at", "fingerprint"]
    )
    for record in sorted(records, key=lambda r: r["student"]):
        report = record["report"]
        scores = {t["grade_id"]: t["score"] for t in report["tests"]}
        writer.writerow(
            [
                csv_text(record["student"]),
                f"{report['score']:g}",
                f"{report['max_score']:g}",
                *(f"{scores.get(c, 0):g}" for c in cells),
                "no" if report["error"] else "yes",
                csv_text(report["error"] or ""),
                report["seconds"],
                record["graded_at"],
                record["fingerprint"][:12],
            ]
        )
    return buffer.getvalue()
