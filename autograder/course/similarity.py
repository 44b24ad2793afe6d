"""A plagiarism screen: pairs of submissions whose graded code is near-identical.

``python -m autograder similarity ASSIGNMENT`` prints a ranked list of pairs
for a human to review. It never changes a grade, and a high score is a reason
to look, not a verdict.

How a pair is scored
--------------------
1. **Collect what was graded.** The grader calls each graded function by name
   after the whole notebook ran, so its code is whatever the notebook bound
   that name to, and whatever that code looks up in the notebook's globals:
   not only the solution cell. So for each graded function (the names the
   grade cells ``test_<name>`` call) the screen collects every statement of the
   student's cells (the notebook through ``notebooks.repair``; locked cells are
   the instructor's, not read) that binds the name at the top level or in an
   ``if``/``for``/``with``/``try`` block there (a top-level function that binds
   it through ``global`` counts as a whole), and then every top-level
   function, class or assignment that this code reads
   (``symtable``'s globals, and names given as strings to ``globals()[...]``
   or ``eval``), transitively. Another graded function's code is its own: it
   is not followed. An alias (``relu = _mine``, ``_Kit.relu``,
   ``globals()["_mine"]``, ``getattr(_Kit, "relu")``) or a thin wrapper that
   passes nothing on but its own parameters (``def relu(z): return _mine(z)``,
   ``lambda z: _mine(z)``) is routing, not code: it leads to what it names, and
   that definition is compared as the graded function itself (its name written
   as ``relu``). A cell's line magics are read as IPython runs them, a cell
   magic's body and a string literal given to ``exec`` as code. Cells are read
   with ``ast`` and ``symtable``; nothing in a submission is ever run. A graded
   name that no statement binds is compared as its whole solution cell, as is a
   solution cell that does not parse. Moving a copy into a helper cell, a
   class or a string run by ``exec`` therefore hides nothing. Code reached only
   through a data structure (a dict of functions) is collected with the whole
   structure, and code bound through ``global`` with its whole function: that
   is not seen through.
2. **Normalise.** Each collected definition is tokenized on its own. Comments,
   blank lines, indentation width and bare string statements (docstrings) are
   dropped. Identifiers are renamed ``$1``, ``$2``... in order of first
   appearance within the definition, so renaming variables changes nothing; a
   definition's own name is written as the graded name if it is the graded
   function, else as ``$def``; keywords, builtins, attribute names after a dot,
   keyword-argument names in calls (``axis=``), well-known modules (``np``,
   ``torch``...) and the assignment's graded function names are kept, because
   a copier cannot rename them. Numbers and strings are compared by value
   (``1`` == ``1.0``). Code that does not tokenize is compared as
   whitespace-collapsed words and punctuation.
3. **Fingerprint.** A function's fingerprint is the set of k-grams of K = 5
   consecutive tokens of its collected definitions. Graded functions are short
   (often under 30 tokens), so every k-gram is kept rather than winnowed:
   winnowing would leave a one-line answer with one or two fingerprints.
4. **Drop what says nothing about a pair.**
   - k-grams of the release notebook's code, collected the same way (signature,
     docstring, ``raise NotImplementedError()``), and of every definition in
     the release's own unlocked cells (which a function may read): two
     students who left a cell untouched share only the template, so they score
     0.
   - *common* k-grams, held by more than ``max(3, 25% of the cohort)``
     submissions. Code that many students write alike (``np.maximum(z, 0)``)
     is evidence of nothing, and a k-gram that a quarter of the class wrote is
     no sign that two of them worked together. The floor of 3 is there because
     a group that shares code makes its own k-grams common: with a floor of 2,
     a study group of three who share one notebook would cancel itself out in
     any class under 12. With 3, such a group shows up in a class of any size;
     a group of g stays visible while g <= max(3, n / 4). The price, in classes
     under 12, is that code three students happen to write alike still counts.
5. **Score.** The Jaccard index of the two submissions' remaining
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
import symtable
import sys
import textwrap
import tokenize
from collections import Counter, deque
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path

from autograder.course.release import release_path
from autograder.data import REPO_ROOT
from autograder.host.repair import (
    NotANotebook,
    assignments,
    grade_cells,
    grade_id,
    nbgrader_meta,
    read,
    repair,
    source_path,
)

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


def normalise(source: str, keep: frozenset[str] = frozenset(), rename: dict[str, str] | None = None) -> list[str]:
    """The code's tokens, canonical; a name in ``rename`` is written as its value (a helper the graded
    function is bound to is written as the graded name)."""
    try:
        tokens = [t for t in tokenize.generate_tokens(io.StringIO(source).readline) if t.type not in DROPPED]
    except Exception:  # TokenError, IndentationError, and whatever odd text a student saved: never crash
        return fallback(source)
    return _canonical(_without_bare_strings(tokens), keep, rename or {})


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


def _canonical(tokens, keep, rename) -> list[str]:
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
            if fixed:
                out.append(text)
            elif text in rename:
                out.append(rename[text])
            else:
                out.append(names.setdefault(text, f"${len(names) + 1}"))
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


def graded_names(assignment: str) -> list[str]:
    """The functions the grader calls, by the names it exports them under (grade cell ``test_<name>``)."""
    return list(dict.fromkeys(cell.function for cell in grade_cells(assignment)))


def _locked_ids(assignment: str) -> set[str]:
    return {
        grade_id(c)
        for c in read(source_path(assignment)).cells
        if nbgrader_meta(c).get("locked") or nbgrader_meta(c).get("grade")
    }


# What was graded. The grader calls each graded function by name after the whole notebook ran, so its
# code is whatever the notebook bound that name to, and whatever that code looks up in the notebook's
# globals: anywhere in the notebook, not only in the solution cell. Every cell is read with ast and
# symtable; nothing in a submission is ever run.

COMPOUND = tuple(
    getattr(ast, kind)
    for kind in ("If", "For", "AsyncFor", "While", "With", "AsyncWith", "Try", "TryStar", "Match")
    if hasattr(ast, kind)
)
DEFINES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
MAX_PATH = 8  # names in a dotted path followed (a.b.c...)
MAX_STEPS = 10_000  # names followed for one graded function
MAX_EXEC_DEPTH = 3  # exec("exec('...')")


@dataclass(eq=False)
class Definition:
    """A statement of a student's cell that binds names at the notebook's top level (or, with ``node``
    a Module or None, a whole solution cell)."""

    node: ast.AST | None  # None: a cell that does not parse, compared as text
    python: str  # the cell's code, as IPython runs it
    at: tuple[int, ...]  # (cell, line), or (cell, line of exec, line): notebook order

    @property
    def code(self) -> str:
        if not isinstance(self.node, ast.stmt):
            return self.python
        segment = ast.get_source_segment(self.python, self.node, padded=True) or ""
        return textwrap.dedent(segment)

    @cached_property
    def route(self) -> tuple[str, ...] | None:
        """What an alias (``relu = _mine``) or a thin wrapper (``def relu(z): return _mine(z)``) passes on
        to, as a dotted path; None for a statement that computes something itself."""
        node = self.node
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            body = [s for s in node.body if not _is_bare_string(s)]
            if node.decorator_list or len(body) != 1 or not isinstance(body[0], ast.Return):
                return None
            return _forwarded(node.args, body[0].value)
        if isinstance(node, ast.Assign) and all(isinstance(t, ast.Name) or _by_string(t) for t in node.targets):
            value = node.value
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            value = node.value
        else:
            return None
        return _forwarded(value.args, value.body) if isinstance(value, ast.Lambda) else _path(value)

    @cached_property
    def names(self) -> tuple[set[str], set[str]]:
        """(the global names its code reads, by name or by a string: ``globals()["_mine"]``; the names that
        its functions declare ``global`` and assign)."""
        if self.node is None:
            return set(), set()
        strings = {name for node in ast.walk(self.node) for name in _looked_up(node)}
        try:
            tables = [symtable.symtable(ast.unparse(self.node), "<cell>", "exec")]
        except Exception:  # SyntaxError (a top-level await), RecursionError: every name it mentions
            return strings | {n.id for n in ast.walk(self.node) if isinstance(n, ast.Name)}, set()
        reads, assigned = set(), set()
        while tables:
            table = tables.pop()
            tables.extend(table.get_children())
            module = table.get_type() == "module"
            for symbol in table.get_symbols():
                if symbol.is_referenced() and (module or symbol.is_global()):
                    reads.add(symbol.get_name())
                if not module and symbol.is_declared_global() and symbol.is_assigned():
                    assigned.add(symbol.get_name())
        return reads | strings, assigned


def _is_bare_string(statement) -> bool:
    return (
        isinstance(statement, ast.Expr)
        and isinstance(statement.value, ast.Constant)
        and isinstance(statement.value.value, str)
    )


def _path(node) -> tuple[str, ...] | None:
    """``a.b.c``, ``getattr(a.b, "c")`` and ``globals()["a"]`` as ("a", "b", "c") or ("a",); None for
    anything else."""
    attributes = []
    while True:
        if isinstance(node, ast.Attribute):
            attributes.append(node.attr)
            node = node.value
        elif _is_call(node, "getattr", 2) and _string(node.args[1]):
            attributes.append(node.args[1].value)
            node = node.args[0]
        elif _by_string(node):
            return (node.slice.value, *reversed(attributes))
        else:
            return (node.id, *reversed(attributes)) if isinstance(node, ast.Name) else None


def _looked_up(node) -> list[str]:
    """The global a string names in ``globals()["_mine"]``, ``globals().get("_mine")`` or ``eval("_mine")``."""
    if _by_string(node) and isinstance(node.ctx, ast.Load):
        return [node.slice.value]
    if isinstance(node, ast.Call) and node.args and _string(node.args[0]):
        if _is_call(node, "eval", len(node.args)) or (
            isinstance(node.func, ast.Attribute) and _namespace(node.func.value)
        ):
            return [node.args[0].value.strip()]
    return []


def _by_string(node) -> bool:
    """``globals()["_mine"]``."""
    return isinstance(node, ast.Subscript) and _namespace(node.value) and _string(node.slice)


def _namespace(node) -> bool:
    return any(_is_call(node, function, 0) for function in ("globals", "vars", "locals"))


def _is_call(node, function: str, arguments: int) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == function
        and len(node.args) == arguments
        and not node.keywords
    )


def _string(node) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str)


def _forwarded(arguments: ast.arguments, call) -> tuple[str, ...] | None:
    """The callee, when ``call`` passes nothing on but the function's own parameters."""
    if not isinstance(call, ast.Call):
        return None
    own = {a.arg for a in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs)}
    own |= {a.arg for a in (arguments.vararg, arguments.kwarg) if a is not None}
    passed = [a.value if isinstance(a, ast.Starred) else a for a in (*call.args, *(k.value for k in call.keywords))]
    return _path(call.func) if all(isinstance(a, ast.Name) and a.id in own for a in passed) else None


