"""Every key of ``ixiond.conf``, declared once (spec §5.2, §3.10).

nessusd kept its preferences in several places: the writer of the default file, the list of
keys PREFERENCES never sends, the list of keys a client may not override, and the code that
read each value with its own truth test. Those lists disagreed, and ``pem_password`` went to
every client (spec §10.39). Here a key is one field of :class:`Settings`: the annotation is
the type the daemon reads, and :func:`option` attaches everything else that derives from the
key: the line ``ixiond -g`` writes, the value used when the key is absent, whether a client
may change it, whether PREFERENCES may carry it, and how a yes/no value is read.

Rules of this file:

* The order of the fields is the order of the default file, and so of PREFERENCES (§3.3).
* ``{state_dir}`` in a default stands for the effective ``state_dir``; ``state_dir`` comes
  first so that every later path can follow it.
* Names not declared here are still valid: plugins may read any preference by name (§5.2).
  They are sent to clients and clients may set them, as in nessusd, except nessusd's private
  names (:data:`PRIVATE_NAMES`, :data:`PRIVATE_PREFIXES`) and names that look like secrets
  (:data:`SECRET_WORDS`).
"""

# ruff: noqa: RUF009
# (RUF009 takes ``option(...)`` for a shared mutable default; it is a field specifier.)

from __future__ import annotations

import dataclasses
import enum
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = [
    "MAX_CHECKS_CAP",
    "OPTIONS",
    "OPTIONS_BY_NAME",
    "PRIVATE_NAMES",
    "PRIVATE_PREFIXES",
    "SECRET_WORDS",
    "Kind",
    "OnBadValue",
    "Option",
    "Settings",
    "Truth",
    "is_client_settable",
    "is_private",
    "is_sent_to_clients",
    "parse_integer",
]

#: nessusd caps ``max_checks`` at 31 whatever the conf or the client says (spec §10.34).
MAX_CHECKS_CAP: Final = 31

#: Names nessusd kept private that nothing reads any more (spec §3.3, §5.3): never sent, and
#: clients may not set them. ``config_file`` was the path nessusd loaded; ixion keeps that on
#: the table (``ixiond -s`` prints it), so a line with this name is just ignored.
PRIVATE_NAMES: Final = frozenset(
    {"config_file", "negot_timeout", "cookie_logpipe", "log_while_attack"}
)
#: Families of private names: nessusd 1.x's PEKS authentication keys.
PRIVATE_PREFIXES: Final = ("peks_",)

#: An undeclared name containing one of these words is never sent in PREFERENCES. nessusd sent
#: ``pem_password`` to every client (spec §10.39: fix); this also covers secrets added by hand.
SECRET_WORDS: Final = ("password", "passphrase", "secret")

_INTEGER = re.compile(r"-?[0-9]{1,12}")


class Kind(enum.Enum):
    """How the text of a value becomes the Python value of its :class:`Settings` field."""

    BOOL = "bool"  # bool, by the option's Truth
    INT = "int"  # int, decimal, optionally negative
    STR = "str"  # str as written (None when absent without a default)
    CHOICE = "choice"  # one of Option.choices, compared case-insensitively (ssl_version)
    PATH = "path"  # an absolute pathlib.Path
    LIST = "list"  # tuple[str, ...], split at Option.separator, items trimmed, empties dropped


class Truth(enum.Enum):
    """nessusd's truth tests differ per key (spec §3.10, §10.6); each option names its own."""

    YES = "exactly yes"  # safe_checks, ntp_short_status, ...
    NOT_NO = "anything but no"  # optimize_test: only exactly ``no`` turns it off
    SET = "neither empty nor no"  # force_pubkey_auth
    PRESENT = "present"  # ntp_escape_crlf: present with any value, even ``no``

    def holds(self, value: str | None) -> bool:
        """Whether ``value`` (None: the key is absent) reads as on."""
        if value is None:
            return False
        if self is Truth.YES:
            return value == "yes"
        if self is Truth.NOT_NO:
            return value != "no"
        if self is Truth.SET:
            return value not in ("", "no")
        return True

    def is_ambiguous(self, value: str) -> bool:
        """``value`` is neither ``yes`` nor ``no``, so a reader may be surprised by it."""
        if self is Truth.PRESENT:
            return False
        return value not in ("yes", "no") and not (self is Truth.SET and value == "")


