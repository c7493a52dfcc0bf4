"""Findings judged by the netlab's ground truth (``tests/netlab/ground_truth.toml``).

A finding counts as the ground truth counts it: a Security Hole or Warning at one of the
check's places whose text matches its regex. :func:`missed` lists the weaknesses no finding
shows; :func:`false_alarms` the findings a negative control says must not be there.
"""

from __future__ import annotations

from collections.abc import Iterable

from ixion.engine.events import Finding, Severity
from tests.netlab._truth import HostTruth

from .helpers import Outcome

SERIOUS = (Severity.HOLE, Severity.WARNING)


def serious(outcome: Outcome, plugin_ids: Iterable[int]) -> list[Finding]:
    """The holes and warnings of these plugins."""
    ids = set(plugin_ids)
    return [f for f in outcome.findings() if f.plugin_id in ids and f.severity in SERIOUS]


def _place(finding: Finding) -> str:
    return f"{finding.proto}/{finding.port}" if finding.port else f"general/{finding.proto}"


def missed(
    outcome: Outcome, truth: HostTruth, ids: Iterable[str], plugin_ids: Iterable[int]
) -> list[str]:
    """The weaknesses ``ids`` that none of the plugins' findings shows."""
    found = serious(outcome, plugin_ids)
    checks = {check.id: check for check in truth.weaknesses}
    return [
        wanted
        for wanted in ids
        if not any(checks[wanted].matches(_place(f), f.text, str(f.plugin_id)) for f in found)
    ]


def false_alarms(outcome: Outcome, truth: HostTruth, plugin_ids: Iterable[int]) -> list[str]:
    """``check id: first line`` of each finding a negative control forbids."""
    return [
        f"{check.id}: {f.text.splitlines()[0]}"
        for f in serious(outcome, plugin_ids)
        for check in truth.negatives
        if check.matches(_place(f), f.text, str(f.plugin_id))
    ]
