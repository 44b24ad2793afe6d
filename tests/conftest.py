"""Sample submissions, graded once per session and shared between test files."""
from __future__ import annotations

import pytest

from autograder.grader import grade
from autograder.notebooks import assignments, source_path
from tests import samples
from tests.mistakes import mistakes_for

ASSIGNMENTS = assignments()
MISTAKES = [(a, m) for a in ASSIGNMENTS for m in mistakes_for(a)]


def sample_notebook_path(assignment: str, sample: str, folder):
    """'source' and 'release' are the committed notebooks; 'reference' (the release
    filled with the reference code) and 'mistake:<id>' are built from the release."""
    if sample == "source":
        return source_path(assignment)
    if sample == "release":
        return samples.RELEASE_DIR / assignment / f"{assignment}.ipynb"
    if sample == "reference":
        return samples.write(samples.student_notebook(assignment), folder, assignment)
    mistake = sample.split(":", 1)[1]
    return samples.write(samples.with_mistakes(assignment, mistake), folder, assignment)


def pytest_collection_modifyitems(items):
    """Under pytest-xdist, keep each assignment's tests on one worker, so that its
    session-scoped gradings are shared (the nbgrader agreement test reuses them),
    and keep the adversarial corpus together (its last test reads what the others
    recorded)."""
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        if "assignment" in params:
            item.add_marker(pytest.mark.xdist_group(params["assignment"]))
        elif item.nodeid.startswith("tests/adversarial/"):
            item.add_marker(pytest.mark.xdist_group("adversarial"))


# Training exercises are graded in quick mode here (autograder/targets.py holds
# both modes' targets); the demo and the benchmarks use the full data.
QUICK = True


@pytest.fixture(scope="session")
def graded(tmp_path_factory):
    reports = {}

    def get(assignment: str, sample: str):
        if (assignment, sample) not in reports:
            folder = tmp_path_factory.mktemp(sample.replace(":", "-"))
            reports[assignment, sample] = grade(sample_notebook_path(assignment, sample, folder), assignment,
                                           quick=QUICK)
        return reports[assignment, sample]

    return get
