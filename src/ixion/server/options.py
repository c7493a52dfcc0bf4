"""Every key of ``ixiond.conf``, declared once (spec §5.2, §3.10).

nessusd kept its preferences in several places: the writer of the default file, the list of
keys PREFERENCES never sends, the list of keys a client may not override, and the code that
read each value with its own truth test. Those lists disagreed, and ``pem_password`` went to
every client (spec §10.39). Here a key is one field of :class:`Settings`: the annotation is
the type the daemon reads, and :func:`option` attaches everything else that derives from the
key: the line ``ixiond -g`` writes, the value used when the key is absent, whether a client
may change it, whether PREFERENCES may carry it, and how a yes/no value is read.

What a declaration holds and how values are read is in :mod:`ixion.server.option_types`.

Rules of this file:

* The order of the fields is the order of the default file, and so of PREFERENCES (§3.3).
* ``{state_dir}`` in a default stands for the effective ``state_dir``; ``state_dir`` comes
  first so that every later path can follow it.
* Names not declared here are still valid: plugins may read any preference by name (§5.2).
  :mod:`ixion.server.visibility` says which of them clients are sent and may set.
"""

# ruff: noqa: RUF009
# (RUF009 takes ``option(...)`` for a shared mutable default; it is a field specifier.)

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path  # noqa: TC003 (typing.get_type_hints(Settings) resolves it)
from typing import Any, Final

from ixion.server import limits
from ixion.server.option_types import Kind, OnBadValue, Option, Truth

__all__ = ["MAX_CHECKS_CAP", "OPTIONS", "OPTIONS_BY_NAME", "Settings"]

#: nessusd caps ``max_checks`` at 31 whatever the conf or the client says (spec §10.34).
MAX_CHECKS_CAP: Final = 31


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
    # nessusd generated "yes": a user who chose an SSH check then never saw the SSH detection
    # it rested on (the server's version, its authentication methods). ixion reports them.
    silent_dependencies: bool = option(
        Kind.BOOL, "Do not report results of auto-enabled plugins.", **_same("no")
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
    # --- mail of detached scans (spec §8.4; ours: nessusd piped to sendmail -t) ----------
    smtp_host: str = option(
        Kind.STR,
        "SMTP relay that detached scans mail their results through.",
        **_same("localhost"),
        **_PRIVATE,
    )
    smtp_port: int = option(
        Kind.INT, "Port of the SMTP relay.", **_same("25"), minimum=1, **_PRIVATE
    )
    smtp_sender: str | None = option(
        Kind.STR,
        "From address of those mails (empty: ixiond@<this host's name>).",
        default="",
        **_PRIVATE,
    )
    smtp_starttls: bool = option(
        Kind.BOOL,
        "Require STARTTLS (with a verified certificate) from the relay.",
        **_same("no"),
        **_PRIVATE,
    )
    smtp_user: str | None = option(
        Kind.STR, "Log in to the relay as this user (empty: no login).", default="", **_PRIVATE
    )
    smtp_password: str | None = option(Kind.STR, "Password of smtp_user.", default="", **_PRIVATE)
    sendmail: str | None = option(
        Kind.STR,
        "Mail with this sendmail-compatible program instead of SMTP (empty: SMTP).",
        default="",
        **_PRIVATE,
    )
    # --- limits (ours, issue 15; see ixion.server.limits) ----------------------------------
    max_connections: int = option(
        Kind.INT,
        "Connections served at once; beyond it new ones wait in the kernel's queue.",
        **_same(str(limits.MAX_CONNECTIONS)),
        minimum=1,
        **_PRIVATE,
    )
    max_connections_per_address: int = option(
        Kind.INT,
        "Connections at once from one address, before and after login.",
        **_same(str(limits.MAX_CONNECTIONS_PER_ADDRESS)),
        minimum=1,
        **_PRIVATE,
    )
    max_connections_per_user: int = option(
        Kind.INT,
        "Connections at once logged in as one user.",
        **_same(str(limits.MAX_CONNECTIONS_PER_USER)),
        minimum=1,
        **_PRIVATE,
    )
    max_scans_per_user: int = option(
        Kind.INT,
        "Scans at once of one user, detached scans included.",
        **_same(str(limits.MAX_SCANS_PER_USER)),
        minimum=1,
        **_PRIVATE,
    )
    max_hosts_per_scan: int = option(
        Kind.INT,
        "Addresses one scan may name once its ranges are expanded.",
        **_same(str(limits.MAX_HOSTS_PER_SCAN)),
        minimum=1,
        **_PRIVATE,
    )
    max_upload_bytes: int = option(
        Kind.INT,
        "Bytes of one uploaded plugin or attached file.",
        **_same(str(limits.MAX_UPLOAD_BYTES)),
        minimum=1,
        **_PRIVATE,
    )
    max_uploads_per_user: int = option(
        Kind.INT,
        "Plugins one user may keep uploaded; also files one connection may attach.",
        **_same(str(limits.MAX_UPLOADS_PER_USER)),
        minimum=0,
        **_PRIVATE,
    )
    max_upload_bytes_per_user: int = option(
        Kind.INT,
        "Bytes of the plugins one user keeps uploaded; also of one connection's files.",
        **_same(str(limits.MAX_UPLOAD_BYTES_PER_USER)),
        minimum=0,
        **_PRIVATE,
    )
    client_stall_timeout: int = option(
        Kind.INT,
        "Seconds a client may stall mid-message or not read its output (idle: no limit).",
        **_same(str(limits.CLIENT_STALL_TIMEOUT)),
        minimum=1,
        **_PRIVATE,
    )
    login_failures_allowed: int = option(
        Kind.INT,
        "Failed logins per address or user name before each new attempt is made to wait.",
        **_same(str(limits.LOGIN_FAILURES_ALLOWED)),
        minimum=1,
        **_PRIVATE,
    )
    login_max_delay: int = option(
        Kind.INT,
        "Longest wait of a throttled login, seconds (the wait doubles from 1 s up to it).",
        **_same(str(limits.LOGIN_MAX_DELAY)),
        minimum=1,
        **_PRIVATE,
    )
    login_workers: int = option(
        Kind.INT,
        "Password checks at once (each one scrypt of 32 MiB on its own thread).",
        **_same(str(limits.LOGIN_WORKERS)),
        minimum=1,
        **_PRIVATE,
    )
    # --- set by clients, read by the scan (spec §5.2 after the table, §3.10) -------------------
    save_session: bool = option(Kind.BOOL, "Save the scan as a restorable session.")
    save_empty_sessions: bool = option(Kind.BOOL, "Save sessions that found nothing.")
    detached_scan: bool = option(Kind.BOOL, "Keep scanning after the client disconnects.")
    continuous_scan: bool = option(Kind.BOOL, "Restart a detached scan when it ends.")
    delay_between_scan_loops: int = option(
        Kind.INT, "Seconds between two continuous scans (0 allowed).", if_absent="3600", minimum=0
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
    # Ours (issue 13): see ixion.server.confidence.
    min_qod: int = option(
        Kind.INT,
        "Findings of a lower quality of detection (0-100) are listed in one note per host.",
        if_absent="70",
        minimum=0,
    )
    # Ours (issue 13): checks that log in with well-known passwords (ssh_default_credentials)
    # run only when asked, since failed logins may lock accounts or alert their owners.
    default_credentials: bool = option(
        Kind.BOOL, "Let checks try well-known default passwords ('yes' enables; off if absent)."
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
