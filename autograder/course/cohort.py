"""Grade a whole cohort: every submission of an assignment, in parallel, into nbgrader's gradebook.

The main process finds the submissions in nbgrader's
``submitted/<student>/<assignment>/`` layout, skips those already graded
unchanged, and hands the rest to workers: a local pool of processes, or a
Dask cluster (a ``LocalCluster``, or a scheduler's address). A worker
receives the notebooks' bytes, not a path, so it needs no shared disk; it
grades them with ``autograder.host.grader.grade`` (sandbox, limits and all) and
sends back the report. Only the main process writes: the gradebook (SQLite
wants one writer), nbgrader's autograded/ folder, and under ``out``

    records/<student>.json            everything, hidden-case detail included: the instructor's
    students/<student>/results.json   Gradescope's format: safe to hand out
    students/<student>/feedback.html  the student's feedback page: safe to hand out
    cohort.csv, report.html           the cohort (report.html: what to reteach, from items.py)
    items.csv                         the item analysis: failing cases per exercise, with the students
    leaderboard.html, .csv            training lessons: ranked under pseudonyms, no student id (leaderboard.py)

Every file is written whole (autograder.course.files); a student's files are
all written before the gradebook takes the grades, and put in place after it,
so a failed save (a full disk) changes none of them. A student's record is
put in place last, and it carries the fingerprint of what was graded: the
submission's bytes and the grader's own code, notebook and settings. So an
interrupted run leaves nothing half-done, and the next run regrades exactly
the submissions without a current record.
"""

from __future__ import annotations

import contextlib
import fcntl
import glob
import json
import os
import signal
import sys
import threading
import time
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path

from autograder import i18n
from autograder.course import feedback, gradebook, items, leaderboard
from autograder.host import heldout, repair
from autograder.data import REPO_ROOT
from autograder.i18n import N_, _
from autograder.course.files import remove_stale_temps, staged, write_atomic
from autograder.course.report import Report, unscored
from autograder.course.discovery import (
    MAX_SHIPPED_BYTES,
    Submission,
    discover,
    fingerprint,
    grader_fingerprint,
    submission_digest,
    submission_files,
)
from autograder.course.export import cohort_csv, csv_text, report_dict
from autograder.course.pools import DaskPool, LocalPool, WorkerUnfit, make_pool
from autograder.course.progress import Progress
from autograder.host.worker import (
    MAX_NOTEBOOK_BYTES,
    Options,
)


# ------------------------------------------------------------ what to grade


# ------------------------------------------------------------- the workers


# ------------------------------------------------------------- the results


@dataclass
class Outcome:
    """What happened to one submission in this run."""

    student: str
    state: str  # graded | unchanged | failed (the grader could not produce a result)
    record: dict | None = None
    reason: str = ""


