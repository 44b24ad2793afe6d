"""Grade one submission: repair, execute in a sandboxed kernel, judge in a clean process."""

from __future__ import annotations

import json
import tempfile
import time
from dataclasses import replace
from functools import lru_cache
from pathlib import Path

import numpy as np

from autograder.host import heldout, repair, runner
from autograder.judge.exercises import exercises_for, needs_torch
from autograder.judge import WARM, JudgeFailed, run_judge
from autograder.course.report import Report, fault_report, log_tails, unscored
from autograder.host.sandbox import Limits, SandboxUnavailable, check_available
from autograder.host.sandbox import make as make_sandbox
from autograder import i18n
from autograder.i18n import _
from autograder.targets import KERNEL_ENV, QUICK_ENV, grading_device

__all__ = ["grade", "find_notebook", "select", "Limits", "SandboxUnavailable"]


def select(assignment: str, only) -> list[repair.GradeCell]:
    """The grade cells of ``assignment`` to grade: all, or those of the functions named in ``only``.

    Raises ValueError naming the unknown functions, with the known ones.
    """
    cells = repair.grade_cells(assignment)
    if only is None:
        return cells
    wanted = {name.strip() for name in only if name.strip()}
    unknown = wanted - {cell.function for cell in cells}
    if unknown or not wanted:
        raise ValueError(
            f"{assignment} has no graded function {', '.join(sorted(unknown)) or '(none named)'}; "
            f"its graded functions are {', '.join(cell.function for cell in cells)}"
        )
    return [cell for cell in cells if cell.function in wanted]


def cells_left_out(notebook, trainings_not_graded: set[str]) -> set[int]:
    """Cells a partial grading need not run, by index in the repaired notebook.

    The test cell of a training exercise that is not graded trains a network,
    so it is left out, and so is every later cell that holds neither a
    solution nor a test: the lesson's plots of that network would only fail.
    Earlier cells all run (a lesson cell may define something a solution uses).
    """
    skipped, after = set(), False
    for index, cell in enumerate(notebook.cells):
        meta = repair.nbgrader_meta(cell)
        cid = repair.grade_id(cell)
        if meta.get("grade") and cid and cid[len("test_") :] in trainings_not_graded:
            skipped.add(index)
            after = True
        elif after and cell.cell_type == "code" and not meta.get("solution") and not meta.get("grade"):
            skipped.add(index)
    return skipped


@lru_cache(maxsize=None)
def _test_ids(assignment: str) -> frozenset[str]:
    return frozenset(cell.grade_id for cell in repair.grade_cells(assignment))


def assignment_of(path: Path) -> str | None:
    """The assignment a notebook's content belongs to: the one whose test cells it holds the most of.

    None when that is not one assignment alone, or the file cannot be read as a notebook.
    """
    try:
        ids = {repair.grade_id(cell) for cell in repair.read(path).cells}
    except Exception:  # unreadable, not a notebook, malformed cells: the name must decide
        return None
    shared = {name: len(ids & _test_ids(name)) for name in repair.assignments()}
    best = max(shared.values(), default=0)
    found = [name for name, count in shared.items() if count == best]
    return found[0] if best and len(found) == 1 else None


def find_notebook(submission: Path, assignment: str | None) -> tuple[Path, str]:
    """The notebook to grade and its assignment, from a file or an nbgrader folder.

    LMS downloads and browsers rename files (``yamada_12345_02_activations.ipynb``,
    ``02_activations (1).ipynb``, ``submission.ipynb``), so the notebook's own
    test cells say which assignment it is; its name decides only when they
    do not (an empty or unreadable file, or a folder with several copies).
    """
    known = repair.assignments()
    if submission.is_dir():
        candidates = sorted(p for p in submission.glob("*.ipynb") if not p.is_symlink())
        by_content = {p: assignment_of(p) for p in candidates}
        matching = [p for p in candidates if by_content[p] and by_content[p] == (assignment or by_content[p])]
        if len({by_content[p] for p in matching}) == 1:  # one assignment; of several copies, the one named after it
            found = by_content[matching[0]]
            return next((p for p in matching if p.stem == found), matching[0]), found
        named = [p for p in candidates if p.stem in ([assignment] if assignment else known)]
        if named:
            return named[0], named[0].stem
        if len(candidates) == 1 and (assignment or submission.name in known):
            return candidates[0], assignment or submission.name
        raise repair.NotANotebook(
            _("{submission} holds no notebook of a known assignment (found: {found}; known: {known})").format(
                submission=submission,
                found=_(", ").join(p.name for p in candidates) or _("no .ipynb files"),
                known=_(", ").join(known),
            )
        )
    chosen = (
        assignment
        or (None if submission.is_symlink() else assignment_of(submission))
        or next((name for name in (submission.stem, submission.parent.name) if name in known), None)
    )
    if chosen is None:
        raise repair.NotANotebook(
            _(
                "cannot tell which assignment {name} belongs to: its cells are not those of one "
                "assignment; name it after one of {known} or pass --assignment"
            ).format(name=submission.name, known=_(", ").join(known))
        )
    return submission, chosen


