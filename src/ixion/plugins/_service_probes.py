"""What service detection sends and what it recognises: a table, no I/O.

Each :class:`Probe` is bytes to send (written from the protocol's own specification) with
the rules that recognise an answer to it; :data:`GREETING_RULES` recognise what a service
says first, unasked, and apply to every answer too (a server greets before it answers).
:func:`plan` orders the probes for a port so that its usual service costs one round trip:
the probes made for that port first, then listening for a greeting, then the rest by how
common their service is. ``find_service`` does the talking.

Every service has two names (:class:`Kind`): the one the KB uses, as the feed's scripts do
(``Services/www``, ``Known/tcp/<port>`` = ``www``), and the one ``nmap -sV`` prints
(``http``; ``ssl/http`` through TLS), for people reading a report.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

__all__ = [
    "AMBIGUOUS",
    "GET",
    "GREETING_RULES",
    "KINDS",
    "LISTEN",
    "PROBES",
    "TLS",
    "TLS_HINT",
    "Kind",
    "Probe",
    "Rule",
    "complete",
    "http_head",
    "plan",
    "quote",
    "recognise",
]

#: :func:`recognise`'s answer for a ``220`` greeting that may be FTP's or SMTP's: ask.
AMBIGUOUS: Final = "ftp-or-smtp"
#: :func:`recognise`'s answer for what a TLS server says to clear text: try a handshake.
TLS_HINT: Final = "tls?"


@dataclass(frozen=True, slots=True)
class Kind:
    """A service ``find_service`` can name."""

    #: ``Services/<key>`` and ``Known/tcp/<port>``, the feed's name for it.
    key: str
    #: What ``nmap -sV`` calls it (without the ``ssl/`` of a TLS-wrapped port).
    nmap: str
    #: How a note names it: "A web server".
    label: str
    #: KB key prefix for its banner (``<banner>/<port>``), for the checks that read one.
    banner: str | None = None


KINDS: Final = {
    kind.key: kind
    for kind in (
        Kind("www", "http", "A web server", "www/banner"),
        Kind("ftp", "ftp", "An FTP server", "ftp/banner"),
        Kind("smtp", "smtp", "An SMTP server", "smtp/banner"),
        Kind("ssh", "ssh", "An SSH server", "SSH/banner"),
        Kind("pop3", "pop3", "A POP3 server", "pop3/banner"),
        Kind("imap", "imap", "An IMAP server", "imap/banner"),
        Kind("vnc", "vnc", "A VNC server", "vnc/banner"),
        Kind("mysql", "mysql", "A MySQL or MariaDB server"),
        Kind("redis", "redis", "A Redis server"),
        Kind("memcached", "memcached", "A Memcached server"),
        Kind("postgresql", "postgresql", "A PostgreSQL server"),
        Kind("ldap", "ldap", "An LDAP server"),
        Kind("ms-wbt-server", "ms-wbt-server", "A Remote Desktop (RDP) server"),
        Kind("cifs", "microsoft-ds", "An SMB server"),
        Kind("smb", "netbios-ssn", "A NetBIOS session service (SMB)"),
        Kind("domain", "domain", "A DNS server"),
    )
}

Matcher = Callable[[bytes], bool]


@dataclass(frozen=True, slots=True)
class Rule:
    """``data`` matching ``test`` shows ``result``: a :data:`KINDS` key, AMBIGUOUS or TLS_HINT."""

    result: str
    test: re.Pattern[bytes] | Matcher

    def matches(self, data: bytes) -> bool:
        if isinstance(self.test, re.Pattern):
            return self.test.match(data) is not None
        return self.test(data)


@dataclass(frozen=True, slots=True)
class Probe:
    """Something to send (``b""``: nothing, just listen; None: a TLS handshake)."""

    name: str
    payload: bytes | None
    #: Ports whose usual service answers this probe: it goes first there.
    ports: frozenset[int] = frozenset()
    rules: tuple[Rule, ...] = ()


def _rx(pattern: bytes, flags: int = 0) -> re.Pattern[bytes]:
    return re.compile(pattern, flags | re.DOTALL)


# --- greetings -------------------------------------------------------------------------------

_MAIL_WORDS: Final = re.compile(rb"SMTP|MAIL|POSTFIX|EXIM|SENDMAIL|QMAIL", re.IGNORECASE)
_FTP_WORDS: Final = re.compile(rb"FTP", re.IGNORECASE)
_LEAD: Final = rb"^[\r\n\0 ]*"


def _mail_or_ftp(result: str) -> Matcher:
    """A ``220`` greeting whose words say mail (``smtp``), FTP (``ftp``) or neither."""

    def test(data: bytes) -> bool:
        if re.match(_LEAD + rb"220[ -]", data) is None:
            return False
        mail, ftp = bool(_MAIL_WORDS.search(data)), bool(_FTP_WORDS.search(data))
        said = ("smtp" if mail else "ftp") if mail != ftp else AMBIGUOUS
        return said == result

    return test


def _mysql(data: bytes) -> bool:
    """A MySQL/MariaDB first packet: the handshake (protocol 10) or an error, sequence 0.

    Every packet is a 3-byte little-endian length, a sequence number, then the payload. The
    handshake starts with protocol version 10 and the server's version, NUL-ended; a server
    that refuses us at once ("Host ... is not allowed to connect", too many connections)
    sends an error packet instead: 0xFF, a 2-byte error code, its message.
    """
    if len(data) < 8 or data[3] != 0:
        return False
    length = int.from_bytes(data[:3], "little")
    if data[4] == 0x0A:
        return 30 <= length <= 1024 and re.match(rb"[\x20-\x7e]{1,64}\0", data[5:]) is not None
    if data[4] == 0xFF and 8 <= length <= 1024:
        code = int.from_bytes(data[5:7], "little")
        return 1000 <= code < 5000 and re.match(rb"#?[\x20-\x7e]{10}", data[7:]) is not None
    return False


GREETING_RULES: Final = (
    Rule("ssh", _rx(_LEAD + rb"SSH-\d")),
    Rule("www", _rx(_LEAD + rb"HTTP/(?:1\.[019]|2)\b")),
    Rule("pop3", _rx(_LEAD + rb"\+OK\b")),
    Rule("imap", _rx(_LEAD + rb"\* (?:OK|PREAUTH)\b", re.IGNORECASE)),
    Rule("smtp", _mail_or_ftp("smtp")),
    Rule("ftp", _mail_or_ftp("ftp")),
    Rule(AMBIGUOUS, _mail_or_ftp(AMBIGUOUS)),
    Rule("vnc", _rx(rb"^RFB \d{3}\.\d{3}\n")),
    Rule("mysql", _mysql),
    # Redis in protected mode refuses anyone from elsewhere as soon as they connect.
    Rule("redis", _rx(rb"^-DENIED Redis\b")),
    # A TLS record (alert or handshake, version 3.x): what a TLS server says to clear text.
    Rule(TLS_HINT, _rx(rb"^[\x15\x16]\x03[\x00-\x04]")),
)

# --- probes ----------------------------------------------------------------------------------

#: Listen for a greeting.
LISTEN: Final = Probe("null", b"")

#: A TLS handshake; then the same plan again inside it.
TLS: Final = Probe(
    "tls",
    None,
    ports=frozenset({443, 465, 563, 636, 989, 990, 992, 993, 994, 995, 3269, 5061, 5986, 6697}),
)

#: HTTP/1.0 without a Host header: any web server answers, even with a 400.
GET: Final = Probe(
    "get_http",
    b"GET / HTTP/1.0\r\n\r\n",
    ports=frozenset(
        {80, 443, 591, 631, 3000, 5000, 5985, 5986, 8000, 8008, 8080, 8081, 8443, 8888, 9090}
    ),
    rules=(
        # nginx and Apache answer clear HTTP on a TLS port with a 400 page that says so.
        Rule(TLS_HINT, _rx(rb"^HTTP/1\.[01] 400\b.*?\b(?:HTTPS|SSL|TLS)\b")),
        # Redis takes the request line for a GET command with the wrong arguments.
        Rule("redis", _rx(rb"^-(?:ERR (?:wrong number of arguments|unknown command)|NOAUTH)\b")),
    ),
)


def _postgres_startup() -> bytes:
    """A v3.0 StartupMessage (PostgreSQL protocol, "Message Formats"): length, 196608, user."""
    body = struct.pack(">I", 3 << 16) + b"user\0ixion\0\0"
    return struct.pack(">I", len(body) + 4) + body


#: The server answers a startup with an authentication request (``R``, length, method
#: 0-12) or an error (``E``, length, then fields: ``S`` severity, ``C`` SQLSTATE...).
POSTGRES: Final = Probe(
    "postgresql",
    _postgres_startup(),
    ports=frozenset({5432, 5433}),
    rules=(
        Rule("postgresql", _rx(rb"^R\0\0\0[\x08-\x7f]\0\0\0[\x00-\x0c]")),
        Rule("postgresql", _rx(rb"^E\0\0[\x00-\x7f].S[^\0]{1,40}\0(?:V[A-Z]+\0)?C[0-9A-Z]{5}\0")),
    ),
)

#: LDAPMessage (RFC 4511 §4.2) in BER: messageID 1, BindRequest [APPLICATION 0] with version
#: 3, an empty name and empty simple authentication: an anonymous bind.
LDAP: Final = Probe(
    "ldap",
    bytes.fromhex("30 0c 02 01 01 60 07 02 01 03 04 00 80 00"),
    ports=frozenset({389, 636, 3268, 3269}),
    rules=(
        # SEQUENCE (short or long length), messageID 1, BindResponse [APPLICATION 1].
        Rule("ldap", _rx(rb"^\x30(?:[\x00-\x7f]|\x81.|\x82..|\x83...|\x84....)\x02\x01\x01\x61")),
        # Notice of Disconnection: messageID 0, ExtendedResponse [APPLICATION 24].
        Rule("ldap", _rx(rb"^\x30(?:[\x00-\x7f]|\x81.|\x82..|\x84....)\x02\x01\x00\x78")),
    ),
)

#: TPKT (RFC 1006) carrying an X.224 Connection Request (ISO 8073, code 0xE0) with an RDP
#: Negotiation Request (MS-RDPBCGR 2.2.1.1.1) asking for TLS or CredSSP.
RDP: Final = Probe(
    "rdp",
    bytes.fromhex("03 00 00 13  0e e0 00 00 00 00 00  01 00 08 00 03 00 00 00"),
    ports=frozenset({3389}),
    # TPKT version 3, then an X.224 Connection Confirm (code 0xD0).
    rules=(Rule("ms-wbt-server", _rx(rb"^\x03\x00..[\x06-\xfe]\xd0")),),
)


def _smb2_negotiate() -> bytes:
    """An SMB2 NEGOTIATE request (MS-SMB2 2.2.1, 2.2.3) for dialects 2.0.2 to 3.0.2, framed
    for direct TCP (MS-SMB2 2.1: a zero byte and a 3-byte big-endian length)."""
    header = b"\xfeSMB" + struct.pack("<HHIHHIIQIIQ16s", 64, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, b"")
    dialects = (0x0202, 0x0210, 0x0300, 0x0302)
    body = struct.pack("<HHHHI16sQ", 36, len(dialects), 1, 0, 0, b"ixion-scanner-00", 0)
    message = header + body + struct.pack(f"<{len(dialects)}H", *dialects)
    return b"\0" + len(message).to_bytes(3, "big") + message


def _smb_reply(data: bytes) -> bool:
    """An SMB2 or SMB1 message flagged as a server's reply, after the 4-byte framing."""
    if len(data) < 24 or data[0] != 0:
        return False
    if data[4:8] == b"\xfeSMB":  # SMB2 Flags (header offset 16): SERVER_TO_REDIR
        return bool(data[20] & 0x01)
    if data[4:8] == b"\xffSMB":  # SMB1 Flags (header offset 9): REPLY
        return bool(data[13] & 0x80)
    return False


