"""The training leaderboard: held-out accuracy, training time and size, under pseudonyms.

For each training exercise of an assignment (``train_mlp``, ``train_model``,
``train_cnn``), every student whose grading measured an accuracy, ranked:

1. the higher held-out test accuracy first;
2. at equal accuracy, the shorter training time (the training cell's
   wall-clock seconds on the grading machine; a time not measured ranks
   last);
3. equal in both: the same rank, listed by pseudonym.

Re-submissions: the board ranks what grade-all last graded, which is the
submission nbgrader collected last; an earlier submission never counts.
Gradings in different modes (quick, full) are ranked on separate boards: their
targets and data differ. An accuracy held for review (implausible) is left
off until the instructor has looked at it, as its points are.

Students appear under **pseudonyms**, never their ids: the page and its CSV
may be published. The pseudonym of a student is kept in the course's
``grades/pseudonyms.csv`` (student id, pseudonym; the instructor's, mode 0600),
which the instructor may edit; a student without one gets one made from
an HMAC of their id with the course's secret (autograder.host.heldout), so
the same course gives the same names again, and nobody without the secret
can tell whose they are.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from autograder.course.export import csv_text
from autograder.course.feedback import _e, _page  # one page style, one escaping
from autograder.course.files import write_atomic
from autograder.judge.exercises import exercises_for

PSEUDONYMS = "pseudonyms.csv"
ADJECTIVES = (
    "amber azure brave bright calm clever coral crimson eager gentle golden jade keen lively lucky merry "
    "misty noble olive quick quiet rapid silver steady sunny swift teal tidy violet vivid witty zesty"
).split()
ANIMALS = (
    "badger beaver bison crane falcon ferret gecko heron ibis koala lemur lynx marten moose newt otter "
    "owl panda puffin quail raven robin seal shrew sloth stoat swan tapir tern viper walrus wren"
).split()


@dataclass(frozen=True)
class Entry:
    pseudonym: str
    accuracy: float
    seconds: float | None  # the training cell's wall-clock time
    parameters: int | None
    rank: int = 0


@dataclass
class Board:
    assignment: str
    function: str
    mode: str
    target: float | None
    entries: list[Entry] = field(default_factory=list)
    left_out: int = 0  # graded students with no accuracy (not trained, failed, held for review)


def training_functions(assignment: str) -> list[str]:
    return [name for name, exercise in exercises_for(assignment).items() if exercise.trains]


def pseudonym_for(secret: str, student: str, attempt: int = 0) -> str:
    digest = hmac.new(secret.encode(), f"leaderboard pseudonym\0{student}\0{attempt}".encode(), hashlib.sha256)
    raw = digest.digest()
    return f"{ADJECTIVES[raw[0] % len(ADJECTIVES)]}-{ANIMALS[raw[1] % len(ANIMALS)]}-{raw[2] % 100:02d}"


def read_pseudonyms(path: Path) -> dict[str, str]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    names = {}
    for row in csv.DictReader(io.StringIO(text)):
        student, name = (_uncsv(row.get("student_id") or "").strip(), _uncsv(row.get("pseudonym") or "").strip())
        if student and name:
            names[student] = name
    return names


def _uncsv(value: str) -> str:
    """``csv_text``'s inverse: the apostrophe it put before a formula character goes."""
    return value[1:] if value[:1] == "'" and value[1:2] in ("=", "+", "-", "@", "\t", "\r") else value


def pseudonyms(path: Path, secret: str, students) -> dict[str, str]:
    """student -> pseudonym: those of ``path``, plus new ones for ``students`` it lacks (then saved there)."""
    names = read_pseudonyms(path)
    taken = set(names.values())
    added = False
    for student in sorted(set(students) - set(names)):
        attempt = 0
        while (name := pseudonym_for(secret, student, attempt)) in taken:
            attempt += 1
        names[student], added = name, True
        taken.add(name)
    if added:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(["student_id", "pseudonym"])
        for student in sorted(names):
            writer.writerow([csv_text(student), csv_text(names[student])])
        write_atomic(path, buffer.getvalue(), mode=0o600)
    return names


