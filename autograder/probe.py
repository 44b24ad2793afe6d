"""Call student functions and record what happened, as plain data.

This is the only grader code that runs inside a student's kernel. It must
stay standalone (stdlib and numpy only): the runner injects its source text
into the kernel, so it cannot import the rest of the autograder. The judge
reads what it writes with ``allow_pickle=False``, so only numbers, strings
and numeric arrays ever leave the kernel.
"""
import copy
import json
import os
import signal
import time
import traceback
import warnings

import numpy as np

OUTCOMES_FILE = "outcomes.json"
ARRAYS_FILE = "arrays.npz"


class ProbeTimeout(BaseException):
    """BaseException so that a student's ``except Exception`` cannot swallow it."""


class FunctionRef:
    """A scalar test function passed as an argument, such as numerical_gradient's ``f``.

    Plans carry only its name; the kernel and the judge each build it from
    this table, so no code travels between them.
    """
    FUNCTIONS = {
        "sum_of_cubes": lambda x: np.sum(x ** 3),
        "sin_times_square": lambda x: np.sum(np.sin(x) * x ** 2),
        "log_sum_exp": lambda x: np.log(np.sum(np.exp(x))),
    }

    def __init__(self, name):
        if name not in self.FUNCTIONS:
            raise ValueError(f"unknown test function {name!r}")
        self.name = name

    def __call__(self, x):
        return float(self.FUNCTIONS[self.name](np.asarray(x, dtype=np.float64)))

    def __eq__(self, other):
        return isinstance(other, FunctionRef) and other.name == self.name

    def __hash__(self):
        return hash(self.name)

    def __repr__(self):
        return f"<function {self.name}>"


# ---------------------------------------------------------------- encoding
def encode(value, arrays, prefix):
    """A JSON tree for ``value``; numeric arrays go into ``arrays`` by key."""
    if value is None:
        return {"t": "none"}
    if isinstance(value, FunctionRef):
        return {"t": "fn", "name": value.name}
    if isinstance(value, bool):
        return {"t": "py", "type": "bool", "v": value}
    if isinstance(value, int):
        return {"t": "py", "type": "int", "v": value}
    if isinstance(value, float):
        return {"t": "py", "type": "float", "v": value}
    if isinstance(value, str):
        return {"t": "py", "type": "str", "v": value[:1000]}
    if isinstance(value, (np.ndarray, np.generic)):
        array = np.asarray(value)
        if array.dtype.hasobject or array.dtype.kind not in "biufc":
            return {"t": "other", "type": f"ndarray[{array.dtype}]", "repr": repr(value)[:200]}
        key = f"{prefix}#{len(arrays)}"
        arrays[key] = array
        return {"t": "ndarray" if isinstance(value, np.ndarray) else "npscalar", "k": key}
    if type(value).__module__.startswith("torch") and hasattr(value, "detach"):
        key = f"{prefix}#{len(arrays)}"
        arrays[key] = value.detach().cpu().numpy()
        return {"t": "tensor", "k": key, "dtype": str(value.dtype), "device": str(value.device)}
    if isinstance(value, (tuple, list)):
        return {"t": type(value).__name__ if type(value) in (tuple, list) else "list",
                "items": [encode(item, arrays, f"{prefix}.{i}") for i, item in enumerate(value)]}
    if isinstance(value, dict):
        return {"t": "dict", "items": {str(k): encode(v, arrays, f"{prefix}.{k}") for k, v in value.items()}}
    return {"t": "other", "type": f"{type(value).__module__}.{type(value).__qualname__}",
            "repr": repr(value)[:200]}


