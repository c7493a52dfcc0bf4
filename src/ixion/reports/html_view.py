"""What the HTML report shows: the results record turned into the template's values.

Kept apart from the page itself (:mod:`ixion.reports.html_report`) so that the choices of
content are plain Python: which references may link, what family a finding is filed under,
and the orders the page can sort in. Sorting is decided here, not in the page's script: each
finding carries its position in every order (``ranks``), so the script only compares
numbers and never a report text.

Orders: hosts as the text report has them (IPv4 by address, then IPv6, then names), ports by
number with ``general`` last, severities most serious first, families by name with
``unknown`` (no plugin facts, or facts without a family) last. Ties fall back to arrival.
"""

from __future__ import annotations

import ipaddress
import re
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlsplit

from ixion.reports.details import finding_details, port_details
from ixion.reports.results import Finding, ScanResults, Severity

if TYPE_CHECKING:
    from collections.abc import Sequence

    from ixion.reports.results import PluginFacts

__all__ = [
    "LABELS",
    "RANKED",
    "SORT_KEYS",
    "UNKNOWN_FAMILY",
    "Bar",
    "FindingView",
    "HostView",
    "Reference",
    "bars",
    "finding_families",
    "finding_views",
    "host_views",
    "hosts_with_findings",
    "reference_link",
]

#: Most serious first: the order of the chart, the counts and the default sort.
RANKED: Final = (Severity.HOLE, Severity.WARNING, Severity.NOTE, Severity.LOG, Severity.DEBUG)
LABELS: Final = {
    Severity.HOLE: "Hole",
    Severity.WARNING: "Warning",
    Severity.NOTE: "Note",
    Severity.LOG: "Log",
    Severity.DEBUG: "Debug",
}
#: The family of a finding whose plugin the record has no family for.
UNKNOWN_FAMILY: Final = "unknown"
#: The orders the page's sort control offers and their names there; the page is written in
#: the first.
SORT_KEYS: Final = {
    "severity": "most serious first",
    "host": "host",
    "port": "port",
    "family": "family",
    "plugin": "plugin name",
    "arrival": "scan order",
}

_CVE_RE: Final = re.compile(r"CVE-[0-9]{4}-[0-9]{4,}")
_CVE_RECORD: Final = "https://www.cve.org/CVERecord?id="


@dataclass(frozen=True, slots=True)
class Reference:
    """A reference as shown: its text, and where it links to if it may link at all."""

    text: str
    url: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class FindingView:
    """A finding as the template shows it; ``ranks`` are its positions in each order."""

    severity: str
    label: str
    host: str
    host_index: int
    port: str
    plugin: str
    plugin_id: str | None
    family: str
    family_index: int
    description: str
    solution: str
    category: str
    references: tuple[Reference, ...]
    qod: int | None
    qod_type: str | None
    ranks: dict[str, int]


