"""The layout is the trust boundary: nothing in autograder/kernel/ imports from host/, judge/ or course/.

kernel/ is what runs inside a sandbox (mounted whole as the sandbox's
``autograder`` package, tests/test_sandbox.py); it must not reach the
grader's host code, the judge with its exercises and hidden cases, or the
course tools. This test reads every kernel module's imports (and any
``"autograder.x"`` string it could import by name) and fails on one that
leaves the kernel side.
"""

from __future__ import annotations

import ast

import pytest

from autograder.data import REPO_ROOT

PACKAGE = REPO_ROOT / "autograder"
KERNEL = PACKAGE / "kernel"
KERNEL_MODULES = {p.stem for p in KERNEL.glob("*.py") if p.stem != "__init__"}


def imported(source: str) -> set[str]:
    """Every ``autograder...`` module a source imports, or names in a string it could import."""
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            if node.module == "autograder":
                names |= {f"autograder.{alias.name}" for alias in node.names}
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.startswith("autograder."):
            names.add(node.value.split()[0])
    return {name for name in names if name == "autograder" or name.startswith("autograder.")}


def outside_the_kernel(source: str) -> set[str]:
    """The imports of ``source`` that leave the kernel side."""
    return {name for name in imported(source) if name != "autograder" and name.split(".")[1] not in KERNEL_MODULES}


@pytest.mark.parametrize("module", sorted(KERNEL.glob("*.py")), ids=lambda p: p.name)
def test_a_kernel_module_imports_only_the_kernel_side(module):
    assert outside_the_kernel(module.read_text()) == set(), module


@pytest.mark.parametrize(
    "line",
    [
        "from autograder.judge.exercises import exercises_for",
        "from autograder.host import runner",
        "import autograder.course.cohort",
        "from autograder import judge",
        "importlib.import_module('autograder.judge.training')",
        "from autograder.kernel import data",  # the host-side name of a kernel module: not there in a sandbox
    ],
)
def test_the_check_catches_an_import_that_leaves_the_kernel(line):
    assert outside_the_kernel(f"import importlib\n{line}\n")


def test_the_check_accepts_the_kernel_sides_own_names():
    assert outside_the_kernel("from autograder import data, probe\nimport autograder.targets\n") == set()


def test_the_host_never_names_a_kernel_module_by_its_folder():
    """``autograder.kernel.data`` would load data.py a second time, beside ``autograder.data``."""
    offenders = [
        str(p.relative_to(REPO_ROOT))
        for p in [*PACKAGE.rglob("*.py"), *(REPO_ROOT / "tests").rglob("*.py")]
        if any(name.startswith("autograder.kernel.") for name in imported(p.read_text())) and p.name != "test_layout.py"
    ]
    assert offenders == []


STUDENT = PACKAGE / "student"
# The student kit's package is kernel/'s modules and student/ (autograder/course/student_kit.py). One import
# leaves them on purpose: workbook-check, run in the instructor's repository where no kit is installed, takes
# the training budgets from the exercises (student/check.py, _exercises; inside the kit it never runs).
STUDENT_FALLBACK = {"autograder.judge.exercises"}


@pytest.mark.parametrize("module", sorted(STUDENT.glob("*.py")), ids=lambda p: p.name)
def test_the_students_package_imports_only_the_kernel_side_and_itself(module):
    leaving = {n for n in outside_the_kernel(module.read_text()) if not n.startswith("autograder.student")}
    assert leaving <= STUDENT_FALLBACK, module


def test_the_kit_ships_every_kernel_module_the_kit_imports():
    """A kernel module the kit's modules import but the kit leaves out would fail only on a student's machine."""
    from autograder.course.student_kit import KIT_MODULES

    shipped = set(KIT_MODULES) | {"notebook", "student"}
    sources = [KERNEL / f"{m}.py" for m in KIT_MODULES] + sorted(STUDENT.glob("*.py"))
    needed = {n.split(".")[1] for p in sources for n in imported(p.read_text()) - STUDENT_FALLBACK if n != "autograder"}
    assert needed <= shipped
