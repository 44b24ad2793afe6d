"""A plagiarism screen: pairs of submissions whose solution cells are near-identical.

``python -m autograder similarity ASSIGNMENT`` prints a ranked list of pairs
for a human to review. It never changes a grade, and a high score is a reason
to look, not a verdict.

How a pair is scored
--------------------
1. **Normalise.** Each solution cell (found through ``notebooks.repair``, so a
   cell whose metadata was cleared still counts) is tokenized. Comments, blank
   lines, indentation width and bare string statements (docstrings) are
   dropped. Identifiers are renamed ``$1``, ``$2``... in order of first
   appearance within the cell, so renaming variables changes nothing; keywords,
   builtins, attribute names after a dot, keyword-argument names in calls
   (``axis=``), well-known modules (``np``, ``torch``...) and the assignment's
   graded function names are kept, because a copier cannot rename them.
   Numbers and strings are compared by value (``1`` == ``1.0``). Code that does
   not tokenize is compared as whitespace-collapsed words and punctuation.
2. **Fingerprint.** A function's fingerprint is its set of k-grams of K = 5
   consecutive tokens. Graded functions are short (often under 30 tokens), so
   every k-gram is kept rather than winnowed: winnowing would leave a one-line
   answer with one or two fingerprints.
3. **Drop what says nothing about a pair.**
   - k-grams of the release notebook's cell (signature, docstring,
     ``raise NotImplementedError()``): two students who left a cell untouched
     share only the template, so they score 0.
   - *common* k-grams, held by more than ``max(3, 25% of the cohort)``
     submissions. Code that many students write alike (``np.maximum(z, 0)``)
     is evidence of nothing, and a k-gram that a quarter of the class wrote is
     no sign that two of them worked together. The floor of 3 is there because
     a group that shares code makes its own k-grams common: with a floor of 2,
     a study group of three who share one notebook would cancel itself out in
     any class under 12. With 3, such a group shows up in a class of any size;
     a group of g stays visible while g <= max(3, n / 4). The price, in classes
     under 12, is that code three students happen to write alike still counts.
4. **Score.** The Jaccard index of the two submissions' remaining
   ``(function, k-gram)`` sets, in [0, 1]: 1 when everything either of them
   wrote beyond the template and the common code is shared. The same index per
   function says which functions match. Pairs at or above the threshold
   (default 0.8) are flagged.
"""

from __future__ import annotations

import argparse
import ast
import builtins
import io
import itertools
import keyword
import re
import sys
import tokenize
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from autograder.course.release import release_path
from autograder.data import REPO_ROOT
from autograder.host.repair import NotANotebook, assignments, grade_id, nbgrader_meta, read, repair, source_path

K = 5
COMMON_SHARE = 0.25
COMMON_FLOOR = 3
THRESHOLD = 0.8
TOP = 20
KNOWN_MODULES = frozenset({"np", "numpy", "torch", "nn", "F", "math"})
BUILTINS = frozenset(dir(builtins))
DROPPED = {tokenize.COMMENT, tokenize.NL, tokenize.ENDMARKER, tokenize.ENCODING}
LAYOUT = {tokenize.INDENT: "<indent>", tokenize.DEDENT: "<dedent>", tokenize.NEWLINE: "<newline>"}


@dataclass
class Pair:
    a: str
    b: str
    score: float
    functions: dict[str, float] = field(default_factory=dict)  # only functions with distinctive code

    def matching(self, threshold: float) -> list[str]:
        return [name for name, score in self.functions.items() if score >= threshold]


def normalise(source: str, keep: frozenset[str] = frozenset()) -> list[str]:
    try:
        tokens = [t for t in tokenize.generate_tokens(io.StringIO(source).readline) if t.type not in DROPPED]
    except Exception:  # TokenError, IndentationError, and whatever odd text a student saved: never crash
        return fallback(source)
    return _canonical(_without_bare_strings(tokens), keep)


def fallback(source: str) -> list[str]:
    return re.findall(r"\w+|[^\w\s]", source)


def _without_bare_strings(tokens):
    # A statement that is only a string does nothing: it is a docstring or commented-out text.
    kept, line = [], []
    for token in tokens:
        line.append(token)
        if token.type == tokenize.NEWLINE or token is tokens[-1]:
            body = [t for t in line if t.type not in LAYOUT]
            if body and all(t.type == tokenize.STRING for t in body):
                line = [t for t in line if t.type in (tokenize.INDENT, tokenize.DEDENT)]
            kept.extend(line)
            line = []
    return kept


