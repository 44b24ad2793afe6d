"""`python -m autograder grade`: Gradescope JSON, exit code 0, clear errors for bad input."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from autograder.data import REPO_ROOT
from autograder.host.repair import grade_cells, source_path
from tests import samples

pytestmark = pytest.mark.sandbox

GRADESCOPE_KEYS = {"name", "score", "max_score", "output", "visibility", "grade_id", "status"}


def run_cli(*args):
    done = subprocess.run(
        [sys.executable, "-m", "autograder", "grade", *map(str, args)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    return done


@pytest.mark.parametrize("sample", ["source", "release"])
def test_json_shows_full_marks_for_the_solutions_and_zero_for_the_release(tmp_path, sample):
    assignment = "02_activations" if sample == "source" else "01_neuron"
    notebook = source_path(assignment) if sample == "source" else samples.RELEASE_DIR / assignment
    out = tmp_path / "results.json"
    printed = run_cli(notebook, "--json", out).stdout
    results = json.loads(out.read_text())
    cells = grade_cells(assignment)
    assert [t["grade_id"] for t in results["tests"]] == [c.grade_id for c in cells]
    assert all(GRADESCOPE_KEYS <= set(t) for t in results["tests"])
    assert results["max_score"] == sum(c.points for c in cells)
    if sample == "source":
        assert results["score"] == results["max_score"]
        assert {t["status"] for t in results["tests"]} == {"passed"}
    else:
        assert results["score"] == 0
        assert {t["status"] for t in results["tests"]} == {"error"}
    for cell in cells:
        assert cell.grade_id in printed


@pytest.mark.parametrize(
    "content,cause",
    [
        ("print('this is a script, not a notebook')", "is not a Jupyter notebook"),
        ("", "is empty"),
        ('{"cells": "not a list"}', "is not a Jupyter notebook"),
    ],
)
def test_a_file_that_is_not_a_notebook_gets_a_clear_error(tmp_path, content, cause):
    bad = tmp_path / "01_neuron.ipynb"
    bad.write_text(content)
    out = tmp_path / "results.json"
    printed = run_cli(bad, "--json", out).stdout
    results = json.loads(out.read_text())
    assert results["score"] == 0 and cause in results["output"] and cause in printed
    assert [t["grade_id"] for t in results["tests"]] == [c.grade_id for c in grade_cells("01_neuron")]
    assert all(t["status"] == "error" and cause in t["output"] for t in results["tests"])


def test_a_folder_without_a_known_notebook_is_reported(tmp_path):
    (tmp_path / "homework.txt").write_text("hello")
    out = tmp_path / "results.json"
    run_cli(tmp_path, "--json", out)
    results = json.loads(out.read_text())
    assert results["score"] == 0 and "holds no notebook of a known assignment" in results["output"]


def test_only_grades_the_named_functions_and_lists_the_others_as_not_graded(tmp_path):
    out = tmp_path / "results.json"
    printed = run_cli(source_path("02_activations"), "--only", "relu,softmax", "--json", out).stdout
    results = json.loads(out.read_text())
    assert [t["grade_id"] for t in results["tests"]] == ["test_relu", "test_softmax"]
    assert results["score"] == results["max_score"] == 4
    others = "relu_grad, leaky_relu, sigmoid, sigmoid_grad"
    assert f"not graded this time: {others}" in results["output"] and f"not graded this time: {others}" in printed
    done = subprocess.run(
        [sys.executable, "-m", "autograder", "grade", str(source_path("02_activations")), "--only", "relu,tanh"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 2 and "has no graded function tanh" in done.stderr and not done.stdout


@pytest.mark.parametrize(
    "name", ["yamadataro_12345_67890_02_activations.ipynb", "02_activations (1).ipynb", "submission.ipynb"]
)
def test_a_renamed_notebook_is_graded_as_the_assignment_its_cells_belong_to(tmp_path, name):
    """LMS downloads and browsers rename files: the notebook's test cells say which assignment it is."""
    from autograder.host.grader import find_notebook

    path = tmp_path / name
    path.write_text(source_path("02_activations").read_text())
    assert find_notebook(path, None) == (path, "02_activations")
    folder = tmp_path / "ada" / "downloads"
    folder.mkdir(parents=True)
    (folder / name).write_text(source_path("01_neuron").read_text())
    assert find_notebook(folder, None) == (folder / name, "01_neuron")
    if name == "submission.ipynb":  # and end to end, through the CLI
        out = tmp_path / "results.json"
        run_cli(path, "--json", out)
        results = json.loads(out.read_text())
        assert results["score"] == results["max_score"] == sum(c.points for c in grade_cells("02_activations"))


def test_the_name_decides_only_when_the_cells_do_not(tmp_path):
    from autograder.host.grader import find_notebook

    folder = tmp_path / "02_activations"
    folder.mkdir()
    (folder / "02_activations.ipynb").write_text(source_path("02_activations").read_text())
    (folder / "02_activations-Copy1.ipynb").write_text(source_path("02_activations").read_text())
    assert find_notebook(folder, None) == (folder / "02_activations.ipynb", "02_activations")
    empty = tmp_path / "03_forward_pass.ipynb"
    empty.write_text('{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}')
    assert find_notebook(empty, None) == (empty, "03_forward_pass")


def test_the_report_table_wraps_a_long_hint_and_never_cuts_it():
    """The CLI's table cut every line past 200 characters to "[...]", the end of the hint with it."""
    from autograder.course.report import Report

    hint = "    Hint: " + " ".join(f"word{i}" for i in range(80)) + " the end."
    test = {"grade_id": "test_relu", "score": 0, "max_score": 1, "status": "failed", "detail": "", "output": ""}
    test["output"] = "relu(z), public case: wrong\n" + hint
    table = Report("ada.ipynb", "02_activations", [test]).table()
    assert "[...]" not in table and "the end." in table
    assert all(len(line) <= 160 for line in table.splitlines())
    assert " ".join(table.split()).count(" ".join(hint.split())) == 1
