"""The build cache: what the last build parsed, converted and rendered, kept in one file.

Parsed documents and converted bodies are keyed by source path and SHA-256 of the file, so an
unchanged file is never parsed or converted twice; rendered pages are kept with the record of
what they read (reuse.py decides whether they still hold). The file starts with a header naming
the format and the versions of everything that shapes the output: Stride's own code, Python,
Python-Markdown and its extensions, Jinja, nh3 and PyYAML. A cache whose header differs, or whose
payload does not match its checksum, is ignored with a notice and replaced after the next
successful build: it is never trusted. The payload is a pickle, so the cache folder must be as
trusted as the project itself (it is the project's own output, like site/). The sources file
keeps the long texts (Markdown, HTML) after its pickle, read only when used (cache_texts.py).
"""

from __future__ import annotations

import dataclasses
import datetime
import gc
import hashlib
import io
import json
import logging
import mmap
import os
import pickle
import tempfile
import zlib
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .cache_stamp import stamp
from .cache_texts import StoredTexts, TextsPickler, TextsUnpickler
from .config import ProjectPaths
from .output import DiskOutput, MemoryOutput
from .sources import FileStatus, KnownFiles

if TYPE_CHECKING:  # this module is imported before a build knows whether it has work to do
    from collections.abc import Sequence

    from .body import RenderedBody
    from .config import BuildOptions
    from .content import Document
    from .literals import TemplateLinks
    from .model import Entry, Site
    from .sources import SourceFile

logger = logging.getLogger(__name__)

CACHE_FILE = "build-cache.pickle"  # pages and the last build's summary
SOURCES_FILE = "sources.pickle"  # every document and body, and the linked site, as last written
PAGES_FILE = "pages.pickle"  # page records, as last written whole (CACHE_FILE has the changes)
SOURCES_ADDED = "sources-added.pickle"  # documents, bodies and the site's entries changed since
# A build that adds or drops fewer documents than this share writes only what it added: one
# edit then writes a few kilobytes instead of the whole site's bodies.
ADDED_SHARE = 0.1
MAGIC = b"stride build cache\n"

DocumentKey = tuple[str, str]  # (source path, SHA-256 of the file)
Read = tuple[object, ...]  # see reuse.py
Reads = tuple[tuple[Read, str], ...]  # reads with the digest of the value each gave


@dataclass(frozen=True)
class LastBuild:
    """Enough to tell, reading nothing else, that building again would change nothing."""

    inputs: str  # digest of every input file, the settings and the build options
    manifest: str  # digest of the output folder's manifest as that build wrote it
    valid_until: datetime.date | None  # the day a future-dated entry is due to appear
    warnings: tuple[tuple[str, int, int, str, str], ...]  # Problem fields, shown again
    files: int
    pages: int
    sources: tuple[tuple[str, FileStatus, str], ...] = ()  # content files: status and digest
    checked_ns: int = 0  # when that build walked the content folder
    setup: str = ""  # digest of the inputs besides content and templates (setup_digest)

    def known_files(self) -> KnownFiles:
        return KnownFiles(
            {path: (status, digest) for path, status, digest in self.sources}, self.checked_ns
        )


@dataclass(frozen=True)  # no slots: a slotted dataclass unpickles field by field, in Python
class Positions:
    """Where a page's template texts sit (literals.py): offsets in the page's UTF-8 bytes, each
    with its template's number in `templates` (high 16 bits) and the text's index in that
    template (low 16 bits)."""

    templates: tuple[str, ...] = ()
    packed: bytes = b""  # array("I") of offset, code, offset, code...


@dataclass(frozen=True)
class CachedPage:
    """A page of the last build. Its bytes are in that build's output, checked by their hash."""

    fingerprint: str  # digest of the page's own context (see reuse.py)
    reads: Reads  # what its render read, with each value's digest: templates, site, tags
    entry_reads: Reads  # the fields of entries it read, likewise
    entries: frozenset[str]  # URLs of those entries: if none changed, entry_reads all hold
    sha256: str  # of the bytes written
    positions: Positions = Positions()  # of its templates' texts, to splice edits of them into
    # Whether its bytes passed the CSP audit without being parsed: a splice into it is then
    # audited around the new texts only (audit.audit_spliced).
    clear: bool = False


