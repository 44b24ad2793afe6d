"""Train lesson 08's backbone: the course's own pretrained network, since nothing can be downloaded.

    python -m autograder.course.pretrain            # train, and say whether it matches the manifest
    python -m autograder.course.pretrain --write    # train, save datasets/backbone/, update the manifest

It trains ``backbone.network()`` on the training split's images of
``backbone.SOURCE_CLASSES`` only (``backbone.task_split``: the validation images are left out), with
the recipe below, and reports its accuracy on the test split's images of
those classes. The normalisation (the mean and standard deviation of those
training pixels in [0, 1]) and the checkpoint's SHA-256 go into
``datasets/manifest.json``, the one place they live. The same seed gives the
same network on the same machine; another CPU or thread count may differ in
the last bits, hence the committed checkpoint and its checksum.
"""

from __future__ import annotations

import argparse
import json
import time

from autograder import backbone, data

EPOCHS = 4
BATCH_SIZE = 256
LR = 0.01
LABEL_SMOOTHING = 0.1
SEED = 0


def train(progress: bool = True):
    """(the trained backbone in eval mode, its normalisation (mean, std), its test accuracy on the source classes)."""
    import torch
    import torch.nn.functional as F
    from tqdm.auto import tqdm

    images, labels = backbone.task_split(backbone.SOURCE_CLASSES, "train")
    mean = round(float(images.mean() / 255), 4)  # as the manifest records them, and the lesson uses them
    std = round(float((images / 255.0).std()), 4)
    x = torch.from_numpy(images).unsqueeze(1)
    y = torch.from_numpy(labels)
    torch.manual_seed(SEED)
    model = backbone.network()
    optimizer = torch.optim.Adam(model.parameters(), lr=LR)
    steps = EPOCHS * ((len(x) + BATCH_SIZE - 1) // BATCH_SIZE)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=LR, total_steps=steps)
    for _ in tqdm(range(EPOCHS), desc="pretraining the backbone", disable=not progress):
        model.train()
        order = torch.randperm(len(x))
        for first in range(0, len(x), BATCH_SIZE):
            batch = order[first : first + BATCH_SIZE]
            inputs = (x[batch].float() / 255 - mean) / std
            loss = F.cross_entropy(model(inputs), y[batch], label_smoothing=LABEL_SMOOTHING)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
    model.eval()
    test_images, test_labels = backbone.task_split(backbone.SOURCE_CLASSES, "test")
    with torch.no_grad():
        inputs = (torch.from_numpy(test_images).unsqueeze(1).float() / 255 - mean) / std
        accuracy = float((model(inputs).argmax(dim=1).numpy() == test_labels).mean())
    return model, (mean, std), accuracy


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="save the checkpoint and update the manifest")
    args = parser.parse_args(argv)
    import torch

    started = time.perf_counter()
    model, (mean, std), accuracy = train()
    seconds = time.perf_counter() - started
    path = backbone.checkpoint_path()
    names = [data.class_names()[c] for c in backbone.SOURCE_CLASSES]
    print(f"trained in {seconds:.0f} s on {', '.join(names)}: test accuracy {accuracy:.4f} on those classes")
    print(f"normalisation: mean {mean:.4f}, std {std:.4f}; {sum(p.numel() for p in model.parameters()):,} parameters")
    if not args.write:
        built = path.with_suffix(".rebuilt.pt")
        torch.save(model.state_dict(), built)
        same = backbone.sha256(built) == backbone.manifest()["sha256"]
        print(f"saved to {built}: {'the same file as' if same else 'differs from'} the course's checkpoint")
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(model.state_dict(), path)
    manifest = json.loads(data.MANIFEST_PATH.read_text())
    manifest[backbone.NAME] = {
        "description": "Lesson 08's pretrained CNN, trained by the course (python -m autograder.course.pretrain) "
        f"on the training split's images of {', '.join(names)} only.",
        "file": f"backbone/{backbone.CHECKPOINT}",
        "sha256": backbone.sha256(path),
        "normalization": {"mean": mean, "std": std},
        "source_classes": list(backbone.SOURCE_CLASSES),
        "source_test_accuracy": round(accuracy, 4),
        "recipe": {
            "epochs": EPOCHS,
            "batch_size": BATCH_SIZE,
            "lr": LR,
            "label_smoothing": LABEL_SMOOTHING,
            "seed": SEED,
            "torch": torch.__version__,
        },
    }
    data.MANIFEST_PATH.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {path} ({path.stat().st_size / 1024:.0f} KiB) and its entry in {data.MANIFEST_PATH}")


if __name__ == "__main__":
    main()
