"""The ``netlab`` pytest fixture: the lab, up for the whole session, from any test directory.

Use it from another directory's ``conftest.py`` with
``from tests.netlab.fixture import netlab  # noqa: F401`` (pytest wants fixtures defined or
imported in a conftest).

It brings the lab up unless a healthy one is already running (started by hand with
``scripts/lab up``, or by another test session), and tears it down at the end only if a
fixture brought it up and no other test session still uses it: sessions register their PID
next to the state directory and take a lock around starting and stopping, so sessions
running at once (two developers' test runs, pytest-xdist workers) share one lab.

Where the lab cannot run (not root, no ``ip netns``, packages missing) the tests that use
it are skipped, except under CI (``$CI`` set), where that is a failure; under CI missing
packages are installed first (``install``).
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import pytest

from tests.netlab._hosts import HOSTS, host_named, state_dir
from tests.netlab._install import missing_packages
from tests.netlab._manifest import Manifest, read_manifest
from tests.netlab._netns import ip_netns_available
from tests.netlab._sharing import LOCK_HELD, LabBusyError, lab_lock, live_users, users_dir
from tests.netlab._status import health
from tests.netlab._truth import HostTruth, Truth, load_truth

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = ["NetLab", "netlab"]

_ROOT = Path(__file__).resolve().parents[2]
#: Far more than ``up``, ``down`` or ``install`` take; a hung command must not hold the lock.
CLI_TIMEOUT = 600.0
#: In the state directory: the lab was started by a fixture, so the last user stops it.
_STARTED_BY_FIXTURE = "started-by-fixture"


@dataclass(frozen=True, slots=True)
class NetLab:
    """The running lab: addresses, ground truth, secrets and the CA to trust."""

    manifest: Manifest
    truth: Truth
    state: Path

    @property
    def weak(self) -> str:
        return host_named("weak").address

    @property
    def hardened(self) -> str:
        return host_named("hardened").address

    @property
    def addresses(self) -> list[str]:
        return [host.address for host in HOSTS]

    @property
    def ca_file(self) -> Path:
        return Path(self.manifest.ca_file)

    @property
    def secrets(self) -> dict[str, str]:
        return self.manifest.secrets

    def host_truth(self, name: str) -> HostTruth:
        return self.truth.hosts[name]


def _unavailable(reason: str) -> NoReturn:
    message = f"netlab unavailable: {reason}"
    if os.environ.get("CI"):
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    """The lab's command, run while this session holds the lab's lock."""
    return subprocess.run(
        [sys.executable, "-m", "tests.netlab", *args],
        cwd=_ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, LOCK_HELD: "1"},
        timeout=CLI_TIMEOUT,
    )


def _healthy(manifest: Manifest | None) -> bool:
    if manifest is None:
        return False
    return all(alive and ok for *_, alive, ok in health(manifest))


@pytest.fixture(scope="session")
def netlab() -> Iterator[NetLab]:
    problem = ip_netns_available()
    if problem is not None:
        _unavailable(problem)
    if missing_packages():
        if os.environ.get("CI"):
            _cli("install")
        if missing := missing_packages():
            _unavailable(f"missing packages {' '.join(missing)} (run: scripts/lab install)")
    state = state_dir()
    me = users_dir(state) / str(os.getpid())
    try:
        manifest = _join(state, me)
    except (LabBusyError, subprocess.TimeoutExpired) as exc:
        pytest.fail(f"netlab: {exc}", pytrace=False)
    try:
        yield NetLab(manifest=manifest, truth=load_truth(), state=state)
    finally:
        with lab_lock(state):
            me.unlink(missing_ok=True)
            if (state / _STARTED_BY_FIXTURE).exists() and not live_users(state):
                _cli("down")
                with contextlib.suppress(OSError):
                    users_dir(state).rmdir()


def _join(state: Path, me: Path) -> Manifest:
    """Register this session as a user of a healthy lab, starting one if needed."""
    with lab_lock(state):
        manifest = read_manifest(state)
        if not _healthy(manifest):
            done = _cli("up", "--force")
            manifest = read_manifest(state)
            if done.returncode != 0 or manifest is None:
                pytest.fail(f"netlab up failed:\n{done.stdout}\n{done.stderr}", pytrace=False)
            (state / _STARTED_BY_FIXTURE).touch()
        me.touch()
    assert manifest is not None
    return manifest
