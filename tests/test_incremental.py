"""Warm builds: whatever was edited, a build with the cache writes what a cold build writes."""

from __future__ import annotations

import datetime
import logging
import os
import pickle
import random
import re
import shutil
import time
from pathlib import Path

import pytest

from stride import cache, convert, incremental
from stride.config import BuildOptions, ProjectPaths
from stride.errors import BuildError
from stride.output import MANIFEST, DiskOutput, MemoryOutput
from stride.pipeline import build
from stride.sources import FileStatus, SourceFile
from tests.helpers import REPO, article

FIXTURE = Path(__file__).parent / "fixtures" / "golden-content"
OPTIONS = BuildOptions(today=datetime.date(2026, 1, 1))
TAGS = ["strength training", "core", "beginners", "recovery", "hills", "Racing", "mobility"]


def make_project(root: Path, articles: int = 12) -> ProjectPaths:
    """The golden fixture plus generated articles, with its own copy of templates and static."""
    shutil.copytree(FIXTURE, root / "content")
    shutil.copytree(REPO / "templates", root / "templates")
    shutil.copytree(REPO / "static", root / "static")
    shutil.copy(REPO / "stride.toml", root / "stride.toml")
    rng = random.Random(0)
    for number in range(articles):
        write_article(root / "content", number, rng)
    return ProjectPaths(
        root=root,
        content=root / "content",
        templates=root / "templates",
        static=root / "static",
        output=root / "site",
        cache=root / ".stride-cache",
    )


def write_article(content: Path, number: int, rng: random.Random) -> None:
    tags = ", ".join(rng.sample(TAGS, rng.randint(0, 3)))
    day = datetime.date(2024, 1, 1) + datetime.timedelta(days=rng.randint(0, 700))
    text = article(
        f"Generated article {number}",
        date=day.isoformat(),
        extra=f"tags: [{tags}]",
        body=f"## First part\n\nBody of article {number}.\n\n## Second part\n\nMore text.\n",
    )
    (content / "articles" / f"generated-{number}.md").write_text(text, encoding="utf-8")


def edit(paths: ProjectPaths, rng: random.Random, step: int) -> str:
    """One random edit of the kind an editor makes; returns what it did, for failure messages."""
    generated = sorted((paths.content / "articles").glob("generated-*.md"))
    target = rng.choice(generated) if generated else None
    kind = rng.choice(
        [
            *("body", "prose", "heading", "title", "date", "tags", "summary"),
            *("add", "delete", "featured"),
            *("template", "base", "layout", "static", "settings", "nothing"),
        ]
    )
    if kind in ("add", "delete", "featured") or target is None:
        if kind == "delete" and target is not None:
            target.unlink()
        elif kind == "featured" and target is not None:
            _replace(target, r"^tags:", "featured: true\ntags:")
        else:
            write_article(paths.content, 100 + step, rng)
        return f"{kind} {target.name if target else ''}"
    if kind in ("body", "prose", "heading"):
        added = {
            "body": f"A new paragraph {step} with [a link](/tags/).",  # a new link: relinked
            "prose": f"A new paragraph {step}, words only.",  # patched into the last site
            "heading": f"## Heading {step}",  # a new anchor: relinked
        }[kind]
        with target.open("a", encoding="utf-8") as file:
            file.write(f"\n{added}\n")
    elif kind == "title":
        _replace(target, r"^title: .*$", f"title: Retitled {step}")
    elif kind == "date":
        day = datetime.date(2023, 6, 1) + datetime.timedelta(days=rng.randint(0, 1000))
        _replace(target, r"^date: .*$", f"date: {day.isoformat()}")  # may be in the future
    elif kind == "tags":
        _replace(target, r"^tags: .*$", f"tags: [{', '.join(rng.sample(TAGS, rng.randint(0, 3)))}]")
    elif kind == "summary":
        _replace(target, r"^summary: .*$", f"summary: Summary number {step}.")
    elif kind == "template":
        _replace(paths.templates / "partials" / "macros.html", r"min read\d*", f"min read{step}")
    elif kind == "base":  # its text alone: spliced into the last pages (literals.py)
        _replace(paths.templates / "base.html", r"Skip to content\d*", f"Skip to content{step}")
    elif kind == "layout":  # its logic: every page is rendered
        base = paths.templates / "base.html"
        shouting = "{{ config.tagline | upper }}" in base.read_text("utf-8")
        _replace(
            base,
            r"\{\{ config.tagline[ |a-z]*\}\}",
            f"{{{{ config.tagline{' | upper' * (not shouting)} }}}}",
        )
    elif kind == "static":
        with (paths.static / "css" / "site.css").open("a", encoding="utf-8") as file:
            file.write(f"\n/* {step} */\n")
    elif kind == "settings":
        _replace(paths.settings, r"^related_count = .*$", f"related_count = {rng.randint(1, 4)}")
    return f"{kind} {target.name}"


