"""What a correct answer is, and how a wrong one is explained.

One ``Exercise`` per graded function. The same ``verdict`` runs in two
places: in the student's notebook on the public cases (so students see the
grader's own messages), and in the judge's clean process on every case.
"""

from __future__ import annotations

import copy
import re
import zlib
from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar, Mapping

import numpy as np

from autograder.i18n import N_, _
from autograder.probe import Other, Tensor, type_name

# cs231n's bands for the relative error below: for float64 work, < 1e-7 is
# right, 1e-7..1e-4 is suspicious, > 1e-4 is wrong. Exact layers use 1e-7.
DEFAULT_RTOL = 1e-7
DEFAULT_ATOL = 1e-12


def rel_error(x, y) -> float:
    """cs231n's relative error: max |x - y| / max(1e-8, |x| + |y|)."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if x.size == 0:
        return 0.0
    return float(np.max(np.abs(x - y) / np.maximum(1e-8, np.abs(x) + np.abs(y))))


@dataclass(frozen=True)
class Case:
    """One input for one exercise.

    ``label`` says what kind of input this is. Hidden cases show only the
    label, never the input or the expected value.
    """

    label: str
    make: Callable[[np.random.Generator], tuple]
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    hidden: bool = False
    # Further calls with the same arguments and these keyword changes; the
    # case's value is then the list of all results (to compare them).
    repeat_with: tuple[Mapping[str, Any], ...] = ()
    # Another case (its index) whose first result this case's last result must equal: the same arguments,
    # called in another process (the grader calls each case in a process of its own) after calls with other
    # arguments, so that only the arguments can decide the result, not a cache kept in one process or a
    # generator that was never seeded (Exercise.same compares them).
    agrees_with: int | None = None


@dataclass(frozen=True)
class Exercise:
    signature: str  # "relu(z)": names the function and its arguments in messages
    reference: Callable[..., Any]  # the right answer, computed independently (PyTorch in float64)
    cases: tuple[Case, ...]
    # For answers with no single right value (random initialisation):
    # assess(args, kwargs, value) -> None, or (problem kind, explanation).
    assess: Callable[..., Any] | None = None
    hints: Mapping[str, str] = field(default_factory=dict)
    rtol: float = DEFAULT_RTOL
    atol: float = DEFAULT_ATOL
    spies: tuple[str, ...] = ()  # notebook functions this one must be built on
    min_spy_calls: int = 1  # calls to the spies, all together, per case
    forbid_warnings: bool = False  # numerical warnings (overflow, invalid) fail the case
    output_names: tuple[str, ...] = ()  # names for the parts of a tuple result
    timeout: float = 10.0  # seconds per call in the grader
    harness: str | None = None  # probe.HARNESSES: how a PyTorch exercise is called and measured
    # Earlier graded functions of the lesson this one calls, the student's own: it is graded with them, and
    # when it fails while one of them fails its own check, its message says to fix that one first.
    builds_on: tuple[str, ...] = ()
    # With spies: every spy must be called (not only spies all together), and whether the stand-in test
    # (the spies answering their complement must change the result) applies.
    every_spy: bool = False
    standin_check: bool = True
    # Known wrong answers, by the kind of problem each one is (a key of ``hints``): a result that matches
    # one gets that kind's hint, which addresses its cause, instead of the general one.
    diagnoses: Mapping[str, Callable[..., Any]] = field(default_factory=dict)
    # same(a, b): whether two results are the same, for Case.agrees_with; None: the same numbers.
    same: Callable[[Any, Any], bool] | None = None

    @property
    def name(self) -> str:
        return self.signature.split("(")[0]

    @property
    def arg_names(self) -> list[str]:
        inside = self.signature[self.signature.index("(") + 1 : self.signature.rindex(")")]
        return [part.split("=")[0].strip() for part in inside.split(",") if part.strip()]

    def public(self):
        return [(i, c) for i, c in enumerate(self.cases) if not c.hidden]

    def hidden(self):
        return [(i, c) for i, c in enumerate(self.cases) if c.hidden]

    def inputs(self, index: int) -> tuple[list, dict]:
        """The arguments of case ``index``; the seed depends only on name and index."""
        case = self.cases[index]
        rng = np.random.default_rng(zlib.crc32(f"{self.name}/{index}".encode()))
        return list(case.make(rng)), dict(case.kwargs)

    def calls(self, index: int) -> tuple[list, list[dict]]:
        """The arguments, and the keyword arguments of each call the case makes."""
        args, kwargs = self.inputs(index)
        return args, [kwargs] + [{**kwargs, **more} for more in self.cases[index].repeat_with]

    def expected(self, index: int):
        args, kwargs_list = self.calls(index)
        # Imported here: the kernel-side copy of this module has no probe. The judge measures
        # the reference through the same harness as the probe measures the student's function.
        from autograder.probe import harnessed

        reference = harnessed(self.reference, self.harness)
        values = [reference(*copy.deepcopy(args), **copy.deepcopy(kwargs)) for kwargs in kwargs_list]
        return values[0] if len(values) == 1 else values

    def alternatives(self, index: int) -> dict:
        """What each known wrong answer (``diagnoses``) returns on case ``index``, by its kind."""
        if not self.diagnoses:
            return {}
        from autograder.probe import harnessed

        args, kwargs_list = self.calls(index)
        found = {}
        for kind, wrong in self.diagnoses.items():
            answer = harnessed(wrong, self.harness)
            values = [answer(*copy.deepcopy(args), **copy.deepcopy(kwargs)) for kwargs in kwargs_list]
            found[kind] = values[0] if len(values) == 1 else values
        return found

    # What every graded thing of a lesson offers (a Training too, in training.py): its ``name``,
    # whether it ``trains``, and the calls the grader's caller makes for it.
    trains: ClassVar[bool] = False

    def planned_calls(self, first_key: int, inputs: dict, call_timeout=None, quick=False, device="cpu") -> list[dict]:
        """One call per case, keyed from ``first_key``; the arrays they pass go into ``inputs``. (``quick`` and
        ``device`` are a training's: training.Training.planned_calls.)"""
        from autograder import probe

        timeout = self.timeout if call_timeout is None else min(self.timeout, call_timeout)
        calls = []
        for index in range(len(self.cases)):
            args, kwargs_list = self.calls(index)
            call_id = f"{self.name}/{index}"
            calls.append(
                {
                    "key": first_key + index,
                    "id": call_id,
                    "fn": self.name,
                    "args": probe.encode(args, inputs, call_id + "/args"),
                    "kwargs": [probe.encode(kw, inputs, f"{call_id}/kwargs{i}") for i, kw in enumerate(kwargs_list)],
                    "spies": list(self.spies),
                    "timeout": timeout,
                    "harness": self.harness,
                }
            )
        return calls


# ------------------------------------------------------------------ verdicts
@dataclass(frozen=True)
class CaseFailure:
    """One failed case of a verdict: which case, of what kind, and the hint for that kind.

    Never the case's input, its expected value or the student's value: only
    its ``label`` (what kind of input it is). The cohort report's item
    analysis counts these (autograder/course/items.py).
    """

    case: int  # the case's index in the exercise (a training exercise: 0)
    label: str
    hidden: bool
    kind: str  # a key of KIND_WORDS
    hint: str = ""


@dataclass
class Verdict:
    status: str  # passed | failed | error | timeout
    message: str  # safe to show the student: hidden inputs are never in it
    detail: str  # for the instructor: the full story, hidden cases included
    cases_passed: int = 0
    cases_total: int = 0
    fraction: float | None = None  # of the points; None: all or nothing by status
    figures: dict | None = None  # a training exercise's accuracy, target and tiers, for feedback pages
    failures: tuple[CaseFailure, ...] = ()  # every case that did not pass, in case order

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    @property
    def share(self) -> float:
        if self.fraction is not None:
            return self.fraction
        return 1.0 if self.passed else 0.0


QUOTE_LIMIT = 200  # characters of a value, repr or type name a message quotes
MESSAGE_LIMIT = 2000  # characters of one case's message


def _quote(text, limit: int = QUOTE_LIMIT) -> str:
    """Student-controlled text as a message may quote it: bounded, whatever the student returned."""
    text = str(text)
    if len(text) <= limit:
        return text
    return text[:limit] + _("... ({count} more characters)").format(count=len(text) - limit)


def _fmt(value) -> str:
    if isinstance(value, np.ndarray):
        text = np.array2string(value, precision=6, threshold=12, edgeitems=2, separator=", ")
        return _("{text} (dtype {dtype}, shape {shape})").format(
            text=_quote(text, 4 * QUOTE_LIMIT), dtype=value.dtype, shape=value.shape
        )
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, Tensor):
        return _("a torch tensor (dtype {dtype}, device {device})").format(
            dtype=_quote(value["dtype"], 40), device=_quote(value["device"], 40)
        )
    if isinstance(value, Other):
        return _("an object of type {type}: {repr}").format(type=_quote(value["type"], 80), repr=_quote(value["repr"]))
    return _quote(repr(value))


