"""The command line as editors and CI use it: commands, exit codes and what gets written."""

from __future__ import annotations

import filecmp
from pathlib import Path

from tests.helpers import article, run_cli, write_files


def tree(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def test_build_with_and_without_the_command_name_writes_the_same_site(tmp_path: Path) -> None:
    content = write_files(tmp_path / "content", {"articles/a.md": article("Hello")})
    plain = run_cli("--content", content, "--out", tmp_path / "one")
    named = run_cli("build", "--content", content, "--out", tmp_path / "two")
    assert (plain.returncode, named.returncode) == (0, 0), plain.stderr + named.stderr
    assert tree(tmp_path / "one") == tree(tmp_path / "two")
    assert "articles/a/index.html" in tree(tmp_path / "one")


def test_shipped_site_builds_twice_byte_identical(tmp_path: Path) -> None:
    first = run_cli("--out", tmp_path / "first")
    second = run_cli("--out", tmp_path / "second")
    assert first.returncode == second.returncode == 0, first.stderr
    comparison = filecmp.dircmp(tmp_path / "first", tmp_path / "second")
    assert tree(tmp_path / "first") == tree(tmp_path / "second"), comparison.diff_files


def test_content_errors_exit_1_with_locations_and_no_traceback(tmp_path: Path) -> None:
    content = write_files(
        tmp_path / "content",
        {
            "articles/a.md": article(extra="colour: blue"),
            "articles/b.md": "---\ntitle: B\n---\n",
        },
    )
    result = run_cli("--content", content, "--out", tmp_path / "out")
    assert result.returncode == 1
    assert "articles/a.md:5:1: unknown key 'colour'" in result.stderr
    assert "articles/b.md:" in result.stderr and "missing required key 'date'" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


def test_bad_usage_exits_2(tmp_path: Path) -> None:
    assert run_cli("publish").returncode == 2
    assert run_cli("build", "--no-such-option").returncode == 2
    missing = run_cli("--content", tmp_path / "nowhere", "--out", tmp_path / "out")
    assert missing.returncode == 2 and "does not exist" in missing.stderr


def test_check_validates_and_writes_nothing(tmp_path: Path) -> None:
    good = write_files(tmp_path / "good", {"articles/a.md": article()})
    result = run_cli("check", "--content", good, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["good"]
    bad = write_files(tmp_path / "bad", {"articles/a.md": article(body="[x](missing.md)")})
    failed = run_cli("check", "--content", bad)
    assert failed.returncode == 1 and "points to no content file" in failed.stderr


def test_new_writes_a_complete_file_that_builds_and_never_overwrites(tmp_path: Path) -> None:
    content = tmp_path / "content"
    for kind, title in [
        ("article", "My Run"),
        ("exercise", "Box Jumps"),
        ("recipe", "Oat Bars"),
        ("athlete", "Sam Swift"),
    ]:
        made = run_cli("new", kind, title, "--content", content)
        assert made.returncode == 0, made.stderr
    written = sorted(str(p.relative_to(content)) for p in content.rglob("*.md"))
    assert written == [
        "articles/my-run.md",
        "athletes/sam-swift.md",
        "exercises/box-jumps.md",
        "recipes/oat-bars.md",
    ]
    built = run_cli("--content", content, "--out", tmp_path / "out", "--drafts")
    assert built.returncode == 0, built.stderr
    assert (tmp_path / "out/exercises/box-jumps/index.html").exists()
    before = (content / "articles/my-run.md").read_bytes()
    again = run_cli("new", "article", "My Run", "--content", content)
    assert again.returncode == 1 and "already exists" in again.stderr
    assert (content / "articles/my-run.md").read_bytes() == before


def test_new_rejects_an_unknown_type_with_a_suggestion(tmp_path: Path) -> None:
    result = run_cli("new", "excercise", "Box Jumps", "--content", tmp_path)
    assert result.returncode == 2
    assert "did you mean 'exercise'?" in result.stderr
