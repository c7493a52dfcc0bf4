"""Messages a client sends (spec §1.4, §1.5, §3.9, §4.2, §11).

Where client and server share a verb but not a shape, the client's class ends in
``Request`` (``SessionsListRequest`` asks, ``SessionsList`` answers).
"""

from __future__ import annotations

from typing import ClassVar

from ixion.ntp.errors import LocalProtocolError
from ixion.ntp.features import Version
from ixion.ntp.messages import Message, message
from ixion.ntp.records import is_session_id
from ixion.ntp.text import check_field, check_word

__all__ = [
    "AttachedFile",
    "AttachedPlugin",
    "Banner",
    "CertificatesRequest",
    "ClientBye",
    "CompleteList",
    "DetachedSessionsListRequest",
    "GoOn",
    "HupFather",
    "LegacyNewAttack",
    "LongAttack",
    "NessusVersionRequest",
    "NewAttack",
    "OpenvasVersionRequest",
    "Password",
    "PauseWholeTest",
    "PluginInfoRequest",
    "Pong",
    "Quit",
    "ResumeWholeTest",
    "SendPluginsMd5",
    "SessionDelete",
    "SessionRestore",
    "SessionsListRequest",
    "StopAttack",
    "StopDetached",
    "StopWholeTest",
    "UnknownVersion",
    "User",
]


# --- login -----------------------------------------------------------------------------------


@message
class Banner(Message):
    """``< NTP/1.2 >< word word >``: the version the client speaks and its extension words."""

    TYPE: ClassVar[str] = "BANNER"
    version: Version
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for word in self.extensions:
            check_word("extension word", word)
            if word.startswith(">"):
                raise LocalProtocolError(f"extension word cannot start with '>': {word!r}")


@message
class UnknownVersion(Message):
    """A first line that names no protocol we speak; nessusd closes without a word."""

    TYPE: ClassVar[str] = "UNKNOWN_VERSION"
    line: str

    def __post_init__(self) -> None:
        if "\n" in self.line or self.line[:11] in {v.banner for v in Version}:
            raise LocalProtocolError(f"not an unknown version: {self.line!r}")


def _check_login_line(what: str, value: str) -> None:
    if "\n" in value or value.endswith("\r"):
        raise LocalProtocolError(f"{what} cannot contain a line end")


@message
class User(Message):
    """The answer to ``User : ``."""

    TYPE: ClassVar[str] = "USER"
    name: str

    def __post_init__(self) -> None:
        _check_login_line("user name", self.name)


@message
class Password(Message):
    """The answer to ``Password : ``."""

    TYPE: ClassVar[str] = "PASSWORD"
    password: str

    def __repr__(self) -> str:
        return "Password(password=<hidden>)"

    def __post_init__(self) -> None:
        _check_login_line("password", self.password)


# --- the md5-caching loop (spec §4.2) --------------------------------------------------------


@message
class CompleteList(Message):
    TYPE: ClassVar[str] = "COMPLETE_LIST"


@message
class SendPluginsMd5(Message):
    TYPE: ClassVar[str] = "SEND_PLUGINS_MD5"


_LOOP_WORDS = ("COMPLETE_LIST", "SEND_PLUGINS_MD5", "PLUGIN_INFO")


@message
class GoOn(Message):
    """Any line that ends the md5-caching loop; by convention ``CLIENT <|> GO ON <|> CLIENT``.

    The server drops the line itself, whatever it says (openvasmd relies on ``GO ON``).
    """

    TYPE: ClassVar[str] = "GO_ON"
    line: str = "CLIENT <|> GO ON <|> CLIENT"

    def __post_init__(self) -> None:
        if "\n" in self.line or any(word in self.line for word in _LOOP_WORDS):
            raise LocalProtocolError(f"this line would not end the md5 loop: {self.line!r}")


# --- attachments -----------------------------------------------------------------------------


def _check_attachment(name: str, content_type: str) -> None:
    check_field("attachment name", name)
    check_field("attachment content type", content_type)


@message
class AttachedFile(Message):
    """``ATTACHED_FILE``: a file for a plugin preference of type ``file`` (spec §6.8)."""

    TYPE: ClassVar[str] = "ATTACHED_FILE"
    name: str
    data: bytes
    content_type: str = "octet/stream"

    def __post_init__(self) -> None:
        _check_attachment(self.name, self.content_type)


@message
class AttachedPlugin(Message):
    """``ATTACHED_PLUGIN``: a plugin the user uploads (spec §6.7)."""

    TYPE: ClassVar[str] = "ATTACHED_PLUGIN"
    name: str
    data: bytes
    content_type: str = "octet/stream"

    def __post_init__(self) -> None:
        _check_attachment(self.name, self.content_type)


