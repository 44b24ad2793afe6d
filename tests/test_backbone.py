"""Lesson 08's pretrained backbone (verified like the data), its target task, and lesson 07's drawing pad."""

from __future__ import annotations

from dataclasses import replace

import shutil

import numpy as np
import pytest
import torch

from autograder import backbone, data, drawing
from autograder.judge.exercises import exercises_for


def test_the_committed_backbone_is_the_one_the_manifest_names_and_loads_in_eval_mode():
    entry = backbone.manifest()
    path = backbone.verified_checkpoint()
    assert path.stat().st_size < 1_000_000, "the checkpoint is meant to be small enough to commit"
    assert backbone.sha256(path) == entry["sha256"]
    assert tuple(entry["source_classes"]) == backbone.SOURCE_CLASSES
    model = backbone.load_backbone()
    assert not model.training
    with torch.no_grad():
        x = torch.zeros(3, 1, 28, 28)
        assert model.features(x).shape == (3, model.head.in_features)
        assert model(x).shape == (3, len(backbone.SOURCE_CLASSES))
    mean, std = backbone.normalization()
    assert 0 < mean < 1 and 0 < std < 1


def test_the_backbone_never_saw_the_classes_of_the_new_task():
    assert set(backbone.SOURCE_CLASSES).isdisjoint(backbone.TARGET_CLASSES)
    assert len(backbone.TARGET_CLASSES) != len(backbone.SOURCE_CLASSES), "a head sized for the old classes must show"
    assert backbone.target_names() == ["Sandal", "Shirt", "Sneaker", "Ankle boot"]


def test_a_changed_or_missing_checkpoint_is_refused_with_the_reason(tmp_path, monkeypatch):
    changed = tmp_path / backbone.CHECKPOINT
    shutil.copyfile(backbone.checkpoint_path(), changed)
    raw = bytearray(changed.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    changed.write_bytes(bytes(raw))
    monkeypatch.setattr(backbone, "checkpoint_path", lambda: changed)
    with pytest.raises(backbone.BackboneUnavailable, match="not the manifest's"):
        backbone.load_backbone()
    monkeypatch.setattr(backbone, "checkpoint_path", lambda: tmp_path / "gone.pt")
    with pytest.raises(backbone.BackboneUnavailable, match="is missing.*autograder.course.pretrain"):
        backbone.load_backbone()


def test_the_few_labels_come_from_the_training_part_class_by_class():
    images, labels = backbone.few_labels(3, seed=0)
    assert images.shape == (12, 28, 28) and images.dtype == np.uint8
    assert labels.tolist() == [0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3]
    again, _ = backbone.few_labels(3, seed=0)
    other, _ = backbone.few_labels(3, seed=1)
    assert np.array_equal(images, again) and not np.array_equal(images, other)
    validation = data.validation_split().images
    for image in images:  # never one of the validation images the notebook scores on
        assert not (validation == image).all(axis=(1, 2)).any()


def test_fine_tune_is_trained_on_its_40_labels_and_scored_on_the_new_classes_test_images_only():
    """The grader's training call is handed the 40 labelled images the notebook hands fine_tune, and nothing
    else; the judge scores on the test images of the four new classes (4,000 of them), labelled 0 to 3."""
    training = exercises_for("08_transfer_learning")["fine_tune"]
    inputs = {}
    (call,) = training.planned_calls(0, inputs)
    assert call["harness"] == "fine_tune_run" and call["timeout"] == training.target(False).budget_s
    assert sorted(array.shape for array in inputs.values()) == [(40,), (40, 28, 28)]
    keep, labels = data.relabel(data.load_labels("test"), backbone.TARGET_CLASSES)
    assert int(keep.sum()) == 4000
    scored = replace(training, architecture=None, predict=lambda value, images: value[: len(images)])
    assert scored.accuracy(labels, "test") == 1.0
    assert scored.accuracy((labels + 1) % 4, "test") == 0.0


def _drawn(top, left, height, width, size=280):
    rgba = np.zeros((size, size, 4), dtype=np.uint8)
    rgba[top : top + height, left : left + width] = (0, 0, 0, 255)
    return rgba


def test_a_drawing_becomes_a_centred_28x28_image_that_fills_the_frame():
    image = drawing.to_image(_drawn(top=10, left=150, height=100, width=50))  # a tall shape in a corner
    assert image.shape == (28, 28) and image.dtype == np.uint8
    rows, cols = np.flatnonzero(image.any(axis=1)), np.flatnonzero(image.any(axis=0))
    assert (rows[0], rows[-1]) == (0, 27), "its longer side fills the frame"
    assert cols.size == 14 and abs((cols[0] + cols[-1]) / 2 - 13.5) <= 0.5, "centred"
    assert image.max() == 255
    assert not drawing.to_image(np.zeros((280, 280, 4), dtype=np.uint8)).any()


def test_the_pad_ranks_the_classes_by_probability():
    class Fixed(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.w = torch.nn.Parameter(torch.zeros(1))

        def forward(self, x):
            return torch.tensor([[0.0, 3.0, 1.0, 2.0]]).expand(len(x), 4)

    ranked = drawing.top_classes(Fixed(), lambda x: x.float(), np.zeros((28, 28), np.uint8), list("abcd"))
    assert [name for name, _ in ranked] == ["b", "d", "c"]
    assert ranked[0][1] == pytest.approx(np.exp(3) / np.exp([0, 3, 1, 2]).sum())
