"""The transition table: who may send what, when (spec §1.4, §1.5, §4, §4.5)."""

from __future__ import annotations

import pytest

from ixion.ntp import client_messages as cm
from ixion.ntp import server_messages as sm
from ixion.ntp.errors import LocalProtocolError
from ixion.ntp.features import Features, Version
from ixion.ntp.messages import ConnectionClosed, Message, Preferences, Rules, Unrecognized
from ixion.ntp.records import Category, PluginRecord, PortRef
from ixion.ntp.state import TRANSITIONS, ConnectionState, Role, State

PLAIN = Features()
MD5 = Features(extensions=frozenset({"md5_caching"}))
KEEP_ALIVE = Features(keep_alive=True)

BANNER = cm.Banner(version=Version.NTP_1_2)
PORT = sm.Port(host="127.0.0.1", port=PortRef(service="ssh", number=22))
NEW_ATTACK = cm.NewAttack(targets="127.0.0.1")
PLUGIN = PluginRecord(
    id="90002",
    name="Peers HTTP banner check",
    category=Category.GATHER_INFO,
    copyright="Public domain test plugin",
    description="Reads the Server: banner of a web server.",
    summary="HTTP banner grabber",
    family="General",
)


def states(conn: ConnectionState) -> tuple[State, State]:
    return conn.states[Role.CLIENT], conn.states[Role.SERVER]


def run(conn: ConnectionState, features: Features, *steps: tuple[Role, Message]) -> None:
    for role, msg in steps:
        conn.process(role, msg, features)


C, S = Role.CLIENT, Role.SERVER

LOGIN: tuple[tuple[Role, Message], ...] = (
    (C, BANNER),
    (S, sm.VersionReply(version=Version.NTP_1_2)),
    (S, sm.UserPrompt()),
    (C, cm.User(name="tester")),
    (S, sm.PasswordPrompt()),
    (C, cm.Password(password="testpass")),
)


def logged_in(features: Features = PLAIN) -> ConnectionState:
    conn = ConnectionState()
    run(conn, features, *LOGIN)
    return conn


def attacking(features: Features = PLAIN) -> ConnectionState:
    conn = logged_in(features)
    run(conn, features, (S, sm.PluginList()), (C, NEW_ATTACK))
    return conn


def refusal(conn: ConnectionState, role: Role, msg: Message, features: Features = PLAIN) -> str:
    before = dict(conn.states)
    with pytest.raises(LocalProtocolError) as caught:
        conn.process(role, msg, features)
    assert conn.states == before
    return caught.value.message


def test_roles_know_their_peer() -> None:
    assert Role.CLIENT.peer is Role.SERVER
    assert Role.SERVER.peer is Role.CLIENT


def test_a_connection_starts_with_the_client_banner() -> None:
    assert states(ConnectionState()) == (State.BANNER, State.WAIT_BANNER)


def test_the_login_moves_both_sides_step_by_step() -> None:
    conn = ConnectionState()
    seen = []
    for role, msg in LOGIN:
        conn.process(role, msg, PLAIN)
        seen.append(states(conn))
    assert seen == [
        (State.USER, State.SEND_VERSION),
        (State.USER, State.SEND_USER_PROMPT),
        (State.USER, State.WAIT_USER),
        (State.PASSWORD, State.SEND_PASSWORD_PROMPT),
        (State.PASSWORD, State.WAIT_PASSWORD),
        (State.ORDERS, State.LOGIN_VERDICT),
    ]


def test_a_pipelined_login_lets_the_server_catch_up() -> None:
    # nmap's nessus-ntp-brute sends banner, user and password without waiting (spec §1.6).
    conn = ConnectionState()
    run(conn, PLAIN, (C, BANNER), (C, cm.User(name="tester")), (C, cm.Password(password="x")))
    assert states(conn) == (State.ORDERS, State.SEND_VERSION)
    conn.process(S, sm.VersionReply(version=Version.NTP_1_2), PLAIN)
    conn.process(S, sm.UserPrompt(), PLAIN)
    assert states(conn) == (State.ORDERS, State.SEND_PASSWORD_PROMPT)
    conn.process(S, sm.PasswordPrompt(), PLAIN)
    assert states(conn) == (State.ORDERS, State.LOGIN_VERDICT)


