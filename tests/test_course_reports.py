"""What to reteach, the training leaderboard, LMS exports and the course report: on synthetic cohorts.

No kernel and no sandbox: the item analysis is fed the judge's own verdicts
(autograder.checks.verdict) on outcomes recorded in this process from
catalogue mistakes, the leaderboard typed records, and the LMS exports and
the course report a real nbgrader gradebook.db filled through nbgrader's API.
"""

from __future__ import annotations

import csv
import io
import shutil
import stat

import numpy as np
import pytest
from alembic.script import ScriptDirectory
from nbgrader import api as nbgrader_api
from nbgrader.api import Gradebook
from nbgrader.dbutil import ALEMBIC_DIR

from autograder import probe
from autograder.__main__ import main as cli
from autograder.checks import verdict
from autograder.course import course_report, feedback, gradebook, items, leaderboard, lms
from autograder.data import REPO_ROOT
from autograder.host.repair import grade_cells
from autograder.judge.exercises import exercises_for
from autograder.judge.results import TestResult
from autograder.training import Training, training_verdict
from tests import recording
from tests.mistakes import mistakes_for
from tests.samples import reference_answers

A = "02_activations"
SECRET_DETAIL = "HIDDEN-INPUT-DETAIL-1e308"
# student -> the catalogue mistakes in their submission (None: every function left unwritten)
COHORT = {
    "ada": [],
    "bob": ["relu_returns_bool"],
    "cyd": ["relu_returns_bool", "softmax_no_max_shift"],
    "dee": ["softmax_no_max_shift", "leaky_relu_mutates_input"],
    "eve": ["softmax_axis0"],
    "fay": None,
}


def _judged(student: str, mistakes) -> dict:
    """A grade-all record of ``student``: the judge's verdicts on calls made here, as the caller makes them."""
    answers = dict(reference_answers(A))
    for name in mistakes or []:
        spec = mistakes_for(A)[name]
        answers[spec.grade_id] = spec.code
    namespace = recording.namespace_of(*answers.values())
    exercises = exercises_for(A)
    if mistakes is None:  # the untouched release
        for name in exercises:
            exec(f"def {name}(*args, **kwargs):\n    raise NotImplementedError()", namespace)
    tests = []
    for cell in grade_cells(A):
        e = exercises[cell.function]
        outcomes = []
        for index in range(len(e.cases)):
            args, kwargs = e.calls(index)
            fn = probe.harnessed(namespace[e.name], e.harness)
            outcomes.append(probe.call_case(fn, args, kwargs, namespace, e.spies, e.timeout))
        result = TestResult.from_verdict(cell, verdict(e, list(range(len(e.cases))), outcomes)).to_dict()
        result["detail"] += SECRET_DETAIL  # the instructor's detail holds hidden inputs: never on a page
        tests.append(result)
    report = {"tests": tests, "notes": [], "error": None, "seconds": 1.0}
    report.update(score=sum(t["score"] for t in tests), max_score=sum(t["max_score"] for t in tests))
    return {"student": student, "assignment": A, "mode": "quick", "graded_at": "2026-01-01T00:00:00", "report": report}


@pytest.fixture(scope="module")
def records():
    cohort = [_judged(student, mistakes) for student, mistakes in COHORT.items()]
    unreadable = {"student": "gus", "assignment": A, "mode": "quick", "report": {"tests": [], "error": "not JSON"}}
    return [*cohort, unreadable]


def _items(analysis, function):
    exercise = next(e for e in analysis.exercises if e.function == function)
    return exercise, [(i.label, i.kind, i.count, i.students) for i in exercise.cases]


