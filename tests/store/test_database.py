"""The store's file: created with its schema, one daemon at a time, whole after a kill -9."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from ixion.store.database import Store, StoreError, StoreLocked
from ixion.store.sessions import Sessions


def test_a_second_daemon_on_the_same_state_directory_is_refused(tmp_path: Path) -> None:
    first = Store.open(tmp_path)
    with pytest.raises(StoreLocked, match="another ixiond uses"):
        Store.open(tmp_path)
    first.close()
    Store.open(tmp_path).close()  # the lock went with the first


def test_opening_as_the_daemon_marks_what_was_running_as_interrupted(tmp_path: Path) -> None:
    store = Store.open(tmp_path)
    sessions = Sessions(store)
    _, name = sessions.create("tester", "198.18.0.1", [])
    assert sessions.listing("tester") == []  # being written: not listed
    store.close()
    store = Store.open(tmp_path)
    (listed,) = Sessions(store).listing("tester")
    assert listed.name == name
    found = Sessions(store).find("tester", name)
    assert found is not None
    assert found.state == "interrupted"
    store.close()


def test_a_state_directory_that_cannot_hold_a_store_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(StoreError, match="cannot open the store"):
        Store.open(blocker / "state")


WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from ixion.store.database import Store
    from ixion.store.sessions import SentMessage, Sessions
    store = Store.open(Path(sys.argv[1]))
    sessions = Sessions(store)
    session, _ = sessions.create("tester", "198.18.0.1", [])
    seq = 0
    print("ready", flush=True)
    while True:
        seq = sessions.record(session, seq, [SentMessage("198.18.0.1", 1, "NOTE", b"x" * 4000)])
    """
)


@pytest.mark.parametrize("moment", [0.05, 0.2, 0.5])
def test_a_kill_9_in_the_middle_of_writes_leaves_a_store_that_opens_whole(
    tmp_path: Path, moment: float
) -> None:
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(tmp_path)], stdout=subprocess.PIPE, text=True
    )
    assert writer.stdout is not None
    assert writer.stdout.readline() == "ready\n"
    try:
        writer.wait(moment)
    except subprocess.TimeoutExpired:
        writer.send_signal(signal.SIGKILL)
        writer.wait()
    finally:
        writer.stdout.close()
    store = Store.open(tmp_path)
    db = store.connection()
    assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    seqs = [row[0] for row in db.execute("SELECT seq FROM session_message ORDER BY seq")]
    assert seqs == list(range(len(seqs)))  # every committed message, none half-written
    assert len(seqs) > 0
    store.close()
    assert sqlite3.connect(tmp_path / "store.sqlite").execute("SELECT 1").fetchone() == (1,)


def test_a_forked_child_never_uses_its_parents_connection(tmp_path: Path) -> None:
    """``ixiond -D``: the store is opened before the fork, then the starting process exits
    and closes its connection. The daemon must have made its own: on the inherited one,
    SQLite's locks stayed with the parent, whose close deleted the WAL under the daemon
    ("disk I/O error", then "database disk image is malformed")."""
    store = Store.open(tmp_path)
    with store.transaction() as db:
        db.execute("INSERT INTO kb_host (user, host) VALUES ('before', 'fork')")
    closed_read, closed_write = os.pipe()
    result_read, result_write = os.pipe()
    child = os.fork()
    if child == 0:  # the daemon
        status = 2
        try:
            os.read(closed_read, 1)
            for n in range(50):
                with store.transaction() as db:
                    db.execute("INSERT INTO kb_host (user, host) VALUES ('daemon', ?)", (str(n),))
            check = store.connection().execute("PRAGMA integrity_check").fetchone()[0]
            rows = store.connection().execute("SELECT count(*) FROM kb_host").fetchone()[0]
            os.write(result_write, f"{check} {rows}".encode())
            status = 0
        finally:
            os._exit(status)
    store.release_connections()  # what the starter's exit does to its connections
    os.write(closed_write, b"1")
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert os.read(result_read, 100) == b"ok 51"
    db = sqlite3.connect(tmp_path / "store.sqlite")
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert db.execute("SELECT count(*) FROM kb_host WHERE user = 'daemon'").fetchone()[0] == 50
    db.close()
    store.close()
