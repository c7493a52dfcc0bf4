"""A server's bytes, as nessusd 2.2.5 wrote them (spec §1.4, §1.5, §2.2, §3, §4.1, §10, §11)."""

from __future__ import annotations

import dataclasses

import pytest

from ixion.ntp import client_messages as cm
from ixion.ntp import server_messages as sm
from ixion.ntp.errors import LocalProtocolError
from ixion.ntp.features import Features, Version
from ixion.ntp.messages import Message, Preferences, Rules, Unrecognized
from ixion.ntp.records import (
    Certificate,
    Dependency,
    Md5Entry,
    PortRef,
    SessionEntry,
)
from tests.ntp.server_samples import (
    BANNER_CHECK,
    BANNER_CHECK_LINE,
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
    encode,
)

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
    assert encode(Rules(rules=("reject 198.18.0.1",))) == (
        b"SERVER <|> RULES <|>\nreject 198.18.0.1\n<|> SERVER\n"
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
    host = sm.Time(kind=sm.TimeKind.HOST_START, host="198.18.0.5", when="Sun Nov  6 10:15:31 2005")
    assert encode(start, REFERENCE) == (
        b"SERVER <|> TIME <|> SCAN_START <|> Sun Nov  6 10:15:30 2005 <|> SERVER\n"
    )
    assert encode(host, REFERENCE) == (
        b"SERVER <|> TIME <|> HOST_START <|> 198.18.0.5 <|> Sun Nov  6 10:15:31 2005 <|> SERVER\n"
    )
    assert encode(start, NTP_1_2) == b""
    assert encode(host, OTP) == (
        b"SERVER <|> TIME <|> HOST_START <|> 198.18.0.5 <|> Sun Nov  6 10:15:31 2005 <|> SERVER\n"
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
    assert encode(sm.Stat(host="198.18.0.5", current=12, total=57), NTP_1_0) == (
        b"SERVER <|> STAT <|> 198.18.0.5 <|> 12/57 <|> SERVER\n"
    )


def test_a_port_names_its_service_from_ntp_1_1_on() -> None:
    port = sm.Port(host="127.0.0.1", port=HTTP_PORT)
    assert encode(port, NTP_1_1) == (
        b"SERVER <|> PORT <|> 127.0.0.1 <|> blackice-icecap (8081/tcp) <|> SERVER\n"
    )


def test_an_ntp_1_0_port_is_only_its_number() -> None:
    port = sm.Port(host="198.18.0.5", port=PortRef(service="ssh", number=22))
    assert encode(port, NTP_1_0) == b"SERVER <|> PORT <|> 198.18.0.5 <|> 22 <|> SERVER\n"
    general = sm.Port(host="198.18.0.5", port=PortRef.general())
    assert (
        encode(general, NTP_1_0) == b"SERVER <|> PORT <|> 198.18.0.5 <|> general/tcp <|> SERVER\n"
    )


def test_ntp_1_0_clients_never_hear_of_udp_ports() -> None:
    port = sm.Port(host="198.18.0.5", port=PortRef(service="snmp", number=161, protocol="udp"))
    assert encode(port, NTP_1_0) == b""
    assert (
        encode(port, NTP_1_1) == b"SERVER <|> PORT <|> 198.18.0.5 <|> snmp (161/udp) <|> SERVER\n"
    )


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
        host="198.18.0.5",
        port=PortRef(service="ftp", number=21),
        text="Vulnerable.\nRisk factor : High\n",
        plugin_id="11111",
    )
    assert encode(hole, dataclasses.replace(NTP_1_0, escape_crlf=True)) == (
        b"SERVER <|> HOLE <|> 198.18.0.5 <|> 21:Vulnerable.;Risk factor : High; <|> SERVER\n"
    )
    general = dataclasses.replace(hole, port=PortRef.general("udp"))
    assert encode(general, NTP_1_0) == (
        b"SERVER <|> HOLE <|> 198.18.0.5 <|> general/udp:Vulnerable.;Risk factor : High;"
        b" <|> SERVER\n"
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
    msg = sm.HostsNotAllowed(hosts=("198.18.0.1",), truncated=True)
    assert encode(msg).endswith(b" so :;198.18.0.1;...\n")
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