HELD_OUT = "held-out-images.npy"  # the test images changed by the course's secret, for the judge (results folder)
EDITION_READ_LIMIT = 64 * 1024 * 1024  # bytes of a submitted notebook read to learn its language


def edition_of(path: Path) -> str:
    """The language of a submitted notebook (its edition's ``workbook.language``, i18n.notebook_language):
    English when it cannot be read, which the grading itself then reports."""
    try:
        if not path.is_symlink() and path.is_file() and path.stat().st_size <= EDITION_READ_LIMIT:
            return i18n.notebook_language(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        pass
    return i18n.SOURCE_LANGUAGE


def grade(
    submission: Path,
    assignment: str | None = None,
    cell_timeout: float | None = None,
    quick: bool = False,
    sandbox: bool = True,
    limits: Limits | None = None,
    only=None,
    secret: str | None = None,
    lang: str | None = None,
) -> Report:
    """Grade one notebook (or an nbgrader submission folder holding one), with every message in ``lang``
    (i18n.LANGUAGES), by default the language of the edition submitted: that of the notebook find_notebook
    picks (``edition_of``).

    The rest is ``_grade``'s."""
    if sandbox:
        check_available()  # refuse before touching the submission: no silent fallback
    submission = Path(submission)
    with i18n.using(i18n.checked(lang) if lang is not None else None):
        try:
            found = find_notebook(submission, assignment)
        except (repair.NotANotebook, OSError) as error:  # reported by _grade, in the language asked for
            found = error
    if lang is not None:
        language = lang
    else:
        language = edition_of(found[0]) if isinstance(found, tuple) else i18n.SOURCE_LANGUAGE
    with i18n.using(language):
        report = _grade(submission, found, assignment, cell_timeout, quick, sandbox, limits, only, secret, language)
        if report.disturbed:
            # The caller ended before it finished: from inside the sandbox (an attack), or from outside it (the
            # host killed it, the machine was starved). Once more, in a fresh sandbox, before that verdict stands.
            again = _grade(submission, found, assignment, cell_timeout, quick, sandbox, limits, only, secret, language)
            report = _second_grading(report, again)
    report.language = language
    return report


def _second_grading(first: Report, second: Report) -> Report:
    """The verdict after a grading whose checks were disturbed (``first``) was graded once more (``second``)."""
    second.logs = {**{f"first-{name}": text for name, text in first.logs.items()}, **second.logs}
    second.seconds += first.seconds
    if second.fault:  # the second grading could not run at all: no grade either way
        return second
    if not second.disturbed:
        # Clean the second time: the first run's trouble was not the submission's, and the second run is the grade.
        second.notes.insert(
            0,
            _(
                "the grader's checks were disturbed {when} (its caller process ended early); graded again in a "
                "fresh sandbox, they ran undisturbed, so this grade is that second grading's"
            ).format(when=first.disturbed),
        )
        return second
    # Disturbed again, in a fresh sandbox: the submission's own doing. The zeros stand, with both runs' evidence.
    second.notes.insert(
        0,
        _(
            "graded twice, each time in a fresh sandbox, and both times the grader's checks were disturbed: "
            "the zeros stand"
        ),
    )
    return second


def _grade(
    submission: Path,
    found,
    assignment: str | None,
    cell_timeout: float | None,
    quick: bool,
    sandbox: bool,
    limits: Limits | None,
    only,
    secret: str | None,
    language: str,
) -> Report:
    """Grade one notebook (or an nbgrader submission folder holding one): ``found`` is find_notebook's
    (notebook, assignment), or the error it raised.

    ``quick`` trains on a subset and scores against the quick targets of
    autograder.targets; the report says so. ``sandbox=False`` runs the
    kernel without bubblewrap, for trusted work only; otherwise a machine
    without bubblewrap raises SandboxUnavailable, which says how to install
    it. ``limits`` (autograder.host.sandbox.Limits) sets memory, time and output
    limits; ``cell_timeout``, when given, overrides its per-cell limit.
    ``secret`` is the course's (autograder.host.heldout): by default the one of
    the workbook's own folder.
    """
    limits = limits or Limits()
    if cell_timeout is not None:
        limits = replace(limits, cell_timeout=cell_timeout)
    started = time.perf_counter()
    try:
        if isinstance(found, Exception):
            raise found
        path, assignment = found
        if assignment not in repair.assignments():
            raise repair.NotANotebook(_("unknown assignment {assignment!r}").format(assignment=assignment))
        try:
            repaired = repair.repair(repair.read(path), assignment)
        except (repair.NotANotebook, OSError):
            raise
        except Exception as error:  # malformed cells: nbformat accepts more than repair can use
            raise repair.NotANotebook(
                _("{name} has malformed cells ({error_type}: {error})").format(
                    name=path.name, error_type=type(error).__name__, error=error
                )
            ) from None
    except (repair.NotANotebook, OSError) as error:
        known = assignment in repair.assignments()
        cells = select(assignment, only) if known else []
        return unscored(
            str(submission),
            assignment,
            cells,
            _("not graded: {error}").format(error=error),
            time.perf_counter() - started,
            not_graded=_not_graded(assignment, cells) if known else [],
        )

    cells = select(assignment, only)
    not_graded = _not_graded(assignment, cells)
    exercises = [exercises_for(assignment)[cell.function] for cell in cells]
    trainings = [e for e in exercises if e.trains]
    left_out = cells_left_out(
        repaired.notebook, {name for name in not_graded if exercises_for(assignment)[name].trains}
    )
    # Only a target with a GPU budget needs to know (and to import torch to ask).
    device = grading_device() if any(t.target(quick).gpu_budget_s for t in trainings) else "cpu"
    limits = replace(limits, gpu=device == "cuda")  # the GPU's devices for this lesson's sandboxes only
    env = {**KERNEL_ENV, QUICK_ENV: "1" if quick else "0", i18n.ENV: language}  # the kernel's plots and words
    WARM.prestart()  # the judge imports torch while the kernel runs, not after
    with tempfile.TemporaryDirectory(prefix="grade-") as tmp:
        workdir = Path(tmp)
        results = workdir / "results"  # the grader's own: the kernel never sees it
        torch = needs_torch(assignment)
        with make_sandbox(workdir, limits, env, enabled=sandbox, hide=() if torch else ("torch",)) as host:
            # The grader trains (runner.plan_calls: each training function is called by the caller, within its
            # budget); the judge scores the weights on the test images changed by the course's secret.
            if trainings:
                results.mkdir(parents=True, exist_ok=True)
                np.save(results / HELD_OUT, heldout.test_images(secret or heldout.course_secret()))
            execution = runner.execute(
                repaired.notebook,
                host,
                exercises,
                results,
                limits,
                left_out=left_out,
                torch=torch,
                quick=quick,
                device=device,
            )
            execution.notes += host.notes
        logs = log_tails(workdir / name for name in ("kernel.log", "caller.log"))
        if execution.fault:  # the grader failed before anything could be judged: no grade at all
            return fault_report(
                str(submission),
                assignment,
                execution.fault,
                time.perf_counter() - started,
                not_graded=not_graded,
                logs=logs,
            )
        context = {
            "assignment": assignment,
            "failure": execution.failure,
            "missing_solutions": repaired.missing_solutions,
            "quick": quick,
            "only": [cell.function for cell in cells] if not_graded else None,
            "cell_errors": execution.errors_by_grade_id,
            "collected": execution.collected,
            "outcomes": execution.outcomes,
            "cell_seconds": execution.cell_seconds,
            "call_seconds": execution.call_seconds,
            "held_out": HELD_OUT if trainings else None,  # in the results folder: the changed test images
            "device": device,  # which training budget applied (a GPU's or a CPU's)
            "language": language,  # of the judge's messages
        }
        try:
            tests = run_judge(assignment, results, context)
        except JudgeFailed as error:  # a grader fault: no grade; the batch goes on
            return fault_report(
                str(submission),
                assignment,
                _("the judge failed: {error}").format(error=str(error).splitlines()[0] if str(error) else "?"),
                time.perf_counter() - started,
                not_graded=not_graded,
                logs={**logs, "judge.log": str(error)},
            )
    # A grade cell the judge did not score is the judge's failure (an import that broke its collection, a
    # crash), never the student's zero.
    scored = {t["grade_id"] for t in tests}
    unjudged = [cell.grade_id for cell in cells if cell.grade_id not in scored]
    if unjudged:
        return fault_report(
            str(submission),
            assignment,
            _("the judge left no result for {cells}").format(cells=_(", ").join(unjudged)),
            time.perf_counter() - started,
            not_graded=not_graded,
            logs=logs,
        )
    order = [cell.grade_id for cell in cells]
    tests.sort(key=lambda t: order.index(t["grade_id"]) if t["grade_id"] in order else len(order))
    notes = repaired.notes + execution.cell_errors + execution.notes
    for exercise in trainings:
        notes.append(
            _("{name} is graded in {setting}").format(
                name=exercise.name, setting=exercise.target(quick).describe(device)
            )
        )
    if execution.failure:
        notes.insert(0, _("not every function could be checked: {failure}").format(failure=execution.failure))
    if not sandbox:
        notes.append(_("graded without the sandbox (--no-sandbox): for trusted work only"))
    return Report(
        str(submission),
        assignment,
        tests,
        notes,
        None,
        time.perf_counter() - started,
        execution.notebook,
        not_graded=not_graded,
        logs=logs if execution.disturbed else {},  # an untrusted verdict keeps its evidence
        disturbed=execution.disturbed,
    )


def _not_graded(assignment: str, cells) -> list[str]:
    """The functions of ``assignment`` that a grading of ``cells`` leaves out, in notebook order."""
    chosen = {cell.function for cell in cells}
    return [cell.function for cell in repair.grade_cells(assignment) if cell.function not in chosen]
