"""The dev server: serves on 127.0.0.1, rebuilds on change, survives a broken file."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.helpers import BUILD_PY, TODAY_EPOCH, article, write_files


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def fetch(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as response:
        return str(response.read().decode("utf-8"))


def wait_for(condition: Callable[[], bool], seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if condition():
                return
        except (urllib.error.URLError, ConnectionError, OSError):
            pass
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    content = write_files(tmp_path / "content", {"articles/a.md": article("First title")})
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            str(BUILD_PY),
            "serve",
            "--port",
            str(port),
            "--content",
            str(content),
            "--out",
            str(tmp_path / "out"),
        ],
        env={**os.environ, "SOURCE_DATE_EPOCH": TODAY_EPOCH},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: "First title" in fetch(base + "/articles/a/"))
        yield base, content
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)


def status(base: str) -> dict[str, object]:
    return dict(json.loads(fetch(base + "/__stride/status")))


def test_serve_rebuilds_after_an_edit(server: tuple[str, Path]) -> None:
    base, content = server
    (content / "articles/a.md").write_text(article("Second title"), encoding="utf-8")
    wait_for(lambda: "Second title" in fetch(base + "/articles/a/"))
    (content / "articles/new-one.md").write_text(article("Brand new"), encoding="utf-8")
    wait_for(lambda: "Brand new" in fetch(base + "/articles/new-one/"))


def test_a_broken_file_keeps_the_last_good_site_and_reports_until_fixed(
    server: tuple[str, Path],
) -> None:
    base, content = server
    (content / "articles/a.md").write_text("---\ntitle: [unclosed\n---\n", encoding="utf-8")
    wait_for(lambda: "invalid YAML" in str(status(base)["report"]))
    assert "First title" in fetch(base + "/articles/a/")  # still the last good page
    page = fetch(base + "/articles/a/")
    assert "/__stride/overlay.js" in page and "livereload" in page
    (content / "articles/a.md").write_text(article("Fixed title"), encoding="utf-8")
    wait_for(lambda: "Fixed title" in fetch(base + "/articles/a/"))
    assert status(base)["report"] == ""


def test_rapid_saves_give_one_rebuild(server: tuple[str, Path]) -> None:
    base, content = server
    before = int(str(status(base)["builds"]))
    for n in range(5):
        (content / "articles/a.md").write_text(article(f"Save {n}"), encoding="utf-8")
        time.sleep(0.005)  # a burst well inside the settling window, even on a busy machine
    wait_for(lambda: "Save 4" in fetch(base + "/articles/a/"))
    time.sleep(0.5)
    assert int(str(status(base)["builds"])) - before == 1


def test_unknown_paths_get_the_site_404_page(server: tuple[str, Path]) -> None:
    base, _ = server
    with pytest.raises(urllib.error.HTTPError) as error:
        fetch(base + "/no/such/page/")
    assert error.value.code == 404
    assert "Page not found" in error.value.read().decode()
