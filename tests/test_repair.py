"""host/repair.py, without a kernel: locked cells come back from source, solutions stay the student's."""

from __future__ import annotations

import nbformat

from autograder.host import repair as passes
from autograder.host.repair import grade_id, nbgrader_meta, read, repair, source_path
from tests import samples

A = "02_activations"


def ids(notebook) -> list[str | None]:
    return [grade_id(cell) for cell in notebook.cells]


def test_an_untouched_release_is_repaired_into_the_source_order_without_notes():
    repaired = repair(samples.release_notebook(A), A)
    assert repaired.notes == [] and repaired.missing_solutions == []
    assert [i for i in ids(repaired.notebook) if i] == [grade_id(c) for c in read(source_path(A)).cells if grade_id(c)]


def test_hidden_tests_never_reach_the_kernel():
    source = read(source_path(A))
    assert any("BEGIN HIDDEN TESTS" in cell.source for cell in source.cells)
    repaired = repair(samples.student_notebook(A), A)
    assert not any("HIDDEN TESTS" in cell.source or "hidden=True" in cell.source for cell in repaired.notebook.cells)


def test_an_edited_locked_cell_is_restored_and_noted():
    notebook = samples.student_notebook(A)
    test = next(c for c in notebook.cells if grade_id(c) == "test_relu")
    test.source = "pass  # no checks here"
    repaired = repair(notebook, A)
    restored = next(c for c in repaired.notebook.cells if grade_id(c) == "test_relu")
    assert 'check("relu"' in restored.source
    assert "locked cell 'test_relu' was edited; it was restored from source" in repaired.notes


def test_a_deleted_locked_cell_is_put_back_after_its_predecessor():
    notebook = samples.student_notebook(A)
    notebook.cells = [c for c in notebook.cells if grade_id(c) != "test_softmax"]
    repaired = repair(notebook, A)
    order = ids(repaired.notebook)
    assert order.index("test_softmax") == order.index("softmax") + 1
    assert "locked cell 'test_softmax' was missing; it was restored from source" in repaired.notes


def test_a_duplicated_locked_cell_is_dropped_and_a_duplicated_solution_runs_twice():
    notebook = samples.student_notebook(A)
    at = ids(notebook).index("relu")
    notebook.cells.insert(at + 2, nbformat.from_dict(dict(notebook.cells[at + 1])))  # test_relu again
    notebook.cells.insert(at + 3, nbformat.from_dict(dict(notebook.cells[at])))  # relu again
    repaired = repair(notebook, A)
    assert ids(repaired.notebook).count("test_relu") == 1 and ids(repaired.notebook).count("relu") == 2
    assert "cell 'test_relu' appeared more than once; the copy was dropped" in repaired.notes
    assert any("solution cell 'relu' appears 2 times" in note for note in repaired.notes)


def test_a_solution_cell_made_markdown_runs_as_code_and_a_cleared_one_is_found_by_its_def():
    notebook = samples.student_notebook(A)
    relu = next(c for c in notebook.cells if grade_id(c) == "relu")
    at = notebook.cells.index(relu)
    notebook.cells[at] = nbformat.v4.new_markdown_cell(relu.source, metadata=dict(relu.metadata))
    softmax = next(c for c in notebook.cells if grade_id(c) == "softmax")
    softmax.metadata = {}
    repaired = repair(notebook, A)
    cells = {grade_id(c): c for c in repaired.notebook.cells if grade_id(c)}
    assert cells["relu"].cell_type == "code" and nbgrader_meta(cells["softmax"]).get("solution")
    assert any("'relu' had been turned into a markdown cell" in note for note in repaired.notes)
    assert any("'softmax' had lost its nbgrader metadata" in note for note in repaired.notes)
    assert repaired.missing_solutions == []


def test_a_missing_solution_is_listed_and_every_cell_id_is_unique():
    notebook = samples.student_notebook(A)
    notebook.cells = [c for c in notebook.cells if grade_id(c) != "leaky_relu"]
    repaired = repair(notebook, A)
    assert repaired.missing_solutions == ["leaky_relu"]
    assert "solution cell 'leaky_relu' is missing from the submission" in repaired.notes
    cell_ids = [cell["id"] for cell in repaired.notebook.cells]
    assert len(set(cell_ids)) == len(cell_ids)


# ------------------------------------------------------------------ each pass alone, on synthetic cells
def cell(kind, source, gid=None, **meta):
    made = {
        "code": nbformat.v4.new_code_cell,
        "markdown": nbformat.v4.new_markdown_cell,
        "raw": nbformat.v4.new_raw_cell,
    }[kind](source)
    if gid:
        made.metadata["nbgrader"] = {"grade_id": gid, **meta}
    return made


def state(*cells):
    locked = {"test_f": cell("code", "check('f', f)", "test_f", grade=True, locked=True)}
    solutions = {"f": cell("code", "def f(x):\n    return x", "f", solution=True)}
    return passes.Repair(locked, solutions, list(cells))


def test_pass_restore_locked_cells_restores_an_edit_and_drops_a_copy():
    repair_state = state(cell("code", "print('ok')", "test_f", grade=True), cell("code", "x", "test_f"))
    passes.restore_locked_cells(repair_state)
    assert [c.source for c in repair_state.cells] == ["check('f', f)"]
    assert repair_state.notes == [
        "locked cell 'test_f' was edited; it was restored from source",
        "cell 'test_f' appeared more than once; the copy was dropped",
    ]


def test_pass_retype_solution_cells_runs_a_markdown_solution_as_code():
    repair_state = state(cell("markdown", "def f(x):\n    return 2 * x", "f", solution=True))
    passes.retype_solution_cells(repair_state)
    assert repair_state.cells[0].cell_type == "code" and "turned into a markdown cell" in repair_state.notes[0]


def test_pass_note_copied_solutions_says_the_last_definition_counts():
    repair_state = state(
        cell("code", "def f(x): return 1", "f", solution=True), cell("code", "def f(x): return 2", "f", solution=True)
    )
    passes.note_copied_solutions(repair_state)
    assert repair_state.notes == [
        "solution cell 'f' appears 2 times; every copy was run, so the last definition counts"
    ]


def test_pass_rebind_cleared_metadata_finds_the_solution_by_its_def():
    repair_state = state(cell("code", "import numpy as np"), cell("code", "def f(x):\n    return x + 1"))
    passes.rebind_cleared_metadata(repair_state)
    assert grade_id(repair_state.cells[1]) == "f" and "f" in repair_state.seen
    assert "lost its nbgrader metadata" in repair_state.notes[0]


def test_pass_reinsert_missing_cells_puts_a_deleted_test_after_its_solution():
    source = nbformat.v4.new_notebook()
    source.cells = [
        cell("code", "def f(x):\n    return x", "f", solution=True),
        cell("code", "check('f', f)", "test_f", grade=True, locked=True),
    ]
    repair_state = state(cell("code", "def f(x):\n    return x", "f", solution=True), cell("code", "print(1)"))
    repair_state.seen = {"f"}
    passes.reinsert_missing_cells(repair_state, source)
    assert [grade_id(c) for c in repair_state.cells] == ["f", "test_f", None]
    assert repair_state.notes == ["locked cell 'test_f' was missing; it was restored from source"]
