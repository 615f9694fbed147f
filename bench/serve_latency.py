#!/usr/bin/env python3
"""Dev-server latency: from saving an article to the server answering with the changed page.

    python bench/serve_latency.py PROJECT CONTENT_DIR [--runs 5] [--port N]

Starts `PROJECT/build.py serve` on 127.0.0.1, waits for its first build, then, run after run,
appends a sentence with a unique word to one article and polls that article's URL every 5 ms
until the word is served. The time includes the file watcher's polling and settling delay and
the server's work: everything before a browser, told by the live-reload socket, fetches the
page again. The server previews the edited page before it rebuilds the whole site (see
src/stride/preview.py); the time until that full rebuild is done is measured too, and each run
waits for it before the next save. Prints JSON with each run and the medians. Standard library
only; run it with Stride's Python.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path


def fetch(url: str) -> str:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return str(response.read().decode("utf-8"))
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return ""


def wait_for(check: str, url: str, limit: float) -> float:
    started = time.perf_counter()
    while time.perf_counter() - started < limit:
        if check in fetch(url):
            return time.perf_counter() - started
        time.sleep(0.005)
    raise SystemExit(f"{check!r} did not appear at {url} within {limit} s")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def measure(project: Path, content: Path, runs: int, port: int) -> dict[str, object]:
    articles = sorted((content / "articles").glob("*.md"))
    edited = articles[len(articles) // 3]
    url = f"http://127.0.0.1:{port}/articles/{edited.stem}/"
    output = project / "serve-out"
    command = [sys.executable, str(project / "build.py"), "serve", "-q", "--port", str(port)]
    command += ["--content", str(content), "--out", str(output)]
    # A shell starts background jobs with Ctrl+C ignored, and the server would inherit that:
    # restore the default so that the SIGINT below stops it.
    server = subprocess.Popen(
        command,
        cwd=project,
        start_new_session=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # noqa: PLW1509
    )
    try:
        wait_for("<html", url, limit=1800)  # the first build may be a cold one
        if server.poll() is not None:
            raise SystemExit(f"the dev server stopped (exit code {server.returncode})")
        seconds, full = [], []
        status = f"http://127.0.0.1:{port}/__stride/status"
        for run in range(runs):
            time.sleep(1.0)  # let the watcher settle between runs
            builds = _builds(status)
            word = f"latencyprobe{run}x{os.getpid()}"
            with edited.open("a", encoding="utf-8") as file:
                file.write(f"\nA sentence with {word}.\n")
            started = time.perf_counter()
            seconds.append(wait_for(word, url, limit=120))
            # The server shows the edited page first, then rebuilds the whole site: wait for
            # that too, as an editor saving again later would, and report it separately.
            while _builds(status) == builds:
                time.sleep(0.005)
            full.append(time.perf_counter() - started)
            print(
                f"  save to served page: {seconds[-1]:.3f} s, whole site rebuilt: {full[-1]:.3f} s",
                flush=True,
            )
    finally:
        os.killpg(server.pid, signal.SIGINT)  # Ctrl+C: the server saves its cache and stops
        try:
            server.wait(timeout=120)
        except subprocess.TimeoutExpired:  # the measurements stand; the server must not
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
    return {
        "runs_s": seconds,
        "median_s": statistics.median(seconds),
        "full_rebuild_runs_s": full,
        "full_rebuild_median_s": statistics.median(full),
        "pages_url": url,
    }


def _builds(status_url: str) -> int:
    """How many builds (not previews) the dev server has finished."""
    text = fetch(status_url)
    return int(json.loads(text)["builds"]) if text else -1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("project", type=Path)
    parser.add_argument("content", type=Path)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--port", type=int, default=0, help="default: a free one")
    args = parser.parse_args()
    port = args.port or free_port()
    result = measure(args.project.absolute(), args.content.absolute(), args.runs, port)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
