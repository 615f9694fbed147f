"""Every content mistake is reported precisely: `path:line:column: message`, a hint, exit 1.

Each test writes a tiny site with one kind of mistake and checks the exact report a user sees.
Line numbers are the file's own lines: front matter starts on line 2, after the opening '---'.
"""

from __future__ import annotations

import json
import os
import signal
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from stride import sources
from tests.helpers import (
    article,
    build_errors,
    build_in_memory,
    copy_project,
    free_port,
    run_cli,
    start_cli,
    wait_until,
    write_files,
)


def report(tmp_path: Path, files: dict[str, str]) -> str:
    """The report of a build of these files, without the closing count line."""
    text = build_errors(write_files(tmp_path / "content", files))
    return text.rsplit("\n", 1)[0]


# --- The front-matter block ---------------------------------------------------------------


def test_yaml_syntax_error_is_located_on_the_file_line_and_column(tmp_path: Path) -> None:
    files = {"articles/a.md": "---\ntitle: A\ndate: 2025-01-31\nsummary: Ratio: 50:50\n---\nx\n"}
    assert report(tmp_path, files) == (
        "articles/a.md:4:15: invalid YAML in front matter: "
        "mapping values are not allowed in this context\n"
        "    hint: check quoting: values containing ': ' or starting with [ { * & ! need quotes"
    )


def test_yaml_error_lines_stay_file_lines_with_windows_line_endings_and_a_bom(
    tmp_path: Path,
) -> None:
    text = "\ufeff---\r\ntitle: A\r\ndate: 2025-01-31\r\nsummary: [unclosed\r\n---\r\nx\r\n"
    folder = tmp_path / "content" / "articles"
    folder.mkdir(parents=True)
    (folder / "a.md").write_bytes(text.encode("utf-8"))
    assert build_errors(tmp_path / "content").startswith("articles/a.md:5:1: invalid YAML")


def test_tabs_in_front_matter_get_a_hint_about_indentation(tmp_path: Path) -> None:
    files = {"articles/a.md": "---\ntitle: A\ndate: 2025-01-31\nsummary: S\ntags:\n\t- x\n---\n"}
    assert report(tmp_path, files) == (
        "articles/a.md:6:1: invalid YAML in front matter: "
        "found character that cannot start any token (a tab)\n"
        "    hint: indent with spaces, not tabs"
    )


def test_front_matter_that_is_a_list_is_not_a_mapping(tmp_path: Path) -> None:
    assert report(tmp_path, {"articles/a.md": "---\n- title\n- date\n---\nx\n"}) == (
        "articles/a.md:2:1: front matter must be a mapping of 'key: value' lines\n"
        "    hint: write one 'key: value' per line"
    )


def test_front_matter_that_is_a_bare_word_is_not_a_mapping(tmp_path: Path) -> None:
    assert report(tmp_path, {"articles/a.md": "---\njust words\n---\nx\n"}) == (
        "articles/a.md:2:1: front matter must be a mapping of 'key: value' lines\n"
        "    hint: write one 'key: value' per line"
    )


def test_a_file_without_the_opening_fence(tmp_path: Path) -> None:
    assert report(tmp_path, {"articles/a.md": "title: A\ndate: 2025-01-31\n"}) == (
        "articles/a.md:1:1: file does not start with front matter\n"
        "    hint: make the first line '---', then the fields, then another '---'"
    )


def test_a_file_without_the_closing_fence(tmp_path: Path) -> None:
    assert report(tmp_path, {"articles/a.md": "---\ntitle: A\ndate: 2025-01-31\n"}) == (
        "articles/a.md:1:1: front matter is not closed\n"
        "    hint: add a line '---' after the last front-matter field"
    )


def test_empty_front_matter(tmp_path: Path) -> None:
    assert report(tmp_path, {"articles/a.md": "---\n---\nx\n"}) == (
        "articles/a.md:1:1: front matter is empty\n    hint: add at least title, date and summary"
    )


def test_a_control_character_in_front_matter_is_located(tmp_path: Path) -> None:
    files = {"articles/a.md": "---\ntitle: Bell\x07\ndate: 2025-01-31\nsummary: S\n---\n"}
    assert report(tmp_path, files) == (
        "articles/a.md:2:12: front matter holds an invisible control character (#x0007)\n"
        "    hint: delete it; it often comes from copying text out of a PDF or a word processor"
    )


