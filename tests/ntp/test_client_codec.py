"""A client's bytes: how each message is written, and how a client stream is read (spec §1.3,
§1.4, §1.5, §2.2, §2.3, §3.9, §4.2, §10.15, §10.17)."""

from __future__ import annotations

from typing import Any

import pytest

from ixion.ntp import client_messages as cm
from ixion.ntp import server_messages as sm
from ixion.ntp.client_codec import (
    ClientPhase,
    ClientStreamDecoder,
    encode_client_message,
    parse_banner,
)
from ixion.ntp.decoder import NEED_DATA
from ixion.ntp.errors import LimitExceeded, LocalProtocolError, RemoteProtocolError
from ixion.ntp.features import Features, Version
from ixion.ntp.limits import (
    MAX_ATTACHED_FILE_SIZE,
    MAX_ATTACHED_PLUGIN_SIZE,
    MAX_CLIENT_BLOCK_BYTES,
    MAX_CLIENT_BLOCK_LINES,
    MAX_PREFERENCE_LINE,
    MAX_TARGETS_SIZE,
)
from ixion.ntp.messages import ConnectionClosed, Message, Preferences, Rules, Unrecognized
from tests.ntp.helpers import read_until_error, read_whole

REFERENCE_BANNER = (
    b"< NTP/1.2 >< plugins_cve_id plugins_version plugins_bugtraq_id plugins_xrefs"
    b" timestamps dependencies >\n"
)
REFERENCE_WORDS = (
    "plugins_cve_id",
    "plugins_version",
    "plugins_bugtraq_id",
    "plugins_xrefs",
    "timestamps",
    "dependencies",
)
NTP_1_2 = Features()

#: The PREFERENCES block of the scripted md5 transcript.
PREFERENCES_BYTES = (
    b"CLIENT <|> PREFERENCES <|>\n"
    b"ntp_opt_show_end <|> yes\n"
    b"ntp_keep_communication_alive <|> yes\n"
    b"ntp_short_status <|> no\n"
    b"ntp_client_accepts_notes <|> yes\n"
    b"ntp_escape_crlf <|> yes\n"
    b"silent_dependencies <|> no\n"
    b"plugin_set <|> 90001;90002\n"
    b"<|> CLIENT\n"
)
PREFERENCES = Preferences(
    items=(
        ("ntp_opt_show_end", "yes"),
        ("ntp_keep_communication_alive", "yes"),
        ("ntp_short_status", "no"),
        ("ntp_client_accepts_notes", "yes"),
        ("ntp_escape_crlf", "yes"),
        ("silent_dependencies", "no"),
        ("plugin_set", "90001;90002"),
    )
)

#: The ATTACHED_PLUGIN of the scripted upload transcript.
UPLOADED_PLUGIN = (
    b"if(description)\n{\n script_id(90004);\n"
    b' script_version("$Revision: 1.0 $");\n'
    b' script_name(english:"Peers uploaded plugin");\n'
    b' script_description(english:"Uploaded through ATTACHED_PLUGIN.");\n'
    b' script_summary(english:"uploaded");\n'
    b" script_category(ACT_GATHER_INFO);\n"
    b' script_copyright(english:"Public domain test plugin");\n'
    b' script_family(english:"General");\n exit(0);\n}\n'
    b'security_note(port:0, data:"hello from an uploaded plugin");\n'
)


def decode(data: bytes, **options: Any) -> list[Message]:
    """Every message of a whole client stream, up to and including ConnectionClosed."""
    return [*read_whole(ClientStreamDecoder(**options), data), ConnectionClosed()]


def orders(data: bytes) -> list[Message]:
    """The messages of a stream read from after the login, without the final ConnectionClosed."""
    messages = decode(data, start=ClientPhase.ORDERS)
    assert messages[-1] == ConnectionClosed()
    return messages[:-1]


def decode_error(data: bytes, *, eof: bool = True, **options: Any) -> RemoteProtocolError:
    """The error that reading ``data`` ends with."""
    return read_until_error(ClientStreamDecoder(**options), data, eof=eof)


def encode(msg: Message, features: Features = NTP_1_2) -> bytes:
    return encode_client_message(msg, features)


# --- encoding: login -------------------------------------------------------------------------


def test_the_reference_client_banner_is_written_byte_for_byte() -> None:
    banner = cm.Banner(version=Version.NTP_1_2, extensions=REFERENCE_WORDS)
    assert encode(banner) == REFERENCE_BANNER


def test_a_banner_without_words_is_the_version_alone() -> None:
    assert encode(cm.Banner(version=Version.NTP_1_1)) == b"< NTP/1.1 >\n"
    assert encode(cm.Banner(version=Version.OTP_1_0)) == b"< OTP/1.0 >\n"


def test_a_banner_over_1023_bytes_is_not_written() -> None:
    fits = cm.Banner(version=Version.NTP_1_2, extensions=("w" * 1008,))
    assert len(encode(fits)) == 1024  # 11 + 2 + 1008 + 2 bytes, and the newline
    with pytest.raises(LocalProtocolError) as caught:
        encode(cm.Banner(version=Version.NTP_1_2, extensions=("w" * 1009,)))
    assert caught.value.message == "banner longer than 1023 bytes"


def test_an_unknown_version_is_written_as_its_line() -> None:
    assert encode(cm.UnknownVersion(line="< NTP/9.9 >")) == b"< NTP/9.9 >\n"
    with pytest.raises(LocalProtocolError, match="banner longer than 1023 bytes"):
        encode(cm.UnknownVersion(line="x" * 1024))


def test_user_and_password_are_bare_lines() -> None:
    assert encode(cm.User(name="tester")) == b"tester\n"
    assert encode(cm.Password(password="testpass")) == b"testpass\n"


def test_login_answers_are_limited_to_254_bytes() -> None:
    assert encode(cm.User(name="u" * 254)) == b"u" * 254 + b"\n"
    with pytest.raises(LocalProtocolError) as caught:
        encode(cm.User(name="u" * 255))
    assert caught.value.message == "user longer than 254 bytes"
    with pytest.raises(LocalProtocolError) as caught:
        encode(cm.Password(password="\u00e9" * 128))  # 256 bytes in UTF-8
    assert caught.value.message == "password longer than 254 bytes"


