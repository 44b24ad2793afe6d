"""The feedback pages of a graded cohort, in Chromium: nothing runs, every image loads, a phone can read them.

A cohort of two 02_activations submissions is graded by ``grade-all``
(quick mode) in a throwaway nbgrader course: ada's reference, and
mallory's, whose every student-controlled string carries a payload. Her
``relu`` raises an error whose text is HTML with a ``<script>``, an
``onerror=`` and a ``javascript:`` link (the grader quotes it in her
message), her ``relu_grad`` returns such a string, and her notebook's
markdown and outputs hold the same. Each payload, if it ever ran, would
count itself in ``window.__ran`` or open a dialog.

The pages carry two defences (autograder/course/feedback.py): every value
is escaped, and a Content-Security-Policy forbids scripts. The last test
turns both off and shows that the check here then fails: the payloads run.
"""

from __future__ import annotations

import subprocess
import sys

import nbformat
import pytest

from autograder.course import feedback
from tests import samples
from tests.test_cohort import environment, make_course

pytestmark = [pytest.mark.browser, pytest.mark.sandbox]

A = "02_activations"
RAN = "window.__ran = (window.__ran || 0) + 1"
PAYLOAD = (
    f"<script>{RAN}</script><img src=x onerror='{RAN}'><a href='javascript:{RAN}' id=js>click me</a>"
    f"<svg onload='{RAN}'></svg><script>alert(1)</script>"
)
# A student id is a folder name: no "/", so no closing tag, but an event handler fits.
ZED = "zed<img src=x onerror=alert(1)>"
WIDTHS = {"desktop": 1200, "phone": 390}


def _mallory(folder):
    notebook = samples.student_notebook(
        A,
        {
            "relu": f"def relu(z):\n    raise ValueError({PAYLOAD!r})\n",
            "relu_grad": f"def relu_grad(z):\n    return {PAYLOAD!r}\n",
        },
    )
    notebook.cells.insert(1, nbformat.v4.new_markdown_cell(PAYLOAD))
    notebook.cells.append(nbformat.v4.new_code_cell(f"print({PAYLOAD!r})"))
    notebook.cells.append(
        nbformat.v4.new_code_cell(f"from IPython.display import HTML, display\ndisplay(HTML({PAYLOAD!r}))")
    )
    return samples.write(notebook, folder, A)


@pytest.fixture(scope="module")
def graded_cohort(tmp_path_factory):
    """grade-all's output folder for ada (the reference) and mallory (the payloads)."""
    course = make_course(tmp_path_factory.mktemp("course"), [])
    samples.write(samples.student_notebook(A), course / "submitted" / "ada", A)
    _mallory(course / "submitted" / "mallory")
    samples.write(samples.release_notebook(A), course / "submitted" / ZED, A)
    done = subprocess.run(
        [sys.executable, "-m", "autograder", "grade-all", A, "--quick"],
        cwd=course,
        env=environment(),
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return course / "grades" / A


def _pages(out):
    return {
        "report": out / "report.html",
        "ada": out / "students" / "ada" / "feedback.html",
        "mallory": out / "students" / "mallory" / "feedback.html",
    }


def _load(watched, path):
    """Open ``path``, click every link it has (a ``javascript:`` one would run), and say what ran."""
    page = watched.page
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    for link in page.locator("a[href^='javascript:' i]").all():
        link.click()
    return {"ran": page.evaluate("window.__ran || 0"), "dialogs": dialogs}


def test_mallorys_payloads_reach_her_page_as_text(graded_cohort):
    page = _pages(graded_cohort)["mallory"].read_text()
    assert "&lt;script&gt;window.__ran" in page  # her error, quoted in her message, escaped
    for tag in ("<script", "<img src=x", "<svg", "<a href='javascript"):
        assert tag not in page.lower(), tag


@pytest.mark.parametrize("width", sorted(WIDTHS))
def test_the_feedback_pages_run_nothing_load_every_image_and_fit_the_screen(graded_cohort, open_page, width):
    from playwright.sync_api import expect

    for name, path in _pages(graded_cohort).items():
        watched = open_page(WIDTHS[width], 900)
        page = watched.page
        outcome = _load(watched, path)
        assert outcome == {"ran": 0, "dialogs": []}, (name, outcome)
        assert watched.errors == [], (name, watched.errors)
        images = page.locator("img")
        assert images.count() > 0, name  # plots, training bars or the cohort's charts
        for index in range(images.count()):
            image = images.nth(index)
            image.scroll_into_view_if_needed()
            loaded = image.evaluate("img => img.complete && img.naturalWidth > 0")
            assert loaded, (name, index, image.get_attribute("alt"))
        table = page.locator("table").first
        expect(table).to_be_visible()
        expect(table).to_contain_text("total" if name != "report" else "exercise")
        # The main text does not scroll sideways: the page is no wider than the screen.
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, (name, width, overflow)
        watched.shot(f"{name}-{width}", full_page=True)


def test_the_check_fails_when_the_pages_sanitising_is_turned_off(graded_cohort, open_page, monkeypatch, tmp_path):
    """The same records, rendered with neither escaping nor the CSP: the payloads run, and the check sees it."""
    import json

    records = [json.loads(p.read_text()) for p in sorted((graded_cohort / "records").glob("*.json"))]
    monkeypatch.setattr(feedback, "_e", feedback._text)
    monkeypatch.setattr(feedback, "CSP", "script-src 'unsafe-inline' 'unsafe-eval' *")
    mallory = next(r for r in records if r["student"] == "mallory")
    unsafe = {
        "mallory": feedback.student_html(mallory),
        "report": feedback.cohort_html(records, A),
    }
    for name, html in unsafe.items():
        path = tmp_path / f"{name}-unsanitised.html"
        path.write_text(html)
        outcome = _load(open_page(), path)
        assert outcome["ran"] > 0 or outcome["dialogs"], (name, outcome)  # the check above would fail here
