"""Run each file's analysis in a child process that may crash, hang or eat memory alone.

libcst's native parser can segfault or allocate without bound on hostile input, and SIGALRM
cannot interrupt native code. So the analysis never runs in the process that reports: workers
are forked children, each with an address-space cap, fed one task at a time over a pipe. A
worker that dies, or overruns its deadline and is killed, costs only its task, which is reported
with the reason; a fresh worker takes the next task. With libcst imported before the fork, a
worker starts in a few milliseconds, so even a one-file pre-commit run pays almost nothing.
"""

from __future__ import annotations

import signal
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any, Generic, TypeVar

Task = TypeVar("Task")
Result = TypeVar("Result")

# Past the time limit, how long a worker gets to report the limit itself before it is killed.
KILL_GRACE = 5.0
MEMORY_LIMIT = 4 * 1024**3


class WorkerLost(Exception):
    """Why a task produced no result: worded for the user, ends with what happened to the file.
    `internal`: a bug in auditor (the work raised), not something the file did to the worker."""

    def __init__(self, message: str, internal: bool = False) -> None:
        super().__init__(message)
        self.internal = internal


@dataclass
class _Worker:
    process: Any  # multiprocessing.Process (its exact class depends on the start method)
    connection: Connection
    task: int | None = None
    deadline: float = 0.0


class Supervisor(Generic[Task, Result]):
    """Runs `work(task)` for every task in up to `workers` child processes.

    `lost(task, reason)` makes the result of a task whose worker died or overran.
    """

    def __init__(
        self,
        work: Callable[[Task], Result],
        lost: Callable[[Task, WorkerLost], Result],
        workers: int = 1,
        time_limit: float = 30.0,
        memory_limit: int | None = MEMORY_LIMIT,
        start_method: str | None = None,
    ) -> None:
        self.work = work
        self.lost = lost
        self.size = max(1, workers)
        self.time_limit = time_limit
        self.memory_limit = memory_limit
        self.workers: list[_Worker] = []
        import multiprocessing

        method = start_method or ("fork" if "fork" in multiprocessing.get_all_start_methods() else None)
        self.context: Any = multiprocessing.get_context(method)  # its Process class depends on the method

    def run(self, tasks: Sequence[Task]) -> Iterator[tuple[int, Result]]:
        """(index, result) for each task, in the order they finish. Workers outlive the call
        (see close()), unless the call is interrupted: then they are killed."""
        pending = deque(range(len(tasks)))
        workers = self.workers
        finished = False
        try:
            while len(workers) < min(self.size, len(tasks)):
                workers.append(self._start())
            while pending or any(w.task is not None for w in workers):
                for worker in workers:
                    if worker.task is None and pending:
                        self._assign(worker, pending.popleft(), tasks)
                busy = [w for w in workers if w.task is not None]
                timeout = max(0.0, min(w.deadline for w in busy) - time.monotonic())
                ready = wait([w.connection for w in busy], timeout)
                for worker in busy:
                    index = worker.task
                    assert index is not None
                    if worker.connection in ready:
                        outcome = self._receive(worker, tasks[index])
                    elif time.monotonic() >= worker.deadline:
                        outcome = self.lost(tasks[index], WorkerLost(f"analysis took longer than {self.time_limit:g} s and was stopped: the file was not checked"))
                        self._stop(worker)
                    else:
                        continue
                    worker.task = None
                    if not worker.process.is_alive():
                        workers[workers.index(worker)] = self._start()
                    yield index, outcome
            finished = True
        finally:
            if not finished:
                self.close()

    def close(self) -> None:
        """Stop every worker: a gentle word first, then a kill."""
        for worker in self.workers:
            self._stop(worker, gently=True)
        self.workers.clear()

    def __enter__(self) -> Supervisor[Task, Result]:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _start(self) -> _Worker:
        parent, child = self.context.Pipe()
        process = self.context.Process(target=_serve, args=(child, self.work, self.memory_limit), daemon=True)
        process.start()
        child.close()
        return _Worker(process, parent)

    def _assign(self, worker: _Worker, index: int, tasks: Sequence[Task]) -> None:
        worker.task = index
        worker.deadline = time.monotonic() + self.time_limit + KILL_GRACE
        try:
            worker.connection.send(tasks[index])
        except OSError:  # the worker died while idle: the receive below reports it
            pass

    def _receive(self, worker: _Worker, task: Task) -> Result:
        try:
            status, value = worker.connection.recv()
        except (EOFError, OSError):
            worker.process.join(1.0)
            self._stop(worker)
            return self.lost(task, WorkerLost(_death(worker.process.exitcode)))
        if status == "ok":
            result: Result = value
            return result
        if status == "error":  # the work raised: the worker itself is fine
            return self.lost(task, WorkerLost(value, internal=True))
        self._stop(worker)  # after a MemoryError the worker's heap cannot be trusted
        return self.lost(task, WorkerLost(value))

    def _stop(self, worker: _Worker, gently: bool = False) -> None:
        if gently and worker.process.is_alive():
            try:
                worker.connection.send(None)
            except OSError:
                pass
            worker.process.join(0.5)
        if worker.process.is_alive():
            worker.process.kill()
        worker.process.join()
        worker.connection.close()


def _death(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        number = -exitcode
        name = signal.Signals(number).name if number in signal.Signals._value2member_map_ else f"signal {number}"
        if number == signal.SIGKILL:
            return "the analysis was killed (SIGKILL, most likely out of memory): the file was not checked"
        return f"the parser crashed on this file ({name}): the file was not checked"
    return f"the analysis process exited unexpectedly (exit code {exitcode}): the file was not checked"


def _serve(connection: Connection, work: Callable[[Any], Any], memory_limit: int | None) -> None:
    """A worker's loop: one task in, one ("ok", result) or ("lost", reason) out, until None."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the supervisor's to handle
    import faulthandler

    faulthandler.disable()  # a crash is reported by the supervisor, in one line, not as a dump
    if memory_limit is not None:
        _cap_memory(memory_limit)
    while True:
        try:
            task = connection.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        try:
            reply: tuple[str, Any] = ("ok", work(task))
        except MemoryError:
            reply = ("lost", f"the analysis needed more than {memory_limit_text(memory_limit)} of memory: the file was not checked")
        except Exception as error:  # a bug: reported as an internal error, never a traceback here
            reply = ("error", _describe(error))
        try:
            connection.send(reply)
        except (OSError, ValueError):
            return
        if reply[0] == "lost":
            return


def _describe(error: Exception) -> str:
    import traceback

    frames = traceback.extract_tb(error.__traceback__)
    where = f" (at {frames[-1].filename.rsplit('/', 1)[-1]}:{frames[-1].lineno})" if frames else ""
    return f"{type(error).__name__}: {' '.join(str(error).split())[:200]}{where}"


def _cap_memory(limit: int) -> None:
    try:
        import resource
    except ImportError:  # not on this platform: the time limit still holds
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    if soft == resource.RLIM_INFINITY or soft > limit:
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def memory_limit_text(limit: int | None) -> str:
    return f"{limit / 1024**3:g} GiB" if limit else "the available memory"
