"""Outputs a student's code sends to get around the grader's output caps or to leak hidden inputs.

Each attack worked before its fix:
- a display update sent while the grader's checks ran rewrote a first-run
  output, so the feedback page showed the hidden input the probe had passed;
- one update of a display id shown in many outputs was copied into each of
  them, past every cap (4 MB became 382 MB);
- error outputs were kept whatever their size.
Now the first run's outputs are fixed before any plan enters the sandbox,
display updates are ignored during the checks and count once per copy
against the caps, and error texts are cut. The work is still graded as it
deserves.
"""
from __future__ import annotations

import json

import nbformat
import pytest

from autograder.grader import grade
from autograder.notebooks import grade_cells
from tests.adversarial.corpus import A, with_cell
from tests import samples

pytestmark = pytest.mark.sandbox
FULL = sum(cell.points for cell in grade_cells(A))

LEAKING_RELU = '''def relu(z):
    import os
    if os.path.exists("/grader/exchange/plan.json"):  # the grader's checks are running: leak what they pass
        from IPython.display import update_display
        update_display({"text/plain": "PROBED " + repr(z.tolist())}, raw=True, display_id="shown-early",
                       metadata={"probed": z.tolist()})
    return np.maximum(z, 0)
'''
SHOWN_EARLY = '''from IPython.display import display
display({"text/plain": "a harmless figure"}, raw=True, display_id="shown-early")
'''
FAN_OUT = '''from IPython.display import display, update_display
for _ in range(200):
    display({"text/plain": "x"}, raw=True, display_id="everywhere")
update_display({"text/plain": "y" * 2_000_000}, raw=True, display_id="everywhere")
'''
HUGE_ERROR = '''raise ValueError("E" * 1_500_000)'''


def saved_size(report) -> int:
    return len(nbformat.writes(report.notebook))


def test_a_display_update_during_the_checks_cannot_put_hidden_inputs_into_the_feedback(tmp_path):
    report = grade(samples.write(with_cell(SHOWN_EARLY, relu=LEAKING_RELU), tmp_path, A), A)
    assert report.score == FULL, report.table(detail=True)
    shown = json.dumps([cell.get("outputs", []) for cell in report.notebook.cells])
    assert "a harmless figure" in shown and "PROBED" not in shown and '"probed"' not in shown


def test_one_display_update_copied_into_many_outputs_counts_once_per_copy(tmp_path):
    report = grade(samples.write(with_cell(FAN_OUT), tmp_path, A), A)
    assert report.score == FULL, report.table(detail=True)
    assert saved_size(report) < 6 * 2**20, saved_size(report)
    assert any("printed more than the grader keeps" in note for note in report.notes), report.notes


def test_a_huge_error_message_is_cut_and_still_reported(tmp_path):
    report = grade(samples.write(with_cell(HUGE_ERROR), tmp_path, A), A)
    assert report.score == FULL, report.table(detail=True)
    assert saved_size(report) < 2**18, saved_size(report)
    assert any("ValueError: EEEE" in note for note in report.notes), report.notes
