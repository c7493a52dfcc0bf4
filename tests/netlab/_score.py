"""Scoring a scan of the lab: recall, negative controls, false positives, ports and names.

Definitions (the ``score`` command prints them with the numbers):

* A finding *claims* something when it is a Security Hole or a Security Warning; with
  ``notes=True`` Security Notes claim too. Log and debug messages never do.
* Recall: the weaknesses (of the remote kind, or all with ``credentials=True``) matched by at
  least one claiming finding on the same host and one of the weakness's places. Weaknesses
  matched only by notes are listed apart when notes do not claim.
* A negative control is hit by a claiming finding that matches it.
* A false positive is a claiming finding that matches no weakness of its host (credentialed
  ones included); a finding for an address the ground truth does not know is one too.
* Ports: the ground truth's open ports that the report shows (an open-port line or a
  finding there); phantoms are reported ports the ground truth has closed or does not list.
* Names: the report's name for each open port it found, normalised (``_names.py``), against
  the ground truth's; and nmap's (ports nmap calls ``open``), when its XML is given.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

from ixion.reports.results import Finding, OpenPort, ScanResults, Severity
from tests.netlab._names import normalise

if TYPE_CHECKING:
    from tests.netlab._nmap import NmapPort
    from tests.netlab._truth import Check, HostTruth, Truth

__all__ = ["Claim", "HostScore", "Score", "parse_port_field", "score_results"]

_PORT_FIELD: Final = re.compile(r"(.*) \(([0-9]{1,5})/([a-z]+)\)")
_GENERAL: Final = re.compile(r"general/([^\s()]+)")


def parse_port_field(text: str) -> tuple[str | None, str]:
    """``www (80/tcp)`` → ``("www", "tcp/80")``; ``general/udp`` → ``(None, "general/udp")``."""
    if match := _PORT_FIELD.fullmatch(text):
        return match.group(1), f"{match.group(3)}/{int(match.group(2))}"
    if _GENERAL.fullmatch(text):
        return None, text
    raise ValueError(f"unreadable port field {text!r}")


@dataclass(frozen=True, slots=True)
class Claim:
    """A finding as the scorer sees it."""

    host: str
    place: str
    severity: Severity
    plugin_id: str | None
    text: str

    def summary(self, width: int = 100) -> str:
        words = " ".join(self.text.split())
        words = words if len(words) <= width else words[: width - 3] + "..."
        return f"{self.place} [{self.severity.name.lower()} {self.plugin_id or '-'}] {words}"


@dataclass(slots=True)
class HostScore:
    truth: HostTruth
    found: dict[str, list[Claim]] = field(default_factory=dict)
    missed: list[Check] = field(default_factory=list)
    notes_only: list[Check] = field(default_factory=list)
    credentialed: list[tuple[Check, bool]] = field(default_factory=list)
    negatives_hit: list[tuple[Check, Claim]] = field(default_factory=list)
    false_positives: list[Claim] = field(default_factory=list)
    ports_found: list[str] = field(default_factory=list)
    phantom_ports: list[str] = field(default_factory=list)
    names: dict[str, str | None] = field(default_factory=dict)
    nmap_names: dict[str, str | None] | None = None

    @property
    def expected(self) -> int:
        return len(self.found) + len(self.missed)

    @property
    def udp_expected(self) -> list[str]:
        return [p for p in self.truth.ports if p.startswith("udp/")]

    @property
    def udp_found(self) -> list[str]:
        return [p for p in self.ports_found if p.startswith("udp/")]

    def names_agreeing(self, names: dict[str, str | None]) -> int:
        """How many of the open ports ``names`` names as the ground truth does."""
        return sum(1 for place, name in names.items() if self.truth.ports.get(place) == name)


@dataclass(slots=True)
class Score:
    hosts: list[HostScore]
    #: Claims about addresses the ground truth does not have.
    strangers: list[Claim] = field(default_factory=list)
    #: Whether Security Notes claimed (``score --notes``).
    notes: bool = False

    @property
    def found(self) -> int:
        return sum(len(h.found) for h in self.hosts)

    @property
    def expected(self) -> int:
        return sum(h.expected for h in self.hosts)

    @property
    def recall(self) -> float:
        return self.found / self.expected if self.expected else 1.0

    @property
    def false_positives(self) -> int:
        return sum(len(h.false_positives) for h in self.hosts) + len(self.strangers)

    @property
    def negatives_hit(self) -> int:
        return sum(len(h.negatives_hit) for h in self.hosts)


def _read(
    results: ScanResults, notes: bool
) -> tuple[list[Claim], list[Claim], list[tuple[str, str, str | None]]]:
    """Claiming findings, all notes, and every ``(host, place, name)`` the report shows."""
    severities = {Severity.HOLE, Severity.WARNING} | ({Severity.NOTE} if notes else set())
    claims: list[Claim] = []
    all_notes: list[Claim] = []
    seen: list[tuple[str, str, str | None]] = []
    for event in results.events:
        if not isinstance(event, OpenPort | Finding):
            continue
        name, place = parse_port_field(event.port)
        if not place.startswith("general/"):
            seen.append((event.host, place, name))
        if isinstance(event, Finding):
            claim = Claim(event.host, place, event.severity, event.plugin_id, event.text)
            if event.severity is Severity.NOTE:
                all_notes.append(claim)
            if event.severity in severities:
                claims.append(claim)
    return claims, all_notes, seen


def score_results(
    results: ScanResults,
    truth: Truth,
    *,
    notes: bool = False,
    credentials: bool = False,
    nmap: dict[str, dict[str, NmapPort]] | None = None,
) -> Score:
    """Score a report (and optionally nmap's view) against the ground truth."""
    claims, all_notes, seen = _read(results, notes)
    by_address = truth.by_address()
    score = Score(hosts=[], notes=notes)
    score.strangers = [c for c in claims if c.host not in by_address]
    for host in truth.hosts.values():
        mine = [c for c in claims if c.host == host.address]
        result = HostScore(truth=host)
        _recall(result, mine, [n for n in all_notes if n.host == host.address], credentials)
        for check in host.negatives:
            result.negatives_hit += [
                (check, c) for c in mine if check.matches(c.place, c.text, c.plugin_id)
            ]
        result.false_positives = [
            c
            for c in mine
            if not any(w.matches(c.place, c.text, c.plugin_id) for w in host.weaknesses)
        ]
        _ports(result, [(place, name) for addr, place, name in seen if addr == host.address])
        if nmap is not None:
            ports = nmap.get(host.address, {})
            result.nmap_names = {
                place: normalise(ports[place].name, ports[place].tunnel)
                for place in host.ports
                if place in ports and ports[place].state == "open"
            }
        score.hosts.append(result)
    return score


def _recall(result: HostScore, claims: list[Claim], notes: list[Claim], credentials: bool) -> None:
    for check in result.truth.weaknesses:
        hits = [c for c in claims if check.matches(c.place, c.text, c.plugin_id)]
        if check.needs is not None and not credentials:
            result.credentialed.append((check, bool(hits)))
            continue
        if hits:
            result.found[check.id] = hits
            continue
        result.missed.append(check)
        if any(check.matches(n.place, n.text, n.plugin_id) for n in notes):
            result.notes_only.append(check)


def _ports(result: HostScore, seen: list[tuple[str, str | None]]) -> None:
    truth = result.truth
    names: dict[str, Counter[str]] = {}
    for place, name in seen:
        canonical = normalise(name)
        counter = names.setdefault(place, Counter())
        if canonical is not None:
            counter[canonical] += 1
    result.ports_found = [place for place in truth.ports if place in names]
    result.phantom_ports = sorted(place for place in names if place not in truth.ports)
    result.names = {
        place: (names[place].most_common(1)[0][0] if names[place] else None)
        for place in result.ports_found
    }