# --- encoding: commands ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("msg", "wire"),
    [
        (cm.CompleteList(), b"CLIENT <|> COMPLETE_LIST <|> CLIENT\n"),
        (cm.SendPluginsMd5(), b"CLIENT <|> SEND_PLUGINS_MD5 <|> CLIENT\n"),
        (cm.GoOn(), b"CLIENT <|> GO ON <|> CLIENT\n"),
        (cm.PluginInfoRequest(plugin_id="90002"), b"CLIENT <|> PLUGIN_INFO <|> 90002 <|> CLIENT\n"),
        (cm.NewAttack(targets="127.0.0.1"), b"CLIENT <|> NEW_ATTACK <|> 127.0.0.1 <|> CLIENT\n"),
        (cm.StopAttack(host="127.0.0.3"), b"CLIENT <|> STOP_ATTACK <|> 127.0.0.3 <|> CLIENT\n"),
        (cm.StopWholeTest(), b"CLIENT <|> STOP_WHOLE_TEST <|> CLIENT\n"),
        (cm.PauseWholeTest(), b"CLIENT <|> PAUSE_WHOLE_TEST <|> CLIENT\n"),
        (cm.ResumeWholeTest(), b"CLIENT <|> RESUME_WHOLE_TEST <|> CLIENT\n"),
        (cm.SessionsListRequest(), b"CLIENT <|> SESSIONS_LIST <|> CLIENT\n"),
        (
            cm.SessionRestore(session_id="20261124-184846"),
            b"CLIENT <|> SESSION_RESTORE <|> 20261124-184846 <|> CLIENT\n",
        ),
        (
            cm.SessionDelete(session_id="20261124-184846"),
            b"CLIENT <|> SESSION_DELETE <|> 20261124-184846 <|> CLIENT\n",
        ),
        (cm.DetachedSessionsListRequest(), b"CLIENT <|> DETACHED_SESSIONS_LIST <|> CLIENT\n"),
        (cm.StopDetached(session_id="3598"), b"CLIENT <|> STOP_DETACHED <|> 3598 <|> CLIENT\n"),
        (cm.NessusVersionRequest(), b"CLIENT <|> NESSUS_VERSION <|> CLIENT\n"),
        (cm.OpenvasVersionRequest(), b"CLIENT <|> OPENVAS_VERSION <|> CLIENT\n"),
        (cm.CertificatesRequest(), b"CLIENT <|> CERTIFICATES <|> CLIENT\n"),
        (cm.HupFather(), b"CLIENT <|> HUP_FATHER <|> CLIENT\n"),
        (cm.Quit(), b"CLIENT <|> QUIT <|> CLIENT\n"),
        (cm.ClientBye(), b"CLIENT <|> BYE <|> ACK\n"),
        (cm.Pong(), b"CLIENT <|> PONG <|> PING <|> CLIENT\n"),
        (
            Unrecognized(line="CLIENT <|> NO_SUCH_COMMAND <|> CLIENT"),
            b"CLIENT <|> NO_SUCH_COMMAND <|> CLIENT\n",
        ),
    ],
)
def test_each_command_is_written_as_the_reference_peers_write_it(msg: Message, wire: bytes) -> None:
    assert encode(msg) == wire


def test_a_go_on_line_is_written_as_given() -> None:
    assert encode(cm.GoOn(line="anything at all")) == b"anything at all\n"


def test_the_client_preferences_block_is_written_byte_for_byte() -> None:
    assert encode(PREFERENCES) == PREFERENCES_BYTES


def test_an_empty_preferences_block_is_the_header_and_the_terminator() -> None:
    # What nmap's nessus-brute sends after a fast_login (spec §1.6).
    assert encode(Preferences()) == b"CLIENT <|> PREFERENCES <|>\n<|> CLIENT\n"


def test_the_client_rules_block_is_written_byte_for_byte() -> None:
    rules = Rules(rules=("reject 127.0.0.1",))
    assert encode(rules) == b"CLIENT <|> RULES <|>\nreject 127.0.0.1\n<|> CLIENT\n"
    assert encode(Rules()) == b"CLIENT <|> RULES <|>\n<|> CLIENT\n"


@pytest.mark.parametrize(("msg", "verb"), [(Preferences(), "PREFERENCES"), (Rules(), "RULES")])
def test_ntp_1_0_has_no_client_blocks(msg: Message, verb: str) -> None:
    with pytest.raises(LocalProtocolError) as caught:
        encode(msg, Features(version=Version.NTP_1_0))
    assert caught.value.message == f"NTP/1.0 has no {verb} message"


def test_a_preference_that_would_end_the_block_is_refused() -> None:
    prefs = Preferences(items=(("comment", "see <|> CLIENT docs"),))
    with pytest.raises(LocalProtocolError) as caught:
        encode(prefs)
    assert caught.value.message == (
        "PREFERENCES line would end the block: 'comment <|> see <|> CLIENT docs'"
    )


def test_a_preference_line_may_hold_a_whole_feed_s_plugin_set() -> None:
    """nessusd's 65534 bytes held no plugin_set of a whole feed (136,000 ids, ~1.1 MB)."""
    feed = ";".join(str(1_000_000_000 + n) for n in range(136_000))
    assert orders(encode(Preferences(items=(("plugin_set", feed),)))) == [
        Preferences(items=(("plugin_set", feed),))
    ]
    fits = Preferences(items=(("k", "v" * (MAX_PREFERENCE_LINE - 6)),))
    assert len(encode(fits)) == 27 + MAX_PREFERENCE_LINE + 1 + 11
    with pytest.raises(LocalProtocolError) as caught:
        encode(Preferences(items=(("k", "v" * (MAX_PREFERENCE_LINE + 1 - 6)),)))
    assert caught.value.message == f"PREFERENCES line longer than {MAX_PREFERENCE_LINE} bytes"


def test_a_rule_line_over_4095_bytes_is_not_written() -> None:
    with pytest.raises(LocalProtocolError, match="RULES line longer than 4095 bytes"):
        encode(Rules(rules=("reject " + "1" * 4089,)))


def test_an_attached_plugin_is_written_as_in_the_upload_transcript() -> None:
    msg = cm.AttachedPlugin(name="peers_uploaded.nasl", data=UPLOADED_PLUGIN)
    assert encode(msg) == (
        b"CLIENT <|> ATTACHED_PLUGIN\nname: peers_uploaded.nasl\ncontent: octet/stream\n"
        b"bytes: 423\n" + UPLOADED_PLUGIN
    )
    assert len(UPLOADED_PLUGIN) == 423


def test_an_attached_file_counts_its_bytes_and_ends_without_newline() -> None:
    msg = cm.AttachedFile(name="/home/alice/cert.pem", data=b"\xff\x00", content_type="x/y")
    assert encode(msg) == (
        b"CLIENT <|> ATTACHED_FILE\nname: /home/alice/cert.pem\ncontent: x/y\nbytes: 2\n\xff\x00"
    )


