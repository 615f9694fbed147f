"""Python-Markdown's block parser and inline processor, skipping what cannot match.

Python-Markdown tests every block against every block processor, and searches every run of
text with every inline pattern. Most of them need a literal mark to match: a heading a `#`, a
quote a `>`, a link a `[`. A block or run without any of a processor's marks is skipped, which
gives the same result as testing it and finding nothing; markdown_trim.py does the same for a
whole body, and tests/test_markdown_trim.py checks both against the untouched converter.

Both classes keep Python-Markdown's loops as they are, with the test for the mark added; each
takes a plan, the processors in order with their marks, that the trimmer sets per body.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from markdown.blockparser import BlockParser
from markdown.treeprocessors import InlineProcessor
from markdown.util import AtomicString, Registry

# One of these a text must hold for the processor to match it.
Marks = tuple[str, ...]
# Processors in the order they run, each with its marks (None: always tried).
Plan = tuple[tuple[Any, Marks | None], ...]

# What each inline pattern's regex matches literally. By the time inline patterns run, tabs are
# spaces, and the placeholders earlier patterns leave in a run are control characters,
# letters, digits and a colon, none of them a mark.
RUN_MARKS: dict[str, Marks] = {
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

# What a block must hold for each block processor to take it (its test passes and its run does
# not decline). The structural ones (empty, indent, code, paragraph) are always tried.
BLOCK_MARKS: dict[str, Marks] = {
    "table": ("|",),
    "hashheader": ("#",),
    "setextheader": ("\n=", "\n-"),
    "hr": ("-", "_", "*"),
    "olist": (". ",),  # digits, a dot and at least one space
    "ulist": ("* ", "+ ", "- "),
    "deflist": (": ",),
    "quote": (">",),
    "footnote": ("[^",),
    "abbr": ("*[",),
    "reference": ("]:",),
}


def plan(registry: Registry[Any], marks_by_name: dict[str, Marks]) -> Plan:
    """The registry's processors in the order they run, each with its marks."""
    by_id = {id(registry[name]): marks for name, marks in marks_by_name.items() if name in registry}
    return tuple((processor, by_id.get(id(processor))) for processor in registry)


class MarkedInlineProcessor(InlineProcessor):
    """The inline treeprocessor, trying a pattern on a run of text only when the run holds the
    pattern's mark. Searching every run with every pattern is a fifth of a conversion."""

    plan: Plan = ()

    # Python-Markdown's processor calls this (its private __handleInline) for every run of
    # text, and again for the runs inside what a pattern made.
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


class MarkedBlockParser(BlockParser):
    """The block parser, testing a block processor on a block only when the block holds the
    processor's mark. The block processors keep a reference to the parser they were made with,
    so the converter's own parser is turned into this one rather than replaced."""

    plan: Plan = ()

    def parseBlocks(self, parent: ET.Element, blocks: list[str]) -> None:
        plan = self.plan
        while blocks:
            for processor, marks in plan:
                block = blocks[0]  # as Python-Markdown reads it: a declining run may touch it
                if marks is not None:
                    for mark in marks:
                        if mark in block:
                            break
                    else:
                        continue
                if processor.test(parent, block) and processor.run(parent, blocks) is not False:
                    break
