"""`python -m autograder grade-all`: a cohort graded in parallel into nbgrader's real gradebook.

Each test builds a throwaway nbgrader course (the repo's nbgrader_config.py
and source/) with a cohort of 02_activations submissions: the reference, two
realistic mistakes, the untouched release, two attacks from the adversarial
corpus and a file that is no notebook. Every student's expected points per
grade cell follow from the mistake catalogue and the corpus, so the tests
prove that each submission gets exactly its own grade, whatever the others do.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook

from autograder.course import cohort
from autograder.data import REPO_ROOT
from autograder.host.repair import grade_cells
from autograder.host.sandbox import BWRAP_ENV
from tests import processes, samples
from tests.adversarial.corpus import ATTACKS
from tests.mistakes import mistakes_for

pytestmark = pytest.mark.sandbox

A = "02_activations"
POINTS = {cell.grade_id: cell.points for cell in grade_cells(A)}
ATTACK = {attack.name: attack for attack in ATTACKS}
NOT_A_NOTEBOOK = "is not a Jupyter notebook"


def _lost_by_mistake(name: str) -> set[str]:
    return {f"test_{function}" for function in mistakes_for(A)[name].lost}


def _lost_by_attack(name: str) -> set[str]:
    return {f"test_{function}" for function in ATTACK[name].lost}


# student -> (how to write the submission, grade cells it loses)
COHORT = {
    "ada": (lambda folder: samples.write(samples.student_notebook(A), folder, A), set()),
    "bob": (
        lambda folder: samples.write(_with_script(samples.with_mistakes(A, "softmax_no_max_shift")), folder, A),
        _lost_by_mistake("softmax_no_max_shift"),
    ),
    "cy": (  # in the Japanese edition: the same points, the messages and the feedback page in Japanese
        lambda folder: samples.write(
            samples.edition(samples.with_mistakes(A, "relu_returns_bool"), A, "ja"), folder, A
        ),
        _lost_by_mistake("relu_returns_bool"),
    ),
    "dee": (lambda folder: samples.write(samples.release_notebook(A), folder, A), set(POINTS)),
    "eve": (ATTACK["os_exit_in_a_function"].build, _lost_by_attack("os_exit_in_a_function")),
    "fox": (ATTACK["forge_the_outbox"].build, set(POINTS)),
    "gus": (lambda folder: _write_raw(folder / A / f"{A}.ipynb", b"{not json"), set(POINTS)),
}


def _with_script(notebook):
    """bob also leaves a markdown cell with a script in it: nbgrader's feedback page must not run it."""
    notebook.cells.insert(2, nbformat.v4.new_markdown_cell('<script>alert("bob")</script>'))
    return notebook


