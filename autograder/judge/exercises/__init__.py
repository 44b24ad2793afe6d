"""Every graded function of every assignment, by assignment name."""

from __future__ import annotations

import importlib

from autograder.checks import Exercise

# Assignment name (the folder in source/) -> module holding its EXERCISES.
MODULES = {
    "01_neuron": "autograder.judge.exercises.a01_neuron",
    "02_activations": "autograder.judge.exercises.a02_activations",
    "03_forward_pass": "autograder.judge.exercises.a03_forward_pass",
    "04_losses": "autograder.judge.exercises.a04_losses",
    "05_backprop": "autograder.judge.exercises.a05_backprop",
    "06_pytorch_mlp": "autograder.judge.exercises.a06_pytorch_mlp",
    "07_cnn_gpu": "autograder.judge.exercises.a07_cnn_gpu",
    "08_transfer_learning": "autograder.judge.exercises.a08_transfer_learning",
}


def exercises_for(assignment: str) -> dict[str, Exercise]:
    if assignment not in MODULES:
        raise KeyError(f"unknown assignment {assignment!r}; known: {', '.join(MODULES)}")
    exercises = importlib.import_module(MODULES[assignment]).EXERCISES
    return {exercise.name: exercise for exercise in exercises}


def needs_torch(assignment: str) -> bool:
    """True for a PyTorch lesson; the numpy lessons' sandboxes have no torch (the judge's reference)."""
    return any(
        (e.architecture is not None or e.predicts_in_kernel) if e.trains else e.harness is not None
        for e in exercises_for(assignment).values()
    )


def judge_builds_optimizers(assignment: str) -> bool:
    """Whether judging ``assignment`` builds a torch.optim optimizer (whose first constructor imports
    torch._dynamo, about 1.5 s): the PyTorch lessons, and a lesson whose references use one
    (``REFERENCE_OPTIMIZERS`` in its module: 05's sgd_step is compared with torch.optim.SGD)."""
    module = importlib.import_module(MODULES[assignment])
    return needs_torch(assignment) or bool(getattr(module, "REFERENCE_OPTIMIZERS", False))
