"""Realistic wrong answers, per assignment: each one replaces one solution cell.

A ``Mistake`` names the grade cell it replaces, the code a student might
write there, and the grade cells it must lose (usually just its own; a
broken building block also breaks what is built on it: then the message of
every grade cell it costs besides its own must say that this function fails
its own check, and ``says`` / ``never_says`` pin more of the messages). A training
exercise can lose part of its points: ``partial`` maps it to the fraction
it keeps, in the test suite's quick mode.

The test suite grades the catalogue in groups (``groups``): mistakes in
functions that are independent share one notebook, and each still loses
exactly its own points there. Two functions count as independent when no
mistake of the catalogue in either one affects a grade cell that a mistake
in the other affects (their ``reach``). So a mistake never shares a
notebook with one that could change, or hide, what it costs.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Mapping

from autograder.judge.exercises import lesson_modules


@dataclass(frozen=True)
class Mistake:
    grade_id: str
    code: str
    why: str
    loses: tuple[str, ...] | None = None  # None: its own grade cell (unless it is only partly lost)
    partial: Mapping[str, float] = field(default_factory=dict)
    # What the grader's message must say, and must not say, per grade cell (by function): the words that
    # address this mistake, and hints about parts it got right.
    says: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    never_says: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def touches(self) -> frozenset[str]:
        """Every grade cell (by function) this mistake costs points, wholly or in part."""
        return frozenset({*self.lost, *self.partial})

    @property
    def lost(self) -> tuple[str, ...]:
        """Grade cells that lose all their points."""
        if self.loses is not None:
            return self.loses
        return () if self.grade_id in self.partial else (self.grade_id,)


MODULES = lesson_modules(__name__, __path__)  # each holds its lesson's MISTAKES, named as the judge's exercises


def mistakes_for(assignment: str) -> dict[str, Mistake]:
    return importlib.import_module(MODULES[assignment]).MISTAKES


def reach(assignment: str) -> dict[str, frozenset[str]]:
    """function -> the grade cells that some mistake of the catalogue in that function affects (itself included)."""
    reached: dict[str, set[str]] = {}
    for mistake in mistakes_for(assignment).values():
        reached.setdefault(mistake.grade_id, {mistake.grade_id}).update(mistake.touches)
    return {function: frozenset(cells) for function, cells in reached.items()}


@lru_cache(maxsize=None)
def groups(assignment: str) -> tuple[tuple[str, ...], ...]:
    """The catalogue of ``assignment`` as groups of mistakes to grade in one notebook each.

    Mistakes in one group are in different functions whose reaches do not
    overlap. Greedy, widest reach first, in catalogue order otherwise: the
    same groups on every run and every machine.
    """
    mistakes = mistakes_for(assignment)
    reached = reach(assignment)
    order = sorted(mistakes, key=lambda name: -len(reached[mistakes[name].grade_id]))
    found: list[list[str]] = []
    for name in order:
        cells = reached[mistakes[name].grade_id]
        home = next(
            (group for group in found if all(not cells & reached[mistakes[other].grade_id] for other in group)), None
        )
        if home is None:
            found.append([name])
        else:
            home.append(name)
    return tuple(tuple(group) for group in found)


def group_of(assignment: str, mistake: str) -> int:
    """The index in ``groups(assignment)`` of the group that holds ``mistake``."""
    return next(i for i, group in enumerate(groups(assignment)) if mistake in group)
