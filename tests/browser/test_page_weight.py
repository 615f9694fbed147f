"""Every page stays light: compressed HTML, CSS and JS within budget; nothing blocks rendering.

Measured independently of the build's own audit: each page's HTML plus every stylesheet and
script it references, each gzipped on its own as a server sends them, against
`page_weight_budget_kb` in stride.toml. Scripts must not block rendering and images must
declare their width and height so the layout does not shift while they load.
"""

from __future__ import annotations

import gzip
import statistics
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from lxml import html as lxml_html

from tests.browser.support import (
    file_for,
    html_files,
    local_path,
    site_origin,
    site_setting,
    url_of,
)

DATA_SCRIPT_TYPES = {"application/ld+json", "application/json"}


@dataclass(frozen=True, slots=True)
class Weight:
    url: str
    html: int
    css: int
    js: int

    @property
    def total(self) -> int:
        return self.html + self.css + self.js


def gzip_size(path: Path) -> int:
    return len(gzip.compress(path.read_bytes(), mtime=0))


def budget_kb() -> int:
    budget = site_setting("page_weight_budget_kb")
    assert isinstance(budget, int) and budget > 0, f"bad page_weight_budget_kb: {budget!r}"
    return budget


def local_file(site: Path, page_url: str, reference: str) -> Path:
    """The built file a stylesheet or script reference points to; it must be on this site."""
    path = local_path(site_origin(), page_url, reference)
    assert path is not None, f"{page_url} loads {reference} from another origin"
    found = file_for(site, path)
    assert found is not None, f"{page_url} references {reference}, which was not built"
    return found


def weigh(site: Path, page: Path) -> Weight:
    url = url_of(site, page)
    tree = lxml_html.parse(str(page)).getroot()
    styles = {
        local_file(site, url, link.get("href", ""))
        for link in tree.iter("link")
        if "stylesheet" in link.get("rel", "").lower().split()
    }
    scripts = {
        local_file(site, url, script.get("src", ""))
        for script in tree.iter("script")
        if script.get("src")
    }
    return Weight(
        url,
        gzip_size(page),
        sum(gzip_size(path) for path in styles),
        sum(gzip_size(path) for path in scripts),
    )


@pytest.mark.browser
def test_every_page_is_within_the_weight_budget(
    built_site: Path, say: Callable[[str], None]
) -> None:
    budget = budget_kb()
    weights = sorted(
        (weigh(built_site, page) for page in html_files(built_site)), key=lambda w: w.total
    )
    assert weights, "the build produced no pages"
    totals = [weight.total / 1024 for weight in weights]
    heaviest = weights[-1]
    say(
        f"\npage weight (gzip HTML+CSS+JS) over {len(weights)} pages: min {totals[0]:.1f} KB, "
        f"median {statistics.median(totals):.1f} KB, max {totals[-1]:.1f} KB "
        f"({heaviest.url}: HTML {heaviest.html / 1024:.1f}, CSS {heaviest.css / 1024:.1f}, "
        f"JS {heaviest.js / 1024:.1f}); budget {budget} KB"
    )
    over = [f"{w.url}: {w.total / 1024:.1f} KB" for w in weights if w.total > budget * 1024]
    assert not over, f"pages over the {budget} KB budget:\n" + "\n".join(over)


@pytest.mark.browser
def test_no_script_blocks_rendering(built_site: Path) -> None:
    blocking: list[str] = []
    for page in html_files(built_site):
        for script in lxml_html.parse(str(page)).getroot().iter("script"):
            kind = script.get("type", "").strip().lower()
            if kind in DATA_SCRIPT_TYPES:
                continue  # a data block: never executed
            deferred = kind == "module" or script.get("defer") is not None
            if not (script.get("src") and (deferred or script.get("async") is not None)):
                blocking.append(f"{url_of(built_site, page)}: {lxml_html.tostring(script)[:120]!r}")
    assert not blocking, "render-blocking scripts:\n" + "\n".join(blocking)


@pytest.mark.browser
def test_every_image_declares_its_size(built_site: Path) -> None:
    pages = html_files(built_site)
    assert pages, "the build produced no pages"
    unsized = [
        f"{url_of(built_site, page)}: {img.get('src')}"
        for page in pages
        for img in lxml_html.parse(str(page)).getroot().iter("img")
        if not (img.get("width", "").isdigit() and img.get("height", "").isdigit())
    ]
    assert not unsized, "images without numeric width and height:\n" + "\n".join(unsized)
