"""The output folder only ever holds a whole build: the previous one or the new one.

A build stages beside the output and swaps it in; a failed or killed build leaves the previous
output byte-identical, the next build clears the leftovers, and nothing is written anywhere a
build does not own.
"""

from __future__ import annotations

import hashlib
import json
import random
import signal
import subprocess
import time
from pathlib import Path

import pytest

from stride.errors import OutputError
from stride.output import MANIFEST, DiskOutput, MemoryOutput, OutputFile, UnsafePath, checked_path
from tests.helpers import (
    article,
    copy_project,
    many_articles,
    read_tree,
    run_cli,
    start_cli,
    wait_until,
    write_files,
)


def names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def build(content: Path, out: Path, *extra: str | Path) -> subprocess.CompletedProcess[str]:
    result = run_cli("build", "--no-cache", "--content", content, "--out", out, *extra)
    return result


def built(tmp_path: Path, files: dict[str, str]) -> tuple[Path, Path, dict[str, bytes]]:
    """A content folder, an output folder holding its build, and that output's bytes."""
    content = write_files(tmp_path / "content", files)
    out = tmp_path / "out"
    result = build(content, out)
    assert result.returncode == 0, result.stderr
    return content, out, read_tree(out)


def test_a_failed_build_leaves_the_previous_output_byte_identical(tmp_path: Path) -> None:
    content, out, before = built(tmp_path, {"articles/a.md": article("First")})
    write_files(content, {"articles/a.md": article("Second", extra="colour: blue")})
    assert build(content, out).returncode == 1
    assert read_tree(out) == before
    assert names(tmp_path) == ["content", "out"]


def test_a_template_error_found_while_rendering_leaves_the_output_untouched(
    tmp_path: Path,
) -> None:
    content, out, before = built(tmp_path, {"articles/a.md": article("First")})
    write_files(content, {"articles/a.md": article("Second", body="[x](/nowhere/)")})
    assert build(content, out).returncode == 1
    assert read_tree(out) == before


@pytest.mark.slow
def test_builds_killed_at_random_moments_never_leave_a_partial_output(tmp_path: Path) -> None:
    """SIGKILL a few hundred files' build at random moments: old or new site, never a mix."""
    old_files, new_files = many_articles(300, "v1"), many_articles(300, "v2")
    content, out, old = built(tmp_path, old_files)
    reference = tmp_path / "reference"
    write_files(content, new_files)
    started = time.monotonic()
    assert build(content, reference, "--cache", tmp_path / "ref-cache").returncode == 0
    duration = time.monotonic() - started
    new = read_tree(reference)
    assert old != new
    outcomes = {"previous": 0, "new": 0}
    rng = random.Random(4)
    for attempt in range(16):
        write_files(content, old_files if read_tree(out) == new else new_files)
        expected_before = read_tree(out)
        process = start_cli(
            "build", "--cache", tmp_path / "cache", "--content", content, "--out", out
        )
        # Half the kills land anywhere, half late, where the output is written and swapped.
        late = attempt % 2
        time.sleep(rng.uniform(duration * 0.8 if late else 0.05, duration * (1.4 if late else 1)))
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)
        after = read_tree(out)
        if process.returncode == 0:  # finished before the kill: a whole new build
            assert after in (old, new)
            outcomes["new"] += 1
            continue
        assert after == expected_before or after in (old, new), "a partial output after a kill"
        outcomes["previous" if after == expected_before else "new"] += 1
    write_files(content, new_files)
    result = build(content, out, "--cache", tmp_path / "cache")
    assert result.returncode == 0, result.stderr
    assert read_tree(out) == new
    assert not (tmp_path / ".out.staging").exists() and not (tmp_path / ".out.old").exists()
    print(f"kills: {outcomes}, a build takes {duration:.1f} s")  # shown with pytest -s
    assert outcomes["previous"] > 0  # the kills did land mid-build


