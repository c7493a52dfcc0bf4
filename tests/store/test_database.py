"""The store's file: created with its schema, one daemon at a time, whole after a kill -9."""

from __future__ import annotations

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
