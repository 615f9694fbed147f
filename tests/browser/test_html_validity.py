"""Every built page, stylesheet and SVG passes the W3C Nu Html Checker with no errors.

The checker runs once, on the machine's Java, over all files. The only messages ignored are
about Netlify's own form attributes, which Netlify's build reads and strips.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest

from tests.browser.support import html_files, node_file, program

# Netlify detects forms by these attributes at deploy time; the checker may not know them.
NETLIFY_ATTRIBUTE = re.compile(r"\battribute “(?:data-)?netlify(?:-[a-z]+)?”", re.IGNORECASE)


def run_checker(files: list[Path]) -> list[dict[str, Any]]:
    jar = node_file("vnu-jar/build/dist/vnu.jar")
    java = program("java", "default-jre-headless")
    result = subprocess.run(
        [java, "-jar", str(jar), "--format", "json", "--also-check-css", "--also-check-svg"]
        + [str(path) for path in files],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    # The checker writes its JSON report to stderr; exit status 1 only means "messages found".
    assert result.stderr.strip(), f"the checker printed no report (exit {result.returncode})"
    messages: list[dict[str, Any]] = json.loads(result.stderr)["messages"]
    return messages


def is_error(message: dict[str, Any]) -> bool:
    return message["type"] in ("error", "non-document-error") or message.get("subType") == "fatal"


@pytest.mark.browser
def test_every_page_is_valid_html(built_site: Path) -> None:
    pages = html_files(built_site)
    files = pages + sorted(built_site.rglob("*.css")) + sorted(built_site.rglob("*.svg"))
    assert len(pages) > 10, "the build produced too few pages to check"
    errors = [
        message
        for message in run_checker(files)
        if is_error(message) and not NETLIFY_ATTRIBUTE.search(message.get("message", ""))
    ]
    report = "\n".join(
        f"{unquote(urlsplit(message.get('url', '?')).path).removeprefix(str(built_site))}:"
        f"{message.get('lastLine', '?')}: {message['message']}"
        for message in errors
    )
    assert not errors, f"{len(errors)} HTML errors:\n{report}"