class OnBadValue(enum.Enum):
    """What a value that does not parse does at startup (client values never stop anything)."""

    FATAL = "fatal"  # ixiond refuses to start, naming the line
    WARN = "warn"  # a warning, and the value used when the key is absent (nessusd's ssl_version)


@dataclass(frozen=True, slots=True, kw_only=True)
class Option:
    """One key: everything about it except its current value."""

    name: str
    kind: Kind
    #: One line for the default file and ``--help``-style listings.
    help: str
    #: The text ``ixiond -g`` writes; None: the key is not written.
    default: str | None = None
    #: The text used when the key is absent; None: no value (off, empty or None).
    if_absent: str | None = None
    #: A client PREFERENCES line may change it for its connection (spec §5.3).
    client_may_set: bool = True
    #: PREFERENCES from the server carries it (spec §3.3, §10.39).
    sent_to_clients: bool = True
    truth: Truth = Truth.YES
    separator: str = ","
    choices: tuple[str, ...] = ()
    #: The smallest accepted integer, for INT.
    minimum: int | None = None
    on_bad_value: OnBadValue = OnBadValue.FATAL

    @property
    def follows_state_dir(self) -> bool:
        """Written and absent, the value is the same path under ``state_dir``.

        A new file writes such a key commented out, so that changing ``state_dir`` alone
        moves everything ixiond writes.
        """
        return (
            self.name != "state_dir"
            and self.default == self.if_absent
            and "{state_dir}" in (self.default or "")
        )

    def default_text(self, state_dir: Path) -> str | None:
        """The line's value in a new file."""
        return _expand(self.default, state_dir)

    def parse(self, text: str | None, state_dir: Path) -> Any:
        """The Python value of ``text`` (None: the key is absent).

        Raises:
            ValueError: with the reason, for a value that does not fit the kind.
        """
        if text is None:
            text = _expand(self.if_absent, state_dir)
        if self.kind is Kind.BOOL:
            return self.truth.holds(text)
        if text is None:
            return () if self.kind is Kind.LIST else None
        return _PARSERS[self.kind](self, text)


def _expand(template: str | None, state_dir: Path) -> str | None:
    return None if template is None else template.replace("{state_dir}", str(state_dir))


def parse_integer(text: str) -> int:
    """A decimal integer, optionally negative; ValueError for anything else (``1_000``, ``+3``)."""
    if not _INTEGER.fullmatch(text):
        raise ValueError("not an integer")
    return int(text)


def _parse_int(option: Option, text: str) -> int:
    value = parse_integer(text)
    if option.minimum is not None and value < option.minimum:
        raise ValueError(f"must be at least {option.minimum}")
    return value


def _parse_choice(option: Option, text: str) -> str:
    for choice in option.choices:
        if choice.lower() == text.lower():
            return choice
    raise ValueError(f"not one of {', '.join(option.choices)}")


def _parse_path(option: Option, text: str) -> Path:
    # The daemon runs from /, so a relative path would depend on how it was started.
    if not text.startswith("/"):
        raise ValueError("not an absolute path")
    return Path(text)


def _parse_list(option: Option, text: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in text.split(option.separator) if item.strip())


_PARSERS: Final[dict[Kind, Callable[[Option, str], Any]]] = {
    Kind.INT: _parse_int,
    Kind.STR: lambda option, text: text,
    Kind.CHOICE: _parse_choice,
    Kind.PATH: _parse_path,
    Kind.LIST: _parse_list,
}


