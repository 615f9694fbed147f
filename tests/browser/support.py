"""Helpers shared by the browser quality gates: the tools they drive, built pages, page problems.

A missing tool fails the test with a message saying how to install it; nothing is ever skipped.
"""

from __future__ import annotations

import shutil
import socket
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
from playwright.sync_api import ConsoleMessage, Page, Request, Response, ViewportSize

REPO = Path(__file__).resolve().parents[2]
NODE_BIN = REPO / "node_modules" / ".bin"
NODE_MODULES = REPO / "node_modules"
CHROMIUM = Path("/usr/bin/chromium")
# Flags for every Chromium these tests start; each launch also gets a fresh profile folder.
CHROME_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
PHONE: ViewportSize = {"width": 390, "height": 844}
DESKTOP: ViewportSize = {"width": 1280, "height": 800}
# axe-core rule tags: WCAG 2.0 to 2.2 at levels A and AA, and axe's best practices.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
INSTALL_HINT = "run `python3 tasks.py test`, which installs it (or `npm ci --ignore-scripts`)"


def require(path: Path, what: str, hint: str = INSTALL_HINT) -> Path:
    """The path, or a failed test naming what is missing and how to get it."""
    if not path.exists():
        pytest.fail(f"{what} is missing: {path} does not exist; {hint}", pytrace=False)
    return path


def node_tool(name: str) -> Path:
    """An executable installed by package.json, from node_modules/.bin."""
    return require(NODE_BIN / name, f"the npm tool '{name}'")


def node_file(relative: str) -> Path:
    """A file shipped inside an npm package, such as axe-core/axe.min.js."""
    return require(NODE_MODULES / relative, f"the npm file '{relative}'")


def program(name: str, package: str) -> str:
    """A program on PATH, such as java, or a failed test naming the Debian package to install."""
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"'{name}' is not on PATH; apt-get install {package}", pytrace=False)
    return found


def chromium() -> Path:
    return require(CHROMIUM, "Chromium", "apt-get install chromium")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def site_setting(key: str) -> Any:
    """A setting from stride.toml, read directly so the tests do not lean on the engine."""
    settings = tomllib.loads((REPO / "stride.toml").read_text(encoding="utf-8"))
    assert key in settings, f"stride.toml sets no {key}"
    return settings[key]


def site_origin() -> str:
    """The site's public origin, from base_url: links to it are links within the site."""
    return str(site_setting("base_url")).rstrip("/")


def html_files(site: Path) -> list[Path]:
    """Every HTML page of a built site, in a stable order."""
    return sorted(site.rglob("*.html"))


def url_of(site: Path, page: Path) -> str:
    """The URL path a built file is served at: `a/index.html` is `/a/`, `404.html` stays."""
    relative = page.relative_to(site).as_posix()
    if relative == "index.html" or relative.endswith("/index.html"):
        return "/" + relative.removesuffix("index.html")
    return "/" + relative


def file_for(site: Path, url_path: str) -> Path | None:
    """The built file a URL path is served from, as Netlify resolves it, or None."""
    target = site / url_path.lstrip("/")
    if target.is_dir():
        target /= "index.html"
    return target if target.is_file() and target.resolve().is_relative_to(site.resolve()) else None


def local_path(origin: str, page_url: str, reference: str) -> str | None:
    """The URL path (and #fragment) a reference on a page points to, if it is on this site.

    `origin` is the site's public origin (base_url), so absolute links to it count as internal.
    """
    resolved = urljoin(origin + page_url, reference.strip())
    parts, site = urlsplit(resolved), urlsplit(origin)
    if (parts.scheme, parts.netloc) != (site.scheme, site.netloc):
        return None
    return parts.path + (f"#{parts.fragment}" if parts.fragment else "")


