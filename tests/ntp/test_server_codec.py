"""A server's bytes: nessusd 2.2.5's encoding to the byte, and how a server stream is read
(spec §1.4, §1.5, §2.2, §2.4, §3, §4.1, §10, §11)."""

from __future__ import annotations

import dataclasses

import pytest

from ixion.ntp import client_messages as cm
from ixion.ntp import server_codec
from ixion.ntp import server_messages as sm
from ixion.ntp.decoder import NEED_DATA
from ixion.ntp.errors import LimitExceeded, LocalProtocolError, RemoteProtocolError
from ixion.ntp.features import Features, Version
from ixion.ntp.limits import MAX_SERVER_BLOCK_LINES, MAX_SERVER_LINE, MAX_VERSION_REPLY_LINE
from ixion.ntp.messages import ConnectionClosed, Message, Preferences, Rules, Unrecognized
from ixion.ntp.records import (
    Category,
    Certificate,
    Dependency,
    Md5Entry,
    PluginRecord,
    PortRef,
    SessionEntry,
)
from ixion.ntp.server_codec import (
    ServerPhase,
    ServerStreamDecoder,
    encode_server_message,
    parse_plugin_line,
    plugin_line,
)
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


# --- login (spec §1.4, §1.5) -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("msg", "wire"),
    [
        (sm.VersionReply(version=Version.NTP_1_2), b"< NTP/1.2 >\n"),
        (sm.VersionReply(version=Version.OTP_1_0), b"< OTP/1.0 >\n"),
        (sm.UserPrompt(), b"User : "),
        (sm.PasswordPrompt(), b"Password : "),
        (sm.BadLogin(), b"Bad login attempt !\n"),
    ],
)
def test_login_messages_are_written_byte_for_byte(msg: Message, wire: bytes) -> None:
    assert encode(msg) == wire


def test_a_login_with_coalesced_prompts_is_read() -> None:
    # The ntp10 transcript: the reply and the user prompt arrived in one recv().
    data = b"< NTP/1.0 >\nUser : Password : SERVER <|> PLUGIN_LIST <|>\n<|> SERVER\n"
    decoder = ServerStreamDecoder(NTP_1_2)
    decoder.receive_data(data)
    assert decoder.next_message() == sm.VersionReply(version=Version.NTP_1_0)
    assert decoder.features.version is Version.NTP_1_0
    assert decoder.next_message() == sm.UserPrompt()
    assert decoder.next_message() == sm.PasswordPrompt()
    assert decoder.next_message() == sm.PluginList()
    assert decoder.next_message() is NEED_DATA


def test_prompts_without_newline_are_read_as_they_arrive() -> None:
    decoder = ServerStreamDecoder(NTP_1_2)
    decoder.receive_data(b"< NTP/1.2 >\nUser ")
    assert decoder.next_message() == sm.VersionReply(version=Version.NTP_1_2)
    assert decoder.next_message() is NEED_DATA
    decoder.receive_data(b": ")
    assert decoder.next_message() == sm.UserPrompt()
    decoder.receive_data(b"Password : Bad login attempt !\n")
    assert decoder.next_message() == sm.PasswordPrompt()
    assert decoder.next_message() == sm.BadLogin()
    decoder.receive_data(b"")
    assert decoder.next_message() == ConnectionClosed()


def test_an_unexpected_version_reply_is_an_error() -> None:
    error = decode_error(b"< NTP/1.2 >< is_proxy >\n", start=ServerPhase.VERSION)
    assert str(error) == "not a version reply: '< NTP/1.2 >< is_proxy >' (at byte 0)"


def test_a_version_reply_line_has_a_limit() -> None:
    error = decode_error(b"<" * (MAX_VERSION_REPLY_LINE + 1), eof=False, start=ServerPhase.VERSION)
    assert type(error) is LimitExceeded
    assert str(error) == f"version reply longer than {MAX_VERSION_REPLY_LINE} bytes (at byte 0)"


def test_a_wrong_prompt_is_an_error() -> None:
    error = decode_error(b"< NTP/1.2 >\nLogin : ", start=ServerPhase.VERSION)
    assert str(error) == "expected b'User : ', got b'Login :' (at byte 12)"


def test_a_prompt_cut_by_the_end_of_the_stream_is_an_error() -> None:
    error = decode_error(b"< NTP/1.2 >\nUser : Pass", start=ServerPhase.VERSION)
    assert str(error) == "connection closed in the middle of login prompt (at byte 19)"


@pytest.mark.parametrize(
    "data", [b"", b"< NTP/1.2 >\n", b"< NTP/1.2 >\nUser : ", b"< NTP/1.2 >\nUser : Password : "]
)
def test_a_server_closing_during_the_login_is_just_closed(data: bytes) -> None:
    decoder = ServerStreamDecoder(NTP_1_2)
    decoder.receive_data(data)
    decoder.receive_data(b"")
    while (msg := decoder.next_message()) != ConnectionClosed():
        assert msg is not NEED_DATA
    assert decoder.next_message() == ConnectionClosed()
    assert decoder.offset == len(data)


def test_a_closed_stream_stays_closed_after_the_login() -> None:
    decoder = ServerStreamDecoder(NTP_1_2, start=ServerPhase.MESSAGES)
    decoder.receive_data(b"SERVER <|> BYE <|> BYE <|> SERVER\n")
    decoder.receive_data(b"")
    assert decoder.next_message() == sm.Bye()
    assert decoder.next_message() == ConnectionClosed()
    assert decoder.next_message() == ConnectionClosed()


# --- plugin lines (spec §3.2) ----------------------------------------------------------------


def test_a_plugin_line_carries_all_four_optional_fields_when_asked() -> None:
    features = Features(extensions=PLUGIN_WORDS)
    assert plugin_line(BANNER_CHECK, features) == BANNER_CHECK_LINE
    assert plugin_line(TCP_SCANNER, features) == TCP_SCANNER_LINE


def test_a_plugin_line_without_words_has_the_seven_fixed_fields() -> None:
    assert plugin_line(BANNER_CHECK, NTP_1_1) == BANNER_CHECK_SHORT_LINE


def test_bid_without_cve_takes_the_eighth_field() -> None:
    features = Features(extensions=frozenset({"plugins_bugtraq_id"}))
    assert plugin_line(BANNER_CHECK, features) == BANNER_CHECK_SHORT_LINE + " <|> 1"


def test_the_optional_fields_keep_their_fixed_order() -> None:
    plugin = dataclasses.replace(BANNER_CHECK, xref=("OSVDB:123", "IAVA:2003-A-0001"))
    features = Features(extensions=frozenset({"plugins_xrefs", "plugins_version"}))
    assert plugin_line(plugin, features) == (
        BANNER_CHECK_SHORT_LINE + " <|> $Revision: 1.0 $ <|> OSVDB:123, IAVA:2003-A-0001"
    )


