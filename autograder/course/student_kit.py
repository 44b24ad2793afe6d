"""``make student-kit``: what a course hands its students, without a single answer.

``dist/`` gets:

- ``dl_basics_workbook_student-<version>-py3-none-any.whl``: an ``autograder``
  package made of the kernel side only (kernel/: data loading, targets, the
  checks' verdicts, the probe, the assessments, training verdicts, the
  public cases' reader and the public checks) plus ``student/``
  (``workbook-check``), the data manifest, the public cases as data
  (``public/<assignment>.npz``, built here from the exercises) and the
  release notebooks (for ``workbook-check`` to compare with); and the
  course's JupyterLab settings, installed as ``share/jupyter/lab/settings/overrides.json``;
  The package carries the messages' translations (kernel/locale), so the checks answer in the language
  of the notebook they run in;
- ``notebooks/<assignment>.ipynb``: the release notebooks to work in, and ``notebooks-ja/``, their Japanese
  edition (release-ja/, autograder/course/editions.py);
- ``STUDENT.md`` (from docs/STUDENT.md) and ``STUDENT.ja.md`` (docs/STUDENT.ja.md).

The judge, the exercises (hidden cases, references), the grader's host
code, the caller and the course tools stay behind. tests/test_student_kit.py
and the build itself (autograder/course/leak_scan.py) scan every file of the
result for any of them; the build deletes a kit that leaks.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

from packaging.requirements import Requirement

from autograder import backbone, i18n
from autograder.course import editions, leak_scan, messages
from autograder.course.release import release_path
from autograder.data import MANIFEST_PATH, REPO_ROOT
from autograder.host.repair import assignments as all_assignments
from autograder.judge.exercises import exercises_for
from autograder.public_cases import dump

KERNEL = REPO_ROOT / "autograder" / "kernel"
STUDENT = REPO_ROOT / "autograder" / "student"
# The course's JupyterLab settings (autosave, kernel status): the kit installs them as JupyterLab's
# overrides.json in the student's environment, `make setup` in the instructor's (docs/student-kit.md).
LAB_SETTINGS = STUDENT / "jupyterlab" / "overrides.json"
# kernel/ modules the kit ships; caller.py (the grader's) and notebook.py (the sandbox's stand-in) stay.
KIT_MODULES = (
    "assessments",
    "backbone",
    "checks",
    "data",
    "drawing",
    "i18n",
    "probe",
    "public_cases",
    "public_checks",
    "targets",
    "training",
)
# Requirements of the instructor's package that a student does not need.
INSTRUCTOR_ONLY = ("pytest", "pytest-xdist", "distributed", "cloudpickle", "ruff", "playwright")
NAME = "dl-basics-workbook-student"

KIT_INIT = '''"""The Deep Learning Basics Workbook, student kit: data, targets and the public checks.

Built from the course's repository by `make student-kit`; it holds no solution
and no hidden case. Check a notebook before you submit it: workbook-check NOTEBOOK.
"""

__version__ = "{version}"
'''
KIT_NOTEBOOK = '''"""``autograder.notebook`` in the student kit: the notebooks' ``check``, the public checks."""

from autograder.public_checks import CheckFailed, checks_for