def boards(records, assignment: str, names: dict[str, str]) -> list[Board]:
    """The assignment's boards (one per training exercise and grading mode) from grade-all's records."""
    found: dict[tuple[str, str], Board] = {}
    missing: Counter = Counter()
    trainings = training_functions(assignment)
    for record in records:
        report = record.get("report") or {}
        if report.get("error"):
            continue
        for test in report.get("tests") or []:
            function = test.get("function")
            if function not in trainings:
                continue
            figures = test.get("figures") if isinstance(test.get("figures"), dict) else {}
            accuracy = figures.get("accuracy")
            if not isinstance(accuracy, (int, float)) or isinstance(accuracy, bool) or figures.get("flagged"):
                missing[function] += 1
                continue
            mode = str(figures.get("mode") or record.get("mode") or "?")
            board = found.setdefault(
                (function, mode), Board(assignment, function, mode, _number(figures.get("target")))
            )
            seconds = _number(figures.get("seconds"))
            parameters = figures.get("parameters")
            board.entries.append(
                Entry(
                    names[record["student"]],
                    float(accuracy),
                    seconds,
                    parameters if type(parameters) is int else None,
                )
            )
    result = []
    for (function, _), board in sorted(found.items(), key=lambda kv: (trainings.index(kv[0][0]), kv[0][1])):
        board.left_out = missing[function]
        board.entries = ranked(board.entries)
        result.append(board)
    for function in trainings:  # an exercise that nobody trained still gets its (empty) board
        if not any(b.function == function for b in result) and missing[function]:
            result.append(Board(assignment, function, "?", None, [], missing[function]))
    return result


def ranked(entries: list[Entry]) -> list[Entry]:
    """Accuracy down, then training time up (unmeasured last), then pseudonym; equal accuracy and time share
    a rank ("1, 2, 2, 4")."""

    def key(e: Entry):
        return (-e.accuracy, e.seconds if e.seconds is not None else float("inf"))

    ordered = sorted(entries, key=lambda e: (*key(e), e.pseudonym))
    out, previous, rank = [], None, 0
    for position, entry in enumerate(ordered, 1):
        if key(entry) != previous:
            rank, previous = position, key(entry)
        out.append(Entry(entry.pseudonym, entry.accuracy, entry.seconds, entry.parameters, rank))
    return out


def board_csv(found: list[Board]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["assignment", "exercise", "mode", "rank", "pseudonym", "accuracy", "seconds", "parameters"])
    for board in found:
        for e in board.entries:
            writer.writerow(
                [
                    board.assignment,
                    board.function,
                    csv_text(board.mode),
                    e.rank,
                    csv_text(e.pseudonym),
                    f"{e.accuracy:.4f}",
                    "" if e.seconds is None else f"{e.seconds:.1f}",
                    "" if e.parameters is None else e.parameters,
                ]
            )
    return buffer.getvalue()


def board_html(found: list[Board], assignment: str) -> str:
    """The page the instructor may publish: pseudonyms only, no student id anywhere."""
    title = f"{assignment}: training leaderboard"
    body = [
        f"<h1>{_e(title)}</h1>",
        "<p class=meta>Ranked by accuracy on the held-out test split, then by the shorter training time "
        "(the training cell's seconds on the grading machine, which other gradings shared: a rough figure); "
        "equal in both, the same rank. Each student's latest graded submission counts. Names are "
        "pseudonyms.</p>",
    ]
    if not found:
        body.append("<p>No trained network was graded yet.</p>")
    for board in found:
        target = f", target {board.target:.2f}" if board.target is not None else ""
        body.append(f"<h2>{_e(board.function)} <span class=meta>({_e(board.mode)} mode{_e(target)})</span></h2>")
        body.append(
            "<table><tr><th class=num>rank</th><th>name</th><th class=num>test accuracy</th>"
            "<th class=num>training time</th><th class=num>parameters</th></tr>"
        )
        for e in board.entries:
            body.append(
                f"<tr><td class=num>{e.rank}</td><td>{_e(e.pseudonym)}</td><td class=num>{e.accuracy:.4f}</td>"
                f"<td class=num>{'–' if e.seconds is None else f'{e.seconds:.1f} s'}</td>"
                f"<td class=num>{'–' if e.parameters is None else f'{e.parameters:,}'}</td></tr>"
            )
        body.append("</table>")
        if board.left_out:
            body.append(
                f"<p class=meta>{board.left_out} graded submission{'s' if board.left_out != 1 else ''} left no "
                "network with an accuracy to rank (not trained, failed, or held for review).</p>"
            )
    return _page(title, body)


def _number(value) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None
