"""Benchmark: the reference CNN of 07_cnn_gpu, fast loop against the tutorials' naive pipeline.

Both train the course's own SimpleCNN, taken with get_device, normalize and
train_cnn from the solution cells of source/07_cnn_gpu, on the same device:

- fast: the notebook's train_cnn (uint8 data moved to the device once,
  whole-batch normalisation, batches of 256, bfloat16 autocast on CUDA,
  one-cycle Adam) for a fixed number of epochs;
- naive: the beginner tutorials' pipeline, a DataLoader over a dataset that
  applies torchvision's ToTensor and Normalize to one image at a time,
  batches of 64, Adam at 0.001, one epoch after another until the target.

Each runs in a subprocess of its own, so that its peak memory is its own.
The time to target counts everything from reading the data set to the end
of the epoch that reaches the target test accuracy; the test evaluations
after each epoch are not counted. The figures are printed, never asserted.

    .venv/bin/python -m benchmarks.cnn_pipelines [--target 0.92] [--epochs N] [--device cpu|cuda]

``--epochs`` defaults to train_cnn's own default: the lesson's recipe, as a
student who follows it trains.
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import resource
import subprocess
import sys
import time

from autograder.host.repair import nbgrader_meta, read, source_path

MARKERS = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[^\n]*\n?", re.M)
NAIVE_MAX_EPOCHS = 15


def reference_namespace() -> dict:
    """The notebook's reference get_device, normalize, SimpleCNN and train_cnn, in a fresh namespace."""
    import torch
    import torch.nn.functional as F
    from torch import nn

    def quiet(iterable, **_):  # no progress bars in a benchmark's output
        return iterable

    namespace = {"torch": torch, "nn": nn, "F": F, "tqdm": quiet}
    for cell in read(source_path("07_cnn_gpu")).cells:
        if cell.cell_type == "code" and nbgrader_meta(cell).get("solution"):
            exec(compile(MARKERS.sub("", cell.source), f"<{nbgrader_meta(cell)['grade_id']}>", "exec"), namespace)
    return namespace


def recipe_epochs() -> int:
    """train_cnn's default number of epochs: the recipe the lesson teaches."""
    import inspect

    return inspect.signature(reference_namespace()["train_cnn"]).parameters["epochs"].default


def test_accuracy(model, normalize, images, labels, device) -> float:
    import torch

    model.eval()
    with torch.no_grad():
        predicted = torch.cat(
            [model(normalize(images[i : i + 2000].to(device))).argmax(dim=1).cpu() for i in range(0, len(images), 2000)]
        )
    return (predicted == labels).float().mean().item()


def sync(device) -> None:
    import torch

    if device.type == "cuda":
        torch.cuda.synchronize()


def run_fast(device, epochs: int, target: float) -> dict:
    import torch
    from autograder.data import load_fashion_mnist

    ns = reference_namespace()
    started = time.perf_counter()
    train = load_fashion_mnist("train")  # all 60 000: the benchmark holds out nothing but the test split
    images, labels = torch.from_numpy(train.images).unsqueeze(1), torch.from_numpy(train.labels)
    model = ns["train_cnn"](images, labels, epochs=epochs, device=device)
    sync(device)
    seconds = time.perf_counter() - started
    test = load_fashion_mnist("test")
    accuracy = test_accuracy(
        model, ns["normalize"], torch.from_numpy(test.images).unsqueeze(1), torch.from_numpy(test.labels), device
    )
    return {"seconds": seconds, "accuracy": accuracy, "epochs": epochs, "reached": accuracy >= target}