def decode(tree, arrays):
    """Inverse of ``encode``; tensors and other objects come back as records."""
    kind = tree["t"]
    if kind == "none":
        return None
    if kind == "fn":
        return FunctionRef(tree["name"])
    if kind == "py":
        return tree["v"]
    if kind == "ndarray":
        return np.asarray(arrays[tree["k"]])
    if kind == "npscalar":
        return np.asarray(arrays[tree["k"]])[()]
    if kind in ("tuple", "list"):
        items = [decode(item, arrays) for item in tree["items"]]
        return tuple(items) if kind == "tuple" else items
    if kind == "dict":
        return {k: decode(v, arrays) for k, v in tree["items"].items()}
    if kind == "tensor":
        return {"__tensor__": True, "array": np.asarray(arrays[tree["k"]]),
                "dtype": tree["dtype"], "device": tree["device"]}
    return {"__other__": True, "type": tree["type"], "repr": tree["repr"]}


def same_value(a, b):
    """Exact equality for the argument trees this probe passes (mutation check)."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.dtype == b.dtype
                and a.shape == b.shape and bool(np.array_equal(a, b, equal_nan=a.dtype.kind in "fc")))
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(same_value(a[k], b[k]) for k in a)
    return type(a) is type(b) and (a == b or (a != a and b != b))


# ----------------------------------------------------------------- calling
def _on_alarm(signum, frame):
    raise ProbeTimeout()


def call(fn, args, kwargs, namespace=None, spies=(), timeout=None):
    """Call ``fn`` on deep copies and report value, error, mutation and spies.

    ``spies`` names functions in ``namespace`` (the notebook's globals) that
    ``fn`` is meant to be built on; each is wrapped to count its calls.
    """
    outcome = {"status": "ok", "mutated": [], "warnings": [], "calls": {}}
    pristine = (copy.deepcopy(list(args)), copy.deepcopy(dict(kwargs)))
    call_args, call_kwargs = copy.deepcopy(pristine)
    namespace = namespace if namespace is not None else {}
    originals, counts = {}, {}
    for name in spies:
        if callable(namespace.get(name)):
            originals[name] = namespace[name]
            counts[name] = 0

            def counting(*a, __name=name, **k):
                counts[__name] += 1
                return originals[__name](*a, **k)
            namespace[name] = counting
    old_handler = None
    if timeout:
        old_handler = signal.signal(signal.SIGALRM, _on_alarm)
        # Re-fires every 0.5 s, so a bare `except:` in a loop cannot swallow it for good.
        signal.setitimer(signal.ITIMER_REAL, timeout, 0.5)

    def disarm():
        if timeout:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, old_handler)
    started = time.perf_counter()
    try:
        with warnings.catch_warnings(record=True) as caught, \
                np.errstate(over="warn", invalid="warn", divide="warn", under="ignore"):
            warnings.simplefilter("always")
            outcome["value"] = fn(*call_args, **call_kwargs)
        disarm()
        outcome["warnings"] = [f"{w.category.__name__}: {w.message}" for w in caught
                               if issubclass(w.category, RuntimeWarning)][:5]
    except ProbeTimeout:
        disarm()
        outcome = {**outcome, "status": "timeout", "error": f"did not return within {timeout:g} s"}
    except KeyboardInterrupt:
        # The runner's cell timeout interrupts the kernel: stop, do not move on to the next case.
        disarm()
        raise
    except BaseException as error:  # SystemExit is the student's fault too
        disarm()
        frames = traceback.format_exception(type(error), error, error.__traceback__)
        outcome = {**outcome, "status": "error", "error": f"{type(error).__name__}: {error}"[:500],
                   "error_type": type(error).__name__, "traceback": "".join(frames[-3:])[-1500:]}
    finally:
        disarm()
        for name, original in originals.items():
            namespace[name] = original
    outcome["seconds"] = time.perf_counter() - started
    outcome["calls"] = {name: counts.get(name) for name in spies}
    positions = [str(i) for i in range(len(args))] + list(kwargs)
    before = pristine[0] + [pristine[1][k] for k in kwargs]
    after = call_args + [call_kwargs.get(k) for k in kwargs]
    outcome["mutated"] = [p for p, a, b in zip(positions, before, after) if not same_value(a, b)]
    return outcome


def call_case(fn, args, kwargs_list, namespace=None, spies=(), timeout=None):
    """One case: usually one call; several calls (same args, each kwargs in turn)
    when the case compares results, as "the same seed gives the same parameters".

    The outcome of several calls holds the list of their values; the first
    call that fails decides the outcome.
    """
    if len(kwargs_list) == 1:
        return call(fn, args, kwargs_list[0], namespace, spies, timeout)
    values, combined = [], {"status": "ok", "mutated": [], "warnings": [], "calls": {}, "seconds": 0.0}
    for kwargs in kwargs_list:
        outcome = call(fn, args, kwargs, namespace, spies, timeout)
        if outcome["status"] != "ok":
            return outcome
        values.append(outcome.pop("value"))
        combined["mutated"] += [m for m in outcome["mutated"] if m not in combined["mutated"]]
        combined["warnings"] += outcome["warnings"]
        combined["seconds"] += outcome["seconds"]
        for name, count in outcome["calls"].items():
            before = combined["calls"].get(name, 0)
            combined["calls"][name] = None if count is None or before is None else before + count
    combined["value"] = values
    return combined


def roundtrip(outcome):
    """Encode then decode, so in-notebook checks see exactly what the judge sees."""
    arrays = {}
    record = dict(outcome)
    if "value" in record:
        record["value"] = encode(record["value"], arrays, "v")
    record = json.loads(json.dumps(record))
    if "value" in record:
        record["value"] = decode(record["value"], arrays)
    return record


# -------------------------------------------------------------- grading run
def _read_variable(namespace, name, arrays, key):
    if name not in namespace:
        return {"status": "missing", "error": f"the notebook left no variable named {name}"}
    try:
        return {"status": "ok", "value": encode(namespace[name], arrays, key)}
    except Exception as error:
        return {"status": "error", "error_type": type(error).__name__,
                "error": f"{name} could not be read ({type(error).__name__}: {str(error)[:200]})"}


def run_plan(namespace, plan_path, outbox):
    """Run every call in the grader's plan and write the outcomes to ``outbox``.

    The plan holds its inputs as an npz beside it; the judge never reads
    them back, it regenerates its own.
    """
    with open(plan_path) as handle:
        plan = json.load(handle)
    with np.load(plan["inputs"], allow_pickle=False) as stored:
        inputs = {key: stored[key] for key in stored.files}
    arrays, records = {}, {}
    for entry in plan["calls"]:
        if "read" in entry:  # a variable the notebook leaves behind, such as a trained model
            records[entry["id"]] = _read_variable(namespace, entry["read"], arrays, entry["id"])
            continue
        fn = namespace.get(entry["fn"])
        if not callable(fn):
            state = "is not defined" if fn is None else f"is a {type(fn).__name__}, not a function"
            records[entry["id"]] = {"status": "missing", "error": f"{entry['fn']} {state}"}
            continue
        args = decode(entry["args"], inputs)
        kwargs_list = [decode(kwargs, inputs) for kwargs in entry["kwargs"]]
        outcome = call_case(fn, args, kwargs_list, namespace, entry.get("spies", ()), entry.get("timeout"))
        if "value" in outcome:
            try:
                outcome["value"] = encode(outcome["value"], arrays, entry["id"])
            except Exception as error:
                outcome.pop("value")
                outcome.update(status="error", error_type=type(error).__name__,
                               error=f"its result could not be read ({type(error).__name__}: {str(error)[:200]})")
        records[entry["id"]] = outcome
    os.makedirs(outbox, exist_ok=True)
    # Write to temporary names and rename, so a half-written outbox is never read.
    np.savez(os.path.join(outbox, ARRAYS_FILE + ".tmp.npz"), **arrays)
    with open(os.path.join(outbox, OUTCOMES_FILE + ".tmp"), "w") as handle:
        json.dump(records, handle)
    os.replace(os.path.join(outbox, ARRAYS_FILE + ".tmp.npz"), os.path.join(outbox, ARRAYS_FILE))
    os.replace(os.path.join(outbox, OUTCOMES_FILE + ".tmp"), os.path.join(outbox, OUTCOMES_FILE))
    return len(records)