def processes_building(content: Path) -> list[int]:
    """Ids of live processes whose command line names this content folder."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and str(content).encode() in (proc / "cmdline").read_bytes():
                found.append(int(proc.name))
        except OSError:
            continue  # ended while we looked
    return found


@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="needs Linux /proc")
def test_a_killed_build_leaves_no_worker_process_behind(tmp_path: Path) -> None:
    content = write_files(tmp_path / "content", many_articles(200))
    process = start_cli("check", "--content", content)
    # Enough files that Markdown is converted in forked workers: wait until they run.
    assert wait_until(lambda: len(processes_building(content)) > 1)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=60)
    assert wait_until(lambda: not processes_building(content), seconds=10)


def test_leftovers_of_a_killed_build_are_cleared_by_the_next(tmp_path: Path) -> None:
    content, out, _ = built(tmp_path, {"articles/a.md": article("First")})
    write_files(tmp_path / ".out.staging", {"articles/a/index.html": "half written"})
    write_files(tmp_path / ".out.old", {"index.html": "retired"})
    write_files(content, {"articles/a.md": article("Second")})
    assert build(content, out).returncode == 0
    assert "Second" in (out / "articles/a/index.html").read_text()
    assert names(tmp_path) == ["content", "out"]


def test_a_build_killed_between_the_two_renames_of_a_swap_is_recovered(tmp_path: Path) -> None:
    """Where there is no atomic exchange the swap is two renames; between them, no output."""
    content, out, _ = built(
        tmp_path, {"articles/a.md": article("First"), "articles/b.md": article("Beta")}
    )
    css = next((out / "css").iterdir())
    unchanged = css.stat().st_ino
    out.rename(tmp_path / ".out.old")  # killed just after retiring the previous output
    write_files(tmp_path / ".out.staging", {"index.html": "complete, but never swapped in"})
    write_files(content, {"articles/a.md": article("Second")})
    assert build(content, out).returncode == 0
    assert "Second" in (out / "articles/a/index.html").read_text()
    # The retired build was put back first, so its unchanged pages were reused, not rewritten.
    assert (out / "css" / css.name).stat().st_ino == unchanged
    assert names(tmp_path) == ["content", "out"]


def test_without_an_atomic_exchange_the_swap_still_replaces_the_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("stride.output._exchange", lambda first, second: False)
    writer = DiskOutput(tmp_path / "out")
    writer.write([OutputFile("index.html", b"one")])
    writer.write([OutputFile("other.html", b"two")])
    assert read_tree(tmp_path / "out") == {
        MANIFEST: b'{\n"other.html": "' + hashlib.sha256(b"two").hexdigest().encode() + b'"\n}',
        "other.html": b"two",
    }
    assert names(tmp_path) == ["out"]


def test_a_staging_name_taken_by_a_link_is_removed_not_followed(tmp_path: Path) -> None:
    precious = write_files(tmp_path / "precious", {"keep.txt": "mine"})
    content, out, _ = built(tmp_path, {"articles/a.md": article("First")})
    (tmp_path / ".out.staging").symlink_to(precious)
    (tmp_path / ".out.old").write_text("a file where a folder is expected")
    assert build(content, out).returncode == 0
    assert read_tree(precious) == {"keep.txt": b"mine"}
    assert not (tmp_path / ".out.staging").exists() and not (tmp_path / ".out.old").exists()


def test_an_output_path_that_is_a_file_is_refused_and_kept(tmp_path: Path) -> None:
    content = write_files(tmp_path / "content", {"articles/a.md": article()})
    (tmp_path / "out").write_text("not a folder")
    result = build(content, tmp_path / "out")
    assert (result.returncode, result.stderr) == (
        1,
        f"error: {tmp_path / 'out'} is a file, not a folder\n"
        "    hint: choose another --out, or delete the file\n",
    )
    assert (tmp_path / "out").read_text() == "not a folder"


def test_an_output_folder_that_cannot_be_created_is_one_line_of_error(tmp_path: Path) -> None:
    content = write_files(tmp_path / "content", {"articles/a.md": article()})
    (tmp_path / "file").write_text("in the way")
    result = build(content, tmp_path / "file" / "out")
    assert (result.returncode, result.stderr) == (
        1,
        f"error: cannot create {tmp_path / 'file' / 'out'}: {tmp_path / 'file'} is a file, "
        "not a folder\n    hint: choose another --out\n",
    )


def test_a_folder_stride_did_not_write_is_never_replaced(tmp_path: Path) -> None:
    content = write_files(tmp_path / "content", {"articles/a.md": article()})
    documents = write_files(tmp_path / "documents", {"thesis.txt": "years of work"})
    result = build(content, documents)
    assert (result.returncode, result.stderr) == (
        1,
        f"error: {documents} holds files that Stride did not write (it has no {MANIFEST})\n"
        "    hint: the build replaces the whole output folder: choose an empty or new --out\n",
    )
    assert read_tree(documents) == {"thesis.txt": b"years of work"}


def test_an_empty_existing_folder_is_a_fine_output(tmp_path: Path) -> None:
    content = write_files(tmp_path / "content", {"articles/a.md": article()})
    (tmp_path / "out").mkdir()
    assert build(content, tmp_path / "out").returncode == 0
    assert (tmp_path / "out" / "articles/a/index.html").is_file()


@pytest.mark.parametrize(
    ("out", "reason"),
    [
        ("content/site", "it is inside the content folder"),
        ("content", "it is or holds the content folder"),
        (".", "it is or holds the content folder"),
        ("REPO/templates", "it is or holds the templates folder"),
        ("REPO/static/site", "it is inside the static folder"),
        ("REPO", "it is or holds the project folder"),
        ("REPO/..", "it is or holds the project folder"),
    ],
)
def test_an_output_folder_that_holds_or_sits_in_the_sources_is_refused(
    tmp_path: Path, out: str, reason: str
) -> None:
    from tests.helpers import REPO

    content = write_files(tmp_path / "content", {"articles/a.md": article()})
    target = Path(out.replace("REPO", str(REPO))) if "REPO" in out else tmp_path / out
    result = build(content, target)
    assert (result.returncode, result.stderr) == (
        2,
        f"error: refusing to use {target.absolute()} as the output folder: {reason}\n",
    )


def test_unchanged_files_are_hard_linked_and_changed_ones_rewritten(tmp_path: Path) -> None:
    content, out, _ = built(
        tmp_path, {"articles/a.md": article("Alpha"), "articles/b.md": article("Beta")}
    )
    css = next((out / "css").iterdir())
    inodes = {path: (out / path).stat().st_ino for path in ("articles/b/index.html", css)}
    write_files(content, {"articles/a.md": article("Alpha, edited")})
    assert build(content, out).returncode == 0
    assert (out / css).stat().st_ino == inodes[css]  # the very same file, not a copy
    assert "Alpha, edited" in (out / "articles/a/index.html").read_text()


def test_a_hand_edited_output_file_is_rewritten_not_linked(tmp_path: Path) -> None:
    content, out, before = built(tmp_path, {"articles/a.md": article("Alpha")})
    css = next((out / "css").iterdir()).relative_to(out).as_posix()
    (out / css).write_text("edited by hand")
    write_files(content, {"articles/a.md": article("Alpha, edited")})
    assert build(content, out).returncode == 0
    assert (out / css).read_bytes() == before[css]


def test_the_manifest_maps_every_output_file_to_its_sha256_sorted(tmp_path: Path) -> None:
    _, out, files = built(tmp_path, {"articles/a.md": article()})
    text = (out / MANIFEST).read_text()
    manifest = json.loads(text)
    assert list(manifest) == sorted(manifest)
    del files[MANIFEST]
    assert manifest == {path: hashlib.sha256(data).hexdigest() for path, data in files.items()}


def test_a_build_says_what_it_added_changed_and_removed(tmp_path: Path) -> None:
    content, out, _ = built(
        tmp_path, {"articles/a.md": article("Alpha"), "articles/b.md": article("Beta")}
    )
    (content / "articles/b.md").unlink()
    write_files(content, {"articles/c.md": article("Gamma", date="2025-01-01")})
    result = build(content, out)
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    assert "(1 added, 5 changed, 1 removed)" in lines[0], result.stderr
    assert lines[1:] == [
        "  added: articles/c/index.html",
        "  changed: articles/a/index.html, articles/index.html, feed.xml, index.html, sitemap.xml",
        "  removed: articles/b/index.html",
    ]


def test_nothing_is_written_beside_the_output_but_the_output(tmp_path: Path) -> None:
    content = write_files(tmp_path / "content", {"articles/a.md": article()})
    parent = tmp_path / "public"
    build(content, parent / "out")
    write_files(content, {"articles/a.md": article("Edited")})
    build(content, parent / "out")
    assert names(parent) == ["out"]


def test_concurrent_builds_into_one_folder_each_swap_in_a_whole_site(tmp_path: Path) -> None:
    content, out, _ = built(tmp_path, many_articles(60, "v1"))
    processes = [
        start_cli("build", "--no-cache", "--content", content, "--out", out) for _ in range(3)
    ]
    assert [process.wait(timeout=300) for process in processes] == [0, 0, 0]
    manifest = json.loads((out / MANIFEST).read_text())
    assert sorted(read_tree(out)) == sorted([*manifest, MANIFEST])


@pytest.mark.parametrize(
    "path",
    ["../escape.html", "/etc/passwd", "a/../../b", "a\\..\\b", "", ".", "a/./b/..", "a//b", "a\0b"],
)
def test_no_output_path_can_leave_the_output_folder(path: str) -> None:
    with pytest.raises(UnsafePath):
        checked_path(path)


def test_both_writers_refuse_unsafe_paths_and_two_files_at_one_path(tmp_path: Path) -> None:
    unsafe = [OutputFile("../outside.html", b"x")]
    twice = [
        OutputFile("feed.xml", b"a"),
        OutputFile("feed.xml", b"b"),
    ]
    for writer in (MemoryOutput(), DiskOutput(tmp_path / "out")):
        with pytest.raises(UnsafePath):
            writer.write(unsafe)
        with pytest.raises(OutputError, match=r"two outputs would be written to feed\.xml"):
            writer.write(twice)
    assert list(tmp_path.iterdir()) == []
    assert not (tmp_path.parent / "outside.html").exists()


def test_a_static_file_at_a_page_path_is_reported_by_check_and_build(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    write_files(project / "static", {"feed.xml": "<rss/>", "articles/a/index.html": "hi"})
    content = write_files(project / "content", {"articles/a.md": article()})
    hint = "    hint: rename or move the file in static/, or the page would be overwritten"
    expected = (
        "static/articles/a/index.html:1:1: 'articles/a/index.html' is also the path of a page "
        f"the build makes\n{hint}\n"
        f"static/feed.xml:1:1: 'feed.xml' is also the path of a page the build makes\n{hint}\n"
        "2 errors: the build was not written.\n"
    )
    for command in ("check", "build"):
        result = run_cli(command, "--no-cache", "--content", content, project=project)
        assert (result.returncode, result.stderr) == (1, expected)
    assert not (project / "site").exists()


def test_an_output_folder_given_as_a_symlink_is_swapped_where_it_points(tmp_path: Path) -> None:
    content = write_files(tmp_path / "content", {"articles/a.md": article()})
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to("real")
    assert build(content, tmp_path / "link").returncode == 0
    assert (tmp_path / "link").is_symlink()
    assert (tmp_path / "real" / "articles/a/index.html").is_file()


def test_the_writer_takes_no_lock_file_and_leaves_only_the_output(tmp_path: Path) -> None:
    writer = DiskOutput(tmp_path / "out")
    writer.write([OutputFile("index.html", b"<p>hi</p>")])
    writer.write([OutputFile("index.html", b"<p>again</p>")])
    assert names(tmp_path) == ["out"]
    assert read_tree(tmp_path / "out")["index.html"] == b"<p>again</p>"
