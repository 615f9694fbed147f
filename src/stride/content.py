"""Walks content/, splits front matter from body and validates it against the schema.

Produces one Document per Markdown file, or Problems naming the file, line and fix. Reads only;
knows nothing of URLs or HTML.
"""

from __future__ import annotations

import hashlib
import os
import stat
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from .errors import Problem, did_you_mean
from .limits import MAX_FILE_BYTES, MAX_FRONT_MATTER_BYTES
from .schema import TYPES_BY_SECTION, CommonMeta, ContentType
from .urls import is_valid_slug, normalise_tag, slugify
from .validate import RecordReader

FENCE = "---"
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: same nodes, faster


@dataclass(frozen=True)
class Document:
    """One validated content file."""

    source: str  # path relative to the content folder, with forward slashes
    content_type: ContentType
    slug: str
    meta: CommonMeta
    body: str
    body_line: int  # file line on which the Markdown body starts
    digest: str  # SHA-256 of the file's bytes
    key_lines: tuple[tuple[str, int], ...]  # front-matter key -> file line, for later errors

    def line_of(self, key: str) -> int:
        return dict(self.key_lines).get(key, 1)


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
            return handle.read(MAX_FILE_BYTES + 1)


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
            Problem(where, 1, 1, f"folder cannot be read: {error.strerror}", _UNREADABLE_HINT)
        )
    return files, problems


_UNREADABLE_HINT = "check that it still exists and that you may read it"


def _read_source(
    relative: str, absolute: Path, root: Path, known: KnownFiles | None
) -> SourceFile | Problem | None:
    """One walked entry as a SourceFile, a Problem, or None for a folder to skip."""
    name_problem = _name_problem(relative)
    if name_problem is not None:
        return name_problem
    try:
        info = absolute.stat()  # follows links: a dangling link or a loop raises here
        if absolute.is_symlink() and not _inside(Path(os.path.realpath(absolute)), root):
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
            return SourceFile(relative, None, digest, status, str(absolute))
        data = b""
        if info.st_size <= MAX_FILE_BYTES:
            with absolute.open("rb") as handle:
                data = handle.read(MAX_FILE_BYTES + 1)  # never more, even if the file grew
    except OSError as error:
        if absolute.is_symlink():
            hint = "point the link at an existing file inside content/, or delete it"
            return Problem(relative, 1, 1, f"broken symlink: {error.strerror}", hint)
        return Problem(relative, 1, 1, f"file cannot be read: {error.strerror}", _UNREADABLE_HINT)
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


def _name_problem(relative: str) -> Problem | None:
    """File names end up in messages and URLs: they must be text that prints on one line."""
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


def _walk(content_dir: Path, errors: list[OSError]) -> Iterator[tuple[str, Path]]:
    for folder, dirnames, filenames in os.walk(content_dir, onerror=errors.append):
        dirnames[:] = sorted(name for name in dirnames if _is_content_name(name))
        base = Path(folder)
        entries = [name for name in filenames if _is_content_name(name)]
        # Symlinked folders are not descended into, but are checked like files.
        entries += [name for name in dirnames if (base / name).is_symlink()]
        for name in sorted(entries):
            absolute = base / name
            yield absolute.relative_to(content_dir).as_posix(), absolute


