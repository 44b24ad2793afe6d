"""The student kit (``make student-kit``): no answers in it, and everything works with only the kit.

tests/student_kit.py builds the kit once per test run and installs it in a fresh venv (how, and what
that venv shares with the instructor's, is said there).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import socket
import subprocess
import time
import urllib.request
import zipfile
from dataclasses import replace
from functools import lru_cache
from pathlib import Path

import nbformat
import pytest
from jupyter_client import BlockingKernelClient

from autograder import backbone, i18n
from autograder.course import editions, leak_scan, student_kit
from autograder.data import REPO_ROOT
from autograder.host.repair import assignments as all_assignments
from autograder.judge.exercises import exercises_for
from autograder.public_cases import dump
from autograder.targets import KERNEL_THREADS
from tests import samples
from tests.student_kit import Kit

pytestmark = pytest.mark.kit

ASSIGNMENTS = all_assignments()

# Run by the kit's own Python (python -I: no current folder, no script folder on its path): every cell
# of a notebook in a fresh kernel, and what each raised.
RUN_NOTEBOOK = r"""
import json, sys
import nbformat
from nbclient import NotebookClient

path, out = sys.argv[1], sys.argv[2]
nb = nbformat.read(path, as_version=4)
probe = nbformat.v4.new_code_cell("import autograder, sys\nprint('KIT', autograder.__file__, sys.executable)")
nb.cells.insert(0, probe)
threads = "import os, sys\nt = sys.modules.get('torch')\n"
threads += "print('THREADS', os.environ.get('OMP_NUM_THREADS'), t and t.get_num_threads())"
nb.cells.append(nbformat.v4.new_code_cell(threads))
NotebookClient(nb, timeout=300, allow_errors=True, resources={"metadata": {"path": sys.argv[3]}}).execute()
cells = []
for cell in nb.cells:
    if cell.cell_type != "code":
        continue
    meta = cell.get("metadata", {}).get("nbgrader", {})
    errors = [o for o in cell.outputs if o.output_type == "error"]
    text = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
    cells.append({"grade_id": meta.get("grade_id"), "test": bool(meta.get("grade")) and not meta.get("solution"),
                  "error": [errors[0].ename, errors[0].evalue] if errors else None, "text": text[:2000]})
