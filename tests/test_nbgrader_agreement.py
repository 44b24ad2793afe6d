"""`nbgrader autograde` and our autograder give the same points to every grade cell.

A throwaway course uses the repo's own nbgrader_config.py, so this also
proves the configuration works for an instructor's generate/autograde.
One difference is by design: nbgrader scores a test cell all or nothing,
so a training exercise that earns a partial tier with us gets 0 there. (The
notebook's visible check prints a partial tier without raising, so that Run
All goes on; the hidden test cell raises below full points, and that is the
0 nbgrader gives: autograder/kernel/public_checks.py.)

The mistakes come in the groups the grader's own tests grade
(tests.mistakes.groups: independent mistakes in one notebook), so each
grading here is one the suite has already made. nbgrader runs every cell of
every notebook again, in a kernel that imports torch for the references
(about 2 s a notebook), and trains a network again, unsandboxed, in the
lessons with a training exercise. So the fewest groups in which every grade
cell fails take the place of the whole catalogue: with the reference and the
untouched release, every grade cell still passes and fails on both sides.
(Until the student kit's tests came, the numpy lessons compared every group:
56 notebooks for 01-04, where the cover needs 5; the suite's time budget
paid for the kit.) The grader's own tests grade the whole catalogue, and
both sides decide with the same verdict functions (autograder/kernel/checks.py).

Among groups that fail as many cells not yet failed, the cover takes one
whose notebook stops before its training exercise trains (our grading of
it left no model: a device that does not exist, float64 inputs, a network
that raises), so that nbgrader retrains as few notebooks as it can: in 07
and 08 that is the reference alone, where the first cover retrained three
in 07 and two in 08 (issue 34). Only the groups in question are asked
about, each a grading the catalogue's tests share. Every cell still passes
and fails on both sides.

The reference and the untouched release are submitted in the Japanese edition (issue 18): nbgrader's
autograde takes it as the English one, and ours grades it in Japanese with the same points.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from nbgrader.api import Gradebook

from autograder.data import REPO_ROOT
from autograder.host.repair import source_path
from autograder.judge.exercises import exercises_for
from autograder.training import Training
from autograder.targets import KERNEL_ENV, QUICK_ENV
from tests import samples
from tests.samples import ASSIGNMENTS, QUICK
from tests.mistakes import groups, mistakes_for

pytestmark = pytest.mark.sandbox


def groups_compared(assignment: str, trains=lambda n: False) -> list[int]:
    """Indices into tests.mistakes.groups(assignment) of the groups nbgrader grades too: a greedy set cover in
    which every grade cell fails. Among the groups that fail as many cells not yet failed, the first for which
    ``trains(n)`` is false is taken (``trains`` is asked only about those, in order), else the first."""
    found = groups(assignment)
    catalogue = mistakes_for(assignment)
    touched = [{function for name in group for function in catalogue[name].touches} for group in found]
    chosen, uncovered = [], set().union(*touched)
    while uncovered:
        most = max(len(cells & uncovered) for cells in touched)
        candidates = [n for n in range(len(found)) if len(touched[n] & uncovered) == most]
        best = next((n for n in candidates if not trains(n)), candidates[0])
        chosen.append(best)
        uncovered -= touched[best]
    return sorted(chosen)


def trained_in_our_grading(graded, assignment: str):
    """``trains`` for groups_compared: whether a group's notebook left a trained model in our grading of it (its
    training exercise did not end in an error or a timeout). Each grading asked for is the catalogue's own."""
    training = {name for name, exercise in exercises_for(assignment).items() if isinstance(exercise, Training)}

    def trains(n: int) -> bool:
        return bool(training) and not any(
            test["function"] in training and test["status"] in ("error", "timeout")
            for test in graded(assignment, f"group:{n}").tests
        )

    return trains


def nbgrader(course: Path, *args):
    bin_dir = str(Path(sys.executable).parent)  # nbgrader runs `alembic` from PATH
    # nbgrader's kernels inherit this environment. They get our kernels' one BLAS/OpenMP thread: two
    # test workers share two cores, and more threads than free cores made training several times slower.
    env = {
        **os.environ,
        **{k: v for k, v in KERNEL_ENV.items() if k.endswith("_NUM_THREADS")},
        "PATH": bin_dir + os.pathsep + os.environ["PATH"],
        QUICK_ENV: "1" if QUICK else "0",
    }
    done = subprocess.run(
        [os.path.join(bin_dir, "nbgrader"), *args], cwd=course, env=env, capture_output=True, text=True, timeout=1800
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_nbgrader_autograde_agrees_with_our_grader(graded, tmp_path, assignment):
    course = tmp_path / "course"
    (course / "source").mkdir(parents=True)
    shutil.copy(REPO_ROOT / "nbgrader_config.py", course)
    shutil.copytree(source_path(assignment).parent, course / "source" / assignment)
    nbgrader(course, "generate_assignment", assignment)

    # The reference and the untouched release in the Japanese edition (the same code cells, the prose translated):
    # nbgrader's autograde and ours take either edition; tests/test_editions.py checks our reports of them.
    students = {
        "reference": samples.edition(samples.student_notebook(assignment), assignment, "ja"),
        "untouched": samples.edition(samples.release_notebook(assignment), assignment, "ja"),
    }
    compared = groups_compared(assignment, trained_in_our_grading(graded, assignment))
    students.update({f"group-{n}": samples.with_mistakes(assignment, *groups(assignment)[n]) for n in compared})
    for student, notebook in students.items():
        samples.write(notebook, course / "submitted" / student, assignment)
    nbgrader(course, "autograde", assignment, "--create")

    ours_by_student = {
        "reference": graded(assignment, "reference@ja"),
        "untouched": graded(assignment, "release@ja"),
        **{f"group-{n}": graded(assignment, f"group:{n}") for n in compared},
    }
    disagreements = []
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        for student, ours in ours_by_student.items():
            theirs = gradebook.find_submission_notebook(assignment, assignment, student)
            nbgrader_points = {grade.name: grade.score for grade in theirs.grades if grade.name.startswith("test_")}
            # A partial tier (0 < score < max) is ours alone; nbgrader gives such a cell 0.
            our_points = {
                test["grade_id"]: test["score"] if test["score"] in (0, test["max_score"]) else 0.0
                for test in ours.tests
            }
            if nbgrader_points != our_points:
                disagreements.append(f"{student}: nbgrader {nbgrader_points} vs ours {our_points}")
    assert not disagreements, "\n".join(disagreements)