def test_item_analysis_counts_each_case_once_per_student_and_ranks_them(records):
    analysis = items.analyse(records, A)
    assert analysis.graded == 6  # gus could not be graded: left out
    relu, cases = _items(analysis, "relu")
    assert relu.graded == 6 and relu.failed == ["bob", "cyd", "fay"]
    # Every relu case: wrong dtype for bob and cyd, hidden ones included (by label); fay wrote nothing.
    dtype = [c for c in cases if c[1] == "dtype"]
    assert len(dtype) == len(exercises_for(A)["relu"].cases)
    assert all(count == 2 and who == ["bob", "cyd"] for _, _, count, who in dtype)
    assert ("a float32 input keeps its dtype", "dtype", 2, ["bob", "cyd"]) in dtype
    assert cases[-1][1:] == ("unimplemented", 1, ["fay"])  # ranked: most students first
    softmax, cases = _items(analysis, "softmax")
    assert ("logits of ±1000", "warning", 2, ["cyd", "dee"]) == cases[0]
    assert ("large negative logits", "warning", 2, ["cyd", "dee"]) in cases
    assert ("logits of ±1000", "values", 1, ["eve"]) in cases  # the same case, another mistake: its own row
    _, cases = _items(analysis, "leaky_relu")
    assert [c for c in cases if c[1] == "mutated"] == [
        (c.label, "mutated", 1, ["dee"]) for c in exercises_for(A)["leaky_relu"].cases
    ]
    _, cases = _items(analysis, "sigmoid")
    assert cases == [(c[0], "unimplemented", 1, ["fay"]) for c in cases]  # only the unwritten one failed it

    top = [(m.function, m.kind, m.students) for m in analysis.reteach()]
    assert top == [
        ("relu", "dtype", ["bob", "cyd"]),
        ("softmax", "warning", ["cyd", "dee"]),
        ("softmax", "values", ["eve"]),  # ties on one student: the mistake seen in more cases first
    ]
    assert analysis.reteach()[0].hint == exercises_for(A)["relu"].hints["dtype"]

    rows = list(csv.DictReader(io.StringIO(analysis.csv())))
    first = next(r for r in rows if r["function"] == "softmax")
    assert first["label"] == "logits of ±1000" and first["kind"] == "warning" and first["rank"] == "1"
    assert (first["students_failed"], first["students_graded"], first["students"]) == ("2", "6", "cyd;dee")
    hidden = next(r for r in rows if r["label"] == "large negative logits" and r["function"] == "softmax")
    assert hidden["hidden"] == "yes"


def test_the_cohort_page_names_the_top_failing_cases_and_no_hidden_input(records):
    page = feedback.cohort_html(records, A)
    reteach = page[page.index("<h2>What to reteach</h2>") : page.index("<h2>Not gradable</h2>")]
    assert "<strong>relu: wrong dtype</strong>, 2 of 6 students" in reteach
    assert "<strong>softmax: a numerical warning (overflow or invalid value)</strong>, 2 of 6" in reteach
    assert "&quot;logits of ±1000&quot; (2)" in reteach and "Hint they got:" in reteach
    assert "not implemented" not in reteach
    row = feedback_row(page, "softmax")
    assert "&quot;logits of ±1000&quot;: a numerical warning (overflow or invalid value) (2)" in row
    cases = page[page.index("<h2>Failing cases per exercise</h2>") :]
    assert "<td>&quot;large negative logits&quot; (hidden)</td>" in cases and "<td>cyd, dee</td>" in cases
    assert SECRET_DETAIL not in page and "<script" not in page.lower()


def feedback_row(page: str, function: str) -> str:
    start = page.index(f"<td>{function}</td><td>test_{function}</td>")
    return page[start : page.index("</tr>", start)]


# --- the leaderboard -------------------------------------------------------------------------------------


def _trained(student, accuracy, seconds=None, parameters=None, mode="full", flagged=False, error=None):
    figures = {"accuracy": accuracy, "target": 0.85, "mode": mode, "split": "test", "tiers": []}
    figures.update({k: v for k, v in (("seconds", seconds), ("parameters", parameters)) if v is not None})
    if flagged:
        figures["flagged"] = "implausible accuracy"
    test = {"grade_id": "test_train_mlp", "function": "train_mlp", "status": "passed", "score": 6, "max_score": 6}
    other = {"grade_id": "test_sgd_step", "function": "sgd_step", "status": "passed", "score": 1, "max_score": 1}
    return {
        "student": student,
        "mode": mode,
        "report": {"tests": [other, {**test, "figures": figures}], "error": error},
    }