@dataclass
class PageWatch:
    """Records what went wrong on a page while a test drove it.

    `document_headers(path)` gives the headers the HTML document at a URL path must arrive with
    (netlify.toml's, on the Netlify-like server), so a test that sees no CSP violation also
    proves that the CSP was there.
    """

    page: Page
    document_headers: Callable[[str], Mapping[str, str]] = lambda path: {}
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    responses: list[Response] = field(default_factory=list)
    header_problems: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.page.on("console", self._on_console)
        self.page.on("pageerror", lambda error: self.page_errors.append(str(error)))
        self.page.on("requestfailed", self._on_request_failed)
        self.page.on("response", self._on_response)

    def _on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.console_errors.append(f"{message.text} ({message.location.get('url', '')})")

    def _on_request_failed(self, request: Request) -> None:
        # ERR_ABORTED is the browser cancelling a request because the page navigated away
        # (a favicon still loading when the reader follows a link), not a request that failed.
        if request.failure == "net::ERR_ABORTED":
            return
        self.failed_requests.append(f"{request.method} {request.url}: {request.failure}")

    def _on_response(self, response: Response) -> None:
        self.responses.append(response)
        if response.status >= 400:
            self.failed_requests.append(
                f"{response.request.method} {response.url}: {response.status}"
            )

    def problems(self) -> list[str]:
        """Console errors (CSP violations among them), script errors and failed requests."""
        return (
            [f"console error: {text}" for text in self.console_errors]
            + [f"page error: {text}" for text in self.page_errors]
            + [f"failed request: {text}" for text in self.failed_requests]
            + [f"missing header: {text}" for text in self.header_problems]
        )


def axe_violations(page: Page, selector: str | None = None) -> list[str]:
    """Run axe-core on the page (or one part of it) and describe each violation it finds.

    axe is evaluated through the DevTools protocol, so the page keeps its strict CSP.
    """
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(node_file("axe-core/axe.min.js").read_text(encoding="utf-8"))
    results: dict[str, Any] = page.evaluate(
        """([selector, tags]) => axe.run(selector ? document.querySelector(selector) : document, {
            runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]
        })""",
        [selector, AXE_TAGS],
    )
    assert results["passes"], f"axe passed no rule on {page.url}: it did not really run"
    path = urlsplit(page.url).path
    return [
        f"{path}: [{violation['impact']}] {violation['id']}: {violation['help']} -> "
        + "; ".join(
            f"{' '.join(node['target'])}: {node.get('failureSummary', '').splitlines()[-1:]}"
            for node in violation["nodes"][:5]
        )
        for violation in results["violations"]
    ]


def has_horizontal_scroll(page: Page) -> bool:
    """True if the page is wider than the viewport, so a reader would have to scroll sideways."""
    return bool(
        page.evaluate(
            "() => document.documentElement.scrollWidth > document.documentElement.clientWidth"
        )
    )


def focused(page: Page) -> dict[str, Any]:
    """The focused element: tag, id, name, text, href, whether :focus-visible and its outline.

    Waits first for any (smooth) scrolling that focus started to come to rest.
    """
    result: dict[str, Any] = page.evaluate(
        """async () => {
            const frame = () => new Promise(done => requestAnimationFrame(() => done()));
            for (let i = 0, last = null; i < 120 && last !== scrollY; i++) {
                last = scrollY;
                await frame();
                await frame();
            }
            const el = document.activeElement;
            if (!el || el === document.body) { return {tag: "body"}; }
            const style = getComputedStyle(el);
            const box = el.getBoundingClientRect();
            return {
                tag: el.tagName.toLowerCase(),
                type: el.getAttribute("type") || "",
                id: el.id,
                name: el.getAttribute("name") || "",
                text: (el.textContent || "").trim(),
                href: el.getAttribute("href") || "",
                focusVisible: el.matches(":focus-visible"),
                outlineStyle: style.outlineStyle,
                outlineWidth: parseFloat(style.outlineWidth) || 0,
                inViewport: box.bottom > 0 && box.top < innerHeight && box.width > 0,
            };
        }"""
    )
    return result


def tab_order(page: Page, limit: int = 150) -> list[dict[str, Any]]:
    """On a freshly loaded page, press Tab until focus leaves the page or wraps round.

    Returns what took focus, in order, as `focused` describes it.
    """
    seen: list[dict[str, Any]] = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        state = focused(page)
        if state["tag"] == "body" or (seen and _identity(state) == _identity(seen[0])):
            return seen
        seen.append(state)
    raise AssertionError(f"focus never left the page after {limit} presses of Tab")


def _identity(state: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(state.get(key) for key in ("tag", "id", "name", "href", "text"))


def assert_focus_visible(state: dict[str, Any]) -> None:
    """The focused element matches :focus-visible and draws an outline at least 2px wide."""
    assert state["focusVisible"], f"focus is not :focus-visible on {state}"
    assert state["outlineStyle"] not in ("none", "hidden"), f"no focus outline on {state}"
    assert state["outlineWidth"] >= 2, f"focus outline thinner than 2px on {state}"
    assert state["inViewport"], f"the focused element is off screen: {state}"
