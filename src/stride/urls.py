"""The only place URLs and output paths are made: slugs, and every route of the site."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache

# A slug is a folder name on disk, where most file systems allow 255 bytes; slugs are ASCII,
# and this leaves room for the build's own names beside it.
MAX_SLUG_LENGTH = 200

_NOT_SLUG = re.compile(r"[^a-z0-9]+")
_VALID_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


@dataclass(frozen=True, order=True)  # no __slots__, like the site model (see model.py)
class Route:
    """Where a page lives: its site-absolute URL and its file inside the output folder."""

    url: str
    # A plain string, like the paths of output files: thousands are made, pickled and compared
    # each build, and pathlib objects cost several times more for all of that.
    output: str  # the file's relative POSIX path inside the output folder

    def absolute(self, origin: str) -> str:
        return origin + self.url


@lru_cache(maxsize=4096)  # asked for each tag of every entry, with few distinct answers
def slugify(text: str) -> str:
    """Lowercase ASCII words joined by hyphens; '' when nothing usable is left."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return _NOT_SLUG.sub("-", ascii_text.lower()).strip("-")


def is_valid_slug(slug: str) -> bool:
    return bool(_VALID_SLUG.match(slug))


def normalise_tag(name: str) -> str:
    """The display form of a tag: single spaces, so 'Core  work' and 'core work' read alike."""
    return " ".join(name.split())


def _page(url: str) -> Route:
    # Pretty URLs: every page is a folder with an index.html, except files with an extension.
    relative = url.lstrip("/")
    if url.endswith("/"):
        relative += "index.html"
    return Route(url, relative)


def home() -> Route:
    return _page("/")


def section_index(section: str) -> Route:
    return _page(f"/{section}/")


def document(section: str, slug: str) -> Route:
    return _page(f"/{section}/{slug}/")


def tags_index() -> Route:
    return _page("/tags/")


@cache  # asked for once per tag of every entry, with few distinct answers
def tag(slug: str, page: int = 1) -> Route:
    if page == 1:
        return _page(f"/tags/{slug}/")
    return _page(f"/tags/{slug}/page/{page}/")


def newsletter_thanks() -> Route:
    return _page("/newsletter/thanks/")


def not_found() -> Route:
    return _page("/404.html")


def feed() -> Route:
    return _page("/feed.xml")


def sitemap() -> Route:
    return _page("/sitemap.xml")


def robots() -> Route:
    return _page("/robots.txt")


def asset(relative: str) -> Route:
    """A static file, copied or fingerprinted, at the same relative path."""
    return _page("/" + relative)