def test_the_server_cannot_speak_before_the_banner() -> None:
    message = refusal(ConnectionState(), S, sm.VersionReply(version=Version.NTP_1_2))
    assert message == "the server cannot send VERSION in state WAIT_BANNER"


def test_the_server_cannot_prompt_for_the_password_before_the_user_name() -> None:
    conn = ConnectionState()
    run(conn, PLAIN, *LOGIN[:3])
    assert refusal(conn, S, sm.PasswordPrompt()) == (
        "the server cannot send PASSWORD_PROMPT in state WAIT_USER"
    )


def test_the_client_cannot_send_a_command_before_logging_in() -> None:
    conn = ConnectionState()
    conn.process(C, BANNER, PLAIN)
    assert refusal(conn, C, NEW_ATTACK) == "the client cannot send NEW_ATTACK in state USER"
    assert refusal(ConnectionState(), C, cm.User(name="x")) == (
        "the client cannot send USER in state BANNER"
    )


def test_an_unknown_version_closes_the_client_and_leaves_the_server_silent() -> None:
    conn = ConnectionState()
    conn.process(C, cm.UnknownVersion(line="< NTP/9.9 >"), PLAIN)
    assert states(conn) == (State.CLOSED, State.WAIT_BANNER)
    assert refusal(conn, S, sm.VersionReply(version=Version.NTP_1_2)) == (
        "the server cannot send VERSION in state WAIT_BANNER"
    )


def test_a_bad_login_closes_the_server() -> None:
    conn = logged_in()
    conn.process(S, sm.BadLogin(), PLAIN)
    assert states(conn) == (State.ORDERS, State.CLOSED)
    assert refusal(conn, S, sm.PluginList()) == "the server cannot send PLUGIN_LIST in state CLOSED"


def test_a_successful_login_is_implicit_in_the_first_server_reply() -> None:
    conn = logged_in()
    conn.process(S, sm.PluginList(), PLAIN)
    assert states(conn) == (State.ORDERS, State.ORDERS)


def test_after_a_fast_login_the_server_may_answer_the_first_command() -> None:
    conn = logged_in()
    conn.process(C, Preferences(), PLAIN)
    conn.process(S, sm.PreferencesErrors(), PLAIN)
    assert states(conn) == (State.ORDERS, State.ORDERS)


def test_the_md5_loop_keeps_both_sides_until_the_client_goes_on() -> None:
    conn = logged_in(MD5)
    assert states(conn) == (State.MD5_LOOP, State.LOGIN_VERDICT)
    run(
        conn,
        MD5,
        (S, sm.PluginsMd5(md5="ed674be6ce9eccb6ecda8ef78d3ab0ab")),
        (C, cm.SendPluginsMd5()),
        (S, sm.PluginsMd5List()),
        (C, cm.PluginInfoRequest(plugin_id="90002")),
        (S, sm.PluginInfoReply(plugin=PLUGIN)),
        (C, cm.CompleteList()),
        (S, sm.PluginList()),
        (C, Unrecognized(line="CLIENT <|> PLUGIN_INFO <|> CLIENT")),
    )
    assert states(conn) == (State.MD5_LOOP, State.MD5_LOOP)
    conn.process(C, cm.GoOn(), MD5)
    assert states(conn) == (State.ORDERS, State.ORDERS)
    conn.process(S, Preferences(), MD5)
    assert states(conn) == (State.ORDERS, State.ORDERS)


def test_the_server_sends_only_plugin_data_inside_the_md5_loop() -> None:
    conn = logged_in(MD5)
    conn.process(S, sm.PluginsMd5(md5="ed674be6ce9eccb6ecda8ef78d3ab0ab"), MD5)
    assert refusal(conn, S, Preferences(), MD5) == (
        "the server cannot send PREFERENCES in state MD5_LOOP"
    )