def _type_name(value) -> str:
    return _quote(type_name(value), 80)


def _is_number(value) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float, np.integer, np.floating)):
        return True
    return isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind in "iuf"


def compare(expected, actual, where: str, rtol: float, atol: float):
    """None if ``actual`` matches, else (kind, explanation) for the first mismatch."""
    if isinstance(expected, (tuple, list)):
        if not isinstance(actual, (tuple, list)):
            return (
                "type",
                _("{where} should be a {kind} of {count} items, got {actual}").format(
                    where=where, kind=type(expected).__name__, count=len(expected), actual=_type_name(actual)
                ),
            )
        if len(actual) != len(expected):
            return "shape", _("{where} should have {count} items, got {actual}").format(
                where=where, count=len(expected), actual=len(actual)
            )
        for i, (e, a) in enumerate(zip(expected, actual)):
            problem = compare(e, a, f"{where}[{i}]", rtol, atol)
            if problem:
                return problem
        return None
    if isinstance(expected, str):
        right = isinstance(actual, str) and actual == expected
        return (
            None
            if right
            else (
                "values",
                _("{where}: expected {expected}, got {actual}").format(
                    where=where, expected=repr(expected), actual=_fmt(actual)
                ),
            )
        )
    if isinstance(expected, np.ndarray) and expected.ndim > 0:
        if _is_number(actual):
            return "shape", _(
                "{where} should be an array of shape {shape}, one value per entry, got a single number: {actual}"
            ).format(where=where, shape=expected.shape, actual=_fmt(actual))
        if not isinstance(actual, np.ndarray):
            return "type", _("{where} should be a numpy array, got {kind}: {actual}").format(
                where=where, kind=_type_name(actual), actual=_fmt(actual)
            )
        if actual.dtype != expected.dtype:
            return "dtype", _("{where} should have dtype {expected}, got dtype {actual}").format(
                where=where, expected=expected.dtype, actual=actual.dtype
            )
        if actual.shape != expected.shape:
            return "shape", _("{where} should have shape {expected}, got shape {actual}").format(
                where=where, expected=expected.shape, actual=actual.shape
            )
        # A float32 answer cannot be closer than float32 rounding allows.
        if expected.dtype.kind == "f":
            rtol = max(rtol, 10 * float(np.finfo(expected.dtype).eps))
    elif not _is_number(actual):
        return "type", _("{where} should be a number, got {kind}: {actual}").format(
            where=where, kind=_type_name(actual), actual=_fmt(actual)
        )
    e = np.asarray(expected, dtype=np.float64)
    a = np.asarray(actual, dtype=np.float64)
    bad_nan = ~np.isfinite(a) & np.isfinite(e)
    if bad_nan.any():
        index = tuple(int(i) for i in np.argwhere(bad_nan)[0]) if a.ndim else ()
        at = f"{where}{list(index) if index else ''}"
        return "nan", _("{where} should be {expected}, got {actual}").format(
            where=at, expected=_fmt(float(e[index])), actual=_fmt(float(a[index]))
        )
    ok = np.isclose(a, e, rtol=rtol, atol=atol)
    if not ok.all():
        index = tuple(int(i) for i in np.argwhere(~ok)[0]) if a.ndim else ()
        at = f"{where}{list(index) if index else ''}"
        difference = abs(float(a[index]) - float(e[index]))
        return "values", _(
            "{where}: expected {expected}, got {actual}, a difference of {difference} (relative error "
            "{error}, allowed {allowed}: |x - y| / (|x| + |y|), the largest over all entries)"
        ).format(
            where=at,
            expected=_fmt(float(e[index])),
            actual=_fmt(float(a[index])),
            difference=f"{difference:.3g}",
            error=f"{rel_error(a, e):.2g}",
            allowed=f"{rtol:g}",
        )
    return None


