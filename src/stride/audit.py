"""Checks the build's own output before it is written: the CSP holds and pages stay light.

The Content-Security-Policy in netlify.toml forbids inline scripts, inline styles and event
handler attributes; a template or Markdown change that adds one would silently break the live
site, so the build refuses it. JSON-LD data blocks are not scripts and are allowed.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from html.parser import HTMLParser

from .errors import Problem
from .output import OutputFile

_SCRIPT_TAG = re.compile(rb"<script\b", re.IGNORECASE)
# The script tags templates write: an external file, or a JSON-LD data block.
_PLAIN_SCRIPT_TAG = re.compile(
    rb'<script (?:src="[^"<>]*"(?: defer| async)?|type="application/ld\+json")>'
)
# Anything else that could breach the CSP: a style element or attribute, a handler, or a URL
# attribute that does not plainly start with a safe scheme or a path (a javascript: URL can be
# disguised with entities, case, spaces and tabs). One pattern per name, each starting with a
# literal, because the regex engine skips ahead to a literal fast; a single alternation starting
# with whitespace is tried at every character and cost 0.7 ms on a 16 KB page, this 0.13 ms.
# A match counts only where the name starts an attribute (see _suspect).
_SPACE = rb"[ \t\n\r\f\v]*"
_NOT_SAFE_URL = _SPACE + b"=" + _SPACE + rb"""(?!["']?(?:https?://|/|#|mailto:|tel:))"""
_SUSPECTS = tuple(
    re.compile(pattern)
    for pattern in (
        b"style" + _SPACE + b"=",
        b"on[a-z]+" + _SPACE + b"=",
        *(
            re.escape(name) + _NOT_SAFE_URL
            for name in (b"href", b"src", b"formaction", b"action", b"data", b"poster")
        ),
        b"background" + _NOT_SAFE_URL,
    )
)
# Browsers also split attributes at a slash or straight after a quote: <img/src=x"onerror=y>.
_BEFORE_ATTRIBUTE = frozenset(b" \t\n\r\f\v:/\"'")
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
        if output_file.path.suffix != ".html":
            continue
        path = f"site/{output_file.path}"
        problems += _csp_problems(path, output_file.data)
        # Compressed size never exceeds raw size, so light pages need no compressing at all.
        if len(output_file.data) + assets_raw <= budget:
            continue
        if assets_compressed is None:
            assets_compressed = sum(_gzip_size(asset.data) for asset in shared_assets)
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
    plain_scripts = len(_SCRIPT_TAG.findall(html)) == len(_PLAIN_SCRIPT_TAG.findall(html))
    if plain_scripts and not _suspect(html.lower()):
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
    if b"<style" in lowered:
        return True
    for pattern in _SUSPECTS:
        for match in pattern.finditer(lowered):
            # "content=" holds "ontent=": only a name after a separator (or xlink:) is an attribute.
            if match.start() > 0 and lowered[match.start() - 1] in _BEFORE_ATTRIBUTE:
                return True
    return False


def _is_javascript(url: str) -> bool:
    # Browsers ignore spaces and control characters around and inside the scheme.
    return re.sub(r"[\x00-\x20]", "", url).lower().startswith("javascript:")


def _gzip_size(data: bytes) -> int:
    return len(zlib.compress(data, 6)) + 18  # a gzip header and trailer around deflate data
