"""``ixion scan`` of the netlab's weak host finds what ``scripts/lab scan`` (ixiond and
``ixion -q``, the same built-in plugins) finds there: every remote weakness of the ground
truth, nothing else claimed, every open port named as the ground truth names it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ixion.reports.nbe import read_nbe
from tests.app.helpers import run_ixion
from tests.netlab._hosts import state_dir
from tests.netlab._scan import TRUSTED_CA_PREFERENCE, port_range, run_scan_command
from tests.netlab._score import HostScore, score_results

if TYPE_CHECKING:
    from pathlib import Path

    from tests.netlab.fixture import NetLab

#: Longest the scan of one lab host may take (the UDP probes and the SQL checks dominate).
NETLAB_TIMEOUT = 600.0


def _weak(report: Path, netlab: NetLab) -> HostScore:
    score = score_results(read_nbe(report.read_bytes()), netlab.truth)
    (weak,) = [host for host in score.hosts if host.truth.address == netlab.weak]
    assert not score.strangers
    return weak


def test_ixion_scan_finds_on_the_weak_host_what_the_lab_scan_finds(
    netlab: NetLab, tmp_path: Path
) -> None:
    # The lab CA is the lab's "internal CA", trusted by both scans (see tests.netlab._scan).
    trust = f"{TRUSTED_CA_PREFERENCE}={state_dir() / 'tls' / 'ca.pem'}"
    done = run_ixion(
        ["scan", netlab.weak, "-p", port_range(netlab.truth), "--max-checks", "8", "--set",
         trust, "-o", "scan.nbe", "--fail-on", "hole"],
        tmp_path,
        timeout=NETLAB_TIMEOUT,
    )  # fmt: skip
    # The weak host has holes (anonymous Redis, a MySQL root without password...).
    assert done.returncode == 1, done.stderr
    assert f"ixion: {netlab.weak}: done in" in done.stderr
    mine = _weak(tmp_path / "scan.nbe", netlab)

    assert run_scan_command(tmp_path / "lab.nbe") == 0
    theirs = _weak(tmp_path / "lab.nbe", netlab)

    assert not mine.missed, [check.id for check in mine.missed]
    assert not [claim.summary() for claim in mine.false_positives]
    assert not mine.negatives_hit
    assert sorted(mine.found) == sorted(theirs.found)
    assert sorted(mine.ports_found) == sorted(theirs.ports_found)
    assert mine.names == theirs.names == dict(mine.truth.ports)
    assert sorted(mine.udp_found) == sorted(mine.udp_expected)
