"""Session fixtures for the browser gates: one build, one Netlify-like server, one Chromium.

The site is built once, exactly as Netlify builds it (`python build.py`, no cache), into a
temporary folder; the server sends netlify.toml's headers so every page runs under the real CSP.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Literal

import pytest
from playwright.sync_api import Browser, BrowserContext, ViewportSize, sync_playwright

from tests.browser.netlify_server import NetlifyServer, headers_for, netlify_server
from tests.browser.support import CHROME_FLAGS, PHONE, REPO, PageWatch, chromium

OpenPage = Callable[..., PageWatch]


@pytest.fixture(scope="session")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped content built into a temporary folder, once per test session."""
    out = tmp_path_factory.mktemp("built") / "site"
    result = subprocess.run(
        [sys.executable, str(REPO / "build.py"), "build", "--out", str(out), "--no-cache", "-q"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, f"the site did not build:\n{result.stderr}"
    return out


@pytest.fixture(scope="session")
def server(built_site: Path) -> Iterator[NetlifyServer]:
    with netlify_server(built_site, REPO / "netlify.toml") as running:
        yield running


@pytest.fixture(autouse=True)
def _forms_succeed(request: pytest.FixtureRequest) -> None:
    """Each test starts with a server that accepts form submissions, whatever the last one did."""
    if "server" in request.fixturenames:
        request.getfixturevalue("server").state.failing = False


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One headless Chromium for the session; Playwright gives it a fresh profile folder."""
    executable = chromium()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(executable), args=[*CHROME_FLAGS])
        yield launched
        launched.close()


@pytest.fixture
def open_page(browser: Browser, server: NetlifyServer) -> Iterator[OpenPage]:
    """Open a watched page in a new context: open_page(viewport=..., javascript=..., ...).

    Every HTML document it loads must carry the headers netlify.toml gives its path.
    """

    def document_headers(path: str) -> dict[str, str]:
        return headers_for(server.state.rules, path)

    contexts: list[BrowserContext] = []

    def open_(
        *,
        viewport: ViewportSize = PHONE,
        javascript: bool = True,
        color_scheme: Literal["light", "dark"] = "light",
    ) -> PageWatch:
        context = browser.new_context(
            viewport=viewport,
            java_script_enabled=javascript,
            color_scheme=color_scheme,
            has_touch=viewport["width"] < 600,
            is_mobile=viewport["width"] < 600,
            device_scale_factor=1,
        )
        contexts.append(context)
        return PageWatch(context.new_page(), document_headers)

    yield open_
    for context in contexts:
        context.close()


@pytest.fixture
def say(capsys: pytest.CaptureFixture[str]) -> Callable[[str], None]:
    """Print to the terminal even while pytest captures output, for scores and figures."""

    def say_(text: str) -> None:
        with capsys.disabled():
            print(text, flush=True)

    return say_
