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

from .errors import Problem
from .output import OutputFile

_SCRIPT = re.compile(rb"<script\b([^>]*)>", re.IGNORECASE)
_STYLE_ELEMENT = re.compile(rb"<style\b", re.IGNORECASE)
_STYLE_ATTRIBUTE = re.compile(rb"<[a-zA-Z][^>]*?\sstyle\s*=", re.IGNORECASE)
_HANDLER = re.compile(rb"<[a-zA-Z][^>]*?\s(on[a-z]+)\s*=", re.IGNORECASE)
_JS_URL = re.compile(
    rb"""<[a-zA-Z][^>]*?\s(?:href|src|action)\s*=\s*["']?\s*javascript:""", re.IGNORECASE
)
_DATA_BLOCK = re.compile(rb"""type\s*=\s*["']?application/ld\+json""", re.IGNORECASE)
_EXTERNAL = re.compile(rb"""\ssrc\s*=""", re.IGNORECASE)


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
    problems = []

    def report(match: re.Match[bytes], message: str) -> None:
        line = html.count(b"\n", 0, match.start()) + 1
        problems.append(
            Problem(
                path,
                line,
                0,
                message,
                "the CSP forbids it: move it to a template-linked file in static/ "
                "or remove it from the Markdown",
            )
        )

    for match in _SCRIPT.finditer(html):
        attributes = match.group(1)
        if not (_DATA_BLOCK.search(attributes) or _EXTERNAL.search(attributes)):
            report(match, "inline <script> in output")
    for match in _STYLE_ELEMENT.finditer(html):
        report(match, "inline <style> element in output")
    for match in _STYLE_ATTRIBUTE.finditer(html):
        report(match, "inline style attribute in output")
    for match in _HANDLER.finditer(html):
        report(match, f"event handler attribute '{match.group(1).decode()}' in output")
    for match in _JS_URL.finditer(html):
        report(match, "javascript: URL in output")
    return problems


def _gzip_size(data: bytes) -> int:
    return len(zlib.compress(data, 6)) + 18  # a gzip header and trailer around deflate data
