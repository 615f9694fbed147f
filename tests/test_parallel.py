"""Work spread over forked processes comes back complete, in order, and failures surface."""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from pathlib import Path

import pytest

from stride.parallel import map_in_shares, start_in_child


def square_with_pid(run: Sequence[int]) -> list[tuple[int, int]]:
    return [(item * item, os.getpid()) for item in run]


@pytest.mark.parametrize("count", [1, 2, 3, 17, 400])
@pytest.mark.parametrize("workers", [1, 2, 3])
def test_results_come_back_in_the_items_order(count: int, workers: int) -> None:
    results = map_in_shares(square_with_pid, list(range(count)), workers=workers)
    assert [value for value, _ in results] == [item * item for item in range(count)]


def test_every_process_takes_a_part_of_a_long_list() -> None:
    def slow(run: Sequence[int]) -> list[int]:
        return [sum(range(20_000 + item)) and os.getpid() for item in run]

    pids = set(map_in_shares(slow, list(range(600)), workers=2))
    assert os.getpid() in pids
    assert len(pids) == 2


def test_results_larger_than_a_pipe_arrive_whole() -> None:
    def big(run: Sequence[int]) -> list[bytes]:
        return [bytes([item % 256]) * 3_000_000 for item in run]

    results = map_in_shares(big, list(range(40)), workers=2)
    assert [len(result) for result in results] == [3_000_000] * 40
    assert [result[0] for result in results] == list(range(40))


def test_an_error_in_a_child_is_raised_in_the_parent() -> None:
    parent = os.getpid()

    def fails_in_child(run: Sequence[int]) -> list[int]:
        if os.getpid() != parent:
            raise ValueError("bad item")
        return [sum(range(50_000)) for _ in run]

    with pytest.raises(ValueError, match="bad item"):
        map_in_shares(fails_in_child, list(range(200)), workers=2)


def test_a_child_that_dies_is_reported() -> None:
    parent = os.getpid()

    def dies_in_child(run: Sequence[int]) -> list[int]:
        if os.getpid() != parent:
            os._exit(3)
        return [sum(range(50_000)) for _ in run]

    with pytest.raises(RuntimeError, match=r"a worker process died \(exit code 3\)"):
        map_in_shares(dies_in_child, list(range(200)), workers=2)


def test_work_started_in_a_child_comes_back_whole() -> None:
    pending = start_in_child(square_with_pid, list(range(300)))
    results = pending.results()
    assert [value for value, _ in results] == [item * item for item in range(300)]
    assert {pid for _, pid in results} != {os.getpid()}  # done in the child


def test_an_error_in_a_started_child_is_raised_when_its_results_are_asked_for() -> None:
    def fails(run: Sequence[int]) -> list[int]:
        raise ValueError(f"bad item {run[0]}")

    pending = start_in_child(fails, [7])
    with pytest.raises(ValueError, match="bad item 7"):
        pending.results()


def test_a_started_child_that_dies_is_reported() -> None:
    def dies(run: Sequence[int]) -> list[int]:
        os._exit(5)

    with pytest.raises(RuntimeError, match=r"a worker process died \(exit code 5\)"):
        start_in_child(dies, [1]).results()


def test_a_started_child_whose_results_are_not_wanted_is_stopped(tmp_path: Path) -> None:
    started = tmp_path / "pid"

    def never_ends(run: Sequence[int]) -> list[int]:
        started.write_text(str(os.getpid()), encoding="utf-8")
        while True:
            pass

    pending = start_in_child(never_ends, [1])
    deadline = time.monotonic() + 30
    while not started.exists() or not started.read_text(encoding="utf-8"):
        assert time.monotonic() < deadline, "the child never started"
        time.sleep(0.01)
    child = int(started.read_text(encoding="utf-8"))
    pending.cancel()
    # Only this child: the test process may have others (a browser driver, say).
    with pytest.raises(ChildProcessError):  # reaped, not left a zombie
        os.waitpid(child, os.WNOHANG)