json.dump(cells, open(out, "w"))
"""


@lru_cache(maxsize=None)
def _needles():
    return tuple(leak_scan.needles())


# ------------------------------------------------------------------ contents
def test_the_wheel_holds_the_kernel_side_the_public_cases_and_workbook_check_only(kit):
    names = set(zipfile.ZipFile(kit.wheel).namelist())
    package = {n for n in names if not n.split("/")[0].endswith((".dist-info", ".data"))}
    expected = {f"autograder/{m}.py" for m in student_kit.KIT_MODULES}
    expected |= {"autograder/__init__.py", "autograder/notebook.py", "autograder/manifest.json"}
    expected |= {f"autograder/{backbone.CHECKPOINT}"}  # lesson 08's pretrained network, as the manifest names it
    assert (
        hashlib.sha256(zipfile.ZipFile(kit.wheel).read(f"autograder/{backbone.CHECKPOINT}")).hexdigest()
        == (backbone.manifest()["sha256"])
    )
    expected |= {"autograder/student/__init__.py", "autograder/student/check.py"}
    expected |= {f"autograder/public/{a}.npz" for a in ASSIGNMENTS}
    expected |= {f"autograder/student/releases/{a}.ipynb" for a in ASSIGNMENTS}
    expected |= {"autograder/locale/ja/LC_MESSAGES/workbook.po"}  # the messages in Japanese
    assert package == expected
    data = {n.split("/", 1)[1] for n in names if n.split("/")[0].endswith(".data")}
    assert data == {"data/share/jupyter/lab/settings/overrides.json"}  # the course's JupyterLab settings
    assert sorted(p.name for p in (kit.dist / "notebooks").iterdir()) == [f"{a}.ipynb" for a in ASSIGNMENTS]
    assert (kit.dist / "STUDENT.md").read_text() == (REPO_ROOT / "docs" / "STUDENT.md").read_text()
    # The Japanese edition: every notebook (the committed release-ja/), and the guide in Japanese.
    for assignment in ASSIGNMENTS:
        shipped = (kit.dist / "notebooks-ja" / f"{assignment}.ipynb").read_bytes()
        assert shipped == editions.release_edition_path(assignment, "ja").read_bytes()
    assert (kit.dist / "STUDENT.ja.md").read_text() == (REPO_ROOT / "docs" / "STUDENT.ja.md").read_text()
    metadata = zipfile.ZipFile(kit.wheel).read(next(n for n in names if n.endswith("METADATA"))).decode()
    for requirement in ("numpy", "torch", "torchvision", "matplotlib", "jupyterlab", "nbgrader", "babel"):
        assert f"Requires-Dist: {requirement}" in metadata
    for instructor_only in student_kit.INSTRUCTOR_ONLY:
        assert f"Requires-Dist: {instructor_only}" not in metadata
    for japanese in ("jupyterlab-language-pack-ja-JP", "matplotlib-fontja"):  # JupyterLab's menus, plots' glyphs
        assert f"Requires-Dist: {japanese}" in metadata


def test_the_leak_scan_finds_nothing_in_the_kit(kit):
    needles = _needles()
    kinds = {n.kind for n in needles}
    assert kinds == {"hidden label", "hidden input", "hidden expected", "reference or generator", "solution line"}
    assert leak_scan.scan([kit.dist], list(needles)) == []


def test_a_planted_leak_of_each_kind_makes_the_scan_fail(kit, tmp_path):
    """A hidden case shipped as a public one, a reference module, and a solution line pasted into a notebook."""
    planted = tmp_path / "dist"
    shutil.copytree(kit.dist, planted)
    relu = exercises_for("02_activations")["relu"]
    everything_public = replace(relu, cases=tuple(replace(c, hidden=False) for c in relu.cases))
    dump("02_activations", [everything_public], planted / "extra")
    shutil.copyfile(REPO_ROOT / "autograder/judge/exercises/a03_forward_pass.py", planted / "extra" / "helpers.py")
    notebook = nbformat.read(planted / "notebooks" / "04_losses.ipynb", as_version=4)
    line = next(n.data.decode() for n in _needles() if n.kind == "solution line" and n.assignment == "04_losses")
    notebook.cells.append(nbformat.v4.new_markdown_cell(f"A tip from last year: `{line}`"))
    nbformat.write(notebook, planted / "notebooks" / "04_losses.ipynb")

    found = {(f.needle.kind, Path(f.where.split("!")[0]).name) for f in leak_scan.scan([planted], list(_needles()))}
    assert ("hidden label", "02_activations.npz") in found
    assert ("hidden input", "02_activations.npz") in found
    assert ("hidden expected", "02_activations.npz") in found
    assert ("reference or generator", "helpers.py") in found
    assert ("solution line", "04_losses.ipynb") in found
    assert {where for _, where in found} == {"02_activations.npz", "helpers.py", "04_losses.ipynb"}


# ------------------------------------------------------------------ only the kit
def test_the_kit_imports_from_its_own_venv_and_nothing_of_the_repository(kit, tmp_path):
    code = (
        "import autograder, autograder.notebook, autograder.student.check, importlib.util as u\n"
        "print(autograder.__file__)\n"
        "print([m for m in ('autograder.judge', 'autograder.host', 'autograder.course', 'autograder.exercises',"
        " 'autograder.caller', 'autograder.kernel') if u.find_spec(m)])\n"
    )
    done = kit.run([kit.python, "-I", "-c", code], tmp_path)
    assert done.returncode == 0, done.stderr
    where, found = done.stdout.splitlines()
    assert Path(where).is_relative_to(kit.venv) and found == "[]"
    help_text = kit.run([kit.venv / "bin" / "workbook-check", "--help"], tmp_path)
    assert help_text.returncode == 0 and "fresh kernel" in help_text.stdout


def _run_notebook(kit: Kit, notebook: Path, home: Path) -> list[dict]:
    script, out = home / "run_notebook.py", home / f"{notebook.stem}.json"
    home.mkdir(parents=True, exist_ok=True)
    script.write_text(RUN_NOTEBOOK)
    done = kit.run([kit.python, "-I", script, notebook, out, notebook.parent], home)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(out.read_text())


def _half_done(assignment: str, path: Path) -> set[str]:
    """The release with every other function that does not train written (the reference's code), as a
    student halfway through leaves it; the grade ids of the functions still unwritten."""
    exercises = exercises_for(assignment)
    answers = samples.reference_answers(assignment)
    quick = [name for name in answers if name in exercises and not exercises[name].trains]
    written = {name: answers[name] for name in quick[::2]}
    nbformat.write(samples.student_notebook(assignment, written, fill=False), path)
    return set(exercises) - set(written)


@pytest.mark.parametrize("state", ["untouched", "half done"])
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_a_release_untouched_or_half_done_runs_with_only_the_kit(kit, tmp_path, assignment, state):
    """Every cell runs, Run All to the end: exactly the test cells fail, each with the friendly "not
    implemented yet" of the public checks (a training cell's too: check.train); no lesson cell, demo or
    plot, raises. The setup cell gives the kernel the grader's thread settings (targets.KERNEL_THREADS).
    Half done (every other function that does not train written): only test cells may fail, every
    unwritten function's does, and every demo and plot cell still runs."""
    home = tmp_path / "student"
    notebook = home / "notebooks" / f"{assignment}.ipynb"
    notebook.parent.mkdir(parents=True)
    shutil.copyfile(kit.dist / "notebooks" / f"{assignment}.ipynb", notebook)
    if state == "half done":
        unwritten = _half_done(assignment, notebook)
        cells = _run_notebook(kit, notebook, home)
        failing = {c["grade_id"] for c in cells if c["error"]}
        assert all(c["test"] for c in cells if c["error"]), [(c["grade_id"], c["error"]) for c in cells if c["error"]]
        assert {f"test_{name}" for name in unwritten} <= failing, (unwritten, failing)
        assert 0 < len(unwritten) < len(exercises_for(assignment))
        return
    cells = _run_notebook(kit, notebook, home)
    assert cells[0]["error"] is None and cells[0]["text"].startswith("KIT ")
    module, python = cells[0]["text"].split()[1:3]
    assert Path(module).is_relative_to(kit.venv) and Path(python).parent == kit.venv / "bin"

    def unwritten(error) -> bool:
        return error[0] == "CheckFailed" and "is not implemented yet: replace `raise NotImplementedError()`" in error[1]

    failing = [(i, c["grade_id"], c["error"]) for i, c in enumerate(cells) if c["error"]]
    assert [(i, grade_id) for i, grade_id, _ in failing] == [
        (i, c["grade_id"]) for i, c in enumerate(cells) if c["test"]
    ]
    assert failing and all(unwritten(error) for _, _, error in failing), failing
    threads = cells[-1]["text"].split()
    assert threads[:2] == ["THREADS", str(KERNEL_THREADS)], threads
    assert threads[2] in ("None", str(KERNEL_THREADS)), threads  # torch, where the lesson imports it


def _saved_after_run_all(notebook, path: Path) -> Path:
    """The notebook as a student saves it after Restart & Run All (outputs left out)."""
    count = 0
    for cell in notebook.cells:
        if cell.cell_type == "code":
            count += 1
            cell.execution_count = count
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, path)
    return path


