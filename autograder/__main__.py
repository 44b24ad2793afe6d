"""python -m autograder grade SUBMISSION [--json OUT]"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from autograder.grader import grade


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
    args = parser.parse_args(argv)

    report = grade(args.submission, args.assignment, quick=args.quick)
    print(report.table(detail=args.detail))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report.gradescope(), indent=2))
    return 0  # grading finished; the score is in the report, not the exit code


if __name__ == "__main__":
    sys.exit(main())