def _write_raw(path: Path, content: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


def expected_points(student: str) -> dict[str, float]:
    lost = COHORT[student][1]
    return {grade: 0.0 if grade in lost else points for grade, points in POINTS.items()}


def make_course(root: Path, students, submitted: Path | None = None) -> Path:
    (root / "source").mkdir(parents=True)
    shutil.copy(REPO_ROOT / "nbgrader_config.py", root)
    shutil.copytree(REPO_ROOT / "source" / A, root / "source" / A)
    for student in students:
        COHORT[student][0]((submitted or root / "submitted") / student)
    return root


def command(course: Path, *args) -> list[str]:
    # No --course: grade-all runs in the course folder (cwd), and takes it for the course, as nbgrader does.
    return [sys.executable, "-m", "autograder", "grade-all", A, "--quick", *args]


def environment(**extra) -> dict:
    bin_dir = str(Path(sys.executable).parent)  # nbgrader runs `alembic` from PATH
    return {**os.environ, "PATH": bin_dir + os.pathsep + os.environ["PATH"], **extra}


def grade_all(course: Path, *args, **env) -> subprocess.CompletedProcess:
    return subprocess.run(
        command(course, *args), cwd=course, env=environment(**env), capture_output=True, text=True, timeout=1800
    )


def nbgrader(course: Path, *args) -> None:
    done = subprocess.run(
        [str(Path(sys.executable).parent / "nbgrader"), *args, "--log-level=WARN"],
        cwd=course,
        env=environment(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]


def gradebook_points(course: Path, student: str) -> dict[str, float]:
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        notebook = gradebook.find_submission_notebook(A, A, student)
        return {grade.name: grade.auto_score for grade in notebook.grades}


def out(course: Path) -> Path:
    return course / "grades" / A


def stray_temp_files(course: Path) -> list[Path]:
    return [p for p in course.rglob(".*.tmp")]


def test_grade_all_on_a_local_dask_cluster_into_the_gradebook_then_nbgrader_export(tmp_path):
    collected = tmp_path / "collected"  # submissions outside the course: --submitted
    course = make_course(tmp_path / "course", COHORT, collected)
    (collected / "ada" / A / "timestamp.txt").write_text("2026-11-20 10:00:00.000000 UTC")
    done = grade_all(course, "--submitted", str(collected), "--cluster", "--workers", "2")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "Dask LocalCluster: 2 workers" in done.stderr
    # The file that is no notebook is listed with its reason; the others are graded regardless.
    assert "not gradable" in done.stdout and "gus: not graded: " in done.stdout and NOT_A_NOTEBOOK in done.stdout
    assert f"{len(COHORT)} graded now, 0 unchanged and kept, 0 failed" in done.stdout

    # nbgrader's own gradebook holds every grade cell's points...
    for student in COHORT:
        assert gradebook_points(course, student) == expected_points(student), student
    # ... so `nbgrader export` reports them.
    nbgrader(course, "export")
    with open(course / "grades.csv") as handle:
        exported = {row["student_id"]: row for row in csv.DictReader(handle)}
    assert set(exported) == set(COHORT)
    for student, row in exported.items():
        assert float(row["raw_score"]) == sum(expected_points(student).values()), student
        assert float(row["max_score"]) == sum(POINTS.values())
    assert exported["ada"]["timestamp"] == "2026-11-20 10:00:00"  # from the folder that was graded
    assert exported["bob"]["timestamp"] == ""

    # `nbgrader generate_feedback` works from the autograded/ notebooks we wrote, with our scores.
    nbgrader(course, "generate_feedback", A)
    page = (course / "feedback" / "bob" / A / f"{A}.html").read_text()
    assert f"Score: {sum(expected_points('bob').values()):.1f} / {sum(POINTS.values()):.1f}" in page
    assert '<script>alert("bob")' not in page  # bob's script is shown as text, never run
    assert not (course / "autograded" / "gus").exists()  # nothing ran, so there is no notebook to show

    # Our own outputs: the cohort CSV, Gradescope JSON and feedback per student, and the cohort page.
    with open(out(course) / "cohort.csv") as handle:
        rows = {row["student"]: row for row in csv.DictReader(handle)}
    for student in COHORT:
        assert {g: float(rows[student][g]) for g in POINTS} == expected_points(student), student
        results = json.loads((out(course) / "students" / student / "results.json").read_text())
        assert results["score"] == sum(expected_points(student).values())
        page = (out(course) / "students" / student / "feedback.html").read_text()
        assert ('<html lang="ja">' in page) == (student == "cy"), student  # each in the edition submitted
    assert "ヒント" in (out(course) / "students" / "cy" / "feedback.html").read_text()
    assert '<html lang="en">' in (out(course) / "report.html").read_text()  # the cohort's: English by default
    assert rows["gus"]["graded"] == "no" and NOT_A_NOTEBOOK in rows["gus"]["reason"]
    assert rows["ada"]["graded"] == "yes" and rows["ada"]["reason"] == ""
    assert "students/bob/feedback.html" in (out(course) / "report.html").read_text()

    # Student code ran in Dask's worker processes, never in the grader's own.
    workers = {json.loads((out(course) / "records" / f"{s}.json").read_text())["worker"] for s in COHORT if s != "gus"}
    assert len(workers) == 2, workers
    assert not stray_temp_files(course)
    # Records hold hidden-case detail: for the instructor's eyes only.
    assert all(p.stat().st_mode & 0o077 == 0 for p in (out(course) / "records").glob("*.json"))


def _records(course: Path) -> dict[str, dict]:
    folder = out(course) / "records"
    return {p.stem: json.loads(p.read_text()) for p in folder.glob("*.json")} if folder.is_dir() else {}


def _kill_when(course: Path, ready) -> str:
    """Start grade-all (one worker), SIGKILL it as soon as ``ready()`` holds (checked as fast as Python can, so
    that a short moment such as a gradebook write is caught), and say what was killed."""
    running = subprocess.Popen(
        command(course, "--workers", "1"),
        cwd=course,
        env=environment(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 300
    while running.poll() is None and time.monotonic() < deadline and not ready(running.pid):
        pass
    os.killpg(running.pid, signal.SIGKILL)  # grade-all and its workers, as a lost machine would
    running.wait()
    hot = (course / "gradebook.db-journal").exists()  # a transaction was open: SQLite rolls it back
    return f"killed with {len(_records(course))} records{', in a gradebook write' if hot else ''}"


def test_grade_all_killed_at_any_point_even_in_a_gradebook_write_loses_nothing_and_counts_nothing_twice(tmp_path):
    """grade-all SIGKILLed three times: while the first student is graded, during a gradebook write (while
    SQLite's journal exists: a transaction is open), and once two students are saved. Each rerun goes on
    from what was saved; the last one leaves every student graded once, with the right points, in a
    gradebook SQLite finds intact."""
    import sqlite3

    students = ["ada", "bob", "dee"]
    course = make_course(tmp_path / "course", students)
    journal = course / "gradebook.db-journal"
    kills = [
        _kill_when(course, _kernel_below),
        _kill_when(course, lambda pid: journal.exists()),
        _kill_when(course, lambda pid: len(_records(course)) >= 2),
    ]
    done = grade_all(course, "--workers", "2")
    assert done.returncode == 0, "\n".join(kills) + done.stdout[-3000:] + done.stderr[-3000:]
    assert set(_records(course)) == set(students)
    connection = sqlite3.connect(course / "gradebook.db")
    assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    connection.close()
    for student in students:
        assert gradebook_points(course, student) == expected_points(student), (student, kills)
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        assert sorted(s.student_id for s in gradebook.assignment_submissions(A)) == sorted(students)
    assert not stray_temp_files(course)


def test_an_interrupted_run_resumes_and_only_changed_submissions_are_regraded(tmp_path):
    students = ["ada", "bob", "dee", "gus"]
    course = make_course(tmp_path / "course", students)
    # Stopped (SIGTERM, as a batch system stops a job) once two students are saved.
    running = subprocess.Popen(
        command(course, "--workers", "1"),
        cwd=course,
        env=environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 900
    while len(_records(course)) < 2 and running.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    running.send_signal(signal.SIGTERM)
    stdout, stderr = running.communicate(timeout=300)
    assert running.returncode == 130, stdout[-2000:] + stderr[-2000:]
    assert "interrupted" in stderr
    first = _records(course)
    assert 2 <= len(first) < len(students), "the run was not interrupted halfway"
    assert not stray_temp_files(course)

    done = grade_all(course, "--workers", "2")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert f"{len(first)} submissions unchanged since their last grading: kept" in done.stderr
    assert f"{len(students) - len(first)} graded now, {len(first)} unchanged and kept" in done.stdout
    second = _records(course)
    assert set(second) == set(students)
    for student in first:  # the work of the interrupted run stands as it was
        assert second[student] == first[student]
    for student in students:
        assert gradebook_points(course, student) == expected_points(student), student
    with open(out(course) / "cohort.csv") as handle:
        assert {row["student"] for row in csv.DictReader(handle)} == set(students)

    # dee hands in the finished work: only dee is graded again.
    samples.write(samples.student_notebook(A), course / "submitted" / "dee", A)
    done = grade_all(course)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "1 graded now, 3 unchanged and kept" in done.stdout
    assert gradebook_points(course, "dee") == POINTS
    third = _records(course)
    assert {s for s in students if third[s] != second[s]} == {"dee"}

    # --only relu: relu is regraded for everyone, every other score is kept from the earlier grading.
    # (A score planted in ada's record and gradebook stands for an earlier test's verdict: it must survive.)
    record_path = out(course) / "records" / "ada.json"
    planted = json.loads(record_path.read_text())
    for test in planted["report"]["tests"]:
        test["score"] = {"test_relu": 0.0, "test_softmax": 1.5}.get(test["grade_id"], test["score"])
    record_path.write_text(json.dumps(planted))
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as book:
        for grade in book.find_submission_notebook(A, A, "ada").grades:
            grade.auto_score = {"test_relu": 0.0, "test_softmax": 1.5}.get(grade.name, grade.auto_score)
        book.db.commit()
    COHORT["cy"][0](course / "submitted" / "cy")  # never graded before: graded in full
    done = grade_all(course, "--only", "relu")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    # gus's file is no notebook: nothing to keep, so gus is graded in full, as cy is.
    assert (
        "only relu (--only): 3 submissions regraded in part, keeping their other scores; 2 graded in full"
        in done.stderr
    )
    assert gradebook_points(course, "ada") == {**POINTS, "test_softmax": 1.5}  # relu regraded, softmax kept
    assert gradebook_points(course, "cy") == expected_points("cy")
    assert gradebook_points(course, "bob") == expected_points("bob")
    assert gradebook_points(course, "dee") == POINTS  # the finished work handed in above
    ada = json.loads(record_path.read_text())
    assert ada["regraded"][-1]["functions"] == ["relu"] and ada["graded_at"] == planted["graded_at"]
    assert ada["report"]["score"] == sum(POINTS.values()) - POINTS["test_softmax"] + 1.5
    assert any("relu regraded on" in note for note in ada["report"]["notes"])
    results = json.loads((out(course) / "students" / "ada" / "results.json").read_text())
    assert {t["grade_id"]: t["score"] for t in results["tests"]} == {**POINTS, "test_softmax": 1.5}
    done = grade_all(course, "--only", "relu,not_a_function")
    assert done.returncode == 2 and "has no graded function not_a_function" in done.stderr
    (course / "submitted" / "cy").rename(tmp_path / "cy")  # the checks below are about the first four

    # --force regrades everything; so does a change to the grader's own settings.
    group = cohort.Cohort(A, course=course, options=cohort.Options(quick=True))
    assert [s.student for s in group.plan(force=False)[0]] == []
    assert sorted(s.student for s in group.plan(force=True)[0]) == sorted(students)
    assert len(cohort.Cohort(A, course=course, options=cohort.Options(quick=False)).plan()[0]) == len(students)
    # A gradebook that lost the grades (reset, restored from an old copy) gets them again.
    (course / "gradebook.db").unlink()
    assert sorted(s.student for s in group.plan(force=False)[0]) == sorted(students)


@contextlib.contextmanager
def dask_cluster(env: dict, workers: int = 2):
    """A Dask scheduler and ``workers`` workers on 127.0.0.1, started with Dask's own commands exactly as
    docs/cohort.md tells an instructor; (its address, the `dask worker` process)."""
    bin_dir = Path(sys.executable).parent
    with socket.socket() as probe:  # a free port: Dask's default 8786 may be taken
        probe.bind(("127.0.0.1", 0))
        port = str(probe.getsockname()[1])
    scheduler = subprocess.Popen(
        [str(bin_dir / "dask"), "scheduler", "--port", port, "--no-dashboard"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    worker = subprocess.Popen(
        [
            str(bin_dir / "dask"),
            "worker",
            f"tcp://127.0.0.1:{port}",
            "--nworkers",
            str(workers),
            "--nthreads",
            "1",
            "--memory-limit",
            "0",
            "--no-dashboard",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        from dask.distributed import Client

        with Client(f"tcp://127.0.0.1:{port}", timeout="60s") as client:
            client.wait_for_workers(workers, timeout=120)
        yield f"tcp://127.0.0.1:{port}", worker
    finally:
        for process in (worker, scheduler):
            process.terminate()
            process.wait(timeout=60)


@pytest.fixture
def dask_scheduler(tmp_path):
    """A real Dask cluster whose workers' bubblewrap is missing."""
    with dask_cluster(environment(**{BWRAP_ENV: str(tmp_path / "no-bwrap-here")})) as (address, _):
        yield address


def _grading_worker(launcher: int) -> int | None:
    """A Dask worker process (below ``launcher``, the `dask worker` command and its nannies) that is running a
    kernel now: one with a sandboxed kernel below it."""
    tree = processes.children()
    for nanny in tree.get(launcher, []):
        for worker in tree.get(nanny, []):
            if _kernel_below(worker, tree):
                return worker
    return None


def _kernel_below(pid: int, tree: dict[int, list[int]] | None = None) -> bool:
    """Whether a grading's sandboxed kernel runs below ``pid`` (the warm start names it sandbox-kernel; bubblewrap
    runs it as ipykernel_launcher): not the availability check's bubblewrap, which runs before any grading."""
    return any(processes.is_kernel(p) for p in processes.descendants(pid, tree))


SLOW = "import time\ntime.sleep(6)  # a slow but honest cell: a worker is grading it when it is killed\n"


def test_a_real_dask_cluster_grades_a_cohort_exactly_once_when_a_worker_is_killed(tmp_path):
    """`dask scheduler` and `dask worker --nworkers 2`, as docs/cohort.md starts them; one worker process is
    SIGKILLed while it grades. Dask gives its submission to a worker again, and every submission ends
    graded exactly once, with the gradebook an undisturbed run gives (each student's known points)."""
    students = ["ada", "bob", "cy", "dee"]
    course = make_course(tmp_path / "course", students)
    for student in ("ada", "dee"):  # two slow ones, so a worker is surely grading when the kill comes
        notebook = nbformat.read(course / "submitted" / student / A / f"{A}.ipynb", as_version=4)
        notebook.cells.insert(3, nbformat.v4.new_code_cell(SLOW))
        nbformat.write(notebook, course / "submitted" / student / A / f"{A}.ipynb")
    with dask_cluster(environment()) as (address, launcher):
        run = subprocess.Popen(
            command(course, "--scheduler", address),
            cwd=course,
            env=environment(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        killed, deadline = None, time.monotonic() + 120
        while killed is None and time.monotonic() < deadline and run.poll() is None:
            found = _grading_worker(launcher.pid)
            try:
                if found is not None:
                    os.kill(found, signal.SIGKILL)
                    killed = found
            except ProcessLookupError:  # it finished that grading and went away between the look and the kill
                pass
            time.sleep(0.2)
        assert killed is not None, "no worker was seen grading"
        stdout, stderr = run.communicate(timeout=900)
    assert run.returncode == 0, stdout[-3000:] + stderr[-3000:]
    assert f"{len(students)} graded now, 0 unchanged and kept, 0 failed" in stdout, stdout[-3000:]
    for student in students:
        assert gradebook_points(course, student) == expected_points(student), student
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        assert sorted(s.student_id for s in gradebook.assignment_submissions(A)) == sorted(students)
    assert sorted(_records(course)) == sorted(students)
    assert not stray_temp_files(course)


@pytest.mark.parametrize("where", ["--workers", "--cluster", "--scheduler"])
def test_no_worker_grades_without_the_sandbox(tmp_path, where, request):
    course = make_course(tmp_path / "course", ["ada"])
    if where == "--scheduler":  # only the remote workers lack bubblewrap: the grader's machine has it
        args, env = ["--scheduler", request.getfixturevalue("dask_scheduler")], {}
    else:
        args = ["--cluster", "--workers", "1"] if where == "--cluster" else ["--workers", "1"]
        env = {BWRAP_ENV: str(tmp_path / "no-bwrap-here")}
    done = grade_all(course, *args, **env)
    assert done.returncode == 2, done.stdout[-3000:] + done.stderr[-3000:]
    assert "not graded:" in done.stderr and "apt-get install bubblewrap" in done.stderr
    if where == "--scheduler":
        assert done.stderr.count("tcp://") >= 2, "the refusal names each worker that cannot sandbox"
    assert not _records(course) and not (course / "gradebook.db").exists()


@pytest.mark.parametrize("where", ["a folder that is no course", "the course, named with --course"])
def test_grade_all_outside_a_course_says_so_and_grades_nothing(tmp_path, where):
    """nbgrader's convention: the course is the current folder; elsewhere --course must name it."""
    course = make_course(tmp_path / "course", ["ada"])
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    args = ["grade-all", A, "--workers", "0"]  # 0 workers: refused after the course is found, before grading
    if where != "a folder that is no course":
        args += ["--course", str(course)]
    done = subprocess.run(
        [sys.executable, "-m", "autograder", *args],
        cwd=elsewhere,
        env=environment(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 2
    if where == "a folder that is no course":
        assert "is not an nbgrader course (it has no nbgrader_config.py)" in done.stderr and "--course" in done.stderr
    else:
        assert "--workers must be at least 1" in done.stderr
    assert not (elsewhere / "gradebook.db").exists() and not (REPO_ROOT / "grades" / A).exists()