def test_long_attack_counts_the_bytes_of_its_targets() -> None:
    assert encode(cm.LongAttack(targets="127.0.0.1")) == (
        b"CLIENT <|> LONG_ATTACK <|>\n9\n127.0.0.1"
    )
    assert encode(cm.LongAttack(targets="h\u00f4te 198.18.0.5")) == (
        b"CLIENT <|> LONG_ATTACK <|>\n16\nh\xc3\xb4te 198.18.0.5"
    )


def test_new_attack_targets_must_leave_room_in_the_2047_byte_line() -> None:
    assert len(encode(cm.NewAttack(targets="1" * 2007))) == 2007 + 38
    with pytest.raises(LocalProtocolError) as caught:
        encode(cm.NewAttack(targets="1" * 2008))
    assert caught.value.message == "targets longer than 2007 bytes"


def test_new_attack_is_written_under_ntp_1_0_too() -> None:
    # nessusd ignored it there, but Net::Nessus sent it anyway (ntp10 transcript).
    wire = encode(cm.NewAttack(targets="127.0.0.1"), Features(version=Version.NTP_1_0))
    assert wire == b"CLIENT <|> NEW_ATTACK <|> 127.0.0.1 <|> CLIENT\n"


def test_the_ntp_1_0_new_attack_carries_five_fields() -> None:
    msg = cm.LegacyNewAttack(
        plugin_set="1;39;11",
        max_hosts="20",
        recursive="no",
        port_range="1-1024",
        targets="198.18.0.5",
    )
    assert encode(msg, Features(version=Version.NTP_1_0)) == (
        b"CLIENT <|> NEW_ATTACK <|> 1;39;11 <|> 20 <|> no <|> 1-1024 <|> 198.18.0.5 <|> CLIENT\n"
    )


def test_a_server_message_cannot_be_written_by_a_client() -> None:
    with pytest.raises(LocalProtocolError) as caught:
        encode(sm.Bye())
    assert caught.value.message == "Bye is not a client message"
    with pytest.raises(LocalProtocolError, match="ConnectionClosed is not a client message"):
        encode(ConnectionClosed())


# --- the banner, as nessusd reads it (spec §1.4) ---------------------------------------------


def test_the_reference_banner_reads_as_version_and_words() -> None:
    assert parse_banner(REFERENCE_BANNER.decode().rstrip("\n")) == cm.Banner(
        version=Version.NTP_1_2, extensions=REFERENCE_WORDS
    )


@pytest.mark.parametrize(
    ("line", "words"),
    [
        ("< NTP/1.2 >", ()),
        ("< NTP/1.2 >< fast_login >", ("fast_login",)),
        ("< NTP/1.2 > < a b >", ("a", "b")),  # a space between > and < is tolerated
        ("< NTP/1.2 >< timestamps>", ()),  # a word not followed by a space is no word
        ("< NTP/1.2 >< a timestamps>", ("a",)),
        ("< NTP/1.2 ><xa b >", ("a", "b")),  # one character after < is skipped, whatever it is
        ("< NTP/1.2 ><  a >", ("a",)),
        ("< NTP/1.2 >< a >trailing words ", ("a",)),  # reading stops at >
        ("< NTP/1.2 >< a b", ("a",)),
        ("< NTP/1.2 >< >x b >", ("b",)),
        ("< NTP/1.2 >< a\tb c >", ("c",)),
        ("< NTP/1.2 >< <|> md5_caching >", ("md5_caching",)),
        ("< NTP/1.2 >garbage < a >", ()),
        ("< NTP/1.2 >< is_proxy >", ("is_proxy",)),
    ],
)
def test_extension_words_are_read_as_nessusd_reads_them(line: str, words: tuple[str, ...]) -> None:
    assert parse_banner(line) == cm.Banner(version=Version.NTP_1_2, extensions=words)


@pytest.mark.parametrize(
    ("line", "version"),
    [
        ("< NTP/1.0 >", Version.NTP_1_0),
        ("< NTP/1.1 >", Version.NTP_1_1),
        ("< OTP/1.0 >", Version.OTP_1_0),
    ],
)
def test_the_first_eleven_characters_choose_the_version(line: str, version: Version) -> None:
    assert parse_banner(line) == cm.Banner(version=version)


@pytest.mark.parametrize("line", ["< NTP/9.9 >", "<NTP/1.2>", "< ntp/1.2 >", "", "TestThis"])
def test_any_other_first_line_is_an_unknown_version(line: str) -> None:
    assert parse_banner(line) == cm.UnknownVersion(line=line)


# --- decoding: login -------------------------------------------------------------------------


def test_a_plain_login_reads_banner_user_and_password() -> None:
    decoder = ClientStreamDecoder()
    assert decoder.next_message() is NEED_DATA
    decoder.receive_data(REFERENCE_BANNER + b"tester\ntestpass\n")
    assert decoder.next_message() == cm.Banner(version=Version.NTP_1_2, extensions=REFERENCE_WORDS)
    assert decoder.features == Features(extensions=frozenset(REFERENCE_WORDS))
    assert decoder.next_message() == cm.User(name="tester")
    assert decoder.next_message() == cm.Password(password="testpass")
    assert decoder.next_message() is NEED_DATA
    assert decoder.offset == len(REFERENCE_BANNER) + 16


def test_the_decoder_features_keep_only_known_extension_words() -> None:
    decoder = ClientStreamDecoder()
    decoder.receive_data(b"< NTP/1.1 >< is_proxy dns >\n")
    assert decoder.next_message() == cm.Banner(
        version=Version.NTP_1_1, extensions=("is_proxy", "dns")
    )
    assert decoder.features == Features(version=Version.NTP_1_1, extensions=frozenset({"dns"}))


def test_login_lines_lose_the_carriage_return_of_a_crlf_peer() -> None:
    assert decode(b"< NTP/1.2 >\r\ntester\r\ntestpass\r\nCLIENT <|> QUIT <|> CLIENT\r\n") == [
        cm.Banner(version=Version.NTP_1_2),
        cm.User(name="tester"),
        cm.Password(password="testpass"),
        cm.Quit(),
        ConnectionClosed(),
    ]


def test_an_empty_answer_is_an_empty_user_name() -> None:
    assert decode(b"< NTP/1.2 >\n\n\n")[1:3] == [cm.User(name=""), cm.Password(password="")]


