"""The coverage gate: every entry of the mistake catalogue and the attack corpus is graded in every whole run.

Each end-to-end grading of the suite writes a ledger entry for every
catalogue mistake and every attack its notebook holds (``record``). At the
end of a whole run, the controller compares the ledger with the catalogue
and the corpus; an entry graded nowhere fails the run, by name
(tests/conftest.py). A partial run (-k, -m, chosen files, --lf) is not held
to it, and says so.
"""

from __future__ import annotations

from pathlib import Path

LEDGER = "coverage-ledger"  # a folder in the run's shared temporary folder


def entry(kind: str, assignment: str, name: str) -> str:
    return f"{kind} {assignment}:{name}"


def record(shared: Path, kind: str, assignment: str, names) -> None:
    """Note that the end-to-end grading just made held these catalogue entries."""
    folder = shared / LEDGER
    folder.mkdir(exist_ok=True)
    for name in names:
        (folder / entry(kind, assignment, name).replace(" ", "--").replace(":", "--")).touch()


def recorded(shared: Path) -> set[str]:
    folder = shared / LEDGER
    return {p.name for p in folder.iterdir()} if folder.is_dir() else set()


def catalogue() -> set[str]:
    """Every entry a whole run must grade: each mistake of tests/mistakes and each attack of the corpus."""
    from autograder.host.repair import assignments
    from tests.adversarial.corpus import ATTACKS
    from tests.mistakes import mistakes_for

    entries = {entry("mistake", a, m) for a in assignments() for m in mistakes_for(a)}
    return entries | {entry("attack", attack.assignment, attack.name) for attack in ATTACKS}


def graded_nowhere(shared: Path, expected: set[str] | None = None) -> list[str]:
    """The entries of ``expected`` (the whole catalogue and corpus) that no grading of this run held."""
    seen = recorded(shared)
    expected = catalogue() if expected is None else expected
    return sorted(e for e in expected if e.replace(" ", "--").replace(":", "--") not in seen)


def whole_run(config) -> bool:
    """True when this run is the whole suite: every test collected, none deselected."""
    from _pytest.config import Config

    options = config.option
    return (
        config.args_source == Config.ArgsSource.TESTPATHS
        and not options.keyword
        and not options.markexpr
        and not getattr(options, "lf", False)
        and not getattr(options, "deselect", None)
        and not getattr(options, "exitfirst", False)
    )