def option(kind: Kind, help: str, **details: Any) -> Any:  # noqa: A002 (the declared word)
    """A :class:`Settings` field declared as a conf key; ``details`` are :class:`Option` fields."""
    return dataclasses.field(metadata={"option": Option(name="", kind=kind, help=help, **details)})


def _same(text: str) -> dict[str, Any]:
    """The same text written to a new file and used when the key is absent."""
    return {"default": text, "if_absent": text}


#: Shorthands for the two visibilities nessusd had besides "public".
_PRIVATE: Final[dict[str, Any]] = {"client_may_set": False, "sent_to_clients": False}
_SERVER_ONLY: Final[dict[str, Any]] = {"client_may_set": False}


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    """Typed values of every declared key, for the daemon or for one connection.

    Built by :func:`ixion.server.config.resolve_settings`, never by hand outside tests.
    """

    # --- where things live (ours; nessusd used fixed $prefix paths) ---------------------------
    state_dir: Path = option(
        Kind.PATH,
        "Directory for everything ixiond writes: plugins, users, rules, sessions, logs.",
        **_same("{state_dir}"),
        **_PRIVATE,
    )
    plugins_folder: Path = option(
        Kind.PATH, "Global plugin directory.", **_same("{state_dir}/plugins"), **_PRIVATE
    )
    # --- spec §5.2, in nessusd's order ------------------------------------------------------
    max_hosts: int = option(
        Kind.INT,
        "Hosts scanned in parallel; also the most a client may ask for.",
        default="30",
        if_absent="15",
        minimum=1,
    )
    max_checks: int = option(
        Kind.INT,
        f"Plugins run at once per host; the most a client may ask for (cap {MAX_CHECKS_CAP}).",
        **_same("10"),
        minimum=1,
    )
    be_nice: bool = option(Kind.BOOL, "Renice scan processes.", **_same("no"), **_PRIVATE)
    logfile: str = option(
        Kind.STR,
        "Log destination: a file, 'syslog' or 'stderr'.",
        **_same("{state_dir}/logs/ixiond.log"),
        **_PRIVATE,
    )
    log_whole_attack: bool = option(Kind.BOOL, "Log every plugin launch.", **_same("yes"))
    log_plugins_name_at_load: bool = option(
        Kind.BOOL, "Log each plugin name while loading.", **_same("no"), **_PRIVATE
    )
    dumpfile: str = option(
        Kind.STR,
        "Where plugin processes' own output goes; '-' for the terminal.",
        **_same("{state_dir}/logs/ixiond.dump"),
        **_PRIVATE,
    )
    rules: Path = option(
        Kind.PATH,
        "Global rules file (created with 'default reject' when missing; see ixion.server.rules).",
        **_same("{state_dir}/ixiond.rules"),
        **_PRIVATE,
    )
    users: Path = option(
        Kind.PATH,
        "Directory of user accounts, with their rules, plugins and sessions.",
        **_same("{state_dir}/users"),
        **_PRIVATE,
    )
    cgi_path: tuple[str, ...] = option(
        Kind.LIST,
        "CGI directories NASL http helpers try, colon-separated.",
        **_same("/cgi-bin:/scripts"),
        separator=":",
    )
    port_range: str = option(
        Kind.STR,
        "Ports for port scanners: 'default' (services file), '1-1024,8080', 'T:1-65535,U:1-1024'.",
        default="default",
        if_absent="1-15000",
    )
    optimize_test: bool = option(
        Kind.BOOL,
        "Launch a plugin only if its required ports and keys are there (only 'no' disables).",
        **_same("yes"),
        truth=Truth.NOT_NO,
    )
    language: str = option(Kind.STR, "Language of plugin names and texts.", **_same("english"))
    checks_read_timeout: int = option(
        Kind.INT, "Default read timeout of plugin sockets, seconds.", **_same("5"), minimum=1
    )
    non_simult_ports: tuple[str, ...] = option(
        Kind.LIST,
        "Ports or KB keys (Services/www) two plugins must not hit at once, comma-separated.",
        **_same("139, 445"),
    )
    plugins_timeout: int = option(
        Kind.INT,
        "Longest run of one plugin, seconds (port scanners are not limited).",
        **_same("320"),
        minimum=1,
    )
    safe_checks: bool = option(
        Kind.BOOL,
        "Skip destructive and denial-of-service plugins (only 'yes' enables).",
        default="yes",
        if_absent="no",
    )
    auto_enable_dependencies: bool = option(
        Kind.BOOL, "Enable the dependencies of selected plugins.", default="yes", if_absent="no"
    )
    silent_dependencies: bool = option(
        Kind.BOOL, "Do not report results of auto-enabled plugins.", default="yes", if_absent="no"
    )
    use_mac_addr: bool = option(Kind.BOOL, "Name local hosts by MAC address.", **_same("no"))
    save_knowledge_base: bool = option(Kind.BOOL, "Save each host's KB.", **_same("no"))
    kb_restore: bool = option(Kind.BOOL, "Start from a host's saved KB.", **_same("no"))
    only_test_hosts_whose_kb_we_dont_have: bool = option(
        Kind.BOOL, "Skip hosts that have a saved KB.", **_same("no")
    )
    only_test_hosts_whose_kb_we_have: bool = option(
        Kind.BOOL, "Skip hosts without a saved KB.", **_same("no")
    )
    kb_dont_replay_scanners: bool = option(
        Kind.BOOL, "With a restored KB, do not run port scanners again.", **_same("no")
    )
    kb_dont_replay_info_gathering: bool = option(
        Kind.BOOL, "With a restored KB, do not gather information again.", **_same("no")
    )
    kb_dont_replay_attacks: bool = option(
        Kind.BOOL, "With a restored KB, do not run attacks again.", **_same("no")
    )
    kb_dont_replay_denials: bool = option(
        Kind.BOOL, "With a restored KB, do not run denials of service again.", **_same("no")
    )
    # nessusd crashed restoring a KB when this key was absent (spec §10.23: fix).
    kb_max_age: int = option(
        Kind.INT, "Seconds after which a saved KB is stale (0: 3600).", **_same("864000"), minimum=0
    )
    plugin_upload: bool = option(
        Kind.BOOL, "Accept plugins clients upload.", **_same("no"), **_SERVER_ONLY
    )
    plugin_upload_suffixes: tuple[str, ...] = option(
        Kind.LIST, "Suffixes an uploaded plugin may have.", default=".nasl, .inc", **_SERVER_ONLY
    )
    admin_user: str | None = option(
        Kind.STR,
        "NTP user who may exceed max_hosts/max_checks and upload to plugins_folder.",
        default="root",
        **_PRIVATE,
    )
    slice_network_addresses: bool = option(
        Kind.BOOL, "Interleave the order of targets across large ranges.", **_same("no")
    )
    nasl_no_signature_check: bool = option(
        Kind.BOOL, "Treat every NASL script as signed (unsafe).", **_same("no"), **_PRIVATE
    )
    # --- TLS (spec §1.2); nessus-mkcert appended these ----------------------------------------
    ssl_version: str = option(
        Kind.CHOICE,
        "NONE (plain text), SSLv2, SSLv3, SSLv23 or TLSv1 (any TLS).",
        **_same("TLSv1"),
        choices=(
            "NONE",
            "SSLv2",
            "SSLv3",
            "SSLv23",
            "TLSv1",
            "TLSv1.0",
            "TLSv1.1",
            "TLSv1.2",
            "TLSv1.3",
        ),
        on_bad_value=OnBadValue.WARN,
        **_SERVER_ONLY,
    )
    ssl_cipher_list: str | None = option(
        Kind.STR, "OpenSSL cipher string, or noexp, strong, edh.", **_SERVER_ONLY
    )
    cert_file: Path = option(
        Kind.PATH, "Server certificate.", **_same("{state_dir}/tls/servercert.pem"), **_PRIVATE
    )
    key_file: Path = option(
        Kind.PATH, "Server private key.", **_same("{state_dir}/tls/serverkey.pem"), **_PRIVATE
    )
    ca_file: Path = option(
        Kind.PATH, "CA for client certificates.", **_same("{state_dir}/tls/cacert.pem"), **_PRIVATE
    )
    pem_password: str | None = option(Kind.STR, "Passphrase of key_file.", **_PRIVATE)
    force_pubkey_auth: bool = option(
        Kind.BOOL, "Require a client certificate.", truth=Truth.SET, **_PRIVATE
    )
    # --- set by clients, read by the scan (spec §5.2 after the table, §3.10) -------------------
    save_session: bool = option(Kind.BOOL, "Save the scan as a restorable session.")
    save_empty_sessions: bool = option(Kind.BOOL, "Save sessions that found nothing.")
    detached_scan: bool = option(Kind.BOOL, "Keep scanning after the client disconnects.")
    continuous_scan: bool = option(Kind.BOOL, "Restart a detached scan when it ends.")
    delay_between_scan_loops: int = option(
        Kind.INT, "Seconds between two continuous scans.", if_absent="0", minimum=0
    )
    detached_scan_email_address: str | None = option(
        Kind.STR, "Mail the report of a detached scan here (empty or 'no': nobody)."
    )
    host_expansion: str | None = option(
        Kind.STR, "Containing 'dns': add hosts from a zone transfer of each target's domain."
    )
    reverse_lookup: bool = option(Kind.BOOL, "Name hosts by reverse DNS.")
    unscanned_closed: bool = option(Kind.BOOL, "Ports outside port_range count as closed.")
    optimization_level: str | None = option(
        Kind.STR, "open_ports/1: ports only; required_keys/2: and keys; else also excluded keys."
    )
    diff_scan: bool = option(Kind.BOOL, "Report only differences (no effect, as in nessusd).")
    report_killed_plugins: bool = option(
        Kind.BOOL, "Report plugins killed by timeout (no effect, as in nessusd)."
    )
    plugin_set: tuple[str, ...] = option(
        Kind.LIST, "Plugin ids to enable, ';'-separated; empty: all, '-1': all.", separator=";"
    )
    ntp_opt_show_end: bool = option(Kind.BOOL, "Send FINISHED after each host.")
    ntp_keep_communication_alive: bool = option(
        Kind.BOOL, "After BYE, wait for another command (any value enables).", truth=Truth.PRESENT
    )
    ntp_short_status: bool = option(Kind.BOOL, "Send short STATUS lines.")
    ntp_client_accepts_notes: bool = option(Kind.BOOL, "Send NOTE as NOTE, not as INFO.")
    ntp_escape_crlf: bool = option(
        Kind.BOOL, "Backslash-escape report texts (any value enables).", truth=Truth.PRESENT
    )


#: Every declared key, in file order.
OPTIONS: Final[tuple[Option, ...]] = tuple(
    dataclasses.replace(field.metadata["option"], name=field.name)
    for field in dataclasses.fields(Settings)
)
OPTIONS_BY_NAME: Final = {declared.name: declared for declared in OPTIONS}


def is_client_settable(name: str) -> bool:
    """A client PREFERENCES line with this name changes its connection (spec §5.3)."""
    declared = OPTIONS_BY_NAME.get(name)
    if declared is not None:
        return declared.client_may_set
    return not is_private(name)


def is_sent_to_clients(name: str) -> bool:
    """A conf entry with this name goes into the server's PREFERENCES (spec §3.3, §10.39)."""
    declared = OPTIONS_BY_NAME.get(name)
    if declared is not None:
        return declared.sent_to_clients
    lowered = name.lower()
    return not is_private(name) and not any(word in lowered for word in SECRET_WORDS)


def is_private(name: str) -> bool:
    """One of nessusd's private names (spec §3.3, §5.3)."""
    return name in PRIVATE_NAMES or name.startswith(PRIVATE_PREFIXES)
