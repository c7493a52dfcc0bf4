"""``ixiond``: the daemon's command line, its start-up and its accept loop (spec §1.1, §5.1).

The command line is nessusd's (``-c FILE -a ADDR -p PORT -D -s -g -v``), so init scripts and
habits carry over. Start-up does everything that can fail before detaching: read and resolve
the conf file, create the state and users directories and the global rules file, open the log,
build the TLS context, bind the port. A mistake is therefore printed on the terminal with exit
status 1, naming the file and line where there is one, instead of vanishing into a log after
``-D``; and ``ixiond -D`` returns only once the daemon holds the port and has written its pid
file.

Serving differs from nessusd on purpose: one process, one asyncio task per client instead of a
forked child per connection (spec §1.1). A client's failure ends its own task
(:class:`~ixion.server.connection.ClientHandler` catches everything it raises), and asyncio's
accept loop pauses for a second and tries again when the process runs out of file descriptors
or memory (EMFILE, ENFILE, ENOBUFS, ENOMEM) instead of dying. SIGTERM and SIGINT close the
listener, cancel the clients and exit 0. Not carried over: nessusd's connection-rate limiter and
its tcp-wrappers check.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import logging.handlers
import os
import signal
import socket
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final

import click

from ixion import __version__
from ixion.engine.loader import Plugins, builtin_origins, folder_origins, load_plugins
from ixion.engine.ports import system_services
from ixion.engine.worker import ForkServer
from ixion.ntp.limits import MiB

from .attack import ScanService
from .config import (
    ConfigError,
    Locations,
    default_locations,
    load_config,
    resolve_settings,
    show_config,
    write_default_config,
)
from .connection import LOGIN_LINE_TIMEOUT, ClientHandler, Offer, Scanning
from .files import write_atomically
from .offer import build_offer
from .rules import RuleError, create_global_rules, load_global_rules
from .users import UserStore

if TYPE_CHECKING:
    import ssl

    from .config import ConfTable
    from .options import Settings

__all__ = [
    "BACKLOG",
    "DEFAULT_ADDRESS",
    "DEFAULT_PORT",
    "PIDFILE_NAME",
    "Clients",
    "StartupError",
    "default_locations",
    "main",
    "serve",
    "tls_context",
]

log = logging.getLogger(__name__)

#: IANA's "nessus" port (spec §1.1).
DEFAULT_PORT: Final = 1241
#: nessusd bound INADDR_ANY unless told ``-a``.
DEFAULT_ADDRESS: Final = "0.0.0.0"
#: nessusd listened with a backlog of 10, but it forked at every accept; one process taking
#: bursts of clients wants a longer queue.
BACKLOG: Final = 128
#: The pid file ``-D`` writes in ``state_dir``.
PIDFILE_NAME: Final = "ixiond.pid"
#: Seconds cancelled clients get to close their connections at shutdown.
SHUTDOWN_GRACE: Final = 5.0
#: A log file is rotated at this size, as nessusd's was (spec §5.2).
LOG_ROTATE_BYTES: Final = 500 * MiB


class StartupError(Exception):
    """ixiond cannot start; the message says why."""


@dataclass(frozen=True, slots=True)
class _Prepared:
    """Everything start-up made, ready to serve."""

    settings: Settings
    table: ConfTable
    plugins: Plugins
    offer: Offer
    users: UserStore
    listener: socket.socket
    tls: ssl.SSLContext | None


# --- the command line ------------------------------------------------------------------------


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "-c",
    "config_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Configuration file, in nessusd.conf's format; created with the defaults if missing.",
)
@click.option(
    "-a", "address", default=DEFAULT_ADDRESS, show_default=True, help="Listen on this address."
)
@click.option(
    "-p",
    "port",
    type=click.IntRange(1, 65535),
    default=DEFAULT_PORT,
    show_default=True,
    help="Listen on this TCP port.",
)
@click.option("-D", "detach", is_flag=True, help="Run in the background, with a pid file.")
@click.option("-s", "show", is_flag=True, help="Print the configuration and exit.")
@click.option("-g", "generate", is_flag=True, help="Write the default configuration and exit.")
@click.version_option(
    __version__, "-v", "--version", prog_name="ixiond", message="%(prog)s (ixion) %(version)s"
)
def main(
    config_file: Path | None, address: str, port: int, detach: bool, show: bool, generate: bool
) -> None:
    """ixiond: the ixion scanner daemon, serving NTP clients as nessusd did."""
    locations = default_locations()
    path = (config_file or locations.config_file).absolute()
    try:
        if generate:
            _generate(path, locations)
            return
        table = load_config(path, locations)
        if show:
            click.echo(show_config(table), nl=False)
            return
        prepared = _prepare(table, locations, address=address, port=port, detach=detach)
    except (StartupError, ConfigError) as exc:
        click.echo(f"ixiond: {exc}", err=True)
        sys.exit(1)
    if detach:
        pidfile = prepared.settings.state_dir / PIDFILE_NAME
        _daemonize(pidfile)
        try:
            _run(prepared)
        finally:
            _remove_pidfile(pidfile)
    else:
        _run(prepared)


def _generate(path: Path, locations: Locations) -> None:
    """``-g``: write a new conf file; like nessusd, leave an existing one alone."""
    if os.path.lexists(path):
        click.echo(f"ixiond: {path} exists; left unchanged", err=True)
        return
    write_default_config(path, locations)
    click.echo(f"ixiond: wrote the default configuration to {path}")


# --- start-up --------------------------------------------------------------------------------


def _prepare(
    table: ConfTable, locations: Locations, *, address: str, port: int, detach: bool
) -> _Prepared:
    resolved = resolve_settings(table, locations)
    settings = resolved.settings
    _setup_logging(settings.logfile)
    for warning in resolved.warnings:
        click.echo(f"ixiond: warning: {warning}", err=True)
        log.warning("%s", warning)
    if detach and settings.logfile == "stderr":
        click.echo("ixiond: warning: logfile = stderr: the log is lost once detached", err=True)
    _make_directories(settings)
    tls = tls_context(settings)
    listener = _listen(address, port)
    users = UserStore(settings.users)
    plugins = load_plugins([*builtin_origins(), *folder_origins(settings.plugins_folder)])
    log.info("%d plugins loaded", len(plugins.all))
    return _Prepared(settings, table, plugins, build_offer(table, plugins), users, listener, tls)


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
    handler.setFormatter(logging.Formatter(fmt))
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
        from . import tls
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


# --- detaching -------------------------------------------------------------------------------


def _daemonize(pidfile: Path) -> None:
    """Detach with a double fork and ``setsid``; only the daemon returns.

    The process that ran ``ixiond -D`` waits for the daemon to write its pid file, then exits 0
    (1 if the daemon could not), so a script that starts ixiond can rely on both.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    ready_read, ready_write = os.pipe()
    child = os.fork()
    if child > 0:
        os.close(ready_write)
        with os.fdopen(ready_read, "rb") as ready:
            started = ready.read(1) == b"1"
        os.waitpid(child, 0)
        sys.exit(0 if started else 1)
    os.close(ready_read)
    os.setsid()
    if os.fork() > 0:
        os._exit(0)
    os.chdir("/")
    try:
        _write_pidfile(pidfile)
    except OSError as exc:
        click.echo(f"ixiond: cannot write {pidfile}: {exc.strerror}", err=True)
        os._exit(1)
    _detach_standard_streams()
    os.write(ready_write, b"1")
    os.close(ready_write)


