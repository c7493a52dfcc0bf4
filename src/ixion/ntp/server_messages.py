"""Messages a server sends (spec §1.4, §1.5, §3, §4, §11)."""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, ClassVar, Final

from ixion.ntp.errors import LocalProtocolError
from ixion.ntp.limits import E002_TEXT_CAP
from ixion.ntp.messages import Message, message
from ixion.ntp.text import check_field, check_word

if TYPE_CHECKING:
    from ixion.ntp.features import Version
    from ixion.ntp.records import (
        Certificate,
        Dependency,
        Md5Entry,
        PluginRecord,
        PortRef,
        SessionEntry,
    )

__all__ = [
    "BadLogin",
    "Bye",
    "Certificates",
    "DetachedSessionsList",
    "Error",
    "FileAccepted",
    "Finished",
    "HostsNotAllowed",
    "NessusVersion",
    "OpenvasVersion",
    "PasswordPrompt",
    "PluginAccepted",
    "PluginDenied",
    "PluginInfoReply",
    "PluginList",
    "PluginsDependencies",
    "PluginsMd5",
    "PluginsMd5List",
    "PluginsOrder",
    "Port",
    "PreferencesErrors",
    "Report",
    "ReportKind",
    "SessionsList",
    "Stat",
    "Status",
    "StatusAction",
    "Time",
    "TimeKind",
    "UserPrompt",
    "VersionReply",
]


# --- login -----------------------------------------------------------------------------------


@message
class VersionReply(Message):
    """``< NTP/1.2 >\\n``: the server accepts the version (extension words are not echoed)."""

    TYPE: ClassVar[str] = "VERSION"
    version: Version


@message
class UserPrompt(Message):
    """``User : `` with no newline; some clients read exactly these 7 bytes."""

    TYPE: ClassVar[str] = "USER_PROMPT"


@message
class PasswordPrompt(Message):
    """``Password : `` with no newline (11 bytes)."""

    TYPE: ClassVar[str] = "PASSWORD_PROMPT"


@message
class BadLogin(Message):
    """``Bad login attempt !``; the server closes right after. Success has no message."""

    TYPE: ClassVar[str] = "BAD_LOGIN"


# --- what the server offers ------------------------------------------------------------------


@message
class PluginList(Message):
    TYPE: ClassVar[str] = "PLUGIN_LIST"
    plugins: tuple[PluginRecord, ...] = ()


@message
class PluginInfoReply(Message):
    """The answer to PLUGIN_INFO: one bare PLUGIN_LIST line, no header, no terminator."""

    TYPE: ClassVar[str] = "PLUGIN_INFO"
    plugin: PluginRecord


@message
class PluginsDependencies(Message):
    TYPE: ClassVar[str] = "PLUGINS_DEPENDENCIES"
    entries: tuple[Dependency, ...] = ()


@message
class PluginsMd5(Message):
    """``PLUGINS_MD5 <|> md5``: one digest over all plugins (md5-caching login)."""

    TYPE: ClassVar[str] = "PLUGINS_MD5"
    md5: str

    def __post_init__(self) -> None:
        check_word("md5", self.md5)


@message
class PluginsMd5List(Message):
    """The detailed PLUGINS_MD5 block, answer to SEND_PLUGINS_MD5."""

    TYPE: ClassVar[str] = "PLUGINS_MD5_LIST"
    entries: tuple[Md5Entry, ...] = ()


@message
class PluginsOrder(Message):
    """Defined by the NTP/1.1 paper and never sent by nessusd (spec §10.37); read only."""

    TYPE: ClassVar[str] = "PLUGINS_ORDER"
    ids: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for plugin_id in self.ids:
            check_word("plugin id", plugin_id)
            if ";" in plugin_id:
                raise LocalProtocolError(f"bad plugin id {plugin_id!r}")


@message
class PreferencesErrors(Message):
    """Answer to a client PREFERENCES block; always empty in nessusd 2.2.5 (spec §10.10)."""

    TYPE: ClassVar[str] = "PREFERENCES_ERRORS"
    items: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        for name, value in self.items:
            check_field("preference error name", name)
            check_field("preference error value", value)


@message
class FileAccepted(Message):
    TYPE: ClassVar[str] = "FILE_ACCEPTED"


@message
class PluginAccepted(Message):
    TYPE: ClassVar[str] = "PLUGIN_ACCEPTED"


@message
class PluginDenied(Message):
    TYPE: ClassVar[str] = "PLUGIN_DENIED"


@message
class SessionsList(Message):
    TYPE: ClassVar[str] = "SESSIONS_LIST"
    sessions: tuple[SessionEntry, ...] = ()


@message
class DetachedSessionsList(Message):
    TYPE: ClassVar[str] = "DETACHED_SESSIONS_LIST"
    sessions: tuple[SessionEntry, ...] = ()


@message
class NessusVersion(Message):
    TYPE: ClassVar[str] = "NESSUS_VERSION"
    version: str

    def __post_init__(self) -> None:
        check_word("version", self.version)


@message
class OpenvasVersion(Message):
    TYPE: ClassVar[str] = "OPENVAS_VERSION"
    version: str

    def __post_init__(self) -> None:
        check_word("version", self.version)


