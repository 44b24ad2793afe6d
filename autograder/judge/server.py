"""A warm judge: one clean process imports torch and the checks once, then forks a judge per grading.

Importing torch costs a judge about 2.5 s of CPU, more than scoring a
notebook does; a cohort pays it on every submission. This server pays it
once. It is started like the judge itself (``python -I``, a minimal
environment), imports only the grader's own code, and never reads a
submission's records: each request is judged in a forked child, which runs
the same pytest session as the cold judge and then exits. So every verdict
still comes from a process that has seen nothing but the grader's code and
that one submission's records.

Protocol: one JSON line per request on stdin, ``{"argv": [...], "cwd": ...,
"timeout": ..., "log": ...}``; one JSON line per reply on stdout,
``{"exit": code, "timed_out": bool}``. EOF on stdin ends the server.
"""

from __future__ import annotations

import gc
import json
import os
import signal
import sys
import time


def warm_up() -> None:
    import numpy  # noqa: F401
    import pytest  # noqa: F401
    import torch  # noqa: F401
    import torch.nn.functional  # noqa: F401

    import autograder.judge.plugin  # noqa: F401
    import autograder.training  # noqa: F401
    from autograder.judge.exercises import exercises_for
    from autograder.host.repair import assignments

    for assignment in assignments():
        exercises_for(assignment)


def warm_for(argv: list[str]) -> None:
    """Before the first judgement of a lesson that builds an optimizer (the PyTorch lessons, and 05's
    sgd_step reference): what its first optimizer imports (torch._dynamo, about 1.5 s), here once rather
    than in each forked judge; the other numpy lessons never pay it."""
    from autograder.judge.exercises import judge_builds_optimizers

    if "--assignment" not in argv[:-1] or "torch._dynamo" in sys.modules:
        return
    try:
        wanted = judge_builds_optimizers(argv[argv.index("--assignment") + 1])
    except Exception:  # an unknown assignment: the judgement itself says so
        return
    if wanted:
        import torch._dynamo  # noqa: F401

        gc.freeze()  # as after warm_up: the children's collections never walk it


PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """Linux: the child is killed when the server dies, so no judge outlives its grading."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass


def judge_in_child(request: dict, reply_fd: int) -> int | None:
    """Fork, run one pytest session in the child, and return its exit code (None when it ran out of time)."""
    pid = os.fork()
    if pid == 0:
        code = 70
        try:
            _die_with_parent()
            signal.alarm(int(request["timeout"]) + 5)  # its own deadline too, should the server be stopped
            os.close(reply_fd)
            os.chdir(request["cwd"])
            log = os.open(request["log"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.dup2(log, 1)
            os.dup2(log, 2)
            os.dup2(os.open(os.devnull, os.O_RDONLY), 0)  # stdin is the server's request stream
            import pytest

            code = int(pytest.main(request["argv"]))
        except BaseException:  # the reply must come whatever happens; the log says what
            import traceback

            traceback.print_exc()
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    deadline = time.monotonic() + float(request["timeout"])
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return None
        time.sleep(0.01)


def main() -> None:
    # Replies get a descriptor of their own; fd 1 becomes stderr, so nothing an import prints reaches them.
    reply_fd = os.dup(1)
    os.dup2(2, 1)
    reply = os.fdopen(reply_fd, "w")
    warm_up()
    # Everything imported so far is kept out of the garbage collector's sight: each child's pytest
    # collects garbage at its end, and walking torch's objects would cost every judgement half a
    # second and copy most of the server's memory pages into the child.
    gc.freeze()
    print(json.dumps({"ready": True}), file=reply, flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        warm_for(request.get("argv", []))
        code = judge_in_child(request, reply_fd)
        print(json.dumps({"exit": code, "timed_out": code is None}), file=reply, flush=True)


if __name__ == "__main__":
    main()
