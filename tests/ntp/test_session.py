"""One end of a connection: bytes in, messages out, messages in, bytes out, with the state
table and the negotiated features kept up to date (spec §1.4, §1.5, §3.10, §4, §10.6)."""

from __future__ import annotations

import pytest

from ixion.ntp import client_messages as cm
from ixion.ntp import server_messages as sm
from ixion.ntp.decoder import NEED_DATA
from ixion.ntp.errors import LocalProtocolError, RemoteProtocolError
from ixion.ntp.features import Features, Version
from ixion.ntp.messages import ConnectionClosed, Message, Preferences
from ixion.ntp.records import PortRef
from ixion.ntp.session import Session
from ixion.ntp.state import Role, State

FAST_LOGIN = b"< NTP/1.2 >< fast_login >\ntester\ntestpass\n"
NEW_ATTACK = b"CLIENT <|> NEW_ATTACK <|> 127.0.0.1 <|> CLIENT\n"
HTTP_PORT = PortRef(service="blackice-icecap", number=8081)
NOTE = sm.Report(
    kind=sm.ReportKind.NOTE,
    host="127.0.0.1",
    port=HTTP_PORT,
    text="Banner\nServer: SimpleHTTP\n",
    plugin_id="90002",
)
PREFERENCES = Preferences(
    items=(
        ("ntp_opt_show_end", "yes"),
        ("ntp_keep_communication_alive", "yes"),
        ("ntp_short_status", "yes"),
        ("ntp_client_accepts_notes", "yes"),
        ("ntp_escape_crlf", "yes"),
    )
)


def receive_all(session: Session, data: bytes) -> list[Message]:
    session.receive_data(data)
    messages: list[Message] = []
    while (msg := session.next_message()) is not NEED_DATA:
        messages.append(msg)
        if isinstance(msg, ConnectionClosed):
            break
    return messages


def logged_in_server(banner: bytes = b"< NTP/1.2 >< fast_login >\n") -> Session:
    """A server session that has read the login and sent the prompts."""
    server = Session(Role.SERVER)
    assert len(receive_all(server, banner + b"tester\ntestpass\n")) == 3
    server.send(sm.VersionReply(version=server.features.version))
    server.send(sm.UserPrompt())
    server.send(sm.PasswordPrompt())
    return server


def remote_error(session: Session, data: bytes) -> RemoteProtocolError:
    session.receive_data(data)

    def drain() -> None:
        while session.next_message() is not NEED_DATA:
            pass

    with pytest.raises(RemoteProtocolError) as caught:
        drain()
    return caught.value


# --- the server side -------------------------------------------------------------------------


def test_a_server_session_answers_the_misc_transcript_byte_for_byte() -> None:
    server = Session(Role.SERVER)
    assert server.features == Features()
    assert (server.our_state, server.their_state) == (State.WAIT_BANNER, State.BANNER)
    assert receive_all(server, b"< NTP/1.2 >< fast_login >\n") == [
        cm.Banner(version=Version.NTP_1_2, extensions=("fast_login",))
    ]
    assert server.features == Features(extensions=frozenset({"fast_login"}))
    assert server.our_state is State.SEND_VERSION
    assert server.send(sm.VersionReply(version=Version.NTP_1_2)) == b"< NTP/1.2 >\n"
    assert server.send(sm.UserPrompt()) == b"User : "
    assert receive_all(server, b"tester\n") == [cm.User(name="tester")]
    assert server.send(sm.PasswordPrompt()) == b"Password : "
    assert receive_all(server, b"testpass\n") == [cm.Password(password="testpass")]
    assert (server.our_state, server.their_state) == (State.LOGIN_VERDICT, State.ORDERS)

    assert receive_all(server, b"CLIENT <|> NESSUS_VERSION <|> CLIENT\n") == [
        cm.NessusVersionRequest()
    ]
    assert server.send(sm.NessusVersion(version="2.2.5")) == (
        b"SERVER <|> NESSUS_VERSION <|> 2.2.5 <|> SERVER\n"
    )
    prefs = b"CLIENT <|> PREFERENCES <|>\nplugin_set <|> 90002\nmax_hosts <|> abc\n<|> CLIENT\n"
    assert receive_all(server, prefs) == [
        Preferences(items=(("plugin_set", "90002"), ("max_hosts", "abc")))
    ]
    assert server.send(sm.PreferencesErrors()) == b"SERVER <|> PREFERENCES_ERRORS <|>\n<|> SERVER\n"
    assert receive_all(server, b"CLIENT <|> NEW_ATTACK <|> no-such-host.invalid <|> CLIENT\n") == [
        cm.NewAttack(targets="no-such-host.invalid")
    ]
    assert (server.our_state, server.their_state) == (State.ATTACK, State.ATTACK)
    assert server.send(sm.Bye()) == b"SERVER <|> BYE <|> BYE <|> SERVER\n"
    assert (server.our_state, server.their_state) == (State.CLOSED, State.CLOSED)
    assert receive_all(server, b"") == [ConnectionClosed()]