SMB: Final = Probe(
    "smb",
    _smb2_negotiate(),
    ports=frozenset({139, 445}),
    rules=(
        Rule("cifs", _smb_reply),
        # NetBIOS (RFC 1002 §4.3.4): a negative session response, as on port 139 when the
        # session request we skipped is wanted.
        Rule("smb", _rx(rb"^\x83\x00\x00\x01[\x80-\x8f]")),
    ),
)

_DNS_ID: Final = 0x6978


def _dns_query() -> bytes:
    """A DNS query (RFC 1035 §4.1) for the root's NS records, no recursion, with the 2-byte
    length TCP puts before each message (§4.2.2)."""
    message = struct.pack(">HHHHHH", _DNS_ID, 0, 1, 0, 0, 0) + b"\0" + struct.pack(">HH", 2, 1)
    return struct.pack(">H", len(message)) + message


def _dns_reply(data: bytes) -> bool:
    """A reply to our query: our ID, QR set, opcode QUERY, a length that covers a header."""
    if len(data) < 14 or int.from_bytes(data[:2], "big") < 12:
        return False
    return int.from_bytes(data[2:4], "big") == _DNS_ID and data[4] & 0xF8 == 0x80


DNS: Final = Probe("dns", _dns_query(), ports=frozenset({53}), rules=(Rule("domain", _dns_reply),))

