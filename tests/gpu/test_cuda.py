"""The CUDA code paths, on a machine with a GPU: `make test-gpu` runs these (pytest --gpu).

Without --gpu they are deselected, and the run's header says so; with --gpu
and no CUDA GPU they fail, never skip. Together with the 07 gradings of
tests/test_grading.py (which `make test-gpu` runs too, where a get_device
that says "cuda" is right) they cover: the /dev/nvidia* binds into the
sandbox, the GPU budget, 07's device choice and bf16 autocast in a real
full-mode grading.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from autograder.host import sandbox
from autograder.host.grader import grade
from autograder.targets import KERNEL_ENV, grading_device, target_for
from tests import samples

pytestmark = [pytest.mark.gpu, pytest.mark.sandbox]
A = "07_cnn_gpu"


@pytest.fixture(scope="module", autouse=True)
def cuda():
    import torch

    assert torch.cuda.is_available(), "make test-gpu needs a CUDA GPU that torch can use: none was found"
    return torch.cuda.get_device_name()


def test_a_lesson_that_does_not_train_on_the_gpu_has_no_gpu_device(tmp_path):
    code = "import glob; print(sorted(glob.glob('/dev/nvidia*')))"
    with sandbox.make(tmp_path, sandbox.Limits(), dict(KERNEL_ENV)) as host:
        done = subprocess.run(
            host.wrap([sys.executable, "-c", code]), capture_output=True, text=True, timeout=300, env=host.env
        )
    assert done.returncode == 0 and done.stdout.strip() == "[]", done.stdout + done.stderr


def test_the_sandboxed_kernel_reaches_the_gpu(tmp_path):
    code = "import torch; x = torch.ones(1000, device='cuda'); print(torch.cuda.get_device_name(), float(x.sum()))"
    with sandbox.make(tmp_path, sandbox.Limits(gpu=True), dict(KERNEL_ENV)) as host:
        done = subprocess.run(
            host.wrap([sys.executable, "-c", code]), capture_output=True, text=True, timeout=300, env=host.env
        )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().endswith("1000.0"), done.stdout


def test_the_grader_gives_07_its_gpu_budget():
    assert grading_device() == "cuda"
    full = target_for(A, False)
    assert full.budget("cuda") == full.gpu_budget_s < full.budget_s


def test_07_in_full_mode_trains_on_the_gpu_within_its_budget_and_earns_full_marks(tmp_path, cuda):
    report = grade(samples.write(samples.student_notebook(A), tmp_path, A), A, quick=False)
    assert report.score == report.max_score, report.table(detail=True)
    budget = target_for(A, False).gpu_budget_s
    assert any(f"may take {budget:g} s on a GPU" in note for note in report.notes), report.notes
    printed = "".join(
        output.get("text", "")
        for cell in report.notebook.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
    )
    assert "training on: cuda" in printed, "the notebook's get_device did not choose the GPU"
    train = next(t for t in report.tests if t["function"] == "train_cnn")
    print(f"07 full mode on {cuda}: {train['output']} (grading {report.seconds:.1f} s)")
