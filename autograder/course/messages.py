"""The message catalogue: every text a student can see, once in English, translated in gettext ``.po`` files.

``python -m autograder.course.messages`` collects the messages (the code's ``_()`` and ``N_()`` texts, and
each exercise's case labels and hints) into ``kernel/locale/workbook.pot`` and merges that template into every
language's ``workbook.po``: new and changed English messages arrive untranslated, never pre-filled with the
translation of a message that looks like them (babel's fuzzy matching, which ``merge`` turns off, once gave
new hints about tanh the sigmoid's Japanese). ``--check`` only says what
is missing: a message without a finished translation, or a translation whose ``{fields}`` differ from the
English (its ``.format`` would fail). tests/test_messages.py runs the check.
"""

from __future__ import annotations

import argparse
import io
import sys
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po, write_po

from autograder import i18n
from autograder.data import REPO_ROOT

PACKAGE = REPO_ROOT / "autograder"
TEMPLATE = i18n.LOCALE / f"{i18n.DOMAIN}.pot"
KEYWORDS = {"_": None, "N_": None}
# Fixed, so that rebuilding the files changes them only where a message changed (no dates of the day).
HEADER = dict(
    domain=i18n.DOMAIN,
    project="Deep Learning Basics Workbook",
    version="1",
    copyright_holder="the workbook's authors",
    msgid_bugs_address="the course's issue tracker",
    creation_date=datetime(2026, 11, 29, tzinfo=timezone.utc),
    revision_date=datetime(2026, 11, 29, tzinfo=timezone.utc),
    last_translator="the workbook's translators",
    language_team="ja",
)
NOTEBOOK_KEYWORDS = {"tr": None}  # a lesson's code cells: tr("...") for a plot's words


def _relative(path: Path) -> str:
    return str(path.relative_to(REPO_ROOT))


def code_messages() -> dict[str, list[tuple[str, int]]]:
    """Every literal in ``_()`` or ``N_()`` in the package's code, with where it is."""
    found: dict[str, list[tuple[str, int]]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        for line, message, _comments, _context in extract_from_file("python", str(path), KEYWORDS):
            if isinstance(message, str) and message:
                found.setdefault(message, []).append((_relative(path), line))
    return found


def notebook_messages() -> dict[str, list[tuple[str, int]]]:
    """Every literal in ``tr()`` in the code cells of the source notebooks (so of both editions)."""
    import nbformat
    from babel.messages.extract import extract

    from autograder.host.repair import assignments, source_path

    found: dict[str, list[tuple[str, int]]] = {}
    for assignment in assignments():
        path = source_path(assignment)
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type != "code":
                continue
            code = "\n".join(line for line in cell.source.splitlines() if not line.lstrip().startswith(("%", "!")))
            for line, message, _comments, _context in extract("python", io.BytesIO(code.encode()), NOTEBOOK_KEYWORDS):
                if isinstance(message, str) and message:
                    found.setdefault(message, []).append((_relative(path), 0))
    return found


def exercise_messages() -> dict[str, list[tuple[str, int]]]:
    """Every case label and hint of every graded function: translated where a verdict shows them."""
    from autograder.host.repair import assignments
    from autograder.judge.exercises import exercises_for

    found: dict[str, list[tuple[str, int]]] = {}
    for assignment in assignments():
        where = f"autograder/judge/exercises/a{assignment}.py"
        for exercise in exercises_for(assignment).values():
            texts = [case.label for case in exercise.cases] + list(exercise.hints.values())
            for text in texts:
                if text:
                    found.setdefault(text, []).append((where, 0))
    return found


def wanted_messages() -> set[str]:
    """Every message the catalogues must translate."""
    return set(code_messages()) | set(exercise_messages()) | set(notebook_messages())


def hidden_only_labels() -> set[str]:
    """The labels of hidden cases that no public case shares: what kinds of hidden cases exist is the grader's
    to know (autograder/course/leak_scan.py), so the student kit's catalogue leaves them out."""
    from autograder.host.repair import assignments
    from autograder.judge.exercises import exercises_for

    exercises = [e for a in assignments() for e in exercises_for(a).values()]
    public = {case.label for e in exercises for case in e.cases if not case.hidden}
    return {case.label for e in exercises for case in e.cases if case.hidden} - public


def write_kit_catalogue(lang: str, path: Path) -> None:
    """``lang``'s catalogue as the student kit ships it: without the hidden cases' labels."""
    catalog = read(lang)
    for label in hidden_only_labels():
        if label in catalog:
            catalog.delete(label)
    _write(catalog, path)


def template() -> Catalog:
    """The catalogue's template: every message, English only."""
    catalog = Catalog(fuzzy=False, **HEADER)
    messages = code_messages()
    for text, places in [*exercise_messages().items(), *notebook_messages().items()]:
        messages.setdefault(text, []).extend(places)
    for text in sorted(messages):
        flags = ("python-brace-format",) if i18n.fields(text) else ()
        catalog.add(text, locations=sorted(set(messages[text])), flags=flags)
    return catalog


def _write(catalog: Catalog, path: Path) -> None:
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=100, sort_output=True, ignore_obsolete=True, include_lineno=False)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buffer.getvalue())


