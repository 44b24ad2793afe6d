"""Our grades in nbgrader's own gradebook and autograded/ folder, through nbgrader's API.

After this, the formgrader, `nbgrader export` and `nbgrader generate_feedback`
work on our gradings exactly as on `nbgrader autograde`'s, except that a
training exercise keeps a partial tier (nbgrader's own autograde would give
it 0). Only the cohort grader's main process calls this: SQLite wants one
writer.
"""

from __future__ import annotations

import html
import os
import re
import subprocess
import sys
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbgrader import utils as nbgrader_utils
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import AssignLatePenalties
from sqlalchemy.exc import SAWarning
from traitlets.config.loader import PyFileConfigLoader

from autograder.course.files import Staged, staged
from autograder.host.repair import assignments, grade_id, nbgrader_meta, read, read_regular_file, source_path
from autograder.course.report import Report

CONFIG_FILE = "nbgrader_config.py"


class GradebookError(RuntimeError):
    """The gradebook could not be prepared for our grades."""


def course(root: Path) -> CourseDirectory:
    """The course rooted at ``root``, configured by its nbgrader_config.py as nbgrader itself reads it."""
    root = Path(root).resolve()
    if not (root / CONFIG_FILE).is_file():
        raise FileNotFoundError(f"{root} is not an nbgrader course: it has no {CONFIG_FILE}")
    config = PyFileConfigLoader(CONFIG_FILE, path=str(root)).load_config()
    coursedir = CourseDirectory(config=config)
    coursedir.root = str(root)  # the config may compute it from its own path; the folder we were given wins
    return coursedir


def ensure_assignment(coursedir: CourseDirectory, assignment: str) -> None:
    """Record the assignment and its notebook in the gradebook if `nbgrader generate_assignment` never did.

    nbgrader's own generate_assignment does it, into a throwaway release
    folder, so the cells it records are exactly those nbgrader would. An
    assignment recorded without its notebook (`nbgrader db assignment add`,
    or the formgrader, leave it so) gets its notebook the same way.
    """
    with Gradebook(coursedir.db_url, coursedir.course_id) as gradebook:
        try:
            gradebook.find_notebook(assignment, assignment)
            return
        except MissingEntry:
            pass
    bin_dir = str(Path(sys.executable).parent)  # nbgrader runs `alembic` from PATH
    env = {**os.environ, "PATH": bin_dir + os.pathsep + os.environ.get("PATH", "")}
    with tempfile.TemporaryDirectory(prefix="release-") as release:
        done = subprocess.run(
            [
                os.path.join(bin_dir, "nbgrader"),
                "generate_assignment",
                assignment,
                "--force",
                "--log-level=WARN",
                f"--CourseDirectory.root={coursedir.root}",
                f"--CourseDirectory.release_directory={release}",
            ],
            cwd=coursedir.root,
            env=env,
            capture_output=True,
            text=True,
        )
    if done.returncode != 0:
        raise GradebookError(
            f"nbgrader generate_assignment {assignment} failed while recording the assignment "
            f"in the gradebook:\n{done.stdout[-2000:]}{done.stderr[-2000:]}"
        )


def _verdict_output(test: dict):
    text = f"{test['status']}: {test['score']:g} / {test['max_score']:g} points\n{test['output'].rstrip()}\n"
    return nbformat.v4.new_output("stream", name="stdout", text=text)


# What of a student's outputs the formgrader may render in the instructor's browser: no HTML, no JavaScript.
SAFE_MIME = ("text/plain", "image/png")
_BASE64 = re.compile(r"[A-Za-z0-9+/=\s]*")


def _text(value) -> str:
    """A notebook text field (a string, or nbformat's list of lines) as one string; anything else, empty."""
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(line, str) for line in value):
        return "".join(value)
    return ""


