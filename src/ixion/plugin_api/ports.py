"""The ``port_range`` preference (spec §5.2): the ports the port scanners probe.

Syntax: ``1-1024,8080,60000-`` (an open end is 1 or 65535), ``T:1-65535,U:1-1024`` (a ``T:``
or ``U:`` prefix sets the protocol of its item and those after it; before any prefix, TCP),
or ``default``, the TCP ports of a services database. Spaces around the punctuation are
tolerated. Anything else raises :class:`PortRangeError`, which the server answers with
``E001 - Invalid port range`` (§3.8), so its message is one short line.

A parsed value is two :class:`PortSet`: sorted, merged ``(low, high)`` spans, never a list of
ports, so ``1-65535`` is one pair and membership is a bisection.
"""

from __future__ import annotations

import bisect
import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final, TypeAlias

if TYPE_CHECKING:
    import os
    from collections.abc import Callable, Container, Iterable, Iterator

__all__ = [
    "MAX_PORT",
    "PORT_RANGE_WHEN_ABSENT",
    "PortRange",
    "PortRangeError",
    "PortSet",
    "Services",
    "Transport",
    "load_services",
    "parse_port_range",
    "parse_services",
    "port_counts_as_open",
    "system_services",
]

MAX_PORT: Final = 65535
#: What nessusd scans when ``port_range`` is absent (§5.2); not the same as ``default``.
PORT_RANGE_WHEN_ABSENT: Final = "1-15000"


class Transport(enum.StrEnum):
    """The protocol of a port, spelled as in KB keys (``Ports/tcp/22``)."""

    TCP = "tcp"
    UDP = "udp"


class PortRangeError(ValueError):
    """A ``port_range`` value that does not parse: the E001 error (§3.8)."""


Span: TypeAlias = tuple[int, int]
#: A services database: ``(port, transport) -> service name``.
Services: TypeAlias = Mapping[tuple[int, Transport], str]


def _check_span(low: int, high: int) -> None:
    for port in (low, high):
        if port < 1:
            raise PortRangeError(f"port {port} is not a port (they start at 1)")
        if port > MAX_PORT:
            raise PortRangeError(f"port {port} is above {MAX_PORT}")
    if high < low:
        raise PortRangeError(f"the range {low}-{high} goes backwards")


@dataclass(frozen=True, slots=True)
class PortSet:
    """The ports of one protocol: sorted, disjoint, non-adjacent inclusive spans."""

    spans: tuple[Span, ...] = ()

    def __post_init__(self) -> None:
        previous = -1
        for low, high in self.spans:
            _check_span(low, high)
            if low <= previous + 1:
                raise PortRangeError(f"span {low}-{high} meets the one before; merge with of()")
            previous = high

    @classmethod
    def of(cls, spans: Iterable[Span]) -> PortSet:
        """The ports these spans cover, in any order, overlapping or not."""
        merged: list[Span] = []
        for low, high in sorted(spans):
            _check_span(low, high)
            if merged and low <= merged[-1][1] + 1:
                merged[-1] = (merged[-1][0], max(high, merged[-1][1]))
            else:
                merged.append((low, high))
        return cls(tuple(merged))

    def __contains__(self, port: object) -> bool:
        if not isinstance(port, int):
            return False
        index = bisect.bisect_right(self.spans, port, key=lambda span: span[0]) - 1
        return index >= 0 and port <= self.spans[index][1]

    def __len__(self) -> int:
        return sum(high - low + 1 for low, high in self.spans)

    def __iter__(self) -> Iterator[int]:
        for low, high in self.spans:
            yield from range(low, high + 1)

    def __str__(self) -> str:
        return ",".join(str(low) if low == high else f"{low}-{high}" for low, high in self.spans)


