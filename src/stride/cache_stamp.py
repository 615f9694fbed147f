"""The cache's stamp: everything besides the inputs that shapes the output.

A cache made under another stamp (another format, version of Stride's code, of Python or of a
library that renders) is ignored, never trusted.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Sequence
from functools import cache
from pathlib import Path

from . import __version__

FORMAT = 6  # of the cache files; raise it when their layout changes
_SOURCE_ROOT = Path(__file__).resolve().parent


@cache
def stamp() -> str:
    """Everything besides the inputs that shapes the output; a cache made under another is void."""
    code = hashlib.sha256()
    for path in sorted(_SOURCE_ROOT.rglob("*")):
        if path.suffix in (".py", ".js") and "__pycache__" not in path.parts:
            code.update(path.relative_to(_SOURCE_ROOT).as_posix().encode() + b"\0")
            code.update(path.read_bytes())
    versions = _versions(("markdown", "jinja2", "nh3", "pyyaml", "markupsafe"))
    return json.dumps(
        {
            "format": FORMAT,
            "stride": __version__,
            "code": code.hexdigest(),
            "python": sys.version,
            **versions,
        },
        sort_keys=True,
    )


def _versions(distributions: Sequence[str]) -> dict[str, str]:
    """Installed versions, read from the names of their NAME-VERSION.dist-info folders on the
    import path: importlib.metadata would import the email package and parse each METADATA
    file, a few hundredths of a second for every build, even one with nothing to do."""
    wanted = {_normalised(name): name for name in distributions}
    found: dict[str, str] = {}
    for folder in sys.path:
        try:
            names = os.listdir(folder or ".")  # noqa: PTH208 (names are all it needs)
        except OSError:
            continue
        for name in names:
            if name.endswith(".dist-info"):
                distribution, _, version = name.removesuffix(".dist-info").partition("-")
                found.setdefault(wanted.get(_normalised(distribution), ""), version)
    return {name: found.get(name) or _version_from_metadata(name) for name in distributions}


def _normalised(name: str) -> str:
    return name.lower().replace("-", "_").replace(".", "_")


def _version_from_metadata(distribution: str) -> str:
    """Where no folder name says (an egg-info or development install), ask importlib."""
    from importlib import metadata

    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "unknown"