def append_line(path: Path, line: str) -> None:
    path.write_text(path.read_text("utf-8") + f"\n{line}\n", "utf-8")


def flip_a_byte(path: Path) -> None:
    """Damage a cache file the way a bad disk would: one flipped byte near its end."""
    data = bytearray(path.read_bytes())
    data[-40] ^= 0xFF
    path.write_bytes(bytes(data))


def _replace(path: Path, pattern: str, replacement: str) -> None:
    text = path.read_text(encoding="utf-8")
    path.write_text(re.sub(pattern, replacement, text, count=1, flags=re.MULTILINE), "utf-8")


def cold_build(paths: ProjectPaths) -> dict[str, bytes] | str:
    output = MemoryOutput()
    cold = ProjectPaths(
        paths.root, paths.content, paths.templates, paths.static, paths.output, None
    )
    try:
        build(cold, OPTIONS, output)
    except BuildError as error:
        return error.report()
    return output.files


def warm_build(paths: ProjectPaths) -> dict[str, bytes] | str:
    try:
        build(paths, OPTIONS, DiskOutput(paths.output))
    except BuildError as error:
        return error.report()
    return _output_files(paths)


def _output_files(paths: ProjectPaths) -> dict[str, bytes]:
    return {
        str(path.relative_to(paths.output)): path.read_bytes()
        for path in sorted(paths.output.rglob("*"))
        if path.is_file() and path.name != MANIFEST
    }


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_warm_builds_equal_cold_builds_after_random_edits(tmp_path: Path, seed: int) -> None:
    paths = make_project(tmp_path)
    rng = random.Random(seed)
    done = ["first build"]
    assert warm_build(paths) == cold_build(paths)
    for step in range(12):
        done.append(edit(paths, rng, step))
        warm = warm_build(paths)
        assert warm == cold_build(paths), f"seed {seed}, after: {'; '.join(done)}"
        assert warm_build(paths) == warm, "a second build of the same sources differs"


def test_random_edits_hold_with_work_spread_over_processes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(incremental, "PARALLEL_MIN_BODIES", 1)
    monkeypatch.setattr(incremental, "PARALLEL_MIN_PAGES", 1)
    paths = make_project(tmp_path)
    rng = random.Random(7)
    for step in range(6):
        edit(paths, rng, step)
        assert warm_build(paths) == cold_build(paths)


