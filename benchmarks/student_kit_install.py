"""Benchmark: the student kit as a student installs it, from nothing but the wheel and the package registry.

The test suite installs the kit over a shared dependency layer (tests/student_kit.py), to save the time
measured here. This script does what STUDENT.md says, in a temporary folder, and prints:

- the wheel's size;
- the seconds ``python -m venv`` and ``pip install <wheel>`` take (numpy, torch, JupyterLab, nbgrader from the
  registry, or pip's cache), and the venv's size on disk;
- the seconds ``workbook-check`` takes on lesson 02 filled with the reference solutions, and its verdict.

Figures are printed, never asserted.

    .venv/bin/python -m benchmarks.student_kit_install
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from autograder.course import student_kit
from tests import samples


def _size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="kit-install-") as tmp:
        tmp = Path(tmp)
        wheel = student_kit.build(tmp / "dist")
        print(f"wheel: {wheel.name}, {wheel.stat().st_size / 1024:.0f} KiB")
        venv = tmp / "workbook-env"
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        made = time.perf_counter()
        clean = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # nothing of this repository
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q", str(wheel)], check=True, env=clean)
        installed = time.perf_counter()
        print(f"python -m venv: {made - started:.1f} s; pip install of the kit: {installed - made:.1f} s")
        print(f"the venv on disk: {_size(venv) / 2**30:.2f} GiB")
        notebook = samples.write(samples.student_notebook("02_activations"), tmp / "work", "02_activations")
        env = {
            "PATH": f"{venv / 'bin'}:/usr/bin:/bin",
            "HOME": str(tmp / "home"),
            "LANG": os.environ.get("LANG", "C.UTF-8"),
        }
        started = time.perf_counter()
        done = subprocess.run(
            [str(venv / "bin" / "workbook-check"), str(notebook)], env=env, capture_output=True, text=True, cwd=tmp
        )
        print(f"workbook-check on 02 (reference): {time.perf_counter() - started:.1f} s, exit {done.returncode}")
        print("  " + (done.stdout.strip().splitlines() or ["(no output)"])[-1])
        shutil.rmtree(venv)


if __name__ == "__main__":
    main()