# --- Fields against the schema ------------------------------------------------------------


def test_every_missing_required_field_is_listed_with_an_example(tmp_path: Path) -> None:
    assert report(tmp_path, {"articles/a.md": "---\ndate: 2025-01-31\n---\nx\n"}) == (
        "articles/a.md:2:1: missing required key 'summary' "
        "(one or two sentences for lists, feeds and search)\n"
        "    hint: add a line such as: summary: What it is about.\n"
        "articles/a.md:2:1: missing required key 'title' (the page title, shown as its heading)\n"
        "    hint: add a line such as: title: A clear title"
    )


def test_wrong_types_are_reported_at_the_value(tmp_path: Path) -> None:
    files = {
        "articles/a.md": article(extra="draft: maybe\ntags: running\nfeatured: [yes]"),
        "recipes/r.md": (
            "---\ntitle: R\ndate: 2025-01-31\nsummary: S\ncategory: Drink\nyield: 1 glass\n"
            "servings: two\nprep_time: 5.5\ningredients: [{quantity: 1, item: lime}]\n"
            "steps: [{text: Mix.}]\n---\n"
        ),
    }
    assert report(tmp_path, files) == (
        "articles/a.md:5:8: 'draft' must be true or false, not 'maybe'\n"
        "    hint: write 'draft: true' or 'draft: false'\n"
        "articles/a.md:6:7: 'tags' must be a list\n"
        "    hint: write 'tags: [first, second]' or one '- item' per line\n"
        "articles/a.md:7:11: 'featured' must be a single value, not a list\n"
        "    hint: write 'featured: value' on one line\n"
        "recipes/r.md:7:11: 'servings' must be a whole number, not 'two'\n"
        "    hint: write e.g. 'servings: 5'\n"
        "recipes/r.md:8:12: 'prep_time' must be a whole number, not '5.5'\n"
        "    hint: write e.g. 'prep_time: 5'"
    )


def test_impossible_and_misformatted_dates(tmp_path: Path) -> None:
    files = {
        "articles/a.md": article(date="2025-02-30"),
        "articles/b.md": article(date="31/01/2025"),
        "articles/c.md": article(extra="updated: 2025-13-01"),
    }
    assert report(tmp_path, files) == (
        "articles/a.md:3:7: 'date' is an impossible date '2025-02-30' "
        "(day is out of range for month)\n"
        "    hint: check the month and day\n"
        "articles/b.md:3:7: 'date' must be a date written YYYY-MM-DD, not '31/01/2025'\n"
        "    hint: write e.g. 'date: 2025-01-31'\n"
        "articles/c.md:5:10: 'updated' is an impossible date '2025-13-01' "
        "(month must be in 1..12)\n"
        "    hint: check the month and day"
    )


def test_a_value_outside_the_allowed_set_suggests_the_closest(tmp_path: Path) -> None:
    exercise = (
        "---\ntitle: Squat\ndate: 2025-01-31\nsummary: S\ncategory: lower body\n"
        "level: beginer\nequipment: [none]\nmuscles: [glutes]\nprescription: 3 x 10\n"
        "steps: [Stand.]\ncues: [Brace.]\n---\n"
    )
    assert report(tmp_path, {"exercises/squat.md": exercise}) == (
        "exercises/squat.md:6:8: 'level' has value 'beginer', which is not allowed\n"
        "    hint: did you mean 'beginner'?"
    )


def test_an_unknown_key_gets_a_did_you_mean_hint(tmp_path: Path) -> None:
    files = {"articles/a.md": article(extra="sumary: twice\ncolour: blue")}
    assert report(tmp_path, files) == (
        "articles/a.md:5:1: unknown key 'sumary'\n"
        "    hint: did you mean 'summary'?\n"
        "articles/a.md:6:1: unknown key 'colour'\n"
        "    hint: allowed: author, date, draft, featured, image, image_alt, slug, summary, "
        "tags, title, updated"
    )


def test_a_line_break_in_a_quoted_key_is_shown_escaped_on_one_line(tmp_path: Path) -> None:
    assert report(tmp_path, {"articles/a.md": article(extra='"tit\\nle\\t": x')}) == (
        "articles/a.md:5:1: unknown key 'tit\\nle\\t'\n    hint: did you mean 'title'?"
    )


