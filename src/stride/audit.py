"""Checks the build's own output before it is written: the CSP holds and pages stay light.

The Content-Security-Policy in netlify.toml forbids inline scripts, inline styles and event
handler attributes; a template or Markdown change that adds one would silently break the live
site, so the build refuses it. JSON-LD data blocks are not scripts and are allowed.
"""

from __future__ import annotations

import functools
import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from html.parser import HTMLParser

from .errors import Problem
from .output import OutputFile, suffix

_SCRIPT_TAG = re.compile(rb"<script\b", re.IGNORECASE)
# The script tags templates write: an external file, or a JSON-LD data block.
_PLAIN_SCRIPT_TAG = re.compile(
    rb'<script (?:src="[^"<>]*"(?: defer| async)?|type="application/ld\+json")>'
)
# Anything else that could breach the CSP: a style element, or an attribute that starts after a
# separator (browsers also split attributes at a slash or straight after a quote, as in
# <img/src=x"onerror=y>) and is a style, a handler, or a URL that does not plainly start with a
# safe scheme or a path (a javascript: URL can be disguised with entities, case and spaces).
#
# Every such attribute has an '=', and the regex engine skips ahead to a literal fast, but not
# to a name after a separator (a pattern starting with a character class is tried at every
# byte: 0.2 ms on a 17 KB page). So the page is searched backwards, from each '=' to the name
# before it, in one pass; the value after the '=' is then before it, checked by lookbehinds.
# A URL value with spaces after the '=' counts as unsafe, as it always has.
_SPACE = rb"[ \t\n\r\f\v]*"
_SEPARATOR = rb"[ \t\n\r\f\v:/\"']"
_URL_NAMES = (b"href", b"src", b"formaction", b"action", b"data", b"poster", b"background")
_SAFE_URL_STARTS = (b"https://", b"http://", b"/", b"#", b"mailto:", b"tel:")


def _backwards(text: bytes) -> bytes:
    return re.escape(text[::-1])


_SUSPECT_BACKWARDS = re.compile(
    # From an '=': a URL attribute's name (checked first: most '=' are not one) and then, behind
    # the '=', a value that does not start safely; or a style or handler attribute's name.
    rb"=(?:(?=%(space)s(?:%(url_names)s)%(separator)s)%(not_safe)s"
    rb"|%(space)s(?:%(style)s|[a-z]+%(on)s)%(separator)s)"
    % {
        b"space": _SPACE,
        b"separator": _SEPARATOR,
        b"url_names": b"|".join(_backwards(name) for name in _URL_NAMES),
        b"not_safe": b"".join(
            b"(?<!" + _backwards(b"=" + quote + start) + b")"
            for quote in (b"", b'"', b"'")
            for start in _SAFE_URL_STARTS
        ),
        b"style": _backwards(b"style"),
        b"on": _backwards(b"on"),
    }
)
_URL_ATTRIBUTES = frozenset(
    {"href", "src", "action", "formaction", "xlink:href", "data", "poster", "background"}
)
_CSP_HINT = (
    "the CSP forbids it: move it to a template-linked file in static/ "
    "or remove it from the Markdown"
)


@dataclass(frozen=True, slots=True)
class PageWeight:
    path: str
    compressed_bytes: int


def audit_pages(
    files: Sequence[OutputFile], shared_assets: Sequence[OutputFile], budget_kb: int
) -> tuple[list[Problem], list[PageWeight]]:
    """Problems for CSP breaches and pages over budget; weights of the pages measured."""
    problems: list[Problem] = []
    weights: list[PageWeight] = []
    assets_raw = sum(len(asset.data) for asset in shared_assets)
    assets_compressed: int | None = None
    budget = budget_kb * 1024
    for output_file in files:
        if suffix(output_file.path) != ".html":
            continue
        path = f"site/{output_file.path}"
        problems += _csp_problems(path, output_file.data)
        # Compressed size never exceeds raw size, so light pages need no compressing at all.
        if len(output_file.data) + assets_raw <= budget:
            continue
        if assets_compressed is None:
            assets_compressed = _assets_gzip_size(tuple(asset.data for asset in shared_assets))
        weight = _gzip_size(output_file.data) + assets_compressed
        weights.append(PageWeight(path, weight))
        if weight > budget:
            problems.append(
                Problem(
                    path,
                    0,
                    0,
                    f"page weighs {weight / 1024:.1f} KB compressed (HTML, CSS and "
                    f"JS), over the budget of {budget_kb} KB",
                    "split or shorten the page, trim the template, or raise "
                    "page_weight_budget_kb in stride.toml",
                )
            )
    return problems, weights


def _csp_problems(path: str, html: bytes) -> list[Problem]:
    # Most pages match nothing and are never parsed; a match may still be text that only looks
    # like markup (an escaped title inside an attribute), so matching pages are parsed as HTML.
    lowered = html.lower()
    plain = len(_PLAIN_SCRIPT_TAG.findall(html))
    # Counting every "<script" is cheaper than the exact pattern, and equal counts settle it.
    plain_scripts = lowered.count(b"<script") == plain or len(_SCRIPT_TAG.findall(html)) == plain
    if plain_scripts and not _suspect(lowered):
        return []
    finder = _Breaches()
    finder.feed(html.decode("utf-8", "replace"))
    finder.close()
    return [
        Problem(path, line, column, message, _CSP_HINT) for line, column, message in finder.found
    ]


class _Breaches(HTMLParser):
    """Collects, from real tags and attributes only, what the strict CSP would block."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[int, int, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        line, offset = self.getpos()

        def report(message: str) -> None:
            self.found.append((line, offset + 1, message))

        values = {name: value or "" for name, value in attrs}
        data_block = values.get("type", "").strip().lower() == "application/ld+json"
        if tag == "script" and "src" not in values and not data_block:
            report("inline <script> in output")
        if tag == "style":
            report("inline <style> element in output")
        for name, value in attrs:
            if name == "style":
                report("inline style attribute in output")
            elif name.startswith("on"):
                report(f"event handler attribute '{name}' in output")
            elif name in _URL_ATTRIBUTES and _is_javascript(value or ""):
                report("javascript: URL in output")

    handle_startendtag = handle_starttag


def _suspect(lowered: bytes) -> bool:
    """Whether the page might hold a style element, a style or handler attribute or a bad URL."""
    return b"<style" in lowered or _SUSPECT_BACKWARDS.search(lowered[::-1]) is not None


def _is_javascript(url: str) -> bool:
    # Browsers ignore spaces and control characters around and inside the scheme.
    return re.sub(r"[\x00-\x20]", "", url).lower().startswith("javascript:")


@functools.lru_cache(maxsize=4)
def _assets_gzip_size(assets: tuple[bytes, ...]) -> int:
    # The build audits one page at a time, with the same CSS and JS: compress those once.
    return sum(_gzip_size(data) for data in assets)


def _gzip_size(data: bytes) -> int:
    return len(zlib.compress(data, 6)) + 18  # a gzip header and trailer around deflate data