# --- starting and stopping scans -------------------------------------------------------------


@message
class NewAttack(Message):
    """``NEW_ATTACK <|> targets`` (NTP/1.1+): start a scan of a short target list."""

    TYPE: ClassVar[str] = "NEW_ATTACK"
    targets: str

    def __post_init__(self) -> None:
        check_word("NEW_ATTACK targets", self.targets)


@message
class LegacyNewAttack(Message):
    """The NTP/1.0 ``NEW_ATTACK``: plugins, max_hosts, recursive, port range, targets."""

    TYPE: ClassVar[str] = "NEW_ATTACK_1.0"
    plugin_set: str
    max_hosts: str
    recursive: str
    port_range: str
    targets: str

    def __post_init__(self) -> None:
        for name in ("plugin_set", "max_hosts", "recursive", "port_range", "targets"):
            check_word(f"NEW_ATTACK {name}", getattr(self, name))


@message
class LongAttack(Message):
    """``LONG_ATTACK``: start a scan; the targets travel as a counted payload of any size."""

    TYPE: ClassVar[str] = "LONG_ATTACK"
    targets: str


@message
class StopAttack(Message):
    """Stop one host (named exactly as the server names it in its messages)."""

    TYPE: ClassVar[str] = "STOP_ATTACK"
    host: str

    def __post_init__(self) -> None:
        check_word("host", self.host)


@message
class StopWholeTest(Message):
    TYPE: ClassVar[str] = "STOP_WHOLE_TEST"


@message
class PauseWholeTest(Message):
    """OTP (openvassd 3): pause every host of the running scan."""

    TYPE: ClassVar[str] = "PAUSE_WHOLE_TEST"


@message
class ResumeWholeTest(Message):
    TYPE: ClassVar[str] = "RESUME_WHOLE_TEST"


# --- sessions and detached scans (spec §8) ---------------------------------------------------


def _check_session_id(value: str, *, detached: bool) -> None:
    if not is_session_id(value, detached=detached):
        raise LocalProtocolError(f"incorrect session name {value!r}")


@message
class SessionsListRequest(Message):
    TYPE: ClassVar[str] = "SESSIONS_LIST"


@message
class SessionDelete(Message):
    TYPE: ClassVar[str] = "SESSION_DELETE"
    session_id: str

    def __post_init__(self) -> None:
        _check_session_id(self.session_id, detached=False)


@message
class SessionRestore(Message):
    TYPE: ClassVar[str] = "SESSION_RESTORE"
    session_id: str

    def __post_init__(self) -> None:
        _check_session_id(self.session_id, detached=False)


@message
class DetachedSessionsListRequest(Message):
    TYPE: ClassVar[str] = "DETACHED_SESSIONS_LIST"


@message
class StopDetached(Message):
    """``STOP_DETACHED <|> pid``; the extensions document's ``DETACHED_STOP`` reads the same."""

    TYPE: ClassVar[str] = "STOP_DETACHED"
    session_id: str

    def __post_init__(self) -> None:
        _check_session_id(self.session_id, detached=True)


# --- questions and the rest ------------------------------------------------------------------


@message
class NessusVersionRequest(Message):
    TYPE: ClassVar[str] = "NESSUS_VERSION"


@message
class OpenvasVersionRequest(Message):
    """OTP: ``OPENVAS_VERSION`` (openvassd 3 matched ``OPENVASSD_VERSION``; both read here)."""

    TYPE: ClassVar[str] = "OPENVAS_VERSION"


@message
class PluginInfoRequest(Message):
    TYPE: ClassVar[str] = "PLUGIN_INFO"
    plugin_id: str

    def __post_init__(self) -> None:
        check_word("plugin id", self.plugin_id)


@message
class CertificatesRequest(Message):
    """OTP: ask for the trusted signing certificates."""

    TYPE: ClassVar[str] = "CERTIFICATES"


@message
class HupFather(Message):
    """The admin user asks the daemon to reload its configuration and plugins."""

    TYPE: ClassVar[str] = "HUP_FATHER"


@message
class Quit(Message):
    """NTP/1.0: close the connection."""

    TYPE: ClassVar[str] = "QUIT"


@message
class ClientBye(Message):
    """``CLIENT <|> BYE <|> ACK``: openvasmd's goodbye after the server's BYE."""

    TYPE: ClassVar[str] = "BYE"


@message
class Pong(Message):
    """The old answer to a server PING (never sent by nessusd 2.2.5, spec §10.37)."""

    TYPE: ClassVar[str] = "PONG"