def read(lang: str) -> Catalog:
    with open(i18n.po_path(lang), "rb") as file:
        return read_po(file, locale=lang)


def merge(catalog: Catalog, fresh: Catalog) -> None:
    """Bring ``catalog`` (a language's) in line with the template ``fresh``: its translations of messages that
    are still there stay; every other message of the template comes in untranslated."""
    catalog.update(fresh, no_fuzzy_matching=True)


def update() -> list[Path]:
    """Write the template and merge it into every language's catalogue; the files written."""
    fresh = template()
    _write(fresh, TEMPLATE)
    written = [TEMPLATE]
    for lang in i18n.LANGUAGES:
        if lang == i18n.SOURCE_LANGUAGE:
            continue
        path = i18n.po_path(lang)
        catalog = read(lang) if path.exists() else Catalog(locale=lang, fuzzy=False, **HEADER)
        merge(catalog, fresh)
        _write(catalog, path)
        written.append(path)
    return written


@dataclass(frozen=True)
class Gap:
    lang: str
    message: str
    why: str  # "untranslated", "fuzzy", or "fields: ..."

    def __str__(self) -> str:
        return f"{self.lang}: {self.why}: {self.message[:100]!r}"


def gaps(lang: str, catalog: Catalog | None = None, wanted=None) -> list[Gap]:
    """What ``lang``'s catalogue lacks for the messages of the code and the exercises (``wanted``)."""
    catalog = read(lang) if catalog is None else catalog
    wanted = sorted(set(wanted_messages())) if wanted is None else wanted
    found = []
    for text in wanted:
        entry = catalog.get(text)
        if entry is None or not entry.string:
            found.append(Gap(lang, text, "untranslated"))
        elif entry.fuzzy:
            found.append(Gap(lang, text, "fuzzy (the English changed: check the translation, then drop the flag)"))
        elif i18n.fields(entry.string) != i18n.fields(text):
            found.append(
                Gap(
                    lang,
                    text,
                    f"fields: the English has {sorted(i18n.fields(text))}, the translation "
                    f"{sorted(i18n.fields(entry.string))}",
                )
            )
    return found


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder.course.messages", description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="only report what the catalogues lack")
    args = parser.parse_args(argv)
    if not args.check:
        for path in update():
            print(f"wrote {_relative(path)}")
    missing = [gap for lang in i18n.LANGUAGES if lang != i18n.SOURCE_LANGUAGE for gap in gaps(lang)]
    for gap in missing:
        print(gap)
    print(f"{len(missing)} message(s) lack a finished translation")
    return 1 if missing and args.check else 0


if __name__ == "__main__":
    sys.exit(main())