JAPANESE_CHECKED = ("04_losses", "08_transfer_learning")


# Every lesson but 07, whose training takes 20 s more here: its public cases load in the untouched run above,
# and the same checks pass its reference in nbgrader's agreement test, on the instructor's side.
@pytest.mark.parametrize("assignment", [a for a in ASSIGNMENTS if a != "07_cnn_gpu"])
def test_workbook_check_passes_the_reference_solutions(kit, tmp_path, assignment):
    """04 and 08 in the Japanese edition: workbook-check, and the checks it runs, then answer in Japanese."""
    notebook = samples.student_notebook(assignment)
    japanese = assignment in JAPANESE_CHECKED
    if japanese:
        notebook = samples.edition(notebook, assignment, "ja")
    path = _saved_after_run_all(notebook, tmp_path / "work" / f"{assignment}.ipynb")
    done = kit.run([kit.venv / "bin" / "workbook-check", path], tmp_path / "home")
    checks = len(exercises_for(assignment))
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    summary = "{passed} of {total} checks passed, {warnings} warning(s)."
    summary += " The grader also runs hidden cases, so passing here is necessary, not sufficient."
    with i18n.using("ja" if japanese else "en"):
        assert i18n.gettext(summary).format(passed=checks, total=checks, warnings=0) in done.stdout, done.stdout
        passed = i18n.gettext("{signature}: all {count} public checks passed.").split("{count}")[1][:6]
    assert passed in done.stdout


