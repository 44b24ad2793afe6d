"""Feedback pages and atomic writes: escaping, what a student may see, plots, cohort statistics."""

from __future__ import annotations

import base64
import io
import json
import os
import re

import nbformat
import pytest

from autograder.i18n import JAPANESE
from matplotlib.figure import Figure

from autograder.course import feedback
from autograder.course.files import write_atomic, write_json_atomic

SCRIPT = "<script>alert(1)</script>"
SECRET = "HIDDEN-INPUT-1e308"


def png_bytes(color="tab:blue") -> bytes:
    fig = Figure(figsize=(2, 1.5), dpi=50)
    fig.subplots().plot([0, 1, 2], [2, 0, 1], color=color)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def image_output(data: str, output_type="display_data"):
    if output_type == "execute_result":
        return nbformat.v4.new_output(
            output_type, data={"image/png": data, "text/plain": "<Figure>"}, execution_count=1
        )
    return nbformat.v4.new_output(output_type, data={"image/png": data, "text/plain": "<Figure>"})


def result(name="relu", status="passed", score=1.0, max_score=1.0, **extra):
    return {
        "grade_id": f"test_{name}",
        "function": name,
        "status": status,
        "score": score,
        "max_score": max_score,
        "output": f"{name}: {status}",
        "detail": f"{name} detail",
        "cases_passed": 4 if status == "passed" else 2,
        "cases_total": 4,
        **extra,
    }


def record(student, tests, error=None, notes=(), assignment="02_activations", mode="full"):
    report = {
        "submission": f"submitted/{student}",
        "assignment": assignment,
        "tests": tests,
        "notes": list(notes),
        "error": error,
        "seconds": 3.0,
        "score": sum(t["score"] for t in tests),
        "max_score": sum(t["max_score"] for t in tests),
    }
    return {
        "student": student,
        "assignment": assignment,
        "graded_at": "2026-11-23T19:40:00+00:00",
        "mode": mode,
        "report": report,
    }


def images_in(page: str) -> list[bytes]:
    return [base64.b64decode(b) for b in re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)]


def assert_no_script(page: str):
    assert "<script" not in page.lower()
    assert "&lt;script&gt;" in page


# --- plots -------------------------------------------------------------------------------------------


def test_plots_keeps_real_pngs_with_their_cell_index_and_skips_garbage():
    png, other = png_bytes(), png_bytes("tab:red")
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# plots"),
        nbformat.v4.new_code_cell(
            "plt.plot()",
            outputs=[
                image_output(base64.encodebytes(png).decode()),  # with line breaks, as Jupyter writes it
                image_output("this is not base64 !!!"),
                image_output(base64.b64encode(b"GIF89a not a png").decode()),
                image_output("QUJD="),  # bad padding
                image_output("ü" * 10),  # non-ASCII
                nbformat.v4.new_output("stream", text="hello"),
            ],
        ),
        nbformat.v4.new_code_cell("fig", outputs=[image_output(base64.b64encode(other).decode(), "execute_result")]),
    ]
    assert feedback.plots(nb) == [(1, png), (2, other)]
    assert feedback.plots(None) == []


def test_plots_are_capped_in_number_and_size():
    png = png_bytes()
    huge = feedback.PNG_SIGNATURE + b"\0" * feedback.MAX_PLOT_BYTES
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("", outputs=[image_output(base64.b64encode(huge).decode())])]
    nb.cells += [
        nbformat.v4.new_code_cell("", outputs=[image_output(base64.b64encode(png).decode())] * 3) for _ in range(10)
    ]
    found = feedback.plots(nb)
    assert len(found) == feedback.MAX_PLOTS
    assert found[0] == (1, png)  # the oversize image in cell 0 was skipped


# --- the student's page ------------------------------------------------------------------------------


def test_student_page_escapes_everything_and_never_shows_detail():
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(
            SCRIPT,
            outputs=[
                nbformat.v4.new_output("stream", text=SCRIPT),
                image_output(base64.b64encode(png_bytes()).decode()),
            ],
        )
    ]
    tests = [
        result("relu", output=f"relu returned {SCRIPT}", detail=f"hidden case: {SECRET}"),
        result(f"bad{SCRIPT}", "failed", 0.0, detail=SECRET),
    ]
    page = feedback.student_html(record(f"eve{SCRIPT}", tests, notes=[f"note {SCRIPT}"]), nb)
    assert_no_script(page)
    assert SECRET not in page and "detail" not in page
    assert "relu returned &lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "bad&lt;script&gt;" in page and "eve&lt;script&gt;" in page and "note &lt;script&gt;" in page
    assert re.findall(r'(?:src|href)="([^"]{0,22})', page) == ["data:image/png;base64,"]  # nothing from elsewhere


def test_student_page_shows_scores_cases_training_figures_and_plots():
    png = png_bytes()
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("intro"),
        nbformat.v4.new_code_cell("", outputs=[image_output(base64.b64encode(png).decode())]),
    ]
    figures = {
        "accuracy": 0.8612,
        "target": 0.85,
        "mode": "full",
        "split": "test",
        "tiers": [[0.80, 0.5], [0.70, 0.25]],
    }
    tests = [result("relu", "failed", 0.0), result("train_mlp", "passed", 6.0, 6.0, figures=figures)]
    page = feedback.student_html(record("ada", tests, assignment="05_backprop"), nb)
    assert "ada: 05_backprop, 6 / 7 points (full mode)" in page
    assert "2 / 4" in page and "4 / 4" in page
    assert "0.8612 reached on the test split, target 0.85 (full mode)" in page
    assert "50% from 0.80, 25% from 0.70" in page
    assert 'style="width:86.12%"' in page and 'style="left:85.00%"' in page
    assert images_in(page) == [png]
    assert "Cell 2" in page