@dataclass(frozen=True, slots=True)
class BuildCache:
    documents: Mapping[DocumentKey, Document] = field(default_factory=dict)
    bodies: Mapping[DocumentKey, RenderedBody] = field(default_factory=dict)
    pages: Mapping[str, CachedPage] = field(default_factory=dict)  # by output path
    entries: Mapping[str, str] = field(default_factory=dict)  # entry URL -> digest of the entry
    last_build: LastBuild | None = None
    stored: frozenset[DocumentKey] = frozenset()  # documents in SOURCES_FILE on disk
    # The last build's linked site (patch.py), but for the entries in `site_pending`.
    site: Site | None = None
    # Entries of `site` replaced since the site in SOURCES_FILE, by URL; None when the site
    # was linked anew, so the next save must write it whole.
    site_patch: Mapping[str, Entry] | None = None
    # The page records in PAGES_FILE on disk, and its checksum; `pages` differs from them by
    # what was rendered since, which is all a small rebuild saves.
    stored_pages: Mapping[str, CachedPage] = field(default_factory=dict)
    pages_base: str = ""
    templates: Mapping[str, str] = field(default_factory=dict)  # name -> source, as last built
    # What literals.pure_layouts needs of those sources, for those it was needed for.
    template_links: Mapping[str, TemplateLinks | None] = field(default_factory=dict)
    # Entries of site_patch not yet swapped into `site`: a loaded cache leaves them to be
    # swapped in with the next edit's (patch.py), one pass over the site for both.
    site_pending: Mapping[str, Entry] = field(default_factory=dict)


def cache_path(folder: Path) -> Path:
    return folder / CACHE_FILE


@dataclass(frozen=True, slots=True)
class CacheHeader:
    """The cache file's first lines: read first, since they alone can show nothing changed."""

    last_build: LastBuild | None
    checksum: str  # of the payload that follows
    offset: int  # where the payload starts


def load_cache(folder: Path | None, header: CacheHeader | None) -> BuildCache:
    """The cache in folder whose header was read, or an empty one (with a notice when it turns
    out unusable)."""
    if folder is None or header is None:
        return BuildCache()
    checksum, offset = header.checksum, header.offset
    try:
        with cache_path(folder).open("rb") as file:
            file.seek(offset)
            payload = file.read()
        if hashlib.sha256(payload).hexdigest() != checksum:
            return _ignored(folder, "its contents do not match its checksum (corrupted)")
        with _collector_paused(keep=True):
            loaded = pickle.loads(payload)
    except Exception as error:  # any failure to read a cache means: do not use it
        return _ignored(folder, f"it could not be read ({type(error).__name__})")
    if not (isinstance(loaded, tuple) and len(loaded) == 3 and isinstance(loaded[0], BuildCache)):
        return _ignored(folder, "it holds something else")
    loaded = dataclasses.replace(_with_stored_pages(folder, *loaded), last_build=header.last_build)
    stored = _load_part(folder / SOURCES_FILE)
    added = _load_part(folder / SOURCES_ADDED) if stored is not None else None
    if stored is None:
        return loaded
    sources = {**stored[0], **(added[0] if added else {})}
    site, patch = stored[1], added[1] if added else {}
    return dataclasses.replace(
        loaded,
        documents={key: document for key, (document, _) in sources.items()},
        bodies={key: body for key, (_, body) in sources.items()},
        stored=frozenset(stored[0]),
        site=site,
        site_patch=patch if site is not None else None,
        site_pending=patch if site is not None else {},
    )


Sources = dict[DocumentKey, tuple["Document", "RenderedBody"]]


def _with_stored_pages(
    folder: Path, changes: BuildCache, removed: frozenset[str], base: str
) -> BuildCache:
    """The page records: PAGES_FILE's, without those removed since, with the changed ones."""
    stored: dict[str, CachedPage] = {}
    if base:
        try:
            with _collector_paused(keep=True):
                stored = _load_pages(folder / PAGES_FILE, base)
        except Exception as error:  # unusable: every page is rendered again
            logger.warning(
                "notice: ignoring %s: %s; its pages will be rendered again",
                folder / PAGES_FILE,
                error,
            )
            return dataclasses.replace(changes, pages={})
    pages = {path: page for path, page in stored.items() if path not in removed}
    pages.update(changes.pages)
    return dataclasses.replace(changes, pages=pages, stored_pages=stored, pages_base=base)