def test_a_duplicate_key_is_reported_at_its_second_line(tmp_path: Path) -> None:
    assert report(tmp_path, {"articles/a.md": article(extra="title: Again")}) == (
        "articles/a.md:5:1: duplicate key 'title'\n    hint: keep only one of them"
    )


def test_a_list_or_mapping_as_a_key_is_refused(tmp_path: Path) -> None:
    assert report(tmp_path, {"articles/a.md": article(extra="? [a, b]\n: c")}) == (
        "articles/a.md:5:3: a key must be a plain name, not a list or mapping\n"
        "    hint: write 'key: value'"
    )


# --- URLs: collisions, slugs and tags -----------------------------------------------------


def test_two_entries_with_one_url_name_both_files(tmp_path: Path) -> None:
    files = {
        "articles/first.md": article(extra="slug: same"),
        "articles/second.md": article(extra="slug: same"),
    }
    assert report(tmp_path, files) == (
        "articles/second.md:5:1: /articles/same/ is also the URL of articles/first.md\n"
        "    hint: rename one file or give one of them a different 'slug'"
    )


def test_a_file_name_and_a_slug_that_collide(tmp_path: Path) -> None:
    files = {"articles/same.md": article(), "articles/other.md": article(extra="slug: same")}
    assert report(tmp_path, files) == (
        "articles/same.md:1:1: /articles/same/ is also the URL of articles/other.md\n"
        "    hint: rename one file or give one of them a different 'slug'"
    )


@pytest.mark.parametrize(
    ("slug", "suggestion"),
    [
        ("../../etc", "etc"),
        ("a/b", "a-b"),
        ("a\\\\b", "a-b"),
        ("..", "my-page"),
        ("Big Day", "big-day"),
    ],
)
def test_a_slug_that_is_not_a_url_name_is_refused(
    tmp_path: Path, slug: str, suggestion: str
) -> None:
    shown = slug.replace("\\\\", "\\")
    files = {"articles/a.md": article(extra=f'slug: "{slug}"')}
    assert report(tmp_path, files) == (
        f"articles/a.md:5:1: slug '{shown}' is not a valid URL name\n"
        f"    hint: use lowercase letters, digits and hyphens, e.g. slug: {suggestion}"
    )


def test_a_file_name_that_leaves_nothing_for_the_url(tmp_path: Path) -> None:
    assert report(tmp_path, {"articles/---.md": article(), "articles/☃.md": article()}) == (
        "articles/---.md:1:1: file name '---' leaves nothing to use as a URL name\n"
        "    hint: rename the file with letters or digits, or add a 'slug' field\n"
        "articles/☃.md:1:1: file name '☃' leaves nothing to use as a URL name\n"
        "    hint: rename the file with letters or digits, or add a 'slug' field"
    )


def test_names_too_long_for_a_folder_on_disk_are_refused(tmp_path: Path) -> None:
    long = "a-" * 120 + "z"  # 241 characters: valid, but too long for a folder name
    files = {
        "articles/a.md": article(extra=f"slug: {long}"),
        f"articles/{long}.md": article(),
        "articles/b.md": article(extra=f"tags: [{long.replace('-', ' ')}]"),
    }
    assert report(tmp_path, files) == (
        f"articles/{long}.md:1:1: file name '{long[:40]}...' is too long for a URL name"
        " (over 200)\n"
        "    hint: rename the file with a shorter name, or add a shorter 'slug' field\n"
        "articles/a.md:5:1: slug is 241 characters long; the limit is 200\n"
        "    hint: shorten the slug\n"
        f"articles/b.md:5:8: tag '{long.replace('-', ' ')[:40]}...' is too long for a URL name\n"
        "    hint: use words, digits and spaces, e.g. tags: [strength]"
    )


def test_tags_with_separators_or_nothing_left_are_located_at_the_tag(tmp_path: Path) -> None:
    tags = "tags:\n  - a/b\n  - '..'\n  - ok\n  - '!!!'\n  - 'x\\y'"
    hint = "\n    hint: use words, digits and spaces, e.g. tags: [strength]"
    assert report(tmp_path, {"articles/a.md": article(extra=tags)}) == (
        "articles/a.md:6:5: tag 'a/b' holds '/', '\\' or '..', which cannot be in a URL"
        + hint
        + "\narticles/a.md:7:5: tag '..' holds '/', '\\' or '..', which cannot be in a URL"
        + hint
        + "\narticles/a.md:9:5: tag '!!!' leaves nothing to use as a URL name"
        + hint
        + "\narticles/a.md:10:5: tag 'x\\y' holds '/', '\\' or '..', which cannot be in a URL"
        + hint
    )


