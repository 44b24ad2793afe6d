"""``workbook-check NOTEBOOK``: the check before submitting.

It runs the notebook *as saved* in a fresh kernel, top to bottom, the way the
grader's first run does (the grader's thread settings, its time limit per
cell and each training cell's budget), then prints every public check's
verdict, with the grader's own messages, and warns about what would cost
points or surprise the student:

- work not saved: where a Jupyter server has the notebook open, its kernel ran
  cells after the file was last saved;
- cells that ran out of order, or not at all, in the student's session;
- cells that worked in the student's session but fail in a fresh kernel;
- a missing solution cell;
- a deleted or changed locked cell (the grader puts the release's back).

Without a running server it cannot see unsaved work: it says when the file was saved.
It speaks the language of the notebook's edition (its ``workbook.language`` metadata; ``--lang`` overrides
it), and so do the notebook's own checks: the fresh kernel gets that language as ``$WORKBOOK_LANGUAGE``.
The exit status is 0 when every check passed and nothing needs a warning.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from autograder import data, i18n
from autograder.i18n import _
from autograder.targets import CELL_SECONDS, KERNEL_ENV, grading_device, target_for

# nbformat's jsonschema imports rfc3987-syntax where it is installed (the kit's JupyterLab brings it) for one format
# check, "iri", and that module builds a Lark parser on import: 1.2 s of every check. No notebook field has that
# format, so this process does without it (jsonschema then skips the format, as it does every one it cannot check).
sys.modules.setdefault("rfc3987_syntax", None)

HERE = Path(__file__).resolve().parent
ASSIGNMENT_IN_CODE = re.compile(r"checks_for\(\s*[\"']([A-Za-z0-9_]+)[\"']\s*\)")
PASSED = "\u2714"
PARTIAL = "\u25d1"  # a training check's partial tier: printed, not raised (public_checks._check_training)


@dataclass
class Verdict:
    grade_id: str
    status: str  # passed | failed | error | timeout | silent
    text: str


@dataclass
class Findings:
    assignment: str
    verdicts: list[Verdict] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return bool(self.verdicts) and all(v.status == "passed" for v in self.verdicts) and not self.warnings


# ------------------------------------------------------------ the notebook
def _nbgrader(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def _label(index: int, cell) -> str:
    grade_id = _nbgrader(cell).get("grade_id")
    first = next((line for line in cell.source.splitlines() if line.strip()), "").strip()
    return _("cell {number} ({name})").format(number=index + 1, name=grade_id or first[:40])


def release_path(assignment: str) -> Path | None:
    """The release notebook: inside the kit, or in the instructor's repository."""
    for path in (
        HERE / "releases" / f"{assignment}.ipynb",
        data.REPO_ROOT / "release" / assignment / f"{assignment}.ipynb",
    ):
        if path.is_file():
            return path
    return None


def assignment_of(notebook, path: Path) -> str | None:
    """The assignment a notebook belongs to: the one its setup cell names, else its file name."""
    for cell in notebook.cells:
        found = ASSIGNMENT_IN_CODE.search(cell.source) if cell.cell_type == "code" else None
        if found:
            return found.group(1)
    return path.stem if release_path(path.stem) else None


def structure_warnings(notebook, release) -> list[str]:
    """Missing solution cells; deleted or changed locked cells (compared with the release, by grade_id)."""
    mine = {_nbgrader(c).get("grade_id"): c for c in notebook.cells if _nbgrader(c).get("grade_id")}
    found = []
    for cell in release.cells:
        meta = _nbgrader(cell)
        grade_id = meta.get("grade_id")
        if not grade_id:
            continue
        if grade_id not in mine:
            if meta.get("solution"):
                found.append(
                    _(
                        "the solution cell `{grade_id}` is missing (deleted, or its nbgrader metadata was lost): "
                        "the grader puts the empty one back, and that exercise earns nothing"
                    ).format(grade_id=grade_id)
                )
            elif meta.get("locked") or meta.get("grade"):
                found.append(
                    _("the locked cell `{grade_id}` was deleted: the grader puts the release's back").format(
                        grade_id=grade_id
                    )
                )
        elif meta.get("locked") and not meta.get("solution") and mine[grade_id].source.strip() != cell.source.strip():
            found.append(
                _("the locked cell `{grade_id}` was changed: the grader runs the release's version instead").format(
                    grade_id=grade_id
                )
            )
    return found


