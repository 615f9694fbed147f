"""The same sources give byte-identical output, whatever the machine's order, seed, zone or clock.

Two builds run in separate processes that differ in everything that should not matter: the
order the files were created in (and so the order the file system lists them), the hash seed,
the time zone, the locale, the time of day "now" is pinned to, and a cold or warm cache.
"""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest

from tests.helpers import REPO, TODAY_EPOCH, article, read_tree, run_cli

# Tags that differ only in case and spacing, equal dates and non-ASCII titles: the places where
# ordering and tie-breaking could depend on a hash seed or a file-system order.
TAGS = [
    "Core work",
    "core  work",
    "Strength",
    "strength",
    "Recovery",
    "Zone 2",
    "zone 2",
    "Ünïcode",
]


def extra_articles(count: int = 40) -> dict[str, str]:
    rng = random.Random(7)
    return {
        f"articles/extra-{n:02d}.md": article(
            f"Éxtra {n} \u2013 “quoted”",
            date=f"2025-0{1 + n % 3}-1{n % 2}",
            extra="tags: [" + ", ".join(f"'{tag}'" for tag in rng.sample(TAGS, 3)) + "]",
            body=f"## Part\n\nSee [the first](extra-00.md) and [tag page](/tags/strength/).\n{n}",
        )
        for n in range(count)
    }


def sources() -> dict[str, bytes]:
    files = {
        p.relative_to(REPO / "content").as_posix(): p.read_bytes()
        for p in (REPO / "content").rglob("*.md")
    }
    files.update({path: text.encode() for path, text in extra_articles().items()})
    return files


def write_in_order(folder: Path, files: dict[str, bytes], order: list[str]) -> Path:
    for relative in order:
        (folder / relative).parent.mkdir(parents=True, exist_ok=True)
        (folder / relative).write_bytes(files[relative])
    return folder


def build(content: Path, out: Path, *options: str | Path, **env: str) -> dict[str, bytes]:
    result = run_cli("build", "--content", content, "--out", out, *options, env=env)
    assert result.returncode == 0, result.stderr
    return read_tree(out)


@pytest.mark.slow
def test_output_is_byte_identical_whatever_the_order_seed_zone_locale_and_clock(
    tmp_path: Path,
) -> None:
    files = sources()
    order = sorted(files)
    shuffled = order[:]
    random.Random(3).shuffle(shuffled)
    first = build(
        write_in_order(tmp_path / "one", files, order),
        tmp_path / "site-one",
        "--no-cache",
        PYTHONHASHSEED="1",
        TZ="UTC",
        LC_ALL="C",
        SOURCE_DATE_EPOCH=TODAY_EPOCH,  # 2026-01-01 00:00:00 UTC
    )
    later_that_day = str(int(TODAY_EPOCH) + 86_399)  # 2026-01-01 23:59:59 UTC
    second_env = {
        "PYTHONHASHSEED": "4242",
        "TZ": "Pacific/Kiritimati",  # UTC+14: already 2 January there
        "LC_ALL": "C.UTF-8",
        "SOURCE_DATE_EPOCH": later_that_day,
    }
    content = write_in_order(tmp_path / "two", files, list(reversed(shuffled)))
    cache = tmp_path / "cache"
    second = build(content, tmp_path / "site-two", "--cache", cache, **second_env)
    warm = build(content, tmp_path / "site-warm", "--cache", cache, **second_env)
    assert len(first) > 90 and "tags/core-work/index.html" in first
    assert [path for path in first if first[path] != second.get(path)] == []
    assert first == second == warm


def test_pinned_now_decides_what_is_published(tmp_path: Path) -> None:
    files = {"articles/a.md": article("Due", date="2026-01-02").encode()}
    content = write_in_order(tmp_path / "content", files, list(files))
    before = build(content, tmp_path / "before", "--no-cache", SOURCE_DATE_EPOCH=TODAY_EPOCH)
    on_the_day = str(int(TODAY_EPOCH) + 86_400)
    after = build(content, tmp_path / "after", "--no-cache", SOURCE_DATE_EPOCH=on_the_day)
    assert "articles/a/index.html" not in before  # dated tomorrow: not yet
    assert "articles/a/index.html" in after


def test_the_manifest_is_sorted_and_names_no_time_or_machine(tmp_path: Path) -> None:
    files = {"articles/a.md": article().encode()}
    content = write_in_order(tmp_path / "content", files, list(files))
    out = build(content, tmp_path / "out", "--no-cache")
    manifest = out[".stride-manifest.json"].decode()
    assert str(tmp_path) not in manifest and "2026" not in manifest
    shutil.rmtree(tmp_path / "out")
    assert (
        build(content, tmp_path / "out", "--no-cache")[".stride-manifest.json"] == manifest.encode()
    )