def test_otp_writes_every_optional_field_and_no_words_for_empty_ones() -> None:
    assert plugin_line(OTP_BANNER_CHECK, OTP) == OTP_BANNER_CHECK_LINE
    signed = dataclasses.replace(
        OTP_BANNER_CHECK, sign_keys="ABCD", tags="cvss_base=5.0|risk=Medium"
    )
    assert plugin_line(signed, OTP).endswith(" <|> NOXREF <|> ABCD <|> cvss_base=5.0|risk=Medium")


def test_otp_writes_its_words_for_every_empty_reference_list() -> None:
    plugin = dataclasses.replace(TCP_SCANNER, id="1.3.6.1.4.1.25623.1.0.90001")
    line = (
        "1.3.6.1.4.1.25623.1.0.90001 <|> Peers tiny TCP scanner <|> scanner <|> Public domain"
        " test plugin <|> Connects to a few TCP ports on the target and reports the open ones."
        " <|> tiny connect() scanner <|> Port scanners <|> $Revision: 1.0 $ <|> NOCVE <|> NOBID"
        " <|> NOXREF <|> NOSIGNKEYS <|> NOTAG"
    )
    assert plugin_line(plugin, OTP) == line
    assert parse_plugin_line(line, OTP) == plugin


def test_ntp_sends_empty_fields_where_otp_sends_words() -> None:
    assert plugin_line(TCP_SCANNER, Features(extensions=PLUGIN_WORDS)).endswith(
        " <|> $Revision: 1.0 $ <|>  <|>  <|> "
    )


def test_a_plugin_line_reads_back_with_the_same_words() -> None:
    features = Features(extensions=PLUGIN_WORDS)
    assert parse_plugin_line(BANNER_CHECK_LINE, features) == BANNER_CHECK
    assert parse_plugin_line(TCP_SCANNER_LINE, features) == TCP_SCANNER


def test_an_otp_plugin_line_reads_its_empty_words_as_empty_fields() -> None:
    assert parse_plugin_line(OTP_BANNER_CHECK_LINE, OTP) == OTP_BANNER_CHECK


def test_a_plugin_line_without_optional_fields_reads_the_defaults() -> None:
    plugin = parse_plugin_line(BANNER_CHECK_SHORT_LINE, NTP_1_0)
    assert plugin == dataclasses.replace(BANNER_CHECK, version="?", cve=(), bid=())


def test_a_plugin_line_with_the_wrong_field_count_is_refused() -> None:
    with pytest.raises(LocalProtocolError) as caught:
        parse_plugin_line(BANNER_CHECK_LINE, NTP_1_2)
    assert caught.value.message.startswith("plugin line has 11 fields, expected 7: '90002 <|> ")


def test_a_plugin_line_with_an_unknown_category_is_refused() -> None:
    line = BANNER_CHECK_SHORT_LINE.replace(" infos ", " ACT_GATHER_INFO ")
    with pytest.raises(LocalProtocolError, match="unknown plugin category 'ACT_GATHER_INFO'"):
        parse_plugin_line(line, NTP_1_2)


def test_a_plugin_description_neutralises_separators() -> None:
    plugin = dataclasses.replace(TCP_SCANNER, description="a <|> b\nc")
    line = plugin_line(plugin, NTP_1_1)
    assert " <|> a <!> b;c <|> " in line
    assert parse_plugin_line(line, NTP_1_1).description == "a <!> b\nc"


# --- what the server offers (spec §2.2, §3.2, §3.3, §3.7, §4.1) ------------------------------


def test_the_plugin_list_is_written_as_in_the_md5_transcript() -> None:
    msg = sm.PluginList(plugins=(BANNER_CHECK, TCP_SCANNER))
    assert (
        encode(msg, Features(extensions=PLUGIN_WORDS))
        == (
            f"SERVER <|> PLUGIN_LIST <|>\n{BANNER_CHECK_LINE}\n{TCP_SCANNER_LINE}\n<|> SERVER\n"
        ).encode()
    )


def test_the_plugin_list_header_is_exactly_27_bytes() -> None:
    assert encode(sm.PluginList(), NTP_1_0) == b"SERVER <|> PLUGIN_LIST <|>\n<|> SERVER\n"
    assert len(b"SERVER <|> PLUGIN_LIST <|>\n") == 27


def test_plugin_info_is_one_bare_plugin_line() -> None:
    assert (
        encode(sm.PluginInfoReply(plugin=OTP_BANNER_CHECK), OTP)
        == (OTP_BANNER_CHECK_LINE + "\n").encode()
    )


def test_server_preferences_are_a_block_with_a_trailing_separator_header() -> None:
    prefs = Preferences(items=(("max_hosts", "30"), ("Services[file]:SSL certificate :", "")))
    assert encode(prefs) == (
        b"SERVER <|> PREFERENCES <|>\nmax_hosts <|> 30\nServices[file]:SSL certificate : <|> \n"
        b"<|> SERVER\n"
    )


def test_server_rules_are_an_empty_block() -> None:
    assert encode(Rules()) == b"SERVER <|> RULES <|>\n<|> SERVER\n"
    assert encode(Rules(rules=("reject 10.0.0.1",))) == (
        b"SERVER <|> RULES <|>\nreject 10.0.0.1\n<|> SERVER\n"
    )


@pytest.mark.parametrize(("msg", "verb"), [(Preferences(), "PREFERENCES"), (Rules(), "RULES")])
def test_ntp_1_0_has_no_server_blocks_after_the_plugin_list(msg: Message, verb: str) -> None:
    with pytest.raises(LocalProtocolError) as caught:
        encode(msg, NTP_1_0)
    assert caught.value.message == f"NTP/1.0 has no {verb} message"


def test_preferences_errors_are_always_exactly_two_lines_when_empty() -> None:
    assert encode(sm.PreferencesErrors()) == b"SERVER <|> PREFERENCES_ERRORS <|>\n<|> SERVER\n"
    assert encode(sm.PreferencesErrors(items=(("max_hosts", "abc"),))) == (
        b"SERVER <|> PREFERENCES_ERRORS <|>\nmax_hosts <|> abc\n<|> SERVER\n"
    )


def test_plugins_dependencies_end_every_name_with_a_separator() -> None:
    # The OTP scan transcript.
    msg = sm.PluginsDependencies(
        entries=(
            Dependency(name="SYN Scan"),
            Dependency(name="Peers HTTP banner check", dependencies=("Peers tiny TCP scanner",)),
            Dependency(name="OpenVAS TCP scanner"),
        )
    )
    assert encode(msg, OTP) == (
        b"SERVER <|> PLUGINS_DEPENDENCIES\nSYN Scan <|> \n"
        b"Peers HTTP banner check <|> Peers tiny TCP scanner <|> \nOpenVAS TCP scanner <|> \n"
        b"<|> SERVER\n"
    )
    assert encode(sm.PluginsDependencies(), REFERENCE) == (
        b"SERVER <|> PLUGINS_DEPENDENCIES\n<|> SERVER\n"
    )


