"""Spreads independent work over forked worker processes, one share per CPU core.

Markdown conversion and page rendering are pure Python and hold the GIL, so threads would not
help. Forking lets each child inherit the whole site model as it is in memory (nothing is
pickled on the way in); only results travel back, through a pipe. The parent works on the
last share itself, so n cores run n-1 children, and where fork is missing the work runs here.
"""

from __future__ import annotations

import ctypes
import gc
import logging
import multiprocessing
import os
import signal
import time
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection
from typing import TypeVar

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
    """work() over items split into `workers` interleaved shares; results in the items' order.

    Interleaving (every n-th item) balances shares when item costs drift along the sequence.
    `work` may be a closure: children are forked, so it is never pickled.
    """
    workers = min(workers, len(items))
    if workers <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        return work(items)
    context = multiprocessing.get_context("fork")
    children = []
    # Objects that exist before the fork are shared with the children until written to; the
    # cyclic collector would scan (and so copy) all of them in every child. Frozen, they are
    # left alone: the site model is never garbage while its pages render.
    gc.freeze()
    for index in range(workers - 1):
        receiving, sending = context.Pipe(duplex=False)
        share = items[index::workers]
        child = context.Process(target=_run_share, args=(work, share, sending), daemon=True)
        child.start()
        sending.close()  # the parent keeps only the reading end, so a dead child gives EOF
        children.append((child, receiving))
    try:
        started = time.perf_counter()
        own = work(items[workers - 1 :: workers])
        own_seconds = time.perf_counter() - started
        shares: list[list[Result]] = []
        for child, receiving in children:
            try:
                outcome = receiving.recv()
            except EOFError:
                outcome = RuntimeError(f"a worker process died (exit code {child.exitcode})")
            child.join()
            if isinstance(outcome, BaseException):
                raise outcome
            shares.append(outcome)
        # Where a parallel step loses time: a share that ends late, or results slow to arrive.
        logger.debug(
            "%d items on %d cores: own share %.3f s, then waited %.3f s for the others",
            len(items),
            workers,
            own_seconds,
            time.perf_counter() - started - own_seconds,
        )
    finally:
        gc.unfreeze()
        for child, _ in children:
            if child.is_alive():  # only after a failure: the others' work is no longer wanted
                child.terminate()
                child.join()
    shares.append(own)
    return _interleave(shares, len(items))


def _run_share(
    work: Callable[[Sequence[Item]], list[Result]], share: Sequence[Item], sending: Connection
) -> None:
    _die_with_parent()
    try:
        outcome: object = work(share)
    except BaseException as error:  # reported to the parent, which raises it
        outcome = error
    sending.send(outcome)
    sending.close()


def _die_with_parent() -> None:
    """Linux: end this worker when the build that forked it dies, even by SIGKILL.

    Otherwise an orphan blocks for ever writing its results to a pipe that a sibling inherited,
    holding the build's stderr open, so whoever waits for the build never sees it end.
    """
    parent = os.getppid()
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return  # not Linux
    if os.getppid() != parent:  # the parent died before the line above
        os._exit(1)


def _interleave(shares: list[list[Result]], total: int) -> list[Result]:
    results: list[Result] = []
    for position in range(total):
        share = shares[position % len(shares)]
        results.append(share[position // len(shares)])
    return results
