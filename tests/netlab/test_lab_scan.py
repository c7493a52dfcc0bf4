"""``scripts/lab scan`` scored: ixion's own scan of the lab through ixiond with its built-in
plugins, as a user runs it, finds every remote weakness of the ground truth, reports nothing
else as a hole or warning, and names each open port as the ground truth does (``nmap -sV``'s
names, HTTPS as https)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from ixion.reports.nbe import read_nbe
from tests.netlab._scan import run_scan_command
from tests.netlab._score import score_results

if TYPE_CHECKING:
    from pathlib import Path

    from tests.netlab.fixture import NetLab


@pytest.fixture(scope="module")
def lab_scan(netlab: NetLab, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One scan of the lab (ixiond + ``ixion -q``, built-in plugins), as NBE, for the module."""
    report = tmp_path_factory.mktemp("lab-scan") / "lab.nbe"
    assert run_scan_command(report) == 0
    return report


def test_the_lab_scan_finds_every_weakness_and_nothing_else(netlab: NetLab, lab_scan: Path) -> None:
    score = score_results(read_nbe(lab_scan.read_bytes()), netlab.truth)
    missed = {h.truth.name: [c.id for c in h.missed] for h in score.hosts if h.missed}
    assert not missed, f"weaknesses not found: {missed}"
    assert score.found == score.expected > 0
    wrong = [claim.summary() for h in score.hosts for claim in h.false_positives]
    assert not wrong, f"false positives: {wrong}"
    hit = [(check.id, claim.summary()) for h in score.hosts for check, claim in h.negatives_hit]
    assert not hit, f"negative controls reported: {hit}"
    udp = {h.truth.name: (h.udp_found, h.udp_expected) for h in score.hosts}
    assert all(sorted(found) == sorted(expected) for found, expected in udp.values()), udp


def test_the_lab_scan_names_every_open_port_for_the_service_found_there(
    netlab: NetLab, lab_scan: Path
) -> None:
    score = score_results(read_nbe(lab_scan.read_bytes()), netlab.truth)
    for host in score.hosts:
        ports = host.truth.ports
        # 8080 is Apache (the services file says http-alt), 11211 memcached (it says nothing).
        wrong = {place: name for place, name in host.names.items() if name != ports[place]}
        assert not wrong, f"{host.truth.name}: named otherwise than the ground truth: {wrong}"
        assert sorted(host.names) == sorted(ports), f"{host.truth.name}: ports not seen open"
