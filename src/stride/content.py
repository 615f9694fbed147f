"""Walks content/, splits front matter from body and validates it against the schema.

Produces one Document per Markdown file, or Problems naming the file, line and fix. Reads only;
knows nothing of URLs or HTML.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from .errors import Problem, did_you_mean
from .schema import TYPES_BY_SECTION, CommonMeta, ContentType
from .urls import is_valid_slug, slugify
from .validate import RecordReader

MAX_FILE_BYTES = 1024 * 1024
MAX_FRONT_MATTER_BYTES = 64 * 1024
FENCE = "---"
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: same nodes, faster


@dataclass(frozen=True, slots=True)
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


@dataclass(frozen=True, slots=True)
class SourceFile:
    source: str
    data: bytes


def walk_sources(content_dir: Path) -> tuple[list[SourceFile], list[Problem]]:
    """Every Markdown file under content_dir, sorted, refusing links that leave the folder."""
    files: list[SourceFile] = []
    problems: list[Problem] = []
    root = content_dir.resolve()
    for relative, absolute in _walk(content_dir):
        if absolute.is_symlink() and not _inside(absolute.resolve(), root):
            problems.append(
                Problem(
                    relative,
                    0,
                    0,
                    "symlink points outside the content folder",
                    "copy the file into content/ instead of linking to it",
                )
            )
            continue
        if absolute.is_dir():
            continue  # a symlinked folder inside content/: its files are walked directly
        if not relative.endswith(".md"):
            problems.append(
                Problem(
                    relative,
                    0,
                    0,
                    "not a Markdown file",
                    "content/ holds .md files only; put images in static/",
                )
            )
            continue
        size = absolute.stat().st_size
        if size > MAX_FILE_BYTES:
            problems.append(
                Problem(
                    relative,
                    0,
                    0,
                    f"file is too large ({size} bytes)",
                    f"keep content files under {MAX_FILE_BYTES // 1024} KiB",
                )
            )
            continue
        files.append(SourceFile(relative, absolute.read_bytes()))
    return files, problems


def _walk(content_dir: Path) -> Iterator[tuple[str, Path]]:
    for folder, dirnames, filenames in os.walk(content_dir):
        dirnames[:] = sorted(name for name in dirnames if not name.startswith("."))
        base = Path(folder)
        entries = sorted(name for name in filenames if not name.startswith("."))
        # Symlinked folders are not descended into, but are checked like files.
        entries += sorted(name for name in dirnames if (base / name).is_symlink())
        for name in sorted(entries):
            absolute = base / name
            yield absolute.relative_to(content_dir).as_posix(), absolute


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
    try:
        node = yaml.compose(yaml_text, Loader=_Loader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        line = mark.line + 2 if mark else 0
        column = mark.column + 1 if mark else 0
        message = f"invalid YAML in front matter: {error.problem}"
        hint = "check quoting: values containing ': ' or starting with [ { * & ! need quotes"
        return None, [Problem(source, line, column, message, hint)]
    reader = RecordReader(source, first_line=2)
    if node is None:
        reader.problem_at(None, "front matter is empty", "add at least title, date and summary")
        return None, reader.problems
    meta = reader.record(content_type.meta, node)
    if meta is None:
        return None, reader.problems
    slug = _slug_for(source, meta, reader, node)
    if slug is None or (meta.image and not meta.image_alt):
        if meta.image and not meta.image_alt:
            reader.problem_at_key(
                node,
                "image",
                "'image' needs 'image_alt'",
                "describe the image for people "
                "who cannot see it, e.g. image_alt: A runner doing a squat",
            )
        return None, reader.problems
    digest = hashlib.sha256(source_file.data).hexdigest()
    key_lines = tuple((str(key.value), key.start_mark.line + 2) for key, _ in node.value)
    document = Document(source, content_type, slug, meta, body, body_line, digest, key_lines)
    return document, []


def _decode(source_file: SourceFile) -> tuple[str | None, Problem | None]:
    source, data = source_file.source, source_file.data
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
            digest = hashlib.sha256(source_file.data).hexdigest()
            cached = known.get((source_file.source, digest))
            if cached is not None:
                documents.append(cached)
                continue
        document, found = parse_document(source_file)
        problems.extend(found)
        if document is not None:
            documents.append(document)
    return documents, problems