def _canonical(tokens, keep) -> list[str]:
    names, out, brackets = {}, [], []
    for i, token in enumerate(tokens):
        text, previous = token.string, tokens[i - 1].string if i else ""
        following = tokens[i + 1].string if i + 1 < len(tokens) else ""
        if token.type in LAYOUT:
            out.append(LAYOUT[token.type])
        elif token.type == tokenize.NAME:
            in_call = bool(brackets) and brackets[-1] == "call"
            fixed = (
                keyword.iskeyword(text)
                or text in BUILTINS
                or text in keep
                or previous == "."
                or (in_call and following == "=")
            )
            out.append(text if fixed else names.setdefault(text, f"${len(names) + 1}"))
        elif token.type in (tokenize.NUMBER, tokenize.STRING):
            out.append(_literal(text))
        else:
            if text in ("(", "[", "{"):
                # A def's parameters are the student's own names; a call's keywords belong to the callee.
                header = i >= 2 and tokens[i - 2].string in ("def", "class")
                brackets.append("call" if text == "(" and not header else "other")
            elif text in (")", "]", "}") and brackets:
                brackets.pop()
            out.append(text)
    return out


def _literal(text: str) -> str:
    try:
        value = ast.literal_eval(text)
        return repr(float(value)) if isinstance(value, (int, float)) and not isinstance(value, bool) else repr(value)
    except Exception:  # f-strings and anything odd are compared as written
        return text


def kgrams(tokens: list[str], k: int = K) -> set[tuple[str, ...]]:
    if len(tokens) < k:
        return {tuple(tokens)} if tokens else set()
    return {tuple(tokens[i : i + k]) for i in range(len(tokens) - k + 1)}


def solution_ids(assignment: str) -> list[str]:
    return [grade_id(c) for c in read(source_path(assignment)).cells if nbgrader_meta(c).get("solution")]


def solution_code(notebook, assignment: str) -> dict[str, str]:
    """grade_id -> the code of its solution cell(s); copies of a cell are joined, since all of them ran."""
    ids = set(solution_ids(assignment))
    code: dict[str, list[str]] = {}
    for cell in repair(notebook, assignment).notebook.cells:
        cid = grade_id(cell)
        if cid in ids and nbgrader_meta(cell).get("solution") and cell.cell_type == "code":
            source = cell.get("source", "")
            code.setdefault(cid, []).append(source if isinstance(source, str) else "".join(source))
    return {cid: "\n".join(parts) for cid, parts in code.items()}


def template_kgrams(assignment: str) -> dict[str, set]:
    keep = KNOWN_MODULES | set(solution_ids(assignment))
    release = read(release_path(assignment))
    template = {}
    for cid, source in solution_code(release, assignment).items():
        # Both forms, so that a submission that fails to tokenize does not match on the template either.
        template[cid] = kgrams(normalise(source, keep)) | kgrams(fallback(source))
    return template


def fingerprints(notebook, assignment: str, template: dict[str, set]) -> dict[str, set]:
    """grade_id -> the k-grams of the submission's solution cell that are not in the template."""
    keep = KNOWN_MODULES | set(solution_ids(assignment))
    prints = {
        cid: kgrams(normalise(source, keep)) - template.get(cid, set())
        for cid, source in solution_code(notebook, assignment).items()
    }
    return {cid: grams for cid, grams in prints.items() if grams}


def common_limit(cohort: int) -> float:
    return max(COMMON_FLOOR, COMMON_SHARE * cohort)


def compare(submissions: dict, assignment: str) -> list[Pair]:
    """Every pair of submissions (name -> notebook), best match first."""
    template = template_kgrams(assignment)
    prints = {name: fingerprints(nb, assignment, template) for name, nb in submissions.items()}
    held = Counter((cid, gram) for functions in prints.values() for cid, grams in functions.items() for gram in grams)
    limit = common_limit(len(prints))
    prints = {
        name: {cid: {g for g in grams if held[cid, g] <= limit} for cid, grams in functions.items()}
        for name, functions in prints.items()
    }
    order = solution_ids(assignment)
    pairs = []
    for a, b in itertools.combinations(sorted(prints), 2):
        # A k-gram matches only within the same function, so the totals are sums over functions.
        shared, either, functions = 0, 0, {}
        for cid in order:
            fa, fb = prints[a].get(cid, set()), prints[b].get(cid, set())
            if fa or fb:
                common, union = len(fa & fb), len(fa | fb)
                shared, either, functions[cid] = shared + common, either + union, common / union
        pairs.append(Pair(a, b, shared / either if either else 0.0, functions))
    return sorted(pairs, key=lambda p: (-p.score, p.a, p.b))


