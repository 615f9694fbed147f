"""A converted Markdown body as the rest of the build sees it: its HTML, contents, links and length.

Kept apart from the converter (markdown.py) so that a build that converts nothing, or loads
converted bodies from its cache, never imports Python-Markdown.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

from .cache_texts import stored_attribute

SOURCE_SCHEME = "stride:"  # how a converted link to another content file is marked
WORDS_PER_MINUTE = 220
_ID = re.compile(r'\sid="([^"]+)"')


@dataclass(frozen=True)
class TocEntry:
    level: int
    anchor: str
    title: str  # already HTML-escaped by Python-Markdown
    children: tuple[TocEntry, ...]


@dataclass(frozen=True)
class LinkRef:
    """A link found in a body: what the editor wrote and what it points to."""

    written: str  # the href as written in the Markdown
    kind: str  # "source" (another .md file), "url" (a site path) or "anchor" (this page)
    target: str  # content-relative .md path, site path, or "" for this page
    fragment: str


@dataclass(frozen=True)
class RenderedBody:
    """A converted body. Its contents and anchors are read from `outline` and `html` when first
    needed: the build cache holds every body of the site, and a rebuild reads only a few of
    them, so it need not make some thirty objects per body to load the rest."""

    html: str
    outline: str  # the table of contents, as JSON lists: [level, anchor, title, [children]]
    links: tuple[LinkRef, ...]
    words: int

    def __reduce__(self) -> tuple[object, tuple[object, ...]]:
        return (RenderedBody, (self.html, self.outline, self.links, self.words))  # no caches

    if not TYPE_CHECKING:  # typed as the field it stands in for

        def __getattr__(self, name: str) -> str:
            return stored_attribute(self, name)  # html, loaded from the cache (cache_texts.py)

    @cached_property
    def toc(self) -> tuple[TocEntry, ...]:
        return tuple(_toc_entry(item) for item in json.loads(self.outline))

    @cached_property
    def anchors(self) -> frozenset[str]:
        return frozenset(_ID.findall(self.html))

    @property
    def reading_minutes(self) -> int:
        return max(1, -(-self.words // WORDS_PER_MINUTE))


def _toc_entry(item: list[Any]) -> TocEntry:
    level, anchor, title, children = item
    return TocEntry(level, anchor, title, tuple(_toc_entry(child) for child in children))
