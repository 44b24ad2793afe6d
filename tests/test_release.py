"""release/ is nbgrader's output, and every notebook follows the grading conventions."""

from __future__ import annotations

import json
import re

import pytest

from autograder import probe
from autograder.judge.exercises import exercises_for
from autograder.host.repair import assignments, grade_id, nbgrader_meta, read, source_path
from autograder.course.release import generate
from autograder.training import Training
from tests.samples import RELEASE_DIR


def test_committed_release_matches_a_fresh_generation(tmp_path):
    fresh = generate(tmp_path)
    committed = sorted(p.relative_to(RELEASE_DIR) for p in RELEASE_DIR.rglob("*.ipynb"))
    assert committed == sorted(p.relative_to(tmp_path) for p in fresh), "release/ has extra or missing notebooks"
    for path in fresh:
        relative = path.relative_to(tmp_path)
        stale = json.loads((RELEASE_DIR / relative).read_text()) != json.loads(path.read_text())
        assert not stale, f"release/{relative} differs from a fresh generation: run `make release` and commit it"


@pytest.mark.parametrize("assignment", assignments())
def test_release_holds_no_solutions_or_hidden_tests(assignment):
    text = (RELEASE_DIR / assignment / f"{assignment}.ipynb").read_text()
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "hidden=True"):
        assert marker not in text, f"release/{assignment} leaks {marker!r}"


@pytest.mark.parametrize("assignment", assignments())
def test_each_graded_function_has_a_solution_cell_then_a_locked_test_cell(assignment):
    cells = [c for c in read(source_path(assignment)).cells if c.cell_type == "code"]
    solutions = [(i, c) for i, c in enumerate(cells) if nbgrader_meta(c).get("solution")]
    assert solutions, "no solution cells"
    for i, cell in solutions:
        name = grade_id(cell)
        assert re.search(rf"^(def {name}\(|class {name}\b)", cell.source, re.M), (
            f"solution cell {name!r} must define {name}"
        )
        test = cells[i + 1]
        meta = nbgrader_meta(test)
        assert grade_id(test) == f"test_{name}" and meta.get("grade") and meta.get("locked"), (
            f"{name}: the next code cell must be the locked grade cell test_{name}"
        )
        assert meta.get("points", 0) > 0
        exercise = exercises_for(assignment).get(name)
        # A training exercise's test cell trains, then checks the network it leaves behind.
        checked = exercise.variable if isinstance(exercise, Training) else name
        if isinstance(exercise, Training):  # through check.train: timed, and "not implemented yet" when unwritten
            assert re.search(rf'^{checked} = check\.train\("{name}", {name}, ', test.source, re.M), (
                f'test_{name} must train: {checked} = check.train("{name}", {name}, ...)'
            )
        assert f'check("{name}", {checked})' in test.source
        assert f'check("{name}", {checked}, hidden=True)' in test.source
    graded = {grade_id(c) for _, c in solutions}
    assert graded == set(exercises_for(assignment)), (
        "notebook and autograder/exercises disagree on the graded functions"
    )


@pytest.mark.parametrize("assignment", assignments())
def test_every_exercise_has_public_and_hidden_cases(assignment):
    for exercise in exercises_for(assignment).values():
        if isinstance(exercise, Training):  # scored on the test split, against autograder.targets
            assert exercise.target(quick=False) and exercise.target(quick=True)
            continue
        assert exercise.public() and exercise.hidden(), exercise.name
        for index in range(len(exercise.cases)):
            expected = exercise.expected(index)  # the reference itself must run on every case
            if exercise.assess is not None:
                args, kwargs = exercise.inputs(index)
                seen = probe.roundtrip({"status": "ok", "value": expected})["value"]  # as the judge sees it
                assert exercise.assess(args, kwargs, seen) is None, (
                    f"{exercise.name}: case {index} rejects the reference"
                )


@pytest.mark.parametrize("assignment", assignments())
def test_only_the_pytorch_lessons_import_torch(assignment):
    """The numpy lessons' sandboxes hide torch (the judge's reference): their notebooks must not need it."""
    from autograder.judge.exercises import needs_torch

    code = "\n".join(c.source for c in read(source_path(assignment)).cells if c.cell_type == "code")
    assert bool(re.search(r"^\s*(import torch|from torch)", code, re.M)) == needs_torch(assignment)
