"""Resolves and checks links between pages once every URL is known; records backlinks.

A link to a missing page or anchor is a Problem naming the file, the line and the link.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .body import SOURCE_SCHEME, LinkRef, RenderedBody
from .content import Document
from .errors import Problem
from .urls import Route

PAGE_ANCHORS = frozenset({"main"})  # ids every page template provides
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")  # e.g. javascript:, data:, ftp:
_SOURCE_HREF = re.compile(r'href="' + re.escape(SOURCE_SCHEME) + r'([^"#]*)(#[^"]*)?"')


@dataclass(frozen=True, slots=True)
class Linkable:
    """A published document as the link checker sees it."""

    document: Document
    route: Route
    body: RenderedBody

    @property
    def anchors(self) -> frozenset[str]:
        return self.body.anchors | PAGE_ANCHORS | frozenset(self.document.content_type.anchors)


@dataclass(frozen=True, slots=True)
class LinkResult:
    html: Mapping[str, str]  # source path -> HTML with every link resolved to a URL
    backlinks: Mapping[str, tuple[str, ...]]  # target URL -> source paths linking to it
    problems: tuple[Problem, ...]


def resolve_links(
    items: Sequence[Linkable],
    known_urls: frozenset[str],
    unpublished: frozenset[str],
    broken: frozenset[str] = frozenset(),
    *,
    only: Sequence[Linkable] | None = None,
) -> LinkResult:
    """Check and rewrite every link; `broken` files failed to parse, so links to them, or to
    URLs they might have had, are not judged. With `only`, just those items' links are checked
    and rewritten, against the whole site in `items`."""
    by_source = {item.document.source: item for item in items}
    by_url = {item.route.url: item for item in items}
    html: dict[str, str] = {}
    backlinks: dict[str, set[str]] = {}
    problems: list[Problem] = []
    for item in items if only is None else only:
        for link in item.body.links:
            target_url, problem = _check(
                item,
                link,
                by_source=by_source,
                by_url=by_url,
                known_urls=known_urls,
                unpublished=unpublished,
                broken=broken,
            )
            if problem:
                problems.append(problem)
            elif target_url and target_url != item.route.url:
                backlinks.setdefault(target_url, set()).add(item.document.source)
        html[item.document.source] = _rewrite(item.body.html, by_source)
    return LinkResult(
        html,
        {url: tuple(sorted(sources)) for url, sources in backlinks.items()},
        tuple(problems),
    )


def _check(
    item: Linkable,
    link: LinkRef,
    *,
    by_source: Mapping[str, Linkable],
    by_url: Mapping[str, Linkable],
    known_urls: frozenset[str],
    unpublished: frozenset[str],
    broken: frozenset[str],
) -> tuple[str | None, Problem | None]:
    def problem(message: str, hint: str) -> tuple[None, Problem]:
        line, column = _position_of_link(item.document, link.written)
        return None, Problem(item.document.source, line, column, message, hint)

    target: Linkable | None
    scheme = _SCHEME.match(link.written)
    if link.kind == "relative" and scheme:
        return problem(
            f"link '{link.written}' uses a '{scheme.group(0)}' URL, which pages may not contain",
            "link with https://, mailto: or tel:, or to a page of the site",
        )
    if link.kind == "relative":
        return problem(
            f"link '{link.written}' is relative to the page URL, which is fragile",
            "link to the content file (e.g. ../exercises/squats.md) or to a path starting with '/'",
        )
    if link.kind == "anchor":
        target = item
    elif link.kind == "source":
        target = by_source.get(link.target)
        if target is None:
            if link.target in broken:
                return None, None  # the file's own problem is reported; fix that first
            if link.target in unpublished:
                return problem(
                    f"link '{link.written}' points to a draft or future entry",
                    "publish that entry first, or remove the link",
                )
            return problem(
                f"link '{link.written}' points to no content file",
                "check the file name; links are relative to this file's folder",
            )
    else:
        url = _as_page_url(link.target)
        section = url.strip("/").split("/", 1)[0] + "/"
        if url not in known_urls and any(source.startswith(section) for source in broken):
            return None, None  # it may be the URL of a file that failed to parse
        if url not in known_urls:
            return problem(
                f"link '{link.written}' points to no page of the site",
                "check the path; pages end with '/', e.g. /exercises/squats/",
            )
        target = by_url.get(url)
        if target is None:
            if link.fragment:
                return problem(
                    f"link '{link.written}' has an anchor on a page that has none",
                    "link to the page without '#...'",
                )
            return url, None
    if link.fragment and link.fragment not in target.anchors:
        known = ", ".join(sorted(target.anchors))
        return problem(
            f"link '{link.written}' points to a missing anchor '#{link.fragment}'",
            f"anchors on that page: {known}",
        )
    return target.route.url, None


def _rewrite(html: str, by_source: Mapping[str, Linkable]) -> str:
    def replace(match: re.Match[str]) -> str:
        target = by_source.get(match.group(1))
        if target is None:  # already reported as a problem; the build will not be written
            return match.group(0)
        return f'href="{target.route.url}{match.group(2) or ""}"'

    return _SOURCE_HREF.sub(replace, html)


def _as_page_url(path: str) -> str:
    """'/exercises/squats' and '/exercises/squats/' name one page; '/feed.xml' is a file."""
    if path.endswith("/") or "." in path.rsplit("/", 1)[-1]:
        return path
    return path + "/"


def _position_of_link(document: Document, written: str) -> tuple[int, int]:
    """File line and column of the link's target as written, where the fix is typed."""
    body = document.body
    for needle in (f"]({written}", f"]: {written}", f'href="{written}"', written):
        index = body.find(needle)
        if index >= 0:
            index += len(needle) - len(written) - (1 if needle.startswith("href") else 0)
            column = index - (body.rfind("\n", 0, index) + 1) + 1
            return document.body_line + body.count("\n", 0, index), column
    return document.body_line, 1
