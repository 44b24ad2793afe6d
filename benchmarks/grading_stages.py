"""Where one grading spends its wall time, stage by stage (issue 34's profile).

Grades the reference of each assignment named (02_activations and
06_pytorch_mlp by default) with ``grade()`` in this process, ``--runs`` times
(the first pays what a grading process pays once: the judge server's start,
the data's first read), and prints for the last run each stage's seconds:

- sandbox: making the submission's sandbox (uid lease, cgroup, tmpfs mounts);
- kernel start: from the kernel run's start to the first cell sent (bubblewrap, Python, ipykernel's imports);
- cells: the notebook's own cells, and the slowest of them;
- export: the grader's cells that save the graded names (after each solution cell, and at the end);
- kernel end: from the last cell to the kernel run's end (the kernel killed, the sockets closed);
- caller start: from the caller's start to its first call (bubblewrap, Python, numpy, torch where the lesson uses it);
- calls: the caller's calls, each in a forked child, and the slowest of them;
- judge: the warm judge's verdicts;
- other: the rest (repair, plan, report).

It wraps the grader's own functions to time them, and changes nothing.

    .venv/bin/python -m benchmarks.grading_stages [--assignments 02_activations 06_pytorch_mlp] [--runs 2] [--full]
"""

from __future__ import annotations

import argparse
import functools
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from autograder.host import grader, runner
from tests import samples

marks: dict[str, list[float]] = defaultdict(list)  # stage -> its durations in this grading
events: list[tuple[str, float, str]] = []  # (what, when, label) in order
names: dict[str, str] = {}  # a plan's call keys -> the calls' ids


def timed(module, name: str, stage: str) -> None:
    original = getattr(module, name)

    @functools.wraps(original)
    def wrapper(*args, **kwargs):
        began = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            marks[stage].append(time.perf_counter() - began)

    setattr(module, name, wrapper)


def watch_cells() -> None:
    original = runner._execute

    def execute(client, cell, index, limit, store_history=True):
        began = time.perf_counter()
        events.append(("cell-start", began, ""))
        try:
            return original(client, cell, index, limit, store_history)
        finally:
            hidden = not store_history  # the grader's own cells run without history
            first = (cell.source.strip().splitlines() or [""])[0][:60]
            events.append(("cell-end", time.perf_counter(), "" if hidden else first))
            if not hidden:
                marks["cells"].append(time.perf_counter() - began)
                marks["cell:" + f"{index}: {first}"].append(time.perf_counter() - began)

    runner._execute = execute


def watch_caller() -> None:
    original_run, original_frames = runner.run_caller, runner.CallerStream.frames

    def run_caller(host, calls, *args, **kwargs):
        names.update({str(call["key"]): call["id"] for call in calls})
        began = time.perf_counter()
        events.append(("caller-start", began, ""))
        try:
            return original_run(host, calls, *args, **kwargs)
        finally:
            marks["run_caller"].append(time.perf_counter() - began)

    def frames(self):
        for header, payloads in original_frames(self):
            if "started" in header or "done" in header:  # a call begins, or the last one has ended
                events.append(("frame", time.perf_counter(), str(header.get("started", "end"))))
            yield header, payloads

    runner.run_caller = run_caller
    runner.CallerStream.frames = frames


def stages(total: float) -> list[tuple[str, float]]:
    kernel = sum(marks["_run_kernel"])
    starts = [when for what, when, _ in events if what == "cell-start"]
    ends = [when for what, when, _ in events if what == "cell-end"]
    kernel_begin = min(starts) - marks["kernel start"][0] if marks["kernel start"] else None
    cells = sum(marks["cells"])
    export = sum(marks["_export"])
    frames = [when for what, when, _ in events if what == "frame"]
    caller_begin = next((when for what, when, _ in events if what == "caller-start"), None)
    caller = sum(marks["run_caller"])
    caller_start = frames[0] - caller_begin if frames and caller_begin else caller
    kernel_start = (min(starts) - kernel_begin) if kernel_begin else 0.0
    kernel_end = kernel - kernel_start - (max(ends) - min(starts)) if ends else 0.0
    rows = [
        ("sandbox", sum(marks["make_sandbox"])),
        ("kernel start", kernel_start),
        ("cells", cells),
        ("export", export),
        ("kernel: between cells", max(ends) - min(starts) - cells - export if ends else 0.0),
        ("kernel end", kernel_end),
        ("caller start", caller_start),
        ("calls", caller - caller_start),
        ("judge", sum(marks["run_judge"])),
    ]
    rows.append(("other", total - sum(seconds for _, seconds in rows)))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--assignments", nargs="+", default=["02_activations", "06_pytorch_mlp"])
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--full", action="store_true", help="full mode (the training lessons train on everything)")
    args = parser.parse_args()

    timed(grader, "make_sandbox", "make_sandbox")
    timed(grader, "run_judge", "run_judge")
    timed(runner, "_export", "_export")
    watch_cells()
    watch_caller()
    original_kernel = runner._run_kernel

    def run_kernel(*a, **k):
        began = time.perf_counter()
        try:
            return original_kernel(*a, **k)
        finally:
            marks["_run_kernel"].append(time.perf_counter() - began)
            first = next((when for what, when, _ in events if what == "cell-start" and when >= began), None)
            if first is not None:
                marks["kernel start"].append(first - began)

    runner._run_kernel = run_kernel

    for assignment in args.assignments:
        with tempfile.TemporaryDirectory(prefix="stages-") as tmp:
            path = samples.write(samples.student_notebook(assignment), Path(tmp), assignment)
            for run in range(args.runs):
                marks.clear()
                events.clear()
                began = time.perf_counter()
                report = grader.grade(path, assignment, quick=not args.full)
                total = time.perf_counter() - began
        print(
            f"\n{assignment} ({'full' if args.full else 'quick'} mode), run {args.runs} of {args.runs}: "
            f"{total:.2f} s, {report.score:g}/{report.max_score:g}"
        )
        for stage, seconds in stages(total):
            print(f"  {stage:<24}{seconds:7.2f} s")
        slowest = sorted(((sum(v), k[5:]) for k, v in marks.items() if k.startswith("cell:")), reverse=True)[:3]
        for seconds, cell in slowest:
            print(f"    cell {cell:<56}{seconds:6.2f} s")
        frames = [(when, label) for what, when, label in events if what == "frame"]
        calls = sorted(((later[0] - now[0], now[1]) for now, later in zip(frames, frames[1:])), reverse=True)[:3]
        for seconds, key in calls:
            print(f"    call {names.get(key, key):<56}{seconds:6.2f} s")


if __name__ == "__main__":
    main()
