"""Which pages of the last build still hold: a record of what each page's render read.

While a page renders, the Jinja environment reports each template it loads and each part of the
site model a template touches: an entry's summary or its body, a collection of the site
(stories, tags, pages...), a call such as site.section('recipes'), one key of site.related. The
SEO data computed in Python records what it reads the same way. Each read is kept as a key that
finds the same value in any later site, with a digest of the value it had. A page is reused when
the page itself and the settings are unchanged and every read gives the same digest in the new
site; otherwise it is rendered again.

Entries and tags inside a value are digested by URL or slug alone: a template that shows one
reads its fields, and those reads are recorded. No two entries of a site share a URL
(nor two tags a slug), so comparing them by URL is what comparing them by value does.
Rendering is deterministic, so equal reads mean equal bytes; the test suite checks this against
cold builds after random edits.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
from collections.abc import Callable, Iterator, Mapping
from functools import cache
from typing import Any

from .cache import CachedPage, Positions, Read, Reads
from .model import Entry, Page, Site, Tag
from .urls import Route

MAPPINGS = frozenset({"related", "backlinks"})  # read key by key, so one change stays local
# Reading any of these shows an entry's body; every other field (title, date, URL, front matter,
# tags) is its summary, which is all that lists of entries show. A body edit then re-renders the
# entry's own page but not every page that lists it.
BODY_FIELDS = frozenset({"html", "toc", "body", "document"})


class Recorder:
    """Collects what one page's render reads; the Jinja environment calls it (see render.py)."""

    def __init__(self, site: Site) -> None:
        self.site = site
        self.reads: set[Read] = set()
        self.volatile = False  # read something that cannot be looked up again: never reuse
        self.positions = Positions()  # where the templates' texts landed (literals.py)

    def template(self, name: str) -> None:
        self.reads.add(("template", name))

    def attribute(self, owner: object, name: str, value: object) -> object:
        if type(owner) is Entry:
            self.reads.add(("entry", owner.url, "full" if name in BODY_FIELDS else "summary"))
        elif type(owner) is Tag:
            self.reads.add(("tag", owner.ref.slug, name))
        elif owner is self.site:
            if name in MAPPINGS and isinstance(value, Mapping):
                return RecordedMapping(self, name, value)
            if callable(value):
                return RecordedCall(self, name, value)
            self.reads.add(("site", name))
        return value

    def whole_entries(self, entries: object) -> None:
        """For Python code given entries by a template: it may read any of their fields."""
        for entry in entries if isinstance(entries, (tuple, list)) else (entries,):
            if type(entry) is Entry:
                self.reads.add(("entry", entry.url, "full"))

    def page_context(self, page: Page) -> None:
        """What render.page_context (the SEO data, seo.py) reads beyond the page itself: the
        page's own entry whole, the titles and URLs of the entries it lists, and on the tags
        index every tag. Keep in step with seo.py."""
        if page.entry is not None:
            self.reads.add(("entry", page.entry.url, "full"))
        for entry in page.entries:
            self.reads.add(("entry", entry.url, "summary"))
        if page.template == "tags.html":
            self.reads.add(("site", "tags"))


class RecordedMapping(Mapping[object, object]):
    """site.related or site.backlinks as templates see it: reading one key records that key."""

    def __init__(self, recorder: Recorder, name: str, mapping: Mapping[object, object]) -> None:
        self._recorder, self._name, self._mapping = recorder, name, mapping

    def __getitem__(self, key: object) -> object:
        try:
            self._recorder.reads.add(("key", self._name, key))
        except TypeError:  # an unhashable key cannot be looked up again
            self._recorder.volatile = True
        return self._mapping[key]

    def __iter__(self) -> Iterator[object]:
        self._recorder.reads.add(("site", self._name))
        return iter(self._mapping)

    def __len__(self) -> int:
        self._recorder.reads.add(("site", self._name))
        return len(self._mapping)


