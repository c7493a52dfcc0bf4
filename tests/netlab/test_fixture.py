"""The fixture's rules: skip or fail where the lab cannot run; share the lab between users."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.netlab import fixture
from tests.netlab._sharing import LOCK_HELD, LabBusyError, lab_lock, live_users, users_dir


def test_unavailable_skips_locally(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="netlab unavailable: not root"):
        fixture._unavailable("not root")


def test_unavailable_fails_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="netlab unavailable: not root"):
        fixture._unavailable("not root")


def test_lab_lock_excludes_a_second_holder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(LOCK_HELD, raising=False)
    state = tmp_path / "netlab"
    busy = pytest.raises(LabBusyError, match="held by another lab user")
    with lab_lock(state), busy, lab_lock(state, timeout=0.3):
        pass
    with lab_lock(state, timeout=0.3):  # released: free again
        pass


def test_live_users_forgets_dead_sessions(tmp_path: Path) -> None:
    state = tmp_path / "netlab"
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    (users_dir(state) / dead.stdout.strip()).touch()
    (users_dir(state) / str(os.getpid())).touch()
    assert live_users(state) == [os.getpid()]
    assert live_users(state, besides=os.getpid()) == []
    assert sorted(p.name for p in users_dir(state).iterdir()) == [str(os.getpid())]
