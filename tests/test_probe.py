"""The probe: plain-data encoding, calls on copies, spies, limits; and the verdict logic."""

from __future__ import annotations

import json

import numpy as np
import pytest

from autograder import probe
from autograder.checks import compare, rel_error


def test_encoding_round_trips_nested_results_without_pickle(tmp_path):
    value = (np.arange(6.0).reshape(2, 3), [np.float32(1.5), 2, True], {"b": None}, "text")
    arrays = {}
    tree = json.loads(json.dumps(probe.encode(value, arrays, "v")))
    np.savez(tmp_path / "a.npz", **arrays)
    with np.load(tmp_path / "a.npz", allow_pickle=False) as stored:
        back = probe.decode(tree, {k: stored[k] for k in stored.files})
    assert np.array_equal(back[0], value[0]) and back[1][0] == np.float32(1.5) and back[1][0].dtype == np.float32
    assert back[1][1:] == [2, True] and back[2] == {"b": None} and back[3] == "text"


def test_object_arrays_and_arbitrary_objects_travel_only_as_descriptions():
    arrays = {}
    tree = probe.encode([np.array([object()]), object()], arrays, "v")
    assert arrays == {} and [item["t"] for item in tree["items"]] == ["other", "other"]


def test_student_functions_run_on_copies_and_mutation_is_reported():
    z = np.array([-1.0, 2.0])

    def relu_in_place(z):
        np.maximum(z, 0, out=z)
        return z

    outcome = probe.call(relu_in_place, [z], {})
    assert outcome["mutated"] == ["0"] and z.tolist() == [-1.0, 2.0]


def test_spies_count_calls_to_the_building_blocks_and_are_removed_afterwards():
    namespace = {}
    exec("def perceptron(x):\n    return x\ndef and_gate(x):\n    return perceptron(x) + perceptron(x)\n", namespace)
    original = namespace["perceptron"]
    outcome = probe.call(namespace["and_gate"], [1], {}, namespace, spies=("perceptron", "missing"))
    assert outcome["calls"] == {"perceptron": 2, "missing": None}
    assert namespace["perceptron"] is original and outcome["value"] == 2


def test_a_runaway_call_is_stopped_and_exits_are_caught():
    def forever():
        while True:
            pass

    assert probe.call(forever, [], {}, timeout=0.5)["status"] == "timeout"

    def leaves():
        raise SystemExit(3)

    assert probe.call(leaves, [], {})["status"] == "error"


def test_numerical_warnings_are_recorded():
    outcome = probe.call(lambda z: 1 / (1 + np.exp(-z)), [np.array([-1000.0])], {})
    assert outcome["warnings"] and "overflow" in outcome["warnings"][0]


def test_rel_error_is_cs231ns_formula():
    assert rel_error(np.array([1.0]), np.array([1.0])) == 0
    assert rel_error(np.array([1.0]), np.array([3.0])) == pytest.approx(0.5)


@pytest.mark.parametrize(
    "actual,kind",
    [
        (np.array([0.0, 1.0]), None),
        (np.array([0.0, 1.0], dtype=np.float32), "dtype"),
        (np.array([[0.0, 1.0]]), "shape"),
        ([0.0, 1.0], "type"),
        (np.array([0.0, np.nan]), "nan"),
        (np.array([0.0, 1.1]), "values"),
    ],
)
def test_compare_names_the_first_problem(actual, kind):
    problem = compare(np.array([0.0, 1.0]), actual, "f(...)", 1e-7, 1e-12)
    assert (problem[0] if problem else None) == kind


def test_float32_answers_are_held_to_float32_precision_not_float64():
    rng = np.random.default_rng(0)
    z = (rng.standard_normal(100_000) * 3).astype(np.float32)
    exact = np.where(z > 0, z.astype(np.float64), 0.01 * z.astype(np.float64)).astype(np.float32)
    student = np.where(z > 0, z, np.float32(0.01) * z)  # rounds differently from the float64 reference
    assert compare(exact, student, "leaky_relu(...)", 1e-7, 1e-12) is None
    assert compare(exact, student * np.float32(1.001), "leaky_relu(...)", 1e-7, 1e-12)[0] == "values"


def test_swallowing_the_time_limit_once_does_not_escape_it():
    def swallows_once():
        try:
            while True:
                pass
        except BaseException:  # the student's code, not ours
            pass
        while True:
            pass

    outcome = probe.call(swallows_once, [], {}, timeout=0.3)
    assert outcome["status"] == "timeout"


def test_an_interrupt_from_the_runner_stops_the_checks_instead_of_moving_on():
    def interrupted():
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        probe.call(interrupted, [], {})


def test_only_numerical_runtime_warnings_count_and_underflow_is_ignored():
    import warnings as w

    def noisy(z):
        w.warn("a library's deprecation", DeprecationWarning)
        return np.exp(z)  # underflows to 0 for -1000: not a problem

    old = np.seterr(all="warn")
    try:
        outcome = probe.call(noisy, [np.array([-1000.0])], {})
    finally:
        np.seterr(**old)
    assert outcome["warnings"] == []


def test_test_functions_travel_by_name_and_are_rebuilt_on_each_side():
    f = probe.FunctionRef("sum_of_cubes")
    tree = json.loads(json.dumps(probe.encode([f, np.ones(2)], {}, "a")))
    assert tree["items"][0] == {"t": "fn", "name": "sum_of_cubes"}
    back = probe.decode(tree["items"][0], {})
    assert back == f and back(np.array([1.0, 2.0])) == 9.0
    with pytest.raises(ValueError):
        probe.FunctionRef("os.system")


def test_a_case_with_repeated_calls_returns_every_result():
    def init(n, seed=0):
        return np.random.default_rng(seed).standard_normal(n)

    outcome = probe.call_case(init, [3], [{"seed": 0}, {"seed": 0}, {"seed": 1}])
    first, again, other = outcome["value"]
    assert outcome["status"] == "ok" and np.array_equal(first, again) and not np.array_equal(first, other)

    def fails_second_time(n, seed=0):
        if seed:
            raise ValueError("no")
        return n

    assert probe.call_case(fails_second_time, [3], [{}, {"seed": 1}])["status"] == "error"