def test_an_empty_or_nested_tag_is_refused(tmp_path: Path) -> None:
    assert report(tmp_path, {"articles/a.md": article(extra="tags: [ok, '', [x]]")}) == (
        "articles/a.md:5:12: 'tags' has an empty item\n"
        "    hint: write a value in it, or remove it\n"
        "articles/a.md:5:16: each item of 'tags' must be a single value, not a list\n"
        "    hint: write 'tags: [first, second]'"
    )


# --- Links between content ----------------------------------------------------------------


def test_links_that_resolve_to_nothing_name_the_file_and_the_link(tmp_path: Path) -> None:
    body = (
        "Intro.\n\n"
        "See [a page](/nowhere/), [a file](missing.md) and [an anchor](b.md#nope).\n\n"
        "[Here](#gone), [relative](other/page) and [up](../exercises/none.md).\n"
    )
    files = {"articles/a.md": article(body=body), "articles/b.md": article("B")}
    assert report(tmp_path, files) == (
        "articles/a.md:8:14: link '/nowhere/' points to no page of the site\n"
        "    hint: check the path; pages end with '/', e.g. /exercises/squats/\n"
        "articles/a.md:8:35: link 'missing.md' points to no content file\n"
        "    hint: check the file name; links are relative to this file's folder\n"
        "articles/a.md:8:63: link 'b.md#nope' points to a missing anchor '#nope'\n"
        "    hint: anchors on that page: main\n"
        "articles/a.md:10:8: link '#gone' points to a missing anchor '#gone'\n"
        "    hint: anchors on that page: main\n"
        "articles/a.md:10:27: link 'other/page' is relative to the page URL, which is fragile\n"
        "    hint: link to the content file (e.g. ../exercises/squats.md) "
        "or to a path starting with '/'\n"
        "articles/a.md:10:48: link '../exercises/none.md' points to no content file\n"
        "    hint: check the file name; links are relative to this file's folder"
    )


def test_a_link_to_a_draft_says_so(tmp_path: Path) -> None:
    files = {
        "articles/a.md": article(body="See [it](b.md)."),
        "articles/b.md": article("B", extra="draft: true"),
    }
    assert report(tmp_path, files) == (
        "articles/a.md:6:10: link 'b.md' points to a draft or future entry\n"
        "    hint: publish that entry first, or remove the link"
    )


def test_links_that_resolve_build(tmp_path: Path) -> None:
    body = "## Part one\n\nSee [b](b.md), [b's part](b.md#part-two), [here](#part-one), [/](/).\n"
    files = {"articles/a.md": article(body=body), "articles/b.md": article(body="## Part two\n")}
    html = build_in_memory(write_files(tmp_path / "content", files)).text("articles/a/index.html")
    assert 'href="/articles/b/#part-two"' in html and 'href="#part-one"' in html


# --- Files that are not Markdown text -----------------------------------------------------


def write_bytes(tmp_path: Path, files: dict[str, bytes]) -> Path:
    content = tmp_path / "content"
    for relative, data in files.items():
        (content / relative).parent.mkdir(parents=True, exist_ok=True)
        (content / relative).write_bytes(data)
    return content


def test_files_that_are_not_utf8_binary_or_empty(tmp_path: Path) -> None:
    content = write_bytes(
        tmp_path,
        {
            "articles/latin1.md": "---\ntitle: Café\n".encode("latin-1"),
            "articles/image.md": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
            "articles/empty.md": b"",
            "articles/blank.md": b" \n\n\t\n",
        },
    )
    assert build_errors(content) == (
        "articles/blank.md:1:1: file is empty\n"
        "    hint: start it with front matter between '---' lines, or delete it\n"
        "articles/empty.md:1:1: file is empty\n"
        "    hint: start it with front matter between '---' lines, or delete it\n"
        "articles/image.md:1:1: file is binary, not Markdown text\n"
        "    hint: content/ holds Markdown text files only\n"
        "articles/latin1.md:2:11: file is not UTF-8 (byte 0xe9)\n"
        "    hint: save the file as UTF-8 in your editor\n"
        "4 errors: the build was not written."
    )