def test_the_leaderboard_ranks_by_accuracy_then_time_with_pseudonyms_only(tmp_path):
    ids = ["s-1001-ada", "s-1002-bob", "s-1003-cyd", "s-1004-dee", "s-1005-eve", "s-1006-fay", "s-1007-gus"]
    records = [
        _trained(ids[0], 0.8712, 40.0, 101_770),
        _trained(ids[1], 0.8801, 95.5, 101_770),
        _trained(ids[2], 0.8712, 31.2, 101_770),  # ties ada on accuracy, trained faster: ahead of her
        _trained(ids[3], 0.8712, 40.0, 101_770),  # ties ada on both: the same rank
        _trained(ids[4], 0.9990, 12.0, flagged=True),  # held for review: not ranked
        _trained(ids[5], 0.81, None, error="not a notebook"),  # not gradable
        _trained(ids[6], 0.52, 3.0, mode="quick"),  # another mode: a board of its own
    ]
    path = tmp_path / "grades" / leaderboard.PSEUDONYMS
    names = leaderboard.pseudonyms(path, "course-secret", [r["student"] for r in records])
    assert len(set(names.values())) == len(ids)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert leaderboard.pseudonyms(path, "course-secret", ids) == names  # stable
    path.write_text(path.read_text().replace(names[ids[1]], "Team Rocket"))  # the instructor renames one
    names = leaderboard.pseudonyms(path, "course-secret", ids)
    assert names[ids[1]] == "Team Rocket"
    again = tmp_path / "again.csv"
    assert {s: n for s, n in leaderboard.pseudonyms(again, "course-secret", ids).items() if s != ids[1]} == {
        s: n for s, n in names.items() if s != ids[1]
    }  # made again from the secret: the same names

    boards = leaderboard.boards(records, "05_backprop", names)
    full, quick = boards
    assert (full.function, full.mode, quick.mode) == ("train_mlp", "full", "quick")
    order = [(e.rank, e.pseudonym, e.accuracy, e.seconds) for e in full.entries]
    tied = sorted([names[ids[0]], names[ids[3]]])
    assert order == [
        (1, "Team Rocket", 0.8801, 95.5),
        (2, names[ids[2]], 0.8712, 31.2),
        (3, tied[0], 0.8712, 40.0),
        (3, tied[1], 0.8712, 40.0),
    ]
    assert full.left_out == 1 and full.entries[0].parameters == 101_770
    assert [(e.rank, e.pseudonym) for e in quick.entries] == [(1, names[ids[6]])]

    page, table = leaderboard.board_html(boards, "05_backprop"), leaderboard.board_csv(boards)
    for student in ids:
        assert student not in page and student not in table and "1001" not in page
    assert "Team Rocket" in page and "101,770" in page and "held for review" in page
    rows = list(csv.DictReader(io.StringIO(table)))
    assert rows[0] == {
        "assignment": "05_backprop",
        "exercise": "train_mlp",
        "mode": "full",
        "rank": "1",
        "pseudonym": "Team Rocket",
        "accuracy": "0.8801",
        "seconds": "95.5",
        "parameters": "101770",
    }


