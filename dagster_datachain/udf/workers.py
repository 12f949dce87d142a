"""Forked worker processes that run batch ranges, tell the parent which unit each is on, and die with the parent.

Each worker gets its batches over its own pipe, so the parent always knows which batch a worker holds; while a batch
runs the worker writes the unit (row or group) in flight into shared memory. When a worker dies without a word
(`os._exit`, SIGKILL, the OOM killer) the parent can therefore name the unit it died on. Workers never outlive the
parent: the kernel kills them when it dies (Linux `PR_SET_PDEATHSIG`), and a watchdog thread checks for an orphaned
worker elsewhere.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import pickle
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from multiprocessing.connection import Connection, wait
from typing import Any

IDLE = -1
_PR_SET_PDEATHSIG = 1


class WorkerDied(Exception):
    """A worker process ended without reporting its batch: which batch, which unit it was on, and how it ended."""

    def __init__(self, pid: int, exitcode: int | None, batch: tuple[int, int], unit: int | None) -> None:
        super().__init__(pid, exitcode, batch, unit)
        self.pid, self.exitcode, self.batch, self.unit = pid, exitcode, batch, unit

    def how(self) -> str:
        code = self.exitcode
        if code is not None and code < 0:
            name = signal.Signals(-code).name
            return f"was killed by {name}" + (" (out of memory?)" if name == "SIGKILL" else "")
        return f"exited with code {code}"


class WorkerPool:
    """`count` forked processes, each running `work(start, end) -> units done` for the batches it is given.

    `prepare(mark)` runs first in each worker, `mark(unit)` records the unit in flight. `run()` hands out batches
    and calls `on_done(units)` per finished batch; the first failure stops every worker and is raised: the
    worker's own exception, or `WorkerDied`.
    """

    def __init__(self, count: int, work: Callable[[int, int], int],
                 prepare: Callable[[Callable[[int], None]], None]) -> None:
        self.work, self.prepare = work, prepare
        self.inflight = multiprocessing.get_context("fork").RawArray(ctypes.c_longlong, [IDLE] * count)
        self.parent = os.getpid()
        self.workers: list[tuple[multiprocessing.process.BaseProcess, Connection]] = []
        context = multiprocessing.get_context("fork")
        for index in range(count):
            ours, theirs = context.Pipe()
            process = context.Process(target=self._serve, args=(index, theirs, ours), daemon=True)
            process.start()
            theirs.close()
            self.workers.append((process, ours))

    def run(self, todo: list[tuple[int, int]], on_done: Callable[[int], None]) -> None:
        pending = deque(todo)
        busy: dict[int, tuple[int, int]] = {}
        for index in range(len(self.workers)):
            self._give(index, pending, busy)
        while busy:
            by_handle: dict[Any, int] = {}
            for index in busy:
                process, conn = self.workers[index]
                by_handle[conn] = by_handle[process.sentinel] = index
            for handle in wait(list(by_handle)):
                index = by_handle[handle]
                if index not in busy:
                    continue  # both its pipe and its sentinel were ready
                process, conn = self.workers[index]
                message = _receive(conn) if conn.poll() else None
                if message is None:
                    process.join(1)
                    unit = self.inflight[index]
                    raise WorkerDied(process.pid or 0, process.exitcode, busy[index], None if unit == IDLE else unit)
                kind, value = message
                if kind == "error":
                    raise value
                del busy[index]
                on_done(value)
                self._give(index, pending, busy)

    def close(self) -> None:
        """Stop every worker now (a batch in flight is lost; committed parts stay)."""
        for process, conn in self.workers:
            conn.close()
            if process.is_alive():
                process.kill()
        for process, _ in self.workers:
            process.join()

    def _give(self, index: int, pending: deque[tuple[int, int]], busy: dict[int, tuple[int, int]]) -> None:
        if pending:
            busy[index] = pending.popleft()
            self.workers[index][1].send(busy[index])

    # ----------------------------------------------------------------- in the worker
    def _serve(self, index: int, conn: Connection, parent_end: Connection) -> None:
        _die_with_parent(self.parent)
        for other in [parent_end, *(end for _, end in self.workers)]:  # the parent's ends of the pipes
            other.close()

        def mark(unit: int) -> None:
            self.inflight[index] = unit

        self.prepare(mark)
        while True:
            try:
                task = conn.recv()
            except EOFError:
                return
            try:
                reply: tuple[str, Any] = ("done", self.work(*task))
            except BaseException as exc:  # noqa: BLE001 - every failure goes back to the parent
                reply = ("error", _picklable(exc))
            mark(IDLE)
            conn.send(reply)


def _receive(conn: Connection) -> tuple[str, Any] | None:
    try:
        return conn.recv()
    except (EOFError, OSError):
        return None


def _picklable(exc: BaseException) -> BaseException:
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:  # noqa: BLE001 - an exception that cannot cross processes is sent as text
        return RuntimeError(f"{type(exc).__name__}: {exc}")
    return exc


def _die_with_parent(parent: int) -> None:
    """Make this process end when `parent` does: the kernel's parent-death signal, and a watchdog thread."""
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:  # the parent died before the signal was armed
        os._exit(1)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, name="parent-watchdog", daemon=True).start()