class Cohort:
    """One assignment's submissions, their results folder and the course's gradebook."""

    def __init__(
        self,
        assignment: str,
        course: Path = REPO_ROOT,
        submitted: Path | None = None,
        out: Path | None = None,
        options: Options | None = None,
    ):
        if assignment not in repair.assignments():
            raise ValueError(f"unknown assignment {assignment!r}; known: {', '.join(repair.assignments())}")
        self.assignment = assignment
        self.coursedir = gradebook.course(course)
        root = Path(self.coursedir.root)
        self.submitted = (
            Path(submitted)
            if submitted
            else Path(self.coursedir.format_path(self.coursedir.submitted_directory, ".", ".")).resolve()
        )
        self.out = Path(out) if out else root / "grades" / assignment
        self.options = options or Options()
        if self.options.secret is None:  # the course's own, which the workers get with the options
            self.options = replace(self.options, secret=heldout.course_secret(root))

    def record_path(self, student: str) -> Path:
        return self.out / "records" / f"{student}.json"

    def student_folder(self, student: str) -> Path:
        return self.out / "students" / student

    def previous(self, student: str) -> dict | None:
        try:
            return json.loads(self.record_path(student).read_text())
        except (OSError, ValueError):
            return None

    def plan(self, force: bool = False) -> tuple[list[Submission], list[Outcome]]:
        """The submissions to grade now, and those whose current record stands.

        With ``options.only`` every submission is graded: in part where its
        record can keep the other scores (the same files, graded without
        error), in full where it has none.
        """
        grader = grader_fingerprint(self.assignment, self.options)
        in_gradebook = gradebook.recorded_scores(self.coursedir, self.assignment)
        todo, unchanged = [], []
        for student, folder in discover(self.submitted, self.assignment):
            submission = Submission(student, folder, fingerprint(folder, grader))
            record = self.previous(student)
            if self.options.only is not None:
                if record and not record["report"]["error"] and record.get("submission") == submission_digest(folder):
                    submission.previous = record
                todo.append(submission)
                continue
            # The gradebook must still hold the record's grades: it may have been reset, restored or overwritten.
            if (
                not force
                and record
                and record.get("fingerprint") == submission.fingerprint
                and in_gradebook.get(student) == {t["grade_id"]: t["score"] for t in record["report"]["tests"]}
            ):
                unchanged.append(Outcome(student, "unchanged", record))
            else:
                todo.append(submission)
        return todo, unchanged

    def job(self, submission: Submission) -> dict | Report:
        """The worker's job, or at once a 0-point report for a submission no worker should receive."""
        files, total = {}, 0
        paths = submission_files(submission.folder)
        # Only the assignment's notebook (and nbgrader's timestamp) travels, when it is there under its
        # name; otherwise every notebook, so that the worker can find it by its cells (a renamed file).
        if any(p.name == f"{self.assignment}.ipynb" for p in paths):
            paths = [p for p in paths if p.name in (f"{self.assignment}.ipynb", "timestamp.txt")]
        cells = repair.grade_cells(self.assignment)
        for path in paths:
            size = path.stat().st_size
            total += size
            if size > MAX_NOTEBOOK_BYTES:
                return unscored(
                    str(submission.folder),
                    self.assignment,
                    cells,
                    f"not graded: {path.name} is {size / 2**20:.0f} MB, over the "
                    f"{MAX_NOTEBOOK_BYTES // 2**20} MB a submitted notebook may have",
                    0.0,
                )
            if total > MAX_SHIPPED_BYTES:
                return unscored(
                    str(submission.folder),
                    self.assignment,
                    cells,
                    f"not graded: the submission's notebooks come to more than {MAX_SHIPPED_BYTES // 2**20} "
                    f"MB together; submit only {self.assignment}.ipynb",
                    0.0,
                )
            files[path.name] = repair.read_regular_file(path)
        return {
            "student": submission.student,
            "assignment": self.assignment,
            "files": files,
            "origin": str(submission.folder),
            "options": self.options,
            "only": list(self.options.only) if submission.previous is not None else None,
        }

    def save(self, submission: Submission, report: Report, worker: str) -> dict:
        """Every output for one student; the record goes last, so it is there only if all the rest is."""
        now = datetime.now(timezone.utc).isoformat(timespec="seconds")
        record = {
            "student": submission.student,
            "assignment": self.assignment,
            "fingerprint": submission.fingerprint,
            "submission": submission_digest(submission.folder),
            "graded_at": now,
            "mode": self.options.mode,
            "sandbox": self.options.sandbox,
            "worker": worker,
        }
        if submission.previous is not None and report.not_graded:  # --only: join the earlier grading
            earlier = submission.previous
            regraded = {"functions": [t["function"] for t in report.tests], "at": now}
            report = joined(earlier, report)
            # The other scores still come from the earlier grading: a later full run judges by its fingerprint.
            record.update(
                fingerprint=earlier["fingerprint"],
                graded_at=earlier["graded_at"],
                regraded=[*earlier.get("regraded", []), regraded],
            )
        record["report"] = report_dict(report)
        if report.logs:  # untrusted checks: the evidence stays beside the results
            record["logs"] = str(self.keep_logs(submission.student, report.logs))
        folder = self.student_folder(submission.student)
        # Every file is written (under a temporary name) before the gradebook commits, and put in place only
        # after it: a full disk, or a gradebook that cannot take the grades, leaves the student as they were.
        with staged() as files, staged() as last:
            files.write_json(folder / "results.json", report.gradescope())
            page = feedback.student_html(record, report.notebook, language=report.language)
            files.write(folder / "feedback.html", page)
            last.write_json(self.record_path(submission.student), record, mode=0o600)  # hidden-case detail
            gradebook.save(self.coursedir, self.assignment, submission.student, report, submission.folder, files)
            last.commit()
        return record

    def remove_stale_temps(self) -> None:
        """The temporary files of a save that a killed run left half-done, in the results folder and the
        assignment's autograded/ folders (only a run that holds the results folder's lock may call this)."""
        remove_stale_temps(self.out)
        pattern = self.coursedir.format_path(self.coursedir.autograded_directory, "*", glob.escape(self.assignment))
        for folder in glob.glob(pattern):
            remove_stale_temps(Path(folder))

    def not_graded_page(self, student: str, report: Report) -> None:
        """After a grader fault: a feedback page that says the submission was not graded, for a student who
        has none yet (an earlier grading's page stays, with the score that stays in the gradebook)."""
        folder = self.student_folder(student)
        if (folder / "feedback.html").exists():
            return
        with i18n.using(report.language if report.language in i18n.LANGUAGES else None):
            reason = _(NOT_GRADED)
        record = {"student": student, "assignment": self.assignment, "mode": self.options.mode}
        record["report"] = {"error": reason, "language": report.language}
        write_atomic(folder / "feedback.html", feedback.student_html(record, None, language=report.language))

    def keep_logs(self, student: str, logs: dict[str, str]) -> Path | None:
        """The grader's logs of a grading that ended in a grader fault or untrusted checks, where the
        instructor reads them (logs/<student>/, readable by the owner only: they may quote student output)."""
        if not logs:
            return None
        folder = self.out / "logs" / student
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        for name, text in logs.items():
            write_atomic(folder / f"{name}.txt", text, mode=0o600)
        return folder

    def summarise(self, records: list[dict], language: str = "en") -> None:
        """The cohort's files, report.html's texts in ``language`` (the CSV files' columns are names: untranslated)."""
        write_atomic(self.out / "cohort.csv", cohort_csv(records, self.assignment))
        write_atomic(self.out / "items.csv", items.analyse(records, self.assignment).csv())
        write_atomic(self.out / "report.html", feedback.cohort_html(records, self.assignment, language=language))
        if leaderboard.training_functions(self.assignment):
            names = leaderboard.pseudonyms(self.pseudonyms_path, self.options.secret, [r["student"] for r in records])
            boards = leaderboard.boards(records, self.assignment, names)
            write_atomic(self.out / "leaderboard.csv", leaderboard.board_csv(boards))
            write_atomic(self.out / "leaderboard.html", leaderboard.board_html(boards, self.assignment))

    @property
    def pseudonyms_path(self) -> Path:
        """The course's student -> pseudonym map, one for all its leaderboards."""
        return Path(self.coursedir.root) / "grades" / leaderboard.PSEUDONYMS


