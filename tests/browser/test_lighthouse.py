"""Lighthouse (mobile preset) scores the home page and one page of each type at 0.95 or more.

The target is 1.0 in performance, accessibility, best practices and SEO; the gate fails below
0.95, and every score is printed with the audits that kept it below 1. Pages are served by the
Netlify-like server, headers and all. Total Blocking Time on a small CI machine swings by a
few hundred milliseconds between runs of the same page, so a page that falls short in one run
is run four more times and judged by the median, as Lighthouse's variability guide advises.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.browser.netlify_server import NetlifyServer
from tests.browser.support import CHROME_FLAGS, chromium, node_tool, program, url_of

CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
THRESHOLD = 0.95
RUNS = 5  # runs to take the median of when the first run falls short
ATTEMPTS = 3  # tries at one run when Lighthouse itself fails and asks to be run again
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


@dataclass(frozen=True, slots=True)
class Run:
    """One Lighthouse run: a score per category and the weighted audits that scored below 1."""

    scores: dict[str, float]
    shortfalls: list[str]


def lighthouse(url: str, work: Path) -> Run:
    """Run Lighthouse's CLI (mobile preset, its default) on one URL in a fresh Chromium profile.

    Lighthouse sometimes fails to record its trace (NO_NAVSTART and kin) and says to run it
    again; such a run is retried, any other failure fails the test.
    """
    program("node", "nodejs")
    for attempt in range(1, ATTEMPTS + 1):
        folder = work / f"attempt{attempt}"
        folder.mkdir(parents=True)
        report = folder / "report.json"
        flags = " ".join([*CHROME_FLAGS, f"--user-data-dir={folder / 'profile'}"])
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
        if result.returncode == 0 or "Please run Lighthouse again" not in result.stderr:
            break
    assert result.returncode == 0, f"Lighthouse failed on {url}:\n{result.stderr[-3000:]}"
    data = json.loads(report.read_text(encoding="utf-8"))
    audits = data["audits"]
    shortfalls = [
        f"{category['id']}: {ref['id']} scored {audits[ref['id']]['score']} "
        f"({audits[ref['id']]['title']}; {audits[ref['id']].get('displayValue', '')})"
        for category in data["categories"].values()
        for ref in category["auditRefs"]
        if ref["weight"] > 0 and audits[ref["id"]]["score"] not in (None, 1)
    ]
    scores = {name: data["categories"][name]["score"] for name in CATEGORIES}
    unscored = [name for name, score in scores.items() if not isinstance(score, float | int)]
    assert not unscored, f"Lighthouse could not score {unscored} on {url}: {shortfalls}"
    return Run({name: float(score) for name, score in scores.items()}, shortfalls)


def median_scores(runs: list[Run]) -> dict[str, float]:
    return {name: statistics.median(run.scores[name] for run in runs) for name in CATEGORIES}


@pytest.mark.browser
@pytest.mark.parametrize("kind", list(PAGE_TYPES))
def test_lighthouse_scores(
    kind: str,
    built_site: Path,
    server: NetlifyServer,
    tmp_path: Path,
    say: Callable[[str], None],
) -> None:
    path = page_of_type(built_site, kind)
    runs = [lighthouse(server.url(path), tmp_path / "run1")]
    if min(runs[0].scores.values()) < THRESHOLD:
        # Timing on a busy machine varies from run to run: judge by the median of several.
        runs += [lighthouse(server.url(path), tmp_path / f"run{n}") for n in range(2, RUNS + 1)]
    scores = median_scores(runs)
    shortfalls = sorted({line for run in runs for line in run.shortfalls})
    say(
        f"\nLighthouse {kind:<16} "
        + "  ".join(f"{name} {score:.2f}" for name, score in scores.items())
        + f"  ({path}; {f'median of {len(runs)} runs' if len(runs) > 1 else '1 run'})"
        + "".join(f"\n    below 1: {line}" for line in shortfalls)
    )
    low = {name: score for name, score in scores.items() if score < THRESHOLD}
    assert not low, f"Lighthouse scores below {THRESHOLD} on {path}: {low}\n" + "\n".join(
        shortfalls
    )
