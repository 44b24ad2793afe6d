"""Sample submissions, graded once per session and shared between test files."""

from __future__ import annotations

import fcntl
import os
import pickle
from pathlib import Path

import pytest

from autograder.host.grader import grade
from autograder.host.repair import source_path
from autograder.targets import TARGETS
from tests import coverage, samples
from tests.student_kit import installed_kit
from tests.mistakes import groups
from tests.solutions import SOLUTIONS_BY_ASSIGNMENT

from tests.samples import QUICK  # noqa: E402  (what the test modules parametrize on)


def sample_notebook_path(assignment: str, sample: str, folder):
    """'source' and 'release' are the committed notebooks; 'reference' (the release
    filled with the reference code), 'mistake:<id>', 'group:<n>' (the n-th group of
    tests.mistakes.groups, every mistake of it in one notebook) and 'solution:<style>'
    (tests/solutions/) are built from the release. A sample ending in '@<lang>' ('reference@ja')
    is that sample in the ``lang`` edition: the same code cells, the translated prose."""
    if "@" in sample:
        sample, lang = sample.split("@")
        english = samples.read(sample_notebook_path(assignment, sample, folder / "english"))
        return samples.write(samples.edition(english, assignment, lang), folder, assignment)
    if sample == "source":
        return source_path(assignment)
    if sample == "release":
        return samples.RELEASE_DIR / assignment / f"{assignment}.ipynb"
    if sample == "reference":
        return samples.write(samples.student_notebook(assignment), folder, assignment)
    kind, name = sample.split(":", 1)
    if kind == "solution":
        answers = SOLUTIONS_BY_ASSIGNMENT[assignment][name]
        return samples.write(samples.student_notebook(assignment, answers), folder, assignment)
    return samples.write(samples.with_mistakes(assignment, *mistakes_in(assignment, sample)), folder, assignment)


def mistakes_in(assignment: str, sample: str) -> tuple[str, ...]:
    """The catalogue's mistakes that a sample holds (in any edition)."""
    kind, _, name = sample.split("@")[0].partition(":")
    if kind == "group":
        return groups(assignment)[int(name)]
    return (name,) if kind == "mistake" else ()


def pytest_addoption(parser):
    parser.addoption(
        "--gpu",
        action="store_true",
        help="run the tests marked gpu (make test-gpu): they fail, never skip, without a CUDA GPU",
    )


TRAINED = {assignment for assignment, _ in TARGETS}


# Tests that take minutes run first, the longest first, so that the workers do not end on one of
# them alone: nbgrader's agreement (it executes every student notebook again, and retrains in 05-07),
# then the cohort runs. pytest-xdist hands the first tests out in turn, one to each worker.
FIRST = [  # in turn: 07 and 06 to one worker, 05 and 08 to the other
    "test_nbgrader_agreement.py::test_nbgrader_autograde_agrees_with_our_grader[07_cnn_gpu]",
    "test_nbgrader_agreement.py::test_nbgrader_autograde_agrees_with_our_grader[05_backprop]",
    "test_nbgrader_agreement.py::test_nbgrader_autograde_agrees_with_our_grader[06_pytorch_mlp]",
    "test_nbgrader_agreement.py::test_nbgrader_autograde_agrees_with_our_grader[08_transfer_learning]",
    "test_exchange.py::test_release_fetch_submit_collect_grade_all_feedback_and_fetch_feedback",
    "test_cohort.py::test_an_interrupted_run_resumes_and_only_changed_submissions_are_regraded",
    "test_nbgrader_agreement.py::test_nbgrader_autograde_agrees_with_our_grader",
    "test_cohort.py::test_grade_all_on_a_local_dask_cluster_into_the_gradebook_then_nbgrader_export",
]


def _rank(item) -> int:
    return next((i for i, prefix in enumerate(FIRST) if item.nodeid.split("/")[-1].startswith(prefix)), len(FIRST))