def _safe_output(output):
    """One output rebuilt from an allowlist of fields, never copied: nbgrader's pages render an output's
    metadata too (an image's ``width`` went unquoted into its tag, with an ``onerror`` in it). None: dropped."""
    kind = output.get("output_type")
    if kind == "stream":
        name = output.get("name") if output.get("name") in ("stdout", "stderr") else "stdout"
        return nbformat.v4.new_output("stream", name=name, text=_text(output.get("text")))
    if kind == "error":
        traceback = output.get("traceback")
        return nbformat.v4.new_output(
            "error",
            ename=_text(output.get("ename")),
            evalue=_text(output.get("evalue")),
            traceback=[line for line in traceback if isinstance(line, str)] if isinstance(traceback, list) else [],
        )
    if kind in ("display_data", "execute_result"):
        given = output.get("data") if isinstance(output.get("data"), dict) else {}
        data = {}
        if "text/plain" in given:
            data["text/plain"] = _text(given["text/plain"])
        png = _text(given.get("image/png"))
        if png and _BASE64.fullmatch(png):
            data["image/png"] = png
        if not data:
            return None
        if kind == "execute_result":
            count = output.get("execution_count")
            return nbformat.v4.new_output(kind, data=data, execution_count=count if type(count) is int else None)
        return nbformat.v4.new_output(kind, data=data)
    return None


def _safe_outputs(outputs) -> list:
    return [kept for kept in (_safe_output(output) for output in outputs) if kept is not None]


def _safe_cell(cell):
    """A cell rebuilt from an allowlist: its type, id, source, nbgrader's metadata, and (code) its execution
    count and outputs; nothing else of the student's JSON, attachments included (the editable/deletable
    flags are the release's: a student's copy of them decides nothing here)."""
    grader = _safe_nbgrader(nbgrader_meta(cell))
    metadata = {"nbgrader": grader} if grader else {}
    source = _text(cell.get("source"))
    if cell.get("cell_type") == "code":
        count = cell.get("execution_count")
        made = nbformat.v4.new_code_cell(
            source, metadata=metadata, execution_count=count if type(count) is int else None
        )
        made.outputs = _safe_outputs(cell.get("outputs") or [])
    elif cell.get("cell_type") == "markdown":
        made = nbformat.v4.new_markdown_cell(source, metadata=metadata)
    else:
        made = nbformat.v4.new_raw_cell(source, metadata=metadata)
    if isinstance(cell.get("id"), str) and CELL_ID.fullmatch(cell["id"]):
        made.id = cell["id"]
    return made


CELL_ID = re.compile(r"[a-zA-Z0-9-_]{1,64}")


def _safe_nbgrader(value: dict) -> dict:
    """nbgrader's cell metadata, each of its fields of the type nbgrader's schema (version 3) gives it."""
    types = {
        "grade": bool,
        "locked": bool,
        "solution": bool,
        "task": bool,
        "grade_id": str,
        "checksum": str,
        "cell_type": str,
    }
    kept = {}
    for key, value_type in types.items():
        if isinstance(value.get(key), value_type):
            kept[key] = value[key]
    if type(value.get("points")) in (int, float):
        kept["points"] = value["points"]
    if type(value.get("schema_version")) is int:
        kept["schema_version"] = value["schema_version"]
    return kept


def _lesson_texts(assignment: str | None) -> set[str]:
    """The markdown and raw cells of the assignment's source notebook: the lesson's own text."""
    if assignment not in assignments():
        return set()
    return {cell.source for cell in read(source_path(assignment)).cells if cell.cell_type != "code"}


def _as_text(cell) -> None:
    """A student's markdown or raw cell, made inert: nbgrader's feedback and the formgrader render markdown
    as HTML, so its HTML is escaped (shown as text, never run) and its attachments dropped."""
    cell.source = html.escape(cell.source, quote=False)
    cell.pop("attachments", None)


