"""Realistic wrong answers, per assignment: each one replaces one solution cell.

A ``Mistake`` names the grade cell it replaces, the code a student might
write there, and the grade cells it must lose (usually just its own; a
broken building block also breaks what is built on it). A training
exercise can lose part of its points: ``partial`` maps it to the fraction
it keeps, in the test suite's quick mode.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Mapping


@dataclass(frozen=True)
class Mistake:
    grade_id: str
    code: str
    why: str
    loses: tuple[str, ...] | None = None  # None: its own grade cell (unless it is only partly lost)
    partial: Mapping[str, float] = field(default_factory=dict)

    @property
    def lost(self) -> tuple[str, ...]:
        """Grade cells that lose all their points."""
        if self.loses is not None:
            return self.loses
        return () if self.grade_id in self.partial else (self.grade_id,)


MODULES = {
    "01_neuron": "tests.mistakes.a01_neuron",
    "02_activations": "tests.mistakes.a02_activations",
    "03_forward_pass": "tests.mistakes.a03_forward_pass",
    "04_losses": "tests.mistakes.a04_losses",
    "05_backprop": "tests.mistakes.a05_backprop",
    "06_pytorch_mlp": "tests.mistakes.a06_pytorch_mlp",
    "07_cnn_gpu": "tests.mistakes.a07_cnn_gpu",
}


def mistakes_for(assignment: str) -> dict[str, Mistake]:
    return importlib.import_module(MODULES[assignment]).MISTAKES
