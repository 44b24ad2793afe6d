"""The held-out images a trained PyTorch model is scored on, and the secret that changes them.

A PyTorch model's predictions are made by the student's own code (its
``forward``), and the Fashion-MNIST test split is public, labels included:
a "model" that looks each test image up in a table of the public labels
scored 1.0. So the grader never shows it the public images: it scores the
model on the test split changed by a small perturbation (each pixel moved
by at most ``NOISE`` levels of 255, then clipped) drawn from a secret that
only the grader's side holds. A real network barely notices it; an exact
lookup misses every image. A lookup by nearest public image would still
find them, and lands far above what these networks reach: the judge holds
such an accuracy for review (``Target.implausible`` in autograder/targets.py).

The secret is one per course, kept in the course folder (``SECRET_FILE``,
readable by its owner only; made on first use) or given as ``SECRET_ENV``.
It never reaches a sandbox: only the changed images do, without labels.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path

import numpy as np

from autograder import data

SECRET_FILE = ".workbook-secret"
SECRET_ENV = "WORKBOOK_SECRET"
NOISE = 3  # the largest change of one pixel, in levels of 255


def course_secret(course: Path | None = None) -> str:
    """The course's secret: ``SECRET_ENV``, else the course folder's ``SECRET_FILE`` (made when missing)."""
    given = os.environ.get(SECRET_ENV)
    if given:
        return given
    path = Path(course or data.REPO_ROOT) / SECRET_FILE
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    made = secrets.token_hex(32)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another grading process made it first
        return path.read_text().strip()
    with os.fdopen(descriptor, "w") as handle:
        handle.write(made + "\n")
    return made


def test_images(secret: str) -> np.ndarray:
    """The test split's images (uint8, N x 28 x 28, in the labels' order), changed by ``secret``'s perturbation."""
    images = data.load_images("test")
    seed = int.from_bytes(hashlib.sha256(b"workbook held-out images\0" + secret.encode()).digest()[:8], "big")
    noise = np.random.default_rng(seed).integers(-NOISE, NOISE + 1, size=images.shape, dtype=np.int16)
    return np.clip(images.astype(np.int16) + noise, 0, 255).astype(np.uint8)
