#!/usr/bin/env python3
"""Entry point: python build.py [build|serve|check|new] [options]; see --help of each command."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT / "src"))  # run from a checkout without installing

from stride.cli import run  # noqa: E402

if __name__ == "__main__":
    run(ROOT)
