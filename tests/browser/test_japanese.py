"""The Japanese edition in JupyterLab, in a real Chromium: the language pack installed and selectable, the checks
answering in Japanese, and a Japanese plot title drawn with its glyphs, not as empty boxes (tofu).

JupyterLab runs from the student kit's venv (tests/student_kit.py) on lesson 02's Japanese edition, filled in as a
student who has done the work would have it. The kernel learns the edition from the notebook it runs
(autograder/kernel/i18n.py: JupyterLab names it in ``$JPY_SESSION_NAME``).
"""

from __future__ import annotations

import base64
import io
import json

import nbformat
import numpy as np
import pytest

from autograder import i18n
from tests import samples
from tests.browser.lab import SECONDS, cell, output, serve
from tests.student_kit import Kit

pytestmark = [pytest.mark.browser, pytest.mark.kit]

A = "02_activations"
TITLE = "activation f(z)"  # tr("activation f(z)"): the title of the plot of every activation and its slope
TOFU = "missing from font"  # what matplotlib warns when a font lacks a glyph it must draw: a box instead


@pytest.fixture
def lab_ja(kit: Kit, tmp_path):
    work = tmp_path / "home" / "work"
    work.mkdir(parents=True)
    notebook = work / f"{A}.ipynb"
    nbformat.write(samples.edition(samples.student_notebook(A), A, "ja"), notebook)
    with serve(kit, tmp_path, notebook) as running:
        yield running


def _png(image) -> np.ndarray:
    """The pixels of an <img> the notebook shows (a data URI), as a grey-level array."""
    from PIL import Image

    data = base64.b64decode(image.get_attribute("src").split(",", 1)[1])
    return np.asarray(Image.open(io.BytesIO(data)).convert("L"), dtype=np.int16)


def test_the_japanese_edition_in_jupyterlab(lab_ja, open_page):
    from playwright.sync_api import expect

    lab = lab_ja
    # The language pack is installed (JupyterLab lists Japanese) and selectable (JupyterLab's own setting).
    assert "ja_JP" in lab.api("GET", "/lab/api/translations/")["data"]
    setting = "/lab/api/settings/@jupyterlab/translation-extension:plugin"
    lab.api("PUT", setting, {"raw": json.dumps({"locale": "ja_JP"})})

    watched = open_page(1400, 900)
    page = watched.page
    notebook = nbformat.read(lab.notebook, as_version=4)
    plot = next(i for i, c in enumerate(notebook.cells) if f'tr("{TITLE}")' in c.source)
    grade_ids = [c.metadata.get("nbgrader", {}).get("grade_id") for c in notebook.cells]
    test_relu = grade_ids.index("test_relu")
    page.goto(lab.open(lab.notebook.name))
    expect(page.locator(".jp-NotebookPanel .jp-Cell")).to_have_count(len(notebook.cells), timeout=SECONDS)
    expect(page.locator("#jp-menu-panel")).to_contain_text("ファイル", timeout=SECONDS)  # File, in Japanese
    expect(page.locator(".jp-StatusBar-Widget").first).to_be_visible()
    watched.shot("japanese-menus")

    # Run every cell: command mode, select all, run the selection.
    cell(page, 0).click()
    page.keyboard.press("Escape")
    page.keyboard.press("Control+a")
    page.keyboard.press("Shift+Enter")
    image = output(page, plot).locator("img")
    expect(image).to_be_visible(timeout=3 * SECONDS)
    # The public checks answer in the notebook's language.
    passed = i18n.catalogue("ja")["{signature}: all {count} public checks passed."].split("{count}")[1].strip()[:6]
    expect(output(page, test_relu)).to_contain_text(passed, timeout=SECONDS)
    image.scroll_into_view_if_needed()
    page.wait_for_timeout(500)
    watched.shot("japanese-plot")
    image.screenshot(path=watched.folder / "japanese-plot-image.png")
    assert TOFU not in cell(page, plot).inner_text()
    drawn = _png(image)

    # The same plot drawn with matplotlib's default font, which has no Japanese glyphs: matplotlib warns,
    # and the titles (the top band of the figure) change. The check above would have caught that tofu.
    cell(page, plot).locator(".jp-InputArea-prompt").click()
    page.keyboard.press("b")  # a new cell below, selected
    page.keyboard.press("Enter")
    page.keyboard.type('import matplotlib; matplotlib.rcParams["font.family"] = ["DejaVu Sans"]')
    page.keyboard.press("Shift+Enter")
    cell(page, plot).locator(".jp-InputArea-prompt").click()
    page.keyboard.press("Control+Enter")  # run it again, in place
    expect(cell(page, plot)).to_contain_text(TOFU, timeout=SECONDS)
    tofu = _png(output(page, plot).locator("img"))
    watched.shot("tofu-for-comparison")
    assert drawn.shape[1] > 300 and tofu.shape[1] > 300
    band = min(drawn.shape[0], tofu.shape[0]) // 8  # the titles' rows
    width = min(drawn.shape[1], tofu.shape[1])
    ink = (drawn[:band, :width] < 128).sum()
    assert ink > 100, "the title band is empty"
    assert (np.abs(drawn[:band, :width] - tofu[:band, :width]) > 64).sum() > ink // 4, "the titles are the tofu"
