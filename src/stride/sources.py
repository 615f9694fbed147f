"""Finds the content files and reads them, refusing what is not plain Markdown inside content/.

A warm build reads only the files whose status (size, times, inode) changed since the last
build: the walk is most of what a build with nothing to do costs.
"""

from __future__ import annotations

import hashlib
import os
import stat
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from .errors import Problem
from .limits import MAX_FILE_BYTES

FileStatus = tuple[int, int, int, int]  # size, mtime and ctime in ns, inode
# A file changed this recently may change again within the same clock tick without its status
# changing (the "racy clean" problem git solves the same way): such files are always read.
RACY_NS = 2_000_000_000


@dataclass(frozen=True, slots=True)
class SourceFile:
    source: str
    data: bytes | None  # None: not read, its status being exactly as when it was last read
    digest: str  # SHA-256 of the file's bytes
    status: FileStatus = (0, 0, 0, 0)
    path: str = ""  # where to read it, when data is None

    @staticmethod
    def of(source: str, data: bytes, status: FileStatus = (0, 0, 0, 0)) -> SourceFile:
        return SourceFile(source, data, hashlib.sha256(data).hexdigest(), status)

    def read(self) -> bytes:
        if self.data is not None:
            return self.data
        with open(self.path, "rb") as handle:  # noqa: PTH123
            return _read_capped(handle, self.status[0])


@dataclass(frozen=True, slots=True)
class KnownFiles:
    """What the last build read: each file's status and digest, and when it looked."""

    files: Mapping[str, tuple[FileStatus, str]]
    checked_ns: int  # time.time_ns() when that build started walking

    def digest_if_unchanged(self, source: str, status: FileStatus) -> str | None:
        known = self.files.get(source)
        if known is None or known[0] != status or status[1] >= self.checked_ns - RACY_NS:
            return None
        return known[1]


def walk_sources(
    content_dir: Path, known: KnownFiles | None = None
) -> tuple[list[SourceFile], list[Problem]]:
    """Every Markdown file under content_dir, sorted, refusing links that leave the folder.

    A file whose status (size, times, inode) is exactly what `known` recorded is not read
    again, the way git and make trust a file's status; one touched in the two seconds before
    that record was made is read anyway.
    """
    if not content_dir.is_dir():
        # Checked here, not only by the command line, so that a dev server whose content folder
        # vanished reports it instead of publishing an empty site.
        hint = "check the --content path; it must be a folder of Markdown files"
        return [], [Problem(str(content_dir), 1, 1, "content folder does not exist", hint)]
    files: list[SourceFile] = []
    problems: list[Problem] = []
    root = Path(os.path.realpath(content_dir))
    walk_errors: list[OSError] = []
    for relative, absolute in _walk(content_dir, walk_errors):
        found = _read_source(relative, absolute, root, known)
        if isinstance(found, SourceFile):
            files.append(found)
        elif found is not None:
            problems.append(found)
    for error in walk_errors:
        where = Path(error.filename or content_dir).relative_to(content_dir).as_posix()
        problems.append(
            Problem(where, 1, 1, f"folder cannot be read: {error.strerror}", UNREADABLE_HINT)
        )
    return files, problems


UNREADABLE_HINT = "check that it still exists and that you may read it"


