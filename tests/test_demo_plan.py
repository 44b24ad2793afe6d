"""The demo's course (`make demo`, tests/demo.py) is built from the catalogue: every mistake it names exists."""

from autograder.host.repair import assignments
from tests.demo import STUDENTS
from tests.mistakes import mistakes_for


def test_every_mistake_the_demo_gives_a_student_is_in_the_catalogue():
    for student, plan in STUDENTS.items():
        for assignment, names in (plan or {}).items():
            assert assignment in assignments(), (student, assignment)
            unknown = set(names) - set(mistakes_for(assignment))
            assert not unknown, f"tests/demo.py gives {student} {sorted(unknown)}, not in tests/mistakes/{assignment}"


def test_the_demo_gives_each_student_with_mistakes_work_in_every_assignment():
    for student, plan in STUDENTS.items():
        if plan:  # the reference (no mistakes) and the untouched release (None) aside
            assert sorted(plan) == assignments(), student


def test_the_demo_has_a_student_working_in_the_japanese_edition():
    from autograder import i18n
    from tests.demo import JAPANESE, build

    assert JAPANESE and JAPANESE <= set(STUDENTS)
    for student in STUDENTS:
        language = i18n.notebook_language(build(student, "01_neuron"))
        assert language == ("ja" if student in JAPANESE else "en"), student
