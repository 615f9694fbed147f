"""One declared schema per content type: fields, types, required, allowed values, help and examples.

Each fact about a type lives here once; validation, `new` scaffolding and structured data read it.
A field without a default is required. `Literal[...]` lists the allowed values.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any, Literal


def spec(help_text: str, example: object) -> dict[str, Any]:
    """Field metadata: what the field means and an example value for scaffolding and hints."""
    return {"help": help_text, "example": example}


@dataclass(frozen=True, kw_only=True)
class CommonMeta:
    """Fields every content type has."""

    title: str = field(metadata=spec("the page title, shown as its heading", "A clear title"))
    date: datetime.date = field(metadata=spec("publication date, YYYY-MM-DD", "2025-01-31"))
    summary: str = field(
        metadata=spec("one or two sentences for lists, feeds and search", "What it is about.")
    )
    updated: datetime.date | None = field(
        default=None, metadata=spec("date of the last real change, YYYY-MM-DD", "2025-02-28")
    )
    tags: tuple[str, ...] = field(default=(), metadata=spec("a few topic tags", ["running"]))
    draft: bool = field(default=False, metadata=spec("true hides the page from the site", True))
    slug: str | None = field(
        default=None, metadata=spec("URL name; defaults to the file name", "my-page")
    )
    image: str | None = field(
        default=None, metadata=spec("site path of a lead image", "/images/lead.jpg")
    )
    image_alt: str | None = field(
        default=None, metadata=spec("text alternative for the image", "What the image shows")
    )


@dataclass(frozen=True, kw_only=True)
class ArticleMeta(CommonMeta):
    author: str | None = field(default=None, metadata=spec("byline", "Stride editorial team"))
    featured: bool = field(
        default=False, metadata=spec("true puts the article at the top of the home page", True)
    )


ExerciseCategory = Literal["lower body", "upper body", "core", "power and speed"]
Level = Literal["beginner", "intermediate", "advanced"]


@dataclass(frozen=True, kw_only=True)
class ExerciseMeta(CommonMeta):
    category: ExerciseCategory = field(metadata=spec("where it sits in the plan", "lower body"))
    level: Level = field(metadata=spec("how hard it is to learn", "beginner"))
    equipment: tuple[str, ...] = field(metadata=spec("what you need", ["bodyweight"]))
    muscles: tuple[str, ...] = field(metadata=spec("main muscles worked", ["glutes"]))
    prescription: str = field(metadata=spec("default sets x reps", "3 x 10"))
    steps: tuple[str, ...] = field(metadata=spec("numbered how-to steps", ["Stand tall."]))
    cues: tuple[str, ...] = field(metadata=spec("short form cues", ["Brace your core."]))
    mistakes: tuple[str, ...] = field(
        default=(), metadata=spec("common mistakes", ["Rushing the reps."])
    )
    progressions: tuple[str, ...] = field(
        default=(), metadata=spec("slugs of harder exercises", ["other-exercise"])
    )
    regressions: tuple[str, ...] = field(
        default=(), metadata=spec("slugs of easier exercises", ["other-exercise"])
    )


@dataclass(frozen=True, kw_only=True)
class Ingredient:
    quantity: str = field(metadata=spec("how much", "500 ml"))
    item: str = field(metadata=spec("what", "coconut water"))


@dataclass(frozen=True, kw_only=True)
class RecipeStep:
    text: str = field(metadata=spec("what to do", "Blend until smooth."))
    name: str | None = field(default=None, metadata=spec("a short step name", "Blend"))


@dataclass(frozen=True, kw_only=True)
class RecipeMeta(CommonMeta):
    category: str = field(metadata=spec("kind of dish", "Drink"))
    cuisine: str | None = field(default=None, metadata=spec("cuisine", "British"))
    yield_: str = field(metadata=spec("what it makes", "1 glass (500 ml)"))
    servings: int = field(metadata=spec("number of servings", 1))
    prep_time: int = field(metadata=spec("preparation time in minutes", 5))
    cook_time: int = field(default=0, metadata=spec("cooking time in minutes", 0))
    calories: int | None = field(default=None, metadata=spec("kcal per serving", 120))
    ingredients: tuple[Ingredient, ...] = field(
        metadata=spec("ingredients with quantities", [{"quantity": "1", "item": "lime"}])
    )
    steps: tuple[RecipeStep, ...] = field(
        metadata=spec("method, in order", [{"name": "Blend", "text": "Blend until smooth."}])
    )


@dataclass(frozen=True, kw_only=True)
class Achievement:
    year: int = field(metadata=spec("year", 2024))
    title: str = field(metadata=spec("what happened", "First marathon"))


@dataclass(frozen=True, kw_only=True)
class AthleteMeta(CommonMeta):
    name: str = field(metadata=spec("the athlete's full name", "Alex Runner"))
    occupation: str | None = field(default=None, metadata=spec("what they do", "Teacher"))
    sports: tuple[str, ...] = field(metadata=spec("sports they compete in", ["running"]))
    achievements: tuple[Achievement, ...] = field(
        default=(), metadata=spec("achievements by year", [{"year": 2024, "title": "A race"}])
    )
    goals: tuple[str, ...] = field(default=(), metadata=spec("what is next", ["A first ultra"]))


def yaml_key(python_name: str) -> str:
    """Front-matter key for a field: `yield_` is spelled `yield` (a Python keyword)."""
    return python_name.rstrip("_")


@dataclass(frozen=True)
class ContentType:
    """A kind of content: its folder (also its URL section), schema and templates."""

    section: str
    singular: str
    label: str
    meta: type[CommonMeta]
    template: str
    list_template: str
    in_feed: bool
    anchors: tuple[str, ...] = ()  # ids the page template adds, so links to them can be checked


CONTENT_TYPES: tuple[ContentType, ...] = (
    ContentType(
        "articles",
        "article",
        "Articles",
        ArticleMeta,
        "article.html",
        "articles.html",
        in_feed=True,
    ),
    ContentType(
        "exercises",
        "exercise",
        "Exercises",
        ExerciseMeta,
        "exercise.html",
        "exercises.html",
        in_feed=False,
        anchors=("steps", "cues", "mistakes"),
    ),
    ContentType(
        "recipes",
        "recipe",
        "Recipes",
        RecipeMeta,
        "recipe.html",
        "recipes.html",
        in_feed=True,
        anchors=("ingredients", "method"),
    ),
    ContentType(
        "athletes",
        "athlete",
        "Athletes",
        AthleteMeta,
        "athlete.html",
        "athletes.html",
        in_feed=True,
    ),
)

TYPES_BY_SECTION = {content_type.section: content_type for content_type in CONTENT_TYPES}
TYPES_BY_SINGULAR = {content_type.singular: content_type for content_type in CONTENT_TYPES}

EXERCISE_CATEGORIES: tuple[str, ...] = ("lower body", "upper body", "core", "power and speed")