def test_plugins_dependencies_are_not_sent_without_the_word() -> None:
    msg = sm.PluginsDependencies(entries=(Dependency(name="SYN Scan"),))
    assert encode(msg, NTP_1_2) == b""


def test_the_short_plugins_md5_is_one_line() -> None:
    assert encode(sm.PluginsMd5(md5="ed674be6ce9eccb6ecda8ef78d3ab0ab")) == (
        b"SERVER <|> PLUGINS_MD5 <|> ed674be6ce9eccb6ecda8ef78d3ab0ab <|> SERVER\n"
    )


def test_the_detailed_plugins_md5_has_a_header_without_separator() -> None:
    msg = sm.PluginsMd5List(
        entries=(
            Md5Entry(key="peers_tcp_scan.nasl", md5="0dd1e0f504f0724624afecc5139065c3"),
            Md5Entry(key="peers_banner.nasl", md5="6b8fde3efb82d9d6786c892a02a2f194"),
        )
    )
    assert encode(msg) == (
        b"SERVER <|> PLUGINS_MD5\npeers_tcp_scan.nasl <|> 0dd1e0f504f0724624afecc5139065c3\n"
        b"peers_banner.nasl <|> 6b8fde3efb82d9d6786c892a02a2f194\n<|> SERVER\n"
    )


def test_plugins_order_joins_ids_with_semicolons() -> None:
    assert encode(sm.PluginsOrder(ids=("4", "8", "1", "5"))) == (
        b"SERVER <|> PLUGINS_ORDER <|> 4;8;1;5 <|> SERVER\n"
    )


@pytest.mark.parametrize(
    ("msg", "wire"),
    [
        (sm.FileAccepted(), b"SERVER <|> FILE_ACCEPTED <|> SERVER\n"),
        (sm.PluginAccepted(), b"SERVER <|> PLUGIN_ACCEPTED <|> SERVER\n"),
        (sm.PluginDenied(), b"SERVER <|> PLUGIN_DENIED <|> SERVER\n"),
        (sm.NessusVersion(version="2.2.5"), b"SERVER <|> NESSUS_VERSION <|> 2.2.5 <|> SERVER\n"),
        (sm.OpenvasVersion(version="3.0.2"), b"SERVER <|> OPENVAS_VERSION <|> 3.0.2 <|> SERVER\n"),
        (sm.Finished(host="127.0.0.1"), b"SERVER <|> FINISHED <|> 127.0.0.1 <|> SERVER\n"),
        (sm.Bye(), b"SERVER <|> BYE <|> BYE <|> SERVER\n"),
        (
            sm.Error(text="E001 - Invalid port range"),
            b"SERVER <|> ERROR <|> E001 - Invalid port range <|> SERVER\n",
        ),
        (Unrecognized(line="SERVER <|> PING <|> SERVER"), b"SERVER <|> PING <|> SERVER\n"),
    ],
)
def test_single_line_replies_are_written_byte_for_byte(msg: Message, wire: bytes) -> None:
    assert encode(msg) == wire


def test_sessions_lists_have_headers_without_separator() -> None:
    sessions = (SessionEntry(id="20261124-184846", targets="127.0.0.1"),)
    assert encode(sm.SessionsList(sessions=sessions)) == (
        b"SERVER <|> SESSIONS_LIST\n20261124-184846 127.0.0.1\n<|> SERVER\n"
    )
    detached = (SessionEntry(id="3598", targets="127.0.0.1"),)
    assert encode(sm.DetachedSessionsList(sessions=detached)) == (
        b"SERVER <|> DETACHED_SESSIONS_LIST\n3598 127.0.0.1\n<|> SERVER\n"
    )
    assert encode(sm.SessionsList()) == b"SERVER <|> SESSIONS_LIST\n<|> SERVER\n"


def test_otp_certificates_write_their_keys_on_one_line() -> None:
    msg = sm.Certificates(
        certificates=(
            Certificate(
                fingerprint="a1b2",
                owner="OpenVAS Transfer Integrity",
                trusted=True,
                key_length=1024,
                public_key="-----BEGIN PUBLIC KEY-----\nMIGf\n-----END PUBLIC KEY-----",
            ),
            Certificate(fingerprint="c3", owner="x", trusted=False, key_length=0, public_key=""),
        )
    )
    assert encode(msg, OTP) == (
        b"SERVER <|> CERTIFICATES\n"
        b"a1b2 <|> OpenVAS Transfer Integrity <|> trusted <|> 1024 <|>"
        b" -----BEGIN PUBLIC KEY-----;MIGf;-----END PUBLIC KEY-----\n"
        b"c3 <|> x <|> notrust <|> 0 <|> \n<|> SERVER\n"
    )


# --- scan messages (spec §3.4-§3.8) ----------------------------------------------------------


def test_time_lines_are_written_only_with_the_timestamps_word() -> None:
    start = sm.Time(kind=sm.TimeKind.SCAN_START, when="Sun Nov  6 10:15:30 2005")
    host = sm.Time(kind=sm.TimeKind.HOST_START, host="10.0.0.5", when="Sun Nov  6 10:15:31 2005")
    assert encode(start, REFERENCE) == (
        b"SERVER <|> TIME <|> SCAN_START <|> Sun Nov  6 10:15:30 2005 <|> SERVER\n"
    )
    assert encode(host, REFERENCE) == (
        b"SERVER <|> TIME <|> HOST_START <|> 10.0.0.5 <|> Sun Nov  6 10:15:31 2005 <|> SERVER\n"
    )
    assert encode(start, NTP_1_2) == b""
    assert encode(host, OTP) == (
        b"SERVER <|> TIME <|> HOST_START <|> 10.0.0.5 <|> Sun Nov  6 10:15:31 2005 <|> SERVER\n"
    )


def test_status_has_a_long_form_a_short_form_and_an_ntp_1_0_form() -> None:
    attack = sm.Status(host="127.0.0.1", action=sm.StatusAction.ATTACK, current=3, total=2)
    portscan = sm.Status(host="127.0.0.1", action=sm.StatusAction.PORTSCAN, current=1, total=1)
    assert encode(attack) == b"SERVER <|> STATUS <|> 127.0.0.1 <|> attack <|> 3/2 <|> SERVER\n"
    assert encode(portscan) == (
        b"SERVER <|> STATUS <|> 127.0.0.1 <|> portscan <|> 1/1 <|> SERVER\n"
    )
    short = dataclasses.replace(NTP_1_2, short_status=True)
    assert encode(attack, short) == b"s:a:127.0.0.1:3:2\n"
    assert encode(portscan, short) == b"s:p:127.0.0.1:1:1\n"
    assert encode(attack, NTP_1_0) == b"SERVER <|> STAT <|> 127.0.0.1 <|> 3/2 <|> SERVER\n"


