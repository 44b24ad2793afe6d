"""Benchmark: a synthetic cohort graded at 1 and 2 workers and on a Dask LocalCluster, against plain nbclient.

The cohort is built from the repo's own fixtures, for one assignment
(02_activations by default, the one the adversarial corpus attacks): a
quarter correct work (the reference and the independently written solutions
of tests/solutions/), half realistic mistakes (tests/mistakes/), and a
quarter attacks from the adversarial corpus. Only attacks that are safe to
run outside the sandbox are used, because the baseline runs them there.

In one run it measures:
- plain execution: every notebook run top to bottom by nbclient, one after
  another, in an ordinary kernel (same per-cell limit, errors allowed), as
  a course without our grader would do it;
- grade-all with a local pool of 1 worker, then of 2;
- grade-all on a Dask LocalCluster of 2 workers.

It prints submissions per minute, the speed-up of 2 workers over 1, and the
grader's overhead: its time at 1 worker divided by plain execution's. The
figures are printed, never asserted.

    .venv/bin/python -m benchmarks.cohort_throughput [--assignment 02_activations] [--size 12]
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from autograder.course import cohort, gradebook
from autograder.data import REPO_ROOT
from autograder.targets import KERNEL_ENV, QUICK_ENV
from tests import samples
from tests.adversarial.corpus import ATTACKS
from tests.mistakes import mistakes_for
from tests.solutions import SOLUTIONS_BY_ASSIGNMENT

# Attacks that do no harm outside a sandbox (the plain baseline runs them there).
SAFE_ATTACKS = [
    "hard_coded_public_answers",
    "redefine_check",
    "sys_exit_in_a_cell",
    "os_exit_in_a_function",
    "nan_output",
    "duplicate_cells",
    "clear_all_metadata",
    "not_a_notebook",
]


def build_cohort(submitted: Path, assignment: str, size: int) -> list[Path]:
    """``size`` submissions in nbgrader's layout: a quarter correct, half mistakes, a quarter attacks."""
    correct = [samples.student_notebook(assignment)] + [
        samples.student_notebook(assignment, answers)
        for answers in SOLUTIONS_BY_ASSIGNMENT.get(assignment, {}).values()
    ]
    wrong = [samples.with_mistakes(assignment, name) for name in mistakes_for(assignment)]
    attacks = [a for a in ATTACKS if a.name in SAFE_ATTACKS and a.assignment == assignment]
    n_correct, n_attacks = max(1, size // 4), max(1, size // 4) if attacks else 0
    paths = []
    for i in range(size):
        folder = submitted / f"student{i:03d}"
        if i < n_correct:
            paths.append(samples.write(correct[i % len(correct)], folder, assignment))
        elif i < n_correct + n_attacks:
            paths.append(attacks[(i - n_correct) % len(attacks)].build(folder))
        else:
            paths.append(samples.write(wrong[(i - n_correct - n_attacks) % len(wrong)], folder, assignment))
    return paths


def plain_execution(paths: list[Path], quick: bool, cell_timeout: float) -> float:
    """Seconds to run every notebook with nbclient, one after another, whatever each one does."""
    env = {**os.environ, **KERNEL_ENV, QUICK_ENV: "1" if quick else "0"}
    started = time.perf_counter()
    for path in paths:
        try:
            notebook = nbformat.read(str(path), as_version=4)
        except Exception:
            continue  # not a notebook: nothing to execute
        with tempfile.TemporaryDirectory(prefix="plain-") as cwd:
            client = NotebookClient(
                notebook,
                timeout=int(cell_timeout),
                allow_errors=True,
                kernel_name="python3",
                resources={"metadata": {"path": cwd}},
            )
            try:
                with client.setup_kernel(env=env, cwd=cwd):
                    for index, cell in enumerate(notebook.cells):
                        if cell.cell_type == "code":
                            client.execute_cell(cell, index)
            except Exception:
                pass  # a dead kernel ends this notebook, as it would for nbclient's own execute()
    return time.perf_counter() - started


def grade_run(course: Path, assignment: str, options: cohort.Options, pool) -> tuple[float, dict[str, float]]:
    out = Path(tempfile.mkdtemp(prefix="grades-", dir=course))
    group = cohort.Cohort(assignment, course=course, out=out, options=options)
    started = time.perf_counter()
    summary = cohort.grade_all(group, pool, force=True, stream=open(os.devnull, "w"))
    seconds = time.perf_counter() - started
    return seconds, {o.student: o.record["report"]["score"] for o in summary.outcomes if o.record}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--assignment", default="02_activations")
    parser.add_argument("--size", type=int, default=12, help="submissions in the cohort (default 12)")
    parser.add_argument("--quick", action="store_true", help="quick mode for training exercises")
    args = parser.parse_args()
    os.environ["PATH"] = str(Path(os.sys.executable).parent) + os.pathsep + os.environ["PATH"]  # nbgrader's alembic

    with tempfile.TemporaryDirectory(prefix="cohort-benchmark-") as tmp:
        course = Path(tmp) / "course"
        (course / "source").mkdir(parents=True)
        shutil.copy(REPO_ROOT / "nbgrader_config.py", course)
        shutil.copytree(REPO_ROOT / "source" / args.assignment, course / "source" / args.assignment)
        paths = build_cohort(course / "submitted", args.assignment, args.size)
        options = cohort.Options(quick=args.quick)
        print(
            f"cohort: {len(paths)} submissions of {args.assignment} ({options.mode} mode) on "
            f"{os.cpu_count()} cores, {platform.processor() or platform.machine()}",
            flush=True,
        )

        # The gradebook and the assignment's record in it exist before any timing: only the first run would pay.
        gradebook.ensure_assignment(gradebook.course(course), args.assignment)
        timings, grades = {}, {}
        timings["plain nbclient, one at a time"] = plain_execution(paths, args.quick, options.limits.cell_timeout)
        print(f"  plain nbclient: {timings['plain nbclient, one at a time']:.1f} s", flush=True)
        for label, make in [
            ("grade-all, 1 worker", lambda: cohort.LocalPool(1)),
            ("grade-all, 2 workers", lambda: cohort.LocalPool(2)),
            ("grade-all, Dask LocalCluster of 2", lambda: cohort.DaskPool(workers=2)),
        ]:
            pool = make()
            try:
                timings[label], grades[label] = grade_run(course, args.assignment, options, pool)
            finally:
                pool.close()
            print(f"  {label}: {timings[label]:.1f} s", flush=True)

    one = timings["grade-all, 1 worker"]
    print("\n| run | seconds | submissions per minute | speed-up over 1 worker |")
    print("|---|---|---|---|")
    for label, seconds in timings.items():
        speedup = f"{one / seconds:.2f}x" if label.startswith("grade-all") else ""
        print(f"| {label} | {seconds:.1f} | {60 * len(paths) / seconds:.1f} | {speedup} |")
    print(f"\nspeed-up at 2 workers: {one / timings['grade-all, 2 workers']:.2f}x (target: at least 1.7x)")
    print(
        f"overhead at 1 worker: {one / timings['plain nbclient, one at a time']:.2f} "
        "(grading time / plain execution time; target: below 1.25)"
    )
    same = len({tuple(sorted(g.items())) for g in grades.values()}) == 1
    print(f"every run gave every submission the same score: {'yes' if same else 'NO'}")


if __name__ == "__main__":
    main()
