"""The site model: published entries with URLs, tags, related entries and every page. No I/O.

Built only once the whole site is read, because tags, listings, related entries, backlinks and
link checks all need the complete set of entries.
"""

from __future__ import annotations

import datetime
import heapq
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import TYPE_CHECKING

from . import urls
from .body import RenderedBody, TocEntry
from .cache_texts import stored_attribute
from .config import BuildOptions, SiteConfig
from .content import Document
from .errors import Problem
from .links import Linkable, resolve_links
from .schema import CONTENT_TYPES, EXERCISE_CATEGORIES, CommonMeta, ContentType, ExerciseMeta
from .urls import Route


# The site model has no __slots__: the build cache keeps a site (patch.py), and the pickle
# module restores a slotted dataclass through a Python-level __setstate__ but an instance
# dictionary in C, three times faster for the tens of thousands of objects of a large site.
@dataclass(frozen=True, order=True)
class TagRef:
    slug: str
    name: str
    url: str


@dataclass(frozen=True)
class Entry:
    """A published document: what templates show for one article, exercise, recipe or athlete."""

    document: Document
    route: Route
    html: str
    body: RenderedBody
    tags: tuple[TagRef, ...]

    def __reduce__(self) -> tuple[object, tuple[object, ...]]:
        # Field by field: one loaded from the cache may not have read its HTML yet.
        return (Entry, (self.document, self.route, self.html, self.body, self.tags))

    if not TYPE_CHECKING:  # typed as the field it stands in for

        def __getattr__(self, name: str) -> str:
            return stored_attribute(self, name)  # html, loaded from the cache (cache_texts.py)

    @property
    def meta(self) -> CommonMeta:
        return self.document.meta

    @property
    def title(self) -> str:
        return self.document.meta.title

    @property
    def date(self) -> datetime.date:
        return self.document.meta.date

    @property
    def url(self) -> str:
        return self.route.url

    @property
    def kind(self) -> ContentType:
        return self.document.content_type

    @property
    def toc(self) -> tuple[TocEntry, ...]:
        return self.body.toc


@dataclass(frozen=True)
class Tag:
    ref: TagRef
    entries: tuple[Entry, ...]  # newest first


@dataclass(frozen=True)
class Pagination:
    number: int
    count: int
    previous: str | None
    next: str | None


@dataclass(frozen=True)
class Page:
    """One output file: where it goes, which template renders it and what it shows."""

    route: Route
    template: str
    title: str
    entry: Entry | None = None
    entries: tuple[Entry, ...] = ()
    tag: Tag | None = None
    pagination: Pagination | None = None
    in_sitemap: bool = True


