"""ixiond's start-up: everything that can fail, done while the terminal is still there.

:func:`prepare` takes the conf table ``ixiond`` read and makes what serving needs: the
settings resolved, the log opened, ``state_dir``, the users directory and the global rules
file created, the store opened (and with it the state directory's lock), what a crash left
there removed (:mod:`ixion.server.leftovers`), the TLS context built, the port bound, the
users and the plugins loaded. It runs
before detaching (:mod:`ixion.server.detach`), so every failure is a :class:`StartupError`
that ``ixiond`` prints on the terminal with exit status 1, naming the file and line where there
is one, instead of vanishing into a log after ``-D``.
"""

from __future__ import annotations

import logging
import logging.handlers
import socket
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final

import click

from ixion.engine.loader import Plugins, load_all
from ixion.ntp.limits import MiB
from ixion.server.config import resolve_settings
from ixion.server.leftovers import remove_leftovers
from ixion.server.log_format import SafeFormatter
from ixion.server.offer import build_offer
from ixion.server.persistence import Persistence
from ixion.server.plugin_sets import nasl_cache
from ixion.server.rules import RuleError, create_global_rules, load_global_rules
from ixion.server.users import UserStore
from ixion.store.database import StoreError

if TYPE_CHECKING:
    import ssl

    from ixion.server.config import ConfTable, Locations
    from ixion.server.offer import Offer
    from ixion.server.options import Settings

__all__ = ["BACKLOG", "Prepared", "StartupError", "prepare", "tls_context"]

log = logging.getLogger(__name__)

#: nessusd listened with a backlog of 10, but it forked at every accept; one process taking
#: bursts of clients wants a longer queue.
BACKLOG: Final = 128
#: A log file is rotated at this size, as nessusd's was (spec §5.2).
LOG_ROTATE_BYTES: Final = 500 * MiB


class StartupError(Exception):
    """ixiond cannot start; the message says why."""


@dataclass(frozen=True, slots=True)
class Prepared:
    """Everything start-up made, ready to serve."""

    settings: Settings
    table: ConfTable
    plugins: Plugins
    offer: Offer
    users: UserStore
    listener: socket.socket
    tls: ssl.SSLContext | None
    persistence: Persistence


def prepare(
    table: ConfTable, locations: Locations, *, address: str, port: int, detach: bool
) -> Prepared:
    """Make what serving needs; the log is set up first, so that the rest can warn in it."""
    resolved = resolve_settings(table, locations)
    settings = resolved.settings
    _setup_logging(settings.logfile)
    for warning in resolved.warnings:
        click.echo(f"ixiond: warning: {warning}", err=True)
        log.warning("%s", warning)
    if detach and settings.logfile == "stderr":
        click.echo("ixiond: warning: logfile = stderr: the log is lost once detached", err=True)
    _make_directories(settings)
    try:
        persistence = Persistence.open(settings)
    except StoreError as exc:
        raise StartupError(str(exc)) from None
    remove_leftovers(settings)  # only now: the store's lock says no other ixiond uses state_dir
    tls = tls_context(settings)
    listener = _listen(address, port)
    users = UserStore(settings.users)
    plugins = load_all(settings.plugins_folder, nasl_cache(settings.state_dir))
    log.info("%d plugins loaded", len(plugins.all))
    offer = build_offer(table, plugins, sessions=True)
    return Prepared(settings, table, plugins, offer, users, listener, tls, persistence)


def _make_directories(settings: Settings) -> None:
    """``state_dir``, the users directory, and the global rules file (spec §7.1, §7.3)."""
    try:
        settings.state_dir.mkdir(parents=True, exist_ok=True)
        settings.users.mkdir(parents=True, exist_ok=True)
        settings.rules.parent.mkdir(parents=True, exist_ok=True)
        if create_global_rules(settings.rules):
            log.info(
                "created %s: nothing may be scanned until a range is accepted there", settings.rules
            )
        _, skipped = load_global_rules(settings.rules)
    except OSError as exc:
        raise StartupError(f"{exc.filename}: {exc.strerror}") from None
    except RuleError as exc:
        raise StartupError(str(exc)) from None
    for error in skipped:
        log.warning("skipped in the global rules: %s", error)


def _setup_logging(destination: str) -> None:
    """Send the log where ``logfile`` says: a file, ``syslog`` or ``stderr`` (spec §5.2)."""
    fmt = "%(asctime)s ixiond[%(process)d] %(levelname)s %(name)s: %(message)s"
    handler: logging.Handler
    if destination == "stderr":
        handler = logging.StreamHandler(sys.stderr)
    elif destination == "syslog":
        fmt = "ixiond[%(process)d]: %(levelname)s %(name)s: %(message)s"
        try:
            handler = logging.handlers.SysLogHandler(
                "/dev/log", facility=logging.handlers.SysLogHandler.LOG_DAEMON
            )
        except OSError as exc:
            raise StartupError(f"logfile = syslog: cannot reach /dev/log: {exc.strerror}") from None
    else:
        handler = _file_handler(destination)
    handler.setFormatter(SafeFormatter(fmt))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO)


def _file_handler(destination: str) -> logging.Handler:
    path = Path(destination)
    if not path.is_absolute():
        raise StartupError(f"logfile = {destination}: not an absolute path, 'syslog' or 'stderr'")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        return logging.handlers.RotatingFileHandler(
            path, maxBytes=LOG_ROTATE_BYTES, backupCount=1, encoding="utf-8"
        )
    except OSError as exc:
        raise StartupError(f"logfile = {destination}: {exc.strerror}") from None


def tls_context(settings: Settings) -> ssl.SSLContext | None:
    """The server's TLS context, or None for ``ssl_version = NONE`` (plain text, spec §1.2).

    ``ixion.server.tls`` is imported only when TLS is on, so a plain-text daemon does not need
    it.
    """
    if settings.ssl_version == "NONE":
        return None
    try:
        from ixion.server import tls
    except ImportError:
        raise StartupError(
            f"ssl_version = {settings.ssl_version}, but this ixion has no TLS support "
            "(ixion.server.tls is missing); set ssl_version = NONE for plain text"
        ) from None
    try:
        return tls.server_context(settings)
    except Exception as exc:  # whatever went wrong, the admin must read it on the terminal
        raise StartupError(f"cannot set up TLS: {exc}") from None


def _listen(address: str, port: int) -> socket.socket:
    """The listening socket, bound before detaching so that "in use" reaches the terminal."""
    try:
        infos = socket.getaddrinfo(address, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise StartupError(f"-a {address}: {exc.strerror}") from None
    family, kind, proto, _, sockaddr = infos[0]
    listener = socket.socket(family, kind, proto)
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(sockaddr)
        listener.listen(BACKLOG)
    except OSError as exc:
        listener.close()
        raise StartupError(f"cannot listen on {address} port {port}: {exc.strerror}") from None
    listener.setblocking(False)
    return listener
