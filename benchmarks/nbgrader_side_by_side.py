"""Benchmark: stock `nbgrader autograde` and our `grade-all` on the same cohort, in one run.

The cohort is ``--size`` copies (12 by default) of the reference solution of
02_activations, in nbgrader's submitted/ layout. Each tool gets a course of
its own with the repo's nbgrader_config.py, prepared untimed by `nbgrader
generate_assignment`; then each command is timed as an instructor runs it,
from its own process start to its end:

- ``nbgrader autograde ASSIGNMENT --create``: serial, unsandboxed, every
  notebook executed top to bottom with the public and hidden tests in it;
- ``python -m autograder grade-all ASSIGNMENT --workers 2``: each submission
  in the sandbox, probed, and judged in a clean process, two at a time.

It prints both times, the ratio (target: grade-all at least 2x faster on 12
submissions), and whether both gave every submission full marks. Figures are
printed, never asserted.

    .venv/bin/python -m benchmarks.nbgrader_side_by_side [--size 12] [--workers 2] [--assignment 02_activations]
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from nbgrader.api import Gradebook

from autograder.data import REPO_ROOT
from autograder.host.repair import grade_cells
from tests import samples


def make_course(root: Path, assignment: str, size: int) -> Path:
    (root / "source").mkdir(parents=True)
    shutil.copy(REPO_ROOT / "nbgrader_config.py", root)
    shutil.copytree(REPO_ROOT / "source" / assignment, root / "source" / assignment)
    run(root, [str(Path(sys.executable).parent / "nbgrader"), "generate_assignment", assignment, "--log-level=WARN"])
    reference = samples.student_notebook(assignment)
    for i in range(size):
        samples.write(reference, root / "submitted" / f"student{i:03d}", assignment)
    return root


def run(course: Path, command: list[str]) -> float:
    env = {**os.environ, "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"]}
    started = time.perf_counter()
    done = subprocess.run(command, cwd=course, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command[:3])} failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    return seconds


def full_marks(course: Path, assignment: str, size: int) -> bool:
    total = sum(cell.points for cell in grade_cells(assignment))
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        scores = [gradebook.find_submission(assignment, f"student{i:03d}").score for i in range(size)]
    return all(score == total for score in scores)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--assignment", default="02_activations")
    parser.add_argument("--size", type=int, default=12)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    bin_dir = Path(sys.executable).parent
    with tempfile.TemporaryDirectory(prefix="side-by-side-") as tmp:
        theirs = make_course(Path(tmp) / "nbgrader", args.assignment, args.size)
        ours = make_course(Path(tmp) / "ours", args.assignment, args.size)
        print(
            f"cohort: {args.size} copies of the {args.assignment} reference, on {os.cpu_count()} cores, "
            f"{platform.processor() or platform.machine()}",
            flush=True,
        )
        nbgrader = run(
            theirs, [str(bin_dir / "nbgrader"), "autograde", args.assignment, "--create", "--log-level=WARN"]
        )
        print(f"  nbgrader autograde: {nbgrader:.1f} s", flush=True)
        grade_all = run(
            ours,
            [
                sys.executable,
                "-m",
                "autograder",
                "grade-all",
                args.assignment,
                "--course",
                str(ours),
                "--workers",
                str(args.workers),
            ],
        )
        print(f"  grade-all --workers {args.workers}: {grade_all:.1f} s", flush=True)
        agree = full_marks(theirs, args.assignment, args.size) and full_marks(ours, args.assignment, args.size)

    print("\n| command | seconds | submissions per minute |")
    print("|---|---|---|")
    print(f"| nbgrader autograde (serial, unsandboxed) | {nbgrader:.1f} | {60 * args.size / nbgrader:.1f} |")
    print(
        f"| grade-all --workers {args.workers} (sandboxed, judged apart) | {grade_all:.1f} | "
        f"{60 * args.size / grade_all:.1f} |"
    )
    print(f"\ngrade-all is {nbgrader / grade_all:.2f}x as fast as nbgrader autograde (target: at least 2x)")
    print(f"both gave every submission full marks: {'yes' if agree else 'NO'}")


if __name__ == "__main__":
    main()