def _is_content_name(name: str) -> bool:
    # Hidden files and editors' backup and lock files (x.md~, #x.md#) come and go while
    # someone edits; they are never content.
    return not (name.startswith((".", "#")) or name.endswith("~"))


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def parse_document(source_file: SourceFile) -> tuple[Document | None, list[Problem]]:
    """Split, parse and validate one file; never raises for bad content."""
    source = source_file.source
    section = source.split("/", 1)[0] if "/" in source else ""
    content_type = TYPES_BY_SECTION.get(section)
    if content_type is None:
        hint = "put it in one of: " + ", ".join(f"content/{name}/" for name in TYPES_BY_SECTION)
        if section:
            hint = f"unknown folder '{section}': " + did_you_mean(section, list(TYPES_BY_SECTION))
        return None, [Problem(source, 0, 0, "file is not in a content type's folder", hint)]
    text, problem = _decode(source_file)
    if problem:
        return None, [problem]
    assert text is not None
    split = _split_front_matter(source, text)
    if isinstance(split, Problem):
        return None, [split]
    yaml_text, body, body_line = split
    node = _compose(source, yaml_text)
    if isinstance(node, Problem):
        return None, [node]
    reader = RecordReader(source, first_line=2)
    if node is None:
        reader.problem_at(None, "front matter is empty", "add at least title, date and summary")
        return None, reader.problems
    meta = reader.record(content_type.meta, node)
    if meta is None:
        return None, reader.problems
    slug = _slug_for(source, meta, reader, node)
    _check_tags(reader, node)
    if slug is None or reader.problems or (meta.image and not meta.image_alt):
        if meta.image and not meta.image_alt:
            reader.problem_at_key(
                node,
                "image",
                "'image' needs 'image_alt'",
                "describe the image for people "
                "who cannot see it, e.g. image_alt: A runner doing a squat",
            )
        return None, reader.problems
    digest = source_file.digest
    key_lines = tuple((str(key.value), key.start_mark.line + 2) for key, _ in node.value)
    document = Document(source, content_type, slug, meta, body, body_line, digest, key_lines)
    return document, []


