"""``ixiond``: the daemon's command line and its accept loop (spec §1.1, §5.1).

The command line is nessusd's (``-c FILE -a ADDR -p PORT -D -s -g -v``), so init scripts and
habits carry over. Everything that can fail is done by start-up (:mod:`ixion.server.startup`)
before detaching (:mod:`ixion.server.detach`), so a mistake is printed on the terminal with
exit status 1 instead of vanishing into a log after ``-D``; and ``ixiond -D`` returns only once
the daemon holds the port and has written its pid file.

Serving differs from nessusd on purpose: one process, one asyncio task per client instead of a
forked child per connection (spec §1.1). A client's failure ends its own task
(:class:`~ixion.server.connection.ClientHandler` catches everything it raises). The daemon's
own accept loop (:mod:`ixion.server.accepting`) takes a connection only while the limits of
:mod:`ixion.server.admission` leave room, and treats running out of file descriptors as a
state to wait out, not an error to log at every accept. SIGTERM and SIGINT close the listener,
cancel the clients and exit 0. Not carried over: nessusd's connection-rate limiter and its
tcp-wrappers check.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final

import click

from ixion import __version__
from ixion.engine.worker import ForkServer
from ixion.plugin_api.ports import system_services
from ixion.server.accepting import accept_forever, open_streams
from ixion.server.admission import Admission, connection_budget
from ixion.server.attack import ScanService
from ixion.server.config import (
    ConfigError,
    Locations,
    default_locations,
    load_config,
    show_config,
    write_default_config,
)
from ixion.server.connection import LOGIN_LINE_TIMEOUT, ClientHandler
from ixion.server.detach import PIDFILE_NAME, daemonize, remove_pidfile
from ixion.server.keeping import Keeping
from ixion.server.limits import DEFAULTS, Limits
from ixion.server.login_gate import LoginGate
from ixion.server.plugin_sets import PluginSets, nasl_cache
from ixion.server.scanning import Scanning
from ixion.server.startup import Prepared, StartupError, prepare

if TYPE_CHECKING:
    import ssl

    from ixion.engine.loader import Plugins
    from ixion.server.config import ConfTable
    from ixion.server.offer import Offer
    from ixion.server.options import Settings
    from ixion.server.persistence import Persistence
    from ixion.server.users import UserStore

__all__ = [
    "DEFAULT_ADDRESS",
    "DEFAULT_PORT",
    "SHUTDOWN_GRACE",
    "Clients",
    "ScanSetup",
    "default_locations",
    "main",
    "serve",
]

log = logging.getLogger(__name__)

#: IANA's "nessus" port (spec §1.1).
DEFAULT_PORT: Final = 1241
#: nessusd bound INADDR_ANY unless told ``-a``.
DEFAULT_ADDRESS: Final = "0.0.0.0"
#: Seconds cancelled clients get to close their connections at shutdown.
SHUTDOWN_GRACE: Final = 5.0


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
    """ixiond: the ixion scanner daemon, serving NTP clients as nessusd did.

    \b
    Examples:
      ixiond -g -c /etc/ixion/ixiond.conf     write the default configuration
      ixiond -s -c /etc/ixion/ixiond.conf     print the configuration it would use
      ixiond -c /etc/ixion/ixiond.conf -D     serve in the background
      ixiond -a 127.0.0.1 -p 1241             serve in the foreground, on loopback only
    """
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
        prepared = prepare(table, locations, address=address, port=port, detach=detach)
    except (StartupError, ConfigError) as exc:
        click.echo(f"ixiond: {exc}", err=True)
        sys.exit(1)
    if detach:
        pidfile = prepared.settings.state_dir / PIDFILE_NAME
        # No SQLite connection may cross the fork: the parent's exit would close it and
        # delete the WAL under the daemon (Store.connection).
        prepared.persistence.store.release_connections()
        daemonize(pidfile)
        try:
            _run(prepared)
        finally:
            remove_pidfile(pidfile)
    else:
        _run(prepared)


def _generate(path: Path, locations: Locations) -> None:
    """``-g``: write a new conf file; like nessusd, leave an existing one alone."""
    if os.path.lexists(path):
        click.echo(f"ixiond: {path} exists; left unchanged", err=True)
        return
    write_default_config(path, locations)
    click.echo(f"ixiond: wrote the default configuration to {path}")


# --- serving ---------------------------------------------------------------------------------


def _run(prepared: Prepared) -> None:
    try:
        asyncio.run(
            serve(
                prepared.listener,
                offer=prepared.offer,
                users=prepared.users,
                tls=prepared.tls,
                limits=Limits.from_settings(prepared.settings),
                scan_setup=ScanSetup(
                    prepared.settings, prepared.table, prepared.plugins, prepared.persistence
                ),
            )
        )
    except Exception:  # after -D, the log is the only place left to say why
        log.exception("ixiond stopped by an internal error")
        sys.exit(1)
    finally:
        prepared.persistence.close()
    log.info("stopped")


@dataclass(frozen=True, slots=True)
class ScanSetup:
    """What :func:`serve` needs to let clients scan."""

    settings: Settings
    table: ConfTable
    plugins: Plugins
    #: The store; None: scans keep nothing (no sessions, saved KBs or detached scans).
    persistence: Persistence | None = None


class Clients:
    """The connections being served, one named task each (``client-<n>-<address>``).

    The tasks are kept here so that they are not garbage-collected while they run, and so that
    shutdown can cancel them.
    """

    def __init__(
        self,
        *,
        offer: Offer,
        users: UserStore,
        scanning: Scanning | None = None,
        limits: Limits = DEFAULTS,
        admission: Admission | None = None,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self._offer = offer
        self._limits = limits
        self._admission = admission or Admission(limits)
        #: One throttle and one password pool for every connection.
        self._gate = LoginGate.create(users, limits)
        self._users = users
        self._scanning = scanning
        self._tls = tls
        self._tasks: set[asyncio.Task[None]] = set()
        self._accepted = 0

    def __len__(self) -> int:
        return len(self._tasks)

    def accept(self, sock: socket.socket, address: str) -> None:
        """Serve a new connection, unless ``address`` has too many already: then close it."""
        if not self._admission.enter(address):
            sock.close()
            return
        with contextlib.suppress(OSError):  # the peer may be gone already
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        self._accepted += 1
        task = asyncio.create_task(
            self._serve(sock, address), name=f"client-{self._accepted}-{address}"
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _serve(self, sock: socket.socket, address: str) -> None:
        try:
            try:
                # The module's value at each call: tests shorten it.
                reader, writer = await open_streams(sock, self._tls, LOGIN_LINE_TIMEOUT)
            except OSError as exc:
                log.info("%s: connection not set up: %s", address, str(exc) or repr(exc))
                return
            handler = ClientHandler(
                reader,
                writer,
                offer=self._offer,
                users=self._users,
                scanning=self._scanning,
                limits=self._limits,
                admission=self._admission,
                gate=self._gate,
            )
            await handler.run()
        finally:
            self._admission.leave(address)

    async def close(self) -> None:
        """Cancel every client and give them :data:`SHUTDOWN_GRACE` seconds to close."""
        for task in self._tasks:
            task.cancel()
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=SHUTDOWN_GRACE)
        self._gate.checks.close()


async def serve(
    listener: socket.socket,
    *,
    offer: Offer,
    users: UserStore,
    tls: ssl.SSLContext | None = None,
    stop: asyncio.Event | None = None,
    scan_setup: ScanSetup | None = None,
    limits: Limits = DEFAULTS,
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
    keeping: Keeping | None = None
    if scan_setup is not None:
        settings = scan_setup.settings
        fork_server = ForkServer(preload=(settings.plugins_folder, nasl_cache(settings.state_dir)))
        await fork_server.start()
        service = ScanService(scan_setup.plugins, fork_server, system_services())
        plugin_sets = PluginSets(settings, scan_setup.table, scan_setup.plugins, offer)
        scanning = Scanning(settings, scan_setup.table, service, plugin_sets)
        if scan_setup.persistence is not None:
            keeping = Keeping.start(scan_setup.persistence, scanning, users)
            scanning = keeping.scanning
            await keeping.detached.resume_all()
    admission = Admission(limits, max_connections=_max_connections(limits))
    clients = Clients(
        offer=offer, users=users, scanning=scanning, limits=limits, admission=admission, tls=tls
    )
    accepting = asyncio.create_task(
        accept_forever(listener, admission, clients.accept), name="accept"
    )
    stopping = asyncio.create_task(stop.wait(), name="stop")
    host, port = listener.getsockname()[:2]
    log.info(
        "ixiond %s listening on %s port %s%s",
        __version__,
        host,
        port,
        "" if tls else " (plain text)",
    )
    try:
        await asyncio.wait({accepting, stopping}, return_when=asyncio.FIRST_COMPLETED)
        if accepting.done():
            accepting.result()  # a bug in the accept loop: stop rather than serve no one
    finally:
        log.info("shutting down: closing the listener and %d connection(s)", len(clients))
        accepting.cancel()
        stopping.cancel()
        await asyncio.wait({accepting, stopping})  # the accept loop lets go of the listener
        listener.close()
        await clients.close()
        if keeping is not None:
            await keeping.close()
        if fork_server is not None:
            await fork_server.close()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)


def _max_connections(limits: Limits) -> int:
    """``max_connections``, or fewer if the descriptor limit would not hold that many."""
    budget = connection_budget()
    if budget is None or budget >= limits.max_connections:
        return limits.max_connections
    log.info(
        "max_connections is %d, but the descriptor limit (ulimit -n) leaves room for %d: "
        "serving at most %d connections at once",
        limits.max_connections,
        budget,
        budget,
    )
    return budget


if __name__ == "__main__":
    main()
