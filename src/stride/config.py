"""Reads the site settings file (stride.toml) into a frozen SiteConfig; unknown keys are errors.

Also the other inputs of a build besides content: its paths and command-line options.
"""

from __future__ import annotations

import dataclasses
import datetime
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from .errors import BuildError, Problem, did_you_mean

SETTINGS_FILE = "stride.toml"
# Whole-number settings below this make no sense (a page of 0 tags divides by zero); others
# may be 0, e.g. related_count = 0 turns related entries off.
_MINIMUM = {"tag_page_size": 1, "feed_size": 1, "page_weight_budget_kb": 1}


@dataclass(frozen=True, slots=True, kw_only=True)
class SiteConfig:
    """Site-wide settings. Every field has a default so a minimal stride.toml works."""

    title: str = "Stride"
    tagline: str = "Run stronger"
    description: str = "A static site"
    base_url: str = "http://localhost:8000"
    language: str = "en"
    author: str = "Stride"
    newsletter_form: str = "newsletter"
    tag_page_size: int = 10
    feed_size: int = 20
    latest_count: int = 4
    related_count: int = 3
    toc_min_headings: int = 3
    page_weight_budget_kb: int = 30
    social_image: str = "/images/social-card.png"

    @property
    def origin(self) -> str:
        return self.base_url.rstrip("/")


@dataclass(frozen=True, slots=True)
class BuildOptions:
    """What the command line chooses for one build, besides the paths."""

    include_drafts: bool = False
    include_future: bool = False
    today: datetime.date = datetime.date(1970, 1, 1)


@dataclass(frozen=True, slots=True)
class ProjectPaths:
    """Where a build reads from and writes to; all absolute."""

    root: Path
    content: Path
    templates: Path
    static: Path
    output: Path
    cache: Path | None

    @property
    def settings(self) -> Path:
        return self.root / SETTINGS_FILE


def load_config(path: Path) -> SiteConfig:
    """Parse and check stride.toml; a missing file gives the defaults."""
    if not path.exists():
        return SiteConfig()
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        message = f"file is not UTF-8 (byte 0x{raw[error.start]:02x})"
        raise BuildError([Problem(path.name, line, 1, message, "save it as UTF-8")]) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        line, column, message = _located_toml_error(str(error))
        raise BuildError(
            [Problem(path.name, line, column, f"invalid TOML: {message}", "fix the syntax")]
        ) from None
    fields = {field.name: field for field in dataclasses.fields(SiteConfig)}
    problems: list[Problem] = []
    values: dict[str, object] = {}
    for key, value in data.items():
        line = _line_of_key(text, key)
        if key not in fields:
            message = f"unknown setting '{key}'"
            problems.append(Problem(path.name, line, 1, message, did_you_mean(key, list(fields))))
            continue
        expected = type(getattr(SiteConfig(), key))
        if type(value) is not expected:
            message = f"'{key}' must be {expected.__name__}, not {type(value).__name__}"
            problems.append(Problem(path.name, line, 1, message, f"e.g. {key} = {_example(key)}"))
            continue
        if isinstance(value, str) and not value.strip():
            message = f"'{key}' is empty"
            problems.append(Problem(path.name, line, 1, message, f"e.g. {key} = {_example(key)}"))
            continue
        if isinstance(value, int) and value < _MINIMUM.get(key, 0):
            message = f"'{key}' must be at least {_MINIMUM.get(key, 0)}, not {value}"
            problems.append(Problem(path.name, line, 1, message, f"e.g. {key} = {_example(key)}"))
            continue
        values[key] = value
    if problems:
        raise BuildError(problems)
    config = SiteConfig(**values)  # type: ignore[arg-type]
    if not re.match(r"^https?://[^/\s]+(/\S*)?$", config.base_url):
        line = _line_of_key(text, "base_url")
        raise BuildError(
            [
                Problem(
                    path.name,
                    line,
                    1,
                    "base_url must be an absolute http(s) URL",
                    'e.g. base_url = "https://example.com"',
                )
            ]
        )
    return config


def _example(key: str) -> str:
    return repr(getattr(SiteConfig(), key)).replace("'", '"')


def _line_of_key(text: str, key: str) -> int:
    for number, line in enumerate(text.splitlines(), start=1):
        if re.match(rf"^\s*{re.escape(key)}\s*=", line):
            return number
    return 0


def _located_toml_error(message: str) -> tuple[int, int, str]:
    """tomllib's message ends '(at line L, column C)': the position, and the message without it."""
    match = re.search(r" \(at line (\d+), column (\d+)\)$", message)
    if match is None:
        return 0, 0, message
    return int(match.group(1)), int(match.group(2)), message[: match.start()]