def order_warnings(notebook) -> list[str]:
    """Cells that ran out of order, or never ran, in the student's session (from the saved execution counts)."""
    found, highest, last = [], 0, None
    code = [(i, c) for i, c in enumerate(notebook.cells) if c.cell_type == "code" and c.source.strip()]
    ran = [count for _index, c in code if (count := c.get("execution_count"))]
    if not ran:
        return [_("no cell has been run in your session (or the notebook was saved without outputs)")]
    for index, cell in code:
        count = cell.get("execution_count")
        if count is None:
            if any(c.get("execution_count") for i, c in code if i > index):
                found.append(
                    _("{cell} was never run in your session, but cells below it were").format(cell=_label(index, cell))
                )
            continue
        if count < highest:
            found.append(
                _(
                    "cells ran out of order: {cell} ran (In [{count}]) before {last}, "
                    "which is above it (In [{highest}])"
                ).format(cell=_label(index, cell), count=count, last=last, highest=highest)
            )
        if count > highest:
            highest, last = count, _label(index, cell)
    return found


def _saved_count(notebook) -> int:
    return max((c.get("execution_count") or 0 for c in notebook.cells if c.cell_type == "code"), default=0)


def _open_kernel_count(path: Path) -> int | None:
    """How many cells the kernel of a running Jupyter server that has ``path`` open has run, or None.

    Asks every server of this user (their runtime files) for its sessions; for the one on this notebook,
    asks its kernel for its execution counter (a silent, empty request: it runs nothing and counts nothing).
    Any failure (no server, another user's, a kernel busy training) means "cannot tell": None.
    """
    import json
    import urllib.request

    from jupyter_client import BlockingKernelClient
    from jupyter_core.paths import jupyter_runtime_dir
    from jupyter_server.serverapp import list_running_servers

    target = path.resolve()
    for server in list_running_servers():
        try:
            root = Path(server.get("root_dir") or server["notebook_dir"]).resolve()
            if not target.is_relative_to(root):
                continue
            request = urllib.request.Request(
                server["url"].rstrip("/") + "/api/sessions", headers={"Authorization": f"token {server['token']}"}
            )
            with urllib.request.urlopen(request, timeout=3) as reply:
                sessions = json.load(reply)
            kernel = next(s["kernel"]["id"] for s in sessions if Path(root, s["path"]).resolve() == target)
        except Exception:
            continue
        client = BlockingKernelClient(connection_file=str(Path(jupyter_runtime_dir()) / f"kernel-{kernel}.json"))
        try:
            client.load_connection_file()
            client.start_channels()
            reply = client.execute_interactive("", silent=True, store_history=False, timeout=3)
            return int(reply["content"]["execution_count"])
        except Exception:
            return None
        finally:
            client.stop_channels()
    return None


def unsaved_warnings(notebook, path: Path) -> list[str]:
    """Cells run in the notebook's open session after its last save (where a Jupyter server has it open)."""
    running, saved = _open_kernel_count(path), _saved_count(notebook)
    if running is None or running <= saved:
        return []
    return [
        _(
            "your open session has run cells up to In [{running}], but the saved file only up to In [{saved}]: "
            "save (Ctrl+S) and check again, or the grader gets the older work"
        ).format(running=running, saved=saved)
    ]


def _failed_in_session(cell) -> bool:
    return any(o.get("output_type") == "error" for o in cell.get("outputs", []))


def _error(cell):
    return next((o for o in cell.get("outputs", []) if o.get("output_type") == "error"), None)


def _text(cell) -> str:
    parts = []
    for output in cell.get("outputs", []):
        if output.get("output_type") == "stream":
            parts.append(output.get("text", ""))
    return "".join(parts)


# ------------------------------------------------------------ running it
def _exercises(assignment: str) -> dict:
    """The assignment's exercises as the public checks know them: the kit's public cases, or, in the
    instructor's repository (which has no kit installed), the exercises themselves."""
    from autograder import public_cases
    from autograder.public_checks import PUBLIC_DIR

    path = PUBLIC_DIR / f"{assignment}.npz"
    if path.is_file():
        return public_cases.load(path)
    from autograder.judge.exercises import exercises_for  # only where the repository is

    return exercises_for(assignment)


def _budgets(assignment: str) -> dict[str, float]:
    """Each training cell's budget, by its test cell's grade_id, as the grader gives them."""
    budgets = {}
    for exercise in _exercises(assignment).values():
        if exercise.trains:
            target = target_for(exercise.assignment)
            device = grading_device() if target.gpu_budget_s else "cpu"
            budgets[f"test_{exercise.name}"] = target.budget(device)
    return budgets


def run_fresh(notebook, folder: Path, budgets: dict[str, float], log=print, lang: str | None = None):
    """Execute a copy of ``notebook`` in a fresh kernel; returns it with new outputs and each cell's timeout.

    The kernel's checks answer in ``lang`` (default: the current language): it gets it as ``$WORKBOOK_LANGUAGE``."""
    import copy

    from nbclient import NotebookClient
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    fresh = copy.deepcopy(notebook)
    for cell in fresh.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    os.environ.update(KERNEL_ENV)  # the kernel inherits the grader's threads and backend
    client = NotebookClient(
        fresh, timeout=CELL_SECONDS, allow_errors=True, resources={"metadata": {"path": str(folder)}}
    )
    timed_out = {}
    env = {**os.environ, i18n.ENV: i18n.checked(lang) if lang is not None else i18n.language()}
    with client.setup_kernel(env=env):
        for index, cell in enumerate(fresh.cells):
            if cell.cell_type != "code":
                continue
            limit = budgets.get(_nbgrader(cell).get("grade_id"), CELL_SECONDS)
            client.timeout = int(limit)
            log("  " + _("running {cell}").format(cell=_label(index, cell)), end="\r")
            try:
                client.execute_cell(cell, index)
            except CellTimeoutError:
                timed_out[index] = limit
                client.km.interrupt_kernel()
            except DeadKernelError as error:
                timed_out[index] = _("the kernel died ({error})").format(error=error)
                break
    log(" " * 70, end="\r")
    return fresh, timed_out


def examine(path: Path, log=print, lang: str | None = None) -> Findings:
    """Runs and reads the notebook at ``path``; its warnings and the kernel's checks are in ``lang``, by default
    the notebook's own edition (its ``workbook.language`` metadata)."""
    import nbformat

    notebook = nbformat.read(str(path), as_version=4)
    lang = lang or i18n.notebook_language(notebook)
    with i18n.using(lang):
        assignment = assignment_of(notebook, path)
        if assignment is None:
            raise SystemExit(
                _("workbook-check: {path} is not a notebook of this course (no checks_for(...) in it)").format(
                    path=path
                )
            )
        findings = Findings(assignment)
        release = release_path(assignment)
        if release is not None:
            findings.warnings += structure_warnings(notebook, nbformat.read(str(release), as_version=4))
        findings.warnings += unsaved_warnings(notebook, path)
        findings.warnings += order_warnings(notebook)
        fresh, timed_out = run_fresh(notebook, path.resolve().parent, _budgets(assignment), log, lang=lang)
        for index, (mine, cell) in enumerate(zip(notebook.cells, fresh.cells)):
            if cell.cell_type != "code":
                continue
            meta = _nbgrader(cell)
            error = _error(cell)
            if index in timed_out:
                limit = timed_out[index]
                text = (
                    _("{cell} did not finish within {limit:g} s").format(cell=_label(index, cell), limit=limit)
                    if isinstance(limit, float | int)
                    else limit
                )
                if meta.get("grade"):
                    findings.verdicts.append(Verdict(meta["grade_id"], "timeout", text))
                else:
                    findings.warnings.append(text)
                continue
            if meta.get("grade") and not meta.get("solution"):
                if error is not None and error.get("ename") == "CheckFailed":
                    findings.verdicts.append(Verdict(meta["grade_id"], "failed", error.get("evalue", "").strip()))
                elif error is not None:
                    findings.verdicts.append(
                        Verdict(meta["grade_id"], "error", f"{error.get('ename')}: {error.get('evalue', '')}"[:600])
                    )
                elif PARTIAL in _text(cell):  # part of the points: not a pass
                    text = _text(cell)
                    findings.verdicts.append(
                        Verdict(meta["grade_id"], "failed", text[text.index(PARTIAL) + 1 :].strip())
                    )
                else:
                    lines = [line[1:].strip() for line in _text(cell).splitlines() if line.startswith(PASSED)]
                    status = "passed" if lines else "silent"
                    findings.verdicts.append(Verdict(meta["grade_id"], status, "\n".join(lines) or _text(cell).strip()))
            if error is not None and mine.get("execution_count") and not _failed_in_session(mine):
                findings.warnings.append(
                    _(
                        "{cell} worked in your session but fails in a fresh kernel: {ename}: {evalue} (does it use "
                        "something defined in a cell you deleted, changed or ran out of order?)"
                    ).format(cell=_label(index, cell), ename=error.get("ename"), evalue=error.get("evalue", "")[:200])
                )
        return findings


