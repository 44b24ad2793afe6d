"""One judge test per grade cell: every case, public and hidden, must pass."""

from __future__ import annotations

import builtins
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest

from autograder import caller, probe
from autograder.checks import QUOTE_CHARS, Verdict, blame_roots, student_text, verdict
from autograder.judge.exercises import exercises_for
from autograder.host.repair import grade_cells
from autograder.i18n import _
from autograder.training import training_verdict


def pytest_generate_tests(metafunc):
    if "cell" in metafunc.fixturenames:
        cells = grade_cells(metafunc.config.getoption("--assignment"))
        only = json.loads(Path(metafunc.config.getoption("--context")).read_text()).get("only")
        if only is not None:  # a partial grading (--only): the other cells are not judged at all
            cells = [c for c in cells if c.function in only]
        metafunc.parametrize("cell", cells, ids=[c.grade_id for c in cells])


@pytest.fixture(scope="module")
def context(request):
    found = json.loads(Path(request.config.getoption("--context")).read_text())
    # The notebook's cell errors are the student's own text: bounded like every record's strings.
    found["cell_errors"] = {k: student_text(v) for k, v in (found.get("cell_errors") or {}).items()}
    return found


MAX_RECORD_BYTES = caller.MAX_RECORD_BYTES  # one call's JSON record
MAX_ARRAY_BYTES = caller.MAX_ARRAY_BYTES  # one call's arrays, uncompressed
SAFE_ERRORS = {
    name
    for name in dir(builtins)
    if isinstance(getattr(builtins, name), type) and issubclass(getattr(builtins, name), BaseException)
}
SAFE_ERRORS |= {name for name in dir(np.exceptions) if name[0].isupper()} | {
    "LinAlgError",
    "ProcessEnded",
    "ChecksDisturbed",
}
BY_GRADER = "_by_grader"  # marks outcomes the grader wrote, whose words need no screening


def _load_arrays(path: Path) -> dict:
    """A pickle-free npz the kernel wrote: plain stored members only, so no zip bomb either."""
    if not path.exists():
        return {}
    with zipfile.ZipFile(path) as archive:
        members = archive.infolist()
        if (
            any(m.compress_type != zipfile.ZIP_STORED for m in members)
            or sum(m.file_size for m in members) > MAX_ARRAY_BYTES
        ):
            raise ValueError("compressed or oversized arrays")
    with np.load(path, allow_pickle=False) as stored:
        return {key: stored[key] for key in stored.files}


def _load_record(folder: Path, key: str) -> dict:
    path = folder / f"{key}.json"
    if path.is_symlink() or path.stat().st_size > MAX_RECORD_BYTES:
        raise ValueError("not a plain record")
    record = probe.validate_record(json.loads(path.read_text()))
    record.pop(BY_GRADER, None)
    return screened(probe.decode_outcome(record, _load_arrays(folder / f"{key}.npz")))


# A record's strings, each with the most of it a message may quote (checks.student_text).
SCREENED = {"error": QUOTE_CHARS, "error_type": 80, "traceback": 1500, "defaults": 300}


def screened(record: dict) -> dict:
    """A record as its call's process wrote it, with every string bounded: the probe bounds them too, but
    it runs in the student's process, where its limits can be patched away."""
    for key, limit in SCREENED.items():
        if isinstance(record.get(key), str):
            record[key] = student_text(record[key], limit)
    if isinstance(record.get("warnings"), list):
        record["warnings"] = [student_text(w, 200) for w in record["warnings"][:5]]
    return record


class Records(dict):
    """The call records, each read from its file only when a test asks for it, and not kept.

    The judge so holds one function's records at a time, not every record of the grading at once.
    Everything in these files came from a call in the student's code: anything unreadable counts as
    no result. Outcomes the grader decided itself (a call hung or ended its process, the checks were
    disturbed) are held from the start.
    """

    def __init__(self, folder: Path, collected: dict, decided: dict):
        super().__init__({call_id: {**outcome, BY_GRADER: True} for call_id, outcome in decided.items()})
        self.folder, self.collected = folder, {k: v for k, v in collected.items() if k not in decided}

    def get(self, call_id, default=None):
        if call_id in self:
            return self[call_id]
        where = self.collected.get(call_id)
        if where is None:
            return default
        try:
            return _load_record(self.folder, str(where["key"]))
        except Exception as error:
            return {
                "status": "missing",
                BY_GRADER: True,
                "error": _(
                    "{name} has no result the grader can trust (the recorded one was unreadable: {error_type})"
                ).format(name=call_id.split("/")[0], error_type=type(error).__name__),
            }