def _stored(node) -> set[str]:
    names = set()
    for n in ast.walk(node):
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store):
            names.add(n.id)
        elif isinstance(n, ast.Subscript) and isinstance(n.ctx, ast.Store) and _by_string(n):
            names.add(n.slice.value)  # globals()["relu"] = ...
        elif isinstance(n, ast.ExceptHandler) and n.name:
            names.add(n.name)
        elif isinstance(n, (getattr(ast, "MatchAs", ()), getattr(ast, "MatchStar", ()))) and n.name:
            names.add(n.name)
        elif isinstance(n, getattr(ast, "MatchMapping", ())) and n.rest:
            names.add(n.rest)
    return names


def _bindings(body):
    """(statement, names it binds) for each statement of ``body`` that binds names in its scope. The
    bodies of ``if``, ``for``, ``with``, ``try``... are in the same scope; a compound statement whose
    header binds a name (``for f in ...``) binds it as a whole. Imports bring code from outside the
    notebook: there is nothing of the student's to read there."""
    for node in body:
        if isinstance(node, DEFINES):
            yield node, {node.name}
        elif isinstance(node, COMPOUND):
            inner, header = [], set()
            for value in ast.iter_fields(node):
                for item in value[1] if isinstance(value[1], list) else [value[1]]:
                    if isinstance(item, ast.stmt):
                        inner.append(item)
                    elif isinstance(item, ast.ExceptHandler) or type(item).__name__ == "match_case":
                        inner.extend(item.body)
                        header |= _stored(item) - {n for s in item.body for n in _stored(s)}
                    elif isinstance(item, ast.AST):
                        header |= _stored(item)
            if header:
                yield node, header
            yield from _bindings(inner)
        elif not isinstance(node, (ast.Import, ast.ImportFrom)):
            names = _stored(node)
            if names:
                yield node, names


