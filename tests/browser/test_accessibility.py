"""axe-core finds no WCAG 2.2 AA or best-practice violation on any built page.

Every page is checked twice: on a phone in the light scheme and on a desktop in the dark
scheme, since contrast, target size and reflow differ between them. axe is evaluated through
the DevTools protocol, so the page keeps its strict CSP while it is checked.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import OpenPage
from tests.browser.netlify_server import NetlifyServer
from tests.browser.support import DESKTOP, PHONE, html_files, node_file, url_of

RULE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
VIEWS = {
    "phone-light": {"viewport": PHONE, "color_scheme": "light"},
    "desktop-dark": {"viewport": DESKTOP, "color_scheme": "dark"},
}


def describe(url: str, violation: dict[str, Any]) -> str:
    targets = "; ".join(
        f"{' '.join(node['target'])}: {node.get('failureSummary', '').splitlines()[-1:]}"
        for node in violation["nodes"][:5]
    )
    return f"{url}: [{violation['impact']}] {violation['id']}: {violation['help']} -> {targets}"


@pytest.mark.browser
@pytest.mark.parametrize("view", list(VIEWS))
def test_no_axe_violations_on_any_page(
    view: str, built_site: Path, server: NetlifyServer, open_page: OpenPage
) -> None:
    axe_source = node_file("axe-core/axe.min.js").read_text(encoding="utf-8")
    watch = open_page(**VIEWS[view])
    page = watch.page
    urls = [url_of(built_site, file) for file in html_files(built_site)]
    found: list[str] = []
    for url in urls:
        page.goto(server.url(url), wait_until="load")
        page.evaluate(axe_source)
        results: dict[str, Any] = page.evaluate(
            """tags => axe.run(document, {
                runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]
            })""",
            RULE_TAGS,
        )
        assert results["passes"], f"axe ran no passing rule on {url}: it did not really run"
        found += [describe(url, violation) for violation in results["violations"]]
    assert not found, f"{len(found)} axe violations ({view}):\n" + "\n".join(found)
