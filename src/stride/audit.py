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
    for output_file in files:
        if suffix(output_file.path) != ".html":
            continue
        path = f"site/{output_file.path}"
        problems += _csp_problems(path, output_file.data)[0]
        weight = _weight(output_file.data, shared_assets, budget_kb)
        if weight is not None:
            weights.append(PageWeight(path, weight))
            problems += _over_budget(path, weight, budget_kb)
    return problems, weights


def audit_page(
    page: OutputFile, shared_assets: Sequence[OutputFile], budget_kb: int
) -> tuple[list[Problem], bool]:
    """What audit_pages finds in one HTML page, and whether the page is clear: nothing in it
    even looks like a breach, so a splice into it can be audited locally (audit_spliced)."""
    if suffix(page.path) != ".html":
        return [], True  # feeds and sitemaps: the CSP is for pages
    path = f"site/{page.path}"
    problems, clear = _csp_problems(path, page.data)
    weight = _weight(page.data, shared_assets, budget_kb)
    return problems + _over_budget(path, weight, budget_kb), clear


def audit_spliced(
    page: OutputFile,
    spans: Sequence[tuple[int, int]],
    shared_assets: Sequence[OutputFile],
    budget_kb: int,
) -> tuple[list[Problem], bool]:
    """audit_page for a page made from a clear page by replacing bytes: `spans` are where the
    new bytes are. Anything that could look like a breach and was not in the clear page must
    touch a span, so only the bytes around the spans are searched; the whole page is audited
    only when something is found there, or when the page may be over its budget."""
    if suffix(page.path) != ".html":
        return [], True
    if _weight(page.data, shared_assets, budget_kb) is None and all(
        _clear_around(page.data, start, end) for start, end in spans
    ):
        return [], True
    return audit_page(page, shared_assets, budget_kb)


# What a handler's, a style's or a URL attribute's name and the spaces around it are made of.
_NAME_OR_SPACE = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ \t\n\r\f\v"
_AFTER_EQUALS = 10  # the longest safe URL start the search looks at, with '=' and a quote
_SCRIPT_OPENING = len(b"<script") + 1  # with the character \b looks at


def _clear_around(html: bytes, start: int, end: int) -> bool:
    """Whether nothing that _csp_problems looks for touches html[start:end], the rest of the
    page being clear. Each window below holds everything a match touching the span reads."""
    # A script tag reaching into the span starts at the last '<' before it or near it (a
    # plain tag holds no other '<'); each there must be plain, read on the whole page.
    tag = html.rfind(b"<", 0, start)
    first = min(tag, start - _SCRIPT_OPENING) if tag >= 0 else start - _SCRIPT_OPENING
    for found in _SCRIPT_TAG.finditer(html, max(first, 0), end + _SCRIPT_OPENING):
        if _PLAIN_SCRIPT_TAG.match(html, found.start()) is None:
            return False
    opening = len(b"<style") - 1
    if b"<style" in html[max(start - opening, 0) : end + opening].lower():
        return False
    # A suspect attribute is a separator, a name and spaces before an '=', and the URL start
    # after it: the window runs over names and spaces on both sides of the span.
    left = len(html[: max(start - _AFTER_EQUALS - 1, 0)].rstrip(_NAME_OR_SPACE)) - 1
    after = end + len(html[end:]) - len(html[end:].lstrip(_NAME_OR_SPACE))
    window = html[max(left, 0) : after + 1 + _AFTER_EQUALS].lower()
    return _SUSPECT_BACKWARDS.search(window[::-1]) is None


def _weight(html: bytes, shared_assets: Sequence[OutputFile], budget_kb: int) -> int | None:
    """The page's compressed weight with the CSS and JS, or None when it is light anyway."""
    # Compressed size never exceeds raw size, so light pages need no compressing at all.
    if len(html) + sum(len(asset.data) for asset in shared_assets) <= budget_kb * 1024:
        return None
    assets_compressed = _assets_gzip_size(tuple(asset.data for asset in shared_assets))
    return _gzip_size(html) + assets_compressed


def _over_budget(path: str, weight: int | None, budget_kb: int) -> list[Problem]:
    if weight is None or weight <= budget_kb * 1024:
        return []
    return [
        Problem(
            path,
            0,
            0,
            f"page weighs {weight / 1024:.1f} KB compressed (HTML, CSS and "
            f"JS), over the budget of {budget_kb} KB",
            "split or shorten the page, trim the template, or raise "
            "page_weight_budget_kb in stride.toml",
        )
    ]


def _csp_problems(path: str, html: bytes) -> tuple[list[Problem], bool]:
    """The page's breaches, and whether it was clear without parsing it."""
    # Most pages match nothing and are never parsed; a match may still be text that only looks
    # like markup (an escaped title inside an attribute), so matching pages are parsed as HTML.
    lowered = html.lower()
    plain = len(_PLAIN_SCRIPT_TAG.findall(html))
    # Counting every "<script" is cheaper than the exact pattern, and equal counts settle it.
    plain_scripts = lowered.count(b"<script") == plain or len(_SCRIPT_TAG.findall(html)) == plain
    if plain_scripts and not _suspect(lowered):
        return [], True
    finder = _Breaches()
    finder.feed(html.decode("utf-8", "replace"))
    finder.close()
    problems = [
        Problem(path, line, column, message, _CSP_HINT) for line, column, message in finder.found
    ]
    return problems, False


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
