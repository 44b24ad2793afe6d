"""The demo (`make demo`): grade the sample submissions and print a score table.

Samples are built from release/ as a student would fill it in: the
reference solutions, the untouched release, and three students with
typical mistakes from tests/mistakes/. They are written in nbgrader's
submitted/<student>/<assignment>/ layout under build/demo/, with a
Gradescope results.json beside each.
"""
from __future__ import annotations

import json
import shutil

from autograder.data import REPO_ROOT
from autograder.grader import grade
from autograder.notebooks import assignments
from tests import samples

DEMO_DIR = REPO_ROOT / "build" / "demo"

# student -> assignment -> mistakes (None: the untouched release)
STUDENTS = {
    "reference": {},
    "untouched": None,
    "ada": {"01_neuron": ["step_is_one_at_zero"], "02_activations": ["softmax_no_max_shift"],
            "03_forward_pass": ["init_lecun_std"], "04_losses": ["cross_entropy_log_of_softmax"],
            "05_backprop": ["train_lr_too_small"], "06_pytorch_mlp": ["softmax_output"],
            "07_cnn_gpu": ["zero_to_one"]},
    "grace": {"01_neuron": ["xor_gate_not_equal", "and_gate_returns_ints"],
              "02_activations": ["relu_returns_bool", "sigmoid_naive"],
              "03_forward_pass": ["forward_softmax_output", "predict_argmax_axis0"],
              "04_losses": ["one_hot_int", "accuracy_percent"],
              "05_backprop": ["numgrad_forward_difference", "dense_db_averaged"],
              "06_pytorch_mlp": ["no_eval", "one_epoch"], "07_cnn_gpu": ["always_cuda"]},
    "linus": {"01_neuron": ["weighted_sum_forgets_bias"],
              "02_activations": ["softmax_axis0", "relu_grad_one_at_zero", "leaky_relu_mutates_input"],
              "03_forward_pass": ["dense_transposed_W"], "04_losses": ["mse_summed", "cross_entropy_summed"],
              "05_backprop": ["ce_backward_not_divided_by_n", "sgd_in_place"],
              "06_pytorch_mlp": ["no_zero_grad"], "07_cnn_gpu": ["cuda_or_cpu_only", "too_small"]},
}


def build(student: str, assignment: str):
    plan = STUDENTS[student]
    if plan is None:
        return samples.release_notebook(assignment)
    return samples.with_mistakes(assignment, *plan.get(assignment, []))


def main() -> None:
    shutil.rmtree(DEMO_DIR, ignore_errors=True)
    scores = {}
    for student in STUDENTS:
        for assignment in assignments():
            path = samples.write(build(student, assignment), DEMO_DIR / "submitted" / student, assignment)
            report = grade(path.parent, assignment)
            results = DEMO_DIR / "results" / student / f"{assignment}.json"
            results.parent.mkdir(parents=True, exist_ok=True)
            results.write_text(json.dumps(report.gradescope(), indent=2))
            print(report.table(), end="\n\n", flush=True)
            scores[student, assignment] = report

    names = assignments()
    width = max(len(s) for s in STUDENTS)
    print("Score table (points; each grade is explained in the report above)")
    print(f"{'student':<{width}}  " + "  ".join(f"{a:>16}" for a in names) + f"  {'total':>9}")
    for student in STUDENTS:
        cells = [scores[student, a] for a in names]
        row = "  ".join(f"{r.score:>9g} / {r.max_score:<4g}" for r in cells)
        total = sum(r.score for r in cells), sum(r.max_score for r in cells)
        print(f"{student:<{width}}  {row}  {total[0]:>4g} / {total[1]:g}")
    print(f"\nSubmissions and Gradescope results.json files: {DEMO_DIR.relative_to(REPO_ROOT)}/")


if __name__ == "__main__":
    main()