def _write_pidfile(pidfile: Path) -> None:
    write_atomically(pidfile, f"{os.getpid()}\n".encode("ascii"), 0o644)


def _remove_pidfile(pidfile: Path) -> None:
    """Remove the pid file if it is still ours."""
    with contextlib.suppress(OSError, ValueError):
        if int(pidfile.read_text(encoding="ascii")) == os.getpid():
            pidfile.unlink()


def _detach_standard_streams() -> None:
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.close(null)


# --- serving ---------------------------------------------------------------------------------


def _run(prepared: _Prepared) -> None:
    try:
        asyncio.run(
            serve(
                prepared.listener,
                offer=prepared.offer,
                users=prepared.users,
                tls=prepared.tls,
                scan_setup=ScanSetup(prepared.settings, prepared.table, prepared.plugins),
            )
        )
    except Exception:  # after -D, the log is the only place left to say why
        log.exception("ixiond stopped by an internal error")
        sys.exit(1)
    log.info("stopped")


@dataclass(frozen=True, slots=True)
class ScanSetup:
    """What :func:`serve` needs to let clients scan."""

    settings: Settings
    table: ConfTable
    plugins: Plugins


class Clients:
    """The connections being served, one named task each.

    The tasks are kept here so that they are not garbage-collected while they run, and so that
    shutdown can cancel them.
    """

    def __init__(self, *, offer: Offer, users: UserStore, scanning: Scanning | None = None) -> None:
        self._offer = offer
        self._users = users
        self._scanning = scanning
        self._tasks: set[asyncio.Task[None]] = set()
        self._accepted = 0

    def __len__(self) -> int:
        return len(self._tasks)

    def accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Start serving a new connection (the ``asyncio.start_server`` callback)."""
        sock = writer.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):  # the peer may be gone already
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        handler = ClientHandler(
            reader, writer, offer=self._offer, users=self._users, scanning=self._scanning
        )
        self._accepted += 1
        task = asyncio.create_task(handler.run(), name=f"client-{self._accepted}-{handler.peer}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def close(self) -> None:
        """Cancel every client and give them :data:`SHUTDOWN_GRACE` seconds to close."""
        for task in self._tasks:
            task.cancel()
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=SHUTDOWN_GRACE)


async def serve(
    listener: socket.socket,
    *,
    offer: Offer,
    users: UserStore,
    tls: ssl.SSLContext | None = None,
    stop: asyncio.Event | None = None,
    scan_setup: ScanSetup | None = None,
) -> None:
    """Serve clients on ``listener`` until SIGTERM, SIGINT or ``stop`` is set.

    Without ``scan_setup`` clients can log in but not scan (protocol tests).
    """
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    fork_server: ForkServer | None = None
    scanning = None
    if scan_setup is not None:
        fork_server = ForkServer()
        await fork_server.start()
        service = ScanService(scan_setup.plugins, fork_server, system_services())
        scanning = Scanning(scan_setup.settings, scan_setup.table, service)
    clients = Clients(offer=offer, users=users, scanning=scanning)
    if tls is None:
        server = await asyncio.start_server(clients.accept, sock=listener, backlog=BACKLOG)
    else:
        server = await asyncio.start_server(
            clients.accept,
            sock=listener,
            ssl=tls,
            backlog=BACKLOG,
            ssl_handshake_timeout=LOGIN_LINE_TIMEOUT,
        )
    host, port = listener.getsockname()[:2]
    log.info(
        "ixiond %s listening on %s port %s%s",
        __version__,
        host,
        port,
        "" if tls else " (plain text)",
    )
    try:
        await stop.wait()
    finally:
        log.info("shutting down: closing the listener and %d connection(s)", len(clients))
        server.close()
        await clients.close()
        if fork_server is not None:
            await fork_server.close()
        await server.wait_closed()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)


if __name__ == "__main__":
    main()
