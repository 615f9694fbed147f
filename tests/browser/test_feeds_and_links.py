"""The Atom feed, the sitemap, robots.txt and every internal link of the built site hold up.

Checked on the output files alone, independently of the build's own link check: every internal
`href`, `src`, `srcset`, form `action` and absolute URL to the site resolves to a built file,
and every `#fragment` to an element with that id on the target page.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from pathlib import Path
from urllib.parse import unquote

import feedparser
import pytest
import xmlschema
from lxml import etree
from lxml import html as lxml_html

from tests.browser.support import file_for, html_files, local_path, site_origin, url_of

SITEMAP_XSD = Path(__file__).resolve().parent / "schemas" / "sitemap.xsd"
SITEMAP_NS = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9"}
# Meta tags whose content is a URL on this site when it is absolute to base_url.
URL_META = {"og:url", "og:image", "twitter:image"}


def public_page(site: Path, url: str) -> Path | None:
    """The built file behind an absolute URL on the site, or None if it is elsewhere or missing."""
    path = local_path(site_origin(), "/", url)
    return None if path is None else file_for(site, path)


@cache
def ids_in(page: Path) -> frozenset[str]:
    tree = lxml_html.parse(str(page)).getroot()
    return frozenset(
        [*tree.xpath("//@id"), *(a.get("name") for a in tree.iter("a") if a.get("name"))]
    )


def references(page: Path) -> Iterator[str]:
    """Every URL a page points to: links, resources, srcset candidates, form actions, meta URLs."""
    tree = lxml_html.parse(str(page)).getroot()
    for element in tree.iter():
        if not isinstance(element.tag, str):
            continue  # comments and processing instructions
        for attribute in ("href", "src", "action", "poster"):
            if element.get(attribute) is not None:
                yield element.get(attribute, "")
        for candidate in element.get("srcset", "").split(","):
            if candidate.strip():
                yield candidate.split()[0]
        if element.tag == "meta" and element.get("property", element.get("name")) in URL_META:
            yield element.get("content", "")


def broken_reference(site: Path, page_url: str, reference: str) -> str | None:
    """Why an internal reference does not resolve, or None if it does (or is external)."""
    if not reference.strip():
        return "empty URL"
    target = local_path(site_origin(), page_url, reference)
    if target is None:
        return None
    path, _, fragment = target.partition("#")
    found = file_for(site, path)
    if found is None:
        return f"no built page at {path}"
    if fragment and found.suffix == ".html" and unquote(fragment) not in ids_in(found):
        return f"no element with id '{unquote(fragment)}' on {path}"
    return None


@pytest.mark.browser
def test_every_internal_link_and_anchor_resolves(built_site: Path) -> None:
    pages = html_files(built_site)
    checked = 0
    broken: list[str] = []
    for page in pages:
        url = url_of(built_site, page)
        for reference in references(page):
            checked += 1
            reason = broken_reference(built_site, url, reference)
            if reason:
                broken.append(f"{url}: {reference!r}: {reason}")
    assert checked > len(pages) * 10, f"only {checked} references found: the parse went wrong"
    assert not broken, f"{len(broken)} broken internal links:\n" + "\n".join(broken)


@pytest.mark.browser
def test_feed_parses_strictly_and_links_to_built_pages(built_site: Path) -> None:
    feed = feedparser.parse((built_site / "feed.xml").read_bytes())
    assert not feed.bozo, f"the feed is not well-formed: {feed.get('bozo_exception')}"
    assert feed.version == "atom10", f"not an Atom 1.0 feed: {feed.version!r}"
    assert feed.entries, "the feed has no entries"
    assert feed.feed.get("title") and feed.feed.get("updated"), "the feed lacks a title or date"
    self_links = [link.href for link in feed.feed.links if link.rel == "self"]
    assert self_links == [f"{site_origin()}/feed.xml"], f"bad self link: {self_links}"
    ids = [entry.id for entry in feed.entries]
    assert len(ids) == len(set(ids)), "feed entry ids repeat"
    problems = [
        f"{entry.get('title', '?')}: {missing}"
        for entry in feed.entries
        for missing in (
            [name for name in ("title", "id", "link", "updated", "summary") if not entry.get(name)]
            + ([] if public_page(built_site, entry.get("link", "")) else ["link to a built page"])
        )
    ]
    assert not problems, "feed entries lacking:\n" + "\n".join(problems)


@pytest.mark.browser
def test_sitemap_is_valid_and_lists_only_built_pages(built_site: Path) -> None:
    sitemap = built_site / "sitemap.xml"
    xmlschema.XMLSchema(str(SITEMAP_XSD)).validate(str(sitemap))
    locations = [
        str(loc.text).strip()
        for loc in etree.parse(str(sitemap)).getroot().iterfind("sm:url/sm:loc", SITEMAP_NS)
    ]
    assert f"{site_origin()}/" in locations, "the sitemap does not list the home page"
    assert len(locations) == len(set(locations)), "the sitemap lists a page twice"
    unbuilt = [
        loc
        for loc in locations
        if (page := public_page(built_site, loc)) is None or page.suffix != ".html"
    ]
    assert not unbuilt, "sitemap locations that are not built pages:\n" + "\n".join(unbuilt)


@pytest.mark.browser
def test_robots_txt_points_to_the_sitemap(built_site: Path) -> None:
    lines = (built_site / "robots.txt").read_text(encoding="utf-8").splitlines()
    sitemaps = [line.split(":", 1)[1].strip() for line in lines if line.startswith("Sitemap:")]
    assert sitemaps == [f"{site_origin()}/sitemap.xml"], f"robots.txt sitemaps: {sitemaps}"
    assert (built_site / "sitemap.xml").is_file()
