"""Reading a server's stream back (spec §1.4, §1.5, §2.2, §2.4, §3, §10, §11)."""

from __future__ import annotations

import dataclasses

import pytest

from ixion.ntp import server_decoder
from ixion.ntp import server_messages as sm
from ixion.ntp.decoder import NEED_DATA
from ixion.ntp.errors import LimitExceeded
from ixion.ntp.features import Features, Version
from ixion.ntp.limits import MAX_SERVER_BLOCK_LINES, MAX_SERVER_LINE, MAX_VERSION_REPLY_LINE
from ixion.ntp.messages import ConnectionClosed, Message, Preferences, Rules, Unrecognized
from ixion.ntp.records import (
    Certificate,
    Dependency,
    Md5Entry,
    PortRef,
    SessionEntry,
)
from ixion.ntp.server_decoder import ServerPhase, ServerStreamDecoder
from tests.ntp.server_samples import (
    BANNER_CHECK,
    BANNER_CHECK_LINE,
    BANNER_CHECK_SHORT_LINE,
    BANNER_NOTE,
    HTTP_PORT,
    NTP_1_0,
    NTP_1_1,
    NTP_1_2,
    OTP,
    OTP_BANNER_CHECK,
    OTP_BANNER_CHECK_LINE,
    PLUGIN_WORDS,
    REFERENCE,
    REFERENCE_SCAN,
    TCP_SCANNER,
    TCP_SCANNER_LINE,
    decode,
    decode_error,
    decode_one,
    encode,
)

# --- reading the login (spec §1.4, §1.5) -------------------------------------------------


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


# --- decoding the messages after the login ---------------------------------------------------


def test_the_plugin_list_of_the_md5_transcript_is_read() -> None:
    data = f"SERVER <|> PLUGIN_LIST <|>\n{BANNER_CHECK_LINE}\n{TCP_SCANNER_LINE}\n<|> SERVER\n"
    assert decode(data.encode(), Features(extensions=PLUGIN_WORDS)) == [
        sm.PluginList(plugins=(BANNER_CHECK, TCP_SCANNER))
    ]


def test_a_plugin_list_is_held_to_the_block_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(server_decoder, "MAX_SERVER_BLOCK_LINES", 1)
    plugin_words = Features(extensions=PLUGIN_WORDS)
    data = f"SERVER <|> PLUGIN_LIST <|>\n{BANNER_CHECK_LINE}\n{TCP_SCANNER_LINE}\n<|> SERVER\n"
    error = decode_error(data.encode(), plugin_words)
    assert type(error) is LimitExceeded
    assert str(error).startswith("block longer than 1 lines")


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
    monkeypatch.setattr(server_decoder, "MAX_SERVER_BLOCK_LINES", 3)
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


def test_block_lines_under_the_limit_may_together_be_longer_than_one_line() -> None:
    # Lines that arrive together are measured one by one, not as one run.
    half = "r" * (MAX_SERVER_LINE // 2 + 1)
    data = f"SERVER <|> RULES <|>\n{half}\n{half}\n<|> SERVER\n".encode()
    assert decode(data) == [Rules(rules=(half, half))]


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
            b"SERVER <|> STAT <|> 198.18.0.5 <|> 12/57 <|> SERVER",
            sm.Stat(host="198.18.0.5", current=12, total=57),
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
    assert decode_one(prefix + b";198.18.0.1; <|> SERVER\n") == sm.HostsNotAllowed(
        hosts=("198.18.0.1",)
    )
    assert decode_one(prefix + b";198.18.0.1;...\n") == sm.HostsNotAllowed(
        hosts=("198.18.0.1",), truncated=True
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
        b"SERVER <|> TIME <|> SCAN_START <|> 198.18.0.5 <|> now <|> SERVER",
        b"SERVER <|> TIME <|> HOST_START <|> now <|> SERVER",
        b"SERVER <|> TIME <|> SERVER",
        b"SERVER <|> BYE <|> SERVER",
        b"SERVER <|> BYE <|> ACK <|> SERVER",
        b"SERVER <|> FILE_ACCEPTED <|> yes <|> SERVER",
        b"SERVER <|> PORT <|> 127.0.0.1 <|> SERVER",
        b"SERVER <|> STAT <|> 198.18.0.5 <|> 12/57 <|> x <|> SERVER",
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
    line = b"SERVER <|> HOLE <|> 198.18.0.5 <|> 21:Vulnerable.;Risk factor : High; <|> SERVER\n"
    assert decode_one(line, NTP_1_0) == sm.Report(
        kind=sm.ReportKind.HOLE,
        host="198.18.0.5",
        port=PortRef(service=None, number=21),
        text="Vulnerable.\nRisk factor : High\n",
    )
    general = b"SERVER <|> INFO <|> 198.18.0.5 <|> general/udp:a:b <|> SERVER\n"
    assert decode_one(general, NTP_1_0) == sm.Report(
        kind=sm.ReportKind.INFO, host="198.18.0.5", port=PortRef.general("udp"), text="a:b"
    )


def test_an_ntp_1_0_report_without_a_port_is_an_error() -> None:
    error = decode_error(b"SERVER <|> HOLE <|> 198.18.0.5 <|> no port here <|> SERVER\n", NTP_1_0)
    assert error.message.startswith("malformed HOLE line ")


def test_an_ntp_1_0_report_port_must_be_a_number() -> None:
    error = decode_error(b"SERVER <|> HOLE <|> 198.18.0.5 <|> ssh:text <|> SERVER\n", NTP_1_0)
    assert str(error) == "port number is not a number: 'ssh' (at byte 0)"


def test_ntp_1_0_ports_are_read_as_numbers() -> None:
    assert decode_one(b"SERVER <|> PORT <|> 198.18.0.5 <|> 22 <|> SERVER\n", NTP_1_0) == sm.Port(
        host="198.18.0.5", port=PortRef(service=None, number=22)
    )
    assert decode_one(b"SERVER <|> PORT <|> 198.18.0.5 <|> general/tcp <|> SERVER\n", NTP_1_0) == (
        sm.Port(host="198.18.0.5", port=PortRef.general())
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
        Rules(rules=("reject 198.18.0.1",)),
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