def autograded_notebook(report: Report):
    """The notebook as it ran, each test cell showing our verdict (never hidden inputs) as its output.

    The lesson's own markdown stays as it is; any other markdown or raw cell is the student's, and is made
    inert text."""
    given = report.notebook
    notebook = nbformat.v4.new_notebook()
    kernelspec = given.get("metadata", {}).get("kernelspec")
    if isinstance(kernelspec, dict):  # what nbgrader's pages name the language by, as plain strings only
        notebook.metadata["kernelspec"] = {
            k: v for k, v in kernelspec.items() if isinstance(v, str) and k in KERNELSPEC
        }
    notebook.metadata["language_info"] = {"name": "python"}
    verdicts = {test["grade_id"]: test for test in report.tests}
    lesson = _lesson_texts(report.assignment)
    for original in given.cells:
        cell = _safe_cell(original)
        notebook.cells.append(cell)
        if cell.cell_type != "code":
            if cell.source not in lesson or original.get("attachments"):
                _as_text(cell)
            continue
        if grade_id(cell) in verdicts and nbgrader_meta(cell).get("grade"):
            cell.outputs = [_verdict_output(verdicts[grade_id(cell)])]
    return notebook


KERNELSPEC = ("name", "display_name", "language")


TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d{1,6})?( ?(UTC|Z|[+-]\d{2}:?\d{2}))?")
TIMESTAMP_BYTES = 64


def read_timestamp(submitted: Path) -> str | None:
    """The submission's ``timestamp.txt``, when it is a small regular file in nbgrader's format; else None.

    The file is the student's: it is opened without following a link or
    blocking on a FIFO, read no further than 64 bytes, and parsed only once
    it matches the format nbgrader writes.
    """
    try:
        text = read_regular_file(submitted / "timestamp.txt", TIMESTAMP_BYTES + 1).decode("ascii").strip()
    except (OSError, ValueError):  # missing, a link, a FIFO, not text (NotANotebook is a ValueError)
        return None
    return text if len(text) <= TIMESTAMP_BYTES and TIMESTAMP.fullmatch(text) else None


SECRET = re.compile(r"[0-9a-f]{16,256}")  # nbgrader submit's submission_secret.txt: secrets.token_hex(64)


def read_secret(submitted: Path) -> str | None:
    """The submission's ``submission_secret.txt`` (nbgrader's key for finding a student's feedback in the
    exchange), when it is a small regular file of hex digits; else None."""
    try:
        text = read_regular_file(submitted / "submission_secret.txt", 257).decode("ascii").strip()
    except (OSError, ValueError):
        return None
    return text if SECRET.fullmatch(text) else None


def save(
    coursedir: CourseDirectory,
    assignment: str,
    student: str,
    report: Report,
    submitted: Path,
    stage: Staged | None = None,
) -> None:
    """Write one student's grades into the gradebook, and the notebook into autograded/.

    ``submitted`` is the folder that was graded: its timestamp.txt dates the submission. The autograded/
    files are written into ``stage`` (or a stage of this call's own), which is committed, putting them and
    whatever else it holds in place, once the gradebook has the grades: a write or a gradebook commit that
    fails (a full disk) leaves the files as they were.
    """
    with staged() as own:
        _save(coursedir, assignment, student, report, submitted, own if stage is None else stage)