def test_stat_is_written_as_host_and_progress() -> None:
    assert encode(sm.Stat(host="10.0.0.5", current=12, total=57), NTP_1_0) == (
        b"SERVER <|> STAT <|> 10.0.0.5 <|> 12/57 <|> SERVER\n"
    )


def test_a_port_names_its_service_from_ntp_1_1_on() -> None:
    port = sm.Port(host="127.0.0.1", port=HTTP_PORT)
    assert encode(port, NTP_1_1) == (
        b"SERVER <|> PORT <|> 127.0.0.1 <|> blackice-icecap (8081/tcp) <|> SERVER\n"
    )


def test_an_ntp_1_0_port_is_only_its_number() -> None:
    port = sm.Port(host="10.0.0.5", port=PortRef(service="ssh", number=22))
    assert encode(port, NTP_1_0) == b"SERVER <|> PORT <|> 10.0.0.5 <|> 22 <|> SERVER\n"
    general = sm.Port(host="10.0.0.5", port=PortRef.general())
    assert encode(general, NTP_1_0) == b"SERVER <|> PORT <|> 10.0.0.5 <|> general/tcp <|> SERVER\n"


def test_ntp_1_0_clients_never_hear_of_udp_ports() -> None:
    port = sm.Port(host="10.0.0.5", port=PortRef(service="snmp", number=161, protocol="udp"))
    assert encode(port, NTP_1_0) == b""
    assert encode(port, NTP_1_1) == b"SERVER <|> PORT <|> 10.0.0.5 <|> snmp (161/udp) <|> SERVER\n"


def test_a_note_is_written_with_backslash_escapes_and_its_id_for_the_reference_client() -> None:
    # nessus225-client scan transcript.
    assert encode(BANNER_NOTE, REFERENCE_SCAN) == (
        b"SERVER <|> NOTE <|> 127.0.0.1 <|> blackice-icecap (8081/tcp) <|> The remote web server"
        b" banner is :\\nServer: SimpleHTTP/0.6 Python/3.11.7\\nCVE : CVE-1999-0001\\nBID : 1\\n"
        b" <|> 90002 <|> SERVER\n"
    )


def test_a_note_is_downgraded_to_info_and_semicolons_for_a_plain_ntp_1_2_client() -> None:
    # Net::Nessus over NTP/1.2 (ntp12 transcript).
    assert encode(BANNER_NOTE, NTP_1_2) == (
        b"SERVER <|> INFO <|> 127.0.0.1 <|> blackice-icecap (8081/tcp) <|> The remote web server"
        b" banner is :;Server: SimpleHTTP/0.6 Python/3.11.7;CVE : CVE-1999-0001;BID : 1;"
        b" <|> 90002 <|> SERVER\n"
    )


def test_an_ntp_1_1_report_carries_no_plugin_id() -> None:
    # Net::Nessus over NTP/1.1 (ntp11 transcript).
    assert encode(BANNER_NOTE, NTP_1_1) == (
        b"SERVER <|> INFO <|> 127.0.0.1 <|> blackice-icecap (8081/tcp) <|> The remote web server"
        b" banner is :;Server: SimpleHTTP/0.6 Python/3.11.7;CVE : CVE-1999-0001;BID : 1;"
        b" <|> SERVER\n"
    )


def test_an_ntp_1_0_report_joins_port_and_text_with_a_colon() -> None:
    hole = sm.Report(
        kind=sm.ReportKind.HOLE,
        host="10.0.0.5",
        port=PortRef(service="ftp", number=21),
        text="Vulnerable.\nRisk factor : High\n",
        plugin_id="11111",
    )
    assert encode(hole, dataclasses.replace(NTP_1_0, escape_crlf=True)) == (
        b"SERVER <|> HOLE <|> 10.0.0.5 <|> 21:Vulnerable.;Risk factor : High; <|> SERVER\n"
    )
    general = dataclasses.replace(hole, port=PortRef.general("udp"))
    assert encode(general, NTP_1_0) == (
        b"SERVER <|> HOLE <|> 10.0.0.5 <|> general/udp:Vulnerable.;Risk factor : High; <|> SERVER\n"
    )


def test_a_report_without_plugin_id_has_no_id_field_even_in_ntp_1_2() -> None:
    report = dataclasses.replace(BANNER_NOTE, kind=sm.ReportKind.HOLE, plugin_id=None)
    wire = encode(report, REFERENCE_SCAN)
    assert wire.endswith(b"BID : 1\\n <|> SERVER\n")
    assert wire.startswith(b"SERVER <|> HOLE <|> 127.0.0.1 <|> blackice-icecap (8081/tcp) <|> ")


@pytest.mark.parametrize(
    ("kind", "features", "verb"),
    [
        (sm.ReportKind.HOLE, NTP_1_2, b"HOLE"),
        (sm.ReportKind.INFO, NTP_1_2, b"INFO"),
        (sm.ReportKind.NOTE, NTP_1_2, b"INFO"),
        (sm.ReportKind.NOTE, REFERENCE_SCAN, b"NOTE"),
        (sm.ReportKind.LOG, NTP_1_2, b"INFO"),
        (sm.ReportKind.DEBUG, REFERENCE_SCAN, b"NOTE"),
        (sm.ReportKind.LOG, OTP, b"LOG"),
        (sm.ReportKind.DEBUG, OTP, b"DEBUG"),
        (sm.ReportKind.NOTE, OTP, b"INFO"),
        (sm.ReportKind.NOTE, dataclasses.replace(OTP, accepts_notes=True), b"NOTE"),
    ],
)
def test_report_verbs_follow_notes_and_otp(
    kind: sm.ReportKind, features: Features, verb: bytes
) -> None:
    report = dataclasses.replace(BANNER_NOTE, kind=kind)
    assert encode(report, features).startswith(b"SERVER <|> " + verb + b" <|> 127.0.0.1 <|> ")


def test_otp_reports_always_use_backslash_escapes() -> None:
    wire = encode(dataclasses.replace(BANNER_NOTE, plugin_id="1.3.6.1.4.1.25623.1.0.90002"), OTP)
    assert wire.endswith(b"BID : 1\\n <|> 1.3.6.1.4.1.25623.1.0.90002 <|> SERVER\n")


def test_the_e002_line_has_no_trailer() -> None:
    # The rules transcript.
    msg = sm.HostsNotAllowed(hosts=("127.0.0.1", "127.0.0.2"))
    assert encode(msg) == (
        b"SERVER <|> ERROR <|> E002 - These hosts could not be tested because you are not allowed"
        b" to do so :;127.0.0.1;127.0.0.2;\n"
    )


def test_a_cut_e002_list_ends_with_dots() -> None:
    msg = sm.HostsNotAllowed(hosts=("10.0.0.1",), truncated=True)
    assert encode(msg).endswith(b" so :;10.0.0.1;...\n")
    assert encode(sm.HostsNotAllowed(hosts=())).endswith(b" so :;\n")


