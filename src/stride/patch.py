"""A warm build's shortcut: the last build's linked site, with edited bodies swapped in.

Linking a whole site (routes, tags, related entries, backlinks, link checks) costs more than
everything else a one-file rebuild does. An edit that changes only an entry's body text, its
front matter, links and headings' anchors staying as they were, cannot change any of that: the
last build's site is then reused with the new body in place, and only the pages that show the
body are rendered again (reuse.py). Anything else (a file added or removed, front matter, a
link, an anchor, a mistake) links the whole site again, which also reports every problem.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .body import RenderedBody
from .content import Document
from .links import Linkable, resolve_links
from .model import Entry, Site, Tag


@dataclass(frozen=True, slots=True)
class PatchedSite:
    site: Site
    replaced: Mapping[str, Entry]  # the entries whose body changed, by URL


def patch_bodies(
    last: Site,
    edits: Sequence[tuple[Document, RenderedBody]],
    static_urls: frozenset[str],
    pending: Mapping[str, Entry],
) -> PatchedSite | None:
    """The last site with these edited bodies, or None if any edit needs the site linked again.

    Each edit is a file of the last site parsed and converted again. It qualifies when its
    document is the same but for the body text (same type, slug and front matter, so the same
    URL, tags, dates and publication) and its body has the same links and anchors (so the same
    backlinks, and every link elsewhere to one of its headings still lands). `pending` are
    entries of earlier edits not yet swapped into `last` (BuildCache.site_pending): they go in
    with these, in one pass over the site.
    """
    entries = [pending.get(entry.url, entry) for entry in last.entries] if pending else last.entries
    by_source = {entry.document.source: entry for entry in entries}
    linkables = {
        entry.document.source: Linkable(entry.document, entry.route, entry.body)
        for entry in entries
    }
    edited: list[tuple[Entry, Linkable]] = []
    for document, body in edits:
        old = by_source.get(document.source)
        if old is None or not _same_but_body(old, document, body):
            return None
        linkables[document.source] = Linkable(document, old.route, body)
        edited.append((old, linkables[document.source]))
    known = frozenset(page.route.url for page in last.pages) | static_urls
    only = [linkable for _, linkable in edited]
    linked = resolve_links(list(linkables.values()), known, frozenset(), only=only)
    if linked.problems:
        return None
    replaced = {
        old.url: dataclasses.replace(
            old,
            document=new.document,
            html=linked.html[new.document.source],
            body=new.body,
        )
        for old, new in edited
    }
    return PatchedSite(with_entries(last, {**pending, **replaced}), replaced)


def _same_but_body(old: Entry, document: Document, body: RenderedBody) -> bool:
    before = old.document
    return (
        document.content_type == before.content_type
        and document.slug == before.slug
        and document.meta == before.meta
        and body.links == old.body.links
        and body.anchors == old.body.anchors
    )


def with_entries(site: Site, replaced: Mapping[str, Entry]) -> Site:
    """The site with the entries of these URLs replaced wherever it holds them.

    Only entries that keep everything the site is linked by (URL, tags, dates) may be replaced
    this way: collections, tags and pages keep their order and shape, and only the entry
    objects in them change, so a page finds its entry's new body.
    """
    # By identity: a collection holding none of the old entries is kept as it is, which a
    # set operation tells at C speed, the site's largest lists holding every entry.
    new_by_old = {id(e): replaced[e.url] for e in site.entries if e.url in replaced}
    if not new_by_old:
        return site
    old_ids = new_by_old.keys()

    def swap(entries: tuple[Entry, ...]) -> tuple[Entry, ...]:
        if old_ids.isdisjoint(map(id, entries)):
            return entries
        return tuple([new_by_old.get(id(entry), entry) for entry in entries])

    tags = {tag.ref.slug: _swapped_tag(tag, swap(tag.entries)) for tag in site.tags}
    pages = []
    for page in site.pages:
        entry = new_by_old.get(id(page.entry), page.entry)
        entries = swap(page.entries)
        tag = None if page.tag is None else tags[page.tag.ref.slug]
        if entry is page.entry and entries is page.entries and tag is page.tag:
            pages.append(page)
        else:
            pages.append(dataclasses.replace(page, entry=entry, entries=entries, tag=tag))
    return Site(
        site.config,
        swap(site.entries),
        tuple(tags.values()),
        tuple(pages),
        {url: swap(entries) for url, entries in site.backlinks.items()},
        {url: swap(entries) for url, entries in site.related.items()},
    )


def _swapped_tag(tag: Tag, entries: tuple[Entry, ...]) -> Tag:
    return tag if entries is tag.entries else Tag(tag.ref, entries)