@dataclass(frozen=True, slots=True, kw_only=True)
class PortRange:
    """A parsed ``port_range``: TCP ports for TCP scanners, UDP ports for UDP scanners.

    As a collection it holds ``(transport, port)`` pairs, TCP first, each in ascending order.
    """

    tcp: PortSet = PortSet()
    udp: PortSet = PortSet()

    def ports(self, transport: Transport) -> PortSet:
        return self.udp if transport == Transport.UDP else self.tcp

    def __contains__(self, item: object) -> bool:
        match item:
            case (Transport.TCP, port):
                return port in self.tcp
            case (Transport.UDP, port):
                return port in self.udp
        return False

    def __len__(self) -> int:
        return len(self.tcp) + len(self.udp)

    def __iter__(self) -> Iterator[tuple[Transport, int]]:
        for transport in Transport:
            for port in self.ports(transport):
                yield transport, port

    def __str__(self) -> str:
        """The preference text; :func:`parse_port_range` reads a non-empty one back as equal."""
        if not self.udp:
            return str(self.tcp)
        tcp = f"T:{self.tcp}," if self.tcp else ""
        return f"{tcp}U:{self.udp}"


# --- parsing ---------------------------------------------------------------------------------

#: ``T:`` or ``U:`` before an item; lowercase too, it costs nothing.
_PREFIX: Final = re.compile(r"([TtUu])\s*:\s*(.*)")
#: ``80``, ``1-1024``, ``60000-``, ``-100``, ``-`` (the last three with open ends).
_SPAN: Final = re.compile(r"([0-9]*)(?:\s*(-)\s*([0-9]*))?")
_TRANSPORTS: Final = {"t": Transport.TCP, "u": Transport.UDP}


def parse_port_range(
    text: str, *, services: Services | str | os.PathLike[str] | None = None
) -> PortRange:
    """Parse a ``port_range`` value (§5.2).

    Args:
        services: for ``default``, the services database, as a mapping or as the path of an
            /etc/services or nmap-services file (read only when ``text`` is ``default``).

    Raises:
        PortRangeError: the value does not parse, gives no port, or is ``default`` without
            a readable services database.
    """
    if text.strip() == "default":
        return PortRange(tcp=_default_ports(services))
    spans: dict[Transport, list[Span]] = {Transport.TCP: [], Transport.UDP: []}
    transport = Transport.TCP
    for piece in text.split(","):
        item = piece.strip()
        if match := _PREFIX.fullmatch(item):
            transport, item = _TRANSPORTS[match[1].lower()], match[2]
            if not item:
                raise PortRangeError(f"no port after {match[1]}:")
        if item:
            spans[transport].append(_span(item))
    port_range = PortRange(
        tcp=PortSet.of(spans[Transport.TCP]), udp=PortSet.of(spans[Transport.UDP])
    )
    if not port_range:
        raise PortRangeError("no port given")
    return port_range


def _span(item: str) -> Span:
    match = _SPAN.fullmatch(item)
    if match is None:
        if item == "default":
            raise PortRangeError("default cannot be combined with other ports")
        raise PortRangeError(f"{_shorten(item)!r} is not a port or a port range")
    low, dash, high = match.groups()
    first = _port(low) if low else 1
    last = (_port(high) if high else MAX_PORT) if dash else first
    _check_span(first, last)
    return first, last


def _port(digits: str) -> int:
    # Checked before int(): a 5000-digit "port" must be a short error, not a slow one.
    if len(digits.lstrip("0")) > len(str(MAX_PORT)):
        raise PortRangeError(f"port {_shorten(digits)} is above {MAX_PORT}")
    return int(digits)


def _shorten(text: str) -> str:
    """Enough of the user's text to recognise it in a one-line E001 message."""
    return text if len(text) <= 20 else text[:17] + "..."


def _default_ports(services: Services | str | os.PathLike[str] | None) -> PortSet:
    if services is None:
        raise PortRangeError("default needs a services database")
    if not isinstance(services, Mapping):
        try:
            services = load_services(services)
        except OSError as exc:
            raise PortRangeError(f"default: cannot read {services}: {exc.strerror}") from None
    ports = PortSet.of((port, port) for port, transport in services if transport == Transport.TCP)
    if not ports:
        raise PortRangeError("default: the services database lists no TCP port")
    return ports


