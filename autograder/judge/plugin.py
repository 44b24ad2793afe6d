"""pytest plugin for the judge: its options, and the results file it writes."""

from __future__ import annotations

import json
import resource
from pathlib import Path

import pytest

from autograder.checks import Verdict
from autograder import i18n
from autograder.i18n import _
from autograder.judge.results import TestResult


def pytest_addoption(parser):
    group = parser.getgroup("autograder judge")
    group.addoption("--assignment", required=True)
    group.addoption("--outbox", required=True, help="the folder the probe wrote")
    group.addoption("--context", required=True, help="the grader's notes on the execution")
    group.addoption("--results", required=True, help="where to write the per-test results")


# Heap the judge may add to what it has after its imports: the records of one function at a time, and
# the references' own work. A judge that needs more is a grader fault, reported as such; it never
# takes the grading machine's memory with it.
MEMORY_HEADROOM = 3 << 30


def _data_size() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmData:"):
            return int(line.split()[1]) * 1024
    return 0


def pytest_configure(config):
    if config.getoption("--assignment", None) is None:
        return
    # Every message in the submission's language (the grader's choice: its edition, or --lang).
    context = json.loads(Path(config.getoption("--context")).read_text())
    i18n.use(context.get("language", i18n.SOURCE_LANGUAGE))
    limit = _data_size() + MEMORY_HEADROOM
    soft, hard = resource.getrlimit(resource.RLIMIT_DATA)
    if hard == resource.RLIM_INFINITY or hard > limit:
        resource.setrlimit(resource.RLIMIT_DATA, (limit, hard))


class Recorder:
    def __init__(self):
        self.results = {}

    def record(self, cell, verdict: Verdict):
        self.results[cell.grade_id] = TestResult.from_verdict(cell, verdict).to_dict()


RECORDER = Recorder()


@pytest.fixture
def record():
    return RECORDER.record


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    cell = getattr(item, "callspec", None) and item.callspec.params.get("cell")
    # A judge-side exception (not a failed assertion) still yields a 0-point entry.
    if cell is not None and report.when == "call" and report.failed and cell.grade_id not in RECORDER.results:
        message = _("the judge could not score this test: {error_type}: {error}").format(
            error_type=call.excinfo.typename, error=call.excinfo.value
        )
        RECORDER.results[cell.grade_id] = TestResult.zero(cell, message).to_dict()


def pytest_sessionfinish(session):
    path = Path(session.config.getoption("--results"))
    path.write_text(json.dumps(list(RECORDER.results.values()), indent=1))
