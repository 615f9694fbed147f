"""Structured data (JSON-LD), social preview tags and search-engine checks, as pure functions.

Each function turns the site model into plain data; templates only print it.
"""

from __future__ import annotations

import datetime
import json
import re
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from .config import SiteConfig
from .content import Document
from .errors import Problem
from .model import Entry, Page, Site
from .schema import ArticleMeta, AthleteMeta, ExerciseMeta, RecipeMeta

JsonLd = dict[str, Any]
_SCHEMA = "https://schema.org"
# What json.dumps(data, ensure_ascii=False, separators=(",", ":")) would build on every call.
_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


@dataclass(frozen=True, slots=True)
class SocialMeta:
    """Open Graph and Twitter card values for one page."""

    title: str
    description: str
    url: str
    type: str
    image: str
    image_alt: str
    published: str | None


def absolute(config: SiteConfig, url: str) -> str:
    return url if url.startswith(("http://", "https://")) else config.origin + url


def page_description(page: Page, site: Site) -> str:
    if page.entry is not None:
        return page.entry.meta.summary
    if page.tag is not None:
        return f"Everything on {site.config.title} about {page.tag.ref.name}."
    if page.route.url == "/":
        return site.config.description
    return f"{page.title} from {site.config.title}: {site.config.tagline}."


def social_meta(page: Page, site: Site) -> SocialMeta:
    entry = page.entry
    config = site.config
    # Social apps do not show SVG previews, so only raster lead images replace the site card.
    image, alt = absolute(config, config.social_image), f"{config.title}: {config.tagline}"
    published = None
    kind = "website"
    if entry is not None:
        kind = "profile" if isinstance(entry.meta, AthleteMeta) else "article"
        lead = entry.meta.image
        if lead and not lead.endswith(".svg") and entry.meta.image_alt:
            image, alt = absolute(config, lead), entry.meta.image_alt
        published = entry.date.isoformat()
    return SocialMeta(
        page.title,
        page_description(page, site),
        absolute(site.config, page.route.url),
        kind,
        image,
        alt,
        published,
    )


def json_ld(page: Page, site: Site) -> Markup:
    """The page's structured data as a safe <script> body (no '<' can close the element)."""
    graph = [item for item in (_main_item(page, site), _breadcrumbs(page, site)) if item]
    data: JsonLd = {"@context": _SCHEMA, "@graph": graph}
    text = _JSON.encode(data)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)


def _main_item(page: Page, site: Site) -> JsonLd | None:
    config = site.config
    url = absolute(config, page.route.url)
    if page.entry is not None:
        return entry_item(page.entry, config)
    if page.route.url == "/":
        return {
            "@type": "WebSite",
            "name": config.title,
            "url": url,
            "description": config.description,
            "inLanguage": config.language,
            "publisher": _publisher(config),
        }
    if page.template in ("404.html", "thanks.html"):
        return {"@type": "WebPage", "name": page.title, "url": url}
    items = [
        {"@type": "ListItem", "position": position, "url": absolute(config, e.url), "name": e.title}
        for position, e in enumerate(page.entries, start=1)
    ]
    if page.template == "tags.html":
        items = [
            {
                "@type": "ListItem",
                "position": position,
                "url": absolute(config, tag.ref.url),
                "name": tag.ref.name,
            }
            for position, tag in enumerate(site.tags, start=1)
        ]
    return {
        "@type": "CollectionPage",
        "name": page.title,
        "url": url,
        "description": page_description(page, site),
        "mainEntity": {"@type": "ItemList", "numberOfItems": len(items), "itemListElement": items},
    }


