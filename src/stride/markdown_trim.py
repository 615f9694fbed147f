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

The same holds, more finely, for each run of text the inline patterns search: a paragraph
without a `[` needs no link pattern even when the body has links (_MarkedInlineProcessor).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import markdown
from markdown.extensions.toc import TocTreeprocessor
from markdown.treeprocessors import InlineProcessor
from markdown.util import AtomicString, Registry

# A processor is needed when the body holds one of its marks. Tabs count as spaces, since
# Python-Markdown expands them before any processor runs.
Marks = tuple[str, ...]

# Line ends are no guide: the raw-HTML preprocessor puts one after text that runs into a
# block ("word\t<div>"), and after tabs are expanded, that is a hard line break.
_TWO_SPACES = ("  ", "\t")
# A definition is ": " at the start of a line, once its container's prefix (quote marks, list
# markers, indentation, a raw-HTML block) is cut off; any ": " may become one.
_DEFINITION = (": ", ":\t")
_FOOTNOTE = ("[^",)

_INLINE: dict[str, Marks] = {
    "backtick": ("`",),
    "escape": ("\\",),
    "footnote": _FOOTNOTE,
    "reference": ("[",),
    "link": ("[",),
    "image_link": ("![",),
    "image_reference": ("![",),
    "short_reference": ("[",),
    "short_image_ref": ("![",),
    "autolink": ("<",),
    "automail": ("<",),
    "linebreak": _TWO_SPACES,
    "html": ("<",),
    "entity": ("&",),
}
_BLOCK: dict[str, Marks] = {
    "table": ("|",),
    "quote": (">",),
    "footnote": _FOOTNOTE,
    "abbr": ("*[",),
    "deflist": _DEFINITION,
    # Only indents what follows a definition; lists have the core `indent` processor.
    "defindent": _DEFINITION,
}
# What each inline pattern's regex matches literally, one of these at least: a run of text
# without any cannot match, whatever else it holds. By the time inline patterns run, tabs are
# spaces, and the placeholders earlier patterns leave in a run are control characters,
# letters, digits and a colon, none of them a mark.
_RUN_MARKS: dict[str, Marks] = {
    "backtick": ("`",),
    "escape": ("\\",),
    "footnote": ("[^",),
    "reference": ("[",),
    "link": ("[",),
    "image_link": ("![",),
    "image_reference": ("![",),
    "short_reference": ("[",),
    "short_image_ref": ("![",),
    "autolink": ("<",),
    "automail": ("<",),
    "linebreak": ("  \n",),
    "html": ("<",),
    "entity": ("&",),
    "em_strong": ("*", "_"),
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


# A pattern, and the marks a run of text must hold for it to be tried (None: always tried).
_Plan = tuple[tuple[Any, Marks | None], ...]


def _plan(patterns: Registry[Any]) -> _Plan:
    marks = {id(patterns[name]): m for name, m in _RUN_MARKS.items() if name in patterns}
    return tuple((pattern, marks.get(id(pattern))) for pattern in patterns)


class _MarkedInlineProcessor(InlineProcessor):
    """Python-Markdown's inline treeprocessor, trying a pattern on a run of text only when the
    run holds the pattern's mark. Searching every run with every pattern is a fifth of a
    conversion, and most runs hold few marks."""

    plan: _Plan = ()

    # Python-Markdown's processor calls this (its private __handleInline) for every run of
    # text, and again for the runs inside what a pattern made; it is the same loop, with the
    # test for the mark added.
    def _InlineProcessor__handleInline(self, data: str, index: int = 0) -> str:
        if isinstance(data, AtomicString):
            return data
        plan = self.plan
        apply = self._InlineProcessor__applyPattern  # type: ignore[attr-defined]
        start = 0
        while index < len(plan):
            pattern, marks = plan[index]
            if marks is not None:
                for mark in marks:
                    if mark in data:
                        break
                else:  # cannot match: as if it had been tried and had not
                    index += 1
                    start = 0
                    continue
            data, matched, start = apply(pattern, data, index, start)
            if not matched:
                index += 1
        return data


@dataclass(frozen=True)
class _Processors:
    pre: Registry[Any]
    block: Registry[Any]
    inline: Registry[Any]
    tree: Registry[Any]
    post: Registry[Any]
    inline_plan: _Plan


# Where Python-Markdown registers its inline treeprocessor: the replacement runs in its place.
_INLINE_PRIORITY = 20


class ProcessorTrimmer:
    """Sets a configured Markdown instance up, before each body, with only what it can need.

    Sets of processors are built once per set of marks present and reused; a site has a
    handful of them (nine across the 4,000-article benchmark corpus)."""

    def __init__(self, md: markdown.Markdown) -> None:
        self._md = md
        assert isinstance(md.treeprocessors["inline"], InlineProcessor)
        inline = _MarkedInlineProcessor(md)
        md.treeprocessors.register(inline, "inline", _INLINE_PRIORITY)
        self._all = _Processors(
            md.preprocessors,
            md.parser.blockprocessors,
            md.inlinePatterns,
            md.treeprocessors,
            md.postprocessors,
            _plan(md.inlinePatterns),
        )
        toc = md.treeprocessors["toc"]
        assert isinstance(toc, TocTreeprocessor)
        self._inline_processor = inline
        inline.plan = self._all.inline_plan
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
        md.parser.blockprocessors = chosen.block
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
        return _Processors(pre, block, inline, tree, post, _plan(inline))
