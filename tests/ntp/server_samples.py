"""Sample plugins, lines and reports from the transcripts, and drivers for server streams."""

from __future__ import annotations

import dataclasses

from ixion.ntp import server_messages as sm
from ixion.ntp.errors import RemoteProtocolError
from ixion.ntp.features import Features, Version
from ixion.ntp.messages import Message
from ixion.ntp.records import (
    Category,
    PluginRecord,
    PortRef,
)
from ixion.ntp.server_codec import encode_server_message
from ixion.ntp.server_decoder import ServerPhase, ServerStreamDecoder
from ixion.ntp.text import report_text
from tests.ntp.helpers import read_until_error, read_whole

PLUGIN_WORDS = frozenset(
    {"plugins_version", "plugins_cve_id", "plugins_bugtraq_id", "plugins_xrefs"}
)
#: What the reference nessus 2.2.5 client negotiates, before its PREFERENCES.
REFERENCE = Features(extensions=PLUGIN_WORDS | {"timestamps", "dependencies"})
#: ... and after them.
REFERENCE_SCAN = dataclasses.replace(
    REFERENCE, escape_crlf=True, accepts_notes=True, short_status=True, keep_alive=True
)
NTP_1_0 = Features(version=Version.NTP_1_0)
NTP_1_1 = Features(version=Version.NTP_1_1)
NTP_1_2 = Features()
OTP = Features(version=Version.OTP_1_0)

BANNER_CHECK = PluginRecord(
    id="90002",
    name="Peers HTTP banner check",
    category=Category.GATHER_INFO,
    copyright="Public domain test plugin",
    description="Reads the Server: banner of a web server.\n\nRisk factor : Low",
    summary="HTTP banner grabber",
    family="General",
    version="$Revision: 1.0 $",
    cve=("CVE-1999-0001",),
    bid=("1",),
)
TCP_SCANNER = PluginRecord(
    id="90001",
    name="Peers tiny TCP scanner",
    category=Category.SCANNER,
    copyright="Public domain test plugin",
    description="Connects to a few TCP ports on the target and reports the open ones.",
    summary="tiny connect() scanner",
    family="Port scanners",
    version="$Revision: 1.0 $",
)
OTP_BANNER_CHECK = dataclasses.replace(BANNER_CHECK, id="1.3.6.1.4.1.25623.1.0.90002")

#: The two plugin lines of the scripted md5 transcript (all four plugin-list words).
BANNER_CHECK_LINE = (
    "90002 <|> Peers HTTP banner check <|> infos <|> Public domain test plugin <|> Reads the"
    " Server: banner of a web server.;;Risk factor : Low <|> HTTP banner grabber <|> General"
    " <|> $Revision: 1.0 $ <|> CVE-1999-0001 <|> 1 <|> "
)
TCP_SCANNER_LINE = (
    "90001 <|> Peers tiny TCP scanner <|> scanner <|> Public domain test plugin <|> Connects to"
    " a few TCP ports on the target and reports the open ones. <|> tiny connect() scanner"
    " <|> Port scanners <|> $Revision: 1.0 $ <|>  <|>  <|> "
)
#: The same plugin for Net::Nessus (no words): the seven fixed fields.
BANNER_CHECK_SHORT_LINE = (
    "90002 <|> Peers HTTP banner check <|> infos <|> Public domain test plugin <|> Reads the"
    " Server: banner of a web server.;;Risk factor : Low <|> HTTP banner grabber <|> General"
)
#: openvassd 3.0.2's PLUGIN_INFO answer.
OTP_BANNER_CHECK_LINE = (
    "1.3.6.1.4.1.25623.1.0.90002 <|> Peers HTTP banner check <|> infos <|> Public domain test"
    " plugin <|> Reads the Server: banner of a web server.;;Risk factor : Low <|> HTTP banner"
    " grabber <|> General <|> $Revision: 1.0 $ <|> CVE-1999-0001 <|> 1 <|> NOXREF <|>"
    " NOSIGNKEYS <|> NOTAG"
)

HTTP_PORT = PortRef(service="blackice-icecap", number=8081)
BANNER_NOTE_TEXT = report_text(
    "The remote web server banner is :\nServer: SimpleHTTP/0.6 Python/3.11.7",
    cve=["CVE-1999-0001"],
    bid=["1"],
)
BANNER_NOTE = sm.Report(
    kind=sm.ReportKind.NOTE,
    host="127.0.0.1",
    port=HTTP_PORT,
    text=BANNER_NOTE_TEXT,
    plugin_id="90002",
)


def encode(msg: Message, features: Features = NTP_1_2) -> bytes:
    return encode_server_message(msg, features)


def decode(
    data: bytes, features: Features = NTP_1_2, *, start: ServerPhase = ServerPhase.MESSAGES
) -> list[Message]:
    """Every message of a whole server stream, without the final ConnectionClosed."""
    decoder = ServerStreamDecoder(features, start=start)
    messages = read_whole(decoder, data)
    assert decoder.offset == len(data)
    return messages


def decode_one(line: bytes, features: Features = NTP_1_2) -> Message:
    messages = decode(line, features)
    assert len(messages) == 1
    return messages[0]


def decode_error(
    data: bytes,
    features: Features = NTP_1_2,
    *,
    eof: bool = True,
    start: ServerPhase = ServerPhase.MESSAGES,
) -> RemoteProtocolError:
    return read_until_error(ServerStreamDecoder(features, start=start), data, eof=eof)
