"""Which of Python-Markdown's processors a body can need, judged from the text it contains.

Python-Markdown tries every inline pattern on every run of text, and runs every extension's
block, tree and post processors on every body. Most of them look for a literal mark: a table
needs a `|`, a footnote `[^`, a link `[`, an entity `&`. A body that lacks the mark cannot make
the processor fire, because every text a processor sees comes from the body itself: the
preprocessors only normalise line ends, expand tabs and swap raw HTML and fenced code for
placeholders made of control characters, letters and digits. The one difference from
running them all: a body nested so deeply that a left-out processor's recursive walk of the
tree would overflow the stack now converts instead of being reported.

The same holds, more finely, for each block and each run of text: a paragraph without a `[`
needs no link pattern even when the body has links (markdown_marks.py). With both, a body
converts to byte-identical HTML (tests/test_markdown_trim.py compares the two on generated
Markdown) in a little over half the CPU time: 2.7 s against 4.8 s for 600 benchmark bodies.
The floor in bench/md_floor.py runs every processor.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import markdown
from markdown.blockparser import BlockParser
from markdown.extensions.toc import TocTreeprocessor
from markdown.treeprocessors import InlineProcessor
from markdown.util import Registry

from .markdown_marks import (
    BLOCK_MARKS,
    RUN_MARKS,
    MarkedBlockParser,
    MarkedInlineProcessor,
    Marks,
    Plan,
    plan,
)

if TYPE_CHECKING:
    from markdown.extensions.toc import _TocToken  # the stubs' name for a heading's entry

# A processor is needed when the body holds one of its marks. Tabs count as spaces, since
# Python-Markdown expands them before any processor runs.

# Line ends are no guide: the raw-HTML preprocessor puts one after text that runs into a
# block ("word\t<div>"), and after tabs are expanded, that is a hard line break.
_TWO_SPACES = ("  ", "\t")
# A definition is ": " at the start of a line, once its container's prefix (quote marks, list
# markers, indentation, a raw-HTML block) is cut off; any ": " may become one.
_DEFINITION = (": ", ":\t")
_FOOTNOTE = ("[^",)

# A body needs an inline pattern when it holds the pattern's mark for a run of text, but for
# a hard line break: line ends are no guide (above), so two spaces or a tab anywhere will do.
_INLINE: dict[str, Marks] = {**RUN_MARKS, "linebreak": _TWO_SPACES}
_BLOCK: dict[str, Marks] = {
    "table": ("|",),
    "quote": (">",),
    "footnote": _FOOTNOTE,
    "abbr": ("*[",),
    "deflist": _DEFINITION,
    # Only indents what follows a definition; lists have the core `indent` processor.
    "defindent": _DEFINITION,
}
_PRE: dict[str, Marks] = {"fenced_code_block": ("```", "~~~")}
_TREE: dict[str, Marks] = {
    "footnote": _FOOTNOTE,
    "footnote-duplicate": _FOOTNOTE,
    "attr_list": ("{",),
    "abbr": ("*[",),
}
_POST: dict[str, Marks] = {"footnote": _FOOTNOTE}
_NEEDS = (_PRE, _BLOCK, _INLINE, _TREE, _POST)
# Every mark once: a body is searched for each once, however many processors share it.
_BODY_MARKS = tuple(
    sorted({mark for needs in _NEEDS for marks in needs.values() for mark in marks})
)


@dataclass(frozen=True)
class _Processors:
    pre: Registry[Any]
    block: Registry[Any]
    inline: Registry[Any]
    tree: Registry[Any]
    post: Registry[Any]
    block_plan: Plan
    inline_plan: Plan


class _TocTokensOnly(TocTreeprocessor):
    """The TOC extension's processor, building the contents as HTML only where a marker in the
    body places them: Stride renders contents from md.toc_tokens, and never reads md.toc."""

    def build_toc_div(self, toc_list: list[_TocToken]) -> ET.Element:
        if self.marker:
            return super().build_toc_div(toc_list)
        return ET.Element("div")


# Where Python-Markdown registers its inline treeprocessor: the replacement runs in its place.
_INLINE_PRIORITY = 20


class ProcessorTrimmer:
    """Sets a configured Markdown instance up, before each body, with only what it can need.

    Sets of processors are built once per set of marks present and reused; a site has a
    handful of them (nine across the 4,000-article benchmark corpus)."""

    def __init__(self, md: markdown.Markdown) -> None:
        self._md = md
        assert isinstance(md.treeprocessors["inline"], InlineProcessor)
        inline = MarkedInlineProcessor(md)
        md.treeprocessors.register(inline, "inline", _INLINE_PRIORITY)
        # The block processors and the TOC extension keep references to these two objects,
        # so they are turned into the subclasses in place.
        toc, parser = md.treeprocessors["toc"], md.parser
        assert type(toc) is TocTreeprocessor and type(parser) is BlockParser
        toc.__class__, parser.__class__ = _TocTokensOnly, MarkedBlockParser
        assert isinstance(parser, MarkedBlockParser)
        self._all = _Processors(
            md.preprocessors,
            parser.blockprocessors,
            md.inlinePatterns,
            md.treeprocessors,
            md.postprocessors,
            plan(parser.blockprocessors, BLOCK_MARKS),
            plan(md.inlinePatterns, RUN_MARKS),
        )
        self._inline_processor, self._parser = inline, parser
        inline.plan, parser.plan = self._all.inline_plan, self._all.block_plan
        self._toc = toc
        self._toc_marker = toc.marker
        self._by_marks: dict[frozenset[str], _Processors] = {}

    def prepare(self, body: str) -> None:
        present = frozenset(mark for mark in _BODY_MARKS if mark in body)
        chosen = self._by_marks.get(present)
        if chosen is None:
            chosen = self._by_marks[present] = self._build(present)
        md = self._md
        md.preprocessors = chosen.pre
        self._parser.blockprocessors = chosen.block
        self._parser.plan = chosen.block_plan
        md.inlinePatterns = chosen.inline
        # The inline treeprocessor keeps its own reference (Python-Markdown's smarty
        # extension swaps its patterns the same way).
        self._inline_processor.inlinePatterns = chosen.inline
        self._inline_processor.plan = chosen.inline_plan
        md.treeprocessors = chosen.tree
        md.postprocessors = chosen.post
        # Without the marker in the body, looking for it walks the whole tree for nothing.
        marker = self._toc_marker
        self._toc.marker = marker if marker and marker in body else ""

    def _build(self, present: frozenset[str]) -> _Processors:
        everything = (
            self._all.pre,
            self._all.block,
            self._all.inline,
            self._all.tree,
            self._all.post,
        )
        trimmed = []
        for registry, needs in zip(everything, _NEEDS, strict=True):
            kept = registry[:]  # a copy, with the same priorities
            for name, marks in needs.items():
                if present.isdisjoint(marks) and name in kept:
                    kept.deregister(name)
            trimmed.append(kept)
        pre, block, inline, tree, post = trimmed
        block_plan, inline_plan = plan(block, BLOCK_MARKS), plan(inline, RUN_MARKS)
        return _Processors(pre, block, inline, tree, post, block_plan, inline_plan)
