"""No input can hang a build or exhaust memory: alias bombs, huge files, pathological Markdown.

CPU time and memory are measured (not wall time, which a busy machine inflates), with bounds far
above what a healthy run takes, so the tests fail on a runaway rather than on a slow machine.
"""

from __future__ import annotations

import gc
import io
import os
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import pytest

from stride import limits
from stride.sources import _read_capped
from tests.helpers import REPO, article, build_errors, build_in_memory, write_files

HEAD = "---\ntitle: A\ndate: 2025-01-31\nsummary: S\n"


def alias_bomb(levels: int = 12) -> str:
    """The 'billion laughs': each level refers to the one below nine times; 9**12 when expanded."""
    lines = ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, levels):
        lines.append(f"l{level}: &l{level} [" + ", ".join([f"*l{level - 1}"] * 9) + "]")
    return "\n".join(lines)


def test_a_yaml_alias_bomb_is_never_expanded(tmp_path: Path) -> None:
    bomb = alias_bomb().replace("l11: &l11", "tags: &l11")  # the last level is a real field
    content = write_files(tmp_path / "content", {"articles/a.md": HEAD + bomb + "\n---\n"})
    tracemalloc.start()
    started = time.process_time()
    report = build_errors(content)
    seconds = time.process_time() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert seconds < 10 and peak < 50 * 1024 * 1024  # expanded, it would never finish
    lines = report.splitlines()
    assert lines[0] == "articles/a.md:5:1: unknown key 'l0'"
    # The aliased list is reported once, where it is defined (composed nodes keep no alias
    # positions), however many times it is used.
    assert lines[-3:] == [
        "articles/a.md:15:6: each item of 'tags' must be a single value, not a list",
        "    hint: write 'tags: [first, second]'",
        "12 errors: the build was not written.",
    ]


def test_aliases_of_plain_values_are_fine(tmp_path: Path) -> None:
    text = "---\ntitle: &t Same words\ndate: 2025-01-31\nsummary: *t\ntags: [*t]\n---\n"
    site = build_in_memory(write_files(tmp_path / "content", {"articles/a.md": text}))
    assert "tags/same-words/index.html" in site.files


def test_deep_nesting_in_front_matter_is_an_error_not_a_crash(tmp_path: Path) -> None:
    deep = HEAD + "tags: " + "[" * 5000 + "]" * 5000 + "\n---\n"
    content = write_files(tmp_path / "content", {"articles/a.md": deep})
    assert build_errors(content) == (
        "articles/a.md:5:1006: invalid YAML in front matter: exceeded maximum nesting depth\n"
        "    hint: nest lists and mappings less deeply\n"
        "1 error: the build was not written."
    )


def test_front_matter_over_64_kib_is_refused(tmp_path: Path) -> None:
    big = HEAD + "".join(f"# filler line {n}\n" for n in range(5000)) + "---\n"
    content = write_files(tmp_path / "content", {"articles/a.md": big})
    assert build_errors(content) == (
        "articles/a.md:1:1: front matter is too large\n"
        "    hint: keep it under 64 KiB\n"
        "1 error: the build was not written."
    )


def test_a_file_over_the_size_limit_is_refused_without_being_read(tmp_path: Path) -> None:
    content = write_files(tmp_path / "content", {"articles/a.md": article()})
    with (content / "articles" / "huge.md").open("wb") as huge:
        huge.truncate(10 * 1024**3)  # 10 GiB, sparse: reading it would exhaust memory
    tracemalloc.start()
    report = build_errors(content)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 50 * 1024 * 1024
    assert report == (
        "articles/huge.md:1:1: file is too large (10485760 KiB; the limit is 256 KiB)\n"
        "    hint: split it into several pages\n"
        "1 error: the build was not written."
    )


def test_a_long_article_just_under_the_limit_builds(tmp_path: Path) -> None:
    paragraph = "Runners who lift get *stronger*, see [the guide](/articles/).\n\n"
    sections = []
    while sum(map(len, sections)) < limits.MAX_FILE_BYTES - 4096:
        sections.append(f"## Part {len(sections)}\n\n" + paragraph * 8)
    content = write_files(tmp_path / "content", {"articles/a.md": article(body="".join(sections))})
    started = time.process_time()  # CPU time, as the deadline counts it
    site = build_in_memory(content)
    assert time.process_time() - started < limits.CONVERT_SECONDS / 2
    assert "Part 1" in site.text("articles/a/index.html")


@pytest.fixture
def one_second_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    """The real deadline is 10 s; a shorter one keeps these tests fast by the same mechanism."""
    monkeypatch.setattr(limits, "CONVERT_SECONDS", 1.0)
    monkeypatch.setattr("stride.markdown.CONVERT_SECONDS", 1.0)


SLOW_BODIES = {
    "unmatched brackets": "[" * 40_000,
    "unmatched link openers": "<a\n" * 40_000,
    # The table processor splits what is left of the block at every heading (a body without
    # any '|' skips that processor, and is fast).
    "ten thousand headings in a body with a table bar": "## Same\n" * 10_000 + "a | b\n",
}