class RecordedCall:
    """A method of the site, such as section(name): the call and its arguments are recorded."""

    def __init__(self, recorder: Recorder, name: str, method: Callable[..., object]) -> None:
        self._recorder, self._name, self._method = recorder, name, method

    def __call__(self, *args: object, **kwargs: object) -> object:
        read = ("call", self._name, args, tuple(sorted(kwargs.items())))
        try:
            self._recorder.reads.add(read)
        except TypeError:
            self._recorder.volatile = True
        return self._method(*args, **kwargs)


_PLAIN = frozenset({str, int, float, bool, bytes, type(None), datetime.date})


def shape(value: object) -> object:
    """A value as plain, ordered data: entries by URL, sets sorted, dataclasses by field."""
    kind = type(value)  # exact types first: this runs for every value of every page
    if kind in _PLAIN:
        return value
    if kind is tuple or kind is list:
        if value and all(type(item) is Entry for item in value):  # type: ignore[attr-defined]
            # Lists of entries (a section, a tag's stories) are the largest values by far.
            return ("Entries", tuple([item.route.url for item in value]))  # type: ignore[attr-defined]
        return tuple([shape(item) for item in value])  # type: ignore[attr-defined]
    if kind is Entry:
        return ("Entry", value.url)  # type: ignore[attr-defined]
    if kind is Tag:
        return ("Tag", value.ref.slug)  # type: ignore[attr-defined]
    if kind is Route:  # a route's output path follows from its URL (urls.py)
        return ("Route", value.url)  # type: ignore[attr-defined]
    if value is None or isinstance(value, (str, int, float, bytes, datetime.date)):
        return value
    if isinstance(value, (tuple, list)):
        return tuple(shape(item) for item in value)
    if isinstance(value, (set, frozenset)):
        return ("set", tuple(sorted(repr(shape(item)) for item in value)))
    if isinstance(value, (Mapping, RecordedMapping)):
        return ("map", tuple((shape(k), shape(v)) for k, v in value.items()))
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        names = _field_names(type(value))
        return (type(value).__name__, tuple(shape(getattr(value, name)) for name in names))
    # Anything else (a function, say) may print differently each run: the page is then simply
    # rendered again, never wrongly reused.
    return ("other", repr(value))


@cache
def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls))


def digest(value: object) -> str:
    return hashlib.blake2b(repr(shape(value)).encode(), digest_size=16).hexdigest()


def summary_digest(entry: Entry) -> str:
    """Everything about an entry but its body: URL, tags, and every front-matter field."""
    return digest((entry.url, entry.tags, entry.document.content_type.section, entry.meta))


def entry_digest(entry: Entry) -> str:
    """Everything an entry holds: its file, URL, tag names and body with resolved links."""
    tags = "\0".join(f"{ref.slug}\0{ref.name}\0{ref.url}" for ref in entry.tags)
    text = f"{entry.document.source}\0{entry.document.digest}\0{entry.url}\0{tags}\0"
    return hashlib.blake2b((text + entry.html).encode(), digest_size=16).hexdigest()


_NONE: Mapping[str, str] = {}


