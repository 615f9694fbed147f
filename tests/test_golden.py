"""A fixture site built and compared, file by file, with its reviewed expected output.

When a change to templates or the engine alters output on purpose, regenerate and review:
    STRIDE_REGEN_GOLDEN=1 python -m pytest tests/test_golden.py && git diff tests/golden
"""

from __future__ import annotations

import difflib
import os
import shutil
from pathlib import Path

from tests.helpers import build_in_memory

FIXTURE = Path(__file__).parent / "fixtures" / "golden-content"
GOLDEN = Path(__file__).parent / "golden"
TEXT_SUFFIXES = (".html", ".xml", ".txt", ".json")


def built_text_files() -> tuple[dict[str, str], list[str]]:
    files = build_in_memory(FIXTURE).files
    texts = {
        path: data.decode("utf-8") for path, data in files.items() if path.endswith(TEXT_SUFFIXES)
    }
    return texts, sorted(files)


def test_fixture_site_matches_the_golden_output() -> None:
    texts, all_paths = built_text_files()
    listing = "\n".join(all_paths) + "\n"
    if os.environ.get("STRIDE_REGEN_GOLDEN") == "1":
        shutil.rmtree(GOLDEN, ignore_errors=True)
        for path, text in {**texts, "FILES.txt": listing}.items():
            target = GOLDEN / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
    expected = {
        str(p.relative_to(GOLDEN)): p.read_text(encoding="utf-8")
        for p in sorted(GOLDEN.rglob("*"))
        if p.is_file()
    }
    actual = {**texts, "FILES.txt": listing}
    assert sorted(actual) == sorted(expected), "files added or removed; see FILES.txt"
    diffs = [
        "".join(
            difflib.unified_diff(
                expected[path].splitlines(True),
                actual[path].splitlines(True),
                f"golden/{path}",
                f"built/{path}",
                n=2,
            )
        )
        for path in sorted(actual)
        if actual[path] != expected[path]
    ]
    assert not diffs, "output differs from tests/golden:\n" + "\n".join(diffs)[:6000]
