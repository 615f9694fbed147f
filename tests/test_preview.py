"""The dev server's fast preview: the edited page at once, exactly as the full rebuild makes it."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from stride.config import BuildOptions
from stride.preview import LastSite, preview_page
from tests.helpers import article, build_in_memory, write_files

OPTIONS = BuildOptions(today=datetime.date(2026, 1, 1))
GUIDE_BODY = "## Warm up\n\nJog for five minutes. See [the squat](squat.md).\n"


def make_content(root: Path) -> Path:
    return write_files(
        root / "content",
        {
            "articles/guide.md": article(
                "The guide", extra="tags: [strength]\ndraft: false", body=GUIDE_BODY
            ),
            "articles/other.md": article(
                "Another one", date="2025-03-01", extra="tags: [strength]"
            ),
            "articles/squat.md": article("The squat", date="2025-02-01", body="Squat low.\n"),
        },
    )


def last_site(content: Path) -> LastSite:
    result = build_in_memory(content, OPTIONS).result
    assert result.site is not None and result.renderer is not None
    return LastSite(result.site, *result.renderer, content)


def test_a_body_edit_previews_the_page_the_full_rebuild_writes(tmp_path: Path) -> None:
    content = make_content(tmp_path)
    last = last_site(content)
    guide = content / "articles" / "guide.md"
    guide.write_text(guide.read_text("utf-8") + "\nA new closing line.\n", "utf-8")
    previewed = preview_page(last, guide, OPTIONS)
    assert previewed is not None and str(previewed.path) == "articles/guide/index.html"
    assert b"A new closing line." in previewed.data
    assert b'href="/articles/squat/"' in previewed.data  # links resolved as in a full build
    assert previewed.data == build_in_memory(content, OPTIONS).files[str(previewed.path)]


@pytest.mark.parametrize(
    ("edit", "why"),
    [
        (lambda text: text.replace("title: The guide", "title: The guide\nslug: renamed"), "URL"),
        (lambda text: text.replace("[strength]", "[strength, hills]"), "tags"),
        (lambda text: text.replace("draft: false", "draft: true"), "unpublished"),
        (lambda text: text.replace("squat.md", "missing.md"), "broken link"),
        (lambda text: text.replace("## Warm up", "## Warming up"), "anchor gone"),
        (lambda text: text.replace("title: The guide", "title: [unclosed"), "bad YAML"),
    ],
)
def test_edits_that_change_other_pages_or_fail_wait_for_the_full_rebuild(
    tmp_path: Path, edit: object, why: str
) -> None:
    content = make_content(tmp_path)
    last = last_site(content)
    guide = content / "articles" / "guide.md"
    assert callable(edit)
    edited = edit(guide.read_text("utf-8"))
    assert edited != guide.read_text("utf-8"), f"the {why} edit changed nothing"
    guide.write_text(edited, "utf-8")
    assert preview_page(last, guide, OPTIONS) is None, why


def test_a_new_file_or_one_outside_the_content_folder_is_not_previewed(tmp_path: Path) -> None:
    content = make_content(tmp_path)
    last = last_site(content)
    new = content / "articles" / "new.md"
    new.write_text(article("New"), "utf-8")
    assert preview_page(last, new, OPTIONS) is None
    outside = tmp_path / "elsewhere.md"
    outside.write_text(article("Elsewhere"), "utf-8")
    assert preview_page(last, outside, OPTIONS) is None
