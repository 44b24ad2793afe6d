"""Messages in the student's language, from one catalogue: gettext's ``.po`` files.

Every message is written once, in English, where it is made: ``_("... {name} ...").format(name=...)``
translates it now; ``N_("...")`` only marks a text that is translated where it is shown (a hint, a
case's label, a kind of mistake). The translations live in ``kernel/locale/<lang>/LC_MESSAGES/workbook.po``,
keyed by the English text (gettext's way: a changed English message has no translation until the
translator updates it, and the catalogue test says which). ``python -m autograder.course.messages``
collects every message of the code and of the exercises (their hints and case labels) into the
template and merges it into each language's file; docs/editions.md says how to translate.

Which language: the one set for this context (``using``: the grader sets the submission's), else
``$WORKBOOK_LANGUAGE`` (the grader's sandboxed kernel), else the ``workbook.language`` of the notebook
this kernel runs (JupyterLab names it in ``$JPY_SESSION_NAME``), else English.
"""

from __future__ import annotations

import contextvars
import json
import os
import re
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

LANGUAGES = ("en", "ja")  # English is the source; the others have a catalogue each
SOURCE_LANGUAGE = "en"
DOMAIN = "workbook"
LOCALE = Path(__file__).resolve().parent / "locale"
ENV = "WORKBOOK_LANGUAGE"
METADATA_KEY = "workbook"  # a notebook's metadata["workbook"]["language"]: the edition it is

_current: contextvars.ContextVar[str | None] = contextvars.ContextVar("workbook_language", default=None)


def po_path(lang: str) -> Path:
    return LOCALE / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def checked(lang: str | None) -> str:
    """``lang`` if it is one of the workbook's languages; otherwise a ValueError naming them."""
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}: the workbook's languages are {', '.join(LANGUAGES)}")
    return lang


@lru_cache(maxsize=None)
def catalogue(lang: str) -> dict[str, str]:
    """The translations of ``lang``, by English text: only finished ones (not empty, not fuzzy)."""
    if lang == SOURCE_LANGUAGE:
        return {}
    from babel.messages.pofile import read_po  # JupyterLab's own dependency; imported only when translating

    with open(po_path(lang), "rb") as file:
        read = read_po(file, locale=lang)
    return {m.id: m.string for m in read if m.id and isinstance(m.id, str) and m.string and not m.fuzzy}


def notebook_language(notebook: dict) -> str:
    """The edition a notebook (as JSON) is: its ``workbook.language`` metadata, English when absent or unknown."""
    meta = notebook.get("metadata", {}) if isinstance(notebook, dict) else {}
    lang = meta.get(METADATA_KEY, {}).get("language") if isinstance(meta.get(METADATA_KEY), dict) else None
    return lang if lang in LANGUAGES else SOURCE_LANGUAGE


@lru_cache(maxsize=1)
def _session_language() -> str | None:
    """The language of the notebook this kernel runs, when JupyterLab started it (``$JPY_SESSION_NAME``)."""
    name = os.environ.get("JPY_SESSION_NAME")
    if not name:
        return None
    for path in (Path(name), Path.cwd() / Path(name).name):
        try:
            if path.suffix == ".ipynb" and path.is_file():
                return notebook_language(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError):
            continue
    return None


def language() -> str:
    """The language messages are made in now."""
    lang = _current.get() or os.environ.get(ENV) or _session_language() or SOURCE_LANGUAGE
    return lang if lang in LANGUAGES else SOURCE_LANGUAGE


def gettext(message: str) -> str:
    """``message`` in the current language (itself when it has no translation)."""
    if not message or not isinstance(message, str):
        return message
    lang = language()
    return message if lang == SOURCE_LANGUAGE else catalogue(lang).get(message, message)


_ = gettext
tr = gettext  # the notebooks' name for it (IPython keeps ``_`` for the last result): tr("loss") in a plot


def plot_fonts() -> None:
    """Plots in the notebook's language: for Japanese, matplotlib-fontja's IPAex Gothic, which has the kana and
    kanji that matplotlib's own DejaVu Sans lacks (they would be drawn as empty boxes). English keeps the default."""
    if language() != "ja":
        return
    try:
        import matplotlib_fontja  # noqa: F401  (registers IPAexGothic and makes it matplotlib's font)
    except ImportError:
        import warnings

        warnings.warn(
            _(
                "matplotlib-fontja is not installed: Japanese plot labels will show as empty boxes "
                "(pip install matplotlib-fontja)"
            ),
            stacklevel=2,
        )


def N_(message: str) -> str:
    """Marks ``message`` for the catalogue; it is translated where it is shown."""
    return message


@contextmanager
def using(lang: str | None):
    """Messages in ``lang`` (one of LANGUAGES) within the block; None keeps the current language."""
    token = _current.set(checked(lang) if lang is not None else _current.get())
    try:
        yield
    finally:
        _current.reset(token)


def use(lang: str) -> None:
    """Messages in ``lang`` from now on, in this context (a judge process, a CLI command)."""
    _current.set(checked(lang))


JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")  # kana and kanji: a text is (partly) Japanese

FIELD = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)[^{}]*\}")


def fields(message: str) -> set[str]:
    """The ``{name}`` fields a message's ``.format`` fills: a translation must keep the same ones."""
    return set(FIELD.findall(message.replace("{{", "").replace("}}", "")))