def _same_numbers(a, b) -> bool:
    """True when two results hold the same numbers (a spy's stand-in changed nothing)."""
    try:
        a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    return a.shape == b.shape and bool(np.array_equal(a, b, equal_nan=True))


def _compare_answer(exercise: Exercise, expected, actual):
    """compare() of a whole answer, naming the parts of a tuple result ("dW") rather than their positions."""
    if (
        exercise.output_names
        and isinstance(expected, tuple)
        and isinstance(actual, (tuple, list))
        and len(actual) == len(expected) == len(exercise.output_names)
    ):
        for part, e, a in zip(exercise.output_names, expected, actual):
            problem = compare(e, a, part, exercise.rtol, exercise.atol)
            if problem:
                return problem
        return None
    return compare(expected, actual, f"{exercise.name}(...)", exercise.rtol, exercise.atol)


def judge_case(exercise: Exercise, index: int, outcome: Mapping) -> tuple[str, str | None, str]:
    """(status, problem kind, explanation) of one outcome against the reference."""
    name = exercise.name
    status = outcome.get("status")
    if status == "missing":
        return (
            "error",
            "missing",
            _("{error}: did the cell that defines it run without errors?").format(error=outcome["error"]),
        )
    if status == "timeout":
        return (
            "timeout",
            "timeout",
            _("{signature} {error}").format(signature=exercise.signature, error=outcome["error"]),
        )
    if status == "error":
        return (
            "error",
            "error",
            _("{signature} raised {error}").format(signature=exercise.signature, error=outcome["error"]),
        )
    problems = []
    for spy, count in outcome.get("calls", {}).items():
        if count is None:  # not among the names the function uses (or not defined at all)
            problems.append(
                (
                    "spies",
                    _("{name} must be built on {wanted}: it never called {spy}").format(
                        name=name, wanted=_(" and ").join(exercise.spies), spy=spy
                    ),
                )
            )
    total_calls = sum(c or 0 for c in outcome.get("calls", {}).values())
    if exercise.spies and not problems and total_calls < exercise.min_spy_calls:
        wanted = " / ".join(exercise.spies)
        problems.append(
            (
                "spies",
                _(
                    "{name} must be built on {wanted}: it made {count} call(s) to them, at least {least} expected"
                ).format(name=name, wanted=wanted, count=total_calls, least=exercise.min_spy_calls),
            )
        )
    if exercise.every_spy and not problems:
        uncalled = [spy for spy, count in outcome.get("calls", {}).items() if not count]
        if uncalled:
            problems.append(
                (
                    "spies",
                    _("{name} must be built on {wanted}: it never called {spy}").format(
                        name=name, wanted=_(" and ").join(exercise.spies), spy=_(" or ").join(uncalled)
                    ),
                )
            )
    standin = outcome.get("standin")
    if (
        exercise.spies
        and exercise.standin_check
        and not problems
        and isinstance(standin, dict)
        and standin.get("status") == "ok"
        and _same_numbers(standin.get("value"), outcome.get("value"))
    ):
        wanted = " / ".join(exercise.spies)
        problems.append(
            (
                "spies",
                _(
                    "{name} must build its result from what {wanted} returns: when {wanted} "
                    "answered differently, its result stayed the same"
                ).format(name=name, wanted=wanted),
            )
        )
    if outcome.get("mutated"):
        names = exercise.arg_names
        changed = ", ".join(names[int(p)] if p.isdigit() and int(p) < len(names) else p for p in outcome["mutated"])
        problems.append(
            (
                "mutated",
                _(
                    "{signature} changed its input {changed} in place; the caller's argument must be left as it was"
                ).format(signature=exercise.signature, changed=changed),
            )
        )
    if exercise.forbid_warnings and outcome.get("warnings"):
        problems.append(
            (
                "warning",
                _("{signature} triggered {warning}").format(
                    signature=exercise.signature, warning=outcome["warnings"][0]
                ),
            )
        )
    if not problems and exercise.assess is not None:
        args, kwargs = exercise.inputs(index)
        problem = exercise.assess(args, kwargs, outcome.get("value"))
        if problem:
            problems.append(problem)
    elif not problems:
        actual = outcome.get("value")
        problem = _compare_answer(exercise, exercise.expected(index), actual)
        if problem:
            # A known wrong answer: its own kind, so that the hint addresses its cause.
            for kind, wrong in exercise.alternatives(index).items():
                if _compare_answer(exercise, wrong, actual) is None:
                    problem = (kind, problem[1])
                    break
            problems.append(problem)
    if not problems:
        return "passed", None, ""
    kind, text = problems[0]
    return "failed", kind, text


