"""The student's side, outside the kernel: ``workbook-check``, the check before submitting.

It ships in the student kit with the kernel-side modules (the kit's ``autograder`` package
is kernel/'s modules, this package, the public cases and the release notebooks).
"""
