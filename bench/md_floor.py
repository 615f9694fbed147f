#!/usr/bin/env python3
"""The Markdown floor: Python-Markdown alone converting a corpus's bodies, with Stride's extensions.

    python bench/md_floor.py CONTENT_DIR     (prints seconds for all bodies, one process)

Bodies are read and split from their front matter first (not timed); then one Markdown instance,
configured exactly as Stride's converter is (same extensions and settings, without Stride's own
link collector and sanitiser), converts them one after another. Any generator built on the
library pays at least this, divided by the cores it can use. Run it with Stride's Python.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import markdown

from stride.markdown import markdown_extensions


def bodies(content: Path) -> list[str]:
    found = []
    for path in sorted(content.rglob("*.md")):
        text = path.read_text(encoding="utf-8")
        found.append(text.split("\n---\n", 1)[1])
    return found


def main() -> int:
    texts = bodies(Path(sys.argv[1]))
    converter = markdown.Markdown(extensions=markdown_extensions())
    started = time.perf_counter()
    for text in texts:
        converter.reset()
        converter.convert(text)
    seconds = time.perf_counter() - started
    print(json.dumps({"files": len(texts), "seconds": seconds, "markdown": markdown.__version__}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
