"""``autograder.notebook`` as a sandboxed kernel sees it.

The grader copies this file into the kernel-side ``autograder`` package in
place of the real module. The real one runs the public checks in the
notebook, which needs the exercises (with their hidden cases and
references), and those are never mounted in the sandbox. Nothing here could
change a grade anyway: the probe records what the student's functions
return, and the judge, a separate process outside the sandbox, decides
every point.
"""


def checks_for(assignment: str):
    """The ``check`` the locked test cells call: under the grader it only says who checks."""

    def check(name, value=None, hidden=False):
        if not hidden:
            print(f"{name}: the grader checks this cell itself, outside the notebook.")

    return check