def _compose(source: str, yaml_text: str) -> yaml.Node | Problem | None:
    """The front matter as YAML nodes; a syntax error is located on the file's own lines.

    Nodes, not constructed values: aliases stay shared references instead of being expanded,
    so an alias bomb costs no more than its text, and no tag ever constructs a Python object.
    """
    first_line = 2  # the line after the opening '---'
    try:
        return yaml.compose(yaml_text, Loader=_Loader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + first_line if mark else first_line
        column = mark.column + 1 if mark else 1
        problem = str(error.problem or error.context)
        lines = yaml_text.split("\n")
        at = (
            lines[mark.line][mark.column : mark.column + 1]
            if mark and mark.line < len(lines)
            else ""
        )
        if at == "\t":
            problem += " (a tab)"
        message = f"invalid YAML in front matter: {problem}"
        return Problem(source, line, column, message, _yaml_hint(problem))
    except yaml.reader.ReaderError as error:
        before = yaml_text[: error.position]
        line = first_line + before.count("\n")
        column = error.position - (before.rfind("\n") + 1) + 1
        message = f"front matter holds an invisible control character (#x{error.character:04x})"
        hint = "delete it; it often comes from copying text out of a PDF or a word processor"
        return Problem(source, line, column, message, hint)
    except RecursionError:  # only the pure-Python parser recurses; libyaml caps the depth itself
        return Problem(
            source, first_line, 1, "front matter is nested too deeply", "flatten the lists"
        )


def _yaml_hint(problem: str) -> str:
    if "tab" in problem:
        return "indent with spaces, not tabs"
    if "alias" in problem:
        return "define an anchor (&name) before referring to it (*name), or quote the '*'"
    if "nesting depth" in problem:
        return "nest lists and mappings less deeply"
    return "check quoting: values containing ': ' or starting with [ { * & ! need quotes"


def _decode(source_file: SourceFile) -> tuple[str | None, Problem | None]:
    source, data = source_file.source, source_file.read()
    if not data.strip():
        return None, Problem(
            source,
            0,
            0,
            "file is empty",
            "start it with front matter between '---' lines, or delete it",
        )
    if b"\0" in data:
        return None, Problem(
            source,
            0,
            0,
            "file is binary, not Markdown text",
            "content/ holds Markdown text files only",
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        column = error.start - (data.rfind(b"\n", 0, error.start) + 1) + 1
        return None, Problem(
            source,
            line,
            column,
            f"file is not UTF-8 (byte 0x{data[error.start]:02x})",
            "save the file as UTF-8 in your editor",
        )
    return text.replace("\r\n", "\n").replace("\r", "\n"), None


def _split_front_matter(source: str, text: str) -> tuple[str, str, int] | Problem:
    lines = text.split("\n")
    if lines[0].rstrip() != FENCE:
        return Problem(
            source,
            1,
            1,
            "file does not start with front matter",
            "make the first line '---', then the fields, then another '---'",
        )
    for index in range(1, len(lines)):
        if lines[index].rstrip() == FENCE:
            yaml_text = "\n".join(lines[1:index])
            if len(yaml_text) > MAX_FRONT_MATTER_BYTES:
                return Problem(
                    source,
                    1,
                    1,
                    "front matter is too large",
                    f"keep it under {MAX_FRONT_MATTER_BYTES // 1024} KiB",
                )
            return yaml_text, "\n".join(lines[index + 1 :]), index + 2
    return Problem(
        source,
        1,
        1,
        "front matter is not closed",
        "add a line '---' after the last front-matter field",
    )


def _check_tags(reader: RecordReader, mapping: yaml.Node) -> None:
    """Each tag becomes a folder name under /tags/: report the ones that cannot, where they are."""
    if not isinstance(mapping, yaml.MappingNode):
        return
    for key_node, value_node in mapping.value:
        if key_node.value != "tags" or not isinstance(value_node, yaml.SequenceNode):
            continue
        for item in value_node.value:
            name = normalise_tag(str(item.value))
            if any(separator in name for separator in ("/", "\\", "..")):
                message = f"tag '{name}' holds '/', '\\' or '..', which cannot be in a URL"
            elif not slugify(name):
                message = f"tag '{name}' leaves nothing to use as a URL name"
            else:
                continue
            reader.problem_at(item, message, "use words, digits and spaces, e.g. tags: [strength]")


def _slug_for(source: str, meta: CommonMeta, reader: RecordReader, node: yaml.Node) -> str | None:
    if meta.slug is not None:
        if not is_valid_slug(meta.slug):
            suggestion = slugify(meta.slug.replace("/", "-"))
            hint = (
                f"use lowercase letters, digits and hyphens, e.g. slug: {suggestion or 'my-page'}"
            )
            reader.problem_at_key(node, "slug", f"slug '{meta.slug}' is not a valid URL name", hint)
            return None
        return meta.slug
    stem = source.rsplit("/", 1)[-1].removesuffix(".md")
    slug = slugify(stem)
    if not slug:
        reader.problem_at(
            None,
            f"file name '{stem}' leaves nothing to use as a URL name",
            "rename the file with letters or digits, or add a 'slug' field",
        )
        return None
    return slug


def load_documents(
    content_dir: Path, known: Mapping[tuple[str, str], Document] | None = None
) -> tuple[list[Document], list[Problem]]:
    """Phase one, part one: every content file, validated, with every problem found."""
    files, problems = walk_sources(content_dir)
    documents, found = parse_documents(files, known)
    return documents, problems + found


def parse_documents(
    files: Sequence[SourceFile], known: Mapping[tuple[str, str], Document] | None = None
) -> tuple[list[Document], list[Problem]]:
    """Parse and validate files; `known` holds documents already parsed, by (source, SHA-256).

    A file is parsed from its source path and bytes alone, so a known document is reused as is.
    """
    documents: list[Document] = []
    problems: list[Problem] = []
    for source_file in files:
        if known:
            cached = known.get((source_file.source, source_file.digest))
            if cached is not None:
                documents.append(cached)
                continue
        readable = source_file
        if source_file.data is None:  # trusted by status, but not in the cache after all
            try:
                readable = SourceFile.of(source_file.source, source_file.read())
            except OSError as error:
                message = f"file cannot be read: {error.strerror}"
                problems.append(Problem(source_file.source, 1, 1, message, _UNREADABLE_HINT))
                continue
        document, found = parse_document(readable)
        problems.extend(found)
        if document is not None:
            documents.append(document)
    return documents, problems