def test_other_files_and_folders_in_content(tmp_path: Path) -> None:
    content = write_bytes(
        tmp_path,
        {
            "articles/photo.jpg": b"\xff\xd8",
            "notes.md": article().encode(),
            "article/a.md": article().encode(),
            "articles/.hidden.md": b"\x00",
            "articles/draft.md~": b"\x00",
            "articles/#draft.md#": b"\x00",
        },
    )
    assert build_errors(content) == (
        "article/a.md:1:1: file is not in a content type's folder\n"
        "    hint: unknown folder 'article': did you mean 'articles'?\n"
        "articles/photo.jpg:1:1: not a Markdown file\n"
        "    hint: content/ holds .md files only; put images in static/\n"
        "notes.md:1:1: file is not in a content type's folder\n"
        "    hint: put it in one of: content/articles/, content/exercises/, content/recipes/, "
        "content/athletes/\n"
        "3 errors: the build was not written."
    )


def test_file_names_that_cannot_be_printed_are_refused(tmp_path: Path) -> None:
    content = tmp_path / "content"
    (content / "articles").mkdir(parents=True)
    (content / "articles" / "new\nline.md").write_text(article())
    # Path cannot spell an undecodable name; the OS-level call can.
    latin1_name = os.open(
        os.fsencode(content / "articles") + b"/caf\xe9.md", os.O_CREAT | os.O_WRONLY
    )
    os.close(latin1_name)
    assert build_errors(content) == (
        "articles/caf\ufffd.md:1:1: file name is not UTF-8\n"
        "    hint: rename the file\n"
        "articles/new?line.md:1:1: file name holds a control character\n"
        "    hint: rename the file\n"
        "2 errors: the build was not written."
    )


def test_a_fifo_is_refused_without_blocking_the_build(tmp_path: Path) -> None:
    content = write_files(tmp_path / "content", {"articles/a.md": article()})
    os.mkfifo(content / "articles" / "pipe.md")
    assert build_errors(content) == (
        "articles/pipe.md:1:1: not a regular file (a pipe, socket or device)\n"
        "    hint: content/ holds ordinary files only\n"
        "1 error: the build was not written."
    )


# --- Symlinks -----------------------------------------------------------------------------


def test_symlinks_out_of_the_content_folder_are_refused_and_never_published(
    tmp_path: Path,
) -> None:
    outside = write_files(tmp_path / "outside", {"secret.md": article("Secret")})
    content = write_files(tmp_path / "content", {"articles/a.md": article()})
    (content / "articles" / "linked.md").symlink_to(outside / "secret.md")
    (content / "recipes").symlink_to(outside)
    (content / "exercises").mkdir()
    (content / "exercises" / "up.md").symlink_to("../../outside/secret.md")
    hint = "\n    hint: copy the file into content/ instead of linking to it"
    assert build_errors(content) == (
        "articles/linked.md:1:1: symlink points outside the content folder"
        + hint
        + "\nexercises/up.md:1:1: symlink points outside the content folder"
        + hint
        + "\nrecipes:1:1: symlink points outside the content folder"
        + hint
        + "\n3 errors: the build was not written."
    )
    result = run_cli("--no-cache", "--content", content, "--out", tmp_path / "out")
    assert result.returncode == 1
    assert not (tmp_path / "out").exists()


def test_symlinks_within_the_content_folder_are_followed(tmp_path: Path) -> None:
    content = write_files(tmp_path / "content", {".shared/b.md": article("Shared")})
    (content / "articles").mkdir()
    (content / "articles" / "b.md").symlink_to("../.shared/b.md")
    site = build_in_memory(content)
    assert "Shared" in site.text("articles/b/index.html")


def test_broken_and_looping_symlinks_are_reported(tmp_path: Path) -> None:
    content = write_files(tmp_path / "content", {"articles/a.md": article()})
    (content / "articles" / "gone.md").symlink_to("nowhere.md")
    (content / "articles" / "loop.md").symlink_to("loop.md")
    hint = "\n    hint: point the link at an existing file inside content/, or delete it"
    assert build_errors(content) == (
        "articles/gone.md:1:1: broken symlink: No such file or directory"
        + hint
        + "\narticles/loop.md:1:1: broken symlink: Too many levels of symbolic links"
        + hint
        + "\n2 errors: the build was not written."
    )


