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
is escaped, and a Content-Security-Policy forbids scripts. The test ends by
turning both off, and shows that the same check then fails: the payloads run.
"""

from __future__ import annotations

import json

import nbformat
import pytest

from autograder.course import feedback
from tests import samples
from tests.test_cohort import grade_all, make_course

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


def _graded_cohort(root):
    """grade-all's output folder for ada (the reference), mallory (the payloads) and zed (the untouched
    release, under a folder name with a payload)."""
    course = make_course(root, [])
    samples.write(samples.student_notebook(A), course / "submitted" / "ada", A)
    _mallory(course / "submitted" / "mallory")
    samples.write(samples.release_notebook(A), course / "submitted" / ZED, A)
    done = grade_all(course)  # quick mode, in the course folder, as tests/test_cohort.py runs it
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return course / "grades" / A


def _pages(out):
    return {
        "report": out / "report.html",
        "ada": out / "students" / "ada" / "feedback.html",
        "mallory": out / "students" / "mallory" / "feedback.html",
    }


def _scripts_that_ran(watched, path) -> list[str]:
    """Open ``path``, click every ``javascript:`` link it has, and say what ran: payloads counted in
    ``window.__ran``, and dialogs."""
    page = watched.page
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    for link in page.locator("a[href^='javascript:' i]").all():
        link.click()
    ran = page.evaluate("window.__ran || 0")
    return ([f"{ran} payload(s) ran"] if ran else []) + [f"a dialog: {message}" for message in dialogs]


def test_the_feedback_pages_of_a_graded_cohort_in_chromium(open_page, monkeypatch, tmp_path):
    """One grading for every check (a second would cost a test worker 27 s): the pages as grade-all wrote
    them, at a desktop's and a phone's width; then the same records rendered unsanitised, where the same
    check must see the payloads run."""
    from playwright.sync_api import expect

    out = _graded_cohort(tmp_path / "course")
    text = _pages(out)["mallory"].read_text()
    assert "&lt;script&gt;window.__ran" in text  # her error, quoted in her message, escaped
    for tag in ("<script", "<img src=x", "<svg", "<a href='javascript"):
        assert tag not in text.lower(), tag

    for width, pixels in WIDTHS.items():
        for name, path in _pages(out).items():
            watched = open_page(pixels, 900)
            page = watched.page
            assert _scripts_that_ran(watched, path) == [], (name, width)
            assert watched.errors == [], (name, width, watched.errors)
            images = page.locator("img")
            assert images.count() > 0, name  # plots, training bars or the cohort's charts
            for index in range(images.count()):
                image = images.nth(index)
                image.scroll_into_view_if_needed()
                loaded = image.evaluate("img => img.complete && img.naturalWidth > 0")
                assert loaded, (name, width, index, image.get_attribute("alt"))
            table = page.locator("table").first
            expect(table).to_be_visible()
            expect(table).to_contain_text("total" if name != "report" else "exercise")
            # The main text does not scroll sideways: the page is no wider than the screen.
            overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
            assert overflow <= 0, (name, width, overflow)
            watched.shot(f"{name}-{width}", full_page=True)

    # Sanitising turned off (neither escaping nor the CSP): the same check now finds the payloads running.
    records = [json.loads(p.read_text()) for p in sorted((out / "records").glob("*.json"))]
    monkeypatch.setattr(feedback, "_e", feedback._text)
    monkeypatch.setattr(feedback, "CSP", "script-src 'unsafe-inline' 'unsafe-eval' *")
    mallory = next(r for r in records if r["student"] == "mallory")
    for name, html in {"mallory": feedback.student_html(mallory), "report": feedback.cohort_html(records, A)}.items():
        path = tmp_path / f"{name}-unsanitised.html"
        path.write_text(html)
        assert _scripts_that_ran(open_page(), path) != [], name
