"""The only writer. Stages a complete build beside the output folder and swaps it in atomically.

A build that fails or is killed leaves the previous output untouched. Files whose bytes did not
change are hard-linked from the previous output instead of rewritten. MemoryOutput does the same
job in a dict, for tests.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import hashlib
import json
import logging
import os
import shutil
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

logger = logging.getLogger(__name__)

MANIFEST = ".stride-manifest.json"


@dataclass(frozen=True, slots=True)
class OutputFile:
    path: PurePosixPath  # relative to the output folder
    data: bytes


@dataclass(frozen=True, slots=True)
class Changes:
    added: tuple[str, ...]
    changed: tuple[str, ...]
    removed: tuple[str, ...]

    def summary(self) -> str:
        return f"{len(self.added)} added, {len(self.changed)} changed, {len(self.removed)} removed"


class UnsafePath(ValueError):
    """An output path that would land outside the output folder."""


def checked_path(path: PurePosixPath) -> PurePosixPath:
    """Refuse any path that could escape the output folder, whatever a slug or name holds."""
    parts = path.parts
    if path.is_absolute() or not parts or any(p in ("", ".", "..") or "\\" in p for p in parts):
        raise UnsafePath(f"refusing to write outside the output folder: {path}")
    return path


def manifest_of(files: Iterable[OutputFile]) -> dict[str, str]:
    return {str(f.path): hashlib.sha256(f.data).hexdigest() for f in files}


def compare(old: Mapping[str, str], new: Mapping[str, str]) -> Changes:
    return Changes(
        tuple(sorted(path for path in new if path not in old)),
        tuple(sorted(path for path in new if path in old and old[path] != new[path])),
        tuple(sorted(path for path in old if path not in new)),
    )


class MemoryOutput:
    """Keeps the last good build in memory: the same contract as DiskOutput, without a disk."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}

    def write(self, files: Iterable[OutputFile]) -> Changes:
        new = {str(checked_path(f.path)): f.data for f in files}
        changes = compare(
            {path: hashlib.sha256(data).hexdigest() for path, data in self.files.items()},
            {path: hashlib.sha256(data).hexdigest() for path, data in new.items()},
        )
        self.files = new
        return changes


class DiskOutput:
    def __init__(self, folder: Path) -> None:
        self.folder = folder.absolute()
        self.staging = self.folder.with_name(f".{self.folder.name}.staging")

    def read_manifest(self) -> dict[str, str]:
        try:
            loaded = json.loads((self.folder / MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return loaded if isinstance(loaded, dict) else {}

    def write(self, files: Iterable[OutputFile]) -> Changes:
        files = sorted(files, key=lambda f: f.path)
        for f in files:
            checked_path(f.path)
        old = self.read_manifest()
        new = manifest_of(files)
        changes = compare(old, new)
        self._discard(self.staging)  # left behind by a build that was killed
        if old == new and self._matches(new):
            return changes
        self.staging.mkdir(parents=True)
        for f in files:
            self._stage(f, reuse=old.get(str(f.path)) == new[str(f.path)])
        manifest = json.dumps(new, indent=0, sort_keys=True).encode()
        (self.staging / MANIFEST).write_bytes(manifest)
        self._swap()
        return changes

    def _matches(self, manifest: Mapping[str, str]) -> bool:
        # Cheap check that nobody deleted output files behind our back.
        return all((self.folder / path).is_file() for path in manifest)

    def _stage(self, output_file: OutputFile, reuse: bool) -> None:
        target = self.staging / output_file.path
        target.parent.mkdir(parents=True, exist_ok=True)
        previous = self.folder / output_file.path
        if reuse:
            try:
                os.link(previous, target)
                return
            except OSError:
                pass  # previous file missing or on another device: write it afresh
        target.write_bytes(output_file.data)

    def _swap(self) -> None:
        if not self.folder.exists():
            self.staging.rename(self.folder)
            return
        if _exchange(self.staging, self.folder):
            self._discard(self.staging)  # now holds the previous build
            return
        retired = self.folder.with_name(f".{self.folder.name}.old")
        self._discard(retired)
        self.folder.rename(retired)
        self.staging.rename(self.folder)
        self._discard(retired)

    @staticmethod
    def _discard(folder: Path) -> None:
        if folder.exists():
            shutil.rmtree(folder)


def _exchange(first: Path, second: Path) -> bool:
    """Swap two folders in one atomic step (Linux renameat2); False where unsupported."""
    libc_name = ctypes.util.find_library("c")
    if libc_name is None:
        return False
    libc = ctypes.CDLL(libc_name, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        return False
    at_fdcwd, rename_exchange = -100, 2
    result = renameat2(at_fdcwd, os.fsencode(first), at_fdcwd, os.fsencode(second), rename_exchange)
    return bool(result == 0)