def _notebook_in(folder: Path, assignment: str) -> Path | None:
    preferred = folder / f"{assignment}.ipynb"
    if preferred.is_file() and not preferred.is_symlink():
        return preferred
    # Only regular files: reading a FIFO would block the screen for everyone.
    return next(iter(sorted(p for p in folder.glob("*.ipynb") if p.is_file() and not p.is_symlink())), None)


def load_submissions(submitted: Path, assignment: str) -> tuple[dict, list[tuple[str, str]]]:
    """Notebooks of ``submitted/<student>/<assignment>/``, and (student, reason) for those that cannot be read."""
    submissions, skipped = {}, []
    for student in sorted(p for p in Path(submitted).iterdir() if p.is_dir()):
        folder = student / assignment
        if not folder.is_dir():
            continue  # the student did not hand this assignment in
        path = _notebook_in(folder, assignment)
        if path is None:
            skipped.append((student.name, f"no .ipynb file in {folder}"))
            continue
        try:
            notebook = read(path)
            solution_code(notebook, assignment)  # a notebook too damaged to repair is skipped here, not in compare
        except NotANotebook as error:
            skipped.append((student.name, str(error)))
        except Exception as error:  # a structurally damaged notebook must not stop the screen for everyone
            skipped.append((student.name, f"{path} could not be read ({type(error).__name__}: {error})"))
        else:
            submissions[student.name] = notebook
    return submissions, skipped


def report(
    pairs: list[Pair], submissions: int, skipped, assignment: str, threshold: float = THRESHOLD, top: int = TOP
) -> str:
    flagged = [p for p in pairs if p.score >= threshold]
    lines = [
        f"Similarity screen for {assignment}: {submissions} submissions, {len(pairs)} pairs compared.",
        "This check never changes a grade: the pairs below are for a human to review, "
        "and a high score is not proof of copying.",
        "",
    ]
    shown = pairs[: max(top, 0)]
    if shown:
        width = max(len("student A"), *(len(p.a) for p in shown), *(len(p.b) for p in shown))
        lines.append(
            f"{'rank':>4}  {'score':>5}  {'student A':<{width}}  {'student B':<{width}}  "
            f"functions scoring >= {threshold:.2f}"
        )
        for rank, pair in enumerate(shown, 1):
            matching = ", ".join(f"{name} {pair.functions[name]:.2f}" for name in pair.matching(threshold)) or "-"
            mark = "  FLAGGED" if pair.score >= threshold else ""
            lines.append(f"{rank:>4}  {pair.score:>5.2f}  {pair.a:<{width}}  {pair.b:<{width}}  {matching}{mark}")
        if len(pairs) > len(shown):
            lines.append(f"({len(pairs) - len(shown)} lower-scoring pairs not shown; --top changes this)")
        lines.append("")
    if flagged:
        lines.append(
            f"{len(flagged)} pair(s) flagged at score >= {threshold:.2f}: "
            + "; ".join(f"{p.a} & {p.b} ({p.score:.2f})" for p in flagged)
        )
    else:
        lines.append(f"No pair flagged at score >= {threshold:.2f}.")
    if skipped:
        lines.append(f"Skipped {len(skipped)} submission(s) that could not be read:")
        lines.extend(f"  {student}: {reason}" for student, reason in skipped)
    return "\n".join(lines)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "assignment", choices=assignments(), metavar="ASSIGNMENT", help="the assignment to screen, e.g. 02_activations"
    )
    parser.add_argument(
        "--submitted",
        type=Path,
        default=REPO_ROOT / "submitted",
        help="nbgrader's submitted/ folder: <student>/<assignment>/<assignment>.ipynb (default: %(default)s)",
    )
    parser.add_argument(
        "--threshold",
        type=float,
        default=THRESHOLD,
        help="flag pairs scoring at least this, from 0 to 1 (default %(default)s)",
    )
    parser.add_argument("--top", type=int, default=TOP, help="print this many pairs (default %(default)s)")


def run(args: argparse.Namespace) -> int:
    if not Path(args.submitted).is_dir():
        print(f"no submissions: {args.submitted} is not a folder", file=sys.stderr)
        return 2
    submissions, skipped = load_submissions(args.submitted, args.assignment)
    pairs = compare(submissions, args.assignment)
    print(report(pairs, len(submissions), skipped, args.assignment, args.threshold, args.top))
    return 0  # a screen, not a verdict: flagged pairs are not an error
