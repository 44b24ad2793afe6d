"""Benchmark: lesson 08's transfer gains against training from scratch, on the same few labels.

For k labelled training images per new class and several draws of them,
it trains with the lesson's own code (the solution cells of
source/08_transfer_learning, and the comparison cell's ``from_scratch`` and
``fine_tune_all``):

- from scratch: the backbone's architecture with random weights, every layer trained;
- linear probe: ``fine_tune``, the frozen backbone with a new linear head;
- fine-tuning all layers: the probe, then every layer trained a little;

and prints the test accuracy on the new classes (their 4,000 test images),
the mean and the spread over the draws, and the seconds each method took.
The graded target (autograder/targets.py) holds the from-scratch figure at
the graded number of labels and the margin the probe must add to it. The
figures are printed, never asserted.

    .venv/bin/python -m benchmarks.transfer [--draws 5] [--k 1 5 10 20 50]
"""

from __future__ import annotations

import argparse
import ast
import re
import statistics
import time

from autograder.host.repair import nbgrader_meta, read, source_path

MARKERS = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[^\n]*\n?", re.M)
ASSIGNMENT = "08_transfer_learning"
COMPARED = ("from_scratch", "fine_tune_all")


def lesson_namespace() -> dict:
    """The lesson's solutions, its from_scratch and fine_tune_all, and the setup cell's names."""
    import copy

    import torch
    import torch.nn.functional as F
    from torch import nn

    from autograder import backbone

    def quiet(iterable, **_):  # no progress bars in a benchmark's output
        return iterable

    mean, std = backbone.normalization()
    namespace = {"torch": torch, "nn": nn, "F": F, "copy": copy, "tqdm": quiet, "MEAN": mean, "STD": std}
    namespace["network"] = backbone.network
    for cell in read(source_path(ASSIGNMENT)).cells:
        if cell.cell_type != "code":
            continue
        if nbgrader_meta(cell).get("solution"):
            exec(compile(MARKERS.sub("", cell.source), f"<{nbgrader_meta(cell)['grade_id']}>", "exec"), namespace)
        elif "def from_scratch" in cell.source:
            tree = ast.parse(cell.source)
            functions = [node for node in tree.body if isinstance(node, ast.FunctionDef) and node.name in COMPARED]
            exec(compile(ast.Module(body=functions, type_ignores=[]), "<comparison>", "exec"), namespace)
    missing = [name for name in ("fine_tune", *COMPARED) if name not in namespace]
    if missing:
        raise SystemExit(f"source/{ASSIGNMENT} defines no {', '.join(missing)}")
    return namespace


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=5, help="draws of the labelled images per k")
    parser.add_argument("--k", type=int, nargs="+", default=[1, 5, 10, 20, 50], help="labelled images per class")
    args = parser.parse_args()

    import torch

    from autograder import backbone
    from autograder.targets import target_for

    ns = lesson_namespace()
    model = backbone.load_backbone()
    images, labels = backbone.task_split(backbone.TARGET_CLASSES, "test")
    test_images, test_labels = torch.from_numpy(images).unsqueeze(1), torch.from_numpy(labels)
    classes = len(backbone.TARGET_CLASSES)

    def accuracy(trained) -> float:
        trained.eval()
        with torch.no_grad():
            predicted = torch.cat(
                [
                    trained(ns["preprocess"](test_images[i : i + 1000])).argmax(dim=1)
                    for i in range(0, len(test_images), 1000)
                ]
            )
        return float((predicted == test_labels).float().mean())

    graded = target_for(ASSIGNMENT)
    print(
        f"Transfer to {', '.join(backbone.target_names())} (never seen by the backbone); test accuracy on their "
        f"{len(test_labels)} test images; {args.draws} draws of the labels; torch {torch.__version__}, "
        f"{torch.get_num_threads()} threads"
    )
    print(f"{'labels per class':>16}  {'from scratch':>18}  {'linear probe':>18}  {'fine-tuning all':>18}")
    for k in args.k:
        found = {"scratch": [], "probe": [], "all": []}
        seconds = {"scratch": 0.0, "probe": 0.0, "all": 0.0}
        for draw in range(args.draws):
            images, labels_k = (torch.from_numpy(a) for a in backbone.few_labels(k, seed=draw))
            images = images.unsqueeze(1)
            started = time.perf_counter()
            scratch = ns["from_scratch"](images, labels_k, classes, seed=draw)
            seconds["scratch"] += time.perf_counter() - started
            started = time.perf_counter()
            probe = ns["fine_tune"](model, images, labels_k, classes, seed=draw)
            seconds["probe"] += time.perf_counter() - started
            started = time.perf_counter()
            tuned = ns["fine_tune_all"](probe, images, labels_k)
            seconds["all"] += time.perf_counter() - started
            for name, trained in (("scratch", scratch), ("probe", probe), ("all", tuned)):
                found[name].append(accuracy(trained))
        cells = []
        for name in ("scratch", "probe", "all"):
            values = found[name]
            spread = statistics.stdev(values) if len(values) > 1 else 0.0
            cells.append(f"{statistics.mean(values):.3f} ± {spread:.3f} {seconds[name] / args.draws:4.1f}s")
        print(f"{k:>16}  " + "  ".join(f"{cell:>18}" for cell in cells))
    per_class = graded.train_size // classes
    print(
        f"graded: {per_class} labels per class; target {graded.accuracy:.3f}, from scratch {graded.baseline:.3f} "
        "(autograder/targets.py)"
    )


if __name__ == "__main__":
    main()