def _save(
    coursedir: CourseDirectory, assignment: str, student: str, report: Report, submitted: Path, stage: Staged
) -> None:
    text = read_timestamp(submitted) if submitted.is_dir() else None
    timestamp = nbgrader_utils.parse_utc(text) if text else None
    notebook = autograded_notebook(report) if report.notebook is not None else None
    folder = Path(coursedir.format_path(coursedir.autograded_directory, student, assignment))
    if notebook is not None:
        stage.write(folder / f"{assignment}.ipynb", nbformat.writes(notebook))
        # As `nbgrader autograde` copies them: the timestamp, and the secret that `nbgrader release_feedback`
        # hashes to file the student's feedback in the exchange.
        secret = read_secret(submitted) if submitted.is_dir() else None
        for name, value in (("timestamp.txt", text), ("submission_secret.txt", secret)):
            if value:
                stage.write(folder / name, value.encode())
            else:
                stage.remove(folder / name)
    else:  # nothing ran: an older grading's notebook must not stand beside the new 0
        for name in (f"{assignment}.ipynb", "timestamp.txt", "submission_secret.txt"):
            stage.remove(folder / name)

    scores = {test["grade_id"]: test["score"] for test in report.tests}
    answered, unanswered = set(), set()
    for cell in notebook.cells if notebook is not None else []:
        meta = nbgrader_meta(cell)
        if meta.get("solution"):
            # nbgrader's own rule (SaveAutoGrades): a solution cell still matching its release checksum
            untouched = meta.get("checksum") == nbgrader_utils.compute_checksum(cell)
            (unanswered if untouched else answered).add(meta.get("grade_id"))

    with Gradebook(coursedir.db_url, coursedir.course_id) as gradebook, warnings.catch_warnings():
        # nbgrader's update_or_create_submission trips SQLAlchemy's autoflush warnings; its own autograde does too.
        warnings.simplefilter("ignore", SAWarning)
        gradebook.update_or_create_student(student)
        if timestamp:
            gradebook.update_or_create_submission(assignment, student, timestamp=timestamp)
        else:
            gradebook.update_or_create_submission(assignment, student)
        submission = gradebook.find_submission_notebook(assignment, assignment, student)
        for grade in submission.grades:
            grade.auto_score = scores.get(grade.name)
            # As SaveAutoGrades: a manual grade, or a cell we did not score, needs a person's look.
            grade.needs_manual_grade = grade.manual_score is not None or grade.auto_score is None
        for comment in submission.comments:
            if comment.name in unanswered:
                comment.auto_comment = "No response."
            elif comment.name in answered:
                comment.auto_comment = None
        gradebook.db.commit()
    stage.commit()  # the files go in place with the grades
    # nbgrader's own late-penalty step, with the course's configured plugin, as `nbgrader autograde` runs it.
    resources = {
        "nbgrader": {"notebook": assignment, "assignment": assignment, "student": student, "db_url": coursedir.db_url}
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SAWarning)
        AssignLatePenalties(config=coursedir.config).preprocess(nbformat.v4.new_notebook(), resources)


def recorded_scores(coursedir: CourseDirectory, assignment: str) -> dict[str, dict[str, float | None]]:
    """student -> grade cell -> auto_score, for every submission of ``assignment`` in the gradebook."""
    if coursedir.db_url.startswith("sqlite:///") and not Path(coursedir.db_url[len("sqlite:///") :]).exists():
        return {}
    scores = {}
    with Gradebook(coursedir.db_url, coursedir.course_id) as gradebook:
        try:
            submissions = gradebook.assignment_submissions(assignment)
        except MissingEntry:
            return {}
        for submission in submissions:
            for notebook in submission.notebooks:
                scores[submission.student.id] = {grade.name: grade.auto_score for grade in notebook.grades}
    return scores


@dataclass(frozen=True)
class CourseGrades:
    """The course's scores from nbgrader's gradebook: what `nbgrader export` would write, as data.

    ``scores[student, assignment]`` is the score after nbgrader's late penalty (``max(0, score - penalty)``,
    as `nbgrader export` computes it), or None when the gradebook holds no submission.
    """

    assignments: list[str]  # in name order (the lessons' order)
    max_scores: dict[str, float]
    students: list[str]
    scores: dict[tuple[str, str], float | None]


def course_grades(coursedir: CourseDirectory, assignments: list[str] | None = None) -> CourseGrades:
    """Every student's score on ``assignments`` (default: every assignment the gradebook knows).

    Raises GradebookError naming an assignment the gradebook does not know."""
    with Gradebook(coursedir.db_url, coursedir.course_id) as gradebook:
        known = {assignment.name: assignment for assignment in gradebook.assignments}
        names = sorted(known) if assignments is None else list(dict.fromkeys(assignments))
        unknown = [name for name in names if name not in known]
        if unknown:
            raise GradebookError(
                f"the gradebook has no assignment {', '.join(unknown)}; it has {', '.join(sorted(known)) or 'none'}"
            )
        students = sorted(student.id for student in gradebook.students)
        scores: dict[tuple[str, str], float | None] = {(s, a): None for s in students for a in names}
        for name in names:
            for submission in gradebook.assignment_submissions(name):
                penalty = submission.late_submission_penalty or 0.0
                scores[submission.student.id, name] = max(0.0, (submission.score or 0.0) - penalty)
        return CourseGrades(names, {name: float(known[name].max_score or 0.0) for name in names}, students, scores)