def _load_pages(path: Path, checksum: str) -> dict[str, CachedPage]:
    with path.open("rb") as file:
        if file.readline() != MAGIC:
            raise ValueError("not a Stride cache file")
        file.readline()  # the header: its checksum is the one CACHE_FILE names
        payload = file.read()
    if hashlib.sha256(payload).hexdigest() != checksum:
        raise ValueError("its contents do not match its checksum (corrupted)")
    pages = pickle.loads(payload)
    if not isinstance(pages, dict):
        raise TypeError("it holds something else")
    return pages


def _save_pages(
    folder: Path, data: BuildCache
) -> tuple[dict[str, CachedPage], frozenset[str], str]:
    """The page records changed and removed since PAGES_FILE, and its checksum; the file is
    written anew (and nothing is changed since it) when there is none or too much changed."""
    stored = data.stored_pages
    if data.pages_base and (folder / PAGES_FILE).is_file():
        # Records reused from the last build are the very objects loaded from the file.
        changed = {path: page for path, page in data.pages.items() if stored.get(path) is not page}
        removed = frozenset(stored.keys() - data.pages.keys())
        if len(changed) + len(removed) <= ADDED_SHARE * len(data.pages):
            return changed, removed, data.pages_base
    with _collector_paused():
        payload = pickle.dumps(dict(data.pages), protocol=pickle.HIGHEST_PROTOCOL)
    checksum = hashlib.sha256(payload).hexdigest()
    header = json.dumps({"stamp": stamp(), "checksum": checksum}).encode()
    _replace(folder, PAGES_FILE, MAGIC + header + b"\n", payload)
    return {}, frozenset(), checksum


def _load_part(path: Path) -> tuple[Sources, Any] | None:
    """A sources file's documents and bodies, with the site (whole in SOURCES_FILE, its replaced
    entries in SOURCES_ADDED); None (with a notice) if the file is unusable."""
    try:
        magic, header_line, body = _mapped(path)
        header = json.loads(header_line) if magic == MAGIC else {}
        if header.get("stamp") != stamp():
            return _part_ignored(path, "made by another version or damaged")
        length = header.get("length", len(body))  # the pickle; the texts follow it
        payload, texts = body[:length], body[length:]
        texts_crc = _checksum_beside(texts)
        if hashlib.sha256(payload).hexdigest() != header.get("checksum"):
            return _part_ignored(path, "its contents do not match its checksum (corrupted)")
        with _collector_paused(keep=True):
            loaded = TextsUnpickler(io.BytesIO(payload), StoredTexts(texts)).load()
        if texts_crc() != header.get("texts_crc", 0):
            return _part_ignored(path, "its texts do not match their checksum (corrupted)")
    except FileNotFoundError:
        return None
    except OSError as error:
        return _part_ignored(path, error.strerror or "unreadable")
    except Exception as error:  # any failure to read a cache means: do not use it
        return _part_ignored(path, f"it could not be read ({type(error).__name__})")
    if not (isinstance(loaded, tuple) and len(loaded) == 2 and isinstance(loaded[0], dict)):
        return _part_ignored(path, "it holds something else")
    return loaded


def _checksum_beside(data: memoryview) -> Callable[[], int]:
    """The CRC-32 of data, computed in a thread while this one goes on: zlib lets go of the
    interpreter lock for long data, so the tens of megabytes of texts are checked on another
    core while the pickle before them loads. Call the result to wait for it."""
    import threading

    result: list[int] = []
    worker = threading.Thread(target=lambda: result.append(zlib.crc32(data)), daemon=True)
    worker.start()

    def wait() -> int:
        worker.join()
        return result[0] if result else -1

    return wait


