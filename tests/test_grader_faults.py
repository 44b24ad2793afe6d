"""A grader fault is never a grade (issue 33): each fault caused for real, and what it leaves.

When the grader fails, not the student, the submission is reported as not
graded, with the cause and the grader's own logs, and no score is written:
`grade` writes no results.json and exits 3; `grade-all` tries it once more,
then lists it as failed, writes nothing of it (an earlier gradebook score
stays) and keeps the logs in grades/<assignment>/logs/<student>/. A grading
whose caller was disturbed is graded once more before its zeros stand.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from nbgrader.api import Gradebook

from autograder import judge
from autograder.course.report import GraderFault
from autograder.host import grader, warm
from autograder.host.repair import grade_cells
from autograder.host.sandbox import BWRAP_ENV, bwrap_path
from tests import samples
from tests.processes import descendants
from tests.test_cohort import A, gradebook_points, grade_all, out

pytestmark = pytest.mark.sandbox

POINTS = {cell.grade_id: cell.points for cell in grade_cells(A)}


def reference(folder: Path) -> Path:
    return samples.write(samples.student_notebook(A), folder, A)


def command_line(pid: int) -> str:
    """A process's command line, and its name (a sandbox started warm runs with the zygote's command line
    and its own name: sandbox-kernel, sandbox-caller)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            line = handle.read().replace(b"\0", b" ").decode(errors="replace")
        with open(f"/proc/{pid}/comm") as handle:
            return f"{line} [{handle.read().strip()}]"
    except OSError:
        return ""


class Killer(threading.Thread):
    """SIGKILLs this process's descendants whose command line holds ``marker``, in ``times`` sweeps at most
    (None: until stopped), as an operator's kill or the kernel's OOM killer would, from outside every sandbox."""

    def __init__(self, marker: str, times: int | None = None, spare: tuple[int, ...] = ()):
        super().__init__(daemon=True)
        self.marker, self.times, self.spare = marker, times, set(spare)
        self.killed: list[str] = []
        self.sweeps = 0
        self.stopping = threading.Event()

    def run(self):
        while not self.stopping.is_set() and (self.times is None or self.sweeps < self.times):
            hit = False
            for pid in descendants(os.getpid()):  # one sweep: the sandbox's processes and what runs in them
                line = command_line(pid)
                if self.marker in line and pid not in self.spare:
                    try:
                        os.kill(pid, signal.SIGKILL)
                        self.killed.append(line)
                        hit = True
                    except OSError:
                        pass
            self.sweeps += hit
            time.sleep(0.02)

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stopping.set()
        self.join()


@pytest.fixture
def own_judge(monkeypatch):
    """A judge server of this test's own, so that breaking it leaves the worker's warm judge alone."""
    fresh = judge.WarmJudge()
    monkeypatch.setattr(judge, "WARM", fresh)
    monkeypatch.setattr(grader, "WARM", fresh)
    yield fresh
    if fresh.process is not None:
        fresh.process.kill()
        fresh.process.wait()


def assert_not_graded(report, cause: str):
    assert not report.graded, report.table()
    assert cause in report.fault, report.fault
    assert report.tests == [] and report.score == 0
    assert "NOT GRADED" in report.table() and "grader error, not the student's" in report.table()
    with pytest.raises(GraderFault):
        report.gradescope()  # no results.json can be made of it


def test_a_judge_that_cannot_import_grades_nothing(tmp_path, monkeypatch, own_judge):
    """The judge's Python has neither pytest nor the grader (as when a venv points at another checkout)."""
    bare = Path(sys.base_prefix) / "bin" / f"python{sys.version_info.major}.{sys.version_info.minor}"
    assert bare.is_file() and sys.prefix != sys.base_prefix  # the grader runs in a venv; the bare Python has none of it
    monkeypatch.setattr(judge, "_command", lambda *args: [str(bare), "-I", *args])
    report = grader.grade(reference(tmp_path / "s"), A, quick=True)
    assert_not_graded(report, "the judge failed")
    assert "No module named" in report.logs["judge.log"]


def test_a_judge_killed_from_outside_grades_nothing(tmp_path, own_judge):
    spare = (judge.WARM.process.pid,) if judge.WARM.process is not None else ()
    with Killer("autograder.judge", spare=spare) as killer:
        report = grader.grade(reference(tmp_path / "s"), A, quick=True)
    assert killer.killed, "no judge was killed"
    assert_not_graded(report, "the judge")


