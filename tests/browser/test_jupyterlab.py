"""A student's path in JupyterLab, through the UI: the student kit's JupyterLab in a real Chromium.

JupyterLab runs from the kit's own venv (tests/student_kit.py) on a copy of
the kit's ``notebooks/02_activations.ipynb``, with a token, as a student
starts it. The student types with the keyboard and runs cells with
Shift+Enter; the test reads what the page shows.
"""

from __future__ import annotations

import json
import shutil
import time

import nbformat
import pytest

from autograder.course.student_kit import LAB_SETTINGS
from tests.browser.lab import SECONDS, cell, output, serve
from tests.student_kit import Kit

pytestmark = [pytest.mark.browser, pytest.mark.kit]

A = "02_activations"
TICK = "\u2714"


@pytest.fixture
def lab(kit: Kit, tmp_path):
    """JupyterLab from the kit's venv, on a copy of the kit's notebook, until the test ends."""
    work = tmp_path / "home" / "work"
    work.mkdir(parents=True)
    notebook = work / f"{A}.ipynb"
    shutil.copyfile(kit.dist / "notebooks" / f"{A}.ipynb", notebook)
    with serve(kit, tmp_path, notebook) as running:
        yield running


_cell, _output = cell, output


def _replace_last_line(page, index: int, text: str) -> None:
    """Type ``text`` over the last line of cell ``index`` (the stub's ``raise NotImplementedError()``)."""
    _cell(page, index).locator(".cm-content").click()
    page.keyboard.press("Control+End")
    page.keyboard.press("Shift+Home")  # back to the end of the indentation, as CodeMirror's Home goes
    page.keyboard.type(text)


def _run(page, index: int) -> None:
    _cell(page, index).locator(".jp-InputArea-prompt").click()  # command mode on that cell
    page.keyboard.press("Shift+Enter")


def _indices(notebook) -> dict[str, int]:
    """Cell index by nbgrader grade_id, and "plot" for the cell that draws relu and its slope."""
    found = {c.metadata["nbgrader"]["grade_id"]: i for i, c in enumerate(notebook.cells) if "nbgrader" in c.metadata}
    found["plot"] = next(
        i for i, c in enumerate(notebook.cells) if "relu_grad(z)" in c.source and "plt.show" in c.source
    )
    return found


def _grader_message(report, grade_id: str) -> str:
    test = next(t for t in report.tests if t["grade_id"] == grade_id)
    return " ".join(test["output"].split("\n    (")[0].split())  # the count of cases differs: hidden ones