@pytest.fixture(scope="module")
def outcomes(request, context):
    """What the caller recorded, decoded when asked for, and the outcomes the grader decided itself."""
    return Records(
        Path(request.config.getoption("--outbox")), context.get("collected", {}), context.get("outcomes", {})
    )


def _public(exercise, index: int, outcome: dict) -> dict:
    """The outcome as a hidden case's message may use it: the kernel's own words could carry its inputs."""
    if not exercise.cases[index].hidden or outcome.get(BY_GRADER):
        return outcome
    status, safe = outcome.get("status"), dict(outcome)
    if status == "error":
        safe["error_type"] = (
            outcome.get("error_type") if outcome.get("error_type") in SAFE_ERRORS else _("an exception")
        )
        safe["error"] = _("{error_type} on a hidden case").format(error_type=safe["error_type"])
    elif status == "timeout":  # rebuilt from the status alone: a timeout's text is the call's to write
        safe["error"] = (
            _("was not run: an earlier case did not return within its time limit")
            if outcome.get("not_run")
            else _("did not return within its time limit")
        )
    elif status == "missing":
        safe["error"] = _("{name} was not defined, or not a function").format(name=exercise.name)
    return safe


@pytest.fixture(scope="module")
def own_verdicts():
    """function -> its verdict on its own work, without blame: asked for again by the functions built on it
    (module-scoped, so a warm judge never carries one grading's verdicts into the next)."""
    return {}


def held_out_images(outbox: Path, context: dict) -> np.ndarray | None:
    """The test images changed by the course's secret, which the grader left in the results folder."""
    name = context.get("held_out")
    if not name:
        return None
    return np.load(outbox / Path(name).name, allow_pickle=False)


def _judge(function: str, context: dict, outcomes, blame=()) -> Verdict:
    """The verdict on ``function``'s grade cell: every case, public and hidden, or what its training trains."""
    exercise = exercises_for(context["assignment"])[function]
    indices = list(range(len(exercise.cases)))
    if exercise.trains and function not in context.get("missing_solutions", []):
        missing = {"status": "missing", "error": context.get("failure") or _("the probe did not reach it")}
        call_id = f"{function}/train"
        outcome = outcomes.get(call_id, missing)
        return training_verdict(
            exercise,
            outcome,
            "test",
            context.get("quick", False),
            None,
            context.get("call_seconds", {}).get(call_id) if outcome.get("status") == "ok" else None,
            blame=blame,
            device=context.get("device", "cpu"),
            defaults=outcome.get("defaults"),
            images=held_out_images(outcomes.folder, context),
            call=True,
        )
    if function in context.get("missing_solutions", []):
        message = _(
            "The solution cell {function!r} is missing from the notebook, so {signature} "
            "was not graded. Restore the cell (its grade_id is the function's name) and put your code in it."
        ).format(function=function, signature=exercise.signature)
        return Verdict("error", message, message, 0, len(indices))
    missing = {
        "status": "missing",
        BY_GRADER: True,
        "error": _("{function} was never called: {reason}").format(
            function=function, reason=context.get("failure") or _("the probe did not reach it")
        ),
    }
    raw = [outcomes.get(f"{function}/{i}", missing) for i in indices]
    result = verdict(exercise, indices, raw, blame)
    public = [_public(exercise, i, o) for i, o in zip(indices, raw)]
    if public != raw:  # the student sees the grader's words; the instructor's detail keeps the kernel's
        shown = verdict(exercise, indices, public, blame)
        result = Verdict(
            result.status,
            shown.message,
            result.detail,
            result.cases_passed,
            result.cases_total,
            result.fraction,
            failures=result.failures,
        )
    return result


def test_grade_cell(cell, context, outcomes, record, own_verdicts):
    def own(function: str) -> Verdict:
        if function not in own_verdicts:
            own_verdicts[function] = _judge(function, context, outcomes)
        return own_verdicts[function]

    result = own(cell.function)
    if not result.passed:
        # Graded with the student's own earlier functions: if one of those fails its own check, say so
        # first (only those judged in this grading: --only leaves the others uncalled).
        exercises = exercises_for(context["assignment"])
        judged = context.get("only")
        builds_on = {
            name: tuple(h for h in e.builds_on if judged is None or h in judged) for name, e in exercises.items()
        }
        blame = blame_roots(cell.function, builds_on, lambda helper: not own(helper).passed)
        if blame:
            result = _judge(cell.function, context, outcomes, blame)
    record(cell, result)
    assert result.passed, result.detail
