"""Static files: copied as they are, except CSS and JS, which get a content hash in their name.

Fingerprinted names let the CDN cache them for a year while a change is still seen at once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from . import urls
from .errors import Problem

FINGERPRINTED = (".css", ".js")


@dataclass(frozen=True, slots=True)
class StaticFile:
    output: PurePosixPath
    data: bytes


@dataclass(frozen=True, slots=True)
class Assets:
    files: tuple[StaticFile, ...]
    urls: Mapping[str, str]  # logical name ('css/site.css') -> URL ('/css/site.1a2b3c4d.css')

    def url(self, name: str) -> str:
        return self.urls[name]

    @property
    def public_urls(self) -> frozenset[str]:
        return frozenset(self.urls.values())


def collect_assets(static_dir: Path) -> tuple[Assets, list[Problem]]:
    files: list[StaticFile] = []
    names: dict[str, str] = {}
    problems: list[Problem] = []
    if not static_dir.is_dir():
        return Assets((), {}), problems
    root = static_dir.resolve()
    for path in sorted(static_dir.rglob("*")):
        if path.is_dir() or path.name.startswith("."):
            continue
        logical = path.relative_to(static_dir).as_posix()
        if not path.resolve().is_relative_to(root):
            problems.append(
                Problem(
                    f"static/{logical}",
                    0,
                    0,
                    "symlink points outside the static folder",
                    "copy the file into static/ instead",
                )
            )
            continue
        data = path.read_bytes()
        published = logical
        if path.suffix in FINGERPRINTED:
            digest = hashlib.sha256(data).hexdigest()[:10]
            published = str(PurePosixPath(logical).with_suffix(f".{digest}{path.suffix}"))
        route = urls.asset(published)
        names[logical] = route.url
        files.append(StaticFile(route.output, data))
    return Assets(tuple(files), names), problems
