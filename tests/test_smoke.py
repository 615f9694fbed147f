"""The shipped site builds and every kind of page listed in the README exists."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import REPO, build_in_memory

EXPECTED_PAGES = [
    "index.html",
    "articles/index.html",
    "articles/strength-training-for-runners/index.html",
    "exercises/index.html",
    "exercises/squats/index.html",
    "recipes/index.html",
    "recipes/homemade-electrolyte-drink/index.html",
    "athletes/index.html",
    "athletes/hattie-pearson/index.html",
    "tags/index.html",
    "tags/strength-training/index.html",
    "feed.xml",
    "sitemap.xml",
    "robots.txt",
    "404.html",
    "newsletter/thanks/index.html",
]


def test_shipped_content_builds_every_kind_of_page() -> None:
    site = build_in_memory(REPO / "content")
    missing = [page for page in EXPECTED_PAGES if page not in site.files]
    assert missing == []


def test_guide_links_to_a_page_for_each_of_the_17_exercises(tmp_path: Path) -> None:
    site = build_in_memory(REPO / "content")
    guide = site.text("articles/strength-training-for-runners/index.html")
    exercises = sorted(p for p in site.files if p.startswith("exercises/") and p.count("/") == 2)
    assert len(exercises) == 17
    for page in exercises:
        url = "/" + page.removesuffix("index.html")
        assert f'href="{url}"' in guide, url
