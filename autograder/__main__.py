"""python -m autograder grade SUBMISSION | collect ASSIGNMENT | grade-all ASSIGNMENT | similarity ASSIGNMENT |
export-lms ASSIGNMENT... --format canvas|moodle --roster FILE | report-course (see --help)"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from dataclasses import replace
from pathlib import Path

from autograder import i18n
from autograder.course import cohort, collect, course_report, gradebook, lms, similarity
from autograder.course.files import write_atomic
from autograder.host.grader import grade, select
from autograder.host.sandbox import GiB, Limits, SandboxUnavailable


def only_functions(text: str) -> list[str]:
    return [name.strip() for name in text.split(",") if name.strip()]


def add_language_option(parser, what: str) -> None:
    parser.add_argument("--lang", choices=i18n.LANGUAGES, help=what)


def add_limit_options(parser) -> None:
    defaults = Limits()
    parser.add_argument(
        "--only",
        type=only_functions,
        metavar="FUNCTION[,FUNCTION...]",
        help="grade only these functions (comma-separated): the others are listed as not graded "
        "(grade-all keeps each student's earlier scores for them), and the training cells of "
        "functions left out do not run",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="train on a subset and score against the quick targets (autograder/targets.py)",
    )
    parser.add_argument(
        "--no-sandbox", action="store_true", help="run the kernel without bubblewrap: for trusted work only"
    )
    parser.add_argument(
        "--memory",
        type=float,
        default=defaults.memory / GiB,
        help=f"GB of memory per kernel process (default {defaults.memory / GiB:g}); "
        "the sandbox's processes together get 2 GB more",
    )
    parser.add_argument(
        "--cell-timeout",
        type=float,
        default=defaults.cell_timeout,
        help=f"seconds per notebook cell (default {defaults.cell_timeout:g})",
    )
    parser.add_argument(
        "--notebook-timeout",
        type=float,
        default=defaults.notebook_timeout,
        help=f"seconds for all of a notebook's cells (default {defaults.notebook_timeout:g})",
    )


def limits_from(args) -> Limits:
    defaults = Limits()
    memory = int(args.memory * GiB)
    return replace(
        defaults,
        memory=memory,
        memory_total=memory + 2 * GiB,
        address_space=max(defaults.address_space, memory + 8 * GiB),
        cell_timeout=args.cell_timeout,
        notebook_timeout=args.notebook_timeout,
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    one = commands.add_parser("grade", help="grade one notebook or nbgrader submission folder")
    one.add_argument("submission", type=Path)
    one.add_argument("--assignment", help="assignment name, when the file name does not say it")
    one.add_argument("--json", type=Path, help="write Gradescope's results.json here")
    one.add_argument("--detail", action="store_true", help="show the instructor's detail, hidden cases included")
    add_language_option(one, "the language of the messages (default: the submitted edition's, English or Japanese)")
    add_limit_options(one)

    many = commands.add_parser("grade-all", help="grade every submission of an assignment into the gradebook")
    many.add_argument("assignment")
    many.add_argument(
        "--course",
        type=Path,
        help="the nbgrader course folder, holding nbgrader_config.py (default: the current folder, "
        "as for nbgrader, when it holds one)",
    )
    many.add_argument(
        "--submitted",
        type=Path,
        help="the folder of <student>/<assignment>/ submissions (default: the course's submitted/)",
    )
    many.add_argument("--out", type=Path, help="where results go (default: <course>/grades/<assignment>/)")
    many.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 1,
        help="gradings at a time on this machine (default: one per core, here %(default)s)",
    )
    many.add_argument(
        "--cluster", action="store_true", help="run the workers as a Dask LocalCluster instead of a process pool"
    )
    many.add_argument(
        "--scheduler", metavar="tcp://HOST:8786", help="send each submission to the Dask cluster of this scheduler"
    )
    many.add_argument(
        "--force", action="store_true", help="regrade submissions that are unchanged since their last grading"
    )
    add_language_option(
        many,
        "the language of every message, feedback page and the cohort report (default: each submission's messages "
        "and feedback page in the edition it submitted, the cohort report in English)",
    )
    add_limit_options(many)

    gather = commands.add_parser(
        "collect", help="nbgrader's collect, then each submission dated by the exchange, not by the student's file"
    )
    collect.add_arguments(gather)

    similar = commands.add_parser("similarity", help="rank pairs of submissions with near-identical solutions")
    similarity.add_arguments(similar)

    export = commands.add_parser(
        "export-lms", help="write an LMS's gradebook-import CSV (Canvas, Moodle) from nbgrader's gradebook"
    )
    export.add_argument("assignments", nargs="+", metavar="ASSIGNMENT", help="one column each, in this order")
    export.add_argument("--format", required=True, choices=lms.FORMATS)
    export.add_argument(
        "--roster", required=True, type=Path, help="CSV: student_id and the LMS's ids (docs/lms-export.md)"
    )
    export.add_argument("--out", type=Path, help="the CSV to write (default: <course>/grades/<format>-grades.csv)")
    export.add_argument("--course", type=Path, help="the nbgrader course folder (default: the current folder)")
    export.add_argument(
        "--canvas-id",
        action="append",
        default=[],
        metavar="ASSIGNMENT=ID",
        help="Canvas: the Canvas assignment id of an assignment's column (repeat for more)",
    )
    export.add_argument(
        "--moodle-id",
        choices=sorted(lms.MOODLE_IDENTIFIERS),
        default="email",
        help="Moodle: the user field that identifies students (default: email)",
    )
    export.add_argument(
        "--missing",
        choices=("blank", "zero"),
        default="blank",
        help="a missing submission: an empty cell (no grade, the default) or 0",
    )

    overall = commands.add_parser("report-course", help="one page for the whole course, from nbgrader's gradebook")
    overall.add_argument("--course", type=Path, help="the nbgrader course folder (default: the current folder)")
    overall.add_argument(
        "--out", type=Path, help="the folder of course.html and course.csv (default: <course>/grades/)"
    )
    add_language_option(overall, "the language of course.html (default: English)")
    args = parser.parse_args(argv)
    if args.command == "collect":
        return collect.run(args)
    if args.command == "similarity":
        return similarity.run(args)
    if args.command == "export-lms":
        return export_lms(args)
    if args.command == "report-course":
        return report_course(args)
    if args.command == "grade-all":
        return grade_all(args)

    try:
        report = grade(
            args.submission,
            args.assignment,
            quick=args.quick,
            sandbox=not args.no_sandbox,
            limits=limits_from(args),
            only=args.only,
            lang=args.lang,
        )
    except (SandboxUnavailable, ValueError) as error:  # ValueError: --only names no graded function
        print(f"not graded: {error}", file=sys.stderr)
        return 2  # nothing was graded: the machine needs setting up, or the command fixing
    print(report.table(detail=args.detail))
    if not report.graded:  # a grader fault is never a grade: no results.json, and an exit status that says so
        print(f"not graded: grader error, not the student's: {report.fault}", file=sys.stderr)
        for name, text in report.logs.items():
            print(f"--- the grader's {name} (its end) ---\n{text[-4000:]}", file=sys.stderr)
        return 3
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report.gradescope(), indent=2))
    return 0  # grading finished; the score is in the report, not the exit code


def course_folder(given: Path | None) -> Path:
    """The course grade-all works on: --course, or, as nbgrader does, the current folder when it is one."""
    if given is not None:
        return given
    here = Path.cwd()
    if (here / gradebook.CONFIG_FILE).is_file():
        return here
    raise FileNotFoundError(
        f"{here} is not an nbgrader course (it has no {gradebook.CONFIG_FILE}): run this command "
        "in the course folder, as nbgrader's own commands, or pass --course DIR"
    )


def export_lms(args) -> int:
    try:
        canvas_ids = dict(item.split("=", 1) for item in args.canvas_id)
    except ValueError:
        print("not exported: --canvas-id takes ASSIGNMENT=ID", file=sys.stderr)
        return 2
    try:
        coursedir = gradebook.course(course_folder(args.course))
        grades = gradebook.course_grades(coursedir, args.assignments)
        unknown = sorted(set(canvas_ids) - set(grades.assignments))
        if unknown:
            raise lms.ExportError(f"--canvas-id names {', '.join(unknown)}, which is not exported")
        roster = lms.read_roster(args.roster)
        if args.format == "canvas":
            text = lms.canvas_csv(grades, roster, canvas_ids, args.missing)
        else:
            text = lms.moodle_csv(grades, roster, args.moodle_id, args.missing)
    except (lms.ExportError, gradebook.GradebookError, OSError) as error:
        print(f"not exported: {error}", file=sys.stderr)
        return 2
    out = args.out or Path(coursedir.root) / "grades" / f"{args.format}-grades.csv"
    write_atomic(out, text, mode=0o600)  # names and grades
    print(f"{args.format}: {len(text.splitlines()) - 1} students, {len(grades.assignments)} assignments -> {out}")
    return 0


def report_course(args) -> int:
    try:
        coursedir = gradebook.course(course_folder(args.course))
        grades = gradebook.course_grades(coursedir)
    except (gradebook.GradebookError, OSError) as error:
        print(f"no report: {error}", file=sys.stderr)
        return 2
    results = Path(coursedir.root) / "grades"  # where grade-all writes each assignment's report.html
    out = args.out or results
    links = results if out.resolve() == results.resolve() else None  # relative links only from there
    write_atomic(out / "course.html", course_report.course_html(grades, links, language=args.lang or "en"))
    write_atomic(out / "course.csv", course_report.course_csv(grades))
    behind = course_report.falling_behind(grades)
    print(
        f"course report: {out / 'course.html'} (and course.csv): {len(grades.students)} students, "
        f"{len(grades.assignments)} assignments, {len(behind)} falling behind"
    )
    return 0


def grade_all(args) -> int:
    options = cohort.Options(
        quick=args.quick,
        sandbox=not args.no_sandbox,
        limits=limits_from(args),
        only=tuple(args.only) if args.only else None,
        lang=args.lang,
    )
    try:
        group = cohort.Cohort(
            args.assignment, course=course_folder(args.course), submitted=args.submitted, out=args.out, options=options
        )
        if options.only:
            select(args.assignment, options.only)  # names no graded function: say so before grading anything
    except (ValueError, FileNotFoundError) as error:
        print(f"not graded: {error}", file=sys.stderr)
        return 2
    if args.workers < 1:
        print("not graded: --workers must be at least 1", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # a batch system's stop: save, then resume later
    pool = None
    try:
        todo, _ = group.plan(args.force)
        if todo and (args.cluster or args.scheduler):
            pool = cohort.make_pool(args.workers, args.scheduler, args.cluster)
        summary = cohort.grade_all(group, pool, workers=args.workers, force=args.force, language=args.lang or "en")
    except (cohort.WorkerUnfit, cohort.CohortBusy, gradebook.GradebookError, OSError) as error:
        # OSError: a Dask scheduler that cannot be reached (or has no worker)
        print(f"not graded: {error}", file=sys.stderr)
        return 2  # nothing was graded: the machines need setting up
    finally:
        if pool is not None:
            pool.close()
    print(summary.text(group))
    if summary.interrupted:
        return 130
    return 1 if summary.count("failed") else 0


if __name__ == "__main__":
    sys.exit(main())
