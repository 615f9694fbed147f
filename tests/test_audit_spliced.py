"""A spliced page is audited around its new texts only: that must find whatever the whole audit
finds. Pages here are made of fragments of markup that the audit looks for, whole and cut in
pieces, so that random cuts and replacements put suspects across the edges of the spans."""

from __future__ import annotations

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from stride.audit import audit_page, audit_spliced
from stride.output import OutputFile

HARMLESS = [
    "<div",
    ">",
    "</div>",
    ' class="x"',
    "text",
    " ",
    "\n",
    '<a href="/x">',
    '<a href="https://e.org">',
    "</a>",
    '<script src="/a.js" defer></script>',
    '<script type="application/ld+json">{}</script>',
    "on",
    "a",
    "é",
    "data-x=1",
    "<!-- note -->",
    "&lt;style&gt;",
]
SUSPECT = [
    "<script>",
    "<SCRIPT ",
    "<script src=",
    '"',
    "'",
    "<style>",
    "<sty",
    "le",
    ' style="x"',
    " onclick=",
    " on",
    "click",
    "=",
    "href",
    " href=",
    " src=",
    "javascript:",
    "https://",
    "/",
    "#",
    "mailto:",
    "ht",
    "tp://",
    "<",
    "<scr",
    "ipt",
    " defer",
    ":",
    "\t",
    "STYLE",
    "onload",
    "action=",
    " formaction",
    "beforeunload",
    "mouseover",
    "            ",
]
FRAGMENT = st.one_of(st.sampled_from(HARMLESS), st.sampled_from(HARMLESS + SUSPECT))
TEXT = st.lists(FRAGMENT, max_size=12).map("".join)
BUDGET_KB = 1000


@st.composite
def spliced_pages(draw: st.DrawFn) -> tuple[bytes, bytes, list[tuple[int, int]]]:
    """A clear page, the page with some of its bytes replaced, and where the new bytes are."""
    before = draw(TEXT).encode()
    cuts = sorted(draw(st.lists(st.integers(0, len(before)), min_size=2, max_size=6)))
    cuts = cuts[: len(cuts) // 2 * 2]
    after, spans, done = b"", [], 0
    for start, end in zip(cuts[::2], cuts[1::2], strict=True):
        new = draw(st.lists(st.sampled_from(SUSPECT + HARMLESS), max_size=3).map("".join))
        after += before[done:start]
        spans.append((len(after), len(after) + len(new.encode())))
        after += new.encode()
        done = end
    return before, after + before[done:], spans


@settings(max_examples=3000, deadline=None)
@given(spliced_pages())
def test_a_splice_audited_around_its_spans_finds_what_a_whole_audit_finds(
    case: tuple[bytes, bytes, list[tuple[int, int]]],
) -> None:
    before, after, spans = case
    _, clear_before = audit_page(OutputFile("p.html", before), [], BUDGET_KB)
    assume(clear_before)  # a splice is audited locally only into a clear page
    local = audit_spliced(OutputFile("p.html", after), spans, [], BUDGET_KB)
    whole = audit_page(OutputFile("p.html", after), [], BUDGET_KB)
    assert local[0] == whole[0]
    assert whole[1] or not local[1], "called clear, but the whole page is not"


def test_a_splice_that_adds_a_handler_is_caught() -> None:
    before = b'<p><a class="x" href="/a">A</a></p>'
    after = before.replace(b'class="x"', b'class="x" onclick="go()"')
    start = before.index(b'class="x"') + len(b'class="x"')
    spans = [(start, start + len(b' onclick="go()"'))]
    assert audit_page(OutputFile("p.html", before), [], BUDGET_KB) == ([], True)
    problems, clear = audit_spliced(OutputFile("p.html", after), spans, [], BUDGET_KB)
    assert [p.message for p in problems] == ["event handler attribute 'onclick' in output"]
    assert not clear


def test_a_splice_that_completes_a_handler_name_outside_its_span_is_caught() -> None:
    # The new text is only "on"; the name and the '=' around it were there already.
    before = b'<p><a id="x" click="go()">A</a></p>'
    after = b'<p><a id="x" onclick="go()">A</a></p>'
    start = before.index(b"click")
    problems, _ = audit_spliced(OutputFile("p.html", after), [(start, start + 2)], [], BUDGET_KB)
    assert [p.message for p in problems] == ["event handler attribute 'onclick' in output"]


def test_a_splice_of_plain_text_into_a_clear_page_stays_clear() -> None:
    before = b'<footer><p>Made by runners, 2025.</p><script src="/a.js" defer></script></footer>'
    after = before.replace(b"2025", b"2026")
    start = before.index(b"2025")
    assert audit_spliced(OutputFile("p.html", after), [(start, start + 4)], [], BUDGET_KB) == (
        [],
        True,
    )


def test_a_splice_that_starts_a_long_handler_name_is_caught() -> None:
    # The '=' is further from the span than any URL start the search reads after one.
    for name in (b"beforeunload", b"BEFOREUNLOAD"):
        before = b"<body x" + name + b'="f()"><p>Hi</p></body>'
        after = before.replace(b"<body x", b"<body on")
        start = len(b"<body ")
        assert audit_page(OutputFile("p.html", before), [], BUDGET_KB) == ([], True)
        problems, _ = audit_spliced(
            OutputFile("p.html", after), [(start, start + 2)], [], BUDGET_KB
        )
        assert [p.message for p in problems] == [
            f"event handler attribute 'on{name.decode().lower()}' in output"
        ]