@message
class Certificates(Message):
    TYPE: ClassVar[str] = "CERTIFICATES"
    certificates: tuple[Certificate, ...] = ()


# --- during a scan ---------------------------------------------------------------------------


class TimeKind(enum.Enum):
    SCAN_START = "SCAN_START"
    SCAN_END = "SCAN_END"
    HOST_START = "HOST_START"
    HOST_END = "HOST_END"
    HOST_INTERRUPTED = "HOST_INTERRUPTED"

    @property
    def names_host(self) -> bool:
        return self.value.startswith("HOST_")


@message
class Time(Message):
    """``TIME``: a timestamp in C ``ctime()`` form, sent only with the ``timestamps`` word."""

    TYPE: ClassVar[str] = "TIME"
    kind: TimeKind
    when: str
    host: str | None = None

    def __post_init__(self) -> None:
        check_field("time", self.when)
        if not self.when:
            raise LocalProtocolError("empty time")
        if self.kind.names_host != (self.host is not None):
            raise LocalProtocolError(f"TIME {self.kind.value} host mismatch: {self.host!r}")
        if self.host is not None:
            check_word("host", self.host)


class StatusAction(enum.Enum):
    PORTSCAN = "portscan"
    ATTACK = "attack"


#: Readers take a number of at most 12 digits (``records.parse_int``), so no more is sent.
_PROGRESS_LIMIT: Final = 10**12


def _check_progress(host: str, current: int, total: int) -> None:
    check_word("host", host)
    if not (0 <= current < _PROGRESS_LIMIT and 0 <= total < _PROGRESS_LIMIT):
        raise LocalProtocolError(f"bad progress {current}/{total}")


@message
class Status(Message):
    """Progress of one host; long form or ``s:a:host:cur:max`` per ``ntp_short_status``.

    ``current`` may exceed ``total`` (nessusd counts that way, spec §3.4).
    """

    TYPE: ClassVar[str] = "STATUS"
    host: str
    action: StatusAction
    current: int
    total: int

    def __post_init__(self) -> None:
        _check_progress(self.host, self.current, self.total)


@message
class Stat(Message):
    """The NTP/1.0 progress line; it names no action."""

    TYPE: ClassVar[str] = "STAT"
    host: str
    current: int
    total: int

    def __post_init__(self) -> None:
        _check_progress(self.host, self.current, self.total)


@message
class Port(Message):
    """An open port; also sets ``Ports/<proto>/<n>`` in the host's KB."""

    TYPE: ClassVar[str] = "PORT"
    host: str
    port: PortRef

    def __post_init__(self) -> None:
        check_word("host", self.host)


class ReportKind(enum.Enum):
    """HOLE = ``security_hole``, INFO = ``security_warning``, NOTE = ``security_note``.

    LOG and DEBUG are OTP's; on NTP they travel as NOTE.
    """

    HOLE = "HOLE"
    INFO = "INFO"
    NOTE = "NOTE"
    LOG = "LOG"
    DEBUG = "DEBUG"


@message
class Report(Message):
    """A finding. ``text`` is the full text as the client shows it (see ``report_text``)."""

    TYPE: ClassVar[str] = "REPORT"
    kind: ReportKind
    host: str
    port: PortRef
    text: str
    #: None when the plugin has no id (id 0) or the version (NTP/1.1) carries none.
    plugin_id: str | None = None

    def __post_init__(self) -> None:
        check_word("host", self.host)
        if self.plugin_id is not None:
            check_word("plugin id", self.plugin_id)


@message
class Finished(Message):
    TYPE: ClassVar[str] = "FINISHED"
    host: str

    def __post_init__(self) -> None:
        check_word("host", self.host)


@message
class Bye(Message):
    """``BYE <|> BYE``: the scan is over (or detached); the connection closes unless kept."""

    TYPE: ClassVar[str] = "BYE"


@message
class Error(Message):
    """``ERROR <|> text``, e.g. ``E001 - Invalid port range``."""

    TYPE: ClassVar[str] = "ERROR"
    text: str

    def __post_init__(self) -> None:
        check_field("error text", self.text)
        if self.text.startswith(_E002_PREFIX):
            raise LocalProtocolError("use HostsNotAllowed for E002")


_E002_PREFIX = "E002 - These hosts could not be tested because you are not allowed to do so :"


@message
class HostsNotAllowed(Message):
    """E002: the targets the user's rules refused; one line with no ``<|> SERVER`` trailer."""

    TYPE: ClassVar[str] = "E002"
    PREFIX: ClassVar[str] = _E002_PREFIX
    hosts: tuple[str, ...]
    #: The list was cut short (nessusd stops near 4000 bytes and writes ``...``).
    truncated: bool = False

    def __post_init__(self) -> None:
        for host in self.hosts:
            check_word("host", host)
            if ";" in host or host == "...":
                raise LocalProtocolError(f"bad host {host!r}")

    @classmethod
    def capped(cls, hosts: tuple[str, ...]) -> HostsNotAllowed:
        """The message nessusd would send for these hosts, cut near 4000 bytes."""
        kept: list[str] = []
        size = len(_E002_PREFIX) + 1
        for host in hosts:
            size += len(host) + 1
            if size > E002_TEXT_CAP:
                return cls(hosts=tuple(kept), truncated=True)
            kept.append(host)
        return cls(hosts=tuple(kept))