#: Redis's inline command syntax: ``+PONG``, or an error that only Redis words so.
REDIS: Final = Probe(
    "redis",
    b"PING\r\n",
    ports=frozenset({6379, 6380, 26379}),
    rules=(Rule("redis", _rx(rb"^(?:\+PONG\r\n|-(?:NOAUTH|DENIED|WRONGPASS)\b)")),),
)

#: memcached's text protocol.
MEMCACHED: Final = Probe(
    "memcached",
    b"version\r\n",
    ports=frozenset({11211}),
    rules=(Rule("memcached", _rx(rb"^VERSION \d[\x21-\x7e]*\r\n")),),
)

#: Every probe, in the order they are tried on a port that is nobody's usual one: most
#: likely service first, and before a probe, those that the services it is for reject at
#: once (PostgreSQL hangs up on memcached's command, memcached waits out PostgreSQL's).
PROBES: Final = (GET, TLS, MEMCACHED, POSTGRES, REDIS, LDAP, RDP, SMB, DNS)
#: Among a port's own probes, TLS goes first: the others are then tried inside it.
_FIRST_AT_HOME: Final = (TLS, *(probe for probe in PROBES if probe is not TLS))


def plan(port: int, *, tls: bool) -> list[Probe]:
    """The probes for ``port`` (inside TLS when ``tls``), in the order to try them.

    A port with a usual service of its own starts with that service's probe; its answer
    also shows any greeting, so listening first would only cost time. Any other port starts
    by listening, since a speaking service names itself without our saying a word.
    """
    candidates = [probe for probe in _FIRST_AT_HOME if not (tls and probe is TLS)]
    home = [probe for probe in candidates if port in probe.ports]
    rest = [probe for probe in PROBES if probe in candidates and probe not in home]
    return home + rest if home else [LISTEN, *rest]