# --- Reading files that misbehave ---------------------------------------------------------


def test_an_unreadable_file_is_reported_not_raised(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    content = write_files(tmp_path / "content", {"articles/a.md": article()})

    # Tests run as root, whom file permissions do not stop: refuse the read itself.
    def refuse(file: str, *args: Any, **kwargs: Any) -> Any:
        if Path(file).name == "a.md":
            raise PermissionError(13, "Permission denied", file)
        return open(file, *args, **kwargs)  # noqa: PTH123

    monkeypatch.setattr(sources, "open", refuse, raising=False)
    assert build_errors(content) == (
        "articles/a.md:1:1: file cannot be read: Permission denied\n"
        "    hint: check that it still exists and that you may read it\n"
        "1 error: the build was not written."
    )


def test_a_file_that_disappears_during_the_walk_is_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    content = write_files(tmp_path / "content", {"articles/a.md": article()})
    real_walk = os.walk

    def walk_then_delete(top: object, **kwargs: object) -> object:
        for folder, dirnames, filenames in real_walk(top, **kwargs):  # type: ignore[call-overload]
            if Path(folder) == content / "articles":  # never touch any other folder
                (content / "articles" / "a.md").unlink()  # gone after it was listed, not yet read
            yield folder, dirnames, filenames

    monkeypatch.setattr(os, "walk", walk_then_delete)
    assert build_errors(content) == (
        "articles/a.md:1:1: file cannot be read: No such file or directory\n"
        "    hint: check that it still exists and that you may read it\n"
        "1 error: the build was not written."
    )


def test_a_missing_content_folder_is_a_clear_error(tmp_path: Path) -> None:
    assert build_errors(tmp_path / "nowhere") == (
        f"{tmp_path / 'nowhere'}:1:1: content folder does not exist\n"
        "    hint: check the --content path; it must be a folder of Markdown files\n"
        "1 error: the build was not written."
    )
    result = run_cli("--no-cache", "--content", tmp_path / "nowhere", "--out", tmp_path / "out")
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == f"error: content folder {tmp_path / 'nowhere'} does not exist\n"


# --- The settings file --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        (
            b'title = "Stride"\ntitel = "Typo"\n',
            "stride.toml:2:1: unknown setting 'titel'\n    hint: did you mean 'title'?",
        ),
        (b"title = \n", "stride.toml:1:9: invalid TOML: Invalid value\n    hint: fix the syntax"),
        (
            b'tag_page_size = "ten"\n',
            "stride.toml:1:1: 'tag_page_size' must be int, not str\n"
            "    hint: e.g. tag_page_size = 10",
        ),
        (
            b"tag_page_size = 0\n",
            "stride.toml:1:1: 'tag_page_size' must be at least 1, not 0\n"
            "    hint: e.g. tag_page_size = 10",
        ),
        (b'title = "  "\n', "stride.toml:1:1: 'title' is empty\n    hint: e.g. title = \"Stride\""),
        (
            b'base_url = "ftp://example.com"\n',
            "stride.toml:1:1: base_url must be an absolute http(s) URL\n"
            '    hint: e.g. base_url = "https://example.com"',
        ),
        (
            b'title = "Caf\xe9"\n',
            "stride.toml:1:1: file is not UTF-8 (byte 0xe9)\n    hint: save it as UTF-8",
        ),
    ],
)
def test_settings_mistakes_are_located_in_stride_toml(
    tmp_path: Path, settings: bytes, expected: str
) -> None:
    project = copy_project(tmp_path / "project")
    (project / "stride.toml").write_bytes(settings)
    content = write_files(tmp_path / "content", {"articles/a.md": article()})
    assert build_errors(content, project=project) == (
        expected + "\n1 error: the build was not written."
    )


def test_a_content_folder_that_is_a_file_is_bad_usage(tmp_path: Path) -> None:
    (tmp_path / "notes.md").write_text(article())
    result = run_cli("check", "--content", tmp_path / "notes.md")
    assert (result.returncode, result.stderr) == (
        2,
        f"error: content folder {tmp_path / 'notes.md'} is a file, not a folder\n",
    )


# --- All together -------------------------------------------------------------------------


