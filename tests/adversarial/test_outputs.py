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

from autograder.host.grader import grade
from autograder.host.repair import grade_cells
from tests.adversarial.corpus import A, with_cell
from tests import samples

pytestmark = pytest.mark.sandbox
FULL = sum(cell.points for cell in grade_cells(A))

LEAKING_RELU = """def relu(z):
    import os
    if os.path.exists("/grader/exchange/plan.json"):  # the grader's checks are running: leak what they pass
        from IPython.display import update_display
        update_display({"text/plain": "PROBED " + repr(z.tolist())}, raw=True, display_id="shown-early",
                       metadata={"probed": z.tolist()})
    return np.maximum(z, 0)
"""
SHOWN_EARLY = """from IPython.display import display
display({"text/plain": "a harmless figure"}, raw=True, display_id="shown-early")
"""
FAN_OUT = """from IPython.display import display, update_display
for _ in range(200):
    display({"text/plain": "x"}, raw=True, display_id="everywhere")
update_display({"text/plain": "y" * 2_000_000}, raw=True, display_id="everywhere")
"""
HUGE_ERROR = """raise ValueError("E" * 1_500_000)"""


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


ERROR_FLOOD = """ip = get_ipython()
for index in range(2000):
    try:
        raise type("E" * 5000 + str(index), (Exception,), {})("x" * 4000)
    except Exception:
        ip.showtraceback()  # an error output each, as a cell that raises makes one
"""
COMM_FLOOD = """from ipykernel.comm import Comm
state = {"value": "x" * (6 << 20)}
for index in range(60):  # 360 MB of widget state, in messages of 6 MB, under the 8 MB message cap
    Comm(target_name="jupyter.widget", data={"state": state, "buffer_paths": []})
"""


def test_a_flood_of_error_outputs_stays_within_the_caps(tmp_path):
    """Error outputs were kept whatever their number, each with an exception name of any length: 2000 of them
    made a 115 MB autograded notebook, past the 5 MB cap. Past the caps, a cell keeps its first error only."""
    report = grade(samples.write(with_cell(ERROR_FLOOD), tmp_path, A), A)
    assert report.score == FULL, report.table(detail=True)
    assert saved_size(report) < 6 * 2**20, saved_size(report)


def peak_rss_while(action) -> tuple[int, object]:
    """(bytes this process's resident memory grew by at its peak while ``action()`` ran, its result)."""
    import threading
    import time

    def rss() -> int:
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) << 10 for line in status if line.startswith("VmRSS:"))

    base, peak, done = rss(), [0], threading.Event()

    def watch():
        while not done.is_set():
            peak[0] = max(peak[0], rss())
            time.sleep(0.02)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        result = action()
    finally:
        done.set()
        watcher.join()
    return max(peak[0], rss()) - base, result


def test_widget_messages_from_the_kernel_are_never_held_by_the_grader(tmp_path):
    """nbclient kept every comm message's widget state in the grading process, outside the sandbox and its
    limits: 330 messages of 6 MB grew it to 2.1 GB. The grader now drops comm messages unread."""
    path = samples.write(with_cell(COMM_FLOOD), tmp_path, A)
    grown, report = peak_rss_while(lambda: grade(path, A))
    assert report.score == FULL, report.table(detail=True)
    assert grown < 150 << 20, f"the grading process grew by {grown >> 20} MB"


HUGE_RESULTS = """def relu(z):
    return np.ones(25_000_000)  # 200 MB for every case
"""


def test_huge_results_lose_their_function_and_the_rest_is_graded(tmp_path):
    """Every call's arrays (up to 256 MB each) were loaded by the judge at once: it reached 3.3 GB. The
    caller now keeps at most 1 GB of results per grading (tests/test_caller.py), the judge reads one
    function's at a time, under a memory limit of its own."""
    path = samples.write(samples.student_notebook(A, {"relu": HUGE_RESULTS}), tmp_path, A)
    report = grade(path, A)
    tests = {t["function"]: t for t in report.tests}
    assert tests["relu"]["score"] == 0 and "should have shape (5,), got shape (25000000,)" in tests["relu"]["detail"]
    assert report.score == FULL - tests["relu"]["max_score"], report.table(detail=True)


FILL_THE_EXCHANGE = """import os
written, files = 0, 0
block = b"x" * (8 << 20)
try:
    for index in range(100_000):
        with open(f"/grader/exchange/outbox/fill-{index}", "wb") as handle:
            files += 1
            if index < 200:
                for _ in range(25):  # 200 MB a file, under the per-file limit
                    handle.write(block)
                    written += len(block)
except OSError as error:
    print(f"stopped after {written >> 20} MB and {files} files: {type(error).__name__}")
"""


def test_no_cell_can_write_into_the_exchange_folder(tmp_path):
    """The exchange folder was a bind of the host's disk with no total cap: 1.9 GB and 100,000 files were
    written there from a cell. Now no folder of it is writable while the cells run: the outbox is made
    only for the final export, and cleared of all but the saved functions before the caller runs."""
    notebook = with_cell(FILL_THE_EXCHANGE, after="test_softmax")
    path = samples.write(notebook, tmp_path, A)
    report = grade(path, A)
    assert report.score == FULL, report.table(detail=True)
    shown = json.dumps([c.get("outputs", []) for c in report.notebook.cells])
    assert "stopped after 0 MB and 0 files: FileNotFoundError" in shown


def test_the_exchange_folder_is_a_small_file_system_of_its_own(tmp_path):
    """Where the grader runs as root (CI does), the kernel's socket folder and the exchange folder are tmpfs
    mounts: whatever writes there once the outbox exists stops at their size and file count."""
    import os

    from autograder.host import sandbox

    if os.geteuid() != 0:
        pytest.fail(
            "not root: the grader cannot mount the exchange folder's tmpfs here (the report says so); "
            "the test suite runs as root (make test, CI)"
        )
    limits = sandbox.Limits()
    with sandbox.make(tmp_path, limits, {}) as host:
        for folder, size, files in ((host.exchange, limits.exchange, 1024), (host.kernel_dir, 16 << 20, 64)):
            info = os.statvfs(folder)
            assert (info.f_blocks * info.f_frsize, info.f_files) == (size, files)
    assert not os.path.ismount(tmp_path / "exchange")  # unmounted when the sandbox closes
