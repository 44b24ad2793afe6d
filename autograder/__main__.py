"""python -m autograder grade SUBMISSION | grade-all ASSIGNMENT | similarity ASSIGNMENT (see --help)"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from dataclasses import replace
from pathlib import Path

from autograder.course import cohort, gradebook, similarity
from autograder.host.grader import grade, select
from autograder.host.sandbox import GiB, Limits, SandboxUnavailable


def only_functions(text: str) -> list[str]:
    return [name.strip() for name in text.split(",") if name.strip()]


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
    add_limit_options(many)

    similar = commands.add_parser("similarity", help="rank pairs of submissions with near-identical solutions")
    similarity.add_arguments(similar)
    args = parser.parse_args(argv)
    if args.command == "similarity":
        return similarity.run(args)
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
        )
    except (SandboxUnavailable, ValueError) as error:  # ValueError: --only names no graded function
        print(f"not graded: {error}", file=sys.stderr)
        return 2  # nothing was graded: the machine needs setting up, or the command fixing
    print(report.table(detail=args.detail))
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
        f"{here} is not an nbgrader course (it has no {gradebook.CONFIG_FILE}): run grade-all "
        "in the course folder, as nbgrader's own commands, or pass --course DIR"
    )


def grade_all(args) -> int:
    options = cohort.Options(
        quick=args.quick,
        sandbox=not args.no_sandbox,
        limits=limits_from(args),
        only=tuple(args.only) if args.only else None,
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
        summary = cohort.grade_all(group, pool, workers=args.workers, force=args.force)
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
