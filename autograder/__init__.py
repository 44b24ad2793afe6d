"""The Deep Learning Basics Workbook's grader, in packages along its trust boundary.

- ``kernel/``: what runs inside a sandbox (a student's kernel, the grader's caller): data
  loading, targets, the checks' verdicts and assessments, the probe, the public cases and
  checks, and the caller. The sandbox mounts this folder whole as its ``autograder`` package;
  nothing in it imports from the other packages.
- ``student/``: ``workbook-check``, shipped with kernel/'s modules as the student kit
  (``make student-kit``, course/student_kit.py).
- ``host/``: the grader on the host: repair, runner, sandbox, memory cgroup, worker.
- ``judge/``: the clean process that decides every point, with the exercises and their
  hidden cases.
- ``course/``: the course tools: cohort, gradebook, feedback, report, similarity, release,
  the student kit and its leak scan.

On the host, ``kernel/`` is added to this package's path, so ``autograder.data`` is the same
file on the host and in a sandbox. One name differs on purpose: ``autograder.notebook``, the
``checks_for`` that the notebooks' test cells call, is the public checks here (on public cases
built from the exercises, and the hidden ones for the source notebooks' hidden test cells) and,
in a sandbox, ``kernel/notebook.py``, which only says that the grader checks.
"""

import os

__path__.append(os.path.join(os.path.dirname(__file__), "kernel"))
