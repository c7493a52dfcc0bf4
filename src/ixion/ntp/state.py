"""The NTP conversation as one transition table (the model is h11's ``_state.py``).

Rules of this file:

* Everything that decides whether a message may be sent or received lives here.
* The file does not know which role the local side plays: a session asks the same table
  about the messages it sends and the ones it receives, so a server refuses to *send* a PORT
  before the attack starts exactly as a client refuses to *accept* one.
* Each side has its own state. A message moves its sender's state along
  ``TRANSITIONS[role][state][message type]``; a missing entry is a protocol error.
  Some steps depend on the other side (the server may prompt for the password only once the
  user name is in); those few are the *state-triggered* rules in ``ConnectionState``,
  applied after every message until nothing changes.

The client's life::

    BANNER -> USER -> PASSWORD -> MD5_LOOP (md5_caching, OTP) -> ORDERS <-> ATTACK
                                 `--------- (otherwise) --------^

The server's::

    WAIT_BANNER -> SEND_VERSION -> SEND_USER_PROMPT -> WAIT_USER -> SEND_PASSWORD_PROMPT
    -> WAIT_PASSWORD -> LOGIN_VERDICT -> [MD5_LOOP ->] ORDERS <-> ATTACK;  BadLogin -> CLOSED

``ATTACK`` ends with the server's BYE: both sides go back to ``ORDERS`` when the client asked
to be kept alive (``ntp_keep_communication_alive``), else to ``CLOSED`` (spec §4.5).
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Final

from ixion.ntp import client_messages as cm
from ixion.ntp import server_messages as sm
from ixion.ntp.errors import LocalProtocolError
from ixion.ntp.messages import ConnectionClosed, Message, Preferences, Rules, Unrecognized

if TYPE_CHECKING:
    from ixion.ntp.features import Features

__all__ = ["TRANSITIONS", "ConnectionState", "Role", "State"]


class Role(enum.Enum):
    CLIENT = "client"
    SERVER = "server"

    @property
    def peer(self) -> Role:
        return Role.SERVER if self is Role.CLIENT else Role.CLIENT


class State(enum.Enum):
    # client
    BANNER = "BANNER"
    USER = "USER"
    PASSWORD = "PASSWORD"
    # server
    WAIT_BANNER = "WAIT_BANNER"
    SEND_VERSION = "SEND_VERSION"
    SEND_USER_PROMPT = "SEND_USER_PROMPT"
    WAIT_USER = "WAIT_USER"
    SEND_PASSWORD_PROMPT = "SEND_PASSWORD_PROMPT"
    WAIT_PASSWORD = "WAIT_PASSWORD"
    LOGIN_VERDICT = "LOGIN_VERDICT"
    # both
    MD5_LOOP = "MD5_LOOP"
    ORDERS = "ORDERS"
    ATTACK = "ATTACK"
    CLOSED = "CLOSED"


_MessageTypes = tuple[type[Message], ...]

#: Commands a logged-in client may send at any time, before or during a scan (spec §3.9).
_CLIENT_COMMANDS: Final[_MessageTypes] = (
    Preferences,
    Rules,
    cm.AttachedFile,
    cm.AttachedPlugin,
    cm.StopAttack,
    cm.StopWholeTest,
    cm.PauseWholeTest,
    cm.ResumeWholeTest,
    cm.SessionsListRequest,
    cm.SessionDelete,
    cm.DetachedSessionsListRequest,
    cm.StopDetached,
    cm.NessusVersionRequest,
    cm.OpenvasVersionRequest,
    cm.PluginInfoRequest,
    cm.CertificatesRequest,
    cm.HupFather,
    cm.Pong,
    Unrecognized,
)
#: Commands that start a scan.
_ATTACK_STARTS: Final[_MessageTypes] = (
    cm.NewAttack,
    cm.LegacyNewAttack,
    cm.LongAttack,
    cm.SessionRestore,
)
#: What a server may send once the login is over, scan or no scan.
_SERVER_REPLIES: Final[_MessageTypes] = (
    sm.PluginList,
    Preferences,
    Rules,
    sm.PluginsDependencies,
    sm.PreferencesErrors,
    sm.FileAccepted,
    sm.PluginAccepted,
    sm.PluginDenied,
    sm.SessionsList,
    sm.DetachedSessionsList,
    sm.NessusVersion,
    sm.OpenvasVersion,
    sm.PluginInfoReply,
    sm.PluginsOrder,
    sm.Certificates,
    sm.Error,
    sm.Finished,  # also after STOP_ATTACK outside a scan (spec §3.7)
    Unrecognized,
)
#: What only a running scan produces.
_SCAN_MESSAGES: Final[_MessageTypes] = (
    sm.Time,
    sm.Status,
    sm.Stat,
    sm.Port,
    sm.Report,
    sm.HostsNotAllowed,
)
_MD5_LOOP_REPLIES: Final[_MessageTypes] = (sm.PluginList, sm.PluginsMd5List, sm.PluginInfoReply)


def _to(target: State, types: _MessageTypes) -> dict[type[Message], State]:
    return dict.fromkeys(types, target)


TRANSITIONS: Final[dict[Role, dict[State, dict[type[Message], State]]]] = {
    Role.CLIENT: {
        State.BANNER: {cm.Banner: State.USER, cm.UnknownVersion: State.CLOSED},
        State.USER: {cm.User: State.PASSWORD},
        State.PASSWORD: {cm.Password: State.MD5_LOOP},
        State.MD5_LOOP: {
            **_to(State.MD5_LOOP, (cm.CompleteList, cm.SendPluginsMd5, cm.PluginInfoRequest)),
            Unrecognized: State.MD5_LOOP,
            cm.GoOn: State.ORDERS,
        },
        State.ORDERS: {
            **_to(State.ORDERS, _CLIENT_COMMANDS),
            **_to(State.ATTACK, _ATTACK_STARTS),
            cm.Quit: State.CLOSED,
            cm.ClientBye: State.CLOSED,
        },
        # A second attack order during a scan starts nothing; nessusd read it like any other
        # line and went on (spec §4.6), so it is no protocol error either.
        State.ATTACK: {
            **_to(State.ATTACK, _CLIENT_COMMANDS + _ATTACK_STARTS),
            cm.Quit: State.CLOSED,
        },
        State.CLOSED: {},
    },
    Role.SERVER: {
        State.WAIT_BANNER: {},
        State.SEND_VERSION: {sm.VersionReply: State.SEND_USER_PROMPT},
        State.SEND_USER_PROMPT: {sm.UserPrompt: State.WAIT_USER},
        State.WAIT_USER: {},
        State.SEND_PASSWORD_PROMPT: {sm.PasswordPrompt: State.WAIT_PASSWORD},
        State.WAIT_PASSWORD: {},
        State.LOGIN_VERDICT: {
            sm.BadLogin: State.CLOSED,
            sm.PluginsMd5: State.MD5_LOOP,
            **_to(State.ORDERS, _SERVER_REPLIES),
        },
        State.MD5_LOOP: _to(State.MD5_LOOP, _MD5_LOOP_REPLIES),
        State.ORDERS: _to(State.ORDERS, _SERVER_REPLIES),
        State.ATTACK: {
            **_to(State.ATTACK, _SERVER_REPLIES + _SCAN_MESSAGES),
            sm.Bye: State.ORDERS,  # or CLOSED without keep-alive; see ConnectionState
        },
        State.CLOSED: {},
    },
}

_CLIENT_ORDER: Final = (
    State.BANNER,
    State.USER,
    State.PASSWORD,
    State.MD5_LOOP,
    State.ORDERS,
    State.ATTACK,
)


class ConnectionState:
    """Both sides' states, moved by every message either side sends."""

    def __init__(self) -> None:
        self.states: dict[Role, State] = {Role.CLIENT: State.BANNER, Role.SERVER: State.WAIT_BANNER}

    def process(self, role: Role, msg: Message, features: Features) -> None:
        """Account for ``msg`` sent by ``role``; LocalProtocolError if the table forbids it."""
        if isinstance(msg, ConnectionClosed):
            self.states[role] = State.CLOSED
            return
        state = self.states[role]
        target = TRANSITIONS[role][state].get(type(msg))
        if target is None:
            raise LocalProtocolError(
                f"the {role.value} cannot send {msg.TYPE} in state {state.value}"
            )
        if isinstance(msg, sm.Bye):
            # End of the scan for both sides (spec §4.5).
            target = State.ORDERS if features.keep_alive else State.CLOSED
            if self.states[Role.CLIENT] is State.ATTACK:
                self.states[Role.CLIENT] = target
        self.states[role] = target
        self._fire_state_triggered_transitions(features)

    def _past(self, state: State) -> bool:
        """The client has gone beyond ``state`` (and is still connected)."""
        client = self.states[Role.CLIENT]
        return client in _CLIENT_ORDER and _CLIENT_ORDER.index(client) > _CLIENT_ORDER.index(state)

    def _fire_state_triggered_transitions(self, features: Features) -> None:
        states = self.states
        while True:
            before = dict(states)
            if states[Role.CLIENT] is State.MD5_LOOP and not features.md5_caching:
                states[Role.CLIENT] = State.ORDERS
            server = states[Role.SERVER]
            if server is State.WAIT_BANNER and self._past(State.BANNER):
                states[Role.SERVER] = State.SEND_VERSION
            elif server is State.WAIT_USER and self._past(State.USER):
                states[Role.SERVER] = State.SEND_PASSWORD_PROMPT
            elif server is State.WAIT_PASSWORD and self._past(State.PASSWORD):
                states[Role.SERVER] = State.LOGIN_VERDICT
            elif server is State.MD5_LOOP and self._past(State.MD5_LOOP):
                states[Role.SERVER] = State.ORDERS
            elif server in (State.LOGIN_VERDICT, State.ORDERS) and (
                states[Role.CLIENT] is State.ATTACK
            ):
                states[Role.SERVER] = State.ATTACK
            if states == before:
                return