__all__ = ["CheckFailed", "checks_for"]
'''


def project() -> dict:
    return tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]


def requirements() -> list[str]:
    """The instructor's requirements, less the grader's and the tests' own."""
    return [r for r in project()["dependencies"] if Requirement(r).name not in INSTRUCTOR_ONLY]


def _pyproject(version: str) -> str:
    deps = ",\n".join(f'    "{r}"' for r in requirements())
    return f"""[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"

[project]
name = "{NAME}"
version = "{version}"
description = "Deep Learning Basics Workbook: the student kit (data, targets, public checks, workbook-check)."
requires-python = "{project()["requires-python"]}"
dependencies = [
{deps},
]

[project.scripts]
workbook-check = "autograder.student.check:main"

[tool.setuptools]
packages = ["autograder", "autograder.public", "autograder.student", "autograder.student.releases"]

[tool.setuptools.data-files]
"share/jupyter/lab/settings" = ["jupyterlab/overrides.json"]

[tool.setuptools.package-data]
autograder = ["manifest.json", "*.pt", "locale/*/LC_MESSAGES/*.po"]
"autograder.public" = ["*.npz"]
"autograder.student.releases" = ["*.ipynb"]
"""


def stage(folder: Path, assignments: list[str], version: str) -> Path:
    """The kit's source tree in ``folder``: the package, its data, its pyproject.toml."""
    package = folder / "autograder"
    (package / "student" / "releases").mkdir(parents=True)
    for module in KIT_MODULES:
        shutil.copyfile(KERNEL / f"{module}.py", package / f"{module}.py")
    (package / "__init__.py").write_text(KIT_INIT.format(version=version))
    (package / "notebook.py").write_text(KIT_NOTEBOOK)
    for module in ("__init__", "check"):
        shutil.copyfile(STUDENT / f"{module}.py", package / "student" / f"{module}.py")
    shutil.copyfile(MANIFEST_PATH, package / "manifest.json")
    for lang in editions.LANGUAGES:  # the messages' translations, without the hidden cases' labels
        messages.write_kit_catalogue(lang, package / i18n.po_path(lang).relative_to(i18n.LOCALE.parent))
    shutil.copyfile(backbone.verified_checkpoint(), package / backbone.CHECKPOINT)  # lesson 08's pretrained network
    (folder / "jupyterlab").mkdir()
    shutil.copyfile(LAB_SETTINGS, folder / "jupyterlab" / "overrides.json")
    for assignment in assignments:
        dump(assignment, exercises_for(assignment).values(), package / "public")
        shutil.copyfile(release_path(assignment), package / "student" / "releases" / f"{assignment}.ipynb")
    (folder / "pyproject.toml").write_text(_pyproject(version))
    return folder


def build(dist: Path, assignments: list[str] | None = None) -> Path:
    """Build the kit into ``dist`` (emptied first); returns the wheel's path."""
    assignments = assignments or all_assignments()
    missing = [a for a in assignments if not release_path(a).is_file()]
    if missing:
        raise SystemExit(f"no release of {', '.join(missing)}: run `make release` first")
    version = project()["version"]
    if dist.exists():
        shutil.rmtree(dist)
    (dist / "notebooks").mkdir(parents=True)
    with tempfile.TemporaryDirectory(prefix="student-kit-") as tmp:
        source = stage(Path(tmp) / "src", assignments, version)
        subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(dist), "."],
            cwd=source,
            check=True,
        )
    for assignment in assignments:
        shutil.copyfile(release_path(assignment), dist / "notebooks" / f"{assignment}.ipynb")
        for lang in editions.LANGUAGES:  # the same notebook in another language: only its prose differs
            (dist / f"notebooks-{lang}").mkdir(exist_ok=True)
            shutil.copyfile(
                editions.release_edition_path(assignment, lang), dist / f"notebooks-{lang}" / f"{assignment}.ipynb"
            )
    for name in editions.DOCUMENTS[1:]:  # docs/STUDENT.md and its translations
        for lang in ("", *editions.LANGUAGES):
            source = editions.document_translation(name, lang) if lang else REPO_ROOT / name
            shutil.copyfile(source, dist / source.name)
    (wheel,) = dist.glob("*.whl")
    findings = leak_scan.scan([dist], leak_scan.needles())
    if findings:
        shutil.rmtree(dist)
        listed = "\n".join(f"  - {f.needle.kind}: {f.needle.what} in {f.where}" for f in findings[:20])
        raise SystemExit(f"the student kit would give answers away; nothing was written:\n{listed}")
    return wheel


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Build the student kit into dist/.")
    parser.add_argument("--dist", type=Path, default=REPO_ROOT / "dist")
    parser.add_argument(
        "assignments", nargs="*", help="only these assignments (those released so far); default: every one"
    )
    args = parser.parse_args(argv)
    wheel = build(args.dist, args.assignments or None)
    print(f"{wheel} ({wheel.stat().st_size / 1024:.0f} KiB), notebooks and STUDENT.md in {args.dist}")


if __name__ == "__main__":
    main()
