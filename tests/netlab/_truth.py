"""The ground truth (``ground_truth.toml``) as data: hosts, open ports, weaknesses, negatives.

The file's header documents the format. Loading checks it thoroughly (every regex compiles,
every place is ``proto/port`` of an open or closed port of the host, ids are unique), so a
typo fails loudly rather than silently scoring zero.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

__all__ = ["ANY", "DEFAULT_TRUTH", "Check", "HostTruth", "Truth", "load_truth", "parse_place"]

DEFAULT_TRUTH: Final = Path(__file__).with_name("ground_truth.toml")
#: A check's place meaning "any port of the host".
ANY: Final = "any"
_PLACE: Final = re.compile(r"(tcp|udp)/([0-9]{1,5})")


def parse_place(text: str) -> tuple[str, int]:
    """``"tcp/80"`` → ``("tcp", 80)``."""
    match = _PLACE.fullmatch(text)
    if match is None or not 0 < int(match.group(2)) < 65536:
        raise ValueError(f"bad place {text!r} (expected e.g. 'tcp/80')")
    return match.group(1), int(match.group(2))


@dataclass(frozen=True, slots=True)
class Check:
    """A weakness to find, or a negative control that must not be reported."""

    id: str
    places: tuple[str, ...]
    title: str
    pattern: re.Pattern[str]
    plugins: frozenset[str] = frozenset()
    needs: str | None = None

    def covers(self, place: str) -> bool:
        """Whether a finding at ``place`` (``tcp/80``, ``general/tcp``) is about this check."""
        return ANY in self.places or place in self.places

    def matches(self, place: str, text: str, plugin_id: str | None) -> bool:
        if not self.covers(place):
            return False
        return self.names_plugin(plugin_id) or self.pattern.search(text) is not None

    def names_plugin(self, plugin_id: str | None) -> bool:
        """``plugins`` holds feed OIDs; an NTP report carries the OID's last arc, nessusd's
        integer id (``1.3.6.1.4.1.25623.1.0.19782`` is ``19782``)."""
        if plugin_id is None:
            return False
        return any(p == plugin_id or p.rpartition(".")[2] == plugin_id for p in self.plugins)


@dataclass(frozen=True, slots=True)
class HostTruth:
    name: str
    address: str
    #: ``{"tcp/80": "http", ...}``: every port open on the lab network.
    ports: dict[str, str]
    closed: tuple[str, ...]
    weaknesses: tuple[Check, ...]
    negatives: tuple[Check, ...]

    def remote_weaknesses(self, credentials: bool = False) -> tuple[Check, ...]:
        """The weaknesses a scan is expected to find (with credentials: all of them)."""
        return tuple(w for w in self.weaknesses if credentials or w.needs is None)


@dataclass(frozen=True, slots=True)
class Truth:
    hosts: dict[str, HostTruth] = field(default_factory=dict)

    def by_address(self) -> dict[str, HostTruth]:
        return {host.address: host for host in self.hosts.values()}


def load_truth(path: Path = DEFAULT_TRUTH) -> Truth:
    """Read and check the ground truth.

    Raises:
        ValueError: the file is malformed (the message names the host and the entry).
    """
    raw = tomllib.loads(path.read_text())
    hosts: dict[str, HostTruth] = {}
    tables: dict[str, Any] = raw.get("hosts", {})
    for name, table in tables.items():
        try:
            hosts[name] = _host(name, table, tables)
        except (KeyError, TypeError, ValueError, re.error) as exc:
            raise ValueError(f"{path}: host {name}: {exc}") from exc
    return Truth(hosts)


def _host(name: str, table: dict[str, Any], tables: dict[str, Any]) -> HostTruth:
    ports = {place: str(service) for place, service in table["ports"].items()}
    closed = tuple(table.get("closed", ()))
    for place in (*ports, *closed):
        parse_place(place)
    known = set(ports) | set(closed)
    weaknesses = tuple(_check(entry, known) for entry in table.get("weaknesses", ()))
    negatives = [_check(entry, known) for entry in table.get("negatives", ())]
    if "mirror" in table:
        source = tables[table["mirror"]]
        negatives += [_check(entry, known) for entry in source.get("weaknesses", ())]
    ids = [check.id for check in (*weaknesses, *negatives)]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise ValueError(f"duplicate ids: {', '.join(duplicates)}")
    return HostTruth(
        name=name,
        address=str(table["address"]),
        ports=ports,
        closed=closed,
        weaknesses=weaknesses,
        negatives=tuple(negatives),
    )


def _check(entry: dict[str, Any], known: set[str]) -> Check:
    port = entry["port"]
    places = (port,) if isinstance(port, str) else tuple(port)
    for place in places:
        if place != ANY:
            parse_place(place)
            if place not in known:
                raise ValueError(f"{entry['id']}: {place} is neither open nor closed")
    return Check(
        id=str(entry["id"]),
        places=places,
        title=str(entry["title"]),
        pattern=re.compile(entry["match"], re.IGNORECASE),
        plugins=frozenset(entry.get("plugins", ())),
        needs=entry.get("needs"),
    )
