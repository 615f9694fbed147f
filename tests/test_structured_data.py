"""Every page describes itself to search engines (JSON-LD) and social apps (Open Graph)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import lxml.html
import pytest

from tests.helpers import REPO, MemorySite, article, build_in_memory, write_files


@cache
def shipped() -> MemorySite:
    return build_in_memory(REPO / "content")


def graph(path: str) -> dict[str, dict[str, Any]]:
    """The page's JSON-LD items by @type."""
    page = lxml.html.fromstring(shipped().text(path))
    (script,) = page.xpath("//script[@type='application/ld+json']/text()")
    data = json.loads(script)
    assert data["@context"] == "https://schema.org"
    return {item["@type"]: item for item in data["@graph"]}


def html_pages() -> list[str]:
    return sorted(path for path in shipped().files if path.endswith(".html"))


def test_home_page_is_a_website() -> None:
    website = graph("index.html")["WebSite"]
    assert website["name"] == "Stride"
    assert website["url"].startswith("https://") and website["url"].endswith("/")


def test_article_is_a_blog_posting_with_what_google_needs() -> None:
    post = graph("articles/strength-training-for-runners/index.html")["BlogPosting"]
    assert post["headline"] == "Strength training for runners"
    assert post["datePublished"] == "2022-08-01"
    assert post["author"]["name"] and post["publisher"]["name"] == "Stride"
    assert post["image"].endswith("/images/strength-training.svg")
    assert post["wordCount"] > 1000


def test_exercise_is_an_exercise_plan() -> None:
    plan = graph("exercises/squats/index.html")["ExercisePlan"]
    assert plan["name"] == "Squats"
    assert plan["exerciseType"] == "lower body"
    assert plan["repetitions"] == 10 and plan["workload"] == "3 x 10"


def test_recipe_has_every_field_google_requires_and_recommends() -> None:
    recipe = graph("recipes/homemade-electrolyte-drink/index.html")["Recipe"]
    for key in (
        "name",
        "image",
        "author",
        "datePublished",
        "description",
        "prepTime",
        "totalTime",
        "recipeYield",
        "recipeCategory",
        "recipeIngredient",
        "recipeInstructions",
        "keywords",
    ):
        assert recipe.get(key), key
    assert recipe["prepTime"] == "PT5M" and recipe["totalTime"] == "PT5M"
    assert len(recipe["recipeIngredient"]) == 5
    assert any("coconut water" in item for item in recipe["recipeIngredient"])
    steps = recipe["recipeInstructions"]
    assert [step["@type"] for step in steps] == ["HowToStep"] * 3
    page = shipped().text("recipes/homemade-electrolyte-drink/index.html")
    assert all(f'id="{step["url"].split("#")[1]}"' in page for step in steps)


def test_athlete_is_a_profile_page_about_a_person() -> None:
    profile = graph("athletes/hattie-pearson/index.html")["ProfilePage"]
    person = profile["mainEntity"]
    assert person["@type"] == "Person" and person["name"] == "Hattie Pearson"
    assert "triathlon" in person["knowsAbout"]


@pytest.mark.parametrize(
    "path",
    [
        "exercises/index.html",
        "tags/index.html",
        "tags/strength-training/index.html",
        "articles/index.html",
    ],
)
def test_lists_are_collection_pages_whose_items_exist(path: str) -> None:
    collection = graph(path)["CollectionPage"]
    items = collection["mainEntity"]["itemListElement"]
    assert items and collection["mainEntity"]["numberOfItems"] == len(items)
    for item in items:
        relative = item["url"].split("://", 1)[1].split("/", 1)[1]
        assert relative + "index.html" in shipped().files


def test_every_page_but_home_has_breadcrumbs_ending_at_itself() -> None:
    for path in html_pages():
        if path in ("index.html", "404.html", "newsletter/thanks/index.html"):
            continue
        crumbs = graph(path)["BreadcrumbList"]["itemListElement"]
        assert crumbs[0]["name"] == "Home"
        assert crumbs[-1]["item"].endswith("/" + path.removesuffix("index.html")), path


def test_every_page_has_a_canonical_url_and_social_preview_tags() -> None:
    for path in html_pages():
        page = lxml.html.fromstring(shipped().text(path))

        def meta(name: str, page: Any = page, path: str = path) -> str:
            values = page.xpath(f"//meta[@property='{name}' or @name='{name}']/@content")
            assert len(values) == 1, (path, name)
            return str(values[0])

        (canonical,) = page.xpath("//link[@rel='canonical']/@href")
        assert meta("og:url") == canonical and canonical.startswith("https://")
        assert meta("og:title") and meta("og:description") and meta("twitter:card")
        assert meta("og:image").startswith("https://") and meta("og:image").endswith(".png")
        assert meta("og:type") in ("website", "article", "profile")


def test_a_recipe_without_an_image_is_a_warning_naming_the_file(tmp_path: Path) -> None:
    recipe = """\
        ---
        title: Toast
        date: 2025-01-01
        summary: Toast.
        category: Snack
        yield: "1 slice"
        servings: 1
        prep_time: 2
        ingredients:
          - {quantity: "1 slice", item: bread}
        steps:
          - text: Toast it.
        ---
        Crunchy.
        """
    content = write_files(
        tmp_path / "content", {"recipes/toast.md": recipe, "articles/a.md": article()}
    )
    warnings = [w.format() for w in build_in_memory(content).result.warnings]
    assert warnings == [
        "recipes/toast.md:1:1: recipe has no 'image'; Google requires one for recipe results"
        "\n    hint: add image: /images/<name>.jpg and image_alt"
    ]