@dataclass(frozen=True, slots=True, kw_only=True)
class HostView:
    """A host that reported something: its open ports and its findings by severity."""

    host: str
    open_ports: tuple[str, ...]
    counts: tuple[int, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Bar:
    """One bar of the severity chart, in SVG user units."""

    severity: str
    label: str
    count: int
    y: int
    width: int


# --- the summary ------------------------------------------------------------------------------

#: The chart's geometry, in SVG user units: a row per severity, bars scaled to the largest.
_BAR_SPACE: Final = 300
_ROW_HEIGHT: Final = 28


def bars(counts: Sequence[int]) -> list[Bar]:
    """The chart's bars for the counts of :data:`RANKED`."""
    most = max(counts, default=0) or 1
    return [
        Bar(
            severity=severity.value,
            label=LABELS[severity],
            count=count,
            y=row * _ROW_HEIGHT,
            # A severity with findings gets a visible bar however small its share.
            width=max(2, round(_BAR_SPACE * count / most)) if count else 0,
        )
        for row, (severity, count) in enumerate(zip(RANKED, counts, strict=True))
    ]


def host_views(results: ScanResults) -> list[HostView]:
    """Every host that reported something, in host order."""
    ports: dict[str, dict[str, None]] = {h: {} for h in results.reporting_hosts}
    for open_port in results.open_ports:
        ports[open_port.host][open_port.port] = None
    found = Counter((f.host, f.severity) for f in results.findings)
    return [
        HostView(
            host=host,
            open_ports=tuple(sorted(ports[host], key=_port_order)),
            counts=tuple(found[host, severity] for severity in RANKED),
        )
        for host in sorted(ports, key=_host_order)
    ]


# --- the findings -----------------------------------------------------------------------------


def hosts_with_findings(results: ScanResults) -> list[str]:
    """The hosts a finding names, in host order: the choices of the page's host filter."""
    return sorted(dict.fromkeys(f.host for f in results.findings), key=_host_order)


def finding_families(results: ScanResults) -> list[str]:
    """The families of the findings' plugins, in order: the choices of the family filter."""
    named = {_family(results.plugin(f.plugin_id)) for f in results.findings}
    return sorted(named, key=_family_order)


def finding_views(
    results: ScanResults, hosts: Sequence[str], families: Sequence[str]
) -> list[FindingView]:
    """Every finding as the page shows it, in arrival order; ``hosts`` and ``families`` are
    the filters' choices, by whose positions the page names a finding's host and family."""
    findings = results.findings
    facts = [results.plugin(f.plugin_id) for f in findings]
    host_rank = {host: rank for rank, host in enumerate(hosts)}
    family_rank = {family: rank for rank, family in enumerate(families)}
    keys: dict[str, list[tuple[Any, ...]]] = {key: [] for key in SORT_KEYS}
    for arrival, (finding, plugin) in enumerate(zip(findings, facts, strict=True)):
        severity = RANKED.index(finding.severity)
        host = host_rank[finding.host]
        port = _port_order(finding.port)
        family = family_rank[_family(plugin)]
        name = _plugin_name(finding, plugin)
        keys["severity"].append((severity, host, port, arrival))
        keys["host"].append((host, severity, port, arrival))
        keys["port"].append((port, host, severity, arrival))
        keys["family"].append((family, severity, host, port, arrival))
        keys["plugin"].append((name.casefold(), finding.plugin_id or "", host, arrival))
        keys["arrival"].append((arrival,))
    ranks = {key: _ranks(values) for key, values in keys.items()}
    return [
        _finding_view(
            finding,
            plugin,
            host_index=host_rank[finding.host],
            family_index=family_rank[_family(plugin)],
            ranks={key: ranks[key][i] for key in SORT_KEYS},
        )
        for i, (finding, plugin) in enumerate(zip(findings, facts, strict=True))
    ]


def _finding_view(
    finding: Finding,
    plugin: PluginFacts | None,
    *,
    host_index: int,
    family_index: int,
    ranks: dict[str, int],
) -> FindingView:
    details = finding_details(finding.text)
    cves = [*details.cves, *(plugin.cve if plugin else ())]
    bids = [*details.bids, *(plugin.bid if plugin else ())]
    others = [*details.references, *(plugin.xrefs if plugin else ())]
    references = [
        *(Reference(cve, _CVE_RECORD + cve if _CVE_RE.fullmatch(cve) else None) for cve in cves),
        *(Reference(f"BID:{bid}") for bid in bids),
        *(Reference(text, reference_link(text)) for text in others),
    ]
    return FindingView(
        severity=finding.severity.value,
        label=LABELS[finding.severity],
        host=finding.host,
        host_index=host_index,
        port=finding.port,
        plugin=_plugin_name(finding, plugin),
        plugin_id=finding.plugin_id,
        family=_family(plugin),
        family_index=family_index,
        description=details.description,
        solution=plugin.solution if plugin else "",
        category=plugin.category if plugin else "",
        # The text and the plugin facts often name the same reference: once is enough.
        references=tuple(dict.fromkeys(references)),
        qod=details.qod,
        qod_type=details.qod_type,
        ranks=ranks,
    )


def reference_link(reference: str) -> str | None:
    """Where a ``NAME:value`` reference links to: its value, or the whole reference, when
    that is an http(s) URL; None for anything else (``javascript:`` included)."""
    kind, _, value = reference.partition(":")
    for candidate in (reference, value if kind.upper() == "URL" else ""):
        if _is_web_url(candidate):
            return candidate
    return None


def _is_web_url(text: str) -> bool:
    if not text or any(c.isspace() or not c.isprintable() for c in text):
        return False
    try:
        parts = urlsplit(text)
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


def _plugin_name(finding: Finding, plugin: PluginFacts | None) -> str:
    if plugin is not None:
        return plugin.name
    return "no plugin named" if finding.plugin_id is None else f"plugin {finding.plugin_id}"


def _family(plugin: PluginFacts | None) -> str:
    return plugin.family if plugin is not None and plugin.family else UNKNOWN_FAMILY


# --- orders -----------------------------------------------------------------------------------


def _ranks(keys: Sequence[tuple[Any, ...]]) -> list[int]:
    """Each key's position in the sorted keys."""
    order = sorted(range(len(keys)), key=keys.__getitem__)
    ranks = [0] * len(keys)
    for position, index in enumerate(order):
        ranks[index] = position
    return ranks


def _host_order(host: str) -> tuple[int, int, str]:
    """IPv4 by address, then IPv6 by address, then names, as the text report orders them."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return (2, 0, host)
    return (0 if address.version == 4 else 1, int(address), host)


def _port_order(port: str) -> tuple[int, int, str, str]:
    """Numbered ports by number, then ``general`` and fields without a number."""
    details = port_details(port)
    if details.number is not None and not details.general:
        return (0, details.number, details.protocol or "", port)
    return (1, 0, details.protocol or "", port)


def _family_order(family: str) -> tuple[bool, str, str]:
    return (family == UNKNOWN_FAMILY, family.casefold(), family)