class SiteReader:
    """Looks recorded reads up again in a site, computing each value's digest once per build."""

    def __init__(
        self,
        site: Site,
        template_source: Callable[[str], str],
        previous_entries: Mapping[str, str] | None = None,
    ) -> None:
        """previous_entries: entry digests of the last build, when checking cached pages."""
        self.site = site
        self._template_source = template_source
        self._by_url = {entry.url: entry for entry in site.entries}
        self._by_slug = {tag.ref.slug: tag for tag in site.tags}
        self.entries: dict[str, str] = {}
        self._unchanged: set[str] = set()
        if previous_entries is not None:
            self.entries = {url: entry_digest(entry) for url, entry in self._by_url.items()}
            # Entries whose every field is as last time: any read of them still holds.
            self._unchanged = {
                url for url, value in self.entries.items() if previous_entries.get(url) == value
            }
        self._memo: dict[Read, str] = {}
        # Each read with its digest as one shared pair: thousands of pages make the same reads,
        # and the build cache then stores each pair once, not once per page.
        self._pairs: dict[Read, tuple[Read, str]] = {}

    def digest(self, read: Read) -> str:
        found = self._memo.get(read)
        if found is None:
            found = self._memo[read] = self._compute(read)
        return found

    def _compute(self, read: Read) -> str:
        kind = read[0]
        try:
            if kind == "template":
                return digest(self._template_source(str(read[1])))
            if kind == "entry":
                entry = self._by_url.get(str(read[1]))
                if entry is None:
                    return "missing"
                if read[2] == "summary":
                    return summary_digest(entry)
                return entry_digest(entry)
            if kind == "tag":
                tag = self._by_slug.get(str(read[1]))
                return "missing" if tag is None else digest(getattr(tag, str(read[2])))
            value: Any = getattr(self.site, str(read[1]))
            if kind == "site":
                return digest(value)
            if kind == "call":
                args: Any = read[2]
                keywords: Any = read[3]
                return digest(value(*args, **dict(keywords)))
            if kind == "key":
                return digest(value.get(read[2], _ABSENT))
        except Exception as error:  # the same failure both times is still the same value
            return f"error:{type(error).__name__}:{error}"
        return "unknown"

    def still_holds(
        self, cached: CachedPage, fingerprint: str, spliced: Mapping[str, str] = _NONE
    ) -> bool:
        """Whether every read gives what it gave; `spliced` sets aside reads of templates (by
        name) recorded with the given digest: edits of their texts alone (literals.py)."""
        if cached.fingerprint != fingerprint:
            return False
        if not all(
            self.digest(read) == value or _set_aside(read, value, spliced)
            for read, value in cached.reads
        ):
            return False
        if cached.entries <= self._unchanged:  # the common case, checked at C speed
            return True
        return all(
            read[1] in self._unchanged or self.digest(read) == value
            for read, value in cached.entry_reads
        )

    def holds_after_edits(
        self,
        cached: CachedPage,
        edited: frozenset[str],
        spliced: Mapping[str, str] = _NONE,
        *,
        templates_changed: bool = True,
    ) -> bool:
        """Whether a page still holds in a site that is the last build's with the bodies of
        `edited` entries changed (patch.py). Every other read gives what it gave: values are
        digested with entries by URL, never by body (see shape), and nothing else changed.
        `spliced` is as for still_holds; without `templates_changed`, reads of templates are
        known to hold."""
        for read, value in cached.reads if templates_changed else ():
            changed = read[0] == "template" and self.digest(read) != value
            if changed and not _set_aside(read, value, spliced):
                return False
        if cached.entries.isdisjoint(edited):
            return True
        return all(
            self.digest(read) == value for read, value in cached.entry_reads if read[1] in edited
        )

    def _pair(self, read: Read) -> tuple[Read, str]:
        found = self._pairs.get(read)
        if found is None:
            found = self._pairs[read] = (read, self.digest(read))
        return found

    def record(self, recorder: Recorder) -> tuple[Reads, Reads, frozenset[str]] | None:
        """A fresh render's reads with their digests (site and templates, then entries) and the
        URLs of the entries read; None if the page cannot be reused."""
        if recorder.volatile:
            return None
        pairs = [self._pair(read) for read in recorder.reads]
        reads = tuple(pair for pair in pairs if pair[0][0] != "entry")
        entry_reads = tuple(pair for pair in pairs if pair[0][0] == "entry")
        return reads, entry_reads, frozenset(str(read[1]) for read, _ in entry_reads)


_ABSENT = ("absent",)


def _set_aside(read: Read, value: str, spliced: Mapping[str, str]) -> bool:
    return read[0] == "template" and spliced.get(str(read[1])) == value


def page_fingerprint(page: Page, settings: str) -> str:
    """The page itself (entries and tags in it by URL and slug) and the site's settings."""
    return digest((settings, page))
