"""The public cases as data: what a notebook's checks need, without the exercises.

The exercises (autograder/judge/exercises/) hold every case, hidden ones
included, and the references that compute the expected values. None of
that may reach a student. So the public part of each exercise is written
out as data when a release or the student kit is built (``dump``), and the
public checks read it back (``load``):

- per graded function: its signature, hints, tolerances, spies, harness, the earlier functions it
  is built on,
  the name of its assessment (kernel/assessments.py) if it has no single
  right value, and for each *public* case its label, its inputs and the
  expected value, computed by the reference at build time;
- per training exercise: its signature, the variable it leaves, its hints,
  and the name of the predictor that scores it (targets come from
  kernel/targets.py, like the grader's).

A failing public check prints its case's inputs and expected value anyway,
so shipping them gives away nothing a student does not see. Hidden cases,
their labels and their generators, and the references stay behind.

On the instructor's machine the notebooks' checks go through the same data,
built in memory from the exercises (``from_exercise``), so the kit's path is
the one every test of the public checks takes.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from autograder import probe
from autograder.checks import Case, Exercise
from autograder.i18n import _
from autograder.training import Training

FORMAT = 2
DATA_KEY = "cases.json"  # the JSON tree's name beside the arrays (an .npz member may not hold text)


@dataclass(frozen=True)
class PublicExercise(Exercise):
    """An Exercise with only its public cases, each with its stored inputs and expected value.

    ``cases`` maps each public case's index in the exercise to its Case, so
    messages and verdicts are the grader's own (checks.verdict).
    """

    reference: Any = None
    cases: Mapping[int, Case] = field(default_factory=dict)
    # index -> (args, kwargs_list, expected, what each known wrong answer returns by its kind)
    stored: Mapping[int, tuple] = field(default_factory=dict)

    def public(self):
        return sorted(self.cases.items())

    def hidden(self):
        return []

    def calls(self, index: int) -> tuple[list, list[dict]]:
        args, kwargs_list = self.stored[index][:2]
        return copy.deepcopy(args), copy.deepcopy(kwargs_list)

    def inputs(self, index: int) -> tuple[list, dict]:
        args, kwargs_list = self.calls(index)
        return args, kwargs_list[0]

    def expected(self, index: int):
        return copy.deepcopy(self.stored[index][2])

    def alternatives(self, index: int) -> dict:
        return copy.deepcopy(self.stored[index][3])


# ------------------------------------------------------------------ writing
def _plain(tree, what: str):
    """Refuse an encoded value that would not come back as itself (a tensor, an arbitrary object)."""
    if isinstance(tree, dict):
        if tree.get("t") in ("tensor", "other"):
            raise ValueError(f"{what}: a {tree.get('type', 'tensor')} cannot be stored as a public value")
        for value in tree.values():
            _plain(value, what)
    elif isinstance(tree, list):
        for value in tree:
            _plain(value, what)
    return tree


def _encode(value, arrays: dict, key: str):
    return _plain(probe.encode(value, arrays, key), key)


def dump_exercise(exercise, arrays: dict) -> dict:
    """The public part of one exercise as a JSON tree; its arrays go into ``arrays``."""
    if exercise.trains:
        return {
            "kind": "training",
            "signature": exercise.signature,
            "assignment": exercise.assignment,
            "variable": exercise.variable,
            "hints": dict(exercise.hints),
            "predicts_in_kernel": exercise.predicts_in_kernel,
            "normalize": exercise.normalize,
            "predict": exercise.predict.__name__,
            "builds_on": list(exercise.builds_on),
            "classes": None if exercise.classes is None else list(exercise.classes),
        }
    cases = []
    for index, case in exercise.public():
        args, kwargs_list = exercise.calls(index)
        key = f"{exercise.name}/{index}"
        cases.append(
            {
                "index": index,
                "label": case.label,
                "agrees_with": case.agrees_with if case.agrees_with in dict(exercise.public()) else None,
                "args": _encode(args, arrays, key + "/args"),
                "kwargs": [_encode(kwargs, arrays, f"{key}/kwargs{i}") for i, kwargs in enumerate(kwargs_list)],
                # An assessed exercise has no single right value: its assessment judges the answer.
                "expected": None if exercise.assess else _encode(exercise.expected(index), arrays, key + "/expected"),
                # Known wrong answers' values (not the right one's): to name a mistake's cause in the hint.
                "alternatives": {
                    kind: _encode(value, arrays, f"{key}/wrong-{kind}")
                    for kind, value in exercise.alternatives(index).items()
                },
            }
        )
    return {
        "kind": "exercise",
        "signature": exercise.signature,
        "hints": dict(exercise.hints),
        "rtol": exercise.rtol,
        "atol": exercise.atol,
        "spies": list(exercise.spies),
        "min_spy_calls": exercise.min_spy_calls,
        "forbid_warnings": exercise.forbid_warnings,
        "output_names": list(exercise.output_names),
        "timeout": exercise.timeout,
        "harness": exercise.harness,
        "assess": exercise.assess.__name__ if exercise.assess else None,
        "same": exercise.same.__name__ if exercise.same else None,
        "builds_on": list(exercise.builds_on),
        "every_spy": exercise.every_spy,
        "standin_check": exercise.standin_check,
        "cases": cases,
    }


def dump(assignment: str, exercises, folder: Path) -> Path:
    """Write ``<assignment>.npz``: the public part of every exercise, with its arrays."""
    arrays: dict = {}
    tree = {"format": FORMAT, "assignment": assignment, "exercises": [dump_exercise(e, arrays) for e in exercises]}
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{assignment}.npz"
    # The tree as UTF-8 bytes (readable by any scan of the file), the arrays by key; no pickle either way.
    members = {DATA_KEY: np.frombuffer(json.dumps(tree, sort_keys=True).encode(), dtype=np.uint8)}
    np.savez_compressed(path, **members, **arrays)
    return path


# ------------------------------------------------------------------ reading
def _named(name: str, prefix: str):
    """An assessment, a comparison or a predictor by name, from the kernel side only."""
    from autograder import assessments, training

    for module in (assessments, training):
        found = getattr(module, name, None)
        if callable(found) and name.startswith(prefix):
            return found
    raise ValueError(f"unknown {prefix.rstrip('_')} {name!r} in the public cases")


def load_exercise(tree: Mapping, arrays) -> PublicExercise | Training:
    """Inverse of ``dump_exercise``."""
    if tree["kind"] == "training":
        return Training(
            signature=tree["signature"],
            assignment=tree["assignment"],
            variable=tree["variable"],
            predict=_named(tree["predict"], "predict"),
            hints=tree["hints"],
            predicts_in_kernel=tree["predicts_in_kernel"],
            normalize=tree["normalize"],
            builds_on=tuple(tree["builds_on"]),
            classes=None if tree.get("classes") is None else tuple(tree["classes"]),
        )
    stored, cases = {}, {}
    for case in tree["cases"]:
        expected = None if case["expected"] is None else probe.decode(case["expected"], arrays)
        args = probe.decode(case["args"], arrays)
        alternatives = {kind: probe.decode(value, arrays) for kind, value in case["alternatives"].items()}
        stored[case["index"]] = (args, [probe.decode(k, arrays) for k in case["kwargs"]], expected, alternatives)
        cases[case["index"]] = Case(
            case["label"], make=None, kwargs=stored[case["index"]][1][0], agrees_with=case.get("agrees_with")
        )
    return PublicExercise(
        signature=tree["signature"],
        cases=cases,
        stored=stored,
        assess=_named(tree["assess"], "assess_") if tree["assess"] else None,
        same=_named(tree["same"], "same_") if tree.get("same") else None,
        hints=tree["hints"],
        rtol=tree["rtol"],
        atol=tree["atol"],
        spies=tuple(tree["spies"]),
        min_spy_calls=tree["min_spy_calls"],
        forbid_warnings=tree["forbid_warnings"],
        output_names=tuple(tree["output_names"]),
        timeout=tree["timeout"],
        harness=tree["harness"],
        builds_on=tuple(tree["builds_on"]),
        every_spy=tree["every_spy"],
        standin_check=tree["standin_check"],
    )


def load(path: Path) -> dict[str, PublicExercise | Training]:
    """Every exercise of one ``<assignment>.npz``, by name."""
    with np.load(path, allow_pickle=False) as stored:
        arrays = {key: stored[key] for key in stored.files}
    tree = json.loads(arrays.pop(DATA_KEY).tobytes().decode())
    if tree.get("format") != FORMAT:
        raise ValueError(
            _("{path} holds public cases of format {found}, this version reads {expected}").format(
                path=path, found=tree.get("format"), expected=FORMAT
            )
        )
    return {loaded.name: loaded for loaded in (load_exercise(t, arrays) for t in tree["exercises"])}


def from_exercise(exercise) -> PublicExercise | Training:
    """The public part of one exercise, through the same encoding as the files (the instructor's notebooks)."""
    arrays: dict = {}
    tree = json.loads(json.dumps(dump_exercise(exercise, arrays)))
    return load_exercise(tree, arrays)