def _hint(hints: Mapping[str, str], kind: str, text: str) -> str:
    """The hint for one failed case, addressing only what is wrong: for a result with named parts, the
    hint for the failing part ("values:db"); for a problem whose explanation holds known words, the hint
    for them ("error~mat1 and mat2 shapes"); else the kind's hint."""
    for key, hint in hints.items():
        hint_kind, _sep, part = key.partition(":")
        if part and hint_kind == kind and re.match(rf"{re.escape(part)}\b", text):
            return _(hint)
        hint_kind, _sep, words = key.partition("~")
        if words and hint_kind == kind and words in text:
            return _(hint)
    return _(hints.get(kind) or hints.get("default", ""))


def hint_line(hint: str) -> str:
    """A message's last line, its hint (``hint_line("")`` is how a message's hint is found)."""
    return "\n    " + _("Hint: {hint}").format(hint=hint)


_SEVERITY = {"passed": 0, "failed": 1, "error": 2, "timeout": 3}

QUOTE_CHARS = 500  # the most of one string from student code that a message quotes
_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")


def student_text(value, limit: int = QUOTE_CHARS) -> str:
    """A string that came from student code (an error's text, a class name, a warning), as a message may quote
    it: terminal escapes removed, other control characters replaced, at most ``limit`` characters, and the cut
    said. The one place where such strings are bounded: a record's every string passes here before the judge
    uses it (judge/test_grade_cells.py), so a message can never carry what a call read (hidden inputs, the
    held-out images) beyond ``limit`` characters of it."""
    text = value if isinstance(value, str) else str(value)
    text = _ANSI.sub("", text[: limit * 4])  # bounded work, whatever the length
    total = len(value) if isinstance(value, str) else len(text)
    kept = "".join(c if c.isprintable() or c in "\n\t" else "\ufffd" for c in text[:limit])
    if total > limit:
        kept += _(" [{count} more characters not shown]").format(count=total - len(kept))
    return kept