def test_student_page_of_an_ungradable_submission_says_why():
    page = feedback.student_html(record("bob", [result("relu", "error", 0.0)], error="not a notebook: <bad>"))
    assert "could not be graded" in page and "not a notebook: &lt;bad&gt;" in page
    assert "could not be graded" in feedback.student_html({"student": "x", "assignment": "a", "mode": "full"})


# --- the cohort page ---------------------------------------------------------------------------------


def cohort():
    return [
        record("ada", [result("relu"), result("softmax", max_score=2.0, score=2.0)]),
        record("bob", [result("relu", "failed", 0.0), result("softmax", max_score=2.0, score=2.0)]),
        record(
            "cyd",
            [result("relu", "error", 0.0), result("softmax", "error", 0.0, 2.0)],
            error="the notebook is not valid JSON",
        ),
    ]


def exercise_row(page: str, function: str) -> str:
    rows = re.findall(r"<tr[^>]*>.*?</tr>", page, re.S)
    return next(r for r in rows if f"<td>{function}</td>" in r and "%" in r)


def test_cohort_page_pass_rates_statistics_and_ungradable_students():
    page = feedback.cohort_html(cohort(), "02_activations")
    assert "2 graded, 1 not gradable" in page
    assert "left out" in page  # the page says how ungradable submissions count
    relu, softmax = exercise_row(page, "relu"), exercise_row(page, "softmax")
    assert "50% (1/2)" in relu and "0.50 / 1" in relu and "failed (1)" in relu and 'class="low"' in relu
    assert "100% (2/2)" in softmax and "2.00 / 2" in softmax and "none" in softmax
    assert page.index(relu) < page.index(softmax)  # hardest first
    assert "Mean score <strong>2.50</strong>, median <strong>2.5</strong>, out of 3" in page
    not_gradable = page[page.index("<h2>Not gradable</h2>") : page.index("<h2>Exercises")]
    assert "<td>cyd</td>" in not_gradable and "the notebook is not valid JSON" in not_gradable
    assert "<td>ada</td>" not in not_gradable
    for student in ("ada", "bob", "cyd"):
        assert f'href="students/{student}/feedback.html"' in page
    assert 'href="cyd/feedback.html"' in feedback.cohort_html(cohort(), "02_activations", link="{}/feedback.html")
    images = images_in(page)
    assert len(images) == 2 and all(i.startswith(feedback.PNG_SIGNATURE) for i in images)  # histogram, pass rates


def test_cohort_page_in_japanese_from_the_same_records():
    """grade-all --lang ja: the cohort's page in Japanese, with the same figures and the same links."""
    english, page = (
        feedback.cohort_html(cohort(), "02_activations"),
        feedback.cohort_html(cohort(), "02_activations", language="ja"),
    )
    assert '<html lang="ja">' in page and '<html lang="en">' in english
    assert len(JAPANESE.findall(page)) > 100
    assert "Mean score" not in page and "Not gradable" not in page  # its words: the catalogue's Japanese
    for student in ("ada", "bob", "cyd"):
        assert f'href="students/{student}/feedback.html"' in page
    assert "the notebook is not valid JSON" in page  # the student's own report keeps its language
    assert len(images_in(page)) == 2


def test_cohort_page_escapes_and_quotes_student_names():
    records = cohort()
    records[0]["student"] = f'a"b {SCRIPT}'
    records[2]["report"]["error"] = f"crashed: {SCRIPT}"
    records[1]["report"]["tests"][0]["function"] = f"$x^{SCRIPT}"  # mathtext and markup in a chart label
    page = feedback.cohort_html(records, "02_activations")
    assert_no_script(page)
    assert 'href="students/a%22b%20%3Cscript%3Ealert%281%29%3C%2Fscript%3E/feedback.html"' in page
    assert "crashed: &lt;script&gt;" in page


def test_cohort_page_with_nothing_graded():
    page = feedback.cohort_html(cohort()[2:], "02_activations")
    assert "0 graded, 1 not gradable" in page and images_in(page) == []


# --- atomic writes -----------------------------------------------------------------------------------


def test_write_atomic_replaces_whole_and_leaves_no_temp_file(tmp_path):
    path = tmp_path / "out" / "feedback.html"
    write_atomic(path, "x" * 10_000)
    write_atomic(path, "short ✓")
    assert path.read_text(encoding="utf-8") == "short ✓"
    write_atomic(path, b"\x00bytes")
    assert path.read_bytes() == b"\x00bytes"
    write_json_atomic(tmp_path / "r.json", {"student": "ada", "score": 1.5})
    assert json.loads((tmp_path / "r.json").read_text()) == {"student": "ada", "score": 1.5}
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["feedback.html", "out", "r.json"]


def test_write_atomic_keeps_the_old_file_when_the_write_fails(tmp_path, monkeypatch):
    path = tmp_path / "r.json"
    path.write_text("old")
    renamed = []

    def failing_replace(src, dst):
        renamed.append(src)
        raise OSError("disk gone")

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(OSError, match="disk gone"):
        write_atomic(path, "new")
    assert renamed[0].parent == path.parent  # the temp file was in the same folder (same filesystem)
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]
    with pytest.raises(TypeError):
        write_json_atomic(path, {"x": object()})
    assert path.read_text() == "old"
