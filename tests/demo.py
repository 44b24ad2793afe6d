"""The demo (`make demo`): a small course graded the way an instructor grades one.

build/demo/ becomes an nbgrader course (this repo's nbgrader_config.py and
source/) whose submitted/ folder holds five students' work on all eight
assignments, built from release/ as a student would fill it in: the
reference solutions, the untouched release, and three students with typical
mistakes from tests/mistakes/; grace works in the Japanese edition (release-ja/), so her messages and
feedback pages are in Japanese. Then, per assignment:

1. `grade-all` grades the cohort in parallel (one worker per core), into
   the course's gradebook.db, with a Gradescope results.json and an HTML
   feedback page per student, a cohort CSV and a cohort report page;
2. `similarity` screens the cohort for copied solutions. The demo's
   students are all built from the same reference code, so the screen
   rightly flags the pairs whose work differs only by a mistake or two.

Finally `nbgrader export` writes the course's grades.csv from the gradebook,
`report-course` writes the course report (grades/course.html, its path
printed), and a score table is printed. Training is graded in full mode, as for a
real class.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from autograder.__main__ import main as cli
from autograder.course import cohort, similarity
from autograder.data import REPO_ROOT
from autograder.host.repair import assignments
from tests import samples

DEMO_DIR = REPO_ROOT / "build" / "demo"

# student -> assignment -> mistakes (None: the untouched release)
STUDENTS = {
    "reference": {},
    "untouched": None,
    "ada": {
        "01_neuron": ["step_is_one_at_zero"],
        "02_activations": ["softmax_no_max_shift"],
        "03_forward_pass": ["init_lecun_std"],
        "04_losses": ["cross_entropy_log_of_softmax"],
        "05_backprop": ["train_lr_too_small"],
        "06_pytorch_mlp": ["softmax_output"],
        "07_cnn_gpu": ["zero_to_one"],
        "08_transfer_learning": ["preprocess_zero_to_one"],
    },
    "grace": {
        "01_neuron": ["xor_gate_not_equal", "and_gate_returns_ints"],
        "02_activations": ["relu_returns_bool", "sigmoid_naive"],
        "03_forward_pass": ["forward_softmax_output", "predict_argmax_axis0"],
        "04_losses": ["one_hot_int", "accuracy_percent"],
        "05_backprop": ["numgrad_forward_difference", "dense_db_averaged"],
        "06_pytorch_mlp": ["no_eval", "one_epoch"],
        "07_cnn_gpu": ["always_cuda"],
        "08_transfer_learning": ["freeze_attribute", "count_tensors"],
    },
    "linus": {
        "01_neuron": ["weighted_sum_forgets_bias"],
        "02_activations": ["softmax_axis0", "relu_grad_one_at_zero", "leaky_relu_mutates_input"],
        "03_forward_pass": ["dense_transposed_W"],
        "04_losses": ["mse_summed", "cross_entropy_summed"],
        "05_backprop": ["ce_backward_not_divided_by_n", "sgd_in_place"],
        "06_pytorch_mlp": ["no_zero_grad"],
        "07_cnn_gpu": ["cuda_or_cpu_only", "too_small"],
        "08_transfer_learning": ["features_no_eval", "fine_tune_three_epochs"],
    },
}


JAPANESE = {"grace"}  # students who submit the Japanese edition of every lesson


def build(student: str, assignment: str):
    plan = STUDENTS[student]
    if plan is None:
        notebook = samples.release_notebook(assignment)
    else:
        notebook = samples.with_mistakes(assignment, *plan.get(assignment, []))
    return samples.edition(notebook, assignment, "ja") if student in JAPANESE else notebook


def make_course() -> None:
    shutil.rmtree(DEMO_DIR, ignore_errors=True)
    DEMO_DIR.mkdir(parents=True)
    shutil.copy(REPO_ROOT / "nbgrader_config.py", DEMO_DIR)
    shutil.copytree(REPO_ROOT / "source", DEMO_DIR / "source")
    for student in STUDENTS:
        for assignment in assignments():
            samples.write(build(student, assignment), DEMO_DIR / "submitted" / student, assignment)


def main() -> None:
    make_course()
    bin_dir = str(Path(sys.executable).parent)  # nbgrader runs `alembic` from PATH
    os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")
    totals: dict[tuple[str, str], tuple[float, float]] = {}
    for assignment in assignments():
        group = cohort.Cohort(assignment, course=DEMO_DIR)
        summary = cohort.grade_all(group, workers=os.cpu_count() or 1)
        print(summary.text(group), flush=True)
        if summary.interrupted:
            sys.exit(130)  # what was graded is saved: `make demo` again would redo it all, from scratch
        if summary.count("failed"):
            sys.exit(f"the grader failed on {summary.count('failed')} submission(s) of {assignment}; see above")
        for record in summary.records:
            report = record["report"]
            totals[record["student"], assignment] = report["score"], report["max_score"]
        loaded, skipped = similarity.load_submissions(group.submitted, assignment)
        print(
            similarity.report(similarity.compare(loaded, assignment), len(loaded), skipped, assignment, top=3),
            end="\n\n",
            flush=True,
        )

    subprocess.run([os.path.join(bin_dir, "nbgrader"), "export", "--log-level=WARN"], cwd=DEMO_DIR, check=True)
    if cli(["report-course", "--course", str(DEMO_DIR)]) != 0:  # prints the course report's path
        sys.exit("the course report could not be written; see above")

    names = assignments()
    width = max(len(s) for s in STUDENTS)
    print("Score table (points; each student's feedback page explains every grade)")
    print(f"{'student':<{width}}  " + "  ".join(f"{a:>16}" for a in names) + f"  {'total':>9}")
    for student in STUDENTS:
        cells = [totals[student, a] for a in names]
        row = "  ".join(f"{score:>9g} / {best:<4g}" for score, best in cells)
        print(f"{student:<{width}}  {row}  {sum(c[0] for c in cells):>4g} / {sum(c[1] for c in cells):g}")
    here = DEMO_DIR.relative_to(REPO_ROOT)
    print(
        f"\nThe demo course is {here}/: gradebook.db and nbgrader's export {here}/grades.csv; per assignment, "
        f"{here}/grades/<assignment>/report.html (the cohort, with what to reteach; items.csv), cohort.csv, "
        "leaderboard.html for the training lessons, and students/<student>/ (feedback.html, results.json; "
        "grace's in Japanese); "
        f"{here}/grades/course.html (the whole course); nbgrader's autograded/ notebooks for the formgrader."
    )


if __name__ == "__main__":
    main()
