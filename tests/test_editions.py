"""Lessons in other languages from one source (autograder/course/editions.py; issue 18, its first part).

A translation covers every markdown cell of the current English source, and
records the hash of the English text it translates: a gap or a changed
English cell fails here. An edition differs from the English notebook only in
its prose, so a Japanese submission is graded exactly as the English one.
"""

from __future__ import annotations

import copy
import json
import re

import nbformat
import pytest

from autograder import i18n
from autograder.course import editions, feedback
from autograder.course.export import report_dict
from autograder.host.grader import edition_of, find_notebook, grade
from autograder.host.repair import assignments, grade_cells, source_path
from tests import samples

LESSONS = [(a, lang) for lang in editions.LANGUAGES for a in editions.translated(lang)]
JAPANESE = i18n.JAPANESE


def english(assignment: str, which: str = "source"):
    path = editions.release_path(assignment) if which == "release" else source_path(assignment)
    return nbformat.read(path, as_version=4)


def test_every_lesson_has_a_japanese_edition():
    assert [a for a, lang in LESSONS if lang == "ja"] == assignments()


@pytest.mark.parametrize("assignment,lang", LESSONS)
def test_the_translation_covers_every_markdown_cell_of_the_current_english(assignment, lang):
    translation = editions.load(assignment, lang)
    assert translation["language"] == lang and translation["assignment"] == assignment
    assert editions.drift(english(assignment), translation) == []


@pytest.mark.parametrize("assignment,lang", LESSONS)
@pytest.mark.parametrize("which", ["source", "release"])
def test_an_edition_differs_from_the_english_only_in_its_prose(assignment, lang, which):
    original, built = english(assignment, which), editions.build(assignment, lang, which)
    assert [c.id for c in built.cells] == [c.id for c in original.cells]
    for before, after in zip(original.cells, built.cells):
        assert after.metadata == before.metadata
        if before.cell_type == "code":
            assert after.source == before.source
        else:
            assert JAPANESE.search(after.source), after.source[:80]
            # Formulas and code are the English's, character for character.
            for span in re.findall(r"`[^`\n]+`|\$\$.+?\$\$|\$[^$\n]+\$", before.source, flags=re.S):
                assert span in after.source, (before.id, span)


@pytest.mark.parametrize("assignment,lang", LESSONS)
def test_the_committed_edition_is_the_one_the_translation_builds(assignment, lang):
    committed = nbformat.read(editions.release_edition_path(assignment, lang), as_version=4)
    assert committed == editions.build(assignment, lang), "run python -m autograder.course.editions"


def test_a_gap_a_changed_english_cell_and_an_orphan_are_each_caught():
    notebook, translation = english("01_neuron"), editions.load("01_neuron", "ja")
    first_markdown = next(c for c in notebook.cells if c.cell_type == "markdown")

    gap = copy.deepcopy(translation)
    del gap["cells"][first_markdown.id]
    assert any("has no translation" in p for p in editions.drift(notebook, gap))

    changed = copy.deepcopy(notebook)
    next(c for c in changed.cells if c.cell_type == "markdown").source += "\nOne more sentence."
    assert any("changed since it was translated" in p for p in editions.drift(changed, translation))

    orphan = copy.deepcopy(translation)
    orphan["cells"]["nosuchcell"] = {"source_sha256": "0", "text": "孤立"}
    assert any("matches no markdown cell" in p for p in editions.drift(notebook, orphan))

    with pytest.raises(editions.Drifted, match="has no translation"):
        editions.edition(notebook, gap)


def test_the_translations_stay_out_of_the_release():
    assert not list(editions.REPO_ROOT.joinpath("release").rglob("*.ja.json"))
    assert json.loads(editions.translation_path("01_neuron", "ja").read_text(encoding="utf-8"))["cells"]


def hint_of(output: str) -> str | None:
    """The hint a message ends with (checks.hint_line), without the count of cases after it."""
    parts = output.split("\n    Hint: ")
    return parts[1].split("\n    (")[0] if len(parts) == 2 else None