def test_client_preferences_change_how_the_server_writes_results() -> None:
    server = logged_in_server()
    status = sm.Status(host="127.0.0.1", action=sm.StatusAction.ATTACK, current=2, total=2)
    receive_all(server, NEW_ATTACK)
    assert server.send(status) == b"SERVER <|> STATUS <|> 127.0.0.1 <|> attack <|> 2/2 <|> SERVER\n"
    assert server.send(NOTE) == (
        b"SERVER <|> INFO <|> 127.0.0.1 <|> blackice-icecap (8081/tcp) <|>"
        b" Banner;Server: SimpleHTTP; <|> 90002 <|> SERVER\n"
    )
    wire = b"CLIENT <|> PREFERENCES <|>\n" + b"".join(
        f"{name} <|> {value}\n".encode() for name, value in PREFERENCES.items
    )
    assert receive_all(server, wire + b"<|> CLIENT\n") == [PREFERENCES]
    assert server.features == Features(
        extensions=frozenset({"fast_login"}),
        escape_crlf=True,
        accepts_notes=True,
        short_status=True,
        keep_alive=True,
    )
    assert server.send(status) == b"s:a:127.0.0.1:2:2\n"
    assert server.send(NOTE) == (
        b"SERVER <|> NOTE <|> 127.0.0.1 <|> blackice-icecap (8081/tcp) <|>"
        b" Banner\\nServer: SimpleHTTP\\n <|> 90002 <|> SERVER\n"
    )


def test_keep_alive_after_bye_lets_the_client_start_another_scan() -> None:
    server = logged_in_server()
    receive_all(
        server, b"CLIENT <|> PREFERENCES <|>\nntp_keep_communication_alive <|> no\n<|> CLIENT\n"
    )
    receive_all(server, NEW_ATTACK)
    server.send(sm.Bye())
    assert (server.our_state, server.their_state) == (State.ORDERS, State.ORDERS)
    assert receive_all(server, NEW_ATTACK) == [cm.NewAttack(targets="127.0.0.1")]
    assert (server.our_state, server.their_state) == (State.ATTACK, State.ATTACK)


def test_without_keep_alive_a_command_after_bye_is_a_protocol_error() -> None:
    server = logged_in_server()
    receive_all(server, NEW_ATTACK)
    server.send(sm.Bye())
    assert (server.our_state, server.their_state) == (State.CLOSED, State.CLOSED)
    error = remote_error(server, NEW_ATTACK)
    assert str(error) == (
        f"the client cannot send NEW_ATTACK in state CLOSED (at byte {len(FAST_LOGIN) + 47})"
    )


def test_a_second_attack_order_during_a_scan_is_read_and_the_scan_goes_on() -> None:
    server = logged_in_server()
    assert receive_all(server, NEW_ATTACK) == [cm.NewAttack(targets="127.0.0.1")]
    assert receive_all(server, NEW_ATTACK) == [cm.NewAttack(targets="127.0.0.1")]
    assert (server.our_state, server.their_state) == (State.ATTACK, State.ATTACK)


def test_the_server_refuses_an_order_out_of_place_at_the_offset_where_it_begins() -> None:
    server = logged_in_server()
    receive_all(server, NEW_ATTACK)
    error = remote_error(
        server, b"CLIENT <|> STOP_WHOLE_TEST <|> CLIENT\n" + b"CLIENT <|> BYE <|> ACK\n"
    )
    assert type(error) is RemoteProtocolError
    assert error.message == "the client cannot send BYE in state ATTACK"
    assert error.offset == len(FAST_LOGIN) + len(NEW_ATTACK) + 38
    assert error.__cause__ is None


def test_after_a_protocol_error_the_session_repeats_it() -> None:
    server = logged_in_server()
    receive_all(server, NEW_ATTACK)
    error = remote_error(server, b"CLIENT <|> BYE <|> ACK\n")
    with pytest.raises(RemoteProtocolError) as again:
        server.next_message()
    assert again.value is error


