"""Helpers for building tiny inline sites and running the command line in tests."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from stride.config import BuildOptions, ProjectPaths
from stride.errors import BuildError
from stride.output import MemoryOutput
from stride.pipeline import BuildResult, build

REPO = Path(__file__).resolve().parent.parent
BUILD_PY = REPO / "build.py"
TODAY_EPOCH = "1767225600"  # 2026-01-01T00:00:00Z: content dated after it is "future"


def write_files(root: Path, files: dict[str, str]) -> Path:
    """Write {relative path: text} under root (text is dedented) and return root."""
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root


def article(
    title: str = "A title", *, date: str = "2025-01-31", extra: str = "", body: str = "Some text."
) -> str:
    """A valid article file; `extra` adds front-matter lines."""
    lines = [f"title: {title}", f"date: {date}", "summary: A short summary."]
    if extra:
        lines += textwrap.dedent(extra).strip("\n").splitlines()
    return "---\n" + "\n".join(lines) + "\n---\n" + textwrap.dedent(body).lstrip("\n")


@dataclass
class MemorySite:
    result: BuildResult
    files: dict[str, bytes]

    def text(self, path: str) -> str:
        return self.files[path].decode("utf-8")


def project_paths(content: Path, out: Path | None = None, project: Path = REPO) -> ProjectPaths:
    return ProjectPaths(
        root=project,
        content=content,
        templates=project / "templates",
        static=project / "static",
        output=out or content.parent / "site",
        cache=None,
    )


def build_in_memory(
    content: Path, options: BuildOptions | None = None, project: Path = REPO
) -> MemorySite:
    """Build a content folder with the project's templates into memory."""
    import datetime

    output = MemoryOutput()
    options = options or BuildOptions(today=datetime.date(2026, 1, 1))
    result = build(project_paths(content, project=project), options, output)
    return MemorySite(result, dict(output.files))


def build_errors(content: Path, project: Path = REPO) -> str:
    """The report of a build expected to fail."""
    try:
        build_in_memory(content, project=project)
    except BuildError as error:
        return error.report()
    raise AssertionError("the build succeeded, but errors were expected")


def cli_env(env: dict[str, str] | None = None) -> dict[str, str]:
    """The environment a command-line run gets: this one, "now" pinned, plus `env`."""
    return {**os.environ, "SOURCE_DATE_EPOCH": TODAY_EPOCH, **(env or {})}


def run_cli(
    *args: str | Path,
    cwd: Path = REPO,
    env: dict[str, str] | None = None,
    timeout: float = 120,
    project: Path = REPO,
) -> subprocess.CompletedProcess[str]:
    """Run `python build.py ARGS` as a user would; output decoded, never raising.

    `project` is a folder holding build.py, e.g. one made by copy_project().
    """
    return subprocess.run(
        [sys.executable, str(project / "build.py"), *map(str, args)],
        cwd=cwd,
        env=cli_env(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def start_cli(*args: str | Path, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    """Start `python build.py ARGS` without waiting, e.g. to kill it part way through."""
    return subprocess.Popen(
        [sys.executable, str(BUILD_PY), *map(str, args)],
        cwd=REPO,
        env=cli_env(env),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,  # a pipe would make waiting hang on any orphaned child
    )


def read_tree(folder: Path) -> dict[str, bytes]:
    """Every file under folder (hidden ones too) by relative path: for byte-for-byte compares."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def many_articles(count: int, version: str = "") -> dict[str, str]:
    """`count` valid, linked, tagged articles; a different `version` changes every page."""
    body = "## Why\n\nSome *text* and a [link](../articles/a-0.md).\n\n" * 10
    return {
        f"articles/a-{n}.md": article(
            f"Article {n} {version}".strip(), extra=f"tags: [t{n % 7}]", body=body
        )
        for n in range(count)
    }


def copy_project(root: Path, templates: dict[str, str] | None = None) -> Path:
    """A project folder like this repository (build.py, settings, templates, static), to run
    the command line against changed templates or to watch everything it writes.

    The engine is linked, not copied; `templates` replaces or adds templates by name.
    """
    root.mkdir(parents=True, exist_ok=True)
    shutil.copy(BUILD_PY, root / "build.py")
    shutil.copy(REPO / "stride.toml", root / "stride.toml")
    (root / "src").symlink_to(REPO / "src")
    shutil.copytree(REPO / "templates", root / "templates")
    shutil.copytree(REPO / "static", root / "static")
    write_files(root / "templates", templates or {})
    return root


def wait_until(condition: Callable[[], bool], seconds: float = 60) -> bool:
    """Poll condition until it holds (True) or time runs out (False)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return False


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
