"""Atomic writes of the daemon's files."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from ixion.server.files import write_atomically


def test_a_file_is_written_with_its_mode_and_parent_directories(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "key.pem"
    write_atomically(target, b"secret", 0o600)
    assert target.read_bytes() == b"secret"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_an_existing_file_is_replaced_and_nothing_else_is_left(tmp_path: Path) -> None:
    target = tmp_path / "ixiond.conf"
    target.write_text("old\n")
    write_atomically(target, b"new\n", 0o644)
    assert target.read_text() == "new\n"
    assert [p.name for p in tmp_path.iterdir()] == ["ixiond.conf"]


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "ixiond.conf"
    target.mkdir()  # a directory cannot be replaced by a file
    with pytest.raises(OSError, match="Is a directory"):
        write_atomically(target, b"new\n", 0o644)
    assert [p.name for p in tmp_path.iterdir()] == ["ixiond.conf"]