def test_a_capped_e002_line_stays_under_4000_bytes_of_text() -> None:
    hosts = tuple(f"h{i:04d}" for i in range(1000))
    wire = encode(sm.HostsNotAllowed.capped(hosts))
    text = wire.removeprefix(b"SERVER <|> ERROR <|> ").removesuffix(b"\n")
    assert len(text) == 3999
    assert text.endswith(b";h0652;...")


def test_a_client_message_cannot_be_written_by_a_server() -> None:
    with pytest.raises(LocalProtocolError) as caught:
        encode(cm.NewAttack(targets="127.0.0.1"))
    assert caught.value.message == "NewAttack is not a server message"


# --- decoding the messages after the login ---------------------------------------------------


def test_the_plugin_list_of_the_md5_transcript_is_read() -> None:
    data = f"SERVER <|> PLUGIN_LIST <|>\n{BANNER_CHECK_LINE}\n{TCP_SCANNER_LINE}\n<|> SERVER\n"
    assert decode(data.encode(), Features(extensions=PLUGIN_WORDS)) == [
        sm.PluginList(plugins=(BANNER_CHECK, TCP_SCANNER))
    ]


def test_a_plugin_list_line_with_the_wrong_field_count_is_an_error() -> None:
    data = f"SERVER <|> PLUGIN_LIST <|>\n{BANNER_CHECK_LINE}\n<|> SERVER\n".encode()
    error = decode_error(data, NTP_1_2)
    assert error.message.startswith("plugin line has 11 fields, expected 7: ")
    assert error.offset == 0


def test_a_bare_plugin_line_is_a_plugin_info_answer() -> None:
    assert decode_one((OTP_BANNER_CHECK_LINE + "\n").encode(), OTP) == sm.PluginInfoReply(
        plugin=OTP_BANNER_CHECK
    )


def test_the_server_preferences_block_is_read_in_order() -> None:
    data = (
        b"SERVER <|> PREFERENCES <|>\nmax_hosts <|> 30\n"
        b"Peers slow check[entry]:Seconds to sleep : <|> 8\n"
        b"Peers slow check[entry]:Seconds to sleep : <|> 8\n"
        b"Services[file]:SSL certificate : <|> \nno separator\n<|> SERVER\n"
    )
    assert decode_one(data) == Preferences(
        items=(
            ("max_hosts", "30"),
            ("Peers slow check[entry]:Seconds to sleep :", "8"),
            ("Peers slow check[entry]:Seconds to sleep :", "8"),
            ("Services[file]:SSL certificate :", ""),
        )
    )


def test_a_server_block_ends_at_a_line_starting_with_the_terminator() -> None:
    data = b"SERVER <|> PREFERENCES <|>\nx <|> SERVER\n<|> SERVER and more\n"
    assert decode_one(data) == Preferences(items=(("x", "SERVER"),))


def test_every_server_block_header_is_read() -> None:
    data = (
        b"SERVER <|> RULES <|>\n<|> SERVER\n"
        b"SERVER <|> PREFERENCES_ERRORS <|>\n<|> SERVER\n"
        b"SERVER <|> PLUGINS_DEPENDENCIES\nSYN Scan <|> \n"
        b"Peers HTTP banner check <|> Peers tiny TCP scanner <|> \na <|> b\n<|> SERVER\n"
        b"SERVER <|> PLUGINS_MD5\n90001 <|> 0dd1e0f504f0724624afecc5139065c3\n<|> SERVER\n"
        b"SERVER <|> SESSIONS_LIST\n20261124-184846 127.0.0.1\n<|> SERVER\n"
        b"SERVER <|> DETACHED_SESSIONS_LIST\n3598 127.0.0.1\n<|> SERVER\n"
        b"SERVER <|> CERTIFICATES\na1b2 <|> OpenVAS <|> notrust <|> 1024 <|> K;E;Y\n<|> SERVER\n"
    )
    assert decode(data, OTP) == [
        Rules(),
        sm.PreferencesErrors(),
        sm.PluginsDependencies(
            entries=(
                Dependency(name="SYN Scan"),
                Dependency(
                    name="Peers HTTP banner check", dependencies=("Peers tiny TCP scanner",)
                ),
                Dependency(name="a", dependencies=("b",)),
            )
        ),
        sm.PluginsMd5List(entries=(Md5Entry(key="90001", md5="0dd1e0f504f0724624afecc5139065c3"),)),
        sm.SessionsList(sessions=(SessionEntry(id="20261124-184846", targets="127.0.0.1"),)),
        sm.DetachedSessionsList(sessions=(SessionEntry(id="3598", targets="127.0.0.1"),)),
        sm.Certificates(
            certificates=(
                Certificate(
                    fingerprint="a1b2",
                    owner="OpenVAS",
                    trusted=False,
                    key_length=1024,
                    public_key="K\nE\nY",
                ),
            )
        ),
    ]


def test_a_block_header_with_a_dangling_separator_is_still_a_block() -> None:
    assert decode_one(b"SERVER <|> SESSIONS_LIST <|>\n<|> SERVER\n") == sm.SessionsList()


def test_an_empty_dependencies_line_is_an_error_not_a_crash() -> None:
    error = decode_error(b"SERVER <|> PLUGINS_DEPENDENCIES\n\n<|> SERVER\n", REFERENCE)
    assert str(error) == "empty plugin name in PLUGINS_DEPENDENCIES (at byte 0)"
    error = decode_error(b"SERVER <|> PLUGINS_DEPENDENCIES\n <|>\n<|> SERVER\n", REFERENCE)
    assert str(error) == "empty plugin name in PLUGINS_DEPENDENCIES (at byte 0)"


def test_an_md5_line_without_separator_is_an_error() -> None:
    error = decode_error(b"SERVER <|> PLUGINS_MD5\n90001 0dd1e0f5\n<|> SERVER\n")
    assert str(error) == "bad PLUGINS_MD5 line '90001 0dd1e0f5' (at byte 0)"


@pytest.mark.parametrize(
    "line",
    [
        b"a1b2 <|> OpenVAS <|> maybe <|> 1024 <|> KEY",
        b"a1b2 <|> OpenVAS <|> trusted <|> 1024",
        b"a1b2 <|> OpenVAS <|> trusted <|> 1024 <|> KEY <|> more",
    ],
)
def test_a_malformed_certificates_line_is_an_error(line: bytes) -> None:
    error = decode_error(b"SERVER <|> CERTIFICATES\n" + line + b"\n<|> SERVER\n", OTP)
    assert str(error) == f"bad CERTIFICATES line {line.decode()!r} (at byte 0)"


def test_a_certificate_key_length_must_be_a_number() -> None:
    error = decode_error(b"SERVER <|> CERTIFICATES\na <|> b <|> trusted <|> -1 <|> k\n<|> SERVER\n")
    assert str(error) == "key length is not a number: '-1' (at byte 0)"


