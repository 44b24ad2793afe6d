"""One judge test per grade cell: every case, public and hidden, must pass."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from autograder import probe
from autograder.checks import Verdict, verdict
from autograder.exercises import exercises_for
from autograder.notebooks import grade_cells
from autograder.training import Training, training_verdict


def pytest_generate_tests(metafunc):
    if "cell" in metafunc.fixturenames:
        cells = grade_cells(metafunc.config.getoption("--assignment"))
        metafunc.parametrize("cell", cells, ids=[c.grade_id for c in cells])


@pytest.fixture(scope="module")
def context(request):
    return json.loads(Path(request.config.getoption("--context")).read_text())


@pytest.fixture(scope="module")
def outcomes(request, context):
    """What the probe recorded, decoded; an empty dict when it wrote nothing."""
    outbox = Path(request.config.getoption("--outbox"))
    # Everything in the outbox was written by the student's kernel: anything unreadable means no results.
    try:
        records = json.loads((outbox / probe.OUTCOMES_FILE).read_text())
        with np.load(outbox / probe.ARRAYS_FILE, allow_pickle=False) as stored:
            arrays = {key: stored[key] for key in stored.files}
        for record in records.values():
            if "value" in record:
                record["value"] = probe.decode(record["value"], arrays)
        if not all(isinstance(r, dict) and isinstance(r.get("status"), str) for r in records.values()):
            raise ValueError("malformed records")
    except Exception as error:
        context["failure"] = context.get("failure") or f"the probe left no readable results ({type(error).__name__})"
        return {}
    return records


def test_grade_cell(cell, context, outcomes, record):
    exercise = exercises_for(context["assignment"])[cell.function]
    indices = list(range(len(exercise.cases)))
    if isinstance(exercise, Training) and cell.function not in context.get("missing_solutions", []):
        missing = {"status": "missing", "error": context.get("failure") or "the probe did not reach it"}
        result = training_verdict(exercise, outcomes.get(f"{cell.function}/trained", missing), "test",
                                  context.get("quick", False), context.get("cell_errors", {}).get(cell.grade_id))
    elif cell.function in context.get("missing_solutions", []):
        message = (f"The solution cell {cell.function!r} is missing from the notebook, so {exercise.signature} "
                   "was not graded. Restore the cell (its grade_id is the function's name) and put your code in it.")
        result = Verdict("error", message, message, 0, len(indices))
    else:
        missing = {"status": "missing",
                   "error": f"{cell.function} was never called: {context.get('failure') or 'the probe did not reach it'}"}
        result = verdict(exercise, indices, [outcomes.get(f"{cell.function}/{i}", missing) for i in indices])
    record(cell, result)
    assert result.passed, result.detail