def _parse(source: str) -> tuple[str, ast.Module | None]:
    """The cell's code as IPython runs it, and its syntax tree (None if it does not parse, as it then
    defines nothing). Line magics and shell escapes become calls; a cell magic's body (``%%time``,
    ``%%capture``) is read as code."""
    try:
        return source, ast.parse(source)
    except Exception:  # SyntaxError, and RecursionError or MemoryError on a hostile cell
        pass
    body = source.lstrip().partition("\n")[2] if source.lstrip().startswith("%%") else source
    try:
        python = _ipython().transform_cell(body)
        return python, ast.parse(python)
    except Exception:
        return source, None


@lru_cache(maxsize=1)
def _ipython():
    """IPython's own reading of a cell (text to text: nothing runs)."""
    from IPython.core.inputtransformer2 import TransformerManager

    return TransformerManager()


def _definitions(notebook, assignment: str) -> tuple[dict[str, list[Definition]], dict[str, list[Definition]]]:
    """name -> the statements of the student's cells that bind it, in notebook order; and grade_id -> its
    solution cells as a whole. Locked cells are the instructor's, restored from source: not read."""
    locked = _locked_ids(assignment)
    table, solutions = {}, {}
    for index, cell in enumerate(repair(notebook, assignment).notebook.cells):
        if cell.cell_type != "code" or grade_id(cell) in locked:
            continue
        source = cell.get("source", "")
        python, tree = _parse(source if isinstance(source, str) else "".join(source))
        if nbgrader_meta(cell).get("solution"):
            solutions.setdefault(grade_id(cell), []).append(Definition(tree, python, (index, 0)))
        for code, module, at in _with_exec(python, tree, (index,)):
            for node, names in _bindings(module.body):
                definition = Definition(node, code, (*at, node.lineno))
                for name in names | (definition.names[1] if isinstance(node, DEFINES) else set()):
                    table.setdefault(name, []).append(definition)
    return table, solutions


