"""Helpers for building tiny inline sites and running the command line in tests."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

from stride.config import ProjectPaths
from stride.errors import BuildError
from stride.model import BuildOptions
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


def project_paths(content: Path, out: Path | None = None) -> ProjectPaths:
    return ProjectPaths(
        root=REPO,
        content=content,
        templates=REPO / "templates",
        static=REPO / "static",
        output=out or content.parent / "site",
        cache=None,
    )


def build_in_memory(content: Path, options: BuildOptions | None = None) -> MemorySite:
    """Build a content folder with the project's templates into memory."""
    import datetime

    output = MemoryOutput()
    options = options or BuildOptions(today=datetime.date(2026, 1, 1))
    result = build(project_paths(content), options, output)
    return MemorySite(result, dict(output.files))


def build_errors(content: Path) -> str:
    """The report of a build expected to fail."""
    try:
        build_in_memory(content)
    except BuildError as error:
        return error.report()
    raise AssertionError("the build succeeded, but errors were expected")


def run_cli(
    *args: str | Path, cwd: Path = REPO, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run `python build.py ARGS` as a user would; output decoded, never raising."""
    full_env = {**os.environ, "SOURCE_DATE_EPOCH": TODAY_EPOCH, **(env or {})}
    return subprocess.run(
        [sys.executable, str(BUILD_PY), *map(str, args)],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
