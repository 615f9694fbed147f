"""Converting with only the processors a body can need gives the same result as running them all."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stride.markdown import BodyConverter, RenderedBody

ROOT = Path(__file__).resolve().parents[1]

# Pieces that trigger (or nearly trigger) every processor Stride's converter has, including
# the ones a trimmed converter leaves out, and the prefixes that nest one block in another.
FRAGMENTS = [
    "word",
    "Term",
    " ",
    "\t",
    "\n",
    "\n\n",
    "\r\n",
    "  \n",
    "\t\n",
    "`code`",
    "``a ` b``",
    "\\*",
    "\\\\`",
    "[^1]",
    "[^1]: A note.",
    "[^1]:\n    : inside",
    "[a](other.md#part)",
    "[b][ref]",
    "[ref]: /articles/",
    "[ref]",
    "![i](x.png)",
    "![i][img]",
    "[img]: y.png",
    "<https://example.com>",
    "<a@b.example>",
    "<b>bold</b>",
    "<div>block</div>",
    "<div>",
    "</div>",
    "<p>para</p>\n",
    "<!-- note -->",
    "&amp;",
    "&#169;",
    "| a | b |\n|:--|--:|\n| 1 | 2 |",
    "a | b",
    "*[HTML]: Hyper Text",
    "HTML",
    "> quoted",
    ">",
    "{: .note }",
    "{#anchor}",
    "```\ncode\n```",
    "~~~ python\nx = 1\n~~~",
    ": definition",
    "- : in a list",
    "1. : numbered",
    "> : in a quote",
    "    : indented",
    "Note: colon",
    ":",
    ": ",
    "[TOC]",
    "# Heading",
    "## Heading {#custom}",
    "### Small",
    "Setext\n======",
    "Setext\n------",
    "---",
    "*em*",
    "**strong**",
    "_em_",
    "- item",
    "* item",
    "1. item",
    "    indented code",
    # Inline marks alone and nested, so runs of text inside what a pattern made are searched
    # with some marks and without others (_MarkedInlineProcessor).
    "***both***",
    "__strong__",
    "snake_case_word",
    "*",
    "_",
    "[",
    "]",
    "(/x)",
    "`",
    "<",
    "&",
    "\\",
    "!",
    "[*em* link](/x)",
    "*em [link](/x) `code`*",
    # Block marks alone and at the edges of what each block processor takes.
    "#",
    "#tag",
    "***",
    "___",
    "- - -",
    "+ plus item",
    "10. item",
    "1) item",
    "1.  two spaces",
    " > indented quote",
    "   [ref]: /x 'title'",
    "[r]:/y",
    "[r]",
    "=",
    "-",
]


def both(body: str) -> tuple[RenderedBody, RenderedBody]:
    return BodyConverter().convert("a/b.md", body), BodyConverter(trim=False).convert(
        "a/b.md", body
    )


@settings(max_examples=600, deadline=None)
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=24).map("".join))
def test_a_trimmed_converter_equals_the_full_one_on_generated_markdown(body: str) -> None:
    trimmed, full = both(body)
    assert trimmed == full


@pytest.mark.parametrize(
    "body",
    [
        "Line with a tab\t\nnext line",  # a tab expands to spaces: a hard line break
        "- Term\n\n    : a definition inside a list item",
        "Text[^n]\n\n[^n]: Term\n\n    : a definition inside a footnote",
        "# Title\n\n[TOC]\n\n## Part",
        "Abbr HTML here.\n\n*[HTML]: Hyper Text Markup Language",
        "Cell | cell\n--- | ---\n1 | 2",
        "A paragraph {: #id .class }",
        "<div>block</div>word\t<div>block</div>",  # a line end put in by the HTML preprocessor
        "Term\n<div>block</div>: a definition after a block",
        "[^1]: Term\n\n    : inside a footnote\n\nText[^1]",
    ],
)
def test_edge_cases_of_each_trigger_equal_the_full_converter(body: str) -> None:
    trimmed, full = both(body)
    assert trimmed == full
    assert trimmed.html == BodyConverter(trim=False).convert("a/b.md", body).html


def test_one_converter_gives_each_body_the_same_result_in_any_order() -> None:
    # Processors are swapped per body; what one body needed must not leak into the next.
    bodies = [
        path.read_text(encoding="utf-8").split("\n---\n", 1)[-1]
        for path in sorted((ROOT / "content").rglob("*.md"))
    ]
    assert len(bodies) > 10
    full = BodyConverter(trim=False)
    expected = [full.convert("a/b.md", body) for body in bodies]
    trimmed = BodyConverter()
    assert [trimmed.convert("a/b.md", body) for body in reversed(bodies)] == expected[::-1]
    assert [trimmed.convert("a/b.md", body) for body in bodies] == expected