def _with_exec(python: str, tree, at: tuple[int, ...], depth: int = 0):
    """The cell's code, and the code of each string literal that it passes to exec(), which runs too."""
    if tree is None:
        return
    yield python, tree, at
    if depth < MAX_EXEC_DEPTH:
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _is_call(node, "exec", len(node.args)) and _string(node.args[0]):
                code, inner = _parse(node.args[0].value)
                yield from _with_exec(code, inner, (*at, node.lineno), depth + 1)


def _collect(name: str, table, solutions, stop: set[str], reads: bool) -> tuple[list, set[str]]:
    """The definitions that make up graded function ``name``, as (definition, the name it binds there,
    whether it is the function itself); and the top-level names that are the function itself."""
    found: dict[int, tuple[Definition, str, bool]] = {}
    itself: set[str] = set()
    queue, seen = deque([((name,), True)]), set()
    while queue and len(seen) < MAX_STEPS:  # a hostile notebook's web of names is cut short, not followed for ever
        path, is_it = queue.popleft()
        if (path, is_it) in seen or (path[0] != name and path[0] in stop) or len(path) > MAX_PATH:
            continue
        seen.add((path, is_it))
        if is_it and len(path) == 1:
            itself.add(path[0])
        definitions = table.get(path[0], [])
        if path == (name,):  # a solution cell that does not parse is compared as text, as is one that binds
            cells = solutions.get(name, [])  # nothing by name (globals()["relu"] = ...): all of it ran
            definitions = [d for d in cells if d.node is None] + (definitions or [d for d in cells if d.node])
        for definition in definitions:
            _follow(definition, path[-1], path[1:], is_it, queue, found, reads, stop)
    return sorted(found.values(), key=lambda f: f[0].at), itself


