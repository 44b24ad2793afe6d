"""The student kit, built and installed once per test run, for tests/test_student_kit.py and test_exchange.py.

The kit (autograder/course/student_kit.py) is installed with pip into a
fresh venv. That venv gets the kit's third-party dependencies (numpy,
torch, JupyterLab, nbgrader...) as a read-only layer, so that a test run
does not unpack torch again (a full install from the registry takes about
90 s and 6 GB; docs/student-kit.md says how to measure it):

- the instructor venv's site-packages as a plain path entry (a ``.pth``
  line), so the layer's own ``.pth`` files, the editable install of this
  repository's ``autograder`` among them, are not processed;
- the data files those packages installed, as pip would have put them in
  the venv: ``share/jupyter`` (kernel spec, JupyterLab and its extensions,
  nbgrader's) linked entry by entry, except ``lab/settings``, which the kit
  installs itself (the course's JupyterLab settings); ``etc/jupyter`` (server
  extensions enabled) copied.

pip installs the wheel with ``--no-index`` and checks each of its
requirements against the layer; the tests assert where ``autograder`` comes
from, in the kit's Python and in its Jupyter kernels. Console scripts of
the layer's packages are not in the kit's ``bin/``: tests run them as
``python -m nbgrader`` and ``python -m jupyter_server``.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

from autograder.course import student_kit
from autograder.targets import QUICK_ENV


class Kit:
    def __init__(self, folder: Path):
        self.folder = folder
        self.dist = folder / "dist"
        self.venv = folder / "venv"
        self.python = self.venv / "bin" / "python"

    @property
    def wheel(self) -> Path:
        (wheel,) = self.dist.glob("*.whl")
        return wheel

    def env(self, home: Path) -> dict:
        """A student's environment: their own home, the kit's bin/ first, nothing of this repository."""
        keep = {k: v for k, v in os.environ.items() if k in ("LANG", "LC_ALL", "TMPDIR")}
        return {
            **keep,
            "HOME": str(home),
            "PATH": f"{self.venv / 'bin'}:/usr/local/bin:/usr/bin:/bin",
            "WORKBOOK_OFFLINE": "1",  # no network here: fail at once rather than try a download
            QUICK_ENV: "1",
        }

    def run(self, args: list, home: Path, timeout: float = 600, **kwargs) -> subprocess.CompletedProcess:
        home.mkdir(parents=True, exist_ok=True)
        return subprocess.run(
            [str(a) for a in args],
            cwd=home,
            env=self.env(home),
            capture_output=True,
            text=True,
            timeout=timeout,
            **kwargs,
        )


def _build(folder: Path) -> Kit:
    kit = Kit(folder)
    student_kit.build(kit.dist)
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(kit.venv)], check=True)
    layer = Path(sys.prefix)
    # share/jupyter of the layer, entry by entry, except lab/settings: the kit installs the course's own.
    for entry in (layer / "share" / "jupyter").iterdir():
        if entry.name != "lab":
            (kit.venv / "share" / "jupyter").mkdir(parents=True, exist_ok=True)
            (kit.venv / "share" / "jupyter" / entry.name).symlink_to(entry)
    for entry in (layer / "share" / "jupyter" / "lab").iterdir():
        if entry.name != "settings":
            (kit.venv / "share" / "jupyter" / "lab").mkdir(parents=True, exist_ok=True)
            (kit.venv / "share" / "jupyter" / "lab" / entry.name).symlink_to(entry)
    shutil.copytree(layer / "etc" / "jupyter", kit.venv / "etc" / "jupyter")
    purelib = subprocess.run(
        [str(kit.python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    # The dependency layer: a plain path entry, so the layer's own .pth files (the editable install of this
    # repository among them) are not processed.
    Path(purelib, "workbook_dependency_layer.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(kit.python), "install", "-q", "--no-index", str(kit.wheel)],
        check=True,
    )
    return kit


def installed_kit(folder: Path) -> Kit:
    """The kit in ``folder``, built and installed there by the first test worker that asks."""
    with open(f"{folder}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (folder / "ready").exists():
            shutil.rmtree(folder, ignore_errors=True)
            _build(folder)
            (folder / "ready").touch()
    return Kit(folder)
