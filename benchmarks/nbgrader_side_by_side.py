"""Benchmark: stock `nbgrader autograde` and our `grade-all` on the same cohorts, in one run.

For each assignment (02_activations and 06_pytorch_mlp by default), the
cohort is ``--size`` copies (12 by default) of its reference solution, in
nbgrader's submitted/ layout. Each tool gets a course of its own with the
repo's nbgrader_config.py, prepared untimed by `nbgrader
generate_assignment`; then each command is timed as an instructor runs it,
from its own process start to its end:

- ``nbgrader autograde ASSIGNMENT --create``: serial, unsandboxed, every
  notebook executed top to bottom with the public and hidden tests in it;
- ``python -m autograder grade-all ASSIGNMENT --workers 2``: each submission
  in the sandbox, called and judged in clean processes, two at a time.

Both grade in full mode (06 trains on the whole training split). It prints
both times, the ratio against its target (grade-all at least 4x as fast on
02, 2x on 06: issue 34), whether both gave every submission full marks, and
the floor: the time of ``python -c "import numpy"`` in a fresh sandbox
(the grader's own bubblewrap command, limits and binds), times the number of
gradings, and how far above it grade-all is. Figures are printed, never
asserted.

    .venv/bin/python -m benchmarks.nbgrader_side_by_side [--size 12] [--workers 2] [--assignments 02_activations ...]
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


TARGETS = {"02_activations": 4.0, "06_pytorch_mlp": 2.0}  # grade-all's speed-up over nbgrader autograde


def sandboxed_numpy_seconds(repeats: int = 5, warm: bool = False) -> float:
    """The median time of ``python -c "import numpy"`` started in a fresh sandbox (the grader's own
    bubblewrap command, limits and binds, a new sandbox each time): what no grading can go below. With
    ``warm``, the same sandbox forked from the grader's zygote instead (autograder/host/zygote.py), which has
    numpy imported already."""
    from autograder.host.sandbox import Limits, make
    from autograder.targets import KERNEL_ENV

    times = []
    for _ in range(repeats + warm):  # warm: the first run starts the zygote, and is not counted
        with tempfile.TemporaryDirectory(prefix="floor-") as tmp:
            started = time.perf_counter()
            with make(Path(tmp), Limits(), dict(KERNEL_ENV), hide=("torch",)) as host:
                host.warm = host.warm and warm
                subprocess.run(host.wrap([sys.executable, "-c", "import numpy"]), check=True, capture_output=True)
            times.append(time.perf_counter() - started)
    return sorted(times[warm:])[repeats // 2]


def side_by_side(assignment: str, size: int, workers: int) -> tuple[float, float, bool]:
    """(nbgrader autograde's seconds, grade-all's seconds, whether both gave every submission full marks)."""
    bin_dir = Path(sys.executable).parent
    with tempfile.TemporaryDirectory(prefix="side-by-side-") as tmp:
        theirs = make_course(Path(tmp) / "nbgrader", assignment, size)
        ours = make_course(Path(tmp) / "ours", assignment, size)
        nbgrader = run(theirs, [str(bin_dir / "nbgrader"), "autograde", assignment, "--create", "--log-level=WARN"])
        print(f"  {assignment}: nbgrader autograde {nbgrader:.1f} s", flush=True)
        command = [sys.executable, "-m", "autograder", "grade-all", assignment, "--course", str(ours)]
        grade_all = run(ours, [*command, "--workers", str(workers)])
        print(f"  {assignment}: grade-all --workers {workers} {grade_all:.1f} s", flush=True)
        agree = full_marks(theirs, assignment, size) and full_marks(ours, assignment, size)
    return nbgrader, grade_all, agree


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--assignments", nargs="+", default=list(TARGETS))
    parser.add_argument("--size", type=int, default=12)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    print(
        f"cohorts: {args.size} copies of each reference, on {os.cpu_count()} cores, "
        f"{platform.processor() or platform.machine()}",
        flush=True,
    )
    floor = sandboxed_numpy_seconds()
    print(f'  python -c "import numpy" in a fresh sandbox: {floor:.2f} s', flush=True)
    print(f"  the same, forked from the warm start's zygote: {sandboxed_numpy_seconds(warm=True):.2f} s", flush=True)
    rows = [(assignment, *side_by_side(assignment, args.size, args.workers)) for assignment in args.assignments]

    print(f"\n| assignment | nbgrader autograde | grade-all --workers {args.workers} | ratio | target | full marks |")
    print("|---|---|---|---|---|---|")
    for assignment, nbgrader, grade_all, agree in rows:
        target = TARGETS.get(assignment)
        print(
            f"| {assignment} | {nbgrader:.1f} s | {grade_all:.1f} s | {nbgrader / grade_all:.2f}x | "
            f"{f'{target:g}x' if target else '-'} | {'both' if agree else 'NO'} |"
        )
    print(
        f"\nthe floor: {floor:.2f} s for python -c 'import numpy' in a fresh sandbox x {args.size} gradings = "
        f"{floor * args.size:.1f} s ({floor * args.size / args.workers:.1f} s on {args.workers} workers)"
    )
    for assignment, nbgrader, grade_all, agree in rows:
        print(
            f"{assignment}: grade-all takes {grade_all / (floor * args.size):.1f}x the floor "
            f"({grade_all / (floor * args.size / args.workers):.1f}x the floor shared by {args.workers} workers); "
            f"{grade_all / args.size:.2f} s a submission"
        )


if __name__ == "__main__":
    main()