def test_the_server_refuses_to_send_port_before_attack() -> None:
    server = logged_in_server()
    server.send(sm.PluginList())
    port = sm.Port(host="127.0.0.1", port=HTTP_PORT)
    with pytest.raises(LocalProtocolError) as caught:
        server.send(port)
    assert caught.value.message == "the server cannot send PORT in state ORDERS"
    assert (server.our_state, server.their_state) == (State.ORDERS, State.ORDERS)


def test_the_server_cannot_send_a_client_message() -> None:
    server = Session(Role.SERVER)
    with pytest.raises(LocalProtocolError) as caught:
        server.send(cm.Quit())
    assert caught.value.message == "Quit is not a server message"
    assert server.our_state is State.WAIT_BANNER


def test_a_message_the_features_leave_out_is_sent_as_no_bytes() -> None:
    server = logged_in_server()
    receive_all(server, NEW_ATTACK)
    assert server.send(sm.Time(kind=sm.TimeKind.SCAN_START, when="now")) == b""
    assert server.our_state is State.ATTACK


def test_a_message_that_cannot_be_written_moves_nothing() -> None:
    # NTP/1.0 has no PREFERENCES: the refusal leaves the server where it was.
    server = logged_in_server(b"< NTP/1.0 >\n")
    with pytest.raises(LocalProtocolError, match=r"NTP/1\.0 has no PREFERENCES message"):
        server.send(Preferences())
    assert server.our_state is State.LOGIN_VERDICT
    assert server.send(sm.PluginList()) == b"SERVER <|> PLUGIN_LIST <|>\n<|> SERVER\n"


def test_a_server_session_on_an_md5_caching_login_reads_the_loop() -> None:
    server = logged_in_server(b"< NTP/1.2 >< md5_caching >\n")
    server.send(sm.PluginsMd5(md5="ed674be6ce9eccb6ecda8ef78d3ab0ab"))
    data = b"CLIENT <|> SEND_PLUGINS_MD5 <|> CLIENT\nCLIENT <|> GO ON <|> CLIENT\n"
    assert receive_all(server, data) == [cm.SendPluginsMd5(), cm.GoOn()]
    assert (server.our_state, server.their_state) == (State.ORDERS, State.ORDERS)


def test_an_unknown_version_leaves_the_server_nothing_to_say() -> None:
    server = Session(Role.SERVER)
    assert receive_all(server, b"< NTP/9.9 >\n") == [cm.UnknownVersion(line="< NTP/9.9 >")]
    assert server.their_state is State.CLOSED
    with pytest.raises(LocalProtocolError, match="cannot send VERSION in state WAIT_BANNER"):
        server.send(sm.VersionReply(version=Version.NTP_1_2))
    assert receive_all(server, b"") == [ConnectionClosed()]


def test_a_malformed_stream_is_reported_by_the_session() -> None:
    server = Session(Role.SERVER)
    error = remote_error(server, b"< NTP/1.2 >\n" + b"u" * 255 + b"\n")
    assert str(error) == "user name longer than 254 bytes (at byte 12)"


def test_data_after_the_end_of_the_stream_is_our_mistake() -> None:
    server = Session(Role.SERVER)
    server.receive_data(b"")
    with pytest.raises(LocalProtocolError, match="after the end of stream"):
        server.receive_data(b"x")


# --- the client side -------------------------------------------------------------------------


def test_a_client_session_logs_in_and_reads_the_reference_server_answers() -> None:
    words = ("plugins_cve_id", "plugins_version", "timestamps", "is_proxy")
    client = Session(Role.CLIENT, features=Features.from_words(words))
    assert client.send(cm.Banner(version=Version.NTP_1_2, extensions=words)) == (
        b"< NTP/1.2 >< plugins_cve_id plugins_version timestamps is_proxy >\n"
    )
    assert client.features == Features(
        extensions=frozenset({"plugins_cve_id", "plugins_version", "timestamps"})
    )
    assert receive_all(client, b"< NTP/1.2 >\nUser ") == [sm.VersionReply(version=Version.NTP_1_2)]
    assert receive_all(client, b": ") == [sm.UserPrompt()]
    assert client.send(cm.User(name="tester")) == b"tester\n"
    assert receive_all(client, b"Password : ") == [sm.PasswordPrompt()]
    assert client.send(cm.Password(password="testpass")) == b"testpass\n"
    assert (client.our_state, client.their_state) == (State.ORDERS, State.LOGIN_VERDICT)
    assert receive_all(client, b"Bad login attempt !\n") == [sm.BadLogin()]
    assert client.their_state is State.CLOSED
    assert receive_all(client, b"") == [ConnectionClosed()]