def test_the_client_cannot_start_a_scan_inside_the_md5_loop() -> None:
    conn = logged_in(MD5)
    assert (
        refusal(conn, C, NEW_ATTACK, MD5) == "the client cannot send NEW_ATTACK in state MD5_LOOP"
    )


def test_without_md5_caching_there_is_no_loop() -> None:
    conn = logged_in()
    assert refusal(conn, C, cm.GoOn()) == "the client cannot send GO_ON in state ORDERS"
    assert refusal(conn, S, sm.PluginsMd5List()) == (
        "the server cannot send PLUGINS_MD5_LIST in state LOGIN_VERDICT"
    )


def test_a_new_attack_starts_the_scan_on_both_sides() -> None:
    assert states(attacking()) == (State.ATTACK, State.ATTACK)


@pytest.mark.parametrize(
    "start",
    [
        cm.NewAttack(targets="127.0.0.1"),
        cm.LegacyNewAttack(
            plugin_set="-1", max_hosts="1", recursive="no", port_range="1-1024", targets="h"
        ),
        cm.LongAttack(targets="127.0.0.1,127.0.0.3"),
        cm.SessionRestore(session_id="20261124-184846"),
    ],
)
def test_every_attack_command_starts_a_scan(start: Message) -> None:
    conn = logged_in()
    conn.process(S, sm.PluginList(), PLAIN)
    conn.process(C, start, PLAIN)
    assert states(conn) == (State.ATTACK, State.ATTACK)


def test_a_scan_started_right_after_a_fast_login_moves_the_server_too() -> None:
    conn = logged_in()
    conn.process(C, NEW_ATTACK, PLAIN)
    assert states(conn) == (State.ATTACK, State.ATTACK)


def test_the_server_refuses_port_before_attack() -> None:
    conn = logged_in()
    conn.process(S, sm.PluginList(), PLAIN)
    assert refusal(conn, S, PORT) == "the server cannot send PORT in state ORDERS"


@pytest.mark.parametrize(
    "msg",
    [
        sm.Time(kind=sm.TimeKind.SCAN_START, when="now"),
        sm.Status(host="h", action=sm.StatusAction.ATTACK, current=1, total=2),
        sm.Stat(host="h", current=1, total=2),
        sm.Report(kind=sm.ReportKind.HOLE, host="h", port=PortRef.general(), text="x\n"),
        sm.HostsNotAllowed(hosts=("h",)),
        sm.Bye(),
    ],
)
def test_scan_messages_need_a_running_scan(msg: Message) -> None:
    conn = logged_in()
    conn.process(S, sm.PluginList(), PLAIN)
    assert refusal(conn, S, msg) == f"the server cannot send {msg.TYPE} in state ORDERS"


def test_finished_may_come_outside_a_scan() -> None:
    # nessusd answers STOP_ATTACK with FINISHED even when nothing runs (spec §3.7).
    conn = logged_in()
    run(conn, PLAIN, (S, sm.PluginList()), (C, cm.StopAttack(host="h")), (S, sm.Finished(host="h")))
    assert states(conn) == (State.ORDERS, State.ORDERS)


def test_the_server_streams_results_during_a_scan() -> None:
    conn = attacking()
    run(
        conn,
        PLAIN,
        (S, sm.Time(kind=sm.TimeKind.HOST_START, host="127.0.0.1", when="now")),
        (S, PORT),
        (S, sm.Status(host="127.0.0.1", action=sm.StatusAction.ATTACK, current=3, total=2)),
        (C, Preferences()),
        (S, sm.PreferencesErrors()),
        (S, sm.HostsNotAllowed(hosts=("127.0.0.2",))),
    )
    assert states(conn) == (State.ATTACK, State.ATTACK)


def test_a_second_attack_order_during_a_scan_leaves_both_sides_attacking() -> None:
    conn = attacking()
    run(conn, PLAIN, (C, NEW_ATTACK), (C, cm.LongAttack(targets="x")))
    assert states(conn) == (State.ATTACK, State.ATTACK)
    assert refusal(conn, C, cm.ClientBye()) == "the client cannot send BYE in state ATTACK"


