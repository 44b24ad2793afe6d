"""Regenerate release/ from source/ with nbgrader (``make release``).

release/ is generated output: it is committed so students can clone and
start, and a test fails when it differs from a fresh generation.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from autograder.data import REPO_ROOT
from autograder.host.repair import assignments


RELEASE_DIR = REPO_ROOT / "release"


def release_path(assignment: str) -> Path:
    """The committed release notebook of ``assignment``."""
    return RELEASE_DIR / assignment / f"{assignment}.ipynb"


def generate(release_dir: Path = RELEASE_DIR) -> list[Path]:
    """Run ``nbgrader generate_assignment`` for every assignment into ``release_dir``."""
    bin_dir = str(Path(sys.executable).parent)
    env = {**os.environ, "PATH": bin_dir + os.pathsep + os.environ.get("PATH", "")}
    written = []
    for assignment in assignments():
        subprocess.run(
            [
                os.path.join(bin_dir, "nbgrader"),
                "generate_assignment",
                assignment,
                "--force",
                "--no-db",
                f"--CourseDirectory.release_directory={release_dir}",
                "--log-level=WARN",
            ],
            cwd=REPO_ROOT,
            env=env,
            check=True,
        )
        written.append(Path(release_dir) / assignment / f"{assignment}.ipynb")
    return written


if __name__ == "__main__":
    for path in generate():
        print(f"generated {path.relative_to(REPO_ROOT)}")