def test_a_client_refuses_a_version_reply_for_another_version() -> None:
    client = Session(Role.CLIENT)
    client.send(cm.Banner(version=Version.NTP_1_2))
    error = remote_error(client, b"< NTP/1.1 >\n")
    assert str(error) == "server answered NTP/1.1 to NTP/1.2 (at byte 0)"
    with pytest.raises(RemoteProtocolError) as again:
        client.next_message()
    assert again.value is error


def test_a_client_refuses_a_port_before_the_attack() -> None:
    client = Session(Role.CLIENT)
    for msg in (cm.Banner(version=Version.NTP_1_2), cm.User(name="t"), cm.Password(password="p")):
        client.send(msg)
    data = (
        b"< NTP/1.2 >\nUser : Password : SERVER <|> PLUGIN_LIST <|>\n<|> SERVER\n"
        b"SERVER <|> PORT <|> 127.0.0.1 <|> ssh (22/tcp) <|> SERVER\n"
    )
    error = remote_error(client, data)
    assert str(error) == "the server cannot send PORT in state ORDERS (at byte 68)"


def test_the_client_preferences_decide_how_the_client_reads_reports() -> None:
    client = Session(Role.CLIENT)
    for msg in (cm.Banner(version=Version.NTP_1_2), cm.User(name="t"), cm.Password(password="p")):
        client.send(msg)
    receive_all(client, b"< NTP/1.2 >\nUser : Password : SERVER <|> PLUGIN_LIST <|>\n<|> SERVER\n")
    client.send(PREFERENCES)
    assert client.features.escape_crlf
    assert receive_all(client, b"SERVER <|> PREFERENCES_ERRORS <|>\n<|> SERVER\n") == [
        sm.PreferencesErrors()
    ]
    client.send(cm.LongAttack(targets="127.0.0.1"))
    line = (
        b"SERVER <|> NOTE <|> 127.0.0.1 <|> blackice-icecap (8081/tcp) <|>"
        b" Banner\\nServer: SimpleHTTP\\n <|> 90002 <|> SERVER\n"
    )
    assert receive_all(client, line + b"s:a:127.0.0.1:2:2\n") == [
        NOTE,
        sm.Status(host="127.0.0.1", action=sm.StatusAction.ATTACK, current=2, total=2),
    ]
    assert receive_all(client, b"SERVER <|> BYE <|> BYE <|> SERVER\n") == [sm.Bye()]
    assert (client.our_state, client.their_state) == (State.ORDERS, State.ORDERS)
    assert client.send(cm.Quit()) == b"CLIENT <|> QUIT <|> CLIENT\n"
    assert client.our_state is State.CLOSED


def test_server_preferences_do_not_change_the_features() -> None:
    client = Session(Role.CLIENT)
    for msg in (cm.Banner(version=Version.NTP_1_2), cm.User(name="t"), cm.Password(password="p")):
        client.send(msg)
    data = (
        b"< NTP/1.2 >\nUser : Password : "
        b"SERVER <|> PREFERENCES <|>\nntp_escape_crlf <|> yes\n<|> SERVER\n"
    )
    messages = receive_all(client, data)
    assert messages[-1] == Preferences(items=(("ntp_escape_crlf", "yes"),))
    assert client.features == Features()


def test_a_client_message_refused_by_its_encoder_changes_no_feature() -> None:
    client = Session(Role.CLIENT)
    for msg in (cm.Banner(version=Version.NTP_1_2), cm.User(name="t"), cm.Password(password="p")):
        client.send(msg)
    prefs = Preferences(items=(("ntp_escape_crlf", "yes"), ("note", "<|> CLIENT")))
    with pytest.raises(LocalProtocolError, match="PREFERENCES line would end the block"):
        client.send(prefs)
    assert client.features == Features()


def test_the_client_cannot_send_a_server_message() -> None:
    client = Session(Role.CLIENT)
    with pytest.raises(LocalProtocolError) as caught:
        client.send(sm.Bye())
    assert caught.value.message == "Bye is not a client message"


def test_the_client_refuses_to_say_bye_during_a_scan() -> None:
    client = Session(Role.CLIENT)
    for msg in (cm.Banner(version=Version.NTP_1_2), cm.User(name="t"), cm.Password(password="p")):
        client.send(msg)
    client.send(cm.NewAttack(targets="127.0.0.1"))
    client.send(cm.NewAttack(targets="127.0.0.2"))  # allowed; the server starts nothing
    with pytest.raises(LocalProtocolError) as caught:
        client.send(cm.ClientBye())
    assert caught.value.message == "the client cannot send BYE in state ATTACK"
