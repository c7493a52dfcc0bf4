"""``score``: read an NBE report (ixion's own reader), score it, print it, apply thresholds."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from ixion.reports.nbe import NbeError, read_nbe
from tests.netlab._nmap import read_nmap_xml
from tests.netlab._score import HostScore, Score, score_results
from tests.netlab._truth import DEFAULT_TRUTH, load_truth, parse_place

if TYPE_CHECKING:
    import argparse

__all__ = ["format_score", "run_score", "threshold_failures"]


def _pct(part: int, whole: int) -> str:
    return f"{part}/{whole} ({100 * part / whole:.0f} %)" if whole else "0/0"


def _names_line(label: str, host: HostScore, names: dict[str, str | None]) -> list[str]:
    ports = host.truth.ports
    agree = host.names_agreeing(names)
    lines = [f"  service names ({label}): {_pct(agree, len(ports))} agree"]
    wrong = [
        f"{place} {name or 'unnamed'} (expected {ports[place]})"
        for place, name in sorted(names.items(), key=lambda kv: parse_place(kv[0]))
        if name != ports[place]
    ]
    absent = [place for place in ports if place not in names]
    if wrong:
        lines.append(f"    differ: {', '.join(wrong)}")
    if absent:
        lines.append(f"    not seen open: {' '.join(absent)}")
    return lines


def _host_lines(host: HostScore) -> list[str]:
    truth = host.truth
    lines = [f"host {truth.name} ({truth.address})"]
    extra = f"; {len(host.notes_only)} more seen only as notes" if host.notes_only else ""
    lines.append(f"  recall: {_pct(len(host.found), host.expected)}{extra}")
    for check_id, claims in host.found.items():
        lines.append(f"    found   {check_id:<28} {claims[0].summary(70)}")
    for check in host.missed:
        note = " (as note)" if check in host.notes_only else ""
        lines.append(f"    missed  {check.id:<28} {' '.join(check.places)}{note}")
    for check, found in host.credentialed:
        state = "found" if found else "not found"
        lines.append(f"    needs credentials, not counted: {check.id} ({state})")
    lines.append(f"  negative controls hit: {len(host.negatives_hit)}/{len(truth.negatives)}")
    lines += [f"    HIT {check.id}: {claim.summary(80)}" for check, claim in host.negatives_hit]
    lines.append(f"  false positives: {len(host.false_positives)}")
    lines += [f"    {claim.summary(100)}" for claim in host.false_positives]
    phantom = (
        f"; reported but not open: {' '.join(host.phantom_ports)}" if host.phantom_ports else ""
    )
    lines.append(f"  open ports found: {_pct(len(host.ports_found), len(truth.ports))}{phantom}")
    udp = " ".join(host.udp_found) or "none"
    lines.append(f"  UDP ports found: {len(host.udp_found)}/{len(host.udp_expected)} ({udp})")
    lines += _names_line("report", host, host.names)
    if host.nmap_names is not None:
        lines += _names_line("nmap", host, host.nmap_names)
    return lines


def format_score(score: Score) -> str:
    lines: list[str] = []
    for host in score.hosts:
        lines += _host_lines(host)
    if score.strangers:
        lines.append(f"findings for addresses not in the ground truth: {len(score.strangers)}")
        lines += [f"    {claim.host} {claim.summary(90)}" for claim in score.strangers]
    ports = sum(len(h.truth.ports) for h in score.hosts)
    names = sum(h.names_agreeing(h.names) for h in score.hosts)
    udp = sum(len(h.udp_found) for h in score.hosts)
    udp_all = sum(len(h.udp_expected) for h in score.hosts)
    lines.append(
        f"total: recall {_pct(score.found, score.expected)}, "
        f"negative controls hit {score.negatives_hit}, false positives {score.false_positives}, "
        f"names agree {_pct(names, ports)}, UDP ports {udp}/{udp_all}"
    )
    if all(h.nmap_names is not None for h in score.hosts) and score.hosts:
        nmap = sum(h.names_agreeing(h.nmap_names or {}) for h in score.hosts)
        lines.append(f"nmap: names agree {_pct(nmap, ports)}")
    lines.append(
        "(recall and false positives count Security Holes and Warnings"
        f"{' and Notes' if score.notes else ''}; see tests/netlab/_score.py)"
    )
    return "\n".join(lines)


def threshold_failures(score: Score, require_recall: float | None, max_fp: int | None) -> list[str]:
    """Why the score misses its thresholds (empty when it meets them).

    ``require_recall`` is a fraction (0.6) or, above 1, a percentage (60).
    """
    failures = []
    if require_recall is not None:
        wanted = require_recall / 100 if require_recall > 1 else require_recall
        if score.recall < wanted:
            failures.append(f"recall {score.recall:.2f} < required {wanted:.2f}")
    if max_fp is not None and score.false_positives > max_fp:
        failures.append(f"false positives {score.false_positives} > allowed {max_fp}")
    return failures


def run_score(args: argparse.Namespace) -> int:
    try:
        results = read_nbe(args.report.read_bytes())
        truth = load_truth(args.truth or DEFAULT_TRUTH)
        nmap = read_nmap_xml(args.nmap) if args.nmap else None
    except (OSError, NbeError, ValueError) as exc:
        print(f"netlab score: {exc}", file=sys.stderr)
        return 2
    score = score_results(results, truth, notes=args.notes, credentials=args.credentials, nmap=nmap)
    print(format_score(score))
    failures = threshold_failures(score, args.require_recall, args.max_fp)
    for failure in failures:
        print(f"FAILED: {failure}")
    return 1 if failures else 0