def test_the_cli_writes_no_results_and_exits_3_on_a_grader_fault(tmp_path):
    """A sandbox binary that fails every kernel it starts (it passes the availability check)."""
    results = tmp_path / "results.json"
    done = grade_cli(tmp_path, reference(tmp_path / "s"), failing_bwrap(tmp_path, fail_every=1), results)
    assert done.returncode == 3, done.stdout[-2000:] + done.stderr[-2000:]
    assert "NOT GRADED" in done.stdout and "the sandboxed kernel did not start" in done.stdout
    assert "Can't mount proc" in done.stderr  # the end of the grader's kernel log, for the instructor
    assert not results.exists()


def grade_cli(tmp_path, submission, bwrap, results):
    env = {**os.environ, BWRAP_ENV: str(bwrap), warm.ENV: "0"}  # every sandbox started by that bubblewrap
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "autograder",
            "grade",
            str(submission),
            "--assignment",
            A,
            "--quick",
            "--json",
            str(results),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def failing_bwrap(folder: Path, fail_every: int) -> Path:
    """A bubblewrap that fails the 1st, (1 + fail_every)th, ... kernel it is asked to start, as bwrap does when
    it cannot set a sandbox up, and runs everything else (the availability check, the caller) with the real one."""
    script = folder / "bwrap"
    count = folder / "kernel-starts"
    script.write_text(
        "#!/bin/bash\n"
        'case " $* " in\n'
        "  *ipykernel_launcher*)\n"
        f"    n=$(( $(cat {count} 2>/dev/null || echo 0) + 1 )); echo $n > {count}\n"
        f"    if (( (n - 1) % {fail_every} == 0 )); then\n"
        '      echo "bwrap: Can\'t mount proc on /newroot/proc: Device or resource busy" >&2; exit 1\n'
        "    fi;;\n"
        "esac\n"
        f'exec {bwrap_path()} "$@"\n'
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


def test_grade_all_retries_a_grader_fault_then_lists_it_and_keeps_the_earlier_score(tmp_path):
    """ada's kernel fails to start twice (her grading and its retry); bob, graded between them, is graded."""
    from tests.test_cohort import make_course

    course = make_course(tmp_path / "course", ["ada", "bob"])
    first = grade_all(course, "--workers", "1")
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    earlier = gradebook_points(course, "ada")
    assert earlier == POINTS
    record = (out(course) / "records" / "ada.json").read_bytes()
    page = (out(course) / "students" / "ada" / "feedback.html").read_bytes()

    # Both hand in again: ada a worse notebook, bob the reference. One worker grades ada, bob, then ada's retry.
    samples.write(samples.with_mistakes(A, "relu_returns_bool"), course / "submitted" / "ada", A)
    reference(course / "submitted" / "bob")
    bwrap = {BWRAP_ENV: str(failing_bwrap(tmp_path, fail_every=2)), warm.ENV: "0"}  # no warm start: that bwrap
    done = grade_all(course, "--workers", "1", **bwrap)
    assert done.returncode == 1, done.stdout[-3000:] + done.stderr[-3000:]
    assert "1 graded now, 0 unchanged and kept, 1 failed" in done.stdout
    assert "ada: grader error, not the student's (the sandboxed kernel did not start" in done.stdout
    assert "graded twice, nothing saved, an earlier score stays" in done.stdout
    assert gradebook_points(course, "ada") == earlier  # no zero, no new score: the earlier one stands
    assert (out(course) / "records" / "ada.json").read_bytes() == record
    assert (out(course) / "students" / "ada" / "feedback.html").read_bytes() == page  # the earlier grading's
    assert gradebook_points(course, "bob") == POINTS
    logs = out(course) / "logs" / "ada"
    assert "Can't mount proc" in (logs / "kernel.log.txt").read_text()
    assert stat.S_IMODE((logs / "kernel.log.txt").stat().st_mode) == 0o600


def test_a_first_submission_hit_by_a_grader_fault_gets_a_page_that_says_it_was_not_graded(tmp_path):
    """cy has no earlier grading, and every kernel fails to start: no score, no gradebook entry, and a feedback
    page that says the submission was not graded, in the edition cy submitted (Japanese)."""
    from tests.test_cohort import make_course

    course = make_course(tmp_path / "course", ["cy"])
    bwrap = {BWRAP_ENV: str(failing_bwrap(tmp_path, fail_every=1)), warm.ENV: "0"}
    done = grade_all(course, "--workers", "1", **bwrap)
    assert done.returncode == 1, done.stdout[-3000:] + done.stderr[-3000:]
    assert "cy: grader error, not the student's" in done.stdout
    page = (out(course) / "students" / "cy" / "feedback.html").read_text()
    assert '<html lang="ja">' in page and "採点されませんでした" in page, page[-2000:]
    assert not (out(course) / "students" / "cy" / "results.json").exists()
    assert not (out(course) / "records" / "cy.json").exists()


def test_a_caller_killed_from_outside_is_graded_again_and_keeps_its_points(tmp_path):
    """The host kills the caller once (as an operator, or the OOM killer, would): the grading runs again.
    relu is right but slow (0.3 s a call), so that the kill lands while the caller is still calling."""
    slow_relu = "import time\ndef relu(z):\n    time.sleep(0.3)\n    return np.maximum(z, 0)\n"
    notebook = samples.student_notebook(A, {"relu": slow_relu})
    marker = "[sandbox-caller]" if warm.enabled() else "caller.main"
    with Killer(marker, times=1) as killer:
        report = grader.grade(samples.write(notebook, tmp_path / "s", A), A, quick=True)
    assert killer.sweeps == 1 and any(marker in line for line in killer.killed)
    assert report.graded and report.score == sum(POINTS.values()), report.table()
    assert "graded again in a fresh sandbox, they ran undisturbed" in report.notes[0], report.notes
    assert any(name.startswith("first-") for name in report.logs)
    assert json.dumps(report.gradescope())  # a grade, with its results.json


SLOW_RELU = (  # honest, slow work: the kernel is running relu's cell when the neighbour needs memory
    "import time\ntime.sleep(12)\n\ndef relu(z):\n    return np.maximum(z, 0)\n"
)
# A neighbour that looks like another sandbox: many processes with the sandboxes' OOM score, each smaller
# than the honest kernel, so that the largest of them all, the one the OOM killer takes, is that kernel.
NEIGHBOUR = (
    "import os, time\n"
    "open('/proc/self/oom_score_adj', 'w').write('1000')  # as every sandboxed process\n"
    "for _ in range({processes}):\n"
    "    if os.fork() == 0:\n"
    "        held = bytearray(48 << 20)  # written through: resident\n"
    "        time.sleep(4)\n"
    "        os._exit(0)\n"
    "    time.sleep(0.05)\n"
    "time.sleep(60)\n"
)


def test_a_kernel_starved_by_a_neighbours_memory_is_a_grader_fault_not_a_zero(tmp_path):
    """Every sandboxed process has the highest OOM score, so under memory pressure the kernel's OOM killer
    ends a grading's kernel first, whoever caused the pressure: a neighbour's memory took an honest
    student's train_model to 0/4. Here the grading and a neighbour share a parent cgroup capped at 1.5 GB,
    the way gradings share a machine; the neighbour, 40 processes with the sandboxes' OOM score, takes
    1.9 GB for a few seconds while the kernel runs relu's slow, honest cell, and the kernel is the largest
    of them. (Before, the grader took the kill for the cell's own doing and ran the notebook again without
    that cell: relu's; here the pressure then ended the new kernel too, reported with the wrong cause.)
    The grading's own cgroup never reached its limit, so the grader reports the kill as its own fault:
    not graded, no results, exit 3, with the cause."""
    from autograder.host import memory_cgroup

    found = memory_cgroup._parent()
    assert found is not None, "this test needs a memory cgroup the grader may create (root, as on CI)"
    parent_folder, version = found
    shared = parent_folder / f"workbook-test-neighbours-{os.getpid()}"
    shared.mkdir()
    neighbour = grading = None
    try:
        (shared / ("memory.limit_in_bytes" if version == "v1" else "memory.max")).write_text(str(1536 << 20))
        if version == "v2":
            (shared / "cgroup.subtree_control").write_text("+memory")
        join = ["/bin/sh", "-c", 'echo $$ > "$0" && exec "$@"', str(shared / "cgroup.procs")]
        submission = samples.write(samples.student_notebook(A, {"relu": SLOW_RELU}), tmp_path / "s", A)
        results = tmp_path / "results.json"
        command = [sys.executable, "-m", "autograder", "grade", str(submission), "--assignment", A, "--quick"]
        grading = subprocess.Popen(
            join + command + ["--json", str(results)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # the grading's sandbox cgroup, with its kernel in it
            sandboxes = [g for g in shared.iterdir() if g.is_dir() and (g / "cgroup.procs").read_text().split()]
            if sandboxes:
                break
            time.sleep(0.1)
        assert sandboxes, "the grading's kernel never started"
        time.sleep(3)  # into relu's slow cell
        code = NEIGHBOUR.format(processes=40)  # 40 x 48 MB: past the shared cap while the kernel runs
        neighbour = subprocess.Popen(join + [sys.executable, "-c", code], start_new_session=True)
        stdout, stderr = grading.communicate(timeout=300)
        assert grading.returncode == 3, stdout[-3000:] + stderr[-3000:]
        assert "NOT GRADED" in stdout and "ran short of memory" in stdout, stdout[-3000:]
        assert not results.exists()
    finally:
        if neighbour is not None:
            try:
                os.killpg(neighbour.pid, signal.SIGKILL)
            except OSError:
                pass
            neighbour.wait()
        if grading is not None and grading.poll() is None:
            grading.kill()
            grading.wait()
        for _ in range(50):
            try:
                shared.rmdir()
                break
            except OSError:
                time.sleep(0.1)


@contextlib.contextmanager
def small_disk(folder: Path, size: str):
    """A tmpfs of ``size`` mounted on ``folder`` (root only): a disk that can really fill up."""
    folder.mkdir(parents=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(folder)])
    assert mounted.returncode == 0, "this test needs to mount a tmpfs (root, as on CI)"
    try:
        yield folder
    finally:
        subprocess.run(["umount", "--lazy", str(folder)], check=True)


def fill(disk: Path, leave: int) -> Path:
    """A filler file that takes all of ``disk``'s free room but ``leave`` bytes."""
    filler = disk / "filler"
    room = os.statvfs(disk)
    with open(filler, "wb") as handle:
        left = room.f_bavail * room.f_frsize - leave
        while left > 0:
            handle.write(b"\0" * min(left, 1 << 20))
            left -= 1 << 20
    room = os.statvfs(disk)
    assert room.f_bavail * room.f_frsize <= leave
    return filler


def test_a_full_disk_while_saving_writes_no_score_loses_nothing_and_the_rerun_grades_everyone(tmp_path):
    """The course on a small tmpfs, filled up but 192 KiB after a first grading: ada's new submission and cy's
    first one need more to save (their autograded notebooks alone are ~145 KB), gus's small results fit.
    ada and cy are listed as failed with the cause, and nothing of theirs changes: ada keeps her earlier
    score, results.json, feedback page, autograded notebook and record (before, the files written before the
    disk filled stayed: a results.json with a score the gradebook never got); cy gets no gradebook entry.
    gus is saved, bob kept. Once the filler is gone, the rerun grades ada and cy, and everyone has their
    own points, once."""
    import sqlite3

    from nbgrader.api import MissingEntry

    from tests.test_cohort import COHORT, _records, expected_points, make_course, stray_temp_files

    with small_disk(tmp_path / "disk", "8m") as disk:
        course = make_course(disk / "course", ["bob"])
        samples.write(samples.with_mistakes(A, "relu_returns_bool"), course / "submitted" / "ada", A)
        first = grade_all(course, "--workers", "1")
        assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
        earlier = gradebook_points(course, "ada")
        assert earlier == expected_points("cy")  # relu_returns_bool's points
        ada = {
            path: path.read_bytes()
            for path in (
                out(course) / "records" / "ada.json",
                out(course) / "students" / "ada" / "results.json",
                out(course) / "students" / "ada" / "feedback.html",
                course / "autograded" / "ada" / A / f"{A}.ipynb",
            )
        }

        for student in ("ada", "cy", "gus"):  # ada hands in the finished work; cy and gus their first
            COHORT[student][0](course / "submitted" / student)
        filler = fill(disk, leave=192 << 10)
        done = grade_all(course, "--workers", "1")
        assert done.returncode == 1, done.stdout[-3000:] + done.stderr[-3000:]
        assert "1 graded now, 1 unchanged and kept, 2 failed" in done.stdout, done.stdout[-3000:]
        for student in ("ada", "cy"):
            assert f"{student}: saving the results failed (OSError: [Errno 28] No space left on device)" in done.stdout
        assert gradebook_points(course, "ada") == earlier  # no zero, no new score: the earlier one stands
        assert all(path.read_bytes() == data for path, data in ada.items())
        with pytest.raises(MissingEntry):
            gradebook_points(course, "cy")
        assert not (out(course) / "students" / "cy" / "results.json").exists()
        assert not (out(course) / "students" / "cy" / "feedback.html").exists()
        assert not (course / "autograded" / "cy" / A / f"{A}.ipynb").exists()
        assert set(_records(course)) == {"ada", "bob", "gus"}
        assert gradebook_points(course, "gus") == expected_points("gus")
        assert not stray_temp_files(course) and not (course / "gradebook.db-journal").exists()
        connection = sqlite3.connect(course / "gradebook.db")
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        connection.close()

        filler.unlink()
        again = grade_all(course, "--workers", "1")
        assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
        assert "2 graded now, 2 unchanged and kept, 0 failed" in again.stdout, again.stdout[-3000:]
        students = ["ada", "bob", "cy", "gus"]
        for student in students:
            assert gradebook_points(course, student) == expected_points(student), student
        with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
            assert sorted(s.student_id for s in gradebook.assignment_submissions(A)) == students
        assert sorted(_records(course)) == students
        assert not stray_temp_files(course)
