"""nbgrader configuration for the Deep Learning Basics Workbook.

Run nbgrader from the repository root with the venv's bin/ on PATH
(nbgrader starts `alembic` as a subprocess): `make release` does both.
"""
import os

c = get_config()  # noqa: F821 - injected by traitlets

c.CourseDirectory.course_id = "dl-basics-workbook"
c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.source_directory = "source"
c.CourseDirectory.release_directory = "release"
c.CourseDirectory.submitted_directory = "submitted"
c.CourseDirectory.autograded_directory = "autograded"
c.CourseDirectory.feedback_directory = "feedback"
c.CourseDirectory.db_url = "sqlite:///" + os.path.join(c.CourseDirectory.root, "gradebook.db")
# A lesson's translations (source/<a>/<a>.ja.json, autograder/course/editions.py) stay out of release/.
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", "*.ja.json"]

# What a student sees in place of a solution.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"


# nbgrader gives every cell 30 s by default, and the locked training cells
# train a network. Give each cell the longest training budget (on a CPU,
# full mode) so that `nbgrader autograde` can run them; our grader keeps
# its tighter, per-cell budgets and its sandbox.
from autograder.targets import TARGETS  # noqa: E402

c.Execute.timeout = int(max(target.budget_s for target in TARGETS.values()))
