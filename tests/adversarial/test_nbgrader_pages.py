"""nbgrader's own pages run nothing of a student's (issue 33): what grade-all writes into autograded/ is rebuilt
from an allowlist, and nbgrader's renderer (`nbgrader generate_feedback`, which the formgrader shares) shows
it as inert.

The attack: an image output whose metadata ``width`` carries an ``onerror``. nbconvert's template writes the
width into the ``<img>`` tag unquoted, so the handler ran in the instructor's and the student's browser. An
HTML output and a script output are dropped as before; a cell's and the notebook's own metadata are no
longer copied at all.
"""

from __future__ import annotations

import re

import nbformat
import pytest

from tests import samples
from tests.test_cohort import A, grade_all, make_course, nbgrader

pytestmark = pytest.mark.sandbox

PNG = (  # a 1x1 transparent PNG
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="
)
HOSTILE = f"""
from IPython.display import display, HTML
display({{"image/png": "{PNG}"}}, metadata={{"image/png": {{"width": "1 onerror=alert(1)", "height": "1"}}}}, raw=True)
display(HTML('<img src=x onerror=alert(2)>'))
display({{"text/plain": "x", "text/html": "<script>alert(3)</script>"}}, raw=True)
"""
LIVE = [re.compile(r"<[a-zA-Z][^>]*\bonerror\s*=", re.I), re.compile(r"<script>\s*alert", re.I)]


def test_nbgrader_feedback_from_our_autograded_notebook_runs_nothing_of_the_students(tmp_path):
    course = make_course(tmp_path / "course", ["ada"])
    notebook = samples.student_notebook(A)
    notebook.cells.append(nbformat.v4.new_code_cell(HOSTILE))
    notebook.metadata["title"] = "<script>alert(4)</script>"
    notebook.cells[-1].metadata["tags"] = ["<img src=x onerror=alert(5)>"]
    samples.write(notebook, course / "submitted" / "eve", A)
    done = grade_all(course)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]

    autograded = nbformat.read(str(course / "autograded" / "eve" / A / f"{A}.ipynb"), as_version=4)
    hostile = next(c for c in autograded.cells if c.cell_type == "code" and "onerror=alert(1)" in c.source)
    image = next(o for o in hostile.outputs if "image/png" in o.get("data", {}))
    assert image.get("metadata", {}) == {}  # the student's width never reaches a tag
    assert "title" not in autograded.metadata and not any("tags" in c.metadata for c in autograded.cells)

    nbgrader(course, "generate_feedback", A)
    page = (course / "feedback" / "eve" / A / f"{A}.html").read_text()
    assert "data:image/png;base64," in page  # the image is still shown
    for live in LIVE:
        assert not live.search(page), live.search(page).group(0)
