"""grade-all's plan, without a kernel: which submissions a run grades, keeps, or regrades in part.

Records and gradebook entries are written here as a finished grading would
leave them (Cohort.save, with nbgrader's real gradebook); tests/test_cohort.py
shows the same decisions on real gradings, an interrupted run among them.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

from autograder.course import cohort, gradebook
from autograder.data import REPO_ROOT
from autograder.host.repair import grade_cells
from autograder.course.report import Report
from tests import samples

A = "02_activations"
STUDENTS = ("ada", "bob", "cy")


def report_for(student: str, error: str | None = None) -> Report:
    tests = [
        {
            "grade_id": c.grade_id,
            "function": c.function,
            "status": "passed",
            "score": c.points,
            "max_score": c.points,
            "output": "",
            "detail": "",
            "cases_passed": 1,
            "cases_total": 1,
        }
        for c in grade_cells(A)
    ]
    return Report(student, A, tests, [], error, 1.0)


@pytest.fixture(scope="module", autouse=True)
def alembic_on_path():
    """nbgrader's gradebook runs `alembic` from PATH (make puts the venv's bin/ there; pytest alone may not)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PATH", str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"])
        yield


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A course whose three students were all graded once (cy's file could not be run)."""
    root = tmp_path_factory.mktemp("course")
    (root / "source").mkdir()
    shutil.copy(REPO_ROOT / "nbgrader_config.py", root)
    shutil.copytree(REPO_ROOT / "source" / A, root / "source" / A)
    for student in STUDENTS:
        samples.write(samples.student_notebook(A), root / "submitted" / student, A)
    group = cohort.Cohort(A, course=root, options=cohort.Options(quick=True))
    gradebook.ensure_assignment(group.coursedir, A)
    todo, kept = group.plan()
    assert sorted(s.student for s in todo) == list(STUDENTS) and not kept
    for submission in todo:
        group.save(
            submission, report_for(submission.student, "not graded: x" if submission.student == "cy" else None), "test"
        )
    return root


def plan(course, **options):
    todo, kept = cohort.Cohort(A, course=course, options=cohort.Options(**{"quick": True, **options})).plan()
    return sorted(s.student for s in todo), sorted(o.student for o in kept), {s.student: s for s in todo}


def test_graded_unchanged_submissions_are_kept(course):
    assert plan(course)[:2] == ([], list(STUDENTS))


def test_a_change_to_the_settings_regrades_everyone(course):
    assert plan(course, quick=False)[:2] == (list(STUDENTS), [])


def test_a_changed_submission_or_a_lost_gradebook_entry_is_regraded(course, tmp_path):
    notebook = course / "submitted" / "bob" / A / f"{A}.ipynb"
    saved = notebook.read_bytes()
    notebook.write_bytes(saved + b"\n")
    try:
        assert plan(course)[:2] == (["bob"], ["ada", "cy"])
    finally:
        notebook.write_bytes(saved)
    database = course / "gradebook.db"
    shutil.copy(database, tmp_path / "backup.db")
    try:
        group = cohort.Cohort(A, course=course, options=cohort.Options(quick=True))
        with gradebook.Gradebook(group.coursedir.db_url) as book:
            book.find_submission_notebook(A, A, "ada").grades[0].auto_score = 0.5
            book.db.commit()
        assert plan(course)[:2] == (["ada"], ["bob", "cy"])
    finally:
        shutil.copy(tmp_path / "backup.db", database)
    assert plan(course)[:2] == ([], list(STUDENTS))


def test_only_regrades_in_part_where_an_earlier_grading_of_the_same_files_ran(course):
    todo, kept, submissions = plan(course, only=("relu",))
    assert todo == list(STUDENTS) and kept == []
    assert submissions["ada"].previous is not None and submissions["bob"].previous is not None
    assert submissions["cy"].previous is None  # its earlier grading could not run the file: graded in full
    group = cohort.Cohort(A, course=course, options=cohort.Options(quick=True, only=("relu",)))
    assert group.job(submissions["ada"])["only"] == ["relu"] and group.job(submissions["cy"])["only"] is None


def test_an_assignment_recorded_without_its_notebook_gets_it(tmp_path):
    """What `nbgrader db assignment add` or the formgrader leave: every student failed with MissingEntry."""
    root = tmp_path / "course"
    (root / "source").mkdir(parents=True)
    shutil.copy(REPO_ROOT / "nbgrader_config.py", root)
    shutil.copytree(REPO_ROOT / "source" / A, root / "source" / A)
    coursedir = gradebook.course(root)
    with gradebook.Gradebook(coursedir.db_url, coursedir.course_id) as book:
        book.add_assignment(A)
    gradebook.ensure_assignment(coursedir, A)
    with gradebook.Gradebook(coursedir.db_url, coursedir.course_id) as book:
        cells = {cell.name for cell in book.find_notebook(A, A).grade_cells}
    assert cells == {cell.grade_id for cell in grade_cells(A)}
    group = cohort.Cohort(A, course=root, options=cohort.Options(quick=True))
    samples.write(samples.student_notebook(A), root / "submitted" / "ada", A)
    (submission,) = group.plan()[0]
    group.save(submission, report_for("ada"), "test")  # into the gradebook: no MissingEntry
    assert gradebook.recorded_scores(coursedir, A)["ada"] == {c.grade_id: c.points for c in grade_cells(A)}


def test_one_students_save_that_hangs_is_stopped_and_the_others_are_saved(course, monkeypatch):
    """Saving runs in grade-all's own process: one that never ends stopped the whole cohort."""
    import io
    import time as clock

    from autograder.course.report import unscored

    group = cohort.Cohort(A, course=course, options=cohort.Options(quick=True))
    cells = grade_cells(A)
    monkeypatch.setattr(cohort, "SAVE_TIMEOUT", 0.5)
    monkeypatch.setattr(group, "job", lambda submission: unscored(str(submission.folder), A, cells, "x", 0.0))

    def save(submission, report, worker):
        if submission.student == "bob":
            clock.sleep(30)
        return {"report": {"error": None, "score": 0, "max_score": 10, "seconds": 0}}

    monkeypatch.setattr(group, "save", save)
    submissions = [cohort.Submission(name, course / "submitted" / name / A, "f") for name in ("bob", "ada")]
    outcomes: list = []
    started = clock.perf_counter()
    cohort._run(group, None, submissions, io.StringIO(), outcomes)
    assert clock.perf_counter() - started < 10
    states = {o.student: (o.state, o.reason) for o in outcomes}
    assert states["ada"][0] == "graded"
    assert states["bob"][0] == "failed" and "SaveTimeout: it took longer than 0.5 s" in states["bob"][1]