def _mapped(path: Path) -> tuple[bytes, bytes, memoryview]:
    """A sources file's two header lines, and the rest (its pickle, then the texts that
    cache_texts.py keeps apart) mapped rather than read. The mapping lives as long as a text not
    read yet points into it; a later build replaces the file by renaming, which leaves this
    mapping as it was."""
    with path.open("rb") as file:
        magic, header_line = file.readline(), file.readline()
        offset = file.tell()
        if not header_line.endswith(b"\n") or os.fstat(file.fileno()).st_size == offset:
            return magic, header_line, memoryview(b"")  # truncated
        return (
            magic,
            header_line,
            memoryview(mmap.mmap(file.fileno(), 0, prot=mmap.PROT_READ))[offset:],
        )


def _text_fields() -> dict[type, str]:
    """The classes whose long text the sources file keeps apart, and that text's field."""
    from .body import RenderedBody
    from .content import Document
    from .model import Entry

    return {Document: "body", RenderedBody: "html", Entry: "html"}


def _part_ignored(path: Path, reason: str) -> tuple[Sources, Any] | None:
    logger.warning("notice: ignoring %s: %s; its files will be parsed again", path, reason)
    return None  # what the caller returns: the part is unusable


@contextmanager
def _collector_paused(*, keep: bool = False) -> Iterator[None]:
    """Unpickling makes hundreds of thousands of objects and no garbage; the cyclic collector,
    which would otherwise run every few hundred allocations and scan them all, halves the time.

    With `keep`, what was made meanwhile is moved out of the collector's sight for good
    (gc.freeze): a loaded cache lives as long as the build, and left in the youngest
    generation it would all be scanned again at the first collection after this, and again
    as it ages (a fifth of a second for a 4,000-page site)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if keep:
            gc.freeze()
        if enabled:
            gc.enable()


def read_header(folder: Path | None) -> CacheHeader | None:
    """The header of the cache in folder; None (with a notice) when there is no usable one."""
    if folder is None:
        return None
    path = cache_path(folder)
    try:
        with path.open("rb") as file:
            magic = file.readline()
            header_line = file.readline()
            offset = file.tell()
    except FileNotFoundError:
        return None
    except OSError as error:
        _ignored(folder, f"it could not be read ({error.strerror})")
        return None
    try:
        if magic != MAGIC:
            raise ValueError("not a Stride build cache")
        header = json.loads(header_line)
        if header["stamp"] != stamp():
            reason = "it was made by another version of Stride or of its libraries"
            _ignored(folder, reason)
            return None
        last = header["last_build"]
        last_build = None
        if last is not None:
            until = last["valid_until"]
            last["valid_until"] = datetime.date.fromisoformat(until) if until else None
            last["warnings"] = tuple(tuple(warning) for warning in last["warnings"])
            last["sources"] = tuple((p, tuple(s), d) for p, s, d in last["sources"])
            last_build = LastBuild(**last)
        return CacheHeader(last_build, str(header["checksum"]), offset)
    except (ValueError, KeyError, TypeError) as error:
        _ignored(folder, f"its header is damaged ({error})")
        return None


def _ignored(folder: Path, reason: str) -> BuildCache:
    logger.warning(
        "notice: ignoring the build cache in %s: %s; building without it", folder, reason
    )
    return BuildCache()


def save_cache(folder: Path | None, data: BuildCache) -> None:
    """Replace the cache atomically; a cache that cannot be written only costs speed next time."""
    if folder is None:
        return
    try:
        _save_sources(folder, data)
        changed, removed, base = _save_pages(folder, data)
    except OSError as error:
        logger.warning("notice: could not write the build cache in %s: %s", folder, error)
        return
    # The last build's summary goes in the header only (load_cache takes it from there).
    changes = BuildCache(
        pages=changed,
        entries=data.entries,
        templates=data.templates,
        template_links=data.template_links,
    )
    with _collector_paused():
        payload = pickle.dumps((changes, removed, base), protocol=pickle.HIGHEST_PROTOCOL)
    last = None
    if data.last_build is not None:
        # Shallow: asdict would deep-copy every content file's status tuple, for nothing.
        last = {f.name: getattr(data.last_build, f.name) for f in dataclasses.fields(LastBuild)}
        until = data.last_build.valid_until
        last["valid_until"] = until.isoformat() if until else None
    header = {
        "stamp": stamp(),
        "checksum": hashlib.sha256(payload).hexdigest(),
        "last_build": last,
    }
    try:
        _replace(folder, CACHE_FILE, MAGIC + json.dumps(header).encode() + b"\n", payload)
    except OSError as error:
        logger.warning("notice: could not write the build cache in %s: %s", folder, error)


def _save_sources(folder: Path, data: BuildCache) -> None:
    """Documents, bodies and the site: only what changed since the sources file, when it is
    little and the site is that file's site with some entries replaced (patch.py)."""
    keys = set(data.documents)
    fresh = keys - data.stored
    changed = len(fresh) + len(data.stored - keys)
    few = changed <= ADDED_SHARE * len(keys) and (folder / SOURCES_FILE).is_file()
    append = data.stored and few and data.site_patch is not None
    name, wanted = (SOURCES_ADDED, fresh) if append else (SOURCES_FILE, keys)
    sources = {key: (data.documents[key], data.bodies[key]) for key in wanted}
    # One pickle, so the site's documents and bodies are stored once, shared with `sources`.
    part = (sources, data.site_patch) if append else (sources, data.site)
    buffer = io.BytesIO()
    # The whole file keeps its long texts after the pickle (cache_texts.py); the few entries
    # added after it are small, and read whole.
    pickler = TextsPickler(buffer, {} if append else _text_fields())
    with _collector_paused():
        pickler.dump(part)
    payload, texts = buffer.getvalue(), bytes(pickler.texts)
    header = {
        "stamp": stamp(),
        "checksum": hashlib.sha256(payload).hexdigest(),
        "length": len(payload),
        "texts_crc": zlib.crc32(texts),
    }
    _replace(folder, name, MAGIC + json.dumps(header).encode() + b"\n", payload, texts)
    if name == SOURCES_FILE:
        (folder / SOURCES_ADDED).unlink(missing_ok=True)