def test_the_client_may_stop_and_query_during_a_scan() -> None:
    conn = attacking()
    run(
        conn,
        PLAIN,
        (C, cm.StopAttack(host="127.0.0.3")),
        (C, cm.PauseWholeTest()),
        (C, cm.ResumeWholeTest()),
        (C, cm.StopWholeTest()),
        (C, Rules()),
        (C, Unrecognized(line="")),
    )
    assert states(conn) == (State.ATTACK, State.ATTACK)


def test_keep_alive_after_bye_goes_back_to_orders() -> None:
    conn = attacking(KEEP_ALIVE)
    conn.process(S, sm.Bye(), KEEP_ALIVE)
    assert states(conn) == (State.ORDERS, State.ORDERS)
    conn.process(C, NEW_ATTACK, KEEP_ALIVE)
    assert states(conn) == (State.ATTACK, State.ATTACK)


def test_without_keep_alive_bye_closes_both_sides() -> None:
    conn = attacking()
    conn.process(S, sm.Bye(), PLAIN)
    assert states(conn) == (State.CLOSED, State.CLOSED)
    assert refusal(conn, C, cm.SessionsListRequest()) == (
        "the client cannot send SESSIONS_LIST in state CLOSED"
    )


def test_bye_after_the_client_quit_leaves_the_client_closed() -> None:
    conn = attacking(KEEP_ALIVE)
    conn.process(C, cm.Quit(), KEEP_ALIVE)
    assert states(conn) == (State.CLOSED, State.ATTACK)
    conn.process(S, sm.Bye(), KEEP_ALIVE)
    assert states(conn) == (State.CLOSED, State.ORDERS)


def test_openvasmd_acknowledges_bye_and_closes() -> None:
    conn = attacking(KEEP_ALIVE)
    run(conn, KEEP_ALIVE, (S, sm.Bye()), (C, cm.ClientBye()))
    assert states(conn) == (State.CLOSED, State.ORDERS)


def test_the_client_cannot_acknowledge_bye_during_a_scan() -> None:
    assert refusal(attacking(), C, cm.ClientBye()) == "the client cannot send BYE in state ATTACK"


def test_quit_closes_the_client_before_a_scan() -> None:
    conn = logged_in()
    conn.process(C, cm.Quit(), PLAIN)
    assert states(conn) == (State.CLOSED, State.LOGIN_VERDICT)


@pytest.mark.parametrize("role", [Role.CLIENT, Role.SERVER])
def test_a_closed_connection_closes_only_that_side(role: Role) -> None:
    conn = attacking()
    conn.process(role, ConnectionClosed(), PLAIN)
    assert conn.states[role] is State.CLOSED
    assert conn.states[role.peer] is State.ATTACK


def test_a_peer_closing_during_the_login_closes_it_at_once() -> None:
    conn = ConnectionState()
    conn.process(C, BANNER, PLAIN)
    conn.process(C, ConnectionClosed(), PLAIN)
    assert states(conn) == (State.CLOSED, State.SEND_VERSION)


def test_closed_states_accept_nothing() -> None:
    assert TRANSITIONS[Role.CLIENT][State.CLOSED] == {}
    assert TRANSITIONS[Role.SERVER][State.CLOSED] == {}


def test_waiting_server_states_send_nothing() -> None:
    for state in (State.WAIT_BANNER, State.WAIT_USER, State.WAIT_PASSWORD):
        assert TRANSITIONS[Role.SERVER][state] == {}


def test_the_client_never_sends_a_server_message_and_vice_versa() -> None:
    client_sent = {cls for table in TRANSITIONS[Role.CLIENT].values() for cls in table}
    server_sent = {cls for table in TRANSITIONS[Role.SERVER].values() for cls in table}
    assert client_sent & server_sent == {Preferences, Rules, Unrecognized}
    assert not any(cls.__module__.endswith("server_messages") for cls in client_sent)
    assert not any(cls.__module__.endswith("client_messages") for cls in server_sent)