def test_a_password_split_across_reads_is_one_message() -> None:
    # nmap's nessus-brute sent "wrongpass" and its newline in two writes.
    decoder = ClientStreamDecoder()
    decoder.receive_data(
        b"< NTP/1.2 >< plugins_cve_id plugins_version timestamps dependencies fast_login >\n"
    )
    decoder.receive_data(b"tester\n")
    decoder.receive_data(b"wrongpass")
    assert isinstance(decoder.next_message(), cm.Banner)
    assert decoder.next_message() == cm.User(name="tester")
    assert decoder.next_message() is NEED_DATA
    decoder.receive_data(b"\n")
    assert decoder.next_message() == cm.Password(password="wrongpass")
    decoder.receive_data(b"CLIENT <|> PREFERENCES <|>\n<|> CLIENT\n")
    assert decoder.next_message() == Preferences()


def test_an_unknown_version_is_followed_only_by_the_end_of_the_stream() -> None:
    assert decode(b"< NTP/9.9 >\n") == [cm.UnknownVersion(line="< NTP/9.9 >"), ConnectionClosed()]


def test_bytes_after_an_unknown_version_are_a_protocol_error() -> None:
    error = decode_error(b"< NTP/9.9 >\ntester\n")
    assert str(error) == "data after an unsupported version banner (at byte 12)"


def test_a_stream_closed_before_the_banner_is_just_closed() -> None:
    assert decode(b"") == [ConnectionClosed()]


@pytest.mark.parametrize(
    ("data", "read"),
    [
        (b"< NTP/1.2 >\n", [cm.Banner(version=Version.NTP_1_2)]),
        (b"< NTP/1.2 >\ntester\n", [cm.Banner(version=Version.NTP_1_2), cm.User(name="tester")]),
    ],
)
def test_a_stream_closed_between_login_lines_is_just_closed(
    data: bytes, read: list[Message]
) -> None:
    assert decode(data) == [*read, ConnectionClosed()]


@pytest.mark.parametrize(
    ("data", "start", "count"),
    [
        (b"", ClientPhase.BANNER, 0),
        (b"< NTP/9.9 >\n", ClientPhase.BANNER, 1),
        (b"< NTP/1.2 >< md5_caching >\ntester\ntestpass\n", ClientPhase.BANNER, 3),
        (b"CLIENT <|> COMPLETE_LIST <|> CLIENT\n", ClientPhase.MD5_LOOP, 1),
        (b"CLIENT <|> QUIT <|> CLIENT\n", ClientPhase.ORDERS, 1),
    ],
)
def test_a_closed_stream_stays_closed(data: bytes, start: ClientPhase, count: int) -> None:
    decoder = ClientStreamDecoder(start=start)
    decoder.receive_data(data)
    decoder.receive_data(b"")
    for _ in range(count):
        assert not isinstance(decoder.next_message(), ConnectionClosed)
    assert decoder.next_message() == ConnectionClosed()
    assert decoder.next_message() == ConnectionClosed()
    assert decoder.next_message() == ConnectionClosed()
    assert decoder.offset == len(data)


def test_a_banner_cut_by_the_end_of_the_stream_is_an_error() -> None:
    assert str(decode_error(b"< NTP/1.2 >")) == (
        "connection closed in the middle of version banner (at byte 0)"
    )


def test_a_banner_over_1023_bytes_is_refused() -> None:
    error = decode_error(b"< NTP/1.2 >" + b"x" * 1013, eof=False)
    assert type(error) is LimitExceeded
    assert str(error) == "version banner longer than 1023 bytes (at byte 0)"


def test_a_user_name_over_254_bytes_is_refused_at_its_offset() -> None:
    error = decode_error(b"< NTP/1.2 >\n" + b"u" * 255 + b"\n")
    assert type(error) is LimitExceeded
    assert str(error) == "user name longer than 254 bytes (at byte 12)"


def test_a_password_over_254_bytes_is_refused_at_its_offset() -> None:
    error = decode_error(b"< NTP/1.2 >\ntester\n" + b"p" * 255, eof=False)
    assert str(error) == "password longer than 254 bytes (at byte 19)"


def test_a_password_ending_in_two_carriage_returns_is_refused() -> None:
    error = decode_error(b"< NTP/1.2 >\ntester\ntestpass\r\r\n")
    assert str(error) == "password cannot contain a line end (at byte 19)"


# --- decoding: the md5-caching loop (spec §4.2) ----------------------------------------------


def test_the_md5_loop_of_the_transcript_is_read_command_by_command() -> None:
    data = (
        b"< NTP/1.2 >< md5_caching md5_by_name plugins_version plugins_cve_id plugins_bugtraq_id"
        b" plugins_xrefs timestamps dns dependencies >\ntester\ntestpass\n"
        b"CLIENT <|> SEND_PLUGINS_MD5 <|> CLIENT\n"
        b"CLIENT <|> PLUGIN_INFO <|> 90002 <|> CLIENT\n"
        b"CLIENT <|> COMPLETE_LIST <|> CLIENT\n"
        b"CLIENT <|> GO ON <|> CLIENT\n"
        + PREFERENCES_BYTES
        + b"CLIENT <|> NEW_ATTACK <|> 127.0.0.1 <|> CLIENT\n"
    )
    messages = decode(data)
    assert messages[3:] == [
        cm.SendPluginsMd5(),
        cm.PluginInfoRequest(plugin_id="90002"),
        cm.CompleteList(),
        cm.GoOn(),
        PREFERENCES,
        cm.NewAttack(targets="127.0.0.1"),
        ConnectionClosed(),
    ]


def test_otp_always_goes_through_the_md5_loop() -> None:
    data = b"< OTP/1.0 >\ntester\ntestpass\nCLIENT <|> SEND_PLUGINS_MD5 <|> CLIENT\n"
    assert decode(data)[3:] == [cm.SendPluginsMd5(), ConnectionClosed()]


def test_without_md5_caching_a_loop_word_is_an_ordinary_unknown_command() -> None:
    data = b"< NTP/1.2 >\ntester\ntestpass\nCLIENT <|> COMPLETE_LIST <|> CLIENT\n"
    messages = decode(data)
    assert messages[3] == Unrecognized(line="CLIENT <|> COMPLETE_LIST <|> CLIENT")
    assert isinstance(messages[3], Unrecognized)
    assert messages[3].reason == "unknown command 'COMPLETE_LIST'"


def loop(*lines: bytes) -> list[Message]:
    messages = decode(b"".join(line + b"\n" for line in lines), start=ClientPhase.MD5_LOOP)
    assert messages[-1] == ConnectionClosed()
    return messages[:-1]


