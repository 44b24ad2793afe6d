"""Fashion-MNIST: real files, verified against the one manifest, found by route."""

from __future__ import annotations

import gzip
import shutil

import numpy as np
import pytest

from autograder import data


@pytest.fixture
def fresh_locate():
    data.locate.cache_clear()
    yield
    data.locate.cache_clear()


def copy_dataset(folder):
    folder.mkdir(parents=True, exist_ok=True)
    source = data.locate()
    for name in data.manifest()["files"]:
        shutil.copyfile(source / name, folder / name)
    return folder


def test_loader_returns_the_real_data_set():
    train, test = data.load_fashion_mnist("train"), data.load_fashion_mnist("test")
    assert train.images.shape == (60000, 28, 28) and train.images.dtype == np.uint8
    assert test.images.shape == (10000, 28, 28) and test.labels.shape == (10000,)
    assert train.labels.dtype == np.int64
    assert np.bincount(train.labels).tolist() == [6000] * 10  # Fashion-MNIST is exactly balanced
    assert np.bincount(test.labels).tolist() == [1000] * 10
    images, labels = train.as_torch()
    assert tuple(images.shape) == (60000, 28, 28) and str(labels.dtype) == "torch.int64"
    assert len(data.class_names()) == 10


def test_normalize_maps_pixels_to_minus_one_one():
    pixels = np.array([0, 51, 255], dtype=np.uint8)
    assert np.allclose(data.normalize(pixels), [-1.0, -0.6, 1.0])
    assert data.normalize(pixels).dtype == np.float32


def test_workbook_data_comes_first(tmp_path, monkeypatch, fresh_locate):
    folder = copy_dataset(tmp_path / "mine")
    monkeypatch.setenv(data.ENV_VAR, str(folder))
    data.locate.cache_clear()
    assert data.locate() == folder


def test_a_corrupt_file_is_named_and_skipped(tmp_path, monkeypatch, fresh_locate):
    folder = copy_dataset(tmp_path / "broken")
    with gzip.open(folder / "t10k-labels-idx1-ubyte.gz", "wb") as handle:
        handle.write(b"\x00" * 10008)
    problem = data.verify_folder(folder)
    assert "t10k-labels-idx1-ubyte.gz has MD5" in problem and "expected 15d484375f8d13e6eb1aabb0c3f46965" in problem
    monkeypatch.setenv(data.ENV_VAR, str(folder))
    data.locate.cache_clear()
    assert data.locate() != folder  # the next route that verifies wins


@pytest.fixture
def no_copy_on_disk(tmp_path, monkeypatch, fresh_locate):
    """Every on-disk route points at an empty place; only a download is left."""
    monkeypatch.setenv(data.ENV_VAR, str(tmp_path / "empty"))
    monkeypatch.setattr(data, "CACHE_DIR", tmp_path / "cache")
    monkeypatch.setitem(data.manifest(), "debian_path", str(tmp_path / "no-debian"))


def test_no_route_raises_one_error_naming_every_route(monkeypatch, no_copy_on_disk):
    from torchvision.datasets import FashionMNIST

    # Offline on any machine: port 9 on loopback refuses the connection.
    monkeypatch.setattr(FashionMNIST, "mirrors", ["http://127.0.0.1:9/"])
    with pytest.raises(data.DatasetUnavailable) as raised:
        data.locate()
    message = str(raised.value)
    for route in (
        "$WORKBOOK_DATA",
        "the cache",
        "Debian package dataset-fashion-mnist",
        "torchvision download",
        "apt-get install -y dataset-fashion-mnist",
    ):
        assert route in message, message


def test_offline_no_download_is_tried(monkeypatch, no_copy_on_disk):
    """In the sandbox (no network) a missing file is reported at once, without torchvision's download."""
    monkeypatch.setenv(data.OFFLINE_ENV, "1")
    tried = []
    monkeypatch.setattr(data, "_download_with_torchvision", lambda target: tried.append(target) or "refused")
    with pytest.raises(data.DatasetUnavailable) as raised:
        data.locate()
    assert tried == [], "a download was tried offline"
    message = str(raised.value)
    assert "torchvision download" not in message.split("Fix it")[0], message
    for route in ("$WORKBOOK_DATA", "the cache", "Debian package dataset-fashion-mnist"):
        assert route in message, message
