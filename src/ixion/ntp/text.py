"""Fields, escaping and text conversion shared by both directions.

NTP is a byte protocol with no quoting: fields are joined with the five bytes ``" <|> "`` and a
message ends at ``\\n``. Messages therefore hold ``str`` fields that must not contain either;
free texts (report texts, plugin descriptions) are escaped instead (spec §3.2, §3.5).

Bytes become ``str`` as UTF-8 with ``surrogateescape``, so any byte sequence survives a
decode/encode round trip unchanged, and text from modern peers reads naturally.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from ixion.ntp.errors import LocalProtocolError

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

__all__ = [
    "SEP",
    "check_field",
    "check_word",
    "decode_bytes",
    "encode_text",
    "escape_description",
    "escape_report_text",
    "join_fields",
    "report_text",
    "split_name_value",
    "unescape_description",
    "unescape_report_text",
]

SEP: Final = " <|> "
_BSEP: Final = b" <|> "
#: What a separator inside a free text becomes on the wire. nessusd sent it as is, which cut
#: the line into extra fields for every client (a "Fix" in the sense of spec §10).
_NEUTRAL_SEP: Final = b" <!> "


def decode_bytes(data: bytes) -> str:
    """Wire bytes to text, losslessly."""
    return data.decode("utf-8", "surrogateescape")


def encode_text(text: str) -> bytes:
    """Text to wire bytes; the inverse of :func:`decode_bytes`."""
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError as exc:
        raise LocalProtocolError(f"text cannot be encoded: {exc.reason}") from None


def check_field(what: str, value: str) -> None:
    """A field may hold anything but a line end or the field separator."""
    if "\n" in value:
        raise LocalProtocolError(f"{what} contains a newline: {value!r}")
    if SEP in value or value.startswith("<|> ") or value.endswith(" <|>"):
        raise LocalProtocolError(f"{what} contains the field separator: {value!r}")


def check_word(what: str, value: str) -> None:
    """A word is a non-empty field without whitespace (ids, hosts, versions)."""
    if not value or any(c.isspace() for c in value) or "<|>" in value:
        raise LocalProtocolError(f"{what} must be one non-empty word: {value!r}")


def join_fields(fields: Sequence[str]) -> str:
    return SEP.join(fields)


def split_name_value(line: str) -> tuple[str, str] | None:
    """Split a ``name <|> value`` body line (PREFERENCES, PREFERENCES_ERRORS).

    The name ends before the first separator and the value is everything after it, so a
    value may itself contain separators. ``name <|>`` (empty value, the trailing space lost)
    is accepted. A line with no separator carries nothing and gives ``None`` (nessusd
    ignores such lines, spec §5.3). Unlike nessusd, which split at the first ``<`` of the
    line, a name may contain ``<``.
    """
    index = line.find(SEP)
    if index >= 0:
        return line[:index], line[index + len(SEP) :]
    if line.endswith(" <|>"):
        return line[:-4], ""
    return None


# --- report texts (spec §3.5) ----------------------------------------------------------------

#: Every byte C's isprint() rejects becomes a space (spec §3.5 step 7).
_PRINTABLE: Final = bytes(c if 0x20 <= c <= 0x7E else 0x20 for c in range(256))


def report_text(
    body: str, *, cve: Iterable[str] = (), bid: Iterable[str] = (), xref: Iterable[str] = ()
) -> str:
    """The text of a HOLE/INFO/NOTE as nessusd builds it from a plugin's report.

    The plugin's text, a newline, then ``CVE : ...``, ``BID : ...`` and ``Other references :
    ...`` lines for the plugin's references (spec §3.5 steps 1-5); this is why every report
    text ends with a newline.
    """
    parts = [body, "\n"]
    for label, values in (("CVE", cve), ("BID", bid), ("Other references", xref)):
        joined = ", ".join(values)
        if joined:
            parts.append(f"{label} : {joined}\n")
    return "".join(parts)


def escape_report_text(text: str, *, backslash: bool) -> bytes:
    """Encode a report text for one line (spec §3.5 steps 6-7).

    With ``backslash`` (``ntp_escape_crlf``): ``\\`` → ``\\\\``, LF → ``\\n``, CR → ``\\r``.
    Without: LF and CR → ``;``. Then every non-printable byte becomes a space.
    """
    data = encode_text(text)
    if backslash:
        data = data.replace(b"\\", b"\\\\").replace(b"\n", b"\\n").replace(b"\r", b"\\r")
    else:
        data = data.replace(b"\n", b";").replace(b"\r", b";")
    return _neutralise(data.translate(_PRINTABLE))


def _neutralise(data: bytes) -> bytes:
    """Keep a free text from being read as several fields."""
    while _BSEP in data:  # one pass leaves the second of two overlapping `` <|> <|> ``
        data = data.replace(_BSEP, _NEUTRAL_SEP)
    if data.endswith(b" <|>"):
        data = data[:-4] + b" <!>"
    return data


def unescape_report_text(wire: str, *, backslash: bool) -> str:
    """Undo :func:`escape_report_text` as far as it can be undone.

    ``;`` mode is lossy: a ``;`` the plugin wrote comes back as a newline, exactly as the
    reference client shows it. An unknown backslash sequence is kept as it is.
    """
    if not backslash:
        return wire.replace(";", "\n")
    out: list[str] = []
    i = 0
    n = len(wire)
    while i < n:
        j = wire.find("\\", i)
        if j < 0 or j == n - 1:
            out.append(wire[i:])
            break
        out.append(wire[i:j])
        nxt = wire[j + 1]
        out.append(_UNESCAPES.get(nxt, "\\" + nxt))
        i = j + 2
    return "".join(out)


_UNESCAPES: Final = {"n": "\n", "r": "\r", "\\": "\\"}


# --- plugin descriptions (spec §3.2) ---------------------------------------------------------


def escape_description(text: str) -> str:
    """PLUGIN_LIST descriptions: every LF becomes ``;`` whatever the client asked for."""
    return decode_bytes(_neutralise(encode_text(text.replace("\n", ";"))))


def unescape_description(wire: str) -> str:
    """The reference client turns every ``;`` back into a line break; so do we."""
    return wire.replace(";", "\n")
