"""The workers grade-all hands submissions to: a local pool of processes, or a Dask cluster."""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import time

from autograder.host.worker import (
    code_fingerprint,
    grade_job,
    worker_problem,
)


WORKER_WAIT = 120  # seconds to wait for a Dask scheduler's first worker


class WorkerUnfit(RuntimeError):
    """A worker may not grade: it cannot sandbox student code, or its grading code is not the instructor's."""


class LocalPool:
    """Worker processes on this machine. Each grading's kernel and judge are processes of their own, so a
    worker mostly waits on them; one worker per core keeps the cores busy."""

    name = "local pool"

    def __init__(self, workers: int):
        self.workers = workers
        self._start()

    def _start(self):
        # spawn: a worker must not inherit the main process's gradebook connection or threads
        self.executor = concurrent.futures.ProcessPoolExecutor(
            self.workers, mp_context=multiprocessing.get_context("spawn")
        )

    def describe(self) -> str:
        return f"{self.workers} worker process{'es' if self.workers != 1 else ''} on this machine"

    def check_workers(self, sandbox: bool = True) -> dict[str, str]:
        problem = worker_problem(
            sandbox=sandbox
        )  # the workers run this machine's code: only the sandbox can be missing
        return {"this machine": problem} if problem else {}

    def submit(self, job):
        return self.executor.submit(grade_job, job)

    def as_completed(self, futures):
        return concurrent.futures.as_completed(futures)

    def lost_worker(self, error: BaseException) -> bool:
        """A worker process died (killed, out of memory): its jobs deserve one more try in a fresh pool."""
        return isinstance(error, concurrent.futures.process.BrokenProcessPool)

    def restart(self):
        self.executor.shutdown(wait=False, cancel_futures=True)
        self._start()

    def close(self, interrupted: bool = False):
        if interrupted:
            # The pool has no public way to stop running work. A killed worker takes its sandbox with it
            # (bwrap --die-with-parent), so nothing of a half-graded submission keeps running.
            for process in list(getattr(self.executor, "_processes", {}).values()):
                process.terminate()
        self.executor.shutdown(wait=not interrupted, cancel_futures=True)


class DaskPool:
    """A Dask cluster: a LocalCluster of ``workers`` processes, or the scheduler at ``scheduler``.
    Dask reschedules the work of a worker that died; a job that kills three workers is reported."""

    def __init__(self, scheduler: str | None = None, workers: int = 1):
        from dask.distributed import Client, LocalCluster

        self.cluster = None
        if scheduler:
            self.client = Client(scheduler, timeout="30s")
            self.name = f"Dask scheduler {scheduler}"
            try:  # without a worker, the run would wait for ever
                self.client.wait_for_workers(1, timeout=WORKER_WAIT)
            except TimeoutError:
                self.client.close()
                raise ConnectionError(
                    f"the Dask scheduler at {scheduler} has no worker after {WORKER_WAIT} s: "
                    "start some with `dask worker " + scheduler + " --nthreads 1`"
                ) from None
        else:
            # One single-threaded worker per core; no Dask memory limit, because each grading's kernel has its
            # own (the sandbox), and Dask would restart a worker for what its kernel uses.
            self.cluster = LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                memory_limit=0,
                dashboard_address=None,
                silence_logs=40,
            )
            self.client = Client(self.cluster)
            self.name = "Dask LocalCluster"

    def describe(self) -> str:
        workers = self.client.scheduler_info()["workers"]
        threads = sum(w.get("nthreads", 1) for w in workers.values())
        plural = {1: ""}
        return (
            f"{self.name}: {len(workers)} worker{plural.get(len(workers), 's')}, "
            f"{threads} thread{plural.get(threads, 's')}"
        )

    def check_workers(self, sandbox: bool = True) -> dict[str, str]:
        """Every worker now must sandbox and run the instructor's code (workers that join later are not asked:
        start them all before grading)."""
        problems = self.client.run(worker_problem, code_fingerprint(), sandbox)
        return {worker: problem for worker, problem in problems.items() if problem}

    def submit(self, job):
        return self.client.submit(
            grade_job, job, pure=False, key=f"grade-{job['assignment']}-{job['student']}-{time.time_ns()}"
        )

    def as_completed(self, futures):
        from dask.distributed import as_completed

        return as_completed(futures)

    def lost_worker(self, error: BaseException) -> bool:
        return False  # Dask already retried it on other workers

    def restart(self):
        pass

    def close(self, interrupted: bool = False):
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def make_pool(workers: int, scheduler: str | None = None, cluster: bool = False):
    if scheduler:
        return DaskPool(scheduler=scheduler)
    if cluster:
        return DaskPool(workers=workers)
    return LocalPool(workers)
