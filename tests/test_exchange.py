"""nbgrader's whole exchange, end to end: release, fetch, work, submit, collect, grade-all, feedback, fetch it.

A real exchange folder and nbgrader's own commands. The instructor runs
nbgrader from the instructor's venv; each student runs it from the student
kit's venv (tests/student_kit.py), in a home of their own, as a user of
their own student id. They share one Unix user: the test runs as one user
(root here, an ordinary user on a laptop), and a second account cannot be
made without changing the machine's /etc/passwd. nbgrader takes the student
from the Unix user name unless ``CourseDirectory.student_id`` says otherwise,
so each student's own nbgrader_config.py (in their home) names them; the
exchange's own work (the inbound folder, timestamps, the notebook hashes
that find a student's feedback) runs as it would with several accounts.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.data import REPO_ROOT
from autograder.host.repair import grade_cells
from tests import samples
from tests.mistakes import mistakes_for

pytestmark = [pytest.mark.sandbox, pytest.mark.kit]

A = "02_activations"
COURSE_ID = "dl-basics-workbook"
POINTS = {cell.grade_id: cell.points for cell in grade_cells(A)}
STUDENTS = {
    "ada": (lambda: samples.student_notebook(A), set()),
    "bob": (
        lambda: samples.with_mistakes(A, "relu_returns_bool"),
        {f"test_{f}" for f in mistakes_for(A)["relu_returns_bool"].lost},
    ),
}


def _run(argv, cwd: Path, env: dict) -> subprocess.CompletedProcess:
    done = subprocess.run([str(a) for a in argv], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"{argv}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


def test_the_kits_jupyter_server_enables_nbgrader_validate_and_assignment_list(kit, tmp_path):
    """The server side of nbgrader's Validate button and Assignments tab (the browser side: tests/browser/)."""
    listed = _run([kit.python, "-m", "jupyter_server", "extension", "list"], tmp_path, kit.env(tmp_path))
    text = re.sub(r"\x1b\[[0-9;]*m", "", listed.stdout + listed.stderr)  # its colours
    for extension in ("validate_assignment", "assignment_list"):
        assert f"nbgrader.server_extensions.{extension} enabled" in text, text


def test_release_fetch_submit_collect_grade_all_feedback_and_fetch_feedback(kit, tmp_path):
    exchange = tmp_path / "exchange"
    exchange.mkdir()
    exchange.chmod(0o777)  # as nbgrader's docs set it up for a course shared by many users
    course = tmp_path / "course"
    (course / "source").mkdir(parents=True)
    shutil.copytree(REPO_ROOT / "source" / A, course / "source" / A)
    config = (REPO_ROOT / "nbgrader_config.py").read_text()
    (course / "nbgrader_config.py").write_text(config + f"\nc.Exchange.root = {str(exchange)!r}\n")
    bin_dir = Path(sys.executable).parent  # nbgrader runs `alembic` from PATH
    instructor = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}

    def nbgrader(*args):
        return _run([bin_dir / "nbgrader", *args, "--log-level=WARN"], course, instructor)

    nbgrader("generate_assignment", A)
    nbgrader("release_assignment", A)

    def student_env(name: str) -> tuple[Path, dict]:
        home = tmp_path / "home" / name
        (home / ".jupyter").mkdir(parents=True, exist_ok=True)
        (home / ".jupyter" / "nbgrader_config.py").write_text(
            f"c = get_config()\nc.Exchange.root = {str(exchange)!r}\nc.CourseDirectory.course_id = {COURSE_ID!r}\n"
            f"c.CourseDirectory.student_id = {name!r}\n"  # one Unix user for all: who the student is
        )
        return home, kit.env(home)

    for name, (notebook, _) in STUDENTS.items():
        home, env = student_env(name)
        _run([kit.python, "-m", "nbgrader", "fetch_assignment", A], home, env)
        fetched = home / A / f"{A}.ipynb"
        assert fetched.is_file()
        # The student works: the saved notebook, filled in (their solution cells), replaces the fetched one.
        samples.write(notebook(), home, A)
        if name == "ada":  # nbgrader's Validate, from the kit's environment, as its button runs it
            validated = _run([kit.python, "-m", "nbgrader", "validate", fetched], home, env)
            assert "Success! Your notebook passes all the tests." in validated.stdout
        _run([kit.python, "-m", "nbgrader", "submit", A], home, env)

    _run([sys.executable, "-m", "autograder", "collect", A], course, instructor)  # nbgrader's, dated by the exchange
    assert sorted(p.name for p in (course / "submitted").iterdir()) == sorted(STUDENTS)
    graded = _run([sys.executable, "-m", "autograder", "grade-all", A, "--quick"], course, instructor)
    assert f"{len(STUDENTS)} graded now" in graded.stdout
    nbgrader("generate_feedback", A)
    nbgrader("release_feedback", A)

    for name, (_, lost) in STUDENTS.items():
        home, env = student_env(name)
        _run([kit.python, "-m", "nbgrader", "fetch_feedback", A], home, env)
        pages = list((home / A / "feedback").glob(f"*/{A}.html"))
        assert len(pages) == 1, pages
        score = sum(points for grade_id, points in POINTS.items() if grade_id not in lost)
        assert f"Score: {score:.1f} / {sum(POINTS.values()):.1f}" in pages[0].read_text()