def test_all_errors_are_reported_together_sorted_by_file_with_no_traceback(
    tmp_path: Path,
) -> None:
    content = write_files(
        tmp_path / "content",
        {
            "recipes/z.md": "---\ntitle: [\n---\n",
            "articles/b.md": article(extra="colour: blue"),
            "articles/a.md": article(date="2025-02-30"),
            "exercises/m.md": "no front matter\n",
        },
    )
    result = run_cli("build", "--no-cache", "--content", content, "--out", tmp_path / "out")
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == (
        "articles/a.md:3:7: 'date' is an impossible date '2025-02-30' "
        "(day is out of range for month)\n"
        "    hint: check the month and day\n"
        "articles/b.md:5:1: unknown key 'colour'\n"
        "    hint: allowed: author, date, draft, featured, image, image_alt, slug, summary, "
        "tags, title, updated\n"
        "exercises/m.md:1:1: file does not start with front matter\n"
        "    hint: make the first line '---', then the fields, then another '---'\n"
        "recipes/z.md:3:1: invalid YAML in front matter: did not find expected node content\n"
        "    hint: check quoting: values containing ': ' or starting with [ { * & ! need quotes\n"
        "4 errors: the build was not written.\n"
    )
    assert not (tmp_path / "out").exists()


def test_link_and_url_mistakes_are_reported_with_the_content_errors(tmp_path: Path) -> None:
    files = {
        "articles/a.md": article(date="2025-02-30"),
        "articles/b.md": article(body="[gone](nowhere.md)"),
        "articles/c.md": article(extra="slug: b"),
    }
    assert report(tmp_path, files) == (
        "articles/a.md:3:7: 'date' is an impossible date '2025-02-30' "
        "(day is out of range for month)\n"
        "    hint: check the month and day\n"
        "articles/b.md:6:8: link 'nowhere.md' points to no content file\n"
        "    hint: check the file name; links are relative to this file's folder\n"
        "articles/c.md:5:1: /articles/b/ is also the URL of articles/b.md\n"
        "    hint: rename one file or give one of them a different 'slug'"
    )


def test_nothing_is_reported_against_a_file_that_failed_to_parse(tmp_path: Path) -> None:
    """Links to a broken file, or to URLs it might have had, wait until it parses."""
    squat = (
        "---\ntitle: Squat\ndate: 2025-01-31\nsummary: S\ncategory: lower body\n"
        "level: beginner\nequipment: [none]\nmuscles: [glutes]\nprescription: 3 x 10\n"
        "steps: [Stand.]\ncues: [Brace.]\nprogressions: [lunge]\n---\n"
    )
    files = {
        "articles/a.md": article(body="[b](b.md), [b's page](/articles/custom/)"),
        "articles/b.md": article(extra="slug: custom\ncolour: blue"),
        "exercises/squat.md": squat,
        "exercises/lunge.md": squat.replace("level: beginner", "level: expert"),
    }
    assert report(tmp_path, files) == (
        "articles/b.md:6:1: unknown key 'colour'\n"
        "    hint: allowed: author, date, draft, featured, image, image_alt, slug, summary, "
        "tags, title, updated\n"
        "exercises/lunge.md:6:8: 'level' has value 'expert', which is not allowed\n"
        "    hint: allowed: advanced, beginner, intermediate"
    )


def test_the_dev_server_overlay_shows_the_same_report_as_the_command_line(
    tmp_path: Path,
) -> None:
    content = write_files(tmp_path / "content", {"articles/a.md": article("Good")})
    port = free_port()
    server = start_cli(
        "serve", "--no-cache", "--port", port, "--content", content, "--out", tmp_path / "out"
    )
    try:
        assert wait_until(lambda: "Good" in fetch(port, "/articles/a/"))
        write_files(content, {"articles/a.md": article(date="2025-02-30", body="[x](no.md)")})
        assert wait_until(lambda: bool(json.loads(fetch(port, "/__stride/status"))["report"]))
        overlay = json.loads(fetch(port, "/__stride/status"))["report"]
        assert "Good" in fetch(port, "/articles/a/")  # the last good site is still served
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=20)
    check = run_cli("check", "--no-cache", "--content", content)
    assert overlay + "\n" == check.stderr
    assert overlay.startswith("articles/a.md:3:7: 'date' is an impossible date")


def fetch(port: int, path: str) -> str:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as response:
            return str(response.read().decode("utf-8"))
    except OSError:
        return ""
