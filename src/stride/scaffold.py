"""`new`: writes a content file of a given type with every required field, ready to edit."""

from __future__ import annotations

import dataclasses
import datetime
import json
import re
from pathlib import Path

from .errors import UsageError, did_you_mean
from .schema import TYPES_BY_SINGULAR, ContentType, yaml_key
from .urls import slugify

MAX_SLUG = 80
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_YAML_UNSAFE = re.compile("[\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff]")


class AlreadyExists(Exception):
    """The file `new` would write is already there; we never overwrite an editor's work."""


def new_content(content_dir: Path, type_name: str, title: str, today: datetime.date) -> Path:
    content_type = TYPES_BY_SINGULAR.get(type_name)
    if content_type is None:
        raise UsageError(
            f"unknown content type '{type_name}': "
            + did_you_mean(type_name, list(TYPES_BY_SINGULAR))
        )
    try:
        title.encode("utf-8")
    except UnicodeEncodeError:  # bytes the terminal's encoding could not decode
        raise UsageError("the title is not valid UTF-8 text") from None
    # File names have a length limit (255 bytes); a URL name needs far fewer characters.
    slug = slugify(title)[:MAX_SLUG].rstrip("-")
    if not slug:
        raise UsageError(f"title '{title}' leaves nothing to use as a file name")
    path = content_dir / content_type.section / f"{slug}.md"
    if path.exists():
        raise AlreadyExists(f"{path} already exists; choose another title or edit that file")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(scaffold(content_type, title, today), encoding="utf-8")
    return path


def scaffold(content_type: ContentType, title: str, today: datetime.date) -> str:
    lines = ["---"]
    for field in dataclasses.fields(content_type.meta):
        required = field.default is dataclasses.MISSING
        key = yaml_key(field.name)
        if key == "title":
            value: object = title
        elif key == "date":
            value = today.isoformat()
        elif key == "draft":
            value = True
        elif required:
            value = field.metadata["example"]
        else:
            continue
        lines += _yaml_lines(key, value, field.metadata["help"])
    optional = [
        yaml_key(f.name)
        for f in dataclasses.fields(content_type.meta)
        if f.default is not dataclasses.MISSING and yaml_key(f.name) != "draft"
    ]
    lines.append(f"# optional: {', '.join(optional)}")
    lines += ["---", "", "Write the body here in Markdown. Use ## for sections.", ""]
    return "\n".join(lines)


def _yaml_lines(key: str, value: object, help_text: str) -> list[str]:
    comment = f"  # {help_text}"
    if key == "draft":
        comment = "  # delete this line to publish"
    if isinstance(value, list):
        if value and isinstance(value[0], dict):
            lines = [f"{key}:{comment}"]
            for item in value:
                first = True
                for item_key, item_value in item.items():
                    prefix = "  - " if first else "    "
                    lines.append(f"{prefix}{item_key}: {_scalar(item_value)}")
                    first = False
            return lines
        return [f"{key}: [{', '.join(_scalar(item) for item in value)}]{comment}"]
    return [f"{key}: {_scalar(value)}{comment}"]


def _scalar(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int) or (isinstance(value, str) and _DATE.match(value)):
        return str(value)
    # A JSON string is a valid YAML string, once the characters YAML reads as line breaks or
    # refuses outright (which JSON leaves raw) are escaped too.
    text = json.dumps(str(value), ensure_ascii=False)
    return _YAML_UNSAFE.sub(lambda match: f"\\u{ord(match.group()):04x}", text)