def test_md5_loop_commands_are_matched_anywhere_in_the_line() -> None:
    assert loop(
        b"please COMPLETE_LIST now", b"xSEND_PLUGINS_MD5", b"CLIENT <|> GO ON <|> CLIENT"
    ) == [
        cm.CompleteList(),
        cm.SendPluginsMd5(),
        cm.GoOn(),
    ]


def test_complete_list_wins_over_the_other_loop_words_in_one_line() -> None:
    assert loop(b"SEND_PLUGINS_MD5 PLUGIN_INFO COMPLETE_LIST") == [cm.CompleteList()]
    assert loop(b"PLUGIN_INFO SEND_PLUGINS_MD5") == [cm.SendPluginsMd5()]


def test_any_other_line_ends_the_md5_loop_and_is_kept_as_it_is() -> None:
    assert loop(b"whatever", b"CLIENT <|> COMPLETE_LIST <|> CLIENT") == [
        cm.GoOn(line="whatever"),
        Unrecognized(line="CLIENT <|> COMPLETE_LIST <|> CLIENT"),
    ]


def test_an_empty_line_ends_the_md5_loop() -> None:
    assert loop(b"", b"CLIENT <|> QUIT <|> CLIENT") == [cm.GoOn(line=""), cm.Quit()]


def test_a_plugin_info_without_an_id_is_skipped_inside_the_loop() -> None:
    messages = loop(
        b"CLIENT <|> PLUGIN_INFO <|> CLIENT", b"CLIENT <|> PLUGIN_INFO <|> 1.3.6.1 <|> CLIENT"
    )
    assert messages == [
        Unrecognized(line="CLIENT <|> PLUGIN_INFO <|> CLIENT"),
        cm.PluginInfoRequest(plugin_id="1.3.6.1"),
    ]
    assert isinstance(messages[0], Unrecognized)
    assert messages[0].reason == "PLUGIN_INFO: missing argument"


def test_the_md5_loop_may_end_with_the_stream() -> None:
    assert decode(b"CLIENT <|> COMPLETE_LIST <|> CLIENT\n", start=ClientPhase.MD5_LOOP) == [
        cm.CompleteList(),
        ConnectionClosed(),
    ]


def test_an_md5_loop_line_is_limited_to_2047_bytes() -> None:
    error = decode_error(b"x" * 2048, eof=False, start=ClientPhase.MD5_LOOP)
    assert str(error) == "md5-caching loop line longer than 2047 bytes (at byte 0)"


# --- decoding: commands (spec §3.9) ----------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "msg"),
    [
        (b"CLIENT <|> STOP_WHOLE_TEST <|> CLIENT", cm.StopWholeTest()),
        (b"CLIENT <|> PAUSE_WHOLE_TEST <|> CLIENT", cm.PauseWholeTest()),
        (b"CLIENT <|> RESUME_WHOLE_TEST <|> CLIENT", cm.ResumeWholeTest()),
        (b"CLIENT <|> SESSIONS_LIST <|> CLIENT", cm.SessionsListRequest()),
        (b"CLIENT <|> DETACHED_SESSIONS_LIST <|> CLIENT", cm.DetachedSessionsListRequest()),
        (b"CLIENT <|> NESSUS_VERSION <|> CLIENT", cm.NessusVersionRequest()),
        (b"CLIENT <|> OPENVAS_VERSION <|> CLIENT", cm.OpenvasVersionRequest()),
        (b"CLIENT <|> OPENVASSD_VERSION <|> CLIENT", cm.OpenvasVersionRequest()),
        (b"CLIENT <|> CERTIFICATES <|> CLIENT", cm.CertificatesRequest()),
        (b"CLIENT <|> HUP_FATHER <|> CLIENT", cm.HupFather()),
        (b"CLIENT <|> QUIT <|> CLIENT", cm.Quit()),
        (b"CLIENT <|> BYE <|> ACK", cm.ClientBye()),
        (b"CLIENT <|> PONG <|> PING <|> CLIENT", cm.Pong()),
        (b"CLIENT <|> PLUGIN_INFO <|> 90001 <|> CLIENT", cm.PluginInfoRequest(plugin_id="90001")),
        (b"CLIENT <|> STOP_ATTACK <|> 127.0.0.3 <|> CLIENT", cm.StopAttack(host="127.0.0.3")),
        (
            b"CLIENT <|> SESSION_RESTORE <|> 20261124-184846 <|> CLIENT",
            cm.SessionRestore(session_id="20261124-184846"),
        ),
        (
            b"CLIENT <|> SESSION_DELETE <|> 20261124-184846 <|> CLIENT",
            cm.SessionDelete(session_id="20261124-184846"),
        ),
        (b"CLIENT <|> STOP_DETACHED <|> 3598 <|> CLIENT", cm.StopDetached(session_id="3598")),
        (b"CLIENT <|> DETACHED_STOP <|> 3598 <|> CLIENT", cm.StopDetached(session_id="3598")),
        (b"CLIENT <|> NEW_ATTACK <|> 127.0.0.1 <|> CLIENT", cm.NewAttack(targets="127.0.0.1")),
        (
            b"CLIENT <|> NEW_ATTACK <|>  198.18.0.5,198.18.0.6  <|> CLIENT",
            cm.NewAttack(targets="198.18.0.5,198.18.0.6"),
        ),
        (
            b"CLIENT <|> NEW_ATTACK <|> 1;39;11 <|> 20 <|> no <|> 1-1024 <|> 198.18.0.5 <|> CLIENT",
            cm.LegacyNewAttack(
                plugin_set="1;39;11",
                max_hosts="20",
                recursive="no",
                port_range="1-1024",
                targets="198.18.0.5",
            ),
        ),
    ],
)
def test_each_command_line_reads_as_its_message(line: bytes, msg: Message) -> None:
    assert orders(line + b"\n") == [msg]