def parse_services(text: str) -> dict[tuple[int, Transport], str]:
    """Read an /etc/services or nmap-services file: ``name port/protocol [anything]``.

    Comments, blank lines, lines that do not fit, protocols other than tcp and udp, and ports
    outside 1-65535 are skipped: this is system data, not something a user just typed. The
    first name for a port wins, as with getservbyport(3).
    """
    services: dict[tuple[int, Transport], str] = {}
    for line in text.splitlines():
        fields = line.partition("#")[0].split()
        if len(fields) < 2:
            continue
        number, _, protocol = fields[1].partition("/")
        if protocol not in ("tcp", "udp") or not (number.isascii() and number.isdigit()):
            continue
        if 1 <= (port := int(number)) <= MAX_PORT:
            services.setdefault((port, Transport(protocol)), fields[0])
    return services


def load_services(path: str | os.PathLike[str]) -> dict[tuple[int, Transport], str]:
    """:func:`parse_services` of a file. Raises OSError when it cannot be read."""
    return parse_services(Path(path).read_text(encoding="utf-8", errors="replace"))


#: The system's services database, where Debian's netbase puts it.
SYSTEM_SERVICES: Final = Path("/etc/services")
#: Used when the system has none (minimal containers): the well-known ports a scan of
#: ``default`` should at least cover, by their IANA service names.
_FALLBACK_SERVICES: Final = """
ftp-data 20/tcp
ftp 21/tcp
ssh 22/tcp
telnet 23/tcp
smtp 25/tcp
domain 53/tcp
domain 53/udp
http 80/tcp
pop3 110/tcp
sunrpc 111/tcp
imap 143/tcp
snmp 161/udp
ldap 389/tcp
https 443/tcp
microsoft-ds 445/tcp
submissions 465/tcp
submission 587/tcp
ldaps 636/tcp
imaps 993/tcp
pop3s 995/tcp
ms-sql-s 1433/tcp
nessus 1241/tcp
mysql 3306/tcp
ms-wbt-server 3389/tcp
postgresql 5432/tcp
x11 6000/tcp
http-alt 8080/tcp
"""


def system_services() -> dict[tuple[int, Transport], str]:
    """The system's services database, or a small built-in one if it has none."""
    try:
        services = load_services(SYSTEM_SERVICES)
    except OSError:
        services = {}
    return services or parse_services(_FALLBACK_SERVICES)


# --- the port state check (§6.4 item 4) --------------------------------------------------------


def port_counts_as_open(
    port: int,
    transport: Transport,
    *,
    host_scanned: bool,
    port_range: PortRange,
    unscanned_closed: bool,
    open_ports: Container[int] | Callable[[int], bool],
) -> bool:
    """Whether a plugin that requires ``port`` may run, as far as this port is concerned.

    Args:
        host_scanned: a port scanner ran for ``transport`` on this host (KB ``Host/scanned``
            for TCP, ``Host/udp_scanned`` for UDP).
        unscanned_closed: the ``unscanned_closed`` preference is ``yes``.
        open_ports: the ports the scanners found open (KB ``Ports/<transport>/<port>`` > 0),
            as a container or a predicate.
    """
    if not host_scanned:
        # Nobody looked, so nobody can say it is closed. nessusd lets unscanned_closed
        # overrule that for TCP only: an unscanned UDP host always counts as open.
        return transport == Transport.UDP or not unscanned_closed
    # nessusd 2.2.5 compared UDP ports with the T: part too, the only part its getpts read;
    # the U: part is what the UDP scanner scanned, so UDP ports are checked against it.
    if port not in port_range.ports(transport):
        return not unscanned_closed
    return open_ports(port) if callable(open_ports) else port in open_ports