def quote_names(names) -> str:
    quoted = [f"`{n}`" for n in names]
    return quoted[0] if len(quoted) == 1 else _(", ").join(quoted[:-1]) + _(" and ") + quoted[-1]


def blame_text(blame) -> str:
    """What a message leads with when earlier functions it is built on fail their own checks."""
    if len(blame) == 1:
        return _("your {names} fails its own check; fix it first").format(names=quote_names(blame))
    return _("your {names} fail their own checks; fix them first").format(names=quote_names(blame))


def blame_roots(name: str, builds_on: Mapping[str, tuple[str, ...]], fails: Callable[[str], bool]) -> list[str]:
    """The earlier functions ``name`` is built on, directly or through others, that fail their own check
    and are not themselves built on one that does: the ones to fix first, in the lesson's order
    (``builds_on``'s). ``fails(helper)`` is asked only for functions in that closure."""

    def closure(of: str) -> set[str]:
        found, todo = set(), list(builds_on.get(of, ()))
        while todo:
            helper = todo.pop()
            if helper not in found:
                found.add(helper)
                todo.extend(builds_on.get(helper, ()))
        return found

    below = closure(name)
    failing = {helper for helper in below if fails(helper)}
    roots = {helper for helper in failing if not (closure(helper) & failing)}
    return [helper for helper in builds_on if helper in roots]


def _agreement(exercise: Exercise, index: int, outcome: Mapping, by_index: Mapping) -> tuple[str, str | None, str]:
    """A passed case judged against the case it must agree with (Case.agrees_with), when that one is judged
    too and passed: ("passed", None, "") or ("failed", "seed", why)."""
    other = exercise.cases[index].agrees_with
    if other is None or other not in by_index or judge_case(exercise, other, by_index[other])[0] != "passed":
        return "passed", None, ""
    mine, theirs = outcome.get("value"), by_index[other].get("value")
    last = mine[-1] if isinstance(mine, list) and mine else mine
    first = theirs[0] if isinstance(theirs, list) and theirs else theirs
    if (exercise.same or _same_numbers)(last, first):
        return "passed", None, ""
    return (
        "failed",
        "seed",
        _(
            "{name} gave other values for the same arguments as case {other} ({label}) when called in another "
            "process after other calls: the arguments alone must decide the result"
        ).format(name=exercise.name, other=other, label=_(exercise.cases[other].label)),
    )


