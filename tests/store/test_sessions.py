"""Saved sessions as rows: names, what a transaction keeps, each user's own, deletion."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ixion.store import sessions as sessions_module
from ixion.store.database import Store
from ixion.store.sessions import (
    HostEnded,
    HostStarted,
    PluginDone,
    SentMessage,
    Sessions,
    valid_name,
)


@pytest.fixture
def sessions(tmp_path: Path) -> Iterator[Sessions]:
    store = Store.open(tmp_path)
    yield Sessions(store)
    store.close()


def test_names_are_the_local_start_time_made_unique_per_user(sessions: Sessions) -> None:
    when = time.mktime((2026, 12, 7, 10, 15, 30, 0, 0, -1))
    names = [sessions.create(user, "t", [], when=when)[1] for user in ("a", "a", "a", "b")]
    assert names == ["20261207-101530", "20261207-101530-2", "20261207-101530-3", "20261207-101530"]
    assert all(valid_name(name) for name in names)


@pytest.mark.parametrize(
    "name", ["", "../x", "20261207-101530/..", "20261207-101530\x00", "2" * 40, "a-b"]
)
def test_anything_else_is_not_a_session_name(name: str) -> None:
    assert not valid_name(name)


def test_a_session_keeps_messages_hosts_and_plugins_and_gives_them_back_in_order(
    sessions: Sessions, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sessions_module, "_CHUNK", 3)
    session, name = sessions.create("tester", "198.18.0.1-2", [("save_session", "yes")])
    lines = [f"line {i}".encode() for i in range(7)]
    seq = sessions.record(
        session,
        0,
        [
            HostStarted("198.18.0.1"),
            *(SentMessage("198.18.0.1", 5, "NOTE", line) for line in lines[:4]),
            PluginDone("198.18.0.1", 5, '[["add", "a", 1]]'),
            HostEnded("198.18.0.1"),
        ],
    )
    assert seq == 4
    sessions.record(
        session,
        seq,
        [HostStarted("198.18.0.2"), *(SentMessage("198.18.0.2", 0, "TIME", x) for x in lines[4:])],
    )
    sessions.end(session, keep_empty=False)
    saved = sessions.find("tester", name)
    assert saved is not None
    assert saved.options == (("save_session", "yes"),)
    assert saved.hosts == {"198.18.0.1": True, "198.18.0.2": False}
    got: list[bytes] = []
    after = -1
    while chunk := sessions.messages(session, after):
        assert len(chunk) <= 3
        got.extend(message.line for message in chunk)
        after = chunk[-1].seq
    assert got == lines
    (done,) = sessions.finished_plugins(session, "198.18.0.1")
    assert (done.plugin, done.kb) == (5, '[["add", "a", 1]]')


def test_each_user_sees_and_deletes_only_their_own(sessions: Sessions) -> None:
    session, name = sessions.create("alice", "198.18.0.1", [])
    sessions.record(session, 0, [SentMessage("198.18.0.1", 1, "HOLE", b"x")])
    sessions.end(session, keep_empty=False)
    assert [s.name for s in sessions.listing("alice")] == [name]
    assert sessions.listing("mallory") == []
    assert sessions.find("mallory", name) is None
    assert not sessions.delete("mallory", name)
    assert sessions.delete("alice", name)
    assert sessions.listing("alice") == []
    assert not sessions.delete("alice", name)


@pytest.mark.parametrize(("kind", "kept"), [("STATUS", False), ("PORT", True), ("NOTE", True)])
def test_a_session_without_ports_or_findings_is_empty(
    sessions: Sessions, kind: str, kept: bool
) -> None:
    session, name = sessions.create("tester", "t", [])
    sessions.record(session, 0, [SentMessage("h", 0, kind, b"x")])
    assert sessions.end(session, keep_empty=False) is kept
    assert (sessions.find("tester", name) is not None) is kept


def test_a_long_target_is_listed_shortened(sessions: Sessions) -> None:
    session, _ = sessions.create("tester", "198.18.0.1," * 1000, [])
    sessions.end(session, keep_empty=True)
    (listed,) = sessions.listing("tester")
    assert len(listed.target) == sessions_module.MAX_TARGET_SHOWN
