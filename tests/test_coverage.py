"""The suite's own bookkeeping: the mistake groups and the coverage gate (tests/coverage.py)."""

from __future__ import annotations

import pytest

from autograder.host.repair import assignments
from tests import coverage
from tests.mistakes import groups, mistakes_for, reach


@pytest.mark.parametrize("assignment", assignments())
def test_the_groups_hold_every_mistake_once_and_never_two_that_reach_one_cell(assignment):
    catalogue = mistakes_for(assignment)
    found = groups(assignment)
    assert sorted(name for group in found for name in group) == sorted(catalogue)
    reached = reach(assignment)
    for group in found:
        functions = [catalogue[name].grade_id for name in group]
        assert len(set(functions)) == len(functions), group
        for i, first in enumerate(functions):
            for second in functions[i + 1 :]:
                assert not reached[first] & reached[second], (group, first, second)
    assert groups(assignment) == found  # the same groups every time


def test_the_reach_of_a_function_is_every_cell_its_mistakes_touch():
    catalogue = mistakes_for("05_backprop")
    reached = reach("05_backprop")
    for mistake in catalogue.values():
        assert mistake.grade_id in reached[mistake.grade_id] and mistake.touches <= reached[mistake.grade_id]


def _record_all_but(folder, left_out: set[str]) -> None:
    for entry in coverage.catalogue() - left_out:
        kind, rest = entry.split(" ", 1)
        assignment, name = rest.split(":", 1)
        coverage.record(folder, kind, assignment, [name])


def test_the_coverage_gate_names_each_entry_graded_nowhere(tmp_path):
    everything = coverage.catalogue()
    mistake = coverage.entry("mistake", "02_activations", next(iter(mistakes_for("02_activations"))))
    attack = min(e for e in everything if e.startswith("attack "))
    assert mistake in everything and attack in everything
    _record_all_but(tmp_path, {mistake, attack})
    assert coverage.graded_nowhere(tmp_path) == sorted([attack, mistake])
    _record_all_but(tmp_path, set())
    assert coverage.graded_nowhere(tmp_path) == []


def test_a_catalogue_entry_dropped_from_the_groups_is_graded_nowhere(tmp_path, monkeypatch):
    """What the gate catches: a mistake that no grading holds any more (here, left out of its group)."""
    import tests.conftest as suite

    full = groups("04_losses")
    dropped = full[0][0]
    monkeypatch.setattr(suite, "groups", lambda a: (full[0][1:], *full[1:]))
    for index in range(len(full)):
        coverage.record(tmp_path, "mistake", "04_losses", suite.mistakes_in("04_losses", f"group:{index}"))
    expected = {coverage.entry("mistake", "04_losses", name) for name in mistakes_for("04_losses")}
    assert coverage.graded_nowhere(tmp_path, expected) == [coverage.entry("mistake", "04_losses", dropped)]