def test_the_session_id_is_the_last_field_before_the_trailer() -> None:
    line = b"CLIENT <|> SESSION_DELETE <|> ignored <|> 20261124-184846 <|> CLIENT\n"
    assert orders(line) == [cm.SessionDelete(session_id="20261124-184846")]


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (b"SERVER <|> BYE <|> BYE <|> SERVER", "not a CLIENT line"),
        (b"", "not a CLIENT line"),
        (b"CLIENT<|> QUIT <|> CLIENT", "not a CLIENT line"),
        (b"CLIENT <|> NO_SUCH_COMMAND <|> CLIENT", "unknown command 'NO_SUCH_COMMAND'"),
        (b"CLIENT <|> ", "unknown command ''"),
        (b"CLIENT <|> QUITTING <|> CLIENT", "unknown command 'QUITTING'"),
        (b"CLIENT <|> NEW_ATTACK <|>  <|> CLIENT", "NEW_ATTACK: missing argument"),
        (b"CLIENT <|> NEW_ATTACK <|> 127.0.0.1", "NEW_ATTACK: missing argument"),
        (
            b"CLIENT <|> NEW_ATTACK <|> 127.0.0.1 127.0.0.2 <|> CLIENT",
            "NEW_ATTACK: NEW_ATTACK targets must be one non-empty word: '127.0.0.1 127.0.0.2'",
        ),
        (
            b"CLIENT <|> NEW_ATTACK <|> -1 <|>  <|> no <|> 1-1024 <|> 198.18.0.5 <|> CLIENT",
            "NEW_ATTACK: NEW_ATTACK max_hosts must be one non-empty word: ''",
        ),
        (b"CLIENT <|> PLUGIN_INFO <|> CLIENT", "PLUGIN_INFO: missing argument"),
        (b"CLIENT <|> STOP_ATTACK <|>  <|> CLIENT", "STOP_ATTACK: missing argument"),
        (
            b"CLIENT <|> SESSION_RESTORE <|> ../etc <|> CLIENT",
            "SESSION_RESTORE: incorrect session name '../etc'",
        ),
        (b"CLIENT <|> SESSION_DELETE", "SESSION_DELETE: incorrect session name 'CLIENT'"),
        (
            b"CLIENT <|> STOP_DETACHED <|> 20261124-184846 <|> CLIENT",
            "STOP_DETACHED: incorrect session name '20261124-184846'",
        ),
    ],
)
def test_a_line_nessusd_would_skip_is_unrecognized(line: bytes, reason: str) -> None:
    messages = orders(line + b"\n")
    assert messages == [Unrecognized(line=line.decode())]
    assert isinstance(messages[0], Unrecognized)
    assert messages[0].reason == reason


def test_the_empty_line_after_a_perl_new_attack_is_skipped() -> None:
    # Net::Nessus::Client ends NEW_ATTACK with an extra "\n" (ntp12 transcript).
    data = b"< NTP/1.2 >\ntester\ntestpass\nCLIENT <|> NEW_ATTACK <|> 127.0.0.1 <|> CLIENT\n\n"
    assert decode(data)[3:] == [
        cm.NewAttack(targets="127.0.0.1"),
        Unrecognized(line=""),
        ConnectionClosed(),
    ]


def test_a_command_line_is_limited_to_2047_bytes() -> None:
    error = decode_error(
        b"CLIENT <|> QUIT <|> CLIENT\n" + b"x" * 2048 + b"\n", start=ClientPhase.ORDERS
    )
    assert type(error) is LimitExceeded
    assert str(error) == "command line longer than 2047 bytes (at byte 27)"
    assert orders(b"x" * 2047 + b"\n") == [Unrecognized(line="x" * 2047)]


def test_a_command_cut_by_the_end_of_the_stream_is_an_error() -> None:
    error = decode_error(b"CLIENT <|> NESSUS_VERSION", start=ClientPhase.ORDERS)
    assert str(error) == "connection closed in the middle of command line (at byte 0)"


def test_a_command_arriving_byte_by_byte_reads_the_same() -> None:
    decoder = ClientStreamDecoder(start=ClientPhase.ORDERS)
    for byte in PREFERENCES_BYTES[:-1]:
        decoder.receive_data(bytes([byte]))
        assert decoder.next_message() is NEED_DATA
    decoder.receive_data(b"\n")
    assert decoder.next_message() == PREFERENCES
    assert decoder.offset == len(PREFERENCES_BYTES)


# --- decoding: blocks (spec §2.2, §5.3, §10.17) ----------------------------------------------


def test_the_client_preferences_block_reads_as_ordered_pairs() -> None:
    assert orders(PREFERENCES_BYTES) == [PREFERENCES]


def test_preference_lines_without_separator_are_ignored() -> None:
    data = (
        b"CLIENT <|> PREFERENCES <|>\n"
        b"plugin_set <|> 90002\nno separator\nno_such_pref <|> x\nmax_hosts <|> abc\n"
        b"Services[file]:SSL certificate : <|>\n<|> CLIENT\n"
    )
    assert orders(data) == [
        Preferences(
            items=(
                ("plugin_set", "90002"),
                ("no_such_pref", "x"),
                ("max_hosts", "abc"),
                ("Services[file]:SSL certificate :", ""),
            )
        )
    ]


def test_preference_lines_lose_the_carriage_return_of_a_crlf_peer() -> None:
    data = b"CLIENT <|> PREFERENCES <|>\r\nmax_hosts <|> 20\r\n<|> CLIENT\r\n"
    assert orders(data) == [Preferences(items=(("max_hosts", "20"),))]


def test_any_line_containing_the_client_terminator_ends_a_block() -> None:
    data = (
        b"CLIENT <|> PREFERENCES <|>\nmax_hosts <|> 20\ncomment <|> see <|> CLIENT docs\n"
        b"max_checks <|> 4\n<|> CLIENT\n"
    )
    assert orders(data) == [
        Preferences(items=(("max_hosts", "20"),)),
        Unrecognized(line="max_checks <|> 4"),
        Unrecognized(line="<|> CLIENT"),
    ]


def test_the_client_rules_block_reads_one_rule_a_line() -> None:
    data = b"CLIENT <|> RULES <|>\nreject 127.0.0.1\ndefault reject\n<|> CLIENT\n"
    assert orders(data) == [Rules(rules=("reject 127.0.0.1", "default reject"))]
    assert orders(b"CLIENT <|> RULES <|>\n<|> CLIENT\n") == [Rules()]


def test_a_preference_line_is_limited_at_its_own_offset() -> None:
    long_line = b"k <|> " + b"v" * (MAX_PREFERENCE_LINE - 5)
    assert orders(b"CLIENT <|> PREFERENCES <|>\n" + long_line[:-1] + b"\n<|> CLIENT\n") == [
        Preferences(items=(("k", "v" * (MAX_PREFERENCE_LINE - 6)),))
    ]
    error = decode_error(
        b"CLIENT <|> PREFERENCES <|>\n" + long_line + b"\n", start=ClientPhase.ORDERS
    )
    assert type(error) is LimitExceeded
    assert str(error) == f"PREFERENCES line longer than {MAX_PREFERENCE_LINE} bytes (at byte 27)"


