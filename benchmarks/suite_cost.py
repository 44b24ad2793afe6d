"""What each lesson costs the test suite, from pytest's JUnit report of one run.

Each test's time in the report is its setup, call and teardown: a shared
grading (tests/conftest.py's ``graded``) counts once, for the test that made
it. A test belongs to the lessons its id names (``[02_activations:…]``,
``[reference@ja-02_activations]``); one that names several is shared out
between them, and one that names none (the CLI, the cohort, the kit's build,
the browser suite) is the suite's own. The suite runs on ``--workers``
pytest workers side by side, so a lesson's share of the run's wall time is
its worker seconds divided by that number: the figure the budget is set in
(at most 90 s a lesson, both editions included: docs/tests.md).

    .venv/bin/python -m benchmarks.suite_cost build/junit.xml [--workers 2] [--budget 90] [--top 5]

`.ci/run` writes build/junit.xml and prints this table at the end of every run.
"""

from __future__ import annotations

import argparse
import re
import xml.etree.ElementTree as ElementTree
from collections import defaultdict
from pathlib import Path

from autograder.host.repair import assignments

SUITE = "(no lesson)"


def lessons_named(test_id: str, known: list[str]) -> list[str]:
    """The lessons a test id names, each once, in the catalogue's order."""
    return [name for name in known if re.search(rf"(?<![0-9A-Za-z]){re.escape(name)}(?![0-9A-Za-z])", test_id)]


def read(junit: Path) -> list[tuple[str, float]]:
    """(test id, seconds) for every test case of a JUnit report (pytest's, or several merged)."""
    cases = []
    for case in ElementTree.parse(junit).getroot().iter("testcase"):
        cases.append((f"{case.get('classname', '')}::{case.get('name', '')}", float(case.get("time") or 0.0)))
    return cases


def costs(cases: list[tuple[str, float]], known: list[str]) -> tuple[dict[str, float], dict[str, list]]:
    """Worker seconds per lesson (and SUITE), and each lesson's tests with their share, longest first."""
    seconds: dict[str, float] = defaultdict(float)
    tests: dict[str, list] = defaultdict(list)
    for test_id, spent in cases:
        owners = lessons_named(test_id, known) or [SUITE]
        for owner in owners:
            seconds[owner] += spent / len(owners)
            tests[owner].append((spent / len(owners), test_id))
    for owner in tests:
        tests[owner].sort(reverse=True)
    return seconds, tests


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("junit", type=Path)
    parser.add_argument("--workers", type=int, default=2, help="pytest workers the run had (make print-test-workers)")
    parser.add_argument("--budget", type=float, default=90.0, help="wall-time seconds a lesson may cost")
    parser.add_argument("--top", type=int, default=3, help="a lesson's longest tests to list")
    args = parser.parse_args()
    known = assignments()
    seconds, tests = costs(read(args.junit), known)
    total = sum(seconds.values())
    print(f"suite: {sum(len(t) for t in tests.values())} tests, {total:.0f} worker seconds on {args.workers} workers")
    print(f"{'lesson':<24}{'worker s':>10}{'wall s':>9}{'share':>8}  budget {args.budget:g} s")
    for owner in [*known, SUITE]:
        wall = seconds.get(owner, 0.0) / args.workers
        over = "" if owner == SUITE else ("  OVER" if wall > args.budget else "  ok")
        share = seconds.get(owner, 0.0) / total if total else 0.0
        print(f"{owner:<24}{seconds.get(owner, 0.0):>10.1f}{wall:>9.1f}{share:>8.1%}{over}")
    if args.top:
        for owner in [*known, SUITE]:
            longest = tests.get(owner, [])[: args.top]
            if longest:
                print(f"\n{owner}, longest:")
                for spent, test_id in longest:
                    print(f"  {spent:7.1f} s  {test_id}")


if __name__ == "__main__":
    main()