@dataclass(frozen=True)
class Site:
    config: SiteConfig
    entries: tuple[Entry, ...]  # newest first, then by URL
    tags: tuple[Tag, ...]  # by name
    pages: tuple[Page, ...]
    backlinks: Mapping[str, tuple[Entry, ...]] = field(default_factory=dict)
    related: Mapping[str, tuple[Entry, ...]] = field(default_factory=dict)
    # Every article page lists the latest stories: computed once, not once per page.
    _stories: tuple[Entry, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        stories = tuple(entry for entry in self.entries if entry.kind.in_feed)
        object.__setattr__(self, "_stories", stories)

    def section(self, name: str) -> tuple[Entry, ...]:
        return tuple(entry for entry in self.entries if entry.kind.section == name)

    @property
    def stories(self) -> tuple[Entry, ...]:
        """Entries that belong in the feed and in 'latest' lists."""
        return self._stories

    @property
    def featured(self) -> Entry | None:
        for entry in self.section("articles"):
            if getattr(entry.meta, "featured", False):
                return entry
        return None

    def exercise(self, slug: str) -> Entry:
        return next(entry for entry in self.section("exercises") if entry.document.slug == slug)

    def exercises_by_category(self) -> tuple[tuple[str, tuple[Entry, ...]], ...]:
        exercises = sorted(self.section("exercises"), key=lambda entry: entry.title.lower())
        return tuple(
            (category, tuple(e for e in exercises if getattr(e.meta, "category", "") == category))
            for category in EXERCISE_CATEGORIES
        )


def is_published(document: Document, options: BuildOptions) -> bool:
    if document.meta.draft and not options.include_drafts:
        return False
    return options.include_future or document.meta.date <= options.today


def build_site(  # noqa: PLR0917 (the phase's inputs, each named at the one call site)
    config: SiteConfig,
    documents: Sequence[Document],
    bodies: Mapping[str, RenderedBody],
    options: BuildOptions,
    static_urls: frozenset[str],
    image_urls: frozenset[str],
    broken: frozenset[str] = frozenset(),
) -> tuple[Site | None, list[Problem]]:
    """Phase one, part two: link the whole site together, or say everything that is wrong.

    `broken` names content files that failed to parse: the rest is still checked, so one build
    reports every mistake, but nothing is reported for pointing at a file that failed.
    """
    published = [doc for doc in documents if is_published(doc, options)]
    unpublished = frozenset(doc.source for doc in documents if not is_published(doc, options))
    routes, problems = _routes(published)
    tag_names, tag_problems = _tag_names(published)
    problems += tag_problems
    problems += _check_exercise_references(published, broken)
    problems += _check_images(published, image_urls)

    linkables = [
        Linkable(doc, routes[doc.source], bodies[doc.source])
        for doc in published
        if doc.source in routes  # one that lost a URL collision is reported already
    ]
    tag_counts = Counter(urls.slugify(name) for doc in published for name in set(doc.meta.tags))
    known = frozenset(r.url for r in routes.values()) | _listing_urls(config, tag_counts)
    unroutable = frozenset(doc.source for doc in published if doc.source not in routes)
    linked = resolve_links(linkables, known | static_urls, unpublished, broken | unroutable)
    problems += linked.problems
    if problems:
        return None, problems

    # One TagRef per tag, shared by every entry that has it.
    tag_refs = {slug: TagRef(slug, name, urls.tag(slug).url) for slug, name in tag_names.items()}
    entries = sorted(
        (
            Entry(
                item.document,
                item.route,
                linked.html[item.document.source],
                item.body,
                _tag_refs(item.document, tag_refs),
            )
            for item in linkables
        ),
        key=lambda entry: (-entry.date.toordinal(), entry.url),
    )
    by_source = {entry.document.source: entry for entry in entries}
    tags = _tags(entries, tag_refs)
    backlinks = {
        url: _newest_first(by_source[source] for source in sources)
        for url, sources in linked.backlinks.items()
    }
    site = Site(config, tuple(entries), tags, (), backlinks, _related(entries, config))
    return _with_pages(site), []


def _routes(documents: Sequence[Document]) -> tuple[dict[str, Route], list[Problem]]:
    routes: dict[str, Route] = {}
    owners: dict[str, Document] = {}
    problems: list[Problem] = []
    for doc in documents:
        route = urls.document(doc.content_type.section, doc.slug)
        other = owners.get(route.url)
        if other is not None:
            problems.append(
                Problem(
                    doc.source,
                    doc.line_of("slug"),
                    0,
                    f"{route.url} is also the URL of {other.source}",
                    "rename one file or give one of them a different 'slug'",
                )
            )
            continue
        owners[route.url] = doc
        routes[doc.source] = route
    return routes, problems


def _tag_names(documents: Sequence[Document]) -> tuple[dict[str, str], list[Problem]]:
    """Tag slug -> display name. Tags differing only in case or spacing are one tag."""
    variants: dict[str, Counter[str]] = {}
    problems: list[Problem] = []
    for doc in documents:
        for name in doc.meta.tags:
            display = urls.normalise_tag(name)
            slug = urls.slugify(display)
            if any(bad in display for bad in ("/", "\\", "..")) or not slug:
                problems.append(
                    Problem(
                        doc.source,
                        doc.line_of("tags"),
                        0,
                        f"tag '{name}' cannot be made into a URL",
                        "use words, digits and spaces; no '/', '\\' or '..'",
                    )
                )
                continue
            variants.setdefault(slug, Counter())[display] += 1
    # The most used spelling wins; ties go to the alphabetically first, so output is stable.
    names = {
        slug: min(counts, key=lambda variant: (-counts[variant], variant))
        for slug, counts in variants.items()
    }
    return names, problems


def _check_exercise_references(
    documents: Sequence[Document], broken: frozenset[str]
) -> list[Problem]:
    slugs = {doc.slug for doc in documents if doc.content_type.section == "exercises"}
    # A broken exercise's slug is unknown: while there is one, only self-references are sure.
    unsure = any(source.startswith("exercises/") for source in broken)
    problems: list[Problem] = []
    for doc in documents:
        if not isinstance(doc.meta, ExerciseMeta):
            continue
        for key in ("progressions", "regressions"):
            for slug in getattr(doc.meta, key):
                if (slug not in slugs and not unsure) or slug == doc.slug:
                    problems.append(
                        Problem(
                            doc.source,
                            doc.line_of(key),
                            0,
                            f"'{key}' names '{slug}', which is no other exercise",
                            "use the slug (file name) of another exercise",
                        )
                    )
    return problems


def _check_images(documents: Sequence[Document], image_urls: frozenset[str]) -> list[Problem]:
    return [
        Problem(
            doc.source,
            doc.line_of("image"),
            0,
            f"image '{doc.meta.image}' is not a PNG, JPEG, GIF or SVG file in static/",
            "put the file in static/ and write its site path, e.g. /images/photo.jpg",
        )
        for doc in documents
        if doc.meta.image and doc.meta.image not in image_urls
    ]


def _listing_urls(config: SiteConfig, tag_counts: Mapping[str, int]) -> frozenset[str]:
    found = {
        urls.home().url,
        urls.tags_index().url,
        urls.feed().url,
        urls.sitemap().url,
        urls.robots().url,
        urls.not_found().url,
        urls.newsletter_thanks().url,
    }
    found |= {urls.section_index(content_type.section).url for content_type in CONTENT_TYPES}
    for slug, count in tag_counts.items():
        for number in range(1, _page_count(count, config.tag_page_size) + 1):
            found.add(urls.tag(slug, number).url)
    return frozenset(found)


def _page_count(items: int, size: int) -> int:
    return max(1, -(-items // size))


def _tag_refs(doc: Document, refs: Mapping[str, TagRef]) -> tuple[TagRef, ...]:
    slugs = sorted({urls.slugify(urls.normalise_tag(name)) for name in doc.meta.tags})
    return tuple(refs[slug] for slug in slugs)


def _tags(entries: Sequence[Entry], refs_by_slug: Mapping[str, TagRef]) -> tuple[Tag, ...]:
    tagged: dict[str, list[Entry]] = {slug: [] for slug in refs_by_slug}
    for entry in entries:
        for ref in entry.tags:
            tagged[ref.slug].append(entry)
    refs = sorted(refs_by_slug.values(), key=lambda ref: (ref.name.lower(), ref.slug))
    return tuple(Tag(ref, tuple(tagged[ref.slug])) for ref in refs)


def _newest_first(entries: object) -> tuple[Entry, ...]:
    return tuple(sorted(entries, key=lambda e: (-e.date.toordinal(), e.url)))  # type: ignore[call-overload]


def _related(entries: Sequence[Entry], config: SiteConfig) -> dict[str, tuple[Entry, ...]]:
    """Stories sharing the most tags, then newest, then by URL: stable for the same input.

    Comparing every story with every other is quadratic (minutes at 20,000 stories), so stories
    are indexed by each small combination of their tags: the stories sharing k given tags are one
    list, already newest first, and the best matches are read from the front of a few lists.
    Stories are numbered in the site's order (newest first, then by URL), so "newest first" is
    ascending numbers, which the lists are merged by at C speed.
    """
    stories = [entry for entry in entries if entry.kind.in_feed]  # newest first, then by URL
    own_tags = [frozenset(ref.slug for ref in entry.tags) for entry in stories]
    having: dict[frozenset[str], list[int]] = {}
    for number, own in enumerate(own_tags):
        for size in range(1, min(len(own), _INDEXED_TAGS) + 1):
            for combination in combinations(sorted(own), size):
                having.setdefault(frozenset(combination), []).append(number)
    wanted = config.related_count
    related: dict[str, tuple[Entry, ...]] = {}
    for number, entry in enumerate(stories):
        own = own_tags[number]
        if len(own) > _INDEXED_TAGS:
            related[entry.url] = _related_by_scan(number, stories, own_tags, wanted)
            continue
        chosen: list[int] = []
        # Stories met at `shared` share exactly that many tags: any sharing more were met at a
        # higher level and all taken, or the list was already full.
        for shared in range(len(own), 0, -1):
            if len(chosen) == wanted:
                break
            lists = [having[frozenset(c)] for c in combinations(sorted(own), shared)]
            for other in heapq.merge(*lists):
                if len(chosen) == wanted:
                    break
                if other != number and other not in chosen:
                    chosen.append(other)
        related[entry.url] = tuple(stories[other] for other in chosen)
    return related


_INDEXED_TAGS = 4  # stories with more tags than this are compared with every other story


def _related_by_scan(
    number: int, stories: Sequence[Entry], own_tags: Sequence[frozenset[str]], wanted: int
) -> tuple[Entry, ...]:
    own = own_tags[number]
    scored = [
        (-len(own & tags), other)
        for other, tags in enumerate(own_tags)
        if other != number and not own.isdisjoint(tags)
    ]
    scored.sort()  # most tags shared first, then in the site's order
    return tuple(stories[other] for _, other in scored[:wanted])


def _with_pages(site: Site) -> Site:
    config = site.config
    pages: list[Page] = [Page(urls.home(), "home.html", config.title, entries=site.stories)]
    for entry in site.entries:
        pages.append(Page(entry.route, entry.kind.template, entry.title, entry=entry))
    for content_type in CONTENT_TYPES:
        pages.append(
            Page(
                urls.section_index(content_type.section),
                content_type.list_template,
                content_type.label,
                entries=site.section(content_type.section),
            )
        )
    pages.append(Page(urls.tags_index(), "tags.html", "Tags"))
    for tag in site.tags:
        pages += _tag_pages(tag, config.tag_page_size)
    pages += [
        Page(urls.newsletter_thanks(), "thanks.html", "Thanks for subscribing", in_sitemap=False),
        Page(urls.not_found(), "404.html", "Page not found", in_sitemap=False),
        Page(
            urls.feed(),
            "feed.xml",
            config.title,
            entries=site.stories[: config.feed_size],
            in_sitemap=False,
        ),
        Page(urls.sitemap(), "sitemap.xml", "Sitemap", in_sitemap=False),
        Page(urls.robots(), "robots.txt", "Robots", in_sitemap=False),
    ]
    return Site(site.config, site.entries, site.tags, tuple(pages), site.backlinks, site.related)


def _tag_pages(tag: Tag, size: int) -> list[Page]:
    count = _page_count(len(tag.entries), size)
    pages = []
    for number in range(1, count + 1):
        previous = urls.tag(tag.ref.slug, number - 1).url if number > 1 else None
        following = urls.tag(tag.ref.slug, number + 1).url if number < count else None
        chunk = tag.entries[(number - 1) * size : number * size]
        title = f"Tagged “{tag.ref.name}”" + (f" (page {number} of {count})" if count > 1 else "")
        pages.append(
            Page(
                urls.tag(tag.ref.slug, number),
                "tag.html",
                title,
                entries=chunk,
                tag=tag,
                pagination=Pagination(number, count, previous, following),
            )
        )
    return pages