def _replace(folder: Path, name: str, head: bytes, *parts: bytes) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=folder, prefix=f".{name}.")
    with os.fdopen(descriptor, "wb") as file:
        file.write(head)
        for part in parts:
            file.write(part)
    Path(temporary).replace(folder / name)


def inputs_digest(paths: ProjectPaths, setup: str, sources: Sequence[SourceFile]) -> str:
    """Every byte a build reads, and where it writes: equal digests mean an equal build."""
    hasher = hashlib.sha256(setup.encode())
    for source in sources:
        hasher.update(f"content/{source.source}\0{source.digest}".encode())
    for path in sorted(_files_under(paths.templates)):
        hasher.update(f"{path}\0".encode() + hashlib.sha256(path.read_bytes()).digest())
    return hasher.hexdigest()


def setup_digest(paths: ProjectPaths, options: BuildOptions) -> str:
    """What a build reads besides content and templates (settings, static files, options) and
    where it writes. A build with the same setup may reuse the last build's linked site."""
    hasher = hashlib.sha256()
    where = (options.include_drafts, options.include_future, str(paths.output))
    hasher.update(repr(where).encode())
    for path in sorted(_files_under(paths.static)):
        hasher.update(f"{path}\0".encode() + hashlib.sha256(path.read_bytes()).digest())
    if paths.settings.exists():
        hasher.update(b"settings\0" + paths.settings.read_bytes())
    return hasher.hexdigest()


def _files_under(folder: Path) -> list[Path]:
    found = []
    for root, _, names in os.walk(folder, followlinks=True):
        found += [Path(root) / name for name in names]
    return found


def unchanged_build(
    last: LastBuild | None,
    options: BuildOptions,
    inputs: str,
    output: DiskOutput | MemoryOutput | None,
) -> LastBuild | None:
    """The last build, if it read the same inputs and its output is still there untouched."""
    if not isinstance(output, DiskOutput):
        return None
    if last is None or last.inputs != inputs:
        return None
    if last.valid_until is not None and options.today >= last.valid_until:
        return None  # a future-dated entry is due today
    if output.manifest_digest() != last.manifest:
        return None
    manifest = output.read_manifest()
    folder = str(output.folder)
    # Plain strings: pathlib costs more than the stat itself for thousands of files.
    if not all(os.path.isfile(os.path.join(folder, path)) for path in manifest):  # noqa: PTH113, PTH118
        return None
    return last
