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

from autograder.course import editions
from autograder.host.grader import grade
from autograder.host.repair import assignments, source_path
from tests import samples

LESSONS = [(a, lang) for lang in editions.LANGUAGES for a in editions.translated(lang)]
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


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


@pytest.mark.sandbox
def test_a_japanese_submission_is_graded_as_the_english_one(tmp_path):
    """The Japanese reference earns full marks and the Japanese release 0, as the English ones do."""
    assignment = "01_neuron"
    reference = editions.build(assignment, "ja", "source")
    untouched = editions.build(assignment, "ja", "release")
    full = grade(samples.write(reference, tmp_path / "ref", assignment), assignment, quick=True)
    empty = grade(samples.write(untouched, tmp_path / "release", assignment), assignment, quick=True)
    assert full.error is None and full.score == full.max_score > 0, full.table()
    assert empty.error is None and empty.score == 0 and empty.max_score == full.max_score, empty.table()


def test_the_japanese_readme_translates_the_current_english_one():
    english = (editions.REPO_ROOT / "README.md").read_bytes()
    translated = (editions.REPO_ROOT / "README.ja.md").read_text(encoding="utf-8")
    assert editions.readme_drift(english, translated) == []
    assert JAPANESE.search(translated)


def test_a_changed_english_readme_or_a_lost_command_is_caught():
    english = (editions.REPO_ROOT / "README.md").read_bytes()
    translated = (editions.REPO_ROOT / "README.ja.md").read_text(encoding="utf-8")
    assert any("changed since" in p for p in editions.readme_drift(english + b"\nOne more line.\n", translated))
    assert any("make demo" in p for p in editions.readme_drift(english, translated.replace("make demo", "make")))