def test_a_known_mistake_gets_the_graders_message(kit, tmp_path, graded):
    notebook = samples.with_mistakes("02_activations", "sigmoid_naive")
    path = _saved_after_run_all(notebook, tmp_path / "work" / "02_activations.ipynb")
    done = kit.run([kit.venv / "bin" / "workbook-check", path], tmp_path / "home")
    assert done.returncode == 1
    report = graded("02_activations", "mistake:sigmoid_naive")
    grader = next(t for t in report.tests if t["grade_id"] == "test_sigmoid")
    message = grader["output"].split("\n    (")[0]  # the count of cases differs: the grader has hidden ones
    assert len(message) > 40 and " ".join(message.split()) in " ".join(done.stdout.split()), (message, done.stdout)
    passed = sum(t["score"] == t["max_score"] for t in report.tests)
    assert passed < len(report.tests) and f"{passed} of {len(report.tests)} checks passed" in done.stdout
    assert "\u2718 test_sigmoid:" in done.stdout


def test_workbook_check_warns_about_order_fresh_kernel_failures_and_missing_cells(kit, tmp_path):
    notebook = samples.student_notebook("01_neuron")
    code = [c for c in notebook.cells if c.cell_type == "code"]
    for count, cell in enumerate(code, start=1):
        cell.execution_count = count
    code[3].execution_count, code[4].execution_count = code[4].execution_count, code[3].execution_count
    # A cell that used a name the student defined, ran, then deleted: it worked in the session.
    solution = next(c for c in code if c.metadata.get("nbgrader", {}).get("grade_id") == "step")
    solution.source = solution.source + "\nscale = helper_from_a_deleted_cell * 2\n"
    solution.outputs = []
    locked = next(c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "test_perceptron")
    notebook.cells.remove(locked)
    missing = next(c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "xor_gate")
    notebook.cells.remove(missing)
    path = tmp_path / "work" / "01_neuron.ipynb"
    path.parent.mkdir(parents=True)
    nbformat.write(notebook, path)
    done = kit.run([kit.venv / "bin" / "workbook-check", path], tmp_path / "home")
    assert done.returncode == 1
    assert "cells ran out of order" in done.stdout
    assert "cell" in done.stdout and "(step) worked in your session but fails in a fresh kernel" in done.stdout
    assert "NameError" in done.stdout
    assert "the locked cell `test_perceptron` was deleted" in done.stdout
    assert "the solution cell `xor_gate` is missing" in done.stdout


def test_workbook_check_warns_about_cells_run_after_the_last_save(kit, tmp_path):
    """A Jupyter server has the notebook open, and its kernel ran cells after the file was saved."""
    home, work = tmp_path / "home", tmp_path / "home" / "work"
    path = _saved_after_run_all(samples.student_notebook("02_activations"), work / "02_activations.ipynb")
    saved = max(c.execution_count or 0 for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    token = "a-token-for-the-test"
    server = subprocess.Popen(
        [kit.python, "-m", "jupyter_server", "--no-browser", f"--port={port}", "--ServerApp.port_retries=0",
         f"--ServerApp.token={token}", f"--ServerApp.root_dir={work}", "--allow-root"],  # root: the test's user here
        cwd=home, env=kit.env(home), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        url, headers = f"http://127.0.0.1:{port}", {"Authorization": f"token {token}"}
        for _ in range(100):
            try:
                urllib.request.urlopen(urllib.request.Request(f"{url}/api/status", headers=headers), timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        body = json.dumps({"path": path.name, "type": "notebook", "kernel": {"name": "python3"}}).encode()
        request = urllib.request.Request(f"{url}/api/sessions", data=body, headers=headers, method="POST")
        kernel = json.load(urllib.request.urlopen(request, timeout=30))["kernel"]["id"]
        client = BlockingKernelClient(
            connection_file=str(home / ".local/share/jupyter/runtime" / f"kernel-{kernel}.json")
        )
        client.load_connection_file()
        client.start_channels()
        client.wait_for_ready(timeout=60)
        for _ in range(saved + 2):  # the student goes on working, and does not save
            client.execute_interactive("x = 1", timeout=30)
        client.stop_channels()
        done = kit.run([kit.venv / "bin" / "workbook-check", path], home)
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert done.returncode == 1
    assert (
        f"your open session has run cells up to In [{saved + 2}], but the saved file only up to In [{saved}]"
        in done.stdout
    )