def joined(previous: dict, partial: Report) -> Report:
    """``partial`` (a grading of some functions) with the earlier record's scores for the rest."""
    earlier = previous["report"]
    new = {t["grade_id"]: t for t in partial.tests}
    tests = [new.get(t["grade_id"], t) for t in earlier["tests"]]
    names = ", ".join(t["function"] for t in partial.tests)
    notes = [
        f"{names} regraded on {datetime.now(timezone.utc):%Y-%m-%d} (--only); the other scores are from "
        f"the grading of {previous['graded_at'][:10]}"
    ]
    notes += [f"regrading failed: {partial.error}"] if partial.error else []
    notes += [note for note in partial.notes + earlier["notes"] if note not in notes]
    return Report(
        partial.submission,
        partial.assignment,
        tests,
        notes,
        None,
        partial.seconds,
        partial.notebook,
        language=partial.language,
    )


# ----------------------------------------------------------------- the run
@dataclass
class Summary:
    outcomes: list[Outcome]
    seconds: float
    workers: str
    interrupted: bool = False

    def count(self, state: str) -> int:
        return sum(o.state == state for o in self.outcomes)

    @property
    def records(self) -> list[dict]:
        return [o.record for o in self.outcomes if o.record]

    def text(self, cohort: Cohort) -> str:
        graded = [o for o in self.outcomes if o.state == "graded"]
        lines = [
            f"{cohort.assignment}: {len(graded)} graded now, {self.count('unchanged')} unchanged and kept, "
            f"{self.count('failed')} failed, in {self.seconds:.0f} s" + (f" on {self.workers}" if self.workers else "")
        ]
        if graded and self.seconds > 0:
            lines[0] += f" ({60 * len(graded) / self.seconds:.1f} submissions per minute)"
        ungradable = [o for o in self.outcomes if o.record and o.record["report"]["error"]]
        if ungradable:
            lines.append("not gradable (0 points, with the reason in their feedback):")
            lines += [f"  {o.student}: {o.record['report']['error']}" for o in ungradable]
        failed = [o for o in self.outcomes if o.state == "failed"]
        if failed:
            lines.append("failed (nothing saved; run again to retry):")
            lines += [f"  {o.student}: {o.reason}" for o in failed]
        if not self.interrupted and self.outcomes:
            lines.append(f"gradebook: {cohort.coursedir.db_url}")
            lines.append(
                f"results: {cohort.out / 'cohort.csv'}, {cohort.out / 'report.html'} (item analysis: "
                f"{cohort.out / 'items.csv'}), and per student {cohort.out / 'students'}/<student>/ "
                "(results.json, feedback.html)"
            )
            if leaderboard.training_functions(cohort.assignment):
                lines.append(
                    f"leaderboard (pseudonyms only, publishable): {cohort.out / 'leaderboard.html'}, "
                    f"{cohort.out / 'leaderboard.csv'}; pseudonyms: {cohort.pseudonyms_path}"
                )
        return "\n".join(lines)


