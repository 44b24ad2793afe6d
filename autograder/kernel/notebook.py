"""``autograder.notebook`` as a sandboxed kernel sees it.

The sandbox mounts kernel/ as its ``autograder`` package, so this file is
what the notebooks' ``from autograder.notebook import checks_for`` finds
there. Elsewhere the same import name is the public checks (public_checks.py:
autograder/notebook.py on the instructor's machine, the student kit's
notebook.py). Under the grader they would only cost time: no public cases
are mounted, nothing in the kernel could change a grade (the grader's caller
calls the functions afterwards), and the judge, a separate process outside
the sandbox, decides every point. The training cells do not train here:
the grader trains by calling the training functions itself.
"""

from autograder.i18n import _


def checks_for(assignment: str):
    """The ``check`` the locked test cells call: under the grader it only says who checks."""

    def check(name, value=None, hidden=False):
        if not hidden:
            print(_("{name}: the grader checks this cell itself, outside the notebook.").format(name=name))

    def train(name, fn, *args, **kwargs):
        """The locked training cell's training: under the grader it does not train. The grader calls the
        training function itself, afterwards, in a sandbox of its own with the lesson's data and budget, and
        scores what that call trains (autograder/kernel/training.py); the cells below see no network."""
        print(
            _(
                "{name}: while grading, this cell does not train. The grader calls {name} itself, in a sandbox "
                "of its own, with the lesson's data and time budget, and scores the network that call trains."
            ).format(name=name)
        )
        return None

    check.train = train
    return check