def _read_source(
    relative: str, absolute: str, root: Path, known: KnownFiles | None
) -> SourceFile | Problem | None:
    """One walked entry as a SourceFile, a Problem, or None for a folder to skip.

    Paths are plain strings here: pathlib costs more than the system calls for thousands of files.
    """
    name_problem = _name_problem(relative)
    if name_problem is not None:
        return name_problem
    try:
        info = os.lstat(absolute)
        if stat.S_ISLNK(info.st_mode):
            info = os.stat(absolute)  # noqa: PTH116 (follows the link; dangling or looping raises)
            if not _inside(Path(os.path.realpath(absolute)), root):
                hint = "copy the file into content/ instead of linking to it"
                return Problem(relative, 1, 1, "symlink points outside the content folder", hint)
        if stat.S_ISDIR(info.st_mode):
            return None  # a symlinked folder inside content/: its files are walked directly
        if not relative.endswith(".md"):
            hint = "content/ holds .md files only; put images in static/"
            return Problem(relative, 1, 1, "not a Markdown file", hint)
        if not stat.S_ISREG(info.st_mode):
            hint = "content/ holds ordinary files only"
            return Problem(relative, 1, 1, "not a regular file (a pipe, socket or device)", hint)
        status = (info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino)
        digest = known.digest_if_unchanged(relative, status) if known else None
        if digest is not None:
            return SourceFile(relative, None, digest, status, absolute)
        data = b""
        if info.st_size <= MAX_FILE_BYTES:
            with open(absolute, "rb") as handle:  # noqa: PTH123
                data = _read_capped(handle, info.st_size)
    except OSError as error:
        if os.path.islink(absolute):  # noqa: PTH114
            hint = "point the link at an existing file inside content/, or delete it"
            return Problem(relative, 1, 1, f"broken symlink: {error.strerror}", hint)
        return Problem(relative, 1, 1, f"file cannot be read: {error.strerror}", UNREADABLE_HINT)
    size = max(info.st_size, len(data))
    if size > MAX_FILE_BYTES:
        return Problem(
            relative,
            1,
            1,
            f"file is too large ({size // 1024} KiB; the limit is {MAX_FILE_BYTES // 1024} KiB)",
            "split it into several pages",
        )
    return SourceFile.of(relative, data, status)


def _read_capped(handle: BinaryIO, size: int) -> bytes:
    """The file's bytes, never more than one past the limit, even if it grew since its status
    was taken. Asking for the size it had: asking for the limit makes Python allocate (and
    then shrink) a quarter megabyte for every file, which took most of a cold walk's time."""
    data = handle.read(min(size, MAX_FILE_BYTES) + 1)
    if len(data) > size:  # it grew: read on, up to the limit
        data += handle.read(MAX_FILE_BYTES + 1 - len(data))
    return data


def _name_problem(relative: str) -> Problem | None:
    """File names end up in messages and URLs: they must be text that prints on one line."""
    if relative.isascii() and relative.isprintable():
        return None  # nearly every name: the checks below take a call per character
    try:
        relative.encode("utf-8")
    except UnicodeEncodeError:
        # os.walk smuggles undecodable bytes through as surrogates; show them as '?'.
        shown = relative.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
        return Problem(shown, 1, 1, "file name is not UTF-8", "rename the file")
    if any(unicodedata.category(character) == "Cc" for character in relative):
        shown = "".join("?" if unicodedata.category(c) == "Cc" else c for c in relative)
        return Problem(shown, 1, 1, "file name holds a control character", "rename the file")
    return None


def _walk(content_dir: Path, errors: list[OSError]) -> Iterator[tuple[str, str]]:
    """(path relative to content_dir with forward slashes, absolute path) of every entry."""
    top = str(content_dir)
    for folder, dirnames, filenames in os.walk(top, onerror=errors.append):
        dirnames[:] = sorted(name for name in dirnames if _is_content_name(name))
        relative_folder = os.path.relpath(folder, top)
        prefix = "" if relative_folder == "." else relative_folder.replace(os.sep, "/") + "/"
        entries = [name for name in filenames if _is_content_name(name)]
        # Symlinked folders are not descended into, but are checked like files.
        entries += [name for name in dirnames if os.path.islink(os.path.join(folder, name))]  # noqa: PTH114, PTH118
        for name in sorted(entries):
            yield prefix + name, os.path.join(folder, name)  # noqa: PTH118


def _is_content_name(name: str) -> bool:
    # Hidden files and editors' backup and lock files (x.md~, #x.md#) come and go while
    # someone edits; they are never content.
    return not (name.startswith((".", "#")) or name.endswith("~"))


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents
