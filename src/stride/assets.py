"""Static files: copied as they are, except CSS and JS, which get a content hash in their name.

Fingerprinted names let the CDN cache them for a year while a change is still seen at once.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from . import urls
from .errors import Problem

FINGERPRINTED = (".css", ".js")


@dataclass(frozen=True, slots=True)
class StaticFile:
    output: str  # as Route.output
    data: bytes


@dataclass(frozen=True, slots=True)
class Assets:
    files: tuple[StaticFile, ...]
    urls: Mapping[str, str]  # logical name ('css/site.css') -> URL ('/css/site.1a2b3c4d.css')
    image_sizes: Mapping[str, tuple[int, int]] = dataclasses.field(default_factory=dict)

    def url(self, name: str) -> str:
        return self.urls[name]

    def image_size(self, url: str) -> tuple[int, int]:
        """Width and height of a published image, so pages reserve its space (no layout shift)."""
        return self.image_sizes[url]

    @property
    def public_urls(self) -> frozenset[str]:
        return frozenset(self.urls.values())


def collect_assets(static_dir: Path) -> tuple[Assets, list[Problem]]:
    files: list[StaticFile] = []
    names: dict[str, str] = {}
    sizes: dict[str, tuple[int, int]] = {}
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
        size = image_size(data, path.suffix.lower())
        if size is not None:
            sizes[route.url] = size
    return Assets(tuple(files), names, sizes), problems


def image_size(data: bytes, suffix: str) -> tuple[int, int] | None:
    """Intrinsic size read from the file header: PNG, GIF, JPEG or SVG; None otherwise."""
    if suffix == ".png" and data[:8] == b"\x89PNG\r\n\x1a\n":
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    if suffix == ".gif" and data[:4] == b"GIF8":
        width, height = struct.unpack("<HH", data[6:10])
        return int(width), int(height)
    if suffix in (".jpg", ".jpeg"):
        return _jpeg_size(data)
    if suffix == ".svg":
        root = re.search(rb"<svg\b[^>]*>", data)
        if root:
            width = re.search(rb'\swidth="(\d+)"', root.group(0))
            height = re.search(rb'\sheight="(\d+)"', root.group(0))
            if width and height:
                return int(width.group(1)), int(height.group(1))
    return None


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    index = 2
    while index + 9 < len(data):
        if data[index] != 0xFF:
            return None
        marker = data[index + 1]
        length = int.from_bytes(data[index + 2 : index + 4], "big")
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", data[index + 5 : index + 9])
            return int(width), int(height)
        index += 2 + length
    return None
