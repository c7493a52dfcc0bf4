"""A finding's text and port field taken apart, for reports that show the parts separately.

The server builds a finding's text as the plugin's own text, a newline, then lines it
appends (spec §3.5; ixion's ``report_text`` in the engine)::

    <plugin text>
    CVE : CVE-2001-0550, CVE-2002-0001
    BID : 3581
    Other references : OSVDB:123, URL:https://example.org/advisory
    Quality of detection: 80% (remote_banner)

Each appended line is there only when it has something to say, always in this order;
classic nessusd writes no QoD line. :func:`finding_details` reads them back from the end of
the text and leaves the rest as the description. It accepts any text at all: a text whose
tail does not have this shape is all description (less the server's final newline).

A plugin text whose own last line looks like an appended one (``CVE : ...``) cannot be told
apart from it; that line is then read as the server's, which is what a reader would assume.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from ixion.ntp import LocalProtocolError, PortRef

__all__ = ["FindingDetails", "PortDetails", "finding_details", "port_details"]

#: The appended lines, in the order the server writes them (spec §3.5 steps 3-5).
_CVE_PREFIX: Final = "CVE : "
_BID_PREFIX: Final = "BID : "
_XREF_PREFIX: Final = "Other references : "
_QOD_RE: Final = re.compile(r"Quality of detection: ([0-9]{1,3})%(?: \(([A-Za-z0-9_]+)\))?")
#: The separator of the server's lists (PLUGIN_LIST and report lines alike).
_LIST_SEPARATOR: Final = ", "


@dataclass(frozen=True, slots=True, kw_only=True)
class FindingDetails:
    """The parts of a finding's text."""

    #: The plugin's own text: the finding's text without the server's newline and lines.
    description: str
    cves: tuple[str, ...] = ()
    bids: tuple[str, ...] = ()
    #: The ``Other references`` entries, ``NAME:value`` each.
    references: tuple[str, ...] = ()
    #: The quality of detection, a percentage; None when the text has no QoD line.
    qod: int | None = None
    #: The kind of evidence (``remote_banner``...), when the QoD line names one.
    qod_type: str | None = None


def finding_details(text: str) -> FindingDetails:
    """The parts of a finding's text; a text without appended lines is all description.

    Only LF ends a line, so a plugin text keeps its own CRs (HTTP banners have CRLF); an
    appended line that ends with CR (a text that went through a CRLF conversion) is read
    all the same, and then the CR before it is not counted as the plugin's either.
    """
    lines = text.split("\n")
    # The server ends every text with a newline, so the last piece is empty; the lines
    # before it are the plugin's text and then the appended ones.
    if len(lines) < 2 or lines[-1]:
        return FindingDetails(description=text)
    body = lines[:-1]
    converted = False
    qod: int | None = None
    qod_type: str | None = None
    last = body[-1].removesuffix("\r")
    if len(body) > 1 and (match := _QOD_RE.fullmatch(last)) and int(match.group(1)) <= 100:
        qod, qod_type = int(match.group(1)), match.group(2)
        converted = body.pop().endswith("\r")
    found: dict[str, tuple[str, ...]] = {}
    # Backwards: references, then BIDs, then CVEs, each at most once. At least one line
    # stays: the server's newline always follows the plugin's text, even an empty one.
    for prefix in (_XREF_PREFIX, _BID_PREFIX, _CVE_PREFIX):
        line = body[-1].removesuffix("\r")
        if len(body) > 1 and line.startswith(prefix) and (entries := _entries(line, prefix)):
            found[prefix] = entries
            converted = body.pop().endswith("\r")
    description = "\n".join(body)
    return FindingDetails(
        # The newline after the plugin's text was the server's (spec §3.5 step 2).
        description=description.removesuffix("\r") if converted else description,
        cves=found.get(_CVE_PREFIX, ()),
        bids=found.get(_BID_PREFIX, ()),
        references=found.get(_XREF_PREFIX, ()),
        qod=qod,
        qod_type=qod_type,
    )


def _entries(line: str, prefix: str) -> tuple[str, ...]:
    """The entries of an appended list line, without surrounding blanks (servers write
    none); empty when there are none, and then it is not such a line."""
    return tuple(e for e in (e.strip() for e in line[len(prefix) :].split(_LIST_SEPARATOR)) if e)


@dataclass(frozen=True, slots=True, kw_only=True)
class PortDetails:
    """A port field taken apart: ``ssh (22/tcp)``, ``general/udp``, or text we cannot read.

    ``general`` marks a finding about the host as a whole (the port field
    ``general/<protocol>``); it has a protocol and no service or number. A field in neither
    form (NTP/1.0 carried bare numbers; other servers may say anything) has only ``text``,
    except that a bare number is read as one.
    """

    #: The field as the server wrote it.
    text: str
    #: The service name the server gave the port (``unknown`` when it had none).
    service: str | None = None
    number: int | None = None
    protocol: str | None = None
    general: bool = False


def port_details(text: str) -> PortDetails:
    """The parts of a port field (spec §3.5); never fails."""
    try:
        ref = PortRef.parse(text)
    except LocalProtocolError:
        if text.isascii() and text.isdigit() and len(text) <= 5 and int(text) <= 65535:
            return PortDetails(text=text, number=int(text))
        return PortDetails(text=text)
    if ref.is_general:
        return PortDetails(text=text, protocol=ref.protocol, general=True)
    return PortDetails(text=text, service=ref.service, number=ref.number, protocol=ref.protocol)
