"""Fashion-MNIST, found on disk or fetched, and always checksum-verified.

Routes are tried in a fixed order so that a course can pin its copy
(``$WORKBOOK_DATA``) and a laptop still works with nothing set up:

1. ``$WORKBOOK_DATA``            a folder holding the four ``.gz`` files
2. the cache: ``datasets/fashion-mnist/`` in the repository; in the student
   kit, ``~/.cache/dl-basics-workbook/fashion-mnist/``
3. ``/usr/share/datasets/fashion-mnist/``  Debian's ``dataset-fashion-mnist``
4. a torchvision download into the cache

The checksums live in ``datasets/manifest.json`` and nowhere else; the
student kit carries a copy of that file inside its package.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from autograder.i18n import _

HERE = Path(__file__).resolve().parent
# Three layouts. In the repository this file is autograder/kernel/data.py; in a sandbox, autograder/ is
# kernel/ itself, with ../datasets/manifest.json beside it; in the student kit, autograder/ is an installed
# package that holds its manifest (the build copies datasets/manifest.json) and caches in the user's home.
STUDENT_KIT = (HERE / "manifest.json").is_file()
REPO_ROOT = HERE.parent.parent if HERE.name == "kernel" else HERE.parent
if STUDENT_KIT:
    MANIFEST_PATH = HERE / "manifest.json"
    CACHE_DIR = (
        Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "dl-basics-workbook" / "fashion-mnist"
    )
else:
    MANIFEST_PATH = REPO_ROOT / "datasets" / "manifest.json"
    CACHE_DIR = REPO_ROOT / "datasets" / "fashion-mnist"
ENV_VAR = "WORKBOOK_DATA"
# "1" where no network can be reached (the grader's sandbox sets it): the
# download route could only fail there, after seconds of importing torchvision.
OFFLINE_ENV = "WORKBOOK_OFFLINE"

SPLIT_FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}


class DatasetUnavailable(RuntimeError):
    """No route produced verified Fashion-MNIST files."""


@lru_cache(maxsize=None)
def manifest_entry(name: str) -> dict:
    """One entry of datasets/manifest.json: "fashion-mnist", or "fashion-backbone" (lesson 08's network)."""
    return json.loads(MANIFEST_PATH.read_text())[name]


def manifest() -> dict:
    return manifest_entry("fashion-mnist")


def _idx_bytes(path: Path) -> bytes:
    """A .gz file's decompressed bytes, decompressed once per process: the check of its MD5 and every
    read of it share them (the training split's images take about 0.3 s to decompress)."""
    info = Path(path).stat()
    return _decompressed(str(Path(path).resolve()), info.st_size, info.st_mtime_ns)


@lru_cache(maxsize=8)
def _decompressed(path: str, size: int, mtime_ns: int) -> bytes:  # size and time: a changed file is read anew
    with gzip.open(path, "rb") as handle:
        return handle.read()


def _idx_md5(path: Path) -> str:
    return hashlib.md5(_idx_bytes(path)).hexdigest()


def verify_folder(folder: Path, names=None) -> str | None:
    """Return None when every named file is present and intact, else why not."""
    files = manifest()["files"]
    for name in names or files:
        path = Path(folder) / name
        if not path.is_file():
            return _("{path} is missing").format(path=path)
        try:
            actual = _idx_md5(path)
        except (OSError, EOFError, gzip.BadGzipFile) as error:
            return _("{path} is not a readable gzip file ({error})").format(path=path, error=error)
        if actual != files[name]["idx_md5"]:
            return _("{path} has MD5 {actual}, expected {expected} (corrupt or a different data set)").format(
                path=path, actual=actual, expected=files[name]["idx_md5"]
            )
    return None


def _download_with_torchvision(target: Path) -> str | None:
    try:
        from torchvision.datasets import FashionMNIST
    except ImportError as error:
        return _("torchvision is not importable ({error})").format(error=error)
    with tempfile.TemporaryDirectory() as tmp:
        try:
            FashionMNIST(root=tmp, train=True, download=True)
            FashionMNIST(root=tmp, train=False, download=True)
        except Exception as error:  # any network or mirror failure: report it, try nothing else
            return _("torchvision could not download it ({error_type}: {error})").format(
                error_type=type(error).__name__, error=error
            )
        raw = Path(tmp) / "FashionMNIST" / "raw"
        problem = verify_folder(raw)
        if problem:
            return problem
        target.mkdir(parents=True, exist_ok=True)
        for name in manifest()["files"]:
            shutil.copyfile(raw / name, target / name)
    return None


def routes() -> list[tuple[str, Path | None]]:
    found = []
    if os.environ.get(ENV_VAR):
        found.append((f"${ENV_VAR}", Path(os.environ[ENV_VAR])))
    found.append((_("the cache"), CACHE_DIR))
    found.append(
        (_("Debian package {package}").format(package=manifest()["debian_package"]), Path(manifest()["debian_path"]))
    )
    if os.environ.get(OFFLINE_ENV) != "1":
        found.append((_("torchvision download"), None))
    return found


@lru_cache(maxsize=None)
def locate(names: tuple[str, ...] | None = None) -> Path:
    """The first folder, in route order, whose files verify.

    ``names`` restricts the check to some files: the grader's sandbox, for
    instance, holds the test images but never the test labels.
    """
    failures = []
    for label, folder in routes():
        if folder is None:
            problem = _download_with_torchvision(CACHE_DIR)
            folder = CACHE_DIR
        else:
            problem = verify_folder(folder, names)
        if problem is None:
            return folder
        failures.append(f"  - {label}: {problem}")
    raise DatasetUnavailable(
        _("Fashion-MNIST could not be found or fetched. Tried, in order:")
        + "\n"
        + "\n".join(failures)
        + "\n"
        + _(
            "Fix it with one of:\n"
            "  - Debian/Ubuntu as root: apt-get install -y {package}\n"
            "  - any system with internet: the torchvision route downloads it into {cache}\n"
            "  - or point ${variable} at a folder holding the four official .gz files"
        ).format(package=manifest()["debian_package"], cache=CACHE_DIR, variable=ENV_VAR)
    )


def read_idx(path: Path) -> np.ndarray:
    """Parse an IDX file (big-endian header, then raw unsigned bytes)."""
    raw = _idx_bytes(path)
    magic = int.from_bytes(raw[:4], "big")
    if magic >> 8 != 0x08:  # 0x08 = unsigned byte, the only type Fashion-MNIST uses
        raise ValueError(f"{path}: not an unsigned-byte IDX file (magic {magic:#x})")
    ndim = magic & 0xFF
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape).copy()