def test_files_edited_since_the_last_build_convert_in_a_child_as_a_cold_build_would(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = make_project(tmp_path)
    warm_build(paths)
    converted_in = tmp_path / "converted-in"
    converting = convert.ParseAndConvert.__call__

    def recording(self: convert.ParseAndConvert, run: list[SourceFile]) -> list[convert.Outcome]:
        with converted_in.open("a", encoding="utf-8") as log:
            log.write(" ".join([str(os.getpid()), *(source.source for source in run)]) + "\n")
        return converting(self, run)

    monkeypatch.setattr(convert.ParseAndConvert, "__call__", recording)
    edited = paths.content / "articles" / "generated-2.md"
    text = edited.read_text("utf-8")
    edited.write_text(text.replace("article 2.", "article 2, edited."), "utf-8")
    warm = warm_build(paths)
    runs = [line.split() for line in converted_in.read_text("utf-8").splitlines()]
    [[pid, *sources]] = [run for run in runs if len(run) > 1]  # runs with files in them
    assert sources == ["articles/generated-2.md"]
    assert int(pid) != os.getpid()  # converted in a child, while this process loaded the cache
    assert not isinstance(warm, str)
    assert b"Body of article 2, edited." in warm["articles/generated-2/index.html"]
    assert warm == cold_build(paths)
    # A broken edit is reported from the child exactly as a cold build reports it.
    edited.write_text("---\ntitle: [unclosed\n---\nBody.\n", "utf-8")
    report = warm_build(paths)
    assert isinstance(report, str)
    assert "articles/generated-2.md" in report
    assert report == cold_build(paths)


def test_template_edit_renders_only_the_pages_that_use_it(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    paths = make_project(tmp_path)
    warm_build(paths)
    _replace(
        paths.templates / "recipe.html", r"\{% block content %\}", "{% block content %}<!---->"
    )
    with caplog.at_level(logging.DEBUG, logger="stride.pipeline"):
        warm_build(paths)
    recipes = len(list((paths.content / "recipes").glob("*.md")))
    assert f"render {recipes} of " in caplog.text


def test_body_edit_does_not_render_pages_that_only_list_the_entry(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    paths = make_project(tmp_path)
    warm_build(paths)
    with (paths.content / "articles" / "generated-3.md").open("a", encoding="utf-8") as file:
        file.write("\nOne more sentence.\n")
    with caplog.at_level(logging.DEBUG, logger="stride.pipeline"):
        warm_build(paths)
    rendered = int(re.search(r"render (\d+) of (\d+) pages", caplog.text).group(1))  # type: ignore[union-attr]
    assert 1 <= rendered <= 2  # the article itself, and the feed if it is among the newest


def test_prose_edits_reuse_the_linked_site_and_equal_cold_builds(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    paths = make_project(tmp_path)
    warm_build(paths)
    edited = paths.content / "articles" / "generated-3.md"
    for step in range(3):  # each build patches the site the last one patched and saved
        with edited.open("a", encoding="utf-8") as file:
            file.write(f"\nMore words, take {step}.\n")
        caplog.clear()
        with caplog.at_level(logging.DEBUG, logger="stride.pipeline"):
            warm = warm_build(paths)
        assert "reuse the linked site" in caplog.text
        assert warm == cold_build(paths)
    assert "take 2." in warm["articles/generated-3/index.html"].decode()  # type: ignore[index]


@pytest.mark.parametrize(
    ("added", "why"),
    [
        ("See [the tags](/tags/).", "a new link changes backlinks"),
        ("## A new heading", "a new anchor may be what another page links to"),
    ],
)
def test_body_edits_that_change_links_or_anchors_link_the_site_again(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, added: str, why: str
) -> None:
    paths = make_project(tmp_path)
    warm_build(paths)
    with (paths.content / "articles" / "generated-3.md").open("a", encoding="utf-8") as file:
        file.write(f"\n{added}\n")
    with caplog.at_level(logging.DEBUG, logger="stride.pipeline"):
        warm = warm_build(paths)
    assert "link the site:" in caplog.text, why
    assert warm == cold_build(paths)


def test_files_unchanged_since_the_last_build_are_not_read_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = make_project(tmp_path)
    an_hour_ago = time.time() - 3600
    for path in paths.content.rglob("*.md"):
        os.utime(path, (an_hour_ago, an_hour_ago))
    warm_build(paths)
    # An edit that keeps the size and puts the old modification time back is still seen:
    # the change time, which no tool can set, differs.
    edited = paths.content / "articles" / "generated-3.md"
    before = edited.stat()
    edited.write_text(edited.read_text("utf-8").replace("article 3.", "article 9."), "utf-8")
    os.utime(edited, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert edited.stat().st_size == before.st_size
    read: list[str] = []
    reading = SourceFile.of

    def counting(source: str, data: bytes, status: FileStatus = (0, 0, 0, 0)) -> SourceFile:
        read.append(source)
        return reading(source, data, status)

    monkeypatch.setattr(SourceFile, "of", staticmethod(counting))
    warm = warm_build(paths)
    assert read == ["articles/generated-3.md"]
    assert not isinstance(warm, str)
    assert b"Body of article 9." in warm["articles/generated-3/index.html"]
    monkeypatch.undo()
    assert warm == cold_build(paths)


def test_a_file_changed_just_before_the_last_build_is_read_again(tmp_path: Path) -> None:
    # Written and built within one clock tick, edited again within it: its status may not
    # change at all, so a file this fresh is never trusted by its status.
    paths = make_project(tmp_path)
    warm_build(paths)
    edited = paths.content / "articles" / "generated-5.md"
    status = edited.stat()
    edited.write_text(edited.read_text("utf-8").replace("article 5.", "article 8."), "utf-8")
    os.utime(edited, ns=(status.st_atime_ns, status.st_mtime_ns))
    warm = warm_build(paths)
    assert not isinstance(warm, str)
    assert b"Body of article 8." in warm["articles/generated-5/index.html"]


def test_the_kept_previous_output_is_reused_only_when_it_holds_what_it_says(
    tmp_path: Path,
) -> None:
    paths = make_project(tmp_path)
    assert paths.cache is not None
    kept = paths.cache / "previous-output"
    warm_build(paths)
    edited = paths.content / "articles" / "generated-1.md"
    append_line(edited, "First edit.")
    warm_build(paths)
    assert (kept / MANIFEST).is_file(), "the output before last is kept in the cache folder"
    # Staging starts from the kept folder; a stray or missing file there means it is not used.
    (kept / "stray.html").write_text("not ours", "utf-8")
    (kept / "tags" / "index.html").unlink()
    append_line(edited, "Second edit.")
    warm = warm_build(paths)
    assert warm == cold_build(paths)
    assert not isinstance(warm, str) and "stray.html" not in warm
    # A kept folder that is right is used, and still gives a cold build's output.
    append_line(edited, "Third edit.")
    live = paths.output / "tags" / "index.html"
    before = live.stat().st_ino
    assert warm_build(paths) == cold_build(paths)
    assert not (kept / "stray.html").exists()
    assert before == (kept / "tags" / "index.html").stat().st_ino  # swapped out, not copied


def test_unchanged_sources_build_nothing_but_a_deleted_output_file_is_restored(
    tmp_path: Path,
) -> None:
    paths = make_project(tmp_path)
    first = warm_build(paths)
    result = build(paths, OPTIONS, DiskOutput(paths.output))
    assert result.unchanged is not None and result.site is None
    (paths.output / "tags" / "index.html").unlink()
    result = build(paths, OPTIONS, DiskOutput(paths.output))
    assert result.unchanged is None
    assert warm_build(paths) == first


def test_corrupt_cache_is_ignored_with_a_notice(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    paths = make_project(tmp_path)
    warm_build(paths)
    assert paths.cache is not None
    cache_file = paths.cache / "build-cache.pickle"
    flip_a_byte(cache_file)
    (paths.content / "articles" / "generated-1.md").unlink()  # so the build is not skipped
    with caplog.at_level(logging.WARNING):
        assert warm_build(paths) == cold_build(paths)
    assert "ignoring the build cache" in caplog.text
    assert "corrupted" in caplog.text


def test_a_small_edit_saves_only_the_sources_it_added(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    paths = make_project(tmp_path, articles=30)
    assert paths.cache is not None
    warm_build(paths)
    stored = paths.cache / "sources.pickle"
    added = paths.cache / "sources-added.pickle"
    written = stored.stat().st_mtime_ns
    assert not added.exists()
    edited = paths.content / "articles" / "generated-2.md"
    append_line(edited, "One more line.")
    assert warm_build(paths) == cold_build(paths)
    assert stored.stat().st_mtime_ns == written, "the full sources file was rewritten"
    assert 0 < added.stat().st_size < stored.stat().st_size / 10
    # The next build reads both files: nothing is parsed again but what changed.
    append_line(edited, "And another.")
    assert warm_build(paths) == cold_build(paths)
    # A damaged sources file costs only speed: a notice, and the files are parsed again.
    flip_a_byte(stored)
    append_line(edited, "A third.")
    with caplog.at_level(logging.WARNING):
        assert warm_build(paths) == cold_build(paths)
    assert "sources.pickle" in caplog.text and "corrupted" in caplog.text
    assert not added.exists(), "a build that could not use the sources file writes it whole"


def test_cached_texts_are_read_when_first_used_and_survive_a_whole_rewrite(
    tmp_path: Path,
) -> None:
    paths = make_project(tmp_path, articles=30)
    warm_build(paths)
    loaded = cache.load_cache(paths.cache, cache.read_header(paths.cache))
    assert loaded.site is not None
    documents = list(loaded.documents.values())
    assert len(documents) > 30
    # Nothing of the Markdown or HTML is made into strings by loading.
    assert not any("body" in document.__dict__ for document in documents)
    assert not any("html" in body.__dict__ for body in loaded.bodies.values())
    assert not any("html" in entry.__dict__ for entry in loaded.site.entries)
    entry = next(e for e in loaded.site.entries if e.document.source.startswith("articles/gen"))
    source_text = (paths.content / entry.document.source).read_text(encoding="utf-8")
    assert entry.document.body in source_text and "## Second part" in entry.document.body
    assert '<h2 id="second-part">Second part</h2>' in entry.html
    assert entry.body.html == entry.html  # no links to rewrite: one text, stored once
    # Sent to a worker or saved in the small file, such objects carry their texts along.
    assert pickle.loads(pickle.dumps(entry)) == entry
    # Adding more than a tenth of the files writes the sources file whole again, from texts
    # most of which were never read in that build.
    rng = random.Random(5)
    for number in range(40, 50):
        write_article(paths.content, number, rng)
    assert warm_build(paths) == cold_build(paths)
    edited = paths.content / "articles" / "generated-3.md"
    append_line(edited, "One more line.")
    assert warm_build(paths) == cold_build(paths)


def test_a_small_edit_saves_only_the_page_records_it_changed(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    paths = make_project(tmp_path, articles=30)
    assert paths.cache is not None
    warm_build(paths)
    stored = paths.cache / "pages.pickle"
    written = stored.read_bytes()
    edited = paths.content / "articles" / "generated-2.md"
    for line in ("One more line.", "And another."):
        append_line(edited, line)
        assert warm_build(paths) == cold_build(paths)
        assert stored.read_bytes() == written, "the whole page records were written again"
    # A template every page uses changes every record: the file is written whole again.
    _replace(paths.templates / "base.html", r"Skip to content", "Skip to the content")
    assert warm_build(paths) == cold_build(paths)
    assert stored.read_bytes() != written
    # Damaged, it costs only speed: a notice, and every page is rendered again.
    flip_a_byte(stored)
    append_line(edited, "A third.")
    with caplog.at_level(logging.WARNING):
        assert warm_build(paths) == cold_build(paths)
    assert "pages.pickle" in caplog.text and "corrupted" in caplog.text
    append_line(edited, "A fourth.")
    assert warm_build(paths) == cold_build(paths)


def test_truncated_or_foreign_cache_is_ignored_with_a_notice(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    paths = make_project(tmp_path)
    assert paths.cache is not None
    paths.cache.mkdir()
    (paths.cache / "build-cache.pickle").write_bytes(b"not a cache at all")
    with caplog.at_level(logging.WARNING):
        assert warm_build(paths) == cold_build(paths)
    assert "ignoring the build cache" in caplog.text


def test_cache_from_another_version_is_ignored_with_a_notice(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    paths = make_project(tmp_path)
    warm_build(paths)
    assert paths.cache is not None
    cache_file = paths.cache / "build-cache.pickle"
    magic, header, payload = cache_file.read_bytes().split(b"\n", 2)
    cache_file.write_bytes(b"\n".join([magic, header.replace(b"0.1.0", b"0.0.9"), payload]))
    with caplog.at_level(logging.WARNING):
        assert warm_build(paths) == cold_build(paths)
    assert "another version of Stride" in caplog.text


def test_no_cache_builds_without_reading_or_writing_the_cache_folder(tmp_path: Path) -> None:
    from stride.cli import main

    project = tmp_path / "project"
    project.mkdir()
    for name in ("templates", "static"):
        (project / name).symlink_to(REPO / name)
    shutil.copy(REPO / "stride.toml", project / "stride.toml")
    content = project / "content"
    shutil.copytree(FIXTURE, content)
    arguments = ["build", "-q", "--future", "--content", str(content), "--out", str(project / "a")]
    assert main([*arguments, "--no-cache"], root=project) == 0
    assert not (project / ".stride-cache").exists()
    assert main(arguments, root=project) == 0
    assert (project / ".stride-cache" / "build-cache.pickle").is_file()
    moved = tmp_path / "elsewhere"
    assert main([*arguments, "--cache", str(moved)], root=project) == 0
    assert (moved / "build-cache.pickle").is_file()


def test_a_page_failing_its_audit_after_others_were_staged_changes_nothing(
    tmp_path: Path,
) -> None:
    # Enough pages for the workers to put them in the staging folder themselves.
    paths = make_project(tmp_path, articles=incremental.PARALLEL_MIN_PAGES + 10)
    warm_build(paths)
    with (paths.content / "articles" / "generated-3.md").open("a", encoding="utf-8") as file:
        file.write("\nA second build, so that staging starts from the output before last.\n")
    before = warm_build(paths)
    template = paths.templates / "article.html"
    good = template.read_text(encoding="utf-8")
    start = "{% set entry = page.entry %}\n"
    breach = '{% if entry.meta.title == "Generated article 40" %}<p onclick="go()">x</p>{% endif %}'
    template.write_text(good.replace(start, start + breach), encoding="utf-8")
    report = warm_build(paths)
    assert isinstance(report, str)
    assert "site/articles/generated-40/index.html:" in report, report
    assert "event handler attribute 'onclick'" in report
    assert _output_files(paths) == before
    assert [p.name for p in paths.root.iterdir() if p.name.endswith(".staging")] == []
    template.write_text(good, encoding="utf-8")
    assert warm_build(paths) == cold_build(paths)


def test_bodies_patched_in_earlier_builds_show_when_every_page_is_rendered(
    tmp_path: Path,
) -> None:
    # The cache keeps the site of the last whole link and the entries patched into it since;
    # a body edit with a layout logic edit renders every page from that site, patched with both.
    paths = make_project(tmp_path)
    warm_build(paths)
    append_line(paths.content / "articles" / "generated-1.md", "An earlier edit, words only.")
    warm_build(paths)
    append_line(paths.content / "articles" / "generated-2.md", "A later edit, words only.")
    _replace(
        paths.templates / "base.html", r"\{\{ config.tagline \}\}", "{{ config.tagline | upper }}"
    )
    warm = warm_build(paths)
    assert warm == cold_build(paths)
    assert b"An earlier edit" in warm["articles/generated-1/index.html"]
