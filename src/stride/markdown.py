"""One configured Python-Markdown converter: body -> sanitised HTML, contents, anchors, links.

The result depends only on the document's own text and source path, so it can be cached by
content hash and computed in parallel. Links to other documents are left as `stride:` references
that the site model resolves once every URL is known.
"""

from __future__ import annotations

import json
import posixpath
import re
import xml.etree.ElementTree as ET

import markdown
import nh3
from markdown.extensions import Extension
from markdown.extensions.abbr import AbbrExtension
from markdown.extensions.attr_list import AttrListExtension
from markdown.extensions.def_list import DefListExtension
from markdown.extensions.fenced_code import FencedCodeExtension
from markdown.extensions.footnotes import FootnoteExtension
from markdown.extensions.sane_lists import SaneListExtension
from markdown.extensions.tables import TableExtension
from markdown.extensions.toc import TocExtension
from markdown.treeprocessors import Treeprocessor

from .body import SOURCE_SCHEME, LinkRef, RenderedBody
from .errors import BuildError
from .limits import (
    CONVERT_SECONDS,
    TooSlow,
    deadline,
    too_deep_to_convert,
    too_slow_to_convert,
)
from .markdown_trim import ProcessorTrimmer


# No "smarty": it doubles the cost of every body (about 6 ms of 12), and editors can type
# typographic quotes and dashes themselves, as the shipped content does.
def markdown_extensions() -> list[Extension]:
    """The extensions every body is converted with. Instances, not names: Python-Markdown looks
    a name up among the installed packages' entry points, which costs 0.2 s per process."""
    return [
        TocExtension(toc_depth="2-3"),
        TableExtension(),
        FencedCodeExtension(),
        AttrListExtension(),
        FootnoteExtension(),
        DefListExtension(),
        AbbrExtension(),
        SaneListExtension(),
    ]


_EXTERNAL = re.compile(r"^(https?:|mailto:|tel:)", re.IGNORECASE)
_ALIGN = re.compile(r"text-align:\s*(left|right|center)")
_TAGS = re.compile(r"<[^>]+>")


class _LinkCollector(Treeprocessor):
    """Records every internal link and marks links to other .md files for later resolution.

    It also tells whether the body needs the sanitiser: Markdown without raw HTML can only make
    elements from a fixed set, and attributes only through attr_list or a link's URL, all seen
    here. When every element, attribute and URL is on the sanitiser's own allowlist, sanitising
    could change nothing, so it is skipped (it costs a tenth of a conversion); anything else,
    and any raw HTML at all, goes through it.
    """

    def __init__(self, md: markdown.Markdown) -> None:
        super().__init__(md)
        self.source = ""
        self.links: list[LinkRef] = []
        self.plainly_safe = True

    def run(self, root: ET.Element) -> None:
        for element in root.iter():
            if self.plainly_safe and not _plainly_safe(element):
                self.plainly_safe = False
            style = element.get("style")
            if style is not None:
                # Tables align cells with style attributes, which a strict CSP forbids.
                del element.attrib["style"]
                align = _ALIGN.search(style)
                if align:
                    element.set("class", f"align-{align.group(1)}")
            if element.tag == "a" and element.get("href") is not None:
                self._collect(element)

    def _collect(self, element: ET.Element) -> None:
        href = element.get("href", "")
        if _EXTERNAL.match(href) or href.startswith("//"):
            return
        path, _, fragment = href.partition("#")
        if not path:
            self.links.append(LinkRef(href, "anchor", "", fragment))
        elif path.startswith("/"):
            self.links.append(LinkRef(href, "url", path, fragment))
        elif path.endswith(".md"):
            folder = posixpath.dirname(self.source)
            target = posixpath.normpath(posixpath.join(folder, path))
            self.links.append(LinkRef(href, "source", target, fragment))
            element.set("href", SOURCE_SCHEME + target + (f"#{fragment}" if fragment else ""))
        else:
            self.links.append(LinkRef(href, "relative", path, fragment))


