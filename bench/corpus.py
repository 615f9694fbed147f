#!/usr/bin/env python3
"""Makes a benchmark project: the shared peer corpus, laid out as Stride content.

    python bench/corpus.py --out DIR -n 4000 [--shape article|small] [--seed 42]

Calls ../shared/bench/make_corpus.py (the corpus every peer builds), then writes DIR/articles/*.md
with the front matter our schema wants: `description` becomes `summary`, nothing else changes, so
Stride converts the same bodies as the peers. Same arguments give byte-identical files.
Standard library only.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

SHARED_BENCH = Path(__file__).resolve().parents[1].parent / "shared" / "bench"
_DESCRIPTION = re.compile(r"^description:", re.MULTILINE)


def make_peer_corpus(out: Path, count: int, shape: str, seed: int) -> None:
    """The flat corpus the peers read (one folder of .md files)."""
    script = SHARED_BENCH / "make_corpus.py"
    command = [sys.executable, str(script), "--out", str(out), "-n", str(count)]
    command += ["--shape", shape, "--seed", str(seed)]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)


def to_stride(peer_corpus: Path, content: Path) -> int:
    """Copy the corpus into content/articles/ with our schema's field names."""
    if content.exists():
        shutil.rmtree(content)
    articles = content / "articles"
    articles.mkdir(parents=True)
    count = 0
    for path in sorted(peer_corpus.glob("*.md")):
        text = path.read_text(encoding="utf-8")
        head, sep, body = text[4:].partition("\n---\n")
        # Only the front matter is touched: bodies stay byte-identical to what the peers convert.
        text = "---\n" + _DESCRIPTION.sub("summary:", head, count=1) + sep + body
        (articles / path.name).write_text(text, encoding="utf-8")
        count += 1
    return count


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="content folder to (re)create")
    parser.add_argument("-n", type=int, default=1000)
    parser.add_argument("--shape", choices=("article", "small"), default="article")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--peer-corpus", type=Path, help="also keep the flat peer corpus here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        flat = args.peer_corpus or Path(scratch) / "corpus"
        make_peer_corpus(flat, args.n, args.shape, args.seed)
        written = to_stride(flat, args.out)
    print(f"wrote {written} {args.shape} articles to {args.out / 'articles'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
