"""The dev server reloads an open page when content changes, and shows a failed build's errors.

`python build.py serve` runs on a copy of content/ (the real folder is never touched) and a
temporary output folder; the test edits the copy and watches the page in Chromium, which is
never reloaded by the test itself.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.support import PHONE, REPO, free_port

STARTUP_SECONDS = 60
CHANGE_SECONDS = 15  # from saving a file to the page showing it, with a wide margin


@dataclass(frozen=True, slots=True)
class DevServer:
    origin: str
    content: Path
    log: Path

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def wait_until_serving(origin: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the dev server exited with {process.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(origin + "/", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.2)
    pytest.fail(f"the dev server did not answer within {STARTUP_SECONDS} s:\n{log.read_text()}")


@pytest.fixture
def dev_server(tmp_path: Path) -> Iterator[DevServer]:
    content = tmp_path / "content"
    shutil.copytree(REPO / "content", content)
    port = free_port()
    log = tmp_path / "serve.log"
    command = [sys.executable, str(REPO / "build.py"), "serve", "--port", str(port)]
    command += ["--content", str(content), "--out", str(tmp_path / "site"), "--no-cache"]
    with log.open("wb") as sink:
        process = subprocess.Popen(command, cwd=REPO, stdout=sink, stderr=subprocess.STDOUT)
    origin = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(origin, process, log)
        yield DevServer(origin, content, log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def first_exercise(content: Path) -> Path:
    files = sorted((content / "exercises").glob("*.md"))
    assert files, "the content has no exercises to edit"
    return files[0]


@pytest.mark.browser
def test_page_follows_edits_and_shows_build_errors(dev_server: DevServer, browser: Browser) -> None:
    source = first_exercise(dev_server.content)
    original = source.read_text(encoding="utf-8")
    url = f"{dev_server.origin}/exercises/{source.stem}/"
    context = browser.new_context(viewport=PHONE)
    try:
        page = context.new_page()
        response = page.goto(url)
        assert response is not None and response.status == 200, f"{url} did not load"
        expect(page.locator("#stride-error-overlay")).to_have_count(0)

        marker = f"Edited while the page was open {time.time_ns()}."
        source.write_text(f"{original.rstrip()}\n\n{marker}\n", encoding="utf-8")
        expect(page.get_by_text(marker)).to_be_visible(timeout=CHANGE_SECONDS * 1000)

        broken = original.replace("\ntitle: ", "\ntitle: [", 1)  # an unclosed YAML list
        assert broken != original, f"{source.name} has no title line to break"
        source.write_text(broken, encoding="utf-8")
        error_overlay = page.locator("#stride-error-overlay")
        expect(error_overlay).to_be_visible(timeout=CHANGE_SECONDS * 1000)
        expect(error_overlay).to_contain_text(source.name)
        expect(page.get_by_text(marker)).to_be_attached()  # the last good page stays underneath

        fixed = f"{original.rstrip()}\n\nFixed {time.time_ns()}.\n"
        source.write_text(fixed, encoding="utf-8")
        expect(page.get_by_text(fixed.rsplit("\n\n", 1)[1].strip())).to_be_visible(
            timeout=CHANGE_SECONDS * 1000
        )
        expect(error_overlay).to_have_count(0)
        assert page.url == url, f"the page wandered off to {page.url}"
    except AssertionError as error:
        raise AssertionError(f"{error}\n--- dev server output ---\n{dev_server.output()}") from None
    finally:
        context.close()