@pytest.mark.sandbox
@pytest.mark.parametrize("assignment", assignments())
def test_the_japanese_reference_earns_full_marks_with_a_japanese_feedback_page(graded, assignment):
    """The grading nbgrader's autograde is compared with (tests/test_nbgrader_agreement.py): the Japanese
    edition of the reference, graded in Japanese because the notebook says it is Japanese."""
    report = graded(assignment, "reference@ja")
    assert report.error is None and report.language == "ja", report.table()
    assert report.score == report.max_score > 0, report.table()
    for test in report.tests:
        assert JAPANESE.search(test["output"]), test["output"]  # "…: 全 N ケースに合格しました。"
    record = {"student": "yamada", "assignment": assignment, "mode": "quick", "report": report_dict(report)}
    page = feedback.student_html(record, report.notebook, language=report.language)
    assert '<html lang="ja">' in page
    assert len(JAPANESE.findall(page)) > 50, page[:2000]


@pytest.mark.sandbox
@pytest.mark.parametrize("assignment", assignments())
def test_the_japanese_release_earns_zero_and_says_so_in_japanese(graded, assignment):
    report = graded(assignment, "release@ja")
    english = i18n.catalogue("ja")
    assert report.error is None and report.language == "ja", report.error
    assert report.score == 0 and report.max_score == sum(c.points for c in grade_cells(assignment))
    unimplemented = "{signature} is not implemented yet: replace `raise NotImplementedError()` with your code."
    opening = english[unimplemented].split("{signature}")[1][:12]
    for test in report.tests:
        assert test["status"] == "error" and opening in test["output"], test["output"]


@pytest.mark.sandbox
def test_a_japanese_mistake_gets_its_japanese_message_and_the_same_points(graded):
    """02's first group of catalogue mistakes, in both editions: the same points for every grade cell, and
    where the English message gives a hint, the Japanese one gives that hint's translation."""
    assignment = "02_activations"
    en, ja = graded(assignment, "group:0"), graded(assignment, "group:0@ja")
    assert (en.language, ja.language) == ("en", "ja")
    assert [(t["grade_id"], t["score"], t["status"]) for t in ja.tests] == [
        (t["grade_id"], t["score"], t["status"]) for t in en.tests
    ]
    hinted = 0
    for mine, theirs in zip(en.tests, ja.tests):
        if mine["status"] == "passed":
            continue
        assert JAPANESE.search(theirs["output"]) and "Hint:" not in theirs["output"], theirs["output"]
        hint = hint_of(mine["output"])
        if hint:
            hinted += 1
            assert "\n    ヒント: " + i18n.catalogue("ja")[hint] in theirs["output"], (hint, theirs["output"])
    assert hinted >= 2


def test_the_language_can_be_chosen_against_the_notebook(tmp_path):
    """--lang: an English notebook graded with Japanese messages, in-process up to the kernel (a notebook
    that cannot be run: the message that says so is translated too)."""
    broken = tmp_path / "01_neuron.ipynb"
    broken.write_text("{ not a notebook")
    report = grade(broken, "01_neuron", quick=True, sandbox=False, lang="ja")
    assert report.language == "ja" and report.score == 0
    assert JAPANESE.search(report.error), report.error


@pytest.mark.parametrize("name", editions.DOCUMENTS)
def test_the_japanese_document_translates_the_current_english_one(name):
    english = (editions.REPO_ROOT / name).read_bytes()
    translated = editions.document_translation(name, "ja").read_text(encoding="utf-8")
    assert editions.document_drift(english, translated, name) == []
    assert JAPANESE.search(translated)


@pytest.mark.parametrize("name,command", [("README.md", "make demo"), ("docs/STUDENT.md", "workbook-check")])
def test_a_changed_english_document_or_a_lost_command_is_caught(name, command):
    english = (editions.REPO_ROOT / name).read_bytes()
    translated = editions.document_translation(name, "ja").read_text(encoding="utf-8")
    assert any("changed since" in p for p in editions.document_drift(english + b"\nOne more line.\n", translated, name))
    lost = editions.document_drift(english, translated.replace(command, "make"), name)
    assert any(command in p for p in lost), lost


def test_the_language_is_that_of_the_notebook_the_grading_grades(tmp_path):
    """A folder with an English copy beside the Japanese notebook named after the assignment: find_notebook
    grades the latter, so its language is the grading's."""
    assignment = "01_neuron"
    japanese = samples.write(
        samples.edition(samples.release_notebook(assignment), assignment, "ja"), tmp_path / "yamada", assignment
    )
    nbformat.write(samples.release_notebook(assignment), japanese.with_name("00_copy.ipynb"))  # listed first
    chosen, _assignment = find_notebook(japanese.parent, None)
    assert chosen == japanese and edition_of(chosen) == "ja"
    assert edition_of(japanese.with_name("00_copy.ipynb")) == "en"
    assert edition_of(tmp_path / "missing.ipynb") == "en"