def pytest_collection_modifyitems(config, items):
    """The longest tests first; ``training`` on every sandbox test of a lesson that trains; ``gpu`` tests
    only with --gpu."""
    items.sort(key=_rank)  # stable: the rest keep their order
    for item in items:
        params = item.callspec.params if hasattr(item, "callspec") else {}
        if item.get_closest_marker("sandbox") and params.get("assignment") in TRAINED:
            item.add_marker(pytest.mark.training)
    if not config.getoption("--gpu"):
        gpu = [item for item in items if item.get_closest_marker("gpu")]
        if gpu:
            items[:] = [item for item in items if not item.get_closest_marker("gpu")]
            config.hook.pytest_deselected(items=gpu)


def pytest_report_header(config):
    if not config.getoption("--gpu"):
        return "gpu tests: deselected (they need a CUDA GPU; make test-gpu runs them)"


# Training exercises are graded in quick mode here (autograder/targets.py holds
# both modes' targets); the demo and the benchmarks use the full data.
def shared_folder(tmp_path_factory) -> Path:
    """A folder of this test run that every pytest-xdist worker sees (their basetemps' parent)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@pytest.fixture(scope="session")
def graded(tmp_path_factory):
    """Grade a sample once per test run, whichever worker asks first; the others wait and reuse it
    (the nbgrader agreement test reuses every grading of test_grading.py)."""
    cache = shared_folder(tmp_path_factory) / "graded"
    cache.mkdir(exist_ok=True)

    def get(assignment: str, sample: str):
        key = cache / f"{assignment}--{sample.replace(':', '--')}"
        with open(f"{key}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if key.with_suffix(".pickle").exists():
                return pickle.loads(key.with_suffix(".pickle").read_bytes())
            folder = tmp_path_factory.mktemp(sample.replace(":", "-"))
            report = grade(sample_notebook_path(assignment, sample, folder), assignment, quick=QUICK)
            coverage.record(shared_folder(tmp_path_factory), "mistake", assignment, mistakes_in(assignment, sample))
            key.with_suffix(".tmp").write_bytes(pickle.dumps(report))  # our own reports: pickle is safe here
            key.with_suffix(".tmp").rename(key.with_suffix(".pickle"))
            return report

    return get


@pytest.fixture(scope="session")
def kit(tmp_path_factory):
    """The student kit, built and installed in a fresh venv once per test run (tests/student_kit.py)."""
    return installed_kit(shared_folder(tmp_path_factory) / "student-kit")


@pytest.fixture(scope="session")
def ledger(tmp_path_factory):
    """ledger(kind, assignment, names): note catalogue entries an end-to-end grading held (tests/coverage.py)."""
    return lambda kind, assignment, names: coverage.record(shared_folder(tmp_path_factory), kind, assignment, names)


def pytest_sessionfinish(session):
    """Once at the end of the run, on the controller: the adversarial corpus's table, from every
    worker's rows, and the coverage gate (tests/coverage.py).

    Here and not in tests/adversarial/: under pytest-xdist only the workers
    collect, so the controller never loads a conftest below this one.
    """
    if hasattr(session.config, "workerinput"):  # a pytest-xdist worker
        return
    from tests.adversarial.test_corpus import write_table

    write_table()
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if not coverage.whole_run(session.config):
        if reporter:
            reporter.write_line("coverage gate: not checked in a partial run (-k, -m, chosen files or --lf)")
        return
    missing = coverage.graded_nowhere(session.config._tmp_path_factory.getbasetemp())
    if missing:
        if reporter:
            reporter.write_line(
                f"coverage gate FAILED: {len(missing)} catalogue entries were graded nowhere: " + ", ".join(missing),
                red=True,
            )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    elif reporter:
        reporter.write_line(
            f"coverage gate: every one of the {len(coverage.catalogue())} catalogue entries "
            "(mistakes and attacks) was graded"
        )