def test_training_figures_carry_time_and_parameter_count():
    labels = np.zeros(3, dtype=np.int64)
    numpy_net = Training("fit(X, y)", "05_backprop", "params", lambda value, images: labels)
    params = [(np.zeros((784, 4)), np.zeros(4)), (np.zeros((4, 10)), np.zeros(10))]
    figures = _figures(numpy_net, {"status": "ok", "value": params}, seconds=12.345)
    assert figures["seconds"] == 12.35 and figures["parameters"] == 784 * 4 + 4 + 4 * 10 + 10
    # A PyTorch network's weights as the grader's training call returns them: batch norm's statistics are no
    # parameters.
    torch_net = Training("fit(X, y)", "06_pytorch_mlp", "model", lambda v, i: labels, architecture=lambda: None)
    weights = {"0.weight": np.zeros((4, 784)), "0.bias": np.zeros(4), "1.running_mean": np.zeros(4)}
    value = {"model": True, "weights": weights}
    assert _figures(torch_net, {"status": "ok", "value": value})["parameters"] == 4 * 784 + 4
    assert "parameters" not in _figures(torch_net, {"status": "ok", "value": {"model": True}})
    torch = pytest.importorskip("torch")
    assert probe.parameter_count(torch.nn.Linear(784, 10)) == 7850
    failed = training_verdict(numpy_net, {"status": "missing", "error": "NotImplementedError"}, "test", True)
    assert [(f.kind, f.hidden) for f in failed.failures] == [("unimplemented", False)]


def _figures(training, outcome, seconds=None) -> dict:
    """The figures of a verdict whose accuracy is 0.5 (no test split loaded: the figures are the point)."""
    original = Training.accuracy
    Training.accuracy = lambda self, value, split, images=None: 0.5
    try:
        return training_verdict(training, outcome, "test", True, seconds=seconds).figures
    finally:
        Training.accuracy = original


