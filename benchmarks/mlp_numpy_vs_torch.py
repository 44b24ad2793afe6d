"""Benchmark: the numpy MLP of 05_backprop against the same network in PyTorch on CPU.

The numpy side is the course's own reference solution, taken from the
solution cells of source/05_backprop (so the benchmark times exactly what
the grader's reference earns). PyTorch trains the same architecture with
the same initial weights, learning rate, batch size, epochs and shuffling,
in float64 (the numpy arithmetic) and in float32 (PyTorch's default).
Accuracy is computed the grader's way (autograder.judge.exercises.a05_backprop).

    .venv/bin/python -m benchmarks.mlp_numpy_vs_torch [--quick]
"""

from __future__ import annotations

import os

# One BLAS thread, as in the grader's kernel (autograder/runner.py); set
# OPENBLAS_NUM_THREADS=2 to compare. This must happen before numpy loads.
THREADS = os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", THREADS)

import argparse  # noqa: E402
import inspect  # noqa: E402
import platform  # noqa: E402
import re  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from autograder.data import load_fashion_mnist, train_validation
from autograder.judge.exercises import exercises_for
from autograder.host.repair import nbgrader_meta, read, source_path
from autograder.targets import target_for

MARKERS = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[^\n]*\n?", re.M)


def reference_namespace(assignment: str = "05_backprop") -> dict:
    """The notebook's locked helper cells and reference solutions, run in a fresh namespace."""
    namespace: dict = {}
    for cell in read(source_path(assignment)).cells:
        meta = nbgrader_meta(cell)
        if cell.cell_type == "code" and (meta.get("solution") or meta.get("grade_id") == "helpers"):
            exec(compile(MARKERS.sub("", cell.source), f"<{meta.get('grade_id')}>", "exec"), namespace)
    return namespace


def train_torch(X, y, initial, epochs, lr, batch_size, seed, dtype):
    """The same minibatch SGD as the reference: same start, same shuffles, same steps."""
    import torch
    import torch.nn.functional as F

    params = [
        (torch.tensor(W, dtype=dtype, requires_grad=True), torch.tensor(b, dtype=dtype, requires_grad=True))
        for W, b in initial
    ]
    Xt, yt = torch.from_numpy(X).to(dtype), torch.from_numpy(y)
    rng = np.random.default_rng(seed)
    optimizer = torch.optim.SGD([p for pair in params for p in pair], lr=lr)
    for _ in range(epochs):
        order = torch.from_numpy(rng.permutation(len(X)))
        for start in range(0, len(X), batch_size):
            batch = order[start : start + batch_size]
            h = Xt[batch]
            for i, (W, b) in enumerate(params):
                h = h @ W + b
                if i < len(params) - 1:
                    h = F.relu(h)
            loss = F.cross_entropy(h, yt[batch])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
    return [(W.detach().double().numpy(), b.detach().double().numpy()) for W, b in params]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the quick-mode subset, as the tests use")
    args = parser.parse_args()

    import torch

    torch.set_num_threads(int(THREADS))
    target = target_for("05_backprop", args.quick)
    X_train, y_train, _, _ = train_validation(train_size=target.train_size)
    test = load_fashion_mnist("test")
    training = exercises_for("05_backprop")["train_mlp"]
    namespace = reference_namespace()
    train_mlp = namespace["train_mlp"]
    defaults = {
        k: p.default
        for k, p in inspect.signature(train_mlp).parameters.items()
        if p.default is not inspect.Parameter.empty and k != "history"
    }
    print(
        f"Machine: {platform.machine()}, {os.cpu_count()} cores; numpy {np.__version__}, torch {torch.__version__} "
        f"({torch.get_num_threads()} threads), numpy BLAS threads {THREADS}; load average {os.getloadavg()[0]:.1f}"
    )
    print(f"Data: {len(X_train)} training examples; test split {len(test.labels)}; target: {target.describe()}")
    print(f"Reference hyperparameters (train_mlp's defaults): {defaults}\n")

    results = []
    started = time.perf_counter()
    params = train_mlp(X_train, y_train)
    seconds = time.perf_counter() - started
    results.append(("numpy (reference solution)", seconds, training.accuracy(params, "test")))

    sizes = [X_train.shape[1], *defaults["hidden_sizes"], 10]
    initial = namespace["init_mlp"](sizes, seed=defaults["seed"])
    for name, dtype in (("PyTorch CPU, float64", torch.float64), ("PyTorch CPU, float32", torch.float32)):
        started = time.perf_counter()
        trained = train_torch(
            X_train,
            y_train,
            initial,
            defaults["epochs"],
            defaults["lr"],
            defaults["batch_size"],
            defaults["seed"],
            dtype,
        )
        seconds = time.perf_counter() - started
        results.append((name, seconds, training.accuracy(trained, "test")))

    base = results[0][1]
    print(f"{'implementation':<28} {'train time':>11} {'vs numpy':>9} {'test accuracy':>14}")
    for name, seconds, accuracy in results:
        print(f"{name:<28} {seconds:>10.2f}s {seconds / base:>8.2f}x {accuracy:>14.4f}")
    print(
        f"\nnumpy reference: {'meets' if results[0][2] >= target.accuracy else 'MISSES'} the {target.mode} target "
        f"{target.accuracy:.2f} in {base:.1f} s (budget {target.budget_s:g} s for the whole training cell)"
    )


if __name__ == "__main__":
    main()