class _Collect(Extension):
    def extendMarkdown(self, md: markdown.Markdown) -> None:
        md.treeprocessors.register(_LinkCollector(md), "stride_links", 1)


class BodyConverter:
    """Python-Markdown set up once and reset for each document (building it costs ~10 ms)."""

    def __init__(self, *, trim: bool = True) -> None:
        """`trim=False` runs every processor on every body, as Python-Markdown does."""
        self._md = markdown.Markdown(
            extensions=[*markdown_extensions(), _Collect()],
            output_format="html",
        )
        self._collector: _LinkCollector = self._md.treeprocessors["stride_links"]  # type: ignore[assignment]
        self._trimmer = ProcessorTrimmer(self._md) if trim else None

    def convert(self, source: str, body: str) -> RenderedBody:
        self._md.reset()
        if self._trimmer is not None:
            self._trimmer.prepare(body)
        self._collector.source = source
        self._collector.links = []
        self._collector.plainly_safe = True
        try:
            with deadline(CONVERT_SECONDS):  # Python-Markdown is quadratic on some input
                html = self._md.convert(body)
        except TooSlow:
            raise BuildError([too_slow_to_convert(source)]) from None
        except RecursionError:  # e.g. thousands of nested '*'
            raise BuildError([too_deep_to_convert(source)]) from None
        outline = json.dumps([_outline(token) for token in getattr(self._md, "toc_tokens", [])])
        if self._md.htmlStash.html_counter or not self._collector.plainly_safe:
            html = sanitise(html)
        # Words as readers count them, between spaces (as Hugo does): "don't" is one word.
        # Splitting is also three times as fast as matching each word with a regex.
        words = len(_TAGS.sub("", html).split())
        return RenderedBody(html, outline, tuple(self._collector.links), words)


def _outline(token: dict[str, object]) -> list[object]:
    children = token.get("children") or []
    assert isinstance(children, list)
    return [
        int(str(token["level"])),
        str(token["id"]),
        str(token["name"]),
        [_outline(child) for child in children],
    ]


_GENERIC_ATTRIBUTES = {"id", "class", "title", "lang", "dir"}
_ATTRIBUTES: dict[str, set[str]] = {
    "*": _GENERIC_ATTRIBUTES,
    "a": {"href", "rel", "hreflang"},
    "img": {"src", "alt", "width", "height", "loading", "decoding"},
    "th": {"colspan", "rowspan", "scope"},
    "td": {"colspan", "rowspan"},
    "ol": {"start", "reversed", "type"},
    "abbr": {"title"},
    "time": {"datetime"},
}


_ALLOWED_TAGS = nh3.ALLOWED_TAGS - {"center", "strike", "tt", "acronym"}
_URL_ATTRIBUTES = frozenset({"href", "src"})
# A URL the sanitiser keeps as it is: an allowed scheme, or a path whose first segment has no
# colon; no spaces or control characters, which browsers drop to reveal a hidden scheme.
_PLAIN_URL = re.compile(
    r"(?:https?://|mailto:|tel:|" + SOURCE_SCHEME + r"|[^:/?#]*(?:[/?#]|\Z))[^\x00-\x20\x7f]*\Z",
    re.IGNORECASE,
)


def _plainly_safe(element: ET.Element) -> bool:
    """Whether the sanitiser would leave this element exactly as it is."""
    if element.tag not in _ALLOWED_TAGS:
        return False
    allowed = _ATTRIBUTES.get(element.tag, ())
    for name, value in element.attrib.items():
        if name not in _GENERIC_ATTRIBUTES and name not in allowed and name != "style":
            return False
        if name in _URL_ATTRIBUTES and not _PLAIN_URL.match(value):
            return False
    return True


def sanitise(html: str) -> str:
    """Editors are trusted, but scripts, handlers, javascript: URLs and frames never pass."""
    return nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes={"http", "https", "mailto", "tel", SOURCE_SCHEME.rstrip(":")},
        link_rel=None,
        strip_comments=True,
    )
