"""Lighthouse (mobile preset) scores the home page and one page of each type at 0.95 or more.

The target is 1.0 in performance, accessibility, best practices and SEO; the gate fails below
0.95, and every score is printed. Pages are served by the Netlify-like server, headers and all.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.browser.netlify_server import NetlifyServer
from tests.browser.support import CHROME_FLAGS, chromium, node_tool, program, url_of

CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
THRESHOLD = 0.95
# One page of each type: the home page, then the first page under each of these folders.
PAGE_TYPES = {
    "home": "",
    "article": "articles/*/index.html",
    "exercise": "exercises/*/index.html",
    "exercise library": "exercises/index.html",
    "recipe": "recipes/*/index.html",
    "athlete": "athletes/*/index.html",
    "tag": "tags/*/index.html",
}


def page_of_type(site: Path, kind: str) -> str:
    pattern = PAGE_TYPES[kind]
    if not pattern:
        return "/"
    found = sorted(site.glob(pattern))
    assert found, f"the build has no {kind} page ({pattern})"
    return url_of(site, found[0])


def lighthouse(url: str, work: Path) -> dict[str, float]:
    """Run Lighthouse's CLI on one URL in a fresh Chromium profile; category -> score."""
    report = work / "report.json"
    profile = work / "profile"
    flags = " ".join([*CHROME_FLAGS, f"--user-data-dir={profile}"])
    program("node", "nodejs")
    result = subprocess.run(
        [
            str(node_tool("lighthouse")),
            url,
            "--quiet",
            "--output=json",
            f"--output-path={report}",
            f"--only-categories={','.join(CATEGORIES)}",
            f"--chrome-flags={flags}",
        ],
        env={**os.environ, "CHROME_PATH": str(chromium())},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, f"Lighthouse failed on {url}:\n{result.stderr[-3000:]}"
    data = json.loads(report.read_text(encoding="utf-8"))
    failing = [
        f"  {category['id']}: {audit_id} scored {data['audits'][audit_id]['score']}: "
        f"{data['audits'][audit_id]['title']}"
        for category in data["categories"].values()
        for ref in category["auditRefs"]
        if ref["weight"] > 0 and data["audits"][(audit_id := ref["id"])]["score"] not in (None, 1)
    ]
    scores = {name: data["categories"][name]["score"] for name in CATEGORIES}
    assert all(isinstance(score, float | int) for score in scores.values()), (
        f"Lighthouse could not score {url}: {scores}\n" + "\n".join(failing)
    )
    if failing:
        print(f"audits below 1 on {url}:\n" + "\n".join(failing))
    return {name: float(score) for name, score in scores.items()}


@pytest.mark.browser
@pytest.mark.parametrize("kind", list(PAGE_TYPES))
def test_lighthouse_scores(
    kind: str,
    built_site: Path,
    server: NetlifyServer,
    tmp_path: Path,
    say: Callable[[str], None],
) -> None:
    url = server.url(page_of_type(built_site, kind))
    scores = lighthouse(url, tmp_path)
    say(
        f"\nLighthouse {kind:<16} "
        + "  ".join(f"{name} {score:.2f}" for name, score in scores.items())
        + f"  ({url.removeprefix(server.origin)})"
    )
    low = {name: score for name, score in scores.items() if score < THRESHOLD}
    assert not low, f"Lighthouse scores below {THRESHOLD} on {url}: {low}"
