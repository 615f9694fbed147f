"""Spreads independent work over forked worker processes, one share per CPU core.

Markdown conversion and page rendering are pure Python and hold the GIL, so threads would not
help. Forking lets each child inherit the whole site model as it is in memory (nothing is
pickled on the way in); only results travel back, through a pipe. The parent works too, so n
cores run n-1 children, and where fork is missing the work runs here.
"""

from __future__ import annotations

import gc
import io
import logging
import os
import pickle
import signal
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:  # multiprocessing is imported only when work is spread (a few hundredths of
    # a second that a rebuild rendering one page need not spend)
    from multiprocessing.connection import Connection
    from multiprocessing.process import BaseProcess
    from multiprocessing.sharedctypes import Synchronized

logger = logging.getLogger(__name__)

Item = TypeVar("Item")
Result = TypeVar("Result")


def worker_count() -> int:
    """Cores this process may use (CPU affinity and container limits count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def map_in_shares(
    work: Callable[[Sequence[Item]], list[Result]],
    items: Sequence[Item],
    *,
    workers: int,
) -> list[Result]:
    """work() over items, in runs that each process claims when it is free; results in order.

    Fixed shares end at different times (bodies differ in cost, and a child must also send its
    results), so the processes claim short runs of items from a shared counter instead and all
    finish within about one item of each other. Each child sends each run's results as soon as
    they are done, and the parent takes what has arrived between its own runs, so results cross
    while the work goes on. `work` may be a closure: children are
    forked, so it is never pickled; it is called once per run, so it should keep any costly setup
    (a Markdown converter) between calls.
    """
    workers = min(workers, len(items))
    if workers <= 1:
        return work(items)
    import multiprocessing

    if "fork" not in multiprocessing.get_all_start_methods():
        return work(items)
    context = multiprocessing.get_context("fork")
    claims = _Claims(context.Value("q", 0), len(items), workers)
    # Objects that exist before the fork are shared with the children until written to; the
    # cyclic collector would scan (and so copy) all of them in every child. Frozen, they are
    # left alone: the site model is never garbage while its pages render. Objects frozen before
    # (a loaded build cache, which lives as long as the build) stay frozen after: thawed, they
    # would make every later full collection scan them all, 0.3 s a time at 25,000 pages.
    frozen_before = gc.get_freeze_count() > 0
    gc.freeze()
    children = []
    for _ in range(workers - 1):
        receiving, sending = context.Pipe(duplex=False)
        _widen(sending)
        child = context.Process(target=_run_child, args=(work, items, claims, sending), daemon=True)
        child.start()
        sending.close()  # the parent keeps only the reading end, so a dead child gives EOF
        children.append((child, _Receiver(child, receiving)))
    runs: dict[int, list[Result]] = {}
    try:
        started = time.perf_counter()
        for run in iter(claims.next, None):
            runs[run.start] = work(items[run.start : run.stop])
            for _, receiver in children:
                receiver.take_arrived()
        own_seconds = time.perf_counter() - started
        for child, receiver in children:
            receiver.take_rest()
            child.join()
            runs.update(receiver.results())  # raises what the child raised
        # Where a parallel step loses time: a child that ends late, or results slow to arrive.
        logger.debug(
            "%d items on %d cores: own share %.3f s, then waited %.3f s for the others",
            len(items),
            workers,
            own_seconds,
            time.perf_counter() - started - own_seconds,
        )
    finally:
        if not frozen_before:
            gc.unfreeze()
        for child, _ in children:
            if child.is_alive():  # only after a failure: the others' work is no longer wanted
                child.terminate()
                child.join()
    return [result for start in sorted(runs) for result in runs[start]]


class Pending(Generic[Result]):
    """Work started in one forked child (start_in_child), or to be done here where there is
    no fork; its results, asked for once."""

    def __init__(
        self, work: Callable[[], list[Result]] | None, child: int = 0, pipe: int = -1
    ) -> None:
        self._work, self._child, self._pipe = work, child, pipe

    def results(self) -> list[Result]:
        """The child's results, raising what it raised."""
        if self._work is not None:
            return self._work()
        child, self._child = self._child, 0
        try:
            with os.fdopen(self._pipe, "rb") as pipe:
                data = pipe.read()
        except BaseException:  # interrupted: the child is not left writing to nobody
            os.kill(child, signal.SIGKILL)
            raise
        finally:
            _, status = os.waitpid(child, 0)
        if not data:
            code = os.waitstatus_to_exitcode(status)
            raise RuntimeError(f"a worker process died (exit code {code})")
        done, outcome = pickle.loads(data)
        if not done:
            raise outcome
        return outcome  # type: ignore[no-any-return]

    def cancel(self) -> None:
        """Stops the child, if its results were not taken."""
        if self._child:
            os.kill(self._child, signal.SIGKILL)
            os.waitpid(self._child, 0)
            os.close(self._pipe)
            self._child = 0