def test_a_server_block_is_limited_to_a_million_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    assert MAX_SERVER_BLOCK_LINES == 1_000_000
    # Reading a million lines twice would be slow; the cap is looked up when a block is read.
    monkeypatch.setattr(server_codec, "MAX_SERVER_BLOCK_LINES", 3)
    header = b"SERVER <|> BYE <|> BYE <|> SERVER\nSERVER <|> RULES <|>\n"
    assert decode(header + b"r\n" * 3 + b"<|> SERVER\n")[1] == Rules(rules=("r", "r", "r"))
    error = decode_error(header + b"r\n" * 4)
    assert type(error) is LimitExceeded
    assert str(error) == "block longer than 3 lines (at byte 34)"


def test_a_server_line_is_limited_to_one_mib() -> None:
    line = b"SERVER <|> ERROR <|> " + b"e" * (MAX_SERVER_LINE - 32) + b" <|> SERVER"
    assert len(line) == MAX_SERVER_LINE
    assert decode_one(line + b"\n") == sm.Error(text="e" * (MAX_SERVER_LINE - 32))
    error = decode_error(
        b"SERVER <|> BYE <|> BYE <|> SERVER\n" + b"x" * (MAX_SERVER_LINE + 1), eof=False
    )
    assert type(error) is LimitExceeded
    assert str(error) == "server line longer than 1048576 bytes (at byte 34)"


def test_a_server_block_line_is_limited_to_one_mib() -> None:
    error = decode_error(b"SERVER <|> RULES <|>\n" + b"x" * (MAX_SERVER_LINE + 1), eof=False)
    assert str(error) == "server block line longer than 1048576 bytes (at byte 21)"


def test_a_server_block_cut_by_the_end_of_the_stream_is_an_error() -> None:
    error = decode_error(
        b"SERVER <|> PLUGIN_LIST <|>\n" + BANNER_CHECK_SHORT_LINE.encode(), NTP_1_1
    )
    assert str(error) == "connection closed in the middle of server block line (at byte 27)"


def test_a_server_line_cut_by_the_end_of_the_stream_is_an_error() -> None:
    error = decode_error(b"SERVER <|> BYE <|> BYE <|> SERVER")
    assert str(error) == "connection closed in the middle of server line (at byte 0)"


@pytest.mark.parametrize(
    ("line", "msg"),
    [
        (
            b"SERVER <|> PLUGINS_MD5 <|> ed674be6ce9eccb6ecda8ef78d3ab0ab <|> SERVER",
            sm.PluginsMd5(md5="ed674be6ce9eccb6ecda8ef78d3ab0ab"),
        ),
        (
            b"SERVER <|> PLUGINS_ORDER <|> 4;8;1;5; <|> SERVER",
            sm.PluginsOrder(ids=("4", "8", "1", "5")),
        ),
        (b"SERVER <|> PLUGINS_ORDER <|>  <|> SERVER", sm.PluginsOrder()),
        (b"SERVER <|> FILE_ACCEPTED <|> SERVER", sm.FileAccepted()),
        (b"SERVER <|> PLUGIN_ACCEPTED <|> SERVER", sm.PluginAccepted()),
        (b"SERVER <|> PLUGIN_DENIED <|> SERVER", sm.PluginDenied()),
        (b"SERVER <|> NESSUS_VERSION <|> 2.2.5 <|> SERVER", sm.NessusVersion(version="2.2.5")),
        (b"SERVER <|> OPENVAS_VERSION <|> 3.0.2 <|> SERVER", sm.OpenvasVersion(version="3.0.2")),
        (
            b"SERVER <|> TIME <|> SCAN_START <|> Tue Nov 24 18:39:50 2026 <|> SERVER",
            sm.Time(kind=sm.TimeKind.SCAN_START, when="Tue Nov 24 18:39:50 2026"),
        ),
        (
            b"SERVER <|> TIME <|> HOST_END <|> 127.0.0.1 <|> Tue Nov 24 18:39:50 2026 <|> SERVER",
            sm.Time(kind=sm.TimeKind.HOST_END, host="127.0.0.1", when="Tue Nov 24 18:39:50 2026"),
        ),
        (
            b"SERVER <|> STATUS <|> 127.0.0.1 <|> attack <|> 3/2 <|> SERVER",
            sm.Status(host="127.0.0.1", action=sm.StatusAction.ATTACK, current=3, total=2),
        ),
        (
            b"SERVER <|> STATUS <|> 127.0.0.1 <|> portscan <|> 1/1 <|> SERVER",
            sm.Status(host="127.0.0.1", action=sm.StatusAction.PORTSCAN, current=1, total=1),
        ),
        (
            b"s:a:127.0.0.1:2:2",
            sm.Status(host="127.0.0.1", action=sm.StatusAction.ATTACK, current=2, total=2),
        ),
        (
            b"s:p:127.0.0.1:1:1",
            sm.Status(host="127.0.0.1", action=sm.StatusAction.PORTSCAN, current=1, total=1),
        ),
        (b"s:a:::1:5:4", sm.Status(host="::1", action=sm.StatusAction.ATTACK, current=5, total=4)),
        (
            b"SERVER <|> STAT <|> 10.0.0.5 <|> 12/57 <|> SERVER",
            sm.Stat(host="10.0.0.5", current=12, total=57),
        ),
        (
            b"SERVER <|> PORT <|> 127.0.0.1 <|> blackice-icecap (8081/tcp) <|> SERVER",
            sm.Port(host="127.0.0.1", port=HTTP_PORT),
        ),
        (b"SERVER <|> FINISHED <|> 127.0.0.1 <|> SERVER", sm.Finished(host="127.0.0.1")),
        (b"SERVER <|> BYE <|> BYE <|> SERVER", sm.Bye()),
        (
            b"SERVER <|> ERROR <|> E001 - Invalid port range <|> SERVER",
            sm.Error(text="E001 - Invalid port range"),
        ),
        (b"Bad login attempt !", sm.BadLogin()),
    ],
)
def test_each_single_line_server_message_is_read(line: bytes, msg: Message) -> None:
    assert decode_one(line + b"\n") == msg


def test_the_e002_line_without_trailer_is_read() -> None:
    line = (
        b"SERVER <|> ERROR <|> E002 - These hosts could not be tested because you are not allowed"
        b" to do so :;127.0.0.1;127.0.0.2;\n"
    )
    assert decode_one(line) == sm.HostsNotAllowed(hosts=("127.0.0.1", "127.0.0.2"))


def test_an_e002_line_with_a_trailer_or_dots_is_read_too() -> None:
    prefix = b"SERVER <|> ERROR <|> " + sm.HostsNotAllowed.PREFIX.encode()
    assert decode_one(prefix + b";10.0.0.1; <|> SERVER\n") == sm.HostsNotAllowed(
        hosts=("10.0.0.1",)
    )
    assert decode_one(prefix + b";10.0.0.1;...\n") == sm.HostsNotAllowed(
        hosts=("10.0.0.1",), truncated=True
    )
    assert decode_one(prefix + b";\n") == sm.HostsNotAllowed(hosts=())