def run_naive(device, target: float) -> dict:
    import torch
    import torch.nn.functional as F
    from torch.utils.data import DataLoader, Dataset
    from torchvision import transforms

    from autograder.data import load_fashion_mnist

    ns = reference_namespace()

    class NaiveFashion(Dataset):
        def __init__(self, split):
            data = load_fashion_mnist(split)
            self.images, self.labels = data.images, data.labels
            self.transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5,), (0.5,))])

        def __len__(self):
            return len(self.labels)

        def __getitem__(self, i):
            return self.transform(self.images[i]), int(self.labels[i])

    torch.manual_seed(0)
    started = time.perf_counter()
    loader = DataLoader(NaiveFashion("train"), batch_size=64, shuffle=True)
    model = ns["SimpleCNN"]().to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    test = load_fashion_mnist("test")
    test_images, test_labels = torch.from_numpy(test.images).unsqueeze(1), torch.from_numpy(test.labels)
    training, accuracy = 0.0, 0.0
    for epoch in range(1, NAIVE_MAX_EPOCHS + 1):
        model.train()
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            optimizer.zero_grad()
            F.cross_entropy(model(x), y).backward()
            optimizer.step()
        sync(device)
        training = time.perf_counter() - started
        accuracy = test_accuracy(model, ns["normalize"], test_images, test_labels, device)
        started = time.perf_counter() - training  # the evaluation does not count
        if accuracy >= target:
            break
    return {"seconds": training, "accuracy": accuracy, "epochs": epoch, "reached": accuracy >= target}


def one(kind: str, device_name: str, epochs: int, target: float) -> None:
    """Run one pipeline and print its figures as JSON (the subprocess side)."""
    import torch

    device = torch.device(device_name)
    result = run_fast(device, epochs, target) if kind == "fast" else run_naive(device, target)
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if device.type == "cuda":
        result["peak_gpu_mb"] = torch.cuda.max_memory_allocated() / 2**20
    print(json.dumps(result))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", type=float, default=0.92, help="test accuracy to reach")
    parser.add_argument("--epochs", type=int, default=None, help="epochs of the fast recipe (default: train_cnn's)")
    parser.add_argument("--device", default=None, help="cpu or cuda (default: the notebook's get_device)")
    parser.add_argument("--one", choices=["fast", "naive"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.device is None:
        args.device = str(reference_namespace()["get_device"]())
    if args.epochs is None:
        args.epochs = recipe_epochs()
    if args.one:
        return one(args.one, args.device, args.epochs, args.target)

    import torch

    where = (
        torch.cuda.get_device_name()
        if args.device.startswith("cuda")
        else f"{platform.processor() or platform.machine()}, {torch.get_num_threads()} threads"
    )
    print(f"Device: {args.device} ({where}); torch {torch.__version__}; target test accuracy {args.target:.2f}")
    results = {}
    for kind in ("fast", "naive"):
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "benchmarks.cnn_pipelines",
                "--one",
                kind,
                "--device",
                args.device,
                "--epochs",
                str(args.epochs),
                "--target",
                str(args.target),
            ],
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            sys.exit(f"the {kind} run failed:\n{done.stderr[-2000:]}")
        results[kind] = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"{'pipeline':<44} {'epochs':>6} {'time':>9} {'test acc':>9} {'target':>7} {'peak RSS':>9} {'peak GPU':>9}")
    labels = {
        "fast": "fast: data on device, batch 256, one-cycle" + (" + bf16" if args.device.startswith("cuda") else ""),
        "naive": "naive: per-sample ToTensor/Normalize, batch 64",
    }
    for kind, r in results.items():
        gpu = f"{r['peak_gpu_mb']:>7.0f}MB" if "peak_gpu_mb" in r else f"{'-':>9}"
        print(
            f"{labels[kind]:<44} {r['epochs']:>6} {r['seconds']:>8.1f}s {r['accuracy']:>9.4f} "
            f"{'met' if r['reached'] else 'MISSED':>7} {r['peak_rss_mb']:>7.0f}MB {gpu}"
        )
    fast, naive = results["fast"], results["naive"]
    ratio = naive["seconds"] / fast["seconds"]
    for kind in ("fast", "naive"):
        r = results[kind]
        reached = (
            f"{r['seconds']:.1f} s ({r['epochs']} epochs)" if r["reached"] else f"not reached ({r['accuracy']:.4f})"
        )
        print(f"time to {args.target:.2f} test accuracy, {kind}: {reached}")
    if fast["reached"] and naive["reached"]:
        print(f"time to {args.target:.2f}: the fast loop is {ratio:.1f}x faster than the naive pipeline")
    else:
        missed = [k for k in ("fast", "naive") if not results[k]["reached"]]
        print(f"{' and '.join(missed)} did not reach {args.target:.2f}; wall-clock ratio naive/fast {ratio:.1f}x")


if __name__ == "__main__":
    main()