@pytest.mark.parametrize("body", SLOW_BODIES.values(), ids=SLOW_BODIES.keys())
@pytest.mark.usefixtures("one_second_deadline")
def test_markdown_that_would_take_minutes_is_stopped_at_the_deadline(
    tmp_path: Path, body: str
) -> None:
    content = write_files(tmp_path / "content", {"articles/slow.md": article(body=body)})
    started = time.process_time()
    report = build_errors(content)
    assert time.process_time() - started < 5
    assert report == (
        "articles/slow.md:1:1: the Markdown takes over 1 s to convert\n"
        "    hint: split the page; thousands of '[', '<' or headings in one page are very slow "
        "to parse\n"
        "1 error: the build was not written."
    )


def test_the_deadline_holds_when_its_signal_lands_in_a_collector_callback() -> None:
    # An exception raised in a gc callback is printed and dropped: the first expiry is lost
    # there, and the deadline must fire again.
    swallowed: list[bool] = []

    def callback(phase: str, info: dict[str, int]) -> None:
        if phase == "start" and not swallowed:
            swallowed.append(True)
            try:
                spin = time.process_time()
                while time.process_time() - spin < 1.0:  # the deadline expires in here
                    pass
            except limits.TooSlow:
                pass  # what Python would do with it, without the warning

    gc.callbacks.append(callback)
    started = time.process_time()
    try:
        with pytest.raises(limits.TooSlow), limits.deadline(0.2):
            while time.process_time() - started < 5:
                [[] for _ in range(1000)]  # garbage, so that the collector runs
    finally:
        gc.callbacks.remove(callback)
    assert swallowed
    assert time.process_time() - started < 2


@pytest.mark.usefixtures("one_second_deadline")
def test_the_deadline_holds_when_bodies_are_converted_in_worker_processes(
    tmp_path: Path,
) -> None:
    files = {f"articles/fine-{n}.md": article(f"Fine {n}") for n in range(40)}
    files["articles/slow.md"] = article(body="[" * 40_000)
    report = build_errors(write_files(tmp_path / "content", files))
    assert report.startswith("articles/slow.md:1:1: the Markdown takes over 1 s to convert\n")


@pytest.mark.usefixtures("one_second_deadline")
def test_a_body_too_slow_to_convert_is_reported_with_the_other_errors(tmp_path: Path) -> None:
    files = {"articles/slow.md": article(body="[" * 40_000), "articles/bad.md": article(date="x")}
    assert build_errors(write_files(tmp_path / "content", files)) == (
        "articles/bad.md:3:7: 'date' must be a date written YYYY-MM-DD, not 'x'\n"
        "    hint: write e.g. 'date: 2025-01-31'\n"
        "articles/slow.md:1:1: the Markdown takes over 1 s to convert\n"
        "    hint: split the page; thousands of '[', '<' or headings in one page are very slow "
        "to parse\n"
        "2 errors: the build was not written."
    )


def test_deeply_nested_markdown_is_an_error_not_a_crash(tmp_path: Path) -> None:
    # The abbreviation makes Python-Markdown walk the nested tree recursively (without one,
    # Stride leaves that walk out and the body converts).
    body = "*" * 5_000 + "x" + "*" * 5_000 + "\n\n*[x]: An abbreviation"
    content = write_files(tmp_path / "content", {"articles/a.md": article(body=body)})
    assert build_errors(content) == (
        "articles/a.md:1:1: the Markdown nests too deeply to convert\n"
        "    hint: nest emphasis, quotes and lists a few levels deep at most\n"
        "1 error: the build was not written."
    )


@pytest.mark.slow
def test_the_real_deadline_bounds_a_whole_build_in_time_and_memory(tmp_path: Path) -> None:
    body = "[" * (limits.MAX_FILE_BYTES - 200)  # hours of work without the deadline
    content = write_files(tmp_path / "content", {"articles/a.md": article(body=body)})
    # wait4 gives this build's own usage; RUSAGE_CHILDREN would include every earlier child of
    # the test process (a browser or the HTML checker can peak far higher).
    process = subprocess.Popen(
        [sys.executable, str(REPO / "build.py"), "check", "--content", str(content)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    assert process.stderr is not None
    stderr = process.stderr.read().decode()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    assert process.returncode == 1
    assert "the Markdown takes over 10 s to convert" in stderr
    # CPU time, which a busy machine does not inflate: the deadline plus start-up and checks.
    cpu_seconds = usage.ru_utime + usage.ru_stime
    assert limits.CONVERT_SECONDS <= cpu_seconds < limits.CONVERT_SECONDS + 5
    assert usage.ru_maxrss < 300 * 1024  # KiB: the largest process of this build


@pytest.mark.parametrize(
    ("size_now", "size_at_status"),
    [(10, 10), (10, 4), (10, 50), (limits.MAX_FILE_BYTES + 100, 10), (limits.MAX_FILE_BYTES, 0)],
)
def test_a_file_is_read_whole_up_to_one_byte_past_the_limit_whatever_its_status_said(
    size_now: int, size_at_status: int
) -> None:
    # The status may be stale: the file can grow or shrink between the walk and the read.
    data = bytes(range(256)) * (size_now // 256 + 1)
    read = _read_capped(io.BytesIO(data[:size_now]), size_at_status)
    assert read == data[: min(size_now, limits.MAX_FILE_BYTES + 1)]
