"""Edits of a layout's text alone are spliced into the last build's pages (literals.py).

What matters is that the result is the page a full render gives: checked here against renders
of the new template (with Hypothesis choosing the values and the edits) and against cold builds
of the real site.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import jinja2
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from stride import literals
from stride.config import ProjectPaths
from stride.literals import TextEdit, positions, pure_layouts, shape_of, splice, template_links
from stride.render import make_environment
from tests.test_incremental import _replace, cold_build, make_project, warm_build

LAYOUT = """<!doctype html>
<title>{% block title %}{{ title }} | [0]{% endblock %}</title>
<nav>{% for name in names %}<a href="/{{ name }}/">{{ name }}</a>
{% if not loop.last %}[1]{% endif %}{% endfor %}</nav>
{% set mood = 'calm' %}
<main>[2]{% block content %}{% endblock %}</main>
<footer>{{ footer }}[3]</footer>
"""
TEXTS = ("Site", " · ", "\n", ".")


def layout(texts: tuple[str, ...] | list[str] = TEXTS) -> str:
    filled = LAYOUT
    for number, text in enumerate(texts):
        filled = filled.replace(f"[{number}]", text)
    return filled


PAGE = """{% extends "layout.html" %}
{% block content %}<h1>{{ title }}</h1>{{ body }}{% endblock %}
"""


def _render(folder: Path, layout: str, values: dict[str, object]) -> tuple[bytes, object]:
    (folder / "layout.html").write_text(layout, "utf-8")
    (folder / "page.html").write_text(PAGE, "utf-8")
    template = make_environment(folder).get_template("page.html")
    pieces = list(template.root_render_func(template.new_context(values)))
    return "".join(pieces).encode("utf-8"), positions(pieces, "page.html")


def _edit(env: jinja2.Environment, old: str, new: str) -> TextEdit | None:
    before, after = shape_of(env, old, "layout.html"), shape_of(env, new, "layout.html")
    assert before is not None and after is not None
    if before.logic != after.logic:
        return None
    return TextEdit.of("old", "new", before.texts, after.texts)


TEXT = st.text(st.characters(codec="utf-8", exclude_characters="{}%#"), min_size=1, max_size=8)


@settings(max_examples=60, deadline=None)
@given(
    values=st.fixed_dictionaries(
        {
            "title": st.text(max_size=12),
            "names": st.lists(st.text(max_size=6), max_size=4),
            "body": st.text(max_size=30),
            "footer": st.text(max_size=10),
        }
    ),
    replacements=st.lists(TEXT, min_size=4, max_size=4),
)
def test_a_splice_gives_what_rendering_the_edited_layout_gives(
    tmp_path_factory: pytest.TempPathFactory, values: dict[str, object], replacements: list[str]
) -> None:
    folder = tmp_path_factory.mktemp("templates")
    before, where = _render(folder, layout(), values)
    after, where_after = _render(folder, layout(replacements), values)
    edit = _edit(make_environment(folder), layout(), layout(replacements))
    # Whitespace control can empty a text, which changes the logic: that is never spliced.
    assume(edit is not None)
    spliced = splice(before, where, {"layout.html": edit})  # type: ignore[arg-type,dict-item]
    assert spliced is not None
    assert spliced[:2] == (after, where_after)
    # The spans (which the audit looks around) are exactly where the new texts went: putting
    # the old texts back there gives the page before.
    old_of = {new: old for old, new in edit.changed.values()}
    assume(len(old_of) == len(edit.changed))
    restored, done = b"", 0
    for start, end in spliced[2]:
        restored += after[done:start] + old_of[after[start:end]]
        done = end
    assert restored + after[done:] == before


def test_a_splice_refuses_a_page_whose_texts_moved(tmp_path: Path) -> None:
    values = {"title": "T", "names": ["a", "b"], "body": "", "footer": ""}
    page, where = _render(tmp_path, layout(), values)
    edit = _edit(make_environment(tmp_path), layout(), layout().replace("<main>", "<main id=m>"))
    moved = b" " + page
    assert splice(moved, where, {"layout.html": edit}) is None  # type: ignore[arg-type]


def test_the_logic_of_a_template_ignores_its_texts_and_line_numbers() -> None:
    env = make_environment(Path("/nonexistent"))
    base = shape_of(env, layout(), "layout.html")
    assert base is not None
    texts_only = layout().replace("<main>", "<main class='x'>\n\n").replace("<footer>", "<p>")
    assert shape_of(env, texts_only, "layout.html").logic == base.logic  # type: ignore[union-attr]
    for changed in (
        layout().replace("{{ footer }}", "{{ footer | upper }}"),
        layout().replace("'calm'", "'wild'"),  # a value, not text the page shows as such
        layout().replace("<main>", "<main>{% if title %}!{% endif %}"),
    ):
        assert shape_of(env, changed, "layout.html").logic != base.logic  # type: ignore[union-attr]
    assert shape_of(env, "{% if %}", "layout.html") is None


def test_texts_inside_macros_and_set_blocks_are_part_of_the_logic() -> None:
    env = make_environment(Path("/nonexistent"))
    for template in (
        "{% macro m() %}<b>text</b>{% endmacro %}{{ m() }}",
        "{% set s %}<b>text</b>{% endset %}{{ s }}",
    ):
        old = shape_of(env, template, "t.html")
        new = shape_of(env, template.replace("text", "other"), "t.html")
        assert old is not None and new is not None
        assert old.logic != new.logic


@pytest.mark.parametrize(
    ("others", "pure"),
    [
        ({}, {"layout.html"}),
        ({"a.html": "{% include 'layout.html' %}"}, set()),  # may render inside a macro
        ({"a.html": "{% import 'page.html' as p %}"}, set()),  # runs the layout too
        ({"a.html": "{% from 'layout.html' import m %}"}, set()),
        ({"a.html": "{% include name %}"}, set()),  # cannot tell which
        ({"a.html": "{% include 'missing.html' %}"}, set()),
        ({"a.html": "{{ self.content() }}"}, set()),  # renders a block into a value
        ({"a.html": "{% block content %}{{ super() }}{% endblock %}"}, set()),
        ({"a.html": "{% block other %}{{ super() }}{% endblock %}"}, {"layout.html"}),
    ],
)
def test_pure_layouts_are_only_extended_and_their_blocks_only_placed(
    others: dict[str, str], pure: set[str]
) -> None:
    env = jinja2.Environment()
    sources = {"layout.html": layout(), "page.html": PAGE, **others}
    links = {name: template_links(env, name, source) for name, source in sources.items()}
    assert pure_layouts(links) == pure


def _rebuild_equals_cold(paths: ProjectPaths, caplog: pytest.LogCaptureFixture) -> dict[str, bytes]:
    """A warm build, its step log captured, checked against a cold build of the same sources."""
    with caplog.at_level(logging.DEBUG, logger="stride.pipeline"):
        warm = warm_build(paths)
    assert warm == cold_build(paths)
    assert isinstance(warm, dict)
    return warm


def _spliced(caplog: pytest.LogCaptureFixture) -> tuple[int, int]:
    found = re.search(r"render (\d+) of \d+ pages(?: \((\d+) more)?", caplog.text)
    assert found is not None
    return int(found.group(1)), int(found.group(2) or 0)


def test_a_text_edit_of_the_base_template_splices_every_page(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    paths = make_project(tmp_path)
    warm_build(paths)
    _replace(paths.templates / "base.html", "</head>", "<!-- a new comment -->\n</head>")
    _replace(paths.templates / "base.html", "Skip to content", "Skip to the main content ✓")
    warm = _rebuild_equals_cold(paths, caplog)
    rendered, spliced = _spliced(caplog)
    pages = sum(1 for path in warm if path.endswith(".html"))
    assert (rendered, spliced) == (0, pages)
    assert all("✓" in data.decode() for path, data in warm.items() if path.endswith(".html"))


def test_a_logic_edit_of_the_base_template_renders_every_page(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    paths = make_project(tmp_path)
    warm_build(paths)
    _replace(paths.templates / "base.html", r"\{\{ config.tagline \}\}", "{{ config.tagline }}!")
    _replace(paths.templates / "base.html", "<footer ", "{% if page %}<footer {% endif %}")
    warm = _rebuild_equals_cold(paths, caplog)
    rendered, spliced = _spliced(caplog)
    assert spliced == 0
    assert rendered == sum(1 for path in warm if path.endswith(".html"))


def test_a_page_changed_on_disk_where_a_text_sits_is_rendered_again(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    paths = make_project(tmp_path)
    warm_build(paths)
    page = paths.output / "tags" / "index.html"
    # Where the edited text sits: a splice checks what it replaces (like a kept page, the
    # rest is the output's own, as its manifest records).
    page.write_bytes(page.read_bytes().replace(b"Skip to content", b"Skip to c0ntent"))
    _replace(paths.templates / "base.html", "Skip to content", "Skip ahead")
    _rebuild_equals_cold(paths, caplog)
    assert _spliced(caplog)[0] == 1


def test_a_text_edit_of_a_layout_reached_through_super_renders_its_pages(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    paths = make_project(tmp_path)
    warm_build(paths)
    listing = paths.templates / "partials" / "listing.html"
    listing.write_text(listing.read_text("utf-8").replace("<", "\n<", 1), "utf-8")
    _rebuild_equals_cold(paths, caplog)
    assert _spliced(caplog)[1] == 0


def test_a_second_text_edit_parses_only_the_template_that_changed(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = make_project(tmp_path)
    warm_build(paths)
    parsed: list[str] = []

    def counted(env: jinja2.Environment, name: str, source: str) -> object:
        parsed.append(name)
        return template_links(env, name, source)

    monkeypatch.setattr(literals, "template_links", counted)
    _replace(paths.templates / "base.html", "</head>", "<!-- edit 1 -->\n</head>")
    _rebuild_equals_cold(paths, caplog)
    templates = sum(1 for path in paths.templates.rglob("*") if path.is_file())
    assert len(parsed) == templates  # the first time, every template's links are found
    parsed.clear()
    _replace(paths.templates / "base.html", "<!-- edit 1 -->", "<!-- edit 2 -->")
    _rebuild_equals_cold(paths, caplog)
    assert parsed == ["base.html"]
    assert _spliced(caplog)[0] == 0  # and every page was still spliced, none rendered
