"""Editions of a lesson in other languages, from one source (issue 18, its first part: the notebooks' prose).

Code cells, grade ids and locked cells exist once, in ``source/<a>/<a>.ipynb``.
The prose of another language lives beside it, in ``source/<a>/<a>.<lang>.json``:
for each markdown cell, keyed by its cell id, the translated text and the
SHA-256 of the English text it translates. An edition is the English notebook
(the source, or the release nbgrader made from it) with only its markdown
cells replaced, so its code cells are the same bytes and a submission of
either edition is graded the same. ``drift`` lists what is out of step:

- a markdown cell without a translation;
- a translation whose English text has changed since (the recorded hash differs);
- a translation of a cell the lesson no longer has.

Why this mechanism: nbgrader keeps cell ids from source to release, so one
translation serves both; a JSON file per lesson and language diffs and reviews
like the notebook itself; the hash makes a stale translation a failing test,
not a silent one. nbgrader_config.py leaves the translation files out of
``release/``; the built editions are committed under ``release-<lang>/``.

    python -m autograder.course.editions            # build release-<lang>/ for every translated lesson
    python -m autograder.course.editions --check    # only report drift (non-zero exit when any)
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import re
import sys
from pathlib import Path

import nbformat

from autograder import i18n
from autograder.course.release import release_path
from autograder.data import REPO_ROOT
from autograder.host.repair import assignments, source_path

# The languages with an edition: every language of the message catalogue but English, the source.
LANGUAGES = tuple(lang for lang in i18n.LANGUAGES if lang != i18n.SOURCE_LANGUAGE)


class Drifted(ValueError):
    """A translation is missing, stale or orphaned: the edition would mix languages or say what is no longer so."""


def translation_path(assignment: str, lang: str) -> Path:
    return source_path(assignment).with_name(f"{assignment}.{lang}.json")


def translated(lang: str) -> list[str]:
    """The assignments that have a translation into ``lang``, in course order."""
    return [a for a in assignments() if translation_path(a, lang).is_file()]


def load(assignment: str, lang: str) -> dict:
    return json.loads(translation_path(assignment, lang).read_text(encoding="utf-8"))


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def drift(notebook, translation: dict) -> list[str]:
    """What is out of step between a notebook's markdown cells and a translation of them; [] when nothing."""
    cells = translation.get("cells", {})
    problems, seen = [], set()
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "markdown":
            continue
        seen.add(cell.id)
        entry = cells.get(cell.id)
        first = cell.source.strip().splitlines()[0][:60] if cell.source.strip() else ""
        if entry is None:
            problems.append(f"cell {index} ({cell.id}, {first!r}) has no translation")
        elif entry.get("source_sha256") != text_hash(cell.source):
            problems.append(
                f"cell {index} ({cell.id}, {first!r}) changed since it was translated: update the translation "
                "and its source_sha256"
            )
    for orphan in sorted(set(cells) - seen):
        problems.append(f"the translation of cell {orphan} matches no markdown cell of the lesson")
    return problems


def edition(notebook, translation: dict):
    """A copy of ``notebook`` whose markdown cells are the translation's; its code cells are untouched."""
    problems = drift(notebook, translation)
    if problems:
        raise Drifted("; ".join(problems))
    built = copy.deepcopy(notebook)
    for cell in built.cells:
        if cell.cell_type == "markdown":
            cell.source = translation["cells"][cell.id]["text"]
    built.metadata["workbook"] = {"language": translation["language"]}
    return built


TRANSLATED_HEADER = "<!-- translated from {name}, sha256 {digest} -->"
# The documents with a translation beside them (README.ja.md, docs/STUDENT.ja.md), by the English one's path.
DOCUMENTS = ("README.md", "docs/STUDENT.md")


def document_translation(name: str, lang: str) -> Path:
    english = REPO_ROOT / name
    return english.with_name(f"{english.stem}.{lang}{english.suffix}")


def document_drift(english: bytes, translated: str, name: str = "README.md") -> list[str]:
    """What is out of step between an English document and a translation of it (README.<lang>.md beside
    README.md): its first line records the SHA-256 of the English it translates, and it keeps every code
    block and code span."""
    problems = []
    header = TRANSLATED_HEADER.format(name=name, digest=hashlib.sha256(english).hexdigest())
    if translated.splitlines()[:1] != [header]:
        problems.append(f"its first line is not {header!r}: {name} changed since it was translated")
    text = english.decode("utf-8")
    for block in re.findall(r"```.*?```", text, flags=re.S):
        if block not in translated:
            problems.append(f"it lacks the code block {block[:60]!r}")
    for span in re.findall(r"`[^`\n]+`", re.sub(r"```.*?```", "", text, flags=re.S)):
        if span not in translated:
            problems.append(f"it lacks the code span {span}")
    return problems


def release_edition_path(assignment: str, lang: str) -> Path:
    return REPO_ROOT / f"release-{lang}" / assignment / f"{assignment}.ipynb"


def build(assignment: str, lang: str, which: str = "release"):
    """The ``lang`` edition of the source or the release notebook of ``assignment``."""
    path = release_path(assignment) if which == "release" else source_path(assignment)
    return edition(nbformat.read(path, as_version=4), load(assignment, lang))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="report drift only")
    args = parser.parse_args(argv)
    found = []
    for lang in LANGUAGES:
        for assignment in translated(lang):
            problems = drift(nbformat.read(source_path(assignment), as_version=4), load(assignment, lang))
            found += [f"{assignment} ({lang}): {problem}" for problem in problems]
            if problems or args.check:
                continue
            path = release_edition_path(assignment, lang)
            path.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(build(assignment, lang), path)
            print(f"generated {path.relative_to(REPO_ROOT)}")
    for line in found:
        print(line, file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