def recognise(data: bytes, probe: Probe) -> str | None:
    """What ``data``, an answer to ``probe``, shows: a :data:`KINDS` key, AMBIGUOUS,
    TLS_HINT, or None."""
    if not data:
        return None
    for rule in (*probe.rules, *GREETING_RULES):
        if rule.matches(data):
            return rule.result
    return None


_HTTP_400: Final = re.compile(rb"HTTP/1\.[01] 400\b")
#: Results whose answer is text that may still be arriving, line by line.
_TEXT: Final = frozenset({"ftp", "smtp", "pop3", "imap", "ssh", "vnc", AMBIGUOUS})


def http_head(data: bytes) -> bytes:
    """An HTTP answer's status line and headers, through the blank line (or all of it)."""
    for end in (b"\r\n\r\n", b"\n\n"):
        if (at := data.find(end)) >= 0:
            return data[: at + len(end)]
    return data


def complete(data: bytes, probe: Probe) -> bool:
    """Whether ``data`` is an answer whole enough to stop reading.

    An HTTP head is whole at its blank line, but a 400 page is read on to its end: it may
    explain that the port wants TLS. A greeting is whole at the end of its last line.
    """
    if data.startswith(b"HTTP/"):
        return http_head(data) != data and _HTTP_400.match(data) is None
    result = recognise(data, probe)
    if result is not None and result not in _TEXT:
        return True
    if not data.endswith(b"\n"):
        return False
    if (match := re.match(_LEAD + rb"(\d{3})-", data)) is None:
        return True
    last = data.rstrip(b"\r\n").rsplit(b"\n", 1)[-1].rstrip(b"\r")
    return last == match[1] or last.startswith(match[1] + b" ")


def quote(kind: str, data: bytes) -> bytes | None:
    """The part of an answer a note quotes as the service's banner, if any."""
    text = data.lstrip(b"\r\n\0 ")
    if kind in ("ssh", "vnc", "memcached"):
        # Only the first line: an SSH server may send its binary KEXINIT right after.
        return text.split(b"\n", 1)[0].rstrip(b"\r") + b"\n"
    if kind in ("ftp", "smtp", "pop3", "imap"):
        return text
    if kind == "mysql" and len(data) > 5:
        if data[4] == 0x0A:
            return data[5:].split(b"\0", 1)[0] + b"\n"
        message = data[7:]  # after the 4.1 protocol's "#" and 5-character SQLSTATE, if any
        return (message[6:] if message.startswith(b"#") else message) + b"\n"
    return None