class CohortBusy(RuntimeError):
    """Another run is grading into the same results folder."""


@contextlib.contextmanager
def _exclusive(out: Path):
    out.mkdir(parents=True, exist_ok=True)
    with open(out / ".lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise CohortBusy(f"another grade-all is grading into {out}; wait for it to finish") from None
        yield


def grade_all(
    cohort: Cohort, pool=None, workers: int | None = None, force: bool = False, stream=None, language: str = "en"
) -> Summary:
    """Grade every changed submission of ``cohort`` on ``pool`` (a local pool of ``workers`` by default);
    the cohort report (report.html) in ``language``, each student's feedback page in their report's.

    Raises WorkerUnfit, before grading anything, when a worker cannot sandbox student code or runs other
    grading code, and CohortBusy when another run is grading the same results folder. An interruption
    (KeyboardInterrupt, or SIGTERM made into one) ends the run with everything finished so far saved:
    the summary says ``interrupted``.
    """
    started = time.perf_counter()
    stream = stream or sys.stderr
    with _exclusive(cohort.out):
        cohort.remove_stale_temps()
        todo, outcomes = cohort.plan(force)
        if outcomes:
            print(
                f"{len(outcomes)} submission{'s' if len(outcomes) != 1 else ''} unchanged since their last "
                "grading: kept (--force regrades them)",
                file=stream,
            )
        own_pool = pool is None and bool(todo)
        if own_pool:
            pool = LocalPool(workers or os.cpu_count() or 1)
        interrupted, described = False, ""
        try:
            if todo:
                problems = pool.check_workers(cohort.options.sandbox)
                if problems:
                    raise WorkerUnfit("; ".join(f"worker {where}: {why}" for where, why in problems.items()))
                gradebook.ensure_assignment(cohort.coursedir, cohort.assignment)
                described = pool.describe()
                print(
                    f"grading {len(todo)} submission{'s' if len(todo) != 1 else ''} of {cohort.assignment} "
                    f"({cohort.options.mode} mode) on {described}",
                    file=stream,
                    flush=True,
                )
                if cohort.options.only is not None:
                    part = sum(s.previous is not None for s in todo)
                    print(
                        f"only {', '.join(cohort.options.only)} (--only): {part} submission{'s' if part != 1 else ''} "
                        f"regraded in part, keeping their other scores; {len(todo) - part} graded in full (no "
                        "earlier grading of the same files, or it could not run them)",
                        file=stream,
                        flush=True,
                    )
                _run(cohort, pool, todo, stream, outcomes)
            cohort.summarise([o.record for o in outcomes if o.record], language=language)
        except KeyboardInterrupt:
            interrupted = True
            print(
                "\ninterrupted: every submission reported above is saved; run the same command again to grade the rest",
                file=stream,
            )
        finally:
            if own_pool:
                pool.close(interrupted)
    return Summary(sorted(outcomes, key=lambda o: o.student), time.perf_counter() - started, described, interrupted)


def _line(student: str, report: dict) -> str:
    if report["error"]:
        return f"{student}: not gradable: {report['error']}"
    return f"{student}: {report['score']:g} / {report['max_score']:g} points ({report['seconds']:.0f} s)"


def _failed(student: str, stage: str, error: BaseException) -> Outcome:
    return Outcome(
        student,
        "failed",
        None,
        f"{stage} failed ({type(error).__name__}: {str(error)[:300]}); "
        "nothing of it was recorded, so the next run tries again",
    )


# What a student's feedback page says after a grader fault (the cause is the instructor's: in the run's output).
NOT_GRADED = N_(
    "The grader failed on this submission, not your work: it was not graded, and no score was recorded for "
    "it. Your instructor will have it graded again."
)
SAVE_TIMEOUT = 120.0  # seconds to save one student's results; past it, that student fails and the rest go on


class SaveTimeout(Exception):
    pass


@contextlib.contextmanager
def time_limit(seconds: float):
    """Raise SaveTimeout in the main thread after ``seconds`` (elsewhere, no limit: signals need it)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def on_alarm(signum, frame):
        raise SaveTimeout(f"it took longer than {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _run(cohort: Cohort, pool, todo: list[Submission], stream, outcomes: list[Outcome]) -> None:
    """Grade ``todo``, appending each student's outcome to ``outcomes`` as soon as it is saved."""
    progress = Progress(len(todo), stream)

    def finish(submission: Submission, report: Report, worker: str) -> None:
        try:
            with time_limit(SAVE_TIMEOUT):
                record = cohort.save(submission, report, worker)
        except Exception as error:  # a locked gradebook, a full disk, a save past its limit: this student only
            outcome = _failed(submission.student, "saving the results", error)
            outcomes.append(outcome)
            progress.done(f"{submission.student}: {outcome.reason}", failed=True)
            return
        outcomes.append(Outcome(submission.student, "graded", record))
        progress.done(_line(submission.student, record["report"]))

    def fault(submission: Submission, report: Report) -> None:
        try:  # the evidence and the student's page; a full disk must not stop the run (the cause is printed)
            logs = cohort.keep_logs(submission.student, report.logs)
            cohort.not_graded_page(submission.student, report)
        except OSError:
            logs = None
        outcome = Outcome(
            submission.student,
            "failed",
            None,
            f"grader error, not the student's ({report.fault}); graded twice, nothing saved, an earlier score "
            "stays; run again once the cause is fixed" + (f"; the grader's logs: {logs}" if logs else ""),
        )
        outcomes.append(outcome)
        progress.done(f"{submission.student}: {outcome.reason}", failed=True)

    pending, retried, faulted = {}, set(), set()
    try:
        for submission in todo:
            try:
                job = cohort.job(submission)
            except Exception as error:  # unreadable, or removed since the plan
                outcomes.append(_failed(submission.student, "reading the submission", error))
                progress.done(f"{submission.student}: {outcomes[-1].reason}", failed=True)
                continue
            if isinstance(job, Report):  # decided without a worker
                finish(submission, job, "main process")
                continue
            pending[pool.submit(job)] = (submission, job)
        while pending:
            resubmit = []
            for future in pool.as_completed(list(pending)):
                submission, job = pending.pop(future)
                try:
                    result = future.result()
                except Exception as error:
                    if submission.student not in retried and pool.lost_worker(error):
                        retried.add(submission.student)
                        resubmit.append((submission, job))
                        continue
                    outcomes.append(_failed(submission.student, "the grader", error))
                    progress.done(f"{submission.student}: {outcomes[-1].reason}", failed=True)
                    continue
                if not result["report"].graded:  # a grader fault is never a grade: once more, then reported
                    if submission.student not in faulted:
                        faulted.add(submission.student)
                        pending[pool.submit(job)] = (submission, job)
                    else:
                        fault(submission, result["report"])
                    continue
                finish(submission, result["report"], result["worker"])
            if resubmit:  # a worker died and took the pool with it: its jobs go again, once, to a fresh one
                pool.restart()
                for submission, job in resubmit:
                    pending[pool.submit(job)] = (submission, job)
    finally:
        progress.close()


# What callers of grade-all use from here, wherever it is defined.
__all__ = [
    "Cohort",
    "CohortBusy",
    "DaskPool",
    "LocalPool",
    "Options",
    "Outcome",
    "Submission",
    "Summary",
    "WorkerUnfit",
    "cohort_csv",
    "csv_text",
    "grade_all",
    "make_pool",
    "submission_files",
]
