"""axe-core finds no WCAG 2.2 AA or best-practice violation on any built page.

Every page is checked twice: on a phone in the light scheme and on a desktop in the dark
scheme, since contrast, target size and reflow differ between them. The page keeps its strict
CSP while it is checked.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.conftest import OpenPage
from tests.browser.netlify_server import NetlifyServer
from tests.browser.support import DESKTOP, PHONE, axe_violations, html_files, url_of

VIEWS = {
    "phone-light": {"viewport": PHONE, "color_scheme": "light"},
    "desktop-dark": {"viewport": DESKTOP, "color_scheme": "dark"},
}


@pytest.mark.browser
@pytest.mark.parametrize("view", list(VIEWS))
def test_no_axe_violations_on_any_page(
    view: str, built_site: Path, server: NetlifyServer, open_page: OpenPage
) -> None:
    page = open_page(**VIEWS[view]).page
    found: list[str] = []
    for file in html_files(built_site):
        page.goto(server.url(url_of(built_site, file)), wait_until="load")
        found += axe_violations(page)
    assert not found, f"{len(found)} axe violations ({view}):\n" + "\n".join(found)
