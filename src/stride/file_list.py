"""Lists the files of a folder in a child process, while the build goes on.

Before a build stages its output in the output before last (output.py), it checks that the
folder holds exactly the files its manifest names. Listing five thousand folders costs about
0.05 s, and five times that for a site five times larger, in a part of the build that uses
one core. Started as soon as the build starts, the listing is ready, on the other core, by the
time staging needs it. Where there is no fork, the folder is listed when asked.
"""

from __future__ import annotations

import os
import stat
import weakref
from pathlib import Path

# What a folder was when it was listed: a folder moved in or out of its place (another build,
# say) has another inode, or another status time.
Identity = tuple[int, int, int, int]


class FileList:
    """The files under `folder`, listed by a child process started now."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._identity = _identity(folder)
        self._reading: int | None = None
        if self._identity is None or not hasattr(os, "fork"):
            return
        reading, writing = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: lists, sends, and leaves without running any cleanup
            os.close(reading)
            _send(writing, folder)
            os._exit(0)
        os.close(writing)
        self._reading = reading
        # Reaped however the build ends, even one that fails before it asks for the list.
        self._reap = weakref.finalize(self, _reap, pid, reading)

    def files(self) -> set[str] | None:
        """Relative paths of the files under the folder; None if it is not a plain folder of
        files (a link or anything else inside), or if it was replaced since the listing."""
        if self._identity is None:
            return None
        if self._reading is None:  # no fork here
            return _listed(str(self.folder))
        received = bytearray()
        while chunk := os.read(self._reading, 1 << 20):
            received += chunk
        self._reap()
        if _identity(self.folder) != self._identity:
            return None
        if not received:  # the child failed
            return _listed(str(self.folder))
        if not received.startswith(b"+"):
            return None
        names = bytes(received[1:])
        return set(os.fsdecode(names).split("\0")) if names else set()


def _send(writing: int, folder: Path) -> None:
    try:
        found = _listed(str(folder))
        data = b"-" if found is None else b"+" + b"\0".join(map(os.fsencode, found))
        view = memoryview(data)
        while view:
            view = view[os.write(writing, view) :]
    except BaseException:  # the parent then receives nothing, and lists the folder itself
        return


def _reap(pid: int, reading: int) -> None:
    os.close(reading)
    os.waitpid(pid, 0)


def _identity(folder: Path) -> Identity | None:
    try:
        info = os.lstat(folder)
    except OSError:
        return None
    if not stat.S_ISDIR(info.st_mode):
        return None  # a link, even to a folder, is never listed
    return (info.st_dev, info.st_ino, info.st_mtime_ns, info.st_ctime_ns)


def _listed(folder: str) -> set[str] | None:
    try:
        return _files_in(folder, "")
    except (OSError, ValueError):
        return None


def _files_in(folder: str, prefix: str) -> set[str]:
    """Relative paths of the files under folder; a link or anything odd raises ValueError."""
    found: set[str] = set()
    with os.scandir(folder) as entries:
        for entry in entries:  # scandir knows each entry's type without another system call
            if entry.is_symlink():
                raise ValueError(entry.path)
            if entry.is_dir():
                found |= _files_in(entry.path, f"{prefix}{entry.name}/")
            elif entry.is_file():
                found.add(prefix + entry.name)
            else:
                raise ValueError(entry.path)
    return found
