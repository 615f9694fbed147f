"""The output before last is listed by a child process while the build goes on: the list must
be the folder's files exactly, or None when the folder is odd or was replaced meanwhile."""

from __future__ import annotations

import gc
import os
from pathlib import Path

import pytest

from stride.file_list import FileList
from tests.helpers import write_files

FILES = {"index.html": "home", "articles/a/index.html": "a", "tags/t/index.html": "t", "x.css": ""}


def test_a_child_lists_every_file_under_the_folder(tmp_path: Path) -> None:
    folder = write_files(tmp_path / "kept", FILES)
    assert FileList(folder).files() == set(FILES)


def test_an_empty_folder_lists_nothing(tmp_path: Path) -> None:
    (tmp_path / "kept").mkdir()
    assert FileList(tmp_path / "kept").files() == set()


def test_a_link_inside_or_a_missing_folder_lists_as_none(tmp_path: Path) -> None:
    folder = write_files(tmp_path / "kept", FILES)
    (folder / "articles" / "link.html").symlink_to(folder / "index.html")
    assert FileList(folder).files() is None
    assert FileList(tmp_path / "nowhere").files() is None
    (tmp_path / "linked").symlink_to(write_files(tmp_path / "real", FILES))
    assert FileList(tmp_path / "linked").files() is None


def test_a_folder_replaced_after_the_listing_started_lists_as_none(tmp_path: Path) -> None:
    folder = write_files(tmp_path / "kept", FILES)
    listing = FileList(folder)
    folder.rename(tmp_path / "moved")
    write_files(tmp_path / "kept", {"other.html": "another build's"})
    assert listing.files() is None


def test_a_listing_never_asked_for_leaves_no_child_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = write_files(tmp_path / "kept", FILES)
    children: list[int] = []
    fork = os.fork

    def noted_fork() -> int:
        pid = fork()
        if pid:
            children.append(pid)
        return pid

    monkeypatch.setattr(os, "fork", noted_fork)
    listing = FileList(folder)
    del listing
    gc.collect()
    assert len(children) == 1
    with pytest.raises(ChildProcessError):  # reaped already: no such child any more
        os.waitpid(children[0], os.WNOHANG)
