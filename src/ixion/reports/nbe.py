"""NBE, the reference client's ``.nbe`` report: one ``|``-separated record a line (spec §9.3).

::

    timestamps||<host>|<kind>|<ctime>|
    results|<subnet>|<host>|<port>
    results|<subnet>|<host>|<port>|<plugin id>|<severity>|<text>

Lines follow the results' arrival order with no header; the file ends with a newline. The
``timestamps`` subnet field is always empty, also for host lines. Texts are backslash-escaped
(``\\`` ``\\n`` ``\\r``); ``|`` in a text is not escaped, so a reader splits a result line
into seven fields at most. The subnet is derived from the host and ignored when reading.

Choices where nessus 2.2.5 gives no answer:

* IPv6 (nessusd had none): the subnet is the ``/64`` prefix written as its first four
  groups, ``2001:db8:0:1`` for ``2001:db8:0:1::5``, as ``10.0.0`` is the ``/24`` of
  ``10.0.0.5``.
* A finding with no plugin id is written with id ``0``, nessusd's own "no plugin", and
  ``0`` (or an empty field) reads back as no id.
* OTP's log and debug findings (nessus had none) are written ``Log Message`` and
  ``Debug Message``, in the style of the three nessus words.
* ``HOST_INTERRUPTED`` is written as ``host_interrupted``: the reference client never got
  one, and its reader skips every ``timestamps`` line anyway.
* Rejected hosts (E002) are not written: NBE has no record for them.
"""

from __future__ import annotations

import ipaddress
import re
from typing import TYPE_CHECKING, Final, TypeVar