# ------------------------------------------------------------ reporting
def report(path: Path, findings: Findings) -> str:
    mark = {"passed": PASSED, "failed": "\u2718", "error": "\u2718", "timeout": "\u2718", "silent": "?"}
    lines = [_("Checks ({assignment}):").format(assignment=findings.assignment)]
    for verdict in findings.verdicts:
        text = verdict.text or _("(the cell printed nothing)")
        body = text.replace("\n", "\n    ")
        lines.append(f"  {mark[verdict.status]} {verdict.grade_id}: {body}")
    if findings.warnings:
        lines.append(_("Warnings:"))
        lines += [f"  ! {warning}" for warning in findings.warnings]
    passed = sum(v.status == "passed" for v in findings.verdicts)
    lines.append(
        _(
            "{passed} of {total} checks passed, {warnings} warning(s). "
            "The grader also runs hidden cases, so passing here is necessary, not sufficient."
        ).format(passed=passed, total=len(findings.verdicts), warnings=len(findings.warnings))
    )
    return "\n".join(lines)


def _language_of(path: Path) -> str:
    """The edition of the notebook at ``path`` (its ``workbook.language``); English when it cannot be read."""
    import json

    try:
        return i18n.notebook_language(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return i18n.SOURCE_LANGUAGE


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="workbook-check",
        description=_("Run a saved notebook in a fresh kernel, as the grader does, and print every public check."),
    )
    parser.add_argument("notebook", type=Path)
    parser.add_argument(
        "--lang",
        choices=i18n.LANGUAGES,
        help=_("the language of the messages and of the checks (default: the notebook's edition)"),
    )
    args = parser.parse_args(argv)
    path = args.notebook
    lang = args.lang or (_language_of(path) if path.is_file() else None)
    with i18n.using(lang):
        if not path.is_file():
            print(_("workbook-check: {path} does not exist").format(path=path), file=sys.stderr)
            return 2
        minutes = (time.time() - path.stat().st_mtime) / 60
        print(
            _(
                "Checking {path} as saved {minutes:.0f} minute(s) ago, in a fresh kernel, top to bottom. "
                "Unsaved changes are not in it: save first (Ctrl+S)."
            ).format(path=path, minutes=minutes)
        )
        try:
            progress = (lambda *a, **k: print(*a, **k, flush=True)) if sys.stdout.isatty() else (lambda *a, **k: None)
            findings = examine(path, log=progress, lang=lang)
        except Exception as error:  # an unreadable notebook: say so, no traceback
            if isinstance(error, SystemExit):
                raise
            print(
                _("workbook-check: could not check {path}: {error_type}: {error}").format(
                    path=path, error_type=type(error).__name__, error=error
                ),
                file=sys.stderr,
            )
            return 2
        print(report(path, findings))
        return 0 if findings.passed else 1


if __name__ == "__main__":
    sys.exit(main())
