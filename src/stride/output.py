"""The only writer. Stages a complete build beside the output folder and swaps it in atomically.

A build that fails or is killed leaves the previous output untouched. Files whose bytes did not
change are hard-linked from the previous output instead of rewritten. MemoryOutput does the same
job in a dict, for tests.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import stat
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from .errors import OutputError, Problem
from .file_list import FileList

try:
    import fcntl
except ImportError:  # Windows has none: builds into one folder are then not serialised
    fcntl = None  # type: ignore[assignment]

logger = logging.getLogger(__name__)

MANIFEST = ".stride-manifest.json"


@dataclass(frozen=True, slots=True)
class OutputFile:
    path: str  # relative POSIX path inside the output folder (see checked_path)
    data: bytes
    # Hashed where the file is made: pages are rendered in worker processes, which then hash
    # them in parallel rather than leaving a hundred megabytes to the parent.
    sha256: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if not self.sha256:
            object.__setattr__(self, "sha256", hashlib.sha256(self.data).hexdigest())


@dataclass(frozen=True, slots=True)
class KeptFile:
    """A file the current output already holds with these bytes: linked, never read again."""

    path: str
    sha256: str


@dataclass(frozen=True, slots=True)
class StagedFile:
    """A file already put in the staging folder with these bytes, by a worker process."""

    path: str
    sha256: str


Written = OutputFile | KeptFile | StagedFile


@dataclass(frozen=True, slots=True)
class Changes:
    added: tuple[str, ...]
    changed: tuple[str, ...]
    removed: tuple[str, ...]

    def summary(self) -> str:
        return f"{len(self.added)} added, {len(self.changed)} changed, {len(self.removed)} removed"

    def details(self, limit: int = 5) -> list[str]:
        """One line per kind of change naming its first paths, so a build says what it did."""
        lines = []
        for label, paths in (
            ("added", self.added),
            ("changed", self.changed),
            ("removed", self.removed),
        ):
            if paths:
                more = f" and {len(paths) - limit} more" if len(paths) > limit else ""
                lines.append(f"  {label}: {', '.join(paths[:limit])}{more}")
        return lines


class UnsafePath(OutputError):
    """An output path that would land outside the output folder."""


def checked_path(path: str) -> str:
    """Refuse any path that could escape the output folder, whatever a slug or name holds:
    an output path is relative, with '/' between names and nothing empty, '.' or '..'."""
    # A name that is empty, '.' or '..' shows as '//', '/./' or '/../' once the path is put
    # between slashes; substring tests are ten times as fast as one regex (5,000 paths a build).
    between = f"/{path}/"
    if "//" in between or "/./" in between or "/../" in between or "\\" in path or "\0" in path:
        raise UnsafePath(f"refusing to write outside the output folder: {path}")
    return path


def suffix(path: str) -> str:
    """The extension of an output path, with its dot ('.html'), or ''."""
    name = path.rpartition("/")[2]
    dot = name.rfind(".")
    return name[dot:] if dot > 0 else ""


def manifest_of(files: Iterable[Written]) -> dict[str, str]:
    return {f.path: f.sha256 for f in files}


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

    @contextmanager
    def staging(self, previous: Path | None = None) -> Iterator[None]:
        """Nothing to open: files stay in this process until `finish` (DiskOutput.staging)."""
        yield None

    def finish(self, staging: Staging | None, files: Iterable[Written]) -> Changes:
        assert staging is None, "a memory output has no staging folder"
        return self.write(files)

    def write(self, files: Iterable[Written], previous: Path | None = None) -> Changes:
        files = list(files)
        _check_unique(files)
        new = {}
        for f in files:
            assert not isinstance(f, StagedFile), "nothing is staged in memory"
            new[f.path] = self.files[f.path] if isinstance(f, KeptFile) else f.data
        changes = compare(
            {path: hashlib.sha256(data).hexdigest() for path, data in self.files.items()},
            {path: hashlib.sha256(data).hexdigest() for path, data in new.items()},
        )
        self.files = new
        return changes


@dataclass(frozen=True, slots=True)
class Staging:
    """A build's staging folder while it is open (DiskOutput.staging).

    Render workers put their pages in it themselves, on every core, rather than sending a
    hundred megabytes of pages to one process to write; `finish` stages the rest.
    """

    folder: str
    output: str  # the current output folder, which unchanged files are hard-linked from
    staged: Mapping[str, str]  # path -> SHA-256 of what the folder held when it was opened
    output_manifest: Mapping[str, str]  # the same for the current output
    previous: Path | None  # where the output being replaced is kept for the next build

    def put(self, output_file: Written) -> StagedFile:
        """Make the staged file at output_file.path hold its bytes, unless it does already."""
        path, sha256 = checked_path(output_file.path), output_file.sha256
        if self.staged.get(path) == sha256 or isinstance(output_file, StagedFile):
            return StagedFile(path, sha256)
        # Plain path strings and os calls: this runs for every changed file, and pathlib's
        # objects cost more than the system calls themselves.
        target = os.path.join(self.folder, path)  # noqa: PTH118
        current = os.path.join(self.output, path)  # noqa: PTH118
        if path in self.staged:
            # Unlinked, never written into: the file may be a hard link shared with the output.
            os.unlink(target)  # noqa: PTH108
        else:
            os.makedirs(os.path.dirname(target), exist_ok=True)  # noqa: PTH103, PTH120
        if isinstance(output_file, KeptFile):
            try:
                os.link(current, target)
            except OSError:
                raise OutputError(f"{current} vanished during the build", "build again") from None
        elif not (
            self.output_manifest.get(path) == sha256
            and _link_unchanged(output_file, current, target)
        ):
            try:
                _write_new(target, output_file.data)
            except FileExistsError:
                raise OutputError(
                    f"two outputs would be written to {path}",
                    "rename the file in static/ that has the same path as a page",
                ) from None
        return StagedFile(path, sha256)


def _link_unchanged(output_file: OutputFile, current: str, target: str) -> bool:
    """Hard-link the current output's file when its bytes are still exactly these."""
    try:
        # The manifest says what we wrote, not what is there now: someone may have edited or
        # replaced the file (with a symlink, say), so compare before sharing it.
        info = os.lstat(current)
        if not stat.S_ISREG(info.st_mode) or info.st_size != len(output_file.data):
            return False
        with open(current, "rb") as file:  # noqa: PTH123
            if file.read() != output_file.data:
                return False
        os.link(current, target)
    except OSError:
        return False  # missing, unreadable, or on another device: write it afresh
    return True


