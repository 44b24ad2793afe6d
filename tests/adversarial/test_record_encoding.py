"""A call's record crosses from its child to the caller intact, whatever bytes its values hold.

The third round of attacks found honest students losing points at random:
200 realistic trained ``train_mlp`` results sent through the caller's own
encoding came back "unreadable" 8 times, because the pipe's marker for
"loaded" (a ``b"L"``) was looked for at the start of every read, and a
record's bytes can begin a read with any value. Tags now stand outside the
payload (autograder/kernel/caller.py: ``LOADED``, ``RECORD_TAG``), read only
where a piece of the stream begins. These tests send records through the
real child and the real ``_receive``, forked from this process (no
sandbox): random trained weights, and values made of nothing but ``L``.
"""

from __future__ import annotations

import io
import json

import cloudpickle
import numpy as np
import pytest

from autograder import caller, probe


def read_through_a_child(tmp_path, value, name="weights"):
    """``value`` returned by a function the kernel's export saved, called by a forked child as the caller
    calls a training function, and received by the caller: (kind, the decoded JSON outcome, the arrays)."""
    defs = tmp_path / "defs"
    defs.mkdir(exist_ok=True)
    (defs / f"{name}.pkl").write_bytes(cloudpickle.dumps(lambda: value))
    entry = {
        "id": f"{name}/train",
        "fn": name,
        "args": probe.encode([], {}, "a"),
        "kwargs": [{"t": "dict", "items": {}}],
    }
    kind, record, arrays = caller.call_in_child(entry, str(defs), {}, False)
    if kind != "record":
        return kind, record, {}
    with np.load(io.BytesIO(arrays), allow_pickle=False) as stored:
        return kind, json.loads(record), {key: stored[key] for key in stored.files}


def trained_mlp(rng, hidden):
    """Parameters as a trained two-layer MLP of lesson 05 holds them (float64, small random values)."""
    return {
        "W1": rng.normal(0, 0.05, (784, hidden)),
        "b1": rng.normal(0, 0.01, hidden),
        "W2": rng.normal(0, 0.1, (hidden, 10)),
        "b2": rng.normal(0, 0.01, 10),
    }


def test_values_made_of_the_loaded_marker_come_back_whole(tmp_path):
    """Every byte of these arrays is the old marker, so nearly every read of the pipe began with it."""
    value = {
        "W1": np.frombuffer(caller.LOADED * 8 * 784 * 100, dtype=np.float64).reshape(784, 100),
        "b1": np.frombuffer(caller.LOADED * 100, dtype=np.uint8).copy(),
    }
    kind, outcome, arrays = read_through_a_child(tmp_path, value)
    assert kind == "record", outcome
    assert outcome["status"] == "ok"
    assert len(arrays) == 2
    assert any(np.array_equal(a, value["W1"]) for a in arrays.values())
    assert any(np.array_equal(a, value["b1"]) for a in arrays.values())


@pytest.mark.parametrize("seed", range(4))
def test_random_trained_weights_always_come_back_whole(tmp_path, seed):
    """50 trained networks a seed, 200 in all, of the sizes students choose: every record readable and exact."""
    rng = np.random.default_rng(seed)
    for draw in range(50):
        value = trained_mlp(rng, int(rng.choice([32, 64, 100, 128, 256])))
        kind, outcome, arrays = read_through_a_child(tmp_path, value)
        assert kind == "record", (seed, draw, outcome)
        assert sorted(a.shape for a in arrays.values()) == sorted(v.shape for v in value.values())
        for original in value.values():
            assert any(a.shape == original.shape and np.array_equal(a, original) for a in arrays.values())


def test_a_stream_that_is_no_piece_of_the_protocol_is_unreadable(tmp_path):
    """A child that writes anything but a tag first gets no record: "its result could not be read"."""
    import os

    read_end, write_end = os.pipe()
    os.write(write_end, b"X" + caller.RECORD_TAG + caller.RECORD.pack(2, 0) + b"{}")
    os.close(write_end)
    data, in_time = caller._receive(read_end, 5.0)
    os.close(read_end)
    assert in_time and data[:1] == b"X"
