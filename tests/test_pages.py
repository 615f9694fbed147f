"""Behaviour of the pages a build writes, on tiny inline sites built in memory."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import lxml.html

from stride.config import BuildOptions
from tests.helpers import article, build_in_memory, write_files


def links_of(html: str) -> list[str]:
    return [str(href) for href in lxml.html.fromstring(html).xpath("//a/@href")]


def exercise(title: str, *, category: str = "core", extra: str = "") -> str:
    lines = [
        f"title: {title}",
        "date: 2025-01-01",
        "summary: An exercise.",
        f"category: {category}",
        "level: beginner",
        "equipment: [bodyweight]",
        "muscles: [core]",
        'prescription: "3 x 10"',
        "steps: [Do it.]",
        "cues: [Brace.]",
    ]
    return "---\n" + "\n".join(lines) + ("\n" + extra if extra else "") + "\n---\nAbout it.\n"


def test_drafts_and_future_entries_appear_nowhere(tmp_path: Path) -> None:
    content = write_files(
        tmp_path / "content",
        {
            "articles/live.md": article("Live", extra="tags: [shared]"),
            "articles/secret.md": article(
                "Secret draft", extra="draft: true\ntags: [shared, hidden]"
            ),
            "articles/later.md": article("Later", date="2030-05-01", extra="tags: [shared, soon]"),
        },
    )
    site = build_in_memory(content)
    everything = b"".join(site.files.values()).decode("utf-8", "replace")
    assert "articles/live/index.html" in site.files
    for word in (
        "Secret draft",
        "/articles/secret/",
        "Later",
        "/articles/later/",
        "/tags/hidden/",
        "/tags/soon/",
    ):
        assert word not in everything, word
    assert not any(path.startswith(("articles/secret", "articles/later")) for path in site.files)


def test_drafts_and_future_flags_include_them(tmp_path: Path) -> None:
    import datetime

    content = write_files(
        tmp_path / "content",
        {
            "articles/secret.md": article("Secret draft", extra="draft: true"),
            "articles/later.md": article("Later", date="2030-05-01"),
        },
    )
    options = BuildOptions(
        include_drafts=True, include_future=True, today=datetime.date(2026, 1, 1)
    )
    site = build_in_memory(content, options)
    assert "articles/secret/index.html" in site.files
    assert "articles/later/index.html" in site.files
    assert "/articles/later/" in site.text("feed.xml") + site.text("sitemap.xml")


def test_tags_differing_in_case_or_spacing_are_one_tag(tmp_path: Path) -> None:
    content = write_files(
        tmp_path / "content",
        {
            "articles/a.md": article("A", extra="tags: [Trail Running]"),
            "articles/b.md": article("B", extra="tags: [trail  running]"),
            "articles/c.md": article("C", extra="tags: [trail running]"),
            "articles/d.md": article("D", extra="tags: [trail running]"),
        },
    )
    site = build_in_memory(content)
    tag_pages = sorted(p for p in site.files if p.startswith("tags/") and p != "tags/index.html")
    assert tag_pages == ["tags/trail-running/index.html"]
    page = site.text("tags/trail-running/index.html")
    assert "trail running" in page  # the most used spelling names the tag
    assert all(f"/articles/{slug}/" in page for slug in "abcd")
    assert "(4<" in site.text("tags/index.html").replace(" ", "")


def test_tag_pages_are_paginated_with_links_both_ways(tmp_path: Path) -> None:
    files = {
        f"articles/post-{n:02}.md": article(f"Post {n}", date=f"2025-01-{n:02}", extra="tags: [x]")
        for n in range(1, 13)
    }
    site = build_in_memory(write_files(tmp_path / "content", files))
    first, second = site.text("tags/x/index.html"), site.text("tags/x/page/2/index.html")
    assert "/tags/x/page/2/" in links_of(first)
    assert "/tags/x/" in links_of(second)
    assert first.count('class="card"') == 10 and second.count('class="card"') == 2
    assert "/articles/post-12/" in first and "/articles/post-01/" in second  # newest first


def test_related_articles_rank_by_shared_tags_in_a_stable_order(tmp_path: Path) -> None:
    content = write_files(
        tmp_path / "content",
        {
            "articles/main.md": article("Main", extra="tags: [a, b, c]"),
            "articles/two.md": article("Two shared", date="2024-01-01", extra="tags: [a, b]"),
            "articles/one-old.md": article("One old", date="2023-01-01", extra="tags: [c]"),
            "articles/one-new.md": article("One new", date="2024-06-01", extra="tags: [a]"),
            "articles/none.md": article("Unrelated", extra="tags: [z]"),
        },
    )
    site = build_in_memory(content)
    page = site.text("articles/main/index.html")
    related = page.split('id="related-heading"')[1].split("</section>")[0]
    order = re.findall(r'href="/articles/([a-z-]+)/"', related)
    assert order == ["two", "one-new", "one-old"]


def test_long_articles_get_a_table_of_contents_and_short_ones_do_not(tmp_path: Path) -> None:
    long_body = "\n\n".join(f"## Part {n}\n\nText." for n in range(1, 5))
    content = write_files(
        tmp_path / "content",
        {
            "articles/long.md": article("Long", body=long_body),
            "articles/short.md": article("Short", body="## Only\n\nText."),
        },
    )
    site = build_in_memory(content)
    long_page = site.text("articles/long/index.html")
    assert 'class="toc"' in long_page
    assert all(f'href="#part-{n}"' in long_page for n in range(1, 5))
    assert 'class="toc"' not in site.text("articles/short/index.html")


def test_links_to_content_files_become_page_urls_and_backlinks(tmp_path: Path) -> None:
    content = write_files(
        tmp_path / "content",
        {
            "articles/guide.md": article(
                "Guide", body="Do [squats](../exercises/squats.md#steps)."
            ),
            "exercises/squats.md": exercise("Squats", extra="progressions: [jump-squats]"),
            "exercises/jump-squats.md": exercise("Jump squats", extra="regressions: [squats]"),
        },
    )
    site = build_in_memory(content)
    assert "/exercises/squats/#steps" in links_of(site.text("articles/guide/index.html"))
    squats = site.text("exercises/squats/index.html")
    assert "/articles/guide/" in links_of(squats)  # featured in
    assert "/exercises/jump-squats/" in links_of(squats)  # harder version
    assert "/exercises/squats/" in links_of(site.text("exercises/jump-squats/index.html"))


def test_exercise_library_groups_by_category(tmp_path: Path) -> None:
    content = write_files(
        tmp_path / "content",
        {
            "exercises/plank.md": exercise("Plank", category="core"),
            "exercises/squats.md": exercise("Squats", category="lower body"),
        },
    )
    page = lxml.html.fromstring(build_in_memory(content).text("exercises/index.html"))
    sections = {
        str(section.get("aria-labelledby")): section.xpath(".//h3/a/text()")
        for section in page.xpath("//main//section")
    }
    assert sections == {"lower-body": ["Squats"], "core": ["Plank"]}


def test_slug_field_overrides_the_file_name(tmp_path: Path) -> None:
    content = write_files(
        tmp_path / "content",
        {
            "articles/2025-01-31-draft-name.md": article("Final", extra="slug: final-name"),
        },
    )
    assert "articles/final-name/index.html" in build_in_memory(content).files


def test_newsletter_form_works_for_netlify_and_without_javascript(tmp_path: Path) -> None:
    site = build_in_memory(write_files(tmp_path / "content", {"articles/a.md": article()}))
    page = lxml.html.fromstring(site.text("articles/a/index.html"))
    (form,) = page.xpath("//form")
    assert form.get("data-netlify") == "true"
    assert form.get("method") == "post" and form.get("action") == "/newsletter/thanks/"
    assert form.xpath("input[@type='hidden'][@name='form-name']/@value") == [form.get("name")]
    honeypot = form.get("data-netlify-honeypot")
    (trap,) = form.xpath(f".//input[@name='{honeypot}']")
    assert trap.get("tabindex") == "-1"
    (email,) = form.xpath(".//input[@type='email']")
    assert form.xpath(f".//label[@for='{email.get('id')}']")
    assert email.get("required") is not None
    assert "newsletter/thanks/index.html" in site.files


def test_share_links_are_plain_links_and_scripts_are_first_party(tmp_path: Path) -> None:
    site = build_in_memory(write_files(tmp_path / "content", {"articles/a.md": article("Hi")}))
    page = lxml.html.fromstring(site.text("articles/a/index.html"))
    share = page.xpath("//section[@class='share']//a/@href")
    assert len(share) >= 4
    assert any("facebook.com/sharer" in href for href in share)
    assert all("%2Farticles%2Fa%2F" in href for href in share)
    sources = page.xpath("//script/@src")
    assert sources and all(src.startswith("/js/") for src in sources)


def test_css_and_js_are_fingerprinted_by_content(tmp_path: Path) -> None:
    site = build_in_memory(write_files(tmp_path / "content", {"articles/a.md": article()}))
    html = site.text("index.html")
    (css,) = re.findall(r'href="/(css/site\.([0-9a-f]{10})\.css)"', html)
    assert hashlib.sha256(site.files[css[0]]).hexdigest()[:10] == css[1]
    (js,) = re.findall(r'src="/(js/site\.([0-9a-f]{10})\.js)"', html)
    assert hashlib.sha256(site.files[js[0]]).hexdigest()[:10] == js[1]


def test_feed_and_sitemap_list_only_public_pages(tmp_path: Path) -> None:
    content = write_files(
        tmp_path / "content",
        {
            "articles/a.md": article("A"),
            "exercises/plank.md": exercise("Plank"),
        },
    )
    site = build_in_memory(content)
    locs = re.findall(r"<loc>https?://[^/]+(/[^<]*)</loc>", site.text("sitemap.xml"))
    pages = sorted(
        "/" + p.removesuffix("index.html")
        for p in site.files
        if p.endswith("index.html") and p != "newsletter/thanks/index.html"
    )
    assert sorted(locs) == pages
    feed = site.text("feed.xml")
    assert "/articles/a/" in feed and "/exercises/plank/" not in feed