class DiskOutput:
    """Writes a whole build into a staging folder beside the output, then swaps the two.

    The staging folder's name is derived from the output folder's, so it sits on the same file
    system (a rename is atomic only there) and a killed build's leftovers are found again.
    """

    def __init__(self, folder: Path) -> None:
        folder = folder.absolute()
        # Swap the real folder, not a symlink to it: exchanging a link would move the link away.
        self.folder = folder.resolve() if folder.is_symlink() else folder
        self.staging_folder = self.folder.with_name(f".{self.folder.name}.staging")
        self.retired = self.folder.with_name(f".{self.folder.name}.old")
        self._listing: FileList | None = None

    def look_ahead(self, previous: Path) -> None:
        """Start listing the output before last (see `staging`), which staging checks file by
        file: a child process does it while the build reads and links the site."""
        self._listing = FileList(previous)

    def manifest_digest(self) -> str:
        """The SHA-256 of the output's manifest file, which names every file and its hash:
        equal digests mean equal outputs, as far as the manifest can tell. "" when missing."""
        try:
            return hashlib.sha256((self.folder / MANIFEST).read_bytes()).hexdigest()
        except OSError:
            return ""

    def read_manifest(self) -> dict[str, str]:
        try:
            loaded = json.loads((self.folder / MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return loaded if isinstance(loaded, dict) else {}

    def write(self, files: Iterable[Written], previous: Path | None = None) -> Changes:
        """Swap in a folder holding exactly `files` (see `staging` for `previous`)."""
        files = list(files)
        with self.staging(previous, unless=manifest_of(files)) as staging:
            return self.finish(staging, files)

    @contextmanager
    def staging(
        self, previous: Path | None = None, *, unless: Mapping[str, str] | None = None
    ) -> Iterator[Staging | None]:
        """The staging folder, open for files until `finish` swaps it in; the output stays
        locked meanwhile. If the block raises, the staging folder is discarded.

        `previous`, a folder on the same file system (in the build cache), keeps the output
        before last: staging starts from it and only the files that differ are written, so a
        small change costs a few files, not thousands of links. Without it, or when it does not
        hold what its manifest says, staging starts empty. With `unless`, a manifest the output
        already holds exactly, nothing is staged and the block gets None.
        """
        previous = previous if previous and _same_device(previous.parent, self.folder) else None
        with self._locked():
            self._recover()
            self._check_folder()
            old = self.read_manifest()
            _discard(self.staging_folder)  # left behind by a build that was killed
            if unless is not None and old == unless and self._matches(unless):
                yield None
                return
            staged = self._start_staging(previous)
            try:
                yield Staging(str(self.staging_folder), str(self.folder), staged, old, previous)
            except BaseException:
                _discard(self.staging_folder)
                raise

    def finish(self, staging: Staging | None, files: Iterable[Written]) -> Changes:
        """Stage what the workers did not, remove what is no longer built, and swap the staging
        folder in. `staging` None: the output already holds exactly `files`."""
        files = list(files)
        _check_unique(files)
        new = manifest_of(files)
        if staging is None:
            return compare(new, new)
        changes = compare(staging.output_manifest, new)
        for path in staging.staged.keys() - new.keys():
            _remove_file(self.staging_folder, path)
        staged = staging.staged
        to_stage = [
            f for f in files if not isinstance(f, StagedFile) and staged.get(f.path) != f.sha256
        ]
        for f in sorted(to_stage, key=lambda f: f.path.split("/")):  # folder by folder
            staging.put(f)
        _remove_file(self.staging_folder, MANIFEST)
        (self.staging_folder / MANIFEST).write_bytes(_manifest_bytes(new))
        self._swap(staging.previous)
        return changes

    def _start_staging(self, previous: Path | None) -> dict[str, str]:
        """Move the output before last into place as the staging folder; its manifest."""
        if previous is not None:
            listing = self._listing if self._listing and self._listing.folder == previous else None
            self._listing = None
            manifest = _verified_tree(previous, listing or FileList(previous))
            if manifest is not None:
                previous.rename(self.staging_folder)
                return manifest
            _discard(previous)
        self.staging_folder.mkdir()
        return {}

    def replace_one(self, output_file: OutputFile) -> None:
        """Replace one file of the current output in place, atomically: the dev server's fast
        preview, which the full rebuild that follows replaces with the whole site again."""
        target = self.folder / checked_path(output_file.path)
        temporary = target.with_name(f".{target.name}.preview")
        with self._locked():
            if not target.is_file():
                return
            temporary.write_bytes(output_file.data)
            temporary.replace(target)

    @contextmanager
    def _locked(self) -> Iterator[None]:
        # Two builds into one folder (the dev server and a manual build) would share the staging
        # folder; the second waits. The lock is on the parent folder, so it writes nothing, and
        # the kernel drops it when the process dies, even by SIGKILL.
        parent = self.folder.parent
        in_the_way = next((p for p in (parent, *parent.parents) if p.is_file()), None)
        if in_the_way is not None:
            raise OutputError(
                f"cannot create {self.folder}: {in_the_way} is a file, not a folder",
                "choose another --out",
            )
        try:
            parent.mkdir(parents=True, exist_ok=True)
            handle = os.open(parent, os.O_RDONLY)
        except OSError as error:
            raise OutputError(f"cannot create {self.folder}: {error.strerror}") from None
        try:
            if fcntl is not None:
                fcntl.flock(handle, fcntl.LOCK_EX)
            yield
        finally:
            os.close(handle)

    def _recover(self) -> None:
        # Without an atomic exchange the swap is two renames; a build killed between them left
        # the previous output under the retired name: put it back before anything else.
        if not self.folder.exists() and self.retired.is_dir() and not self.retired.is_symlink():
            self.retired.rename(self.folder)
        _discard(self.retired)

    def _check_folder(self) -> None:
        """Refuse to replace anything that is not an earlier build's output."""
        if not self.folder.exists():
            return
        if not self.folder.is_dir():
            raise OutputError(
                f"{self.folder} is a file, not a folder",
                "choose another --out, or delete the file",
            )
        if (self.folder / MANIFEST).is_file() or not any(self.folder.iterdir()):
            return
        raise OutputError(
            f"{self.folder} holds files that Stride did not write (it has no {MANIFEST})",
            "the build replaces the whole output folder: choose an empty or new --out",
        )

    def _matches(self, manifest: Mapping[str, str]) -> bool:
        # Cheap check that nobody deleted output files behind our back.
        return all((self.folder / path).is_file() for path in manifest)

    def _swap(self, previous: Path | None) -> None:
        if not self.folder.exists():
            self.staging_folder.rename(self.folder)
            return
        if _exchange(self.staging_folder, self.folder):
            _keep_or_discard(self.staging_folder, previous)  # now holds the previous build
            return
        self.folder.rename(self.retired)
        self.staging_folder.rename(self.folder)
        _keep_or_discard(self.retired, previous)


# Windows has no O_CLOEXEC, and needs O_BINARY to leave line ends alone.
_NEW_FILE = (
    os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
)


def _write_new(path: str, data: bytes) -> None:
    """Create the file and write it whole: a third cheaper than open(), which wraps the same
    calls in a buffered file object. O_EXCL refuses a file or link already there."""
    handle = os.open(path, _NEW_FILE, 0o666)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(handle, view) :]
    finally:
        os.close(handle)


def _manifest_bytes(manifest: Mapping[str, str]) -> bytes:
    """The manifest as JSON, sorted, one file a line: what json.dumps(manifest, indent=0,
    sort_keys=True) gives, whose indenting encoder runs in Python, four times slower."""
    if not manifest:
        return b"{}"
    quote = json.encoder.encode_basestring_ascii
    lines = ",\n".join(f"{quote(path)}: {quote(manifest[path])}" for path in sorted(manifest))
    return f"{{\n{lines}\n}}".encode()


def shadowed_pages(pages: Iterable[str], static: Iterable[str]) -> list[Problem]:
    """Static files at a page's path, found before rendering so that `check` reports them too."""
    page_paths = set(pages)
    return [
        Problem(
            f"static/{path}",
            1,
            1,
            f"'{path}' is also the path of a page the build makes",
            "rename or move the file in static/, or the page would be overwritten",
        )
        for path in sorted(static)
        if path in page_paths
    ]


def _check_unique(files: Sequence[Written]) -> None:
    """Every path once: a static file and a page at one path would silently overwrite."""
    for f in files:
        checked_path(f.path)
    paths = [f.path for f in files]
    twice = sorted({path for path, count in Counter(paths).items() if count > 1})
    if twice:
        raise OutputError(
            "two outputs would be written to " + ", ".join(twice),
            "rename the file in static/ that has the same path as a page",
        )


def _same_device(first: Path, second: Path) -> bool:
    try:
        return first.stat().st_dev == second.parent.stat().st_dev
    except OSError:
        return False


def _keep_or_discard(tree: Path, previous: Path | None) -> None:
    if previous is None:
        _discard(tree)
        return
    try:
        _discard(previous)
        tree.rename(previous)
    except OSError:
        _discard(tree)


def _verified_tree(folder: Path, listing: FileList) -> dict[str, str] | None:
    """The manifest of a kept output folder, if its files are exactly the manifest's."""
    if folder.is_symlink() or not folder.is_dir():
        return None
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(manifest, dict) or listing.files() != {*manifest, MANIFEST}:
        return None
    return manifest


def _remove_file(root: Path, path: str) -> None:
    """Remove one staged file, and the folders it leaves empty."""
    target = root / path
    try:
        target.unlink()
    except FileNotFoundError:
        return
    parent = target.parent
    while parent != root:
        try:
            parent.rmdir()
        except OSError:  # not empty
            return
        parent = parent.parent


def _discard(path: Path) -> None:
    """Remove a leftover staging or retired folder; a link there is unlinked, never followed."""
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.exists():
        shutil.rmtree(path)


def _exchange(first: Path, second: Path) -> bool:
    """Swap two folders in one atomic step (Linux renameat2); False where unsupported."""
    import ctypes  # here: a build with nothing to write never needs it

    try:
        # The symbols already loaded into this process, the C library's among them; naming
        # the library would make ctypes run `ldconfig -p` on every build.
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:
        return False
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        return False
    at_fdcwd, rename_exchange = -100, 2
    result = renameat2(at_fdcwd, os.fsencode(first), at_fdcwd, os.fsencode(second), rename_exchange)
    return bool(result == 0)
