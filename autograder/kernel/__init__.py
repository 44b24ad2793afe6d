"""The kernel side: everything that runs inside a sandbox. In a sandbox this folder is the whole
``autograder`` package; on the host its modules are ``autograder.data``, ``autograder.probe`` and so
on (see autograder/__init__.py). It never imports from host/, judge/ or course/
(tests/test_layout.py)."""
