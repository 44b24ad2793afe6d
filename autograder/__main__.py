"""python -m autograder grade SUBMISSION [--json OUT] [--detail] [--no-sandbox]"""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

from autograder.grader import grade
from autograder.sandbox import GiB, Limits, SandboxUnavailable


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    one = commands.add_parser("grade", help="grade one notebook or nbgrader submission folder")
    one.add_argument("submission", type=Path)
    one.add_argument("--assignment", help="assignment name, when the file name does not say it")
    one.add_argument("--json", type=Path, help="write Gradescope's results.json here")
    one.add_argument("--detail", action="store_true", help="show the instructor's detail, hidden cases included")
    one.add_argument("--quick", action="store_true",
                     help="train on a subset and score against the quick targets (autograder/targets.py)")
    one.add_argument("--no-sandbox", action="store_true",
                     help="run the kernel without bubblewrap: for trusted work only")
    defaults = Limits()
    one.add_argument("--memory", type=float, default=defaults.memory / GiB,
                     help=f"GB of memory per kernel process (default {defaults.memory / GiB:g}); "
                          "the sandbox's processes together get 2 GB more")
    one.add_argument("--cell-timeout", type=float, default=defaults.cell_timeout,
                     help=f"seconds per notebook cell (default {defaults.cell_timeout:g})")
    one.add_argument("--notebook-timeout", type=float, default=defaults.notebook_timeout,
                     help=f"seconds for all of a notebook's cells (default {defaults.notebook_timeout:g})")
    args = parser.parse_args(argv)

    memory = int(args.memory * GiB)
    limits = replace(defaults, memory=memory, memory_total=memory + 2 * GiB,
                     address_space=max(defaults.address_space, memory + 8 * GiB),
                     cell_timeout=args.cell_timeout, notebook_timeout=args.notebook_timeout)
    try:
        report = grade(args.submission, args.assignment, quick=args.quick, sandbox=not args.no_sandbox,
                       limits=limits)
    except SandboxUnavailable as error:
        print(f"not graded: {error}", file=sys.stderr)
        return 2  # nothing was graded: the machine needs setting up
    print(report.table(detail=args.detail))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report.gradescope(), indent=2))
    return 0  # grading finished; the score is in the report, not the exit code


if __name__ == "__main__":
    sys.exit(main())
