"""``autograder.notebook`` as a sandboxed kernel sees it.

The sandbox mounts kernel/ as its ``autograder`` package, so this file is
what the notebooks' ``from autograder.notebook import checks_for`` finds
there. Elsewhere the same import name is the public checks (public_checks.py:
autograder/notebook.py on the instructor's machine, the student kit's
notebook.py). Under the grader they would only cost time: no public cases
are mounted, nothing in the kernel could change a grade (the grader's caller
calls the functions afterwards), and the judge, a separate process outside
the sandbox, decides every point.
"""

from autograder.i18n import _


def checks_for(assignment: str):
    """The ``check`` the locked test cells call: under the grader it only says who checks."""

    def check(name, value=None, hidden=False):
        if not hidden:
            print(_("{name}: the grader checks this cell itself, outside the notebook.").format(name=name))

    def train(name, fn, *args, **kwargs):
        """The locked training cell's training: here only the call (the grader times the cell itself)."""
        return fn(*args, **kwargs)

    check.train = train
    return check