# --- LMS exports and the course report, from a real gradebook ---------------------------------------------


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A course whose gradebook.db nbgrader's API filled (once: seconds of migrations): three assignments,
    four students. The tests only read it."""
    tmp_path = tmp_path_factory.mktemp("course")
    shutil.copy(REPO_ROOT / "nbgrader_config.py", tmp_path)
    with pytest.MonkeyPatch.context() as patch:
        # A new gradebook records its schema's alembic head, which nbgrader asks of `alembic heads` in a
        # subprocess (seconds: it imports everything again); the same head, read in this process.
        patch.setattr(nbgrader_api, "get_alembic_version", lambda: ScriptDirectory(ALEMBIC_DIR).get_heads()[0])
        _fill_gradebook(tmp_path)
    return tmp_path


def _fill_gradebook(root):
    coursedir = gradebook.course(root)
    scores = {  # assignment -> student -> (points of a 10-point cell, late penalty)
        "01_neuron": {"ada": (9.5, 0.0), "bob": (10.0, 2.0), "cyd": (3.0, 0.0)},
        "02_activations": {"ada": (10.0, 0.0), "cyd": (4.0, 0.0)},
        "03_forward_pass": {"ada": (7.0, 0.0), "bob": (6.0, 0.0)},
    }
    with Gradebook(coursedir.db_url, coursedir.course_id) as gb:
        for student in ("ada", "bob", "cyd", "dan"):
            gb.add_student(student)
        for assignment, results in scores.items():
            gb.add_assignment(assignment)
            gb.add_notebook(assignment, assignment)
            gb.add_grade_cell("test_all", assignment, assignment, max_score=10.0, cell_type="code")
            for student, (points, penalty) in results.items():
                gb.add_submission(assignment, student)
                grade = gb.find_grade("test_all", assignment, assignment, student)
                grade.auto_score = points
                notebook = gb.find_submission_notebook(assignment, assignment, student)
                notebook.late_submission_penalty = penalty
        gb.db.commit()


ROSTER = (
    "student_id,name,canvas_id,sis_user_id,sis_login_id,section,email\n"
    "ada,Lovelace; Ada,101,S-1,ada,Lab A,ada@uni.example\n"
    "bob,=Bob Tables,102,S-2,bob,Lab A,bob@uni.example\n"
    "cyd,Cyd,103,,,Lab B,cyd@uni.example\n"
    "dan,Dan,104,S-4,dan,Lab B,dan@uni.example\n"
)


def test_canvas_export_has_canvas_columns_and_blank_missing_scores(course):
    (course / "roster.csv").write_text(ROSTER)
    out = course / "canvas.csv"
    assert (
        cli(
            [
                "export-lms",
                "01_neuron",
                "02_activations",
                "--format",
                "canvas",
                "--roster",
                str(course / "roster.csv"),
                "--course",
                str(course),
                "--canvas-id",
                "02_activations=5566",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    assert out.read_bytes().decode() == (
        "Student,ID,SIS User ID,SIS Login ID,Section,01_neuron,02_activations (5566)\r\n"
        "Lovelace; Ada,101,S-1,ada,Lab A,9.5,10\r\n"
        "'=Bob Tables,102,S-2,bob,Lab A,8,\r\n"  # 10 less nbgrader's late penalty of 2; no submission: blank
        "Cyd,103,,,Lab B,3,4\r\n"
        "Dan,104,S-4,dan,Lab B,,\r\n"
    )
    assert stat.S_IMODE(out.stat().st_mode) == 0o600


def test_moodle_export_has_one_identifier_column_and_zero_when_asked(course):
    grades = gradebook.course_grades(gradebook.course(course), ["03_forward_pass", "01_neuron"])
    roster = lms.read_roster(_written(course, ROSTER))
    assert lms.moodle_csv(grades, roster, "email", missing="zero") == (
        "Email address,03_forward_pass,01_neuron\r\n"
        "ada@uni.example,7,9.5\r\n"
        "bob@uni.example,6,8\r\n"
        "cyd@uni.example,0,3\r\n"
        "dan@uni.example,0,0\r\n"
    )
    assert lms.moodle_csv(grades, roster, "email").splitlines()[4] == "dan@uni.example,,"
    with pytest.raises(lms.ExportError, match="no username for ada, bob, cyd, dan"):
        lms.moodle_csv(grades, roster, "username")
    short = lms.read_roster(_written(course, "\n".join(ROSTER.splitlines()[:2]) + "\n"))
    with pytest.raises(lms.ExportError, match="no row for bob, cyd, who have grades"):
        lms.moodle_csv(grades, short, "email")
    with pytest.raises(lms.ExportError, match="unknown: login"):
        lms.read_roster(_written(course, "student_id,login\nada,x\n"))
    with pytest.raises(gradebook.GradebookError, match="no assignment 09_rnn"):
        gradebook.course_grades(gradebook.course(course), ["09_rnn"])


def _written(course, text):
    path = course / "roster-test.csv"
    path.write_text(text)
    return path


def test_course_report_lists_scores_pass_rates_and_students_falling_behind(course, capsys):
    assert cli(["report-course", "--course", str(course)]) == 0
    assert str(course / "grades" / "course.html") in capsys.readouterr().out
    grades = gradebook.course_grades(gradebook.course(course))
    stats = {s.assignment: s for s in course_report.assignment_stats(grades)}
    assert (stats["01_neuron"].submitted, stats["01_neuron"].passed, stats["01_neuron"].mean) == (
        3,
        2,
        6.833333333333333,
    )
    behind = {b.student: (b.missing, b.under_half) for b in course_report.falling_behind(grades)}
    assert behind == {  # bob: one assignment missing is not yet behind
        "dan": (["01_neuron", "02_activations", "03_forward_pass"], []),
        "cyd": (["03_forward_pass"], ["01_neuron", "02_activations"]),
    }
    page = (course / "grades" / "course.html").read_text()
    behind_table = page[page.index("<h2>Falling behind</h2>") : page.index("<h2>Assignments</h2>")]
    assert "<td>dan</td>" in behind_table and "<td>cyd</td>" in behind_table and "<td>ada</td>" not in behind_table
    assert "67% (2/3)" in page and "6.83 / 10" in page
    rows = list(csv.DictReader(io.StringIO((course / "grades" / "course.csv").read_text())))
    assert rows[1] == {
        "student": "bob",
        "01_neuron": "8",
        "02_activations": "",
        "03_forward_pass": "6",
        "total": "14",
        "max_total": "30",
        "falling_behind": "no",
    }