def _follow(definition: Definition, bound: str, attributes, is_it: bool, queue, found, reads: bool, stop) -> None:
    route = definition.route
    # An alias or a thin wrapper is routing, not code: what it leads to is. One that leads to another graded
    # function is code, as written (that function's code is counted under its own name).
    if route is not None and route[0] not in stop:
        queue.append(((*route, *attributes), is_it))
        return
    if attributes and isinstance(definition.node, ast.ClassDef):  # _Kit.relu: the class's own relu
        members = [n for n, names in _bindings(definition.node.body) if attributes[0] in names]
        for member in members:
            inner = Definition(member, definition.python, (definition.at[0], member.lineno))
            _follow(inner, attributes[0], attributes[1:], is_it, queue, found, reads, stop)
        if members:
            return
    key = id(definition.node) if definition.node is not None else id(definition)
    if key not in found or (is_it and not attributes and not found[key][2]):
        found[key] = (definition, bound, is_it and not attributes)
    if reads:
        queue.extend(((n,), False) for n in sorted(definition.names[0]))


def graded_code(notebook, assignment: str) -> dict[str, list[tuple[str, dict[str, str]]]]:
    """graded function -> its code, in notebook order: the statements that bind its name, and every
    top-level definition that their code reads, transitively (another graded function's code is its
    own). Each piece comes with the names to write as a graded function's name: a helper that a graded
    function is bound to (``relu = _mine``) is that function."""
    graded = graded_names(assignment)
    table, solutions = _definitions(notebook, assignment)
    aliases: dict[str, str] = {}
    for name in graded:
        for alias in _collect(name, table, solutions, set(graded) - {name}, reads=False)[1] - set(graded):
            aliases.setdefault(alias, name)
    code = {}
    for name in graded:
        stop = (set(graded) | {a for a, owner in aliases.items() if owner != name}) - {name}
        pieces = _collect(name, table, solutions, stop, reads=True)[0]
        if pieces:
            # A definition's own name is written as the graded name if it is the function, else as $def: so
            # that `def _mine(z)` numbers z as `def relu(z)` does.
            code[name] = [
                (d.code, {**aliases, **({bound: name if is_it else "$def"} if isinstance(d.node, DEFINES) else {})})
                for d, bound, is_it in pieces
            ]
    return code


def template_kgrams(assignment: str) -> dict[str, set]:
    """graded function -> the k-grams of its code in the release notebook, and of every definition that
    the release's own unlocked cells hold (``tqdm = lambda ...``: everyone's function may read it)."""
    keep = KNOWN_MODULES | set(solution_ids(assignment)) | set(graded_names(assignment))
    release = read(release_path(assignment))

    def both(code: str, rename: dict[str, str]) -> set:
        # Both forms, so that a submission that fails to tokenize does not match on the template either.
        return kgrams(normalise(code, keep, rename)) | kgrams(fallback(code))

    provided = {id(d): d for definitions in _definitions(release, assignment)[0].values() for d in definitions}
    given = set().union(
        *(both(d.code, {d.node.name: "$def"} if isinstance(d.node, DEFINES) else {}) for d in provided.values())
    )
    pieces = graded_code(release, assignment)
    return {
        name: given.union(*(both(code, rename) for code, rename in pieces.get(name, [])))
        for name in graded_names(assignment)
    }


def fingerprints(notebook, assignment: str, template: dict[str, set]) -> dict[str, set]:
    """graded function -> the k-grams of its code (and what it reaches) that are not in the template."""
    keep = KNOWN_MODULES | set(solution_ids(assignment)) | set(graded_names(assignment))
    prints = {
        name: set().union(*(kgrams(normalise(code, keep, rename)) for code, rename in pieces))
        - template.get(name, set())
        for name, pieces in graded_code(notebook, assignment).items()
    }
    return {name: grams for name, grams in prints.items() if grams}


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
    order = graded_names(assignment)
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
            graded_code(notebook, assignment)  # a notebook too damaged to repair is skipped here, not in compare
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
