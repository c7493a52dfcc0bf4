"""The re-run machinery behind get_kb_item forking (nasl.md §2.6)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from ixion.nasl.runtime.forking import Replay, ReplayDiverged

PLACE = ("t.nasl", 1, 1)


def run_all(replay: Replay, script: Callable[[Replay], list[str]]) -> list[list[str]]:
    """Every run of ``script`` until the replay has covered every combination."""
    runs = []
    while True:
        replay.start_run()
        runs.append(script(replay))
        if replay.advance() is None:
            return runs


def test_a_script_without_fork_points_runs_once() -> None:
    replay = Replay()
    assert run_all(replay, lambda r: ["only"]) == [["only"]]
    assert replay.runs == 1


def test_cumulative_forks_give_the_cartesian_product_depth_first() -> None:
    def script(r: Replay) -> list[str]:
        a = "xy"[r.choose(2, PLACE)]
        b = "123"[r.choose(3, PLACE)]
        return [a + b]

    assert run_all(Replay(), script) == [["x1"], ["x2"], ["x3"], ["y1"], ["y2"], ["y3"]]


def test_forks_that_only_some_branches_reach_are_enumerated_there_only() -> None:
    def script(r: Replay) -> list[str]:
        if r.choose(2, PLACE) == 0:
            return ["a"]
        return ["b" + "pq"[r.choose(2, PLACE)]]

    assert run_all(Replay(), script) == [["a"], ["bp"], ["bq"]]


def test_a_replay_reads_what_the_first_run_read_and_is_quiet_until_its_fork() -> None:
    world = iter(range(100))
    seen: list[tuple[int, bool]] = []

    def script(r: Replay) -> list[str]:
        before = r.record(lambda: next(world))
        quiet_before = r.replaying
        index = r.choose(2, PLACE)
        after = r.record(lambda: next(world))
        seen.append((before, quiet_before))
        return [f"{before}/{index}/{after}/{r.replaying}"]

    runs = run_all(Replay(), script)
    assert runs == [["0/0/1/False"], ["0/1/2/False"]]
    assert seen == [(0, False), (0, True)]


def test_advance_names_the_fork_point_it_continues_at() -> None:
    replay = Replay()
    replay.start_run()
    replay.choose(2, ("f.nasl", 7, 3))
    assert replay.advance() == ("f.nasl", 7, 3)
    assert replay.runs == 1


def test_a_replay_that_strays_from_the_recorded_path_is_detected() -> None:
    replay = Replay()
    replay.start_run()
    replay.choose(2, PLACE)
    replay.advance()
    replay.start_run()
    with pytest.raises(ReplayDiverged):
        replay.choose(3, PLACE)
    replay.start_run()
    with pytest.raises(ReplayDiverged):
        replay.record(lambda: 1)