def entry_item(entry: Entry, config: SiteConfig) -> JsonLd:
    meta = entry.meta
    url = absolute(config, entry.url)
    common: JsonLd = {
        "name": meta.title,
        "description": meta.summary,
        "url": url,
        "datePublished": meta.date.isoformat(),
        "inLanguage": config.language,
    }
    if meta.updated:
        common["dateModified"] = meta.updated.isoformat()
    if meta.image:
        common["image"] = absolute(config, meta.image)
    if entry.tags:
        common["keywords"] = ", ".join(ref.name for ref in entry.tags)
    author = {"@type": "Organization", "name": config.author, "url": config.origin + "/"}
    if isinstance(meta, ArticleMeta):
        return {
            "@type": "BlogPosting",
            "headline": meta.title,
            **common,
            "dateModified": (meta.updated or meta.date).isoformat(),
            "author": {
                "@type": "Organization",
                "name": meta.author or config.author,
                "url": config.origin + "/",
            },
            "publisher": _publisher(config),
            "mainEntityOfPage": url,
            "wordCount": entry.body.words,
        }
    if isinstance(meta, ExerciseMeta):
        item: JsonLd = {
            "@type": "ExercisePlan",
            **common,
            "exerciseType": meta.category,
            "workload": meta.prescription,
            "intensity": meta.level,
        }
        sets_reps = re.match(r"^\s*(\d+)\s*[x\u00d7]\s*(\d+)\b", meta.prescription)
        if sets_reps:
            item["repetitions"] = int(sets_reps.group(2))
        return item
    if isinstance(meta, RecipeMeta):
        recipe: JsonLd = {
            "@type": "Recipe",
            **common,
            "author": author,
            "prepTime": iso_duration(meta.prep_time),
            "cookTime": iso_duration(meta.cook_time),
            "totalTime": iso_duration(meta.prep_time + meta.cook_time),
            "recipeYield": [str(meta.servings), meta.yield_],
            "recipeCategory": meta.category,
            "recipeIngredient": [f"{i.quantity} {i.item}" for i in meta.ingredients],
            "recipeInstructions": [
                {
                    "@type": "HowToStep",
                    "position": n,
                    "text": step.text,
                    "url": f"{url}#step-{n}",
                    **({"name": step.name} if step.name else {}),
                }
                for n, step in enumerate(meta.steps, start=1)
            ],
        }
        if meta.cuisine:
            recipe["recipeCuisine"] = meta.cuisine
        if meta.calories is not None:
            recipe["nutrition"] = {
                "@type": "NutritionInformation",
                "calories": f"{meta.calories} calories",
            }
        return recipe
    if isinstance(meta, AthleteMeta):
        person: JsonLd = {
            "@type": "Person",
            "name": meta.name,
            "description": meta.summary,
            "knowsAbout": list(meta.sports),
            "url": url,
        }
        if meta.occupation:
            person["jobTitle"] = meta.occupation
        if meta.image:
            person["image"] = absolute(config, meta.image)
        return {
            "@type": "ProfilePage",
            **common,
            "mainEntity": person,
            "dateCreated": meta.date.isoformat(),
            "dateModified": (meta.updated or meta.date).isoformat(),
        }
    raise TypeError(f"no structured data for {type(meta).__name__}")  # a new type needs a case


def _publisher(config: SiteConfig) -> JsonLd:
    return {"@type": "Organization", "name": config.title, "url": config.origin + "/"}


def _breadcrumbs(page: Page, site: Site) -> JsonLd | None:
    if page.route.url == "/" or page.template in ("404.html", "thanks.html"):
        return None
    trail = [("Home", "/")]
    if page.entry is not None:
        section = page.entry.kind
        trail += [(section.label, f"/{section.section}/"), (page.entry.title, page.route.url)]
    elif page.tag is not None:
        trail += [("Tags", "/tags/"), (page.tag.ref.name, page.route.url)]
    else:
        trail.append((page.title, page.route.url))
    return {
        "@type": "BreadcrumbList",
        "itemListElement": [
            {"@type": "ListItem", "position": n, "name": name, "item": absolute(site.config, url)}
            for n, (name, url) in enumerate(trail, start=1)
        ],
    }


def iso_duration(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    if hours and rest:
        return f"PT{hours}H{rest}M"
    return f"PT{hours}H" if hours else f"PT{rest}M"


def search_warnings(documents: list[Document]) -> list[Problem]:
    """Fields a search engine requires for rich results that a document lacks: warnings only."""
    warnings = []
    for doc in documents:
        if isinstance(doc.meta, RecipeMeta) and not doc.meta.image:
            warnings.append(
                Problem(
                    doc.source,
                    1,
                    0,
                    "recipe has no 'image'; Google requires one for recipe results",
                    "add image: /images/<name>.jpg and image_alt",
                )
            )
    return warnings


def last_updated(entries: tuple[Entry, ...]) -> datetime.date:
    """The feed's <updated>: its newest change, never the clock, so builds are reproducible."""
    days = [entry.meta.updated or entry.date for entry in entries]
    return max(days, default=datetime.date(1970, 1, 1))


def rfc3339(day: datetime.date) -> str:
    return f"{day.isoformat()}T00:00:00Z"
