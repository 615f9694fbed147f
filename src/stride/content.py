"""Splits each content file's front matter from its body and validates it against the schema.

Produces one Document per Markdown file, or Problems naming the file, line and fix. Reads only;
knows nothing of URLs or HTML. Finding and reading the files is sources.py's job.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING

from .cache_texts import stored_attribute
from .errors import Problem, did_you_mean
from .limits import MAX_FRONT_MATTER_BYTES
from .schema import TYPES_BY_SECTION, CommonMeta, ContentType
from .sources import SourceFile
from .urls import MAX_SLUG_LENGTH, is_valid_slug, normalise_tag, slugify

if TYPE_CHECKING:
    import yaml

    from .validate import RecordReader

FENCE = "---"


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
    keys: tuple[str, ...]  # the front matter's keys, interned: one string for the whole site
    key_lines: tuple[int, ...]  # the file line of each key, for later errors

    def line_of(self, key: str) -> int:
        return self.key_lines[self.keys.index(key)] if key in self.keys else 1

    def __reduce__(self) -> tuple[object, tuple[object, ...]]:
        # Field by field: one loaded from the cache may not have read its body yet.
        return (Document, tuple(getattr(self, field.name) for field in fields(Document)))

    if not TYPE_CHECKING:  # typed as the field it stands in for

        def __getattr__(self, name: str) -> str:
            return stored_attribute(self, name)  # body, loaded from the cache (cache_texts.py)


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
    # Imported here, with the YAML parser: a build that parses no file never loads them.
    from .validate import RecordReader

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
    # Interned, so the build cache stores each key once rather than once per document.
    keys = tuple(sys.intern(str(key.value)) for key, _ in node.value)
    lines = tuple(key.start_mark.line + 2 for key, _ in node.value)
    document = Document(source, content_type, slug, meta, body, body_line, digest, keys, lines)
    return document, []


def _compose(source: str, yaml_text: str) -> yaml.Node | Problem | None:
    """The front matter as YAML nodes; a syntax error is located on the file's own lines.

    Nodes, not constructed values: aliases stay shared references instead of being expanded,
    so an alias bomb costs no more than its text, and no tag ever constructs a Python object.
    """
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: faster
    first_line = 2  # the line after the opening '---'
    try:
        return yaml.compose(yaml_text, Loader=loader)
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
    import yaml

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
            elif len(slugify(name)) > MAX_SLUG_LENGTH:
                message = f"tag '{name[:40]}...' is too long for a URL name"
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
        if len(meta.slug) > MAX_SLUG_LENGTH:
            message = f"slug is {len(meta.slug)} characters long; the limit is {MAX_SLUG_LENGTH}"
            reader.problem_at_key(node, "slug", message, "shorten the slug")
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
    if len(slug) > MAX_SLUG_LENGTH:
        reader.problem_at(
            None,
            f"file name '{stem[:40]}...' is too long for a URL name (over {MAX_SLUG_LENGTH})",
            "rename the file with a shorter name, or add a shorter 'slug' field",
        )
        return None
    return slug