def start_in_child(
    work: Callable[[Sequence[Item]], list[Result]], items: Sequence[Item]
) -> Pending[Result]:
    """work(items), started in a forked child while this process goes on: for a little work
    that a build needs only later. Plain os.fork: multiprocessing would cost more to import
    than a few files cost to convert. Fork before starting threads: a child gets only the one
    that forked it."""
    if not hasattr(os, "fork"):
        return Pending(lambda: work(items))
    reading, writing = os.pipe()
    child = os.fork()
    if child == 0:
        os.close(reading)
        try:
            _die_with_parent()
            try:
                message: tuple[bool, object] = (True, work(items))
            except BaseException as error:  # reported to the parent, which raises it
                message = (False, error)
            with os.fdopen(writing, "wb") as pipe:
                pipe.write(pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL))
        finally:
            os._exit(0)  # no cleanup: it belongs to the parent (buffers, atexit, temp files)
    os.close(writing)
    return Pending(None, child, reading)


def _widen(pipe: Connection) -> None:
    """A run's results are megabytes; through the default 64 KB pipe the receiving thread would
    need the parent's GIL a hundred times per run, and the child would wait on each."""
    try:
        import fcntl

        fcntl.fcntl(pipe.fileno(), fcntl.F_SETPIPE_SZ, 1 << 20)  # the usual limit without root
    except (
        ImportError,
        AttributeError,
        OSError,
    ):  # not Linux, or a lower limit: the default still works
        return


# Short runs keep the last one from ending far behind the others, and keep a run's results
# (a page is some 10 KB, a body with its document 15 KB) within a widened pipe.
MAX_RUN = 16


class _Claims:
    """Hands out runs of item indexes to whichever process asks, each a share of what is left
    (guided scheduling) up to MAX_RUN, so the last ones are one item long."""

    def __init__(self, counter: Synchronized[int], total: int, workers: int) -> None:
        self._counter = counter
        self._total = total
        self._parts = workers * 4

    def next(self) -> range | None:
        with self._counter.get_lock():
            start = self._counter.value
            size = (self._total - start) // self._parts
            stop = min(self._total, start + max(1, min(size, MAX_RUN)))
            self._counter.value = stop
        return range(start, stop) if start < stop else None


def _run_child(
    work: Callable[[Sequence[Item]], list[Result]],
    items: Sequence[Item],
    claims: _Claims,
    sending: Connection,
) -> None:
    _die_with_parent()
    pickler = _StreamPickler()
    try:
        for run in iter(claims.next, None):
            _send(sending, pickler, (run.start, work(items[run.start : run.stop])))
        outcome: object = None  # done
    except BaseException as error:  # reported to the parent, which raises it
        outcome = error
    _send(sending, pickler, outcome)
    sending.close()


def _send(sending: Connection, pickler: _StreamPickler, message: object) -> None:
    sending.send_bytes(pickler.message(message))


class _StreamPickler:
    """Pickles a child's messages as one stream: an object sent in an earlier run (a read
    shared by many pages) is sent once and referred to after, as one result would have been."""

    def __init__(self) -> None:
        self._buffer = io.BytesIO()
        self._pickler = pickle.Pickler(self._buffer, protocol=pickle.HIGHEST_PROTOCOL)

    def message(self, message: object) -> memoryview:
        self._buffer.seek(0)
        self._buffer.truncate()
        self._pickler.dump(message)  # the pickler's memo, kept between dumps, holds the objects
        return self._buffer.getbuffer()


class _Receiver:
    """A child's results, taken off its pipe by the parent between runs of its own work."""

    def __init__(self, child: BaseProcess, receiving: Connection) -> None:
        self._child = child
        self._receiving = receiving
        self._runs: dict[int, Any] = {}
        self._failure: BaseException | None = None
        self._done = False
        self._stream = io.BytesIO()
        self._unpickler = pickle.Unpickler(self._stream)

    def take_arrived(self) -> None:
        """What has arrived, without waiting: so the child never waits on a full pipe for long."""
        while not self._done and self._receiving.poll():
            self._take()

    def take_rest(self) -> None:
        while not self._done:
            self._take()

    def _take(self) -> None:
        try:
            self._stream.seek(0)
            self._stream.truncate()
            self._stream.write(self._receiving.recv_bytes())
            self._stream.seek(0)
            message = self._unpickler.load()  # its memo, kept between loads, as the sender's
        except EOFError:
            message = RuntimeError("a worker process died")
        if message is None or isinstance(message, BaseException):
            self._failure, self._done = message, True
            self._receiving.close()
            return
        start, results = message
        self._runs[start] = results

    def results(self) -> dict[int, Any]:
        """The runs received, once the child has been joined; raises what the child raised."""
        if isinstance(self._failure, RuntimeError) and self._child.exitcode:
            raise RuntimeError(f"a worker process died (exit code {self._child.exitcode})")
        if self._failure is not None:
            raise self._failure
        return self._runs


def _die_with_parent() -> None:
    """Linux: end this worker when the build that forked it dies, even by SIGKILL.

    Otherwise an orphan blocks for ever writing its results to a pipe that a sibling inherited,
    holding the build's stderr open, so whoever waits for the build never sees it end.
    """
    import ctypes

    parent = os.getppid()
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return  # not Linux
    if os.getppid() != parent:  # the parent died before the line above
        os._exit(1)