def test_an_e002_line_naming_a_bad_host_is_an_error() -> None:
    prefix = b"SERVER <|> ERROR <|> " + sm.HostsNotAllowed.PREFIX.encode()
    error = decode_error(prefix + b";a b;\n")
    assert str(error) == "host must be one non-empty word: 'a b' (at byte 0)"


def test_an_unknown_server_message_is_unrecognized() -> None:
    msg = decode_one(b"SERVER <|> PING <|> SERVER\n")
    assert msg == Unrecognized(line="SERVER <|> PING <|> SERVER")
    assert isinstance(msg, Unrecognized)
    assert msg.reason == "unknown server message 'PING'"


@pytest.mark.parametrize(
    "line", [b"SERVER <|> BYE <|> BYE", b"SERVER <|> SERVER", b"SERVER <|> BYE <|> BYE <|> SERVER "]
)
def test_a_server_line_without_its_trailer_is_an_error(line: bytes) -> None:
    error = decode_error(line + b"\n")
    assert str(error) == f"server line without its SERVER trailer: {line.decode()!r} (at byte 0)"


@pytest.mark.parametrize(
    "line",
    [
        b"SERVER <|> STATUS <|> 127.0.0.1 <|> attack <|> SERVER",
        b"SERVER <|> STATUS <|> 127.0.0.1 <|> scanning <|> 1/2 <|> SERVER",
        b"SERVER <|> TIME <|> SCAN_PAUSE <|> now <|> SERVER",
        b"SERVER <|> TIME <|> SCAN_START <|> 10.0.0.5 <|> now <|> SERVER",
        b"SERVER <|> TIME <|> HOST_START <|> now <|> SERVER",
        b"SERVER <|> TIME <|> SERVER",
        b"SERVER <|> BYE <|> SERVER",
        b"SERVER <|> BYE <|> ACK <|> SERVER",
        b"SERVER <|> FILE_ACCEPTED <|> yes <|> SERVER",
        b"SERVER <|> PORT <|> 127.0.0.1 <|> SERVER",
        b"SERVER <|> STAT <|> 10.0.0.5 <|> 12/57 <|> x <|> SERVER",
        b"SERVER <|> HOLE <|> SERVER",
        b"SERVER <|> HOLE <|> 127.0.0.1 <|> SERVER",
        b"SERVER <|> PLUGINS_MD5 <|> SERVER",
    ],
)
def test_a_known_server_message_with_the_wrong_fields_is_an_error(line: bytes) -> None:
    error = decode_error(line + b"\n")
    verb = line.split(b" <|> ")[1].decode()
    assert str(error) == f"malformed {verb} line {line.decode()!r} (at byte 0)"


@pytest.mark.parametrize(
    ("line", "complaint"),
    [
        (b"SERVER <|> STATUS <|> h <|> attack <|> 1-2 <|> SERVER", "bad progress '1-2'"),
        (b"SERVER <|> STAT <|> h <|> 1/x <|> SERVER", "progress total is not a number: 'x'"),
        (
            b"SERVER <|> FINISHED <|> two hosts <|> SERVER",
            "host must be one non-empty word: 'two hosts'",
        ),
        (b"SERVER <|> PORT <|> h <|> ssh 22 <|> SERVER", "unreadable port field 'ssh 22'"),
        (b"s:x:127.0.0.1:1:2", "bad short status 's:x:127.0.0.1:1:2'"),
        (b"s:a:127.0.0.1:2", "bad short status 's:a:127.0.0.1:2'"),
        (b"s:a::1:2", "host must be one non-empty word: ''"),
        (b"s:a:h:1:-2", "progress total is not a number: '-2'"),
        (b"s:a:h:one:2", "progress is not a number: 'one'"),
    ],
)
def test_a_server_message_with_unusable_values_is_an_error(line: bytes, complaint: str) -> None:
    assert str(decode_error(line + b"\n")) == f"{complaint} (at byte 0)"


# --- decoding reports (spec §3.5) ------------------------------------------------------------


def test_a_backslash_escaped_ntp_1_2_note_is_read_with_its_id() -> None:
    line = (
        b"SERVER <|> NOTE <|> 127.0.0.1 <|> blackice-icecap (8081/tcp) <|> The remote web server"
        b" banner is :\\nServer: SimpleHTTP/0.6 Python/3.11.7\\nCVE : CVE-1999-0001\\nBID : 1\\n"
        b" <|> 90002 <|> SERVER\n"
    )
    assert decode_one(line, REFERENCE_SCAN) == BANNER_NOTE


def test_a_semicolon_escaped_ntp_1_2_info_is_read_with_its_id() -> None:
    line = (
        b"SERVER <|> INFO <|> 127.0.0.1 <|> blackice-icecap (8081/tcp) <|> Test finding: a Python"
        b" SimpleHTTP server answers here.\\nRisk factor : Medium;CVE : CVE-1999-0001;BID : 1;"
        b" <|> 90002 <|> SERVER\n"
    )
    assert decode_one(line, NTP_1_2) == sm.Report(
        kind=sm.ReportKind.INFO,
        host="127.0.0.1",
        port=HTTP_PORT,
        text=(
            "Test finding: a Python SimpleHTTP server answers here.\\nRisk factor : Medium\n"
            "CVE : CVE-1999-0001\nBID : 1\n"
        ),
        plugin_id="90002",
    )


def test_an_ntp_1_1_report_has_no_id_to_read() -> None:
    line = (
        b"SERVER <|> INFO <|> 127.0.0.1 <|> blackice-icecap (8081/tcp) <|> Banner;x <|> y;"
        b" <|> SERVER\n"
    )
    assert decode_one(line, NTP_1_1) == sm.Report(
        kind=sm.ReportKind.INFO, host="127.0.0.1", port=HTTP_PORT, text="Banner\nx <|> y\n"
    )


def test_an_ntp_1_2_report_with_one_text_field_has_no_id() -> None:
    line = b"SERVER <|> HOLE <|> h <|> general/tcp <|> Hole; <|> SERVER\n"
    assert decode_one(line, NTP_1_2) == sm.Report(
        kind=sm.ReportKind.HOLE, host="h", port=PortRef.general(), text="Hole\n"
    )


def test_an_ntp_1_0_report_is_read_from_port_and_text() -> None:
    line = b"SERVER <|> HOLE <|> 10.0.0.5 <|> 21:Vulnerable.;Risk factor : High; <|> SERVER\n"
    assert decode_one(line, NTP_1_0) == sm.Report(
        kind=sm.ReportKind.HOLE,
        host="10.0.0.5",
        port=PortRef(service=None, number=21),
        text="Vulnerable.\nRisk factor : High\n",
    )
    general = b"SERVER <|> INFO <|> 10.0.0.5 <|> general/udp:a:b <|> SERVER\n"
    assert decode_one(general, NTP_1_0) == sm.Report(
        kind=sm.ReportKind.INFO, host="10.0.0.5", port=PortRef.general("udp"), text="a:b"
    )