def test_the_student_path_in_jupyterlab(lab, open_page, graded):
    """Type, run, see the tick; a plot; a mistake and the grader's message; locked cells; autosave;
    the Validate button; the notice when the kernel dies."""
    from playwright.sync_api import expect

    watched = open_page(1400, 900)
    page = watched.page
    notebook = nbformat.read(lab.notebook, as_version=4)
    cells, at = len(notebook.cells), _indices(notebook)
    page.goto(lab.open(lab.notebook.name))
    expect(page.locator(".jp-NotebookPanel .jp-Cell")).to_have_count(cells, timeout=SECONDS)
    expect(page.locator(".jp-Notebook-ExecutionIndicator, .jp-StatusBar-TextItem").first).to_be_visible()
    watched.shot("opened")

    # The course's settings, as JupyterLab resolved them for this page (overrides.json of the kit).
    wanted = json.loads(LAB_SETTINGS.read_text())
    for plugin, values in wanted.items():
        composite = page.evaluate(
            "async (plugin) => (await (await fetch(`/lab/api/settings/${plugin}`)).json()).settings ?? null", plugin
        )
        resolved = page.evaluate(
            "async (plugin) => { const r = await (await fetch(`/lab/api/settings/${plugin}`)).json();"
            " const d = {}; for (const [k, v] of Object.entries(r.schema.properties)) d[k] = v.default;"
            " return d; }",
            plugin,
        )
        assert composite == {}, (plugin, composite)  # no user settings: the values are the course's defaults
        for key, value in values.items():
            assert resolved[key] == value, (plugin, key, resolved[key])
    expect(page.locator(".jp-StatusBar-Widget")).to_contain_text(["Idle"], timeout=SECONDS)  # kernel status shown

    # Locked cells (nbgrader's editable/deletable: false): typing changes nothing, `d d` deletes nothing.
    locked = at["test_relu"]
    before = _cell(page, locked).locator(".cm-content").inner_text()
    _cell(page, locked).locator(".cm-content").click()
    page.keyboard.type("x = 1  # my own change")
    assert _cell(page, locked).locator(".cm-content").inner_text() == before
    page.keyboard.press("Escape")
    page.keyboard.press("d")
    page.keyboard.press("d")
    page.wait_for_timeout(300)
    expect(page.locator(".jp-NotebookPanel .jp-Cell")).to_have_count(cells)
    watched.shot("locked-cell-unchanged")

    # A correct relu: its test cell shows the tick.
    _run(page, at["setup"])
    typed_at = time.monotonic()
    _replace_last_line(page, at["relu"], "return np.maximum(z, 0)")
    page.keyboard.press("Shift+Enter")  # runs relu, selects its test cell
    page.keyboard.press("Shift+Enter")
    expect(_output(page, at["test_relu"])).to_contain_text(f"{TICK} relu(z):", timeout=SECONDS)
    watched.shot("relu-passes")

    # relu_grad, then the plotting cell draws an image.
    _replace_last_line(page, at["relu_grad"], "return (z > 0).astype(z.dtype)")
    page.keyboard.press("Shift+Enter")
    page.keyboard.press("Shift+Enter")
    expect(_output(page, at["test_relu_grad"])).to_contain_text(TICK, timeout=SECONDS)
    _run(page, at["plot"])
    image = _output(page, at["plot"]).locator("img")
    expect(image).to_be_visible(timeout=SECONDS)
    assert image.evaluate("img => img.naturalWidth") > 100
    watched.shot("plot")

    # A typical mistake: the textbook sigmoid. The test cell shows the grader's message for it.
    _replace_last_line(page, at["sigmoid"], "return 1 / (1 + np.exp(-z))")
    page.keyboard.press("Shift+Enter")
    page.keyboard.press("Shift+Enter")
    shown = _output(page, at["test_sigmoid"])
    expect(shown).to_contain_text("CheckFailed", timeout=SECONDS)
    message = _grader_message(graded(A, "mistake:sigmoid_naive"), "test_sigmoid")
    assert len(message) > 40 and message in " ".join(shown.inner_text().split()), (message, shown.inner_text())
    watched.shot("mistake-message")

    # Autosave: the typed code reaches the file without a save from the student.
    interval = wanted["@jupyterlab/docmanager-extension:plugin"]["autosaveInterval"]
    while "np.maximum(z, 0)" not in lab.notebook.read_text() and time.monotonic() - typed_at < interval + 20:
        time.sleep(1)
    saved = nbformat.read(lab.notebook, as_version=4).cells[at["relu"]].source
    assert "return np.maximum(z, 0)" in saved, f"not autosaved within {interval} s (+20 s)"

    # nbgrader's Validate button: its dialog lists the failing test cell with the same message.
    page.get_by_role("button", name="Validate").click()
    dialog = page.locator(".jp-Dialog")
    expect(dialog).to_contain_text("Validation Results", timeout=SECONDS)
    expect(dialog).to_contain_text('check("sigmoid", sigmoid)', timeout=SECONDS)
    text = " ".join(dialog.inner_text().split())
    assert message in text and 'check("relu", relu)' not in text
    watched.shot("validate")
    dialog.get_by_role("button", name="Ok").click()
    expect(dialog).to_have_count(0)

    # The kernel dies (as when a cell runs out of memory): JupyterLab says so, and restarts it.
    last = cells - 1
    _cell(page, last).click()
    page.keyboard.press("Escape")
    page.keyboard.press("b")  # a new cell below, as a student adds one
    page.keyboard.press("Enter")
    page.keyboard.type("import os, signal; os.kill(os.getpid(), signal.SIGKILL)")
    page.keyboard.press("Shift+Enter")
    notice = page.locator(".jp-Dialog")
    expect(notice).to_contain_text("appears to have died", timeout=SECONDS)
    watched.shot("kernel-died")
    # No offer to fetch Jupyter's news (no internet in a course's lab, and one more toast to dismiss).
    assert page.get_by_text("official Jupyter news").count() == 0
    assert watched.errors == [], watched.errors
