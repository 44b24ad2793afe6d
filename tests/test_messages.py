"""The message catalogue (autograder/kernel/locale, autograder/course/messages.py): every message a student can see
has a finished Japanese translation with the same ``{fields}``, and the check fails on a planted gap."""

from __future__ import annotations

import copy

import pytest

from autograder import i18n
from autograder.checks import KIND_WORDS, hint_line
from autograder.course import messages

OTHER_LANGUAGES = [lang for lang in i18n.LANGUAGES if lang != i18n.SOURCE_LANGUAGE]


@pytest.fixture(scope="module")
def wanted():
    return sorted(messages.wanted_messages())


@pytest.mark.parametrize("lang", OTHER_LANGUAGES)
def test_every_message_has_a_finished_translation_with_the_same_fields(lang, wanted):
    gaps = messages.gaps(lang, wanted=wanted)
    assert not gaps, f"{len(gaps)} gap(s); run `python -m autograder.course.messages`, translate, then check:\n" + (
        "\n".join(map(str, gaps[:30]))
    )


def test_the_collection_finds_the_code_the_exercises_and_the_kinds(wanted):
    assert "{where} should have dtype {expected}, got dtype {actual}" in wanted  # checks.compare's _()
    assert set(KIND_WORDS.values()) <= set(wanted)  # N_() in a table
    assert "a batch of 4 inputs with 3 features" in wanted  # a case label of 01's weighted_sum
    assert any(text.startswith("The weighted sum is z = x1*w1") for text in wanted)  # one of its hints


@pytest.mark.parametrize("lang", OTHER_LANGUAGES)
def test_the_check_fails_on_a_planted_gap(lang, wanted):
    catalog = messages.read(lang)
    planted = copy.deepcopy(catalog)
    victim = "wrong dtype"
    planted.delete(victim)
    assert [(g.message, g.why) for g in messages.gaps(lang, planted, wanted)] == [(victim, "untranslated")]
    fuzzy = copy.deepcopy(catalog)
    fuzzy[victim].flags.add("fuzzy")
    assert [g.message for g in messages.gaps(lang, fuzzy, wanted)] == [victim]
    broken = copy.deepcopy(catalog)
    field = "{where} should have dtype {expected}, got dtype {actual}"
    broken[field].string = broken[field].string.replace("{actual}", "{actual_dtype}")
    (gap,) = messages.gaps(lang, broken, wanted)
    assert gap.message == field and gap.why.startswith("fields:")
    # A new English message the catalogue has not met yet is a gap too.
    assert [g.why for g in messages.gaps(lang, catalog, wanted + ["a message nobody translated"])] == ["untranslated"]


def test_messages_follow_the_language_in_force():
    english = "{where} should have dtype {expected}, got dtype {actual}"
    with i18n.using("en"):
        assert i18n.gettext(english) == english
        assert hint_line("x").startswith("\n    Hint: ")
    with i18n.using("ja"):
        assert i18n.gettext(english) != english and i18n.JAPANESE.search(i18n.gettext(english))
        assert i18n.gettext(english).count("{actual}") == 1
        assert "Hint" not in hint_line("x")
    with pytest.raises(ValueError, match="languages are en, ja"):
        with i18n.using("fr"):
            pass


def test_a_notebook_says_its_edition_in_its_metadata():
    assert i18n.notebook_language({"metadata": {"workbook": {"language": "ja"}}}) == "ja"
    assert i18n.notebook_language({"metadata": {}}) == "en"
    assert i18n.notebook_language({"metadata": {"workbook": {"language": "xx"}}}) == "en"
    assert i18n.notebook_language({"metadata": {"workbook": "ja"}}) == "en"


@pytest.mark.parametrize("lang", OTHER_LANGUAGES)
def test_the_pages_translations_bring_no_markup_of_their_own(lang):
    """The feedback, cohort and course pages put their own texts into HTML unescaped (a student's values are
    escaped before they are filled in), so a translation has exactly the English's < and &."""
    translations = i18n.catalogue(lang)
    pages = [
        text
        for text, places in messages.code_messages().items()
        if any(path.startswith("autograder/course/") for path, _line in places)
    ]
    assert len(pages) > 50
    for text in pages:
        for mark in "<&":
            assert translations[text].count(mark) == text.count(mark), (text, translations[text])


def test_a_new_message_like_a_translated_one_arrives_untranslated():
    """The messages tool never pre-fills a new message with the translation of one that looks like it (issue 28:
    new hints about tanh arrived carrying the sigmoid's Japanese, marked fuzzy); kept messages keep theirs."""
    from babel.messages.catalog import Catalog

    old = "sigmoid(z) saturates: for large |z| its gradient is almost 0."
    new = "tanh(z) saturates: for large |z| its gradient is almost 0."
    catalog = Catalog(locale="ja", fuzzy=False)
    catalog.add(old, "sigmoid(z) は飽和します。")
    catalog.add("kept", "保持")
    fresh = Catalog(fuzzy=False)
    fresh.add(new)
    fresh.add("kept")
    catalog.update(fresh)  # babel by default: the trap
    assert catalog[new].fuzzy and catalog[new].string == "sigmoid(z) は飽和します。"
    catalog = Catalog(locale="ja", fuzzy=False)
    catalog.add(old, "sigmoid(z) は飽和します。")
    catalog.add("kept", "保持")
    messages.merge(catalog, fresh)
    assert not catalog[new].string and not catalog[new].fuzzy
    assert catalog["kept"].string == "保持"
