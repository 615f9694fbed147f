"""The dev server's fast preview: an edited entry's own page, rendered against the last site.

On a site of thousands of pages a full rebuild takes seconds, nearly all of it re-checking what
did not change. The page an editor just saved is the one they are looking at, so the dev server
renders it first, in milliseconds, from the edited file and the last build's site model, shows
it, and only then runs the full rebuild, which makes every page exact again (lists, related
entries, feeds) and reloads the browser a second time. Hugo's server does the same ("fast
render"). Only an edit that keeps the entry's URL, type, publication, tags and headings' anchors
qualifies; any other change, and any mistake, waits for the full rebuild, which reports it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from .assets import Assets
from .audit import audit_pages
from .config import BuildOptions
from .content import parse_document
from .errors import BuildError
from .links import Linkable, resolve_links
from .markdown import BodyConverter
from .model import Site, is_published
from .output import OutputFile
from .patch import with_entries
from .render import Environment, render_pages
from .sources import SourceFile


@dataclass(frozen=True, slots=True)
class LastSite:
    """What the last full build linked and rendered with, kept by the dev server."""

    site: Site
    env: Environment
    assets: Assets
    content: Path  # the content folder that build read


def preview_page(last: LastSite, changed: Path, options: BuildOptions) -> OutputFile | None:
    """The edited entry's page, or None when the edit needs the full rebuild to show."""
    try:
        source = changed.resolve().relative_to(last.content.resolve()).as_posix()
        data = changed.read_bytes()
    except (ValueError, OSError):
        return None
    old = next((e for e in last.site.entries if e.document.source == source), None)
    if old is None:
        return None
    document, problems = parse_document(SourceFile.of(source, data))
    if (
        problems
        or document is None
        or document.slug != old.document.slug
        or document.meta.tags != old.document.meta.tags
        or not is_published(document, options)
    ):
        return None
    try:
        body = BodyConverter().convert(source, document.body)
    except BuildError:
        return None
    if not old.body.anchors <= body.anchors:
        return None  # another page may link to a heading that is gone: the rebuild will say
    edited = Linkable(document, old.route, body)
    others = [Linkable(e.document, e.route, e.body) for e in last.site.entries if e is not old]
    known = frozenset(page.route.url for page in last.site.pages) | last.assets.public_urls
    linked = resolve_links([*others, edited], known, frozenset(), only=[edited])
    if linked.problems:
        return None
    entry = dataclasses.replace(old, document=document, html=linked.html[source], body=body)
    site = with_entries(last.site, {entry.url: entry})  # in every list that shows it, too
    page = next((p for p in site.pages if p.entry is entry), None)
    if page is None:
        return None
    files, problems = render_pages(site, last.assets, last.env, [page])
    if problems or len(files) != 1:
        return None
    breaches, _ = audit_pages(files, (), last.site.config.page_weight_budget_kb)
    return None if breaches else files[0]
