"""Which of Python-Markdown's processors a body can need, judged from the text it contains.

Python-Markdown tries every inline pattern on every run of text, and runs every extension's
block, tree and post processors on every body. Most of them look for a literal mark: a table
needs a `|`, a footnote `[^`, a link `[`, an entity `&`. A body that lacks the mark cannot make
the processor fire, because every text a processor sees comes from the body itself: the
preprocessors only normalise line ends, expand tabs and swap raw HTML and fenced code for
placeholders made of control characters, letters and digits. Leaving such processors out
gives byte-identical HTML for about three quarters of the time (tests/test_markdown_trim.py
compares the two on generated Markdown); the floor in bench/md_floor.py runs them all. The
one difference: a body nested so deeply that a left-out processor's recursive walk of the
tree would overflow the stack now converts instead of being reported.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import markdown
from markdown.extensions.toc import TocTreeprocessor
from markdown.treeprocessors import InlineProcessor
from markdown.util import Registry

# A processor is needed when its test holds for the body. Tabs count as spaces, since
# Python-Markdown expands them before any processor runs.
Needs = Callable[[str], bool]


def _contains(*marks: str) -> Needs:
    return lambda body: any(mark in body for mark in marks)


# Line ends are no guide: the raw-HTML preprocessor puts one after text that runs into a
# block ("word\t<div>"), and after tabs are expanded, that is a hard line break.
_TWO_SPACES = _contains("  ", "\t")
# A definition is ": " at the start of a line, once its container's prefix (quote marks, list
# markers, indentation, a raw-HTML block) is cut off; any ": " may become one.
_DEFINITION = _contains(": ", ":\t")
_FOOTNOTE = _contains("[^")

_INLINE: dict[str, Needs] = {
    "backtick": _contains("`"),
    "escape": _contains("\\"),
    "footnote": _FOOTNOTE,
    "reference": _contains("["),
    "link": _contains("["),
    "image_link": _contains("!["),
    "image_reference": _contains("!["),
    "short_reference": _contains("["),
    "short_image_ref": _contains("!["),
    "autolink": _contains("<"),
    "automail": _contains("<"),
    "linebreak": _TWO_SPACES,
    "html": _contains("<"),
    "entity": _contains("&"),
}
_BLOCK: dict[str, Needs] = {
    "table": _contains("|"),
    "quote": _contains(">"),
    "footnote": _FOOTNOTE,
    "abbr": _contains("*["),
    "deflist": _DEFINITION,
    # Only indents what follows a definition; lists have the core `indent` processor.
    "defindent": _DEFINITION,
}
_PRE: dict[str, Needs] = {"fenced_code_block": _contains("```", "~~~")}
_TREE: dict[str, Needs] = {
    "footnote": _FOOTNOTE,
    "footnote-duplicate": _FOOTNOTE,
    "attr_list": _contains("{"),
    "abbr": _contains("*["),
}
_POST: dict[str, Needs] = {"footnote": _FOOTNOTE}


@dataclass(frozen=True)
class _Processors:
    pre: Registry[Any]
    block: Registry[Any]
    inline: Registry[Any]
    tree: Registry[Any]
    post: Registry[Any]


class ProcessorTrimmer:
    """Sets a configured Markdown instance up, before each body, with only what it can need.

    Sets of processors are built once per combination of marks present and reused; a site
    has a handful of combinations (nine across the 4,000-article benchmark corpus)."""

    def __init__(self, md: markdown.Markdown) -> None:
        self._md = md
        self._all = _Processors(
            md.preprocessors,
            md.parser.blockprocessors,
            md.inlinePatterns,
            md.treeprocessors,
            md.postprocessors,
        )
        inline, toc = md.treeprocessors["inline"], md.treeprocessors["toc"]
        assert isinstance(inline, InlineProcessor) and isinstance(toc, TocTreeprocessor)
        self._inline_processor = inline
        self._toc = toc
        self._toc_marker = toc.marker
        self._tests = (_PRE, _BLOCK, _INLINE, _TREE, _POST)
        self._by_need: dict[tuple[tuple[bool, ...], ...], _Processors] = {}

    def prepare(self, body: str) -> None:
        needs = tuple(tuple(test(body) for test in tests.values()) for tests in self._tests)
        chosen = self._by_need.get(needs)
        if chosen is None:
            chosen = self._by_need[needs] = self._build(needs)
        md = self._md
        md.preprocessors = chosen.pre
        md.parser.blockprocessors = chosen.block
        md.inlinePatterns = chosen.inline
        # The inline treeprocessor keeps its own reference (Python-Markdown's smarty
        # extension swaps its patterns the same way).
        self._inline_processor.inlinePatterns = chosen.inline
        md.treeprocessors = chosen.tree
        md.postprocessors = chosen.post
        # Without the marker in the body, looking for it walks the whole tree for nothing.
        marker = self._toc_marker
        self._toc.marker = marker if marker and marker in body else ""

    def _build(self, needs: tuple[tuple[bool, ...], ...]) -> _Processors:
        everything = (
            self._all.pre,
            self._all.block,
            self._all.inline,
            self._all.tree,
            self._all.post,
        )
        trimmed = []
        for registry, tests, needed in zip(everything, self._tests, needs, strict=True):
            kept = registry[:]  # a copy, with the same priorities
            for name, is_needed in zip(tests, needed, strict=True):
                if not is_needed and name in kept:
                    kept.deregister(name)
            trimmed.append(kept)
        return _Processors(*trimmed)