@dataclass(frozen=True)
class Split:
    images: np.ndarray  # (N, 28, 28) uint8 in [0, 255]
    labels: np.ndarray  # (N,) int64 in [0, 9]

    def as_torch(self):
        import torch

        return torch.from_numpy(self.images), torch.from_numpy(self.labels)


def load_images(split: str = "train") -> np.ndarray:
    name = SPLIT_FILES[split][0]
    return read_idx(locate((name,)) / name)


def load_labels(split: str = "train") -> np.ndarray:
    name = SPLIT_FILES[split][1]
    return read_idx(locate((name,)) / name).astype(np.int64)


def load_fashion_mnist(split: str = "train") -> Split:
    """Images as uint8 (N, 28, 28) and labels as int64 (N,)."""
    if split not in SPLIT_FILES:
        raise ValueError(
            _("split must be one of {splits}, got {split}").format(splits=sorted(SPLIT_FILES), split=repr(split))
        )
    return Split(load_images(split), load_labels(split))


def class_names() -> list[str]:
    return list(manifest()["classes"])


def relabel(labels: np.ndarray, classes) -> tuple[np.ndarray, np.ndarray]:
    """(mask of the examples of ``classes``, their labels renumbered 0, 1, ... in the order of ``classes``):
    a task on some of the ten classes, such as lesson 08's."""
    keep = np.isin(labels, classes)
    lookup = np.full(10, -1, dtype=np.int64)
    lookup[list(classes)] = np.arange(len(classes))
    return keep, lookup[labels[keep]]


def normalize(images: np.ndarray) -> np.ndarray:
    """uint8 [0, 255] -> float32 [0, 1] -> [-1, 1], as the tutorials teach."""
    result = images.astype(np.float32)  # then in place: the same float32 steps, without three temporaries
    result /= 255.0
    result -= 0.5
    result /= 0.5
    return result


VALIDATION_SIZE = 10_000  # the training split's last examples: the notebooks' own held-out set


def validation_split() -> Split:
    """The training split's last VALIDATION_SIZE examples; training uses the rest."""
    train = load_fashion_mnist("train")
    return Split(train.images[-VALIDATION_SIZE:], train.labels[-VALIDATION_SIZE:])


def training_examples(train_size: int | None = None) -> Split:
    """The examples training may use: the training split before its validation part, the first
    ``train_size`` of them (quick mode), as uint8 images (N, 28, 28) and int64 labels."""
    train = load_fashion_mnist("train")
    cut = len(train.images) - VALIDATION_SIZE
    return Split(train.images[:cut][:train_size], train.labels[:cut][:train_size])


def prepared(images: np.ndarray, flatten: bool = True) -> np.ndarray:
    """uint8 images (N, 28, 28) as the training notebooks train on them: normalised, then (N, 784), or
    (N, 1, 28, 28) for PyTorch (``flatten`` False). The grader's training calls prepare them the same way."""
    images = normalize(images)
    return images.reshape(len(images), -1) if flatten else images[:, None]


def train_validation(train_size: int | None = None, flatten: bool = True):
    """Normalised ``(X_train, y_train, X_val, y_val)`` for the training notebooks.

    The test split is the grader's: the notebooks never load its labels.
    ``train_size`` keeps only the first examples (quick mode).
    """
    train, validation = training_examples(train_size), validation_split()
    return (
        prepared(train.images, flatten),
        train.labels,
        prepared(validation.images, flatten),
        validation.labels,
    )


def install_debian_package() -> None:
    """Install Debian's package when it is missing and we are root with apt."""
    if Path(manifest()["debian_path"]).is_dir() or os.geteuid() != 0 or not shutil.which("apt-get"):
        return
    package = manifest()["debian_package"]
    print(f"Installing Debian's {package}")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], env=env, check=False, stdout=subprocess.DEVNULL)
    subprocess.run(["apt-get", "install", "-y", "-qq", package], env=env, check=False, stdout=subprocess.DEVNULL)


def install_cache() -> Path:
    """Copy verified files into the repo cache; used by ``make data``."""
    folder = locate()
    if folder != CACHE_DIR:
        CACHE_DIR.mkdir(parents=True, exist_ok=True)
        for name in manifest()["files"]:
            shutil.copyfile(folder / name, CACHE_DIR / name)
    problem = verify_folder(CACHE_DIR)
    if problem:
        raise DatasetUnavailable(problem)
    return CACHE_DIR


if __name__ == "__main__":
    install_debian_package()
    print(f"Fashion-MNIST verified in {install_cache()}")