def verdict(exercise: Exercise, indices: list[int], outcomes: list[Mapping], blame=()) -> Verdict:
    """Judge a list of cases: every one must pass for the points.

    ``blame``: the earlier functions this one is built on that fail their own checks (``blame_roots``).
    Then the message leads with them instead of this exercise's hint, which would describe work the
    student may have done right."""
    worst = "passed"
    first_public = first_detail = None
    passed = 0
    failures = []
    by_index = dict(zip(indices, outcomes))
    for index, outcome in zip(indices, outcomes):
        status, kind, text = judge_case(exercise, index, outcome)
        if status == "passed":
            status, kind, text = _agreement(exercise, index, outcome, by_index)
        text = _quote(text, MESSAGE_LIMIT)
        if status == "passed":
            passed += 1
            continue
        if _SEVERITY[status] > _SEVERITY[worst]:
            worst = status
        case = exercise.cases[index]
        label = _(case.label)
        hint = _hint(exercise.hints, kind, text)
        if blame:
            hint = _("{blame}: {name} is graded with your own {names}.").format(
                blame=blame_text(blame), name=exercise.name, names=quote_names(blame)
            )
        unimplemented = kind == "error" and "NotImplementedError" in text
        failures.append(CaseFailure(index, case.label, case.hidden, "unimplemented" if unimplemented else kind, hint))
        if first_public is None:
            hint_text = hint_line(hint) if hint and not blame else ""
            if case.hidden and kind == "error":
                first_public = _("{signature} raised {error} on a hidden case ({label}).").format(
                    signature=exercise.signature, error=outcome.get("error_type", _("an exception")), label=label
                )
                first_public += hint_text
            elif case.hidden and kind not in ("missing", "timeout"):
                first_public = _("{signature} failed a hidden case ({label}): {kind}.").format(
                    signature=exercise.signature, label=label, kind=_(KIND_WORDS.get(kind, kind))
                )
                first_public += hint_text
            else:
                where = _("hidden") if case.hidden else _("public")
                first_public = _('{signature}, {where} case "{label}": {text}').format(
                    signature=exercise.signature, where=where, label=label, text=text
                )
                first_public += hint_text
                if unimplemented:
                    first_public = _(
                        "{signature} is not implemented yet: replace `raise NotImplementedError()` with your code."
                    ).format(signature=exercise.signature)
            if blame and not unimplemented:
                once = _("that one passes") if len(blame) == 1 else _("they pass")
                first_public = _(
                    "{signature}: {blame}. {name} is graded with your own {names}, so it may pass once {once}."
                ).format(
                    signature=exercise.signature,
                    blame=blame_text(blame),
                    name=exercise.name,
                    names=quote_names(blame),
                    once=once,
                ) + _("\n    What failed here: {what}").format(what=first_public.split(hint_line(""))[0])
            first_detail = f"case {index} ({case.label}, {'hidden' if case.hidden else 'public'}): {text}"
    total = len(indices)
    if worst == "passed":
        text = _("{signature}: all {total} cases passed.").format(signature=exercise.signature, total=total)
        return Verdict("passed", text, text, passed, total)
    summary = _("\n    ({passed} of {total} cases passed.)").format(passed=passed, total=total)
    return Verdict(worst, first_public + summary, first_detail + summary, passed, total, failures=tuple(failures))


# What each kind of failure means, in words: for messages, and for the cohort report's item analysis.
# Translated where they are shown: _(KIND_WORDS[kind]).
KIND_WORDS = {
    "values": N_("wrong values"),
    "dtype": N_("wrong dtype"),
    "shape": N_("wrong shape"),
    "type": N_("wrong return type"),
    "nan": N_("NaN or inf in the result"),
    "mutated": N_("the input was changed in place"),
    "warning": N_("a numerical warning (overflow or invalid value)"),
    "spies": N_("not built on the functions it should use"),
    "seed": N_("the seed is not used as it should be"),
    "probabilities": N_("probabilities where logits are expected"),
    "layers": N_("not the layers asked for"),
    "dropout": N_("no dropout in training mode"),
    "range": N_("the values are not in the range asked for"),
    "device": N_("the result is on another device"),
    "error": N_("raised an exception"),
    "timeout": N_("did not return in time"),
    "missing": N_("not defined, or not a function"),
    "unimplemented": N_("not implemented yet"),
    "accuracy": N_("trained network under the accuracy target"),
    "model": N_("no trained network the grader can evaluate"),
    "implausible": N_("implausible accuracy, held for review"),
    "zero_grad": N_("gradients not cleared between batches"),
    "batch_mean": N_("the mean of the batch means, not over examples"),
    "train_mode": N_("the model not put in training mode"),
}
