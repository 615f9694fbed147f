"""Bounds on what one content file may cost a build, so no input can hang it or exhaust memory.

Python-Markdown is pure Python and superlinear on many inputs (a paragraph of unmatched '[',
thousands of headings or '<a' lines): a 16 KiB paragraph of '[' takes over a minute. No size
limit alone bounds that, so conversion also runs against a deadline, in CPU seconds. It is far
above what any real page needs (a 256 KiB article converts in about 2.5 s), so it only ever
stops pathological input, and what a successful build writes never depends on machine speed.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

from .errors import Problem

MAX_FILE_BYTES = 256 * 1024  # ~40,000 words: far beyond any web page
MAX_FRONT_MATTER_BYTES = 64 * 1024
CONVERT_SECONDS = 10.0  # of CPU time


class TooSlow(Exception):
    """The work inside a deadline() block ran past its time."""


def too_deep_to_convert(source: str) -> Problem:
    return Problem(
        source,
        1,
        1,
        "the Markdown nests too deeply to convert",
        "nest emphasis, quotes and lists a few levels deep at most",
    )


def too_slow_to_convert(source: str) -> Problem:
    return Problem(
        source,
        1,
        1,
        f"the Markdown takes over {CONVERT_SECONDS:.0f} s to convert",
        "split the page; thousands of '[', '<' or headings in one page are very slow to parse",
    )


@contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Raise TooSlow inside the block once it has used `seconds` of CPU time.

    A timer signal interrupts pure-Python work between bytecodes. Only a process's main thread
    receives signals, so elsewhere the block runs unbounded; builds convert in the main thread
    of the build process or of its forked workers.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum: int, frame: FrameType | None) -> None:
        raise TooSlow

    # CPU time of this process, not wall time: a busy machine (parallel tests, a CI runner
    # shared with other jobs) slows a conversion down but must not make it fail.
    previous = signal.signal(signal.SIGVTALRM, expire)
    # Then again every tenth of a second: a signal that lands in a garbage collector callback
    # (a library's, such as Hypothesis's) raises there, where Python prints and drops it.
    signal.setitimer(signal.ITIMER_VIRTUAL, seconds, 0.1)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_VIRTUAL, 0)
        signal.signal(signal.SIGVTALRM, previous)
