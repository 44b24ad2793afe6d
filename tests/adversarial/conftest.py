"""The corpus's table is written once, at the end of the run, from every worker's rows."""


def pytest_sessionfinish(session):
    if not hasattr(session.config, "workerinput"):  # the controller, or a run without workers
        from tests.adversarial.test_corpus import write_table
        write_table()