def test_a_client_block_is_limited_in_bytes_as_well() -> None:
    header = b"CLIENT <|> QUIT <|> CLIENT\nCLIENT <|> PREFERENCES <|>\n"
    line = b"k <|> " + b"v" * (MAX_PREFERENCE_LINE - 6) + b"\n"
    count = MAX_CLIENT_BLOCK_BYTES // len(line)
    fits = header + line * count + b"<|> CLIENT\n"
    read = orders(fits)[1]
    assert isinstance(read, Preferences)
    assert len(read.items) == count
    error = decode_error(header + line * (count + 1), start=ClientPhase.ORDERS)
    assert type(error) is LimitExceeded
    assert str(error) == f"block longer than {MAX_CLIENT_BLOCK_BYTES} bytes (at byte 27)"


def test_a_rule_line_is_limited_to_4095_bytes() -> None:
    error = decode_error(b"CLIENT <|> RULES <|>\n" + b"r" * 4096 + b"\n", start=ClientPhase.ORDERS)
    assert str(error) == "RULES line longer than 4095 bytes (at byte 21)"


def test_a_client_block_is_limited_to_100000_lines() -> None:
    header = b"CLIENT <|> QUIT <|> CLIENT\nCLIENT <|> RULES <|>\n"
    fits = header + b"r\n" * MAX_CLIENT_BLOCK_LINES + b"<|> CLIENT\n"
    assert orders(fits)[1] == Rules(rules=("r",) * MAX_CLIENT_BLOCK_LINES)
    error = decode_error(header + b"r\n" * (MAX_CLIENT_BLOCK_LINES + 1), start=ClientPhase.ORDERS)
    assert type(error) is LimitExceeded
    assert str(error) == "block longer than 100000 lines (at byte 27)"


def test_a_block_cut_by_the_end_of_the_stream_is_an_error_at_the_cut_line() -> None:
    error = decode_error(
        b"CLIENT <|> PREFERENCES <|>\nmax_hosts <|> 20\n", start=ClientPhase.ORDERS
    )
    assert str(error) == "connection closed in the middle of PREFERENCES line (at byte 44)"


def test_a_preference_that_cannot_be_held_kills_the_stream() -> None:
    error = decode_error(
        b"CLIENT <|> QUIT <|> CLIENT\nCLIENT <|> PREFERENCES <|>\nx <|> y\r\r\n<|> CLIENT\n",
        start=ClientPhase.ORDERS,
    )
    assert str(error) == "preference value of 'x' contains a line end (at byte 27)"


def test_a_rule_holding_a_separator_kills_the_stream() -> None:
    error = decode_error(
        b"CLIENT <|> RULES <|>\nreject <|> 198.18.0.1\n<|> CLIENT\n", start=ClientPhase.ORDERS
    )
    assert str(error) == "rule contains the field separator: 'reject <|> 198.18.0.1' (at byte 0)"


# --- decoding: counted payloads (spec §2.3, §10.15) ------------------------------------------


def test_long_attack_reads_its_counted_targets_and_the_next_command_right_after() -> None:
    # The stop_attack transcript: the payload has no newline.
    data = (
        b"CLIENT <|> LONG_ATTACK <|>\n19\n127.0.0.1,127.0.0.3"
        b"CLIENT <|> STOP_ATTACK <|> 127.0.0.3 <|> CLIENT\n"
    )
    assert orders(data) == [
        cm.LongAttack(targets="127.0.0.1,127.0.0.3"),
        cm.StopAttack(host="127.0.0.3"),
    ]


@pytest.mark.parametrize(
    "header",
    [
        b"CLIENT <|> LONG_ATTACK <|>",
        b"CLIENT <|> LONG_ATTACK",
        b"CLIENT <|> LONG_ATTACK <|> CLIENT",
    ],
)
def test_every_long_attack_header_form_is_tolerated(header: bytes) -> None:
    assert orders(header + b"\n9\n127.0.0.1") == [cm.LongAttack(targets="127.0.0.1")]


def test_long_attack_targets_may_hold_spaces_newlines_and_any_bytes() -> None:
    data = b"CLIENT <|> LONG_ATTACK <|>\r\n 14 \r\n198.18.0.5\n\xff h\n"
    assert orders(data) == [cm.LongAttack(targets="198.18.0.5\n\udcff h"), Unrecognized(line="")]


def test_an_empty_long_attack_is_read() -> None:
    assert orders(b"CLIENT <|> LONG_ATTACK <|>\n0\n") == [cm.LongAttack(targets="")]


def test_long_attack_targets_are_limited_to_16_mib() -> None:
    error = decode_error(
        f"CLIENT <|> LONG_ATTACK <|>\n{MAX_TARGETS_SIZE + 1}\n".encode(), start=ClientPhase.ORDERS
    )
    assert type(error) is LimitExceeded
    assert str(error) == "LONG_ATTACK size 16777217 is over the limit of 16777216 bytes (at byte 0)"


def test_a_long_attack_size_must_be_a_number() -> None:
    error = decode_error(b"CLIENT <|> LONG_ATTACK <|>\n-9\n", start=ClientPhase.ORDERS)
    assert str(error) == "LONG_ATTACK size is not a number: '-9' (at byte 0)"


def test_a_long_attack_size_line_is_limited_to_16383_bytes() -> None:
    error = decode_error(
        b"CLIENT <|> LONG_ATTACK <|>\n" + b"0" * 16384, eof=False, start=ClientPhase.ORDERS
    )
    assert str(error) == "LONG_ATTACK size longer than 16383 bytes (at byte 27)"


def test_long_attack_targets_cut_by_the_end_of_the_stream_are_an_error() -> None:
    error = decode_error(b"CLIENT <|> LONG_ATTACK <|>\n19\n127.0.0.1", start=ClientPhase.ORDERS)
    assert str(error) == "connection closed in the middle of LONG_ATTACK targets (at byte 30)"


def test_long_attack_targets_arriving_in_pieces_are_one_message() -> None:
    decoder = ClientStreamDecoder(start=ClientPhase.ORDERS)
    decoder.receive_data(b"CLIENT <|> LONG_ATTACK <|>\n9\n127.")
    assert decoder.next_message() is NEED_DATA
    decoder.receive_data(b"0.0.1")
    assert decoder.next_message() == cm.LongAttack(targets="127.0.0.1")