def test_an_ntp_1_0_report_without_a_port_is_an_error() -> None:
    error = decode_error(b"SERVER <|> HOLE <|> 10.0.0.5 <|> no port here <|> SERVER\n", NTP_1_0)
    assert error.message.startswith("malformed HOLE line ")


def test_an_ntp_1_0_report_port_must_be_a_number() -> None:
    error = decode_error(b"SERVER <|> HOLE <|> 10.0.0.5 <|> ssh:text <|> SERVER\n", NTP_1_0)
    assert str(error) == "port number is not a number: 'ssh' (at byte 0)"


def test_ntp_1_0_ports_are_read_as_numbers() -> None:
    assert decode_one(b"SERVER <|> PORT <|> 10.0.0.5 <|> 22 <|> SERVER\n", NTP_1_0) == sm.Port(
        host="10.0.0.5", port=PortRef(service=None, number=22)
    )
    assert decode_one(b"SERVER <|> PORT <|> 10.0.0.5 <|> general/tcp <|> SERVER\n", NTP_1_0) == (
        sm.Port(host="10.0.0.5", port=PortRef.general())
    )


@pytest.mark.parametrize("kind", list(sm.ReportKind))
def test_every_report_verb_is_read(kind: sm.ReportKind) -> None:
    line = f"SERVER <|> {kind.value} <|> h <|> general/icmp <|> t\\n <|> 1.3.6.1 <|> SERVER\n"
    assert decode_one(line.encode(), OTP) == sm.Report(
        kind=kind, host="h", port=PortRef.general("icmp"), text="t\n", plugin_id="1.3.6.1"
    )


# --- round trips -----------------------------------------------------------------------------


HOLE_TEXT = "Test hole\\on 127.0.0.1\r\nRisk factor : High\n"
#: The same after a trip through ``;`` escaping: CR and LF both became ``;``, then newlines.
HOLE_TEXT_SEMICOLONS = "Test hole\\on 127.0.0.1\n\nRisk factor : High\n"


@pytest.mark.parametrize(
    ("features", "status", "service", "text", "plugin_id"),
    [
        (NTP_1_0, sm.Stat, None, HOLE_TEXT_SEMICOLONS, None),
        (NTP_1_1, sm.Status, "unknown", HOLE_TEXT_SEMICOLONS, None),
        (NTP_1_2, sm.Status, "unknown", HOLE_TEXT_SEMICOLONS, "90002"),
        (REFERENCE, sm.Status, "unknown", HOLE_TEXT_SEMICOLONS, "90002"),
        (REFERENCE_SCAN, sm.Status, "unknown", HOLE_TEXT, "90002"),
        (OTP, sm.Status, "unknown", HOLE_TEXT, "90002"),
    ],
)
def test_a_scan_reads_back_in_the_forms_of_each_version(
    features: Features,
    status: type[Message],
    service: str | None,
    text: str,
    plugin_id: str | None,
) -> None:
    start = sm.Time(kind=sm.TimeKind.SCAN_START, when="Tue Nov 24 18:39:50 2026")
    hole = sm.Report(
        kind=sm.ReportKind.HOLE,
        host="127.0.0.1",
        port=PortRef.general(),
        text=HOLE_TEXT,
        plugin_id="90002",
    )
    tail: list[Message] = [
        sm.Finished(host="127.0.0.1"),
        sm.HostsNotAllowed(hosts=("127.0.0.2",), truncated=True),
        sm.Bye(),
    ]
    scan: list[Message] = [
        start,
        sm.Status(host="127.0.0.1", action=sm.StatusAction.ATTACK, current=3, total=2),
        sm.Port(host="127.0.0.1", port=PortRef(service=None, number=8081)),
        hole,
        *tail,
    ]
    progress = (
        sm.Stat(host="127.0.0.1", current=3, total=2)
        if status is sm.Stat
        else sm.Status(host="127.0.0.1", action=sm.StatusAction.ATTACK, current=3, total=2)
    )
    expected: list[Message] = [
        *([start] if features.has("timestamps") else []),
        progress,
        sm.Port(host="127.0.0.1", port=PortRef(service=service, number=8081)),
        dataclasses.replace(hole, text=text, plugin_id=plugin_id),
        *tail,
    ]
    assert decode(b"".join(encode(msg, features) for msg in scan), features) == expected


def test_a_backslash_escaped_report_reads_back_exactly() -> None:
    text = "Test hole\\on 127.0.0.1\r\nRisk factor : High\n"
    report = dataclasses.replace(BANNER_NOTE, text=text)
    assert decode_one(encode(report, REFERENCE_SCAN), REFERENCE_SCAN) == report


@pytest.mark.parametrize(
    "msg",
    [
        sm.PluginList(plugins=(BANNER_CHECK, TCP_SCANNER)),
        sm.PluginInfoReply(plugin=BANNER_CHECK),
        Preferences(items=(("a", ""), ("b", "x <|> y"))),
        Rules(rules=("reject 10.0.0.1",)),
        sm.PreferencesErrors(items=(("max_hosts", "abc"),)),
        sm.PluginsDependencies(entries=(Dependency(name="a", dependencies=("b", "c")),)),
        sm.PluginsMd5(md5="ed674be6ce9eccb6ecda8ef78d3ab0ab"),
        sm.PluginsMd5List(entries=(Md5Entry(key="x.nasl", md5="0dd1"),)),
        sm.PluginsOrder(ids=("4", "8")),
        sm.FileAccepted(),
        sm.PluginAccepted(),
        sm.PluginDenied(),
        sm.SessionsList(sessions=(SessionEntry(id="20261124-184846", targets="a b"),)),
        sm.DetachedSessionsList(sessions=(SessionEntry(id="3598", targets=""),)),
        sm.NessusVersion(version="2.2.5"),
        sm.OpenvasVersion(version="3.0.2"),
        sm.Certificates(
            certificates=(
                Certificate(
                    fingerprint="f", owner="o", trusted=True, key_length=1, public_key="k\nk"
                ),
            )
        ),
        sm.Time(kind=sm.TimeKind.HOST_INTERRUPTED, host="h", when="now"),
        sm.Stat(host="h", current=1, total=2),
        sm.Error(text="E001 - Invalid port range"),
        sm.BadLogin(),
        Unrecognized(line="SERVER <|> PING <|> SERVER"),
    ],
)
def test_every_server_message_reads_back_as_written(msg: Message) -> None:
    features = dataclasses.replace(REFERENCE, extensions=REFERENCE.extensions | PLUGIN_WORDS)
    assert decode(encode(msg, features), features) == [msg]