from ixion.reports.results import (
    Event,
    Finding,
    HostsRejected,
    OpenPort,
    ScanResults,
    Severity,
    Timestamp,
    TimestampKind,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

EventT = TypeVar("EventT", bound=Event)

__all__ = [
    "SEVERITY_WORDS",
    "TIMESTAMP_WORDS",
    "NbeError",
    "escape_text",
    "nbe_lines",
    "read_nbe",
    "subnet",
    "unescape_text",
    "write_nbe",
]

SEVERITY_WORDS: Final = {
    Severity.HOLE: "Security Hole",
    Severity.WARNING: "Security Warning",
    Severity.NOTE: "Security Note",
    Severity.LOG: "Log Message",
    Severity.DEBUG: "Debug Message",
}
_SEVERITIES_BY_WORD: Final = {word: severity for severity, word in SEVERITY_WORDS.items()}
TIMESTAMP_WORDS: Final = {
    TimestampKind.SCAN_START: "scan_start",
    TimestampKind.HOST_START: "host_start",
    TimestampKind.HOST_END: "host_end",
    TimestampKind.HOST_INTERRUPTED: "host_interrupted",
    TimestampKind.SCAN_END: "scan_end",
}
_TIMESTAMP_KINDS_BY_WORD: Final = {word: kind for kind, word in TIMESTAMP_WORDS.items()}

#: What nessusd writes for "no plugin" (spec §3.5).
_NO_PLUGIN: Final = "0"


class NbeError(ValueError):
    """An NBE file that cannot be read; ``line`` is the 1-based line number."""

    def __init__(self, line: int, problem: str) -> None:
        super().__init__(f"NBE line {line}: {problem}")
        self.line = line
        self.problem = problem


# --- subnets (spec §9.3) ---------------------------------------------------------------------

_OCTET: Final = r"(?:25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])"
_DOTTED_QUAD: Final = re.compile(rf"{_OCTET}(?:\.{_OCTET}){{3}}")
_MAC_STYLE: Final = re.compile(r"[0-9a-f]{2}(?:\.[0-9a-f]{2}){5}")


def subnet(host: str) -> str:
    """The subnet field for a host: where the reference client groups it (spec §9.3).

    Dotted IPv4: the first three octets. MAC-style (``aa.bb.cc.dd.ee.ff``): the first three
    groups, the vendor part (nessus 2.2.5 meant this but its check never matched, so its own
    files show such hosts as names). IPv6: the first four groups. A name with a dot:
    everything after the first dot. Any other name: itself.
    """
    if _DOTTED_QUAD.fullmatch(host):
        return host.rpartition(".")[0]
    if _MAC_STYLE.fullmatch(host):
        return host[:8]
    if ":" in host and (prefix := _ipv6_prefix(host)) is not None:
        return prefix
    _name, dot, domain = host.partition(".")
    return domain if dot else host


def _ipv6_prefix(host: str) -> str | None:
    """The first four groups of an IPv6 address, without leading zeros."""
    try:
        prefix = int(ipaddress.IPv6Address(host)) >> 64  # a zone (``%eth0``) is left out
    except ValueError:
        return None
    return ":".join(f"{(prefix >> shift) & 0xFFFF:x}" for shift in (48, 32, 16, 0))


# --- texts -----------------------------------------------------------------------------------

_UNESCAPES: Final = {"\\": "\\", "n": "\n", "r": "\r"}
_ESCAPE_RE: Final = re.compile(r"\\(.)", re.DOTALL)


def escape_text(text: str) -> str:
    """``\\`` → ``\\\\``, LF → ``\\n``, CR → ``\\r``; ``|`` stays as it is."""
    return text.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r")


def unescape_text(text: str) -> str:
    """Undo :func:`escape_text`; an unknown sequence such as ``\\t`` is kept as written."""
    return _ESCAPE_RE.sub(lambda m: _UNESCAPES.get(m.group(1), m.group(0)), text)


# --- writing ---------------------------------------------------------------------------------


def write_nbe(results: ScanResults) -> bytes:
    """The NBE file for these results.

    Raises:
        ValueError: a host, port, time or plugin id contains ``|``, which NBE cannot carry.
    """
    text = "".join(line + "\n" for line in nbe_lines(results))
    return text.encode("utf-8", "surrogateescape")


def nbe_lines(results: ScanResults) -> Iterator[str]:
    """One NBE line per event that NBE records, without line ends."""
    for event in results.events:
        line = _line(event)
        if line is not None:
            yield line


def _line(event: Event) -> str | None:
    match event:
        case Timestamp(kind=kind, when=when, host=host):
            fields = [_field(host or "", "host"), TIMESTAMP_WORDS[kind], _field(when, "time")]
            return "|".join(["timestamps", "", *fields, ""])
        case OpenPort(host=host, port=port):
            return "|".join(["results", *_place(host, port)])
        case Finding(host=host, port=port, severity=severity, text=text, plugin_id=plugin_id):
            plugin = _field(plugin_id or _NO_PLUGIN, "plugin id")
            words = [*_place(host, port), plugin, SEVERITY_WORDS[severity], escape_text(text)]
            return "|".join(["results", *words])
        case HostsRejected():
            return None


def _place(host: str, port: str) -> list[str]:
    """The subnet, host and port fields that start every ``results`` line."""
    return [subnet(_field(host, "host")), host, _field(port, "port")]


def _field(value: str, what: str) -> str:
    if "|" in value:
        raise ValueError(f"NBE cannot carry a {what} containing '|': {value!r}")
    return value


# --- reading (``-i``) ------------------------------------------------------------------------


def read_nbe(data: bytes) -> ScanResults:
    """Results from an NBE file, in file order.

    Blank lines are skipped and a CR before a line's LF is dropped (a file that went
    through a Windows editor); the writer never leaves a raw CR in a line.

    Raises:
        NbeError: a line is not a ``timestamps`` or ``results`` record of the right shape.
    """
    return ScanResults(events=tuple(parse_lines(data, _parse_line, NbeError)))


def _parse_line(line: str) -> Event:
    kind, _, rest = line.partition("|")
    if kind == "timestamps":
        return _parse_timestamp(rest)
    if kind == "results":
        return _parse_result(rest)
    raise ValueError(f"unknown record type {kind[:40]!r} (expected 'results' or 'timestamps')")


def _parse_timestamp(rest: str) -> Timestamp:
    if not rest.endswith("|"):
        raise ValueError("a timestamps line ends with '|'")
    fields = rest[:-1].split("|", 3)
    if len(fields) != 4:
        raise ValueError(f"a timestamps line has 4 fields after its type, not {len(fields)}")
    _subnet, host, word, when = fields
    kind = _TIMESTAMP_KINDS_BY_WORD.get(word)
    if kind is None:
        raise ValueError(f"unknown timestamp kind {word[:40]!r}")
    if kind.names_host and not host:
        raise ValueError(f"{word} names no host")
    if not kind.names_host and host:
        raise ValueError(f"{word} names a host ({host[:40]!r})")
    return Timestamp(kind=kind, when=when, host=host or None)


def _parse_result(rest: str) -> OpenPort | Finding:
    fields = rest.split("|", 5)
    if len(fields) == 3:
        _subnet, host, port = fields
        return OpenPort(host=host, port=port)
    if len(fields) != 6:
        raise ValueError(
            f"a results line has 3 fields after its type (open port) or 6 (finding), "
            f"not {len(fields)}"
        )
    _subnet, host, port, plugin_id, word, text = fields
    severity = _SEVERITIES_BY_WORD.get(word)
    if severity is None:
        raise ValueError(f"unknown severity {word[:40]!r}")
    plugin = None if plugin_id in ("", _NO_PLUGIN) else plugin_id
    return Finding(
        host=host, port=port, severity=severity, text=unescape_text(text), plugin_id=plugin
    )


def parse_lines(
    data: bytes,
    parse: Callable[[str], EventT],
    error: Callable[[int, str], Exception],
) -> list[EventT]:
    """Each non-blank line of ``data`` (a CR before its LF dropped, bytes that are not UTF-8
    kept as surrogate escapes) through ``parse``; its ValueError becomes ``error(line
    number, problem)``. The one way NBE and NSR files are read line by line."""
    events: list[EventT] = []
    for number, raw in enumerate(data.decode("utf-8", "surrogateescape").split("\n"), start=1):
        line = raw.removesuffix("\r")
        if not line:
            continue
        try:
            events.append(parse(line))
        except ValueError as exc:
            raise error(number, str(exc)) from None
    return events