def test_the_uploaded_plugin_of_the_transcript_is_read() -> None:
    data = (
        b"CLIENT <|> ATTACHED_PLUGIN\nname: peers_uploaded.nasl\ncontent: octet/stream\n"
        b"bytes: 423\n" + UPLOADED_PLUGIN + b"CLIENT <|> PLUGIN_INFO <|> 90004 <|> CLIENT\n"
    )
    assert orders(data) == [
        cm.AttachedPlugin(name="peers_uploaded.nasl", data=UPLOADED_PLUGIN),
        cm.PluginInfoRequest(plugin_id="90004"),
    ]


def test_an_attached_file_keeps_its_name_content_type_and_raw_bytes() -> None:
    data = (
        b"CLIENT <|> ATTACHED_FILE\r\nname: /home/alice/cert.pem\r\ncontent: text/plain\r\n"
        b"bytes:  4 \r\n\x00\n\r\xff"
    )
    assert orders(data) == [
        cm.AttachedFile(
            name="/home/alice/cert.pem", data=b"\x00\n\r\xff", content_type="text/plain"
        )
    ]


def test_any_second_attachment_line_is_the_content_type() -> None:
    data = b"CLIENT <|> ATTACHED_FILE\nname: f\nwhatever\nbytes: 0\n"
    assert orders(data) == [cm.AttachedFile(name="f", data=b"", content_type="whatever")]


@pytest.mark.parametrize("verb", [b"ATTACHED_FILE", b"ATTACHED_PLUGIN"])
def test_an_attachment_without_its_name_line_is_an_error(verb: bytes) -> None:
    error = decode_error(
        b"CLIENT <|> " + verb + b"\nfile: x\ncontent: octet/stream\nbytes: 0\n",
        start=ClientPhase.ORDERS,
    )
    assert str(error) == f"{verb.decode()} without its 'name: ' line (at byte 0)"


def test_an_attachment_without_its_bytes_line_is_an_error() -> None:
    error = decode_error(
        b"CLIENT <|> ATTACHED_FILE\nname: x\ncontent: octet/stream\nsize: 0\n",
        start=ClientPhase.ORDERS,
    )
    assert str(error) == "ATTACHED_FILE without its 'bytes: ' line (at byte 0)"


def test_an_attachment_size_must_be_a_number() -> None:
    error = decode_error(
        b"CLIENT <|> ATTACHED_PLUGIN\nname: x\ncontent: octet/stream\nbytes: lots\n",
        start=ClientPhase.ORDERS,
    )
    assert str(error) == "ATTACHED_PLUGIN size is not a number: 'lots' (at byte 0)"


@pytest.mark.parametrize(
    ("verb", "cap"),
    [("ATTACHED_FILE", MAX_ATTACHED_FILE_SIZE), ("ATTACHED_PLUGIN", MAX_ATTACHED_PLUGIN_SIZE)],
)
def test_attachments_are_limited_to_64_mib(verb: str, cap: int) -> None:
    head = f"CLIENT <|> QUIT <|> CLIENT\nCLIENT <|> {verb}\nname: x\ncontent: octet/stream\n"
    error = decode_error(f"{head}bytes: {cap + 1}\n".encode(), start=ClientPhase.ORDERS)
    assert type(error) is LimitExceeded
    assert (
        str(error) == f"{verb} of 67108865 bytes is over the limit of 67108864 bytes (at byte 27)"
    )


def test_an_attachment_header_line_is_limited_to_16383_bytes() -> None:
    error = decode_error(
        b"CLIENT <|> ATTACHED_FILE\nname: " + b"n" * 16378, eof=False, start=ClientPhase.ORDERS
    )
    assert str(error) == "ATTACHED_FILE name line longer than 16383 bytes (at byte 25)"


def test_an_attachment_cut_by_the_end_of_the_stream_is_an_error() -> None:
    error = decode_error(
        b"CLIENT <|> ATTACHED_FILE\nname: x\ncontent: octet/stream\nbytes: 10\nshort",
        start=ClientPhase.ORDERS,
    )
    assert str(error) == "connection closed in the middle of ATTACHED_FILE payload (at byte 65)"


def test_an_attachment_name_holding_a_separator_kills_the_stream() -> None:
    error = decode_error(
        b"CLIENT <|> ATTACHED_FILE\nname: a <|> b\ncontent: octet/stream\nbytes: 0\n",
        start=ClientPhase.ORDERS,
    )
    assert str(error) == "attachment name contains the field separator: 'a <|> b' (at byte 0)"


# --- round trips -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "msg",
    [
        PREFERENCES,
        Preferences(items=(("", ""), ("a<b", "x <|> y"), ("Services[file]:CA file :", ""))),
        Rules(rules=("reject 198.18.0.0/15", "")),
        cm.AttachedFile(name="/tmp/list.txt", data=b"a\nb\n<|> CLIENT\n"),
        cm.AttachedPlugin(name="x.nasl", data=b"", content_type="text/x-nasl"),
        cm.LongAttack(targets="198.18.0.5 198.18.0.6\nh\u00f4te"),
        cm.NewAttack(targets="198.18.0.0/24"),
        cm.LegacyNewAttack(
            plugin_set="-1", max_hosts="2", recursive="yes", port_range="default", targets="a"
        ),
        cm.StopAttack(host="::1"),
        cm.SessionDelete(session_id="20051106-101530"),
        cm.SessionRestore(session_id="20051106-101530"),
        cm.StopDetached(session_id="1"),
        cm.PluginInfoRequest(plugin_id="1.3.6.1.4.1.25623.1.0.90002"),
        cm.StopWholeTest(),
        cm.PauseWholeTest(),
        cm.ResumeWholeTest(),
        cm.SessionsListRequest(),
        cm.DetachedSessionsListRequest(),
        cm.NessusVersionRequest(),
        cm.OpenvasVersionRequest(),
        cm.CertificatesRequest(),
        cm.HupFather(),
        cm.Quit(),
        cm.ClientBye(),
        cm.Pong(),
        Unrecognized(line="anything"),
    ],
)
def test_every_command_reads_back_as_written(msg: Message) -> None:
    assert orders(encode(msg)) == [msg]


def test_a_whole_login_reads_back_as_written() -> None:
    messages: list[Message] = [
        cm.Banner(version=Version.NTP_1_2, extensions=("md5_caching", "is_proxy")),
        cm.User(name="alice"),
        cm.Password(password="s3 cret"),
        cm.SendPluginsMd5(),
        cm.CompleteList(),
        cm.PluginInfoRequest(plugin_id="10330"),
        cm.GoOn(line="CLIENT <|> GO ON <|> CLIENT"),
        cm.Quit(),
    ]
    data = b"".join(encode(msg) for msg in messages)
    assert decode(data) == [*messages, ConnectionClosed()]
