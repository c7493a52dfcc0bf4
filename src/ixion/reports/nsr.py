"""NSR, the reference client's oldest report: one ``|``-separated line per result (spec §9.4).

::

    <host>|<port>
    <host>|<port>|<plugin id>|<type>|<text>

The first shape is an open port, the second a finding, with ``<type>`` ``REPORT`` (hole),
``INFO`` (warning) or ``NOTE`` (note). NSR has no escaping: every LF in a text is written as
``;``, and a reader turns every ``;`` back into a LF, so a ``;`` of the text comes back as a
line break. A ``|`` in a text is written as it is (a reader splits a line into five fields
at most); CR is written raw too, as nessus 2.2.5 did, because only LF ends a line. Lines are
grouped by subnet (the one NBE derives, :func:`~ixion.reports.nbe.subnet`), subnets in
byte order; there is no header, no timestamps, and the file ends with a newline.

What a round trip (``read_nsr(write_nsr(r))``) keeps of a record ``r``:

* its open ports and findings, with host, port, severity and plugin id unchanged;
* their order within a subnet; subnets come back sorted;
* each text with every ``;`` turned into a LF, and a CR that ended it dropped (the reader
  takes a CR before a line's LF for a Windows line end, as :func:`~ixion.reports.nbe.read_nbe`
  does).

It loses timestamps, rejected hosts and the facts about plugins. Writing what was read gives
the same bytes again (``write_nsr(read_nsr(write_nsr(r))) == write_nsr(r)``) unless a text
ended with a CR.

Where this differs from, or goes beyond, what nessus 2.2.5 did:

* Within a subnet nessus wrote the newest line first, an accident of the lists its report
  backend built by prepending, so each conversion reversed the order again. Lines keep the
  results' order here, so that converting is stable; no NSR reader gives the order a meaning.
* OTP's log and debug findings (nessus had none) are written with their NBE words,
  ``Log Message`` and ``Debug Message``, which is what nessus would have written from such
  an NBE file: its writer copied a severity it did not know.
* A finding without a plugin is written with id ``0``, as in NBE, and ``0`` or an empty
  field reads back as no id.
* Reading is strict where nessus printed a warning and went on: a bad line is an
  :class:`NsrError`. It accepts what nessus' reader accepted: the NBE severity words in
  place of the NSR types, and ``<host>|<port>|`` (the open-port line of nessus' older
  writer).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from ixion.reports.nbe import SEVERITY_WORDS, parse_lines, subnet
from ixion.reports.results import Finding, OpenPort, ScanResults, Severity

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = ["NSR_TYPES", "NsrError", "nsr_lines", "read_nsr", "write_nsr"]

#: The type field of a finding line.
NSR_TYPES: Final = {
    Severity.HOLE: "REPORT",
    Severity.WARNING: "INFO",
    Severity.NOTE: "NOTE",
    Severity.LOG: SEVERITY_WORDS[Severity.LOG],
    Severity.DEBUG: SEVERITY_WORDS[Severity.DEBUG],
}
_SEVERITIES_BY_TYPE: Final = {
    **{word: severity for severity, word in SEVERITY_WORDS.items()},
    **{word: severity for severity, word in NSR_TYPES.items()},
}

#: What nessusd writes for "no plugin" (spec §3.5).
_NO_PLUGIN: Final = "0"


class NsrError(ValueError):
    """An NSR file that cannot be read; ``line`` is the 1-based line number."""

    def __init__(self, line: int, problem: str) -> None:
        super().__init__(f"NSR line {line}: {problem}")
        self.line = line
        self.problem = problem


# --- writing ---------------------------------------------------------------------------------


def write_nsr(results: ScanResults) -> bytes:
    """The NSR file for these results.

    Raises:
        ValueError: a host, port or plugin id contains ``|``, which NSR cannot carry; or
            (``UnicodeEncodeError``) a value holds a lone surrogate other than the ones that
            stand for bytes that were not UTF-8, as with :func:`~ixion.reports.nbe.write_nbe`.
    """
    text = "".join(line + "\n" for line in nsr_lines(results))
    return text.encode("utf-8", "surrogateescape")


def nsr_lines(results: ScanResults) -> Iterator[str]:
    """One NSR line per open port and finding, grouped by subnet, without line ends."""
    by_subnet: dict[str, list[OpenPort | Finding]] = {}
    for event in results.events:
        if isinstance(event, OpenPort | Finding):
            by_subnet.setdefault(subnet(event.host), []).append(event)
    # nessus sorted with strcmp(), which orders UTF-8 bytes; str order differs for the
    # surrogates that stand for bytes that were not UTF-8.
    for key in sorted(by_subnet, key=lambda s: s.encode("utf-8", "surrogateescape")):
        for event in by_subnet[key]:
            yield _line(event)


def _line(event: OpenPort | Finding) -> str:
    place = [_field(event.host, "host"), _field(event.port, "port")]
    if isinstance(event, OpenPort):
        return "|".join(place)
    plugin = _field(event.plugin_id or _NO_PLUGIN, "plugin id")
    return "|".join([*place, plugin, NSR_TYPES[event.severity], event.text.replace("\n", ";")])


def _field(value: str, what: str) -> str:
    if "|" in value:
        raise ValueError(f"NSR cannot carry a {what} containing '|': {value!r}")
    return value


# --- reading (``-i``) ------------------------------------------------------------------------


def read_nsr(data: bytes) -> ScanResults:
    """Results from an NSR file, in file order.

    Blank lines are skipped, a CR before a line's LF is dropped and a missing final newline
    is fine.

    Raises:
        NsrError: a line is not an open port or a finding of the right shape.
    """
    return ScanResults(events=tuple(parse_lines(data, _parse_line, NsrError)))


def _parse_line(line: str) -> OpenPort | Finding:
    fields = line.split("|", 4)
    if len(fields) == 2 or (len(fields) == 3 and not fields[2]):
        return OpenPort(host=fields[0], port=fields[1])
    if len(fields) != 5:
        raise ValueError(
            f"a line has 2 fields (open port) or 5 (finding), not {len(fields)}: {line[:60]!r}"
        )
    host, port, plugin_id, word, text = fields
    severity = _SEVERITIES_BY_TYPE.get(word)
    if severity is None:
        raise ValueError(f"unknown type {word[:40]!r} (expected REPORT, INFO or NOTE)")
    plugin = None if plugin_id in ("", _NO_PLUGIN) else plugin_id
    return Finding(
        host=host, port=port, severity=severity, text=text.replace(";", "\n"), plugin_id=plugin
    )
