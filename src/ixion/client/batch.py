"""The batch client: ``ixion -q``, a drop-in for ``nessus -q`` (spec §9.1).

One scan from the command line: log in, adopt the server's preferences into the rc file the
way the reference client did, send PREFERENCES (and the files they name), RULES and
LONG_ATTACK, then read results until BYE and write the report. The message sequence is the
reference client's, so a server that served nessus 2.2.5 serves this unchanged.

``-R`` restores a saved session the same way, with SESSION_RESTORE in place of LONG_ATTACK,
and writes its report (the reference client restored it but wrote nothing); ``-s`` lists the
saved sessions, and ``-s --detached`` the detached scans (spec §8, §4.7).

The results carry the facts of the server's PLUGIN_LIST about the plugins that reported, so
reports name each finding's plugin and family; which report to write is
:mod:`ixion.client.report_files`' business.
"""

from __future__ import annotations

import ssl
import sys
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Final, TextIO, TypeAlias

from ixion.client.connection import ClientConnection, ConnectionFailed, ServerOffer
from ixion.client.plugin_store import PluginStore
from ixion.client.preferences import adopt_server_preferences, files_to_upload, preferences_to_send
from ixion.ntp import (
    AttachedFile,
    Bye,
    ConnectionClosed,
    DetachedSessionsList,
    DetachedSessionsListRequest,
    Error,
    FileAccepted,
    Finished,
    LongAttack,
    Preferences,
    PreferencesErrors,
    Rules,
    SessionEntry,
    SessionRestore,
    SessionsList,
    SessionsListRequest,
    Status,
    StopDetached,
)
from ixion.reports.collect import ResultsCollector

if TYPE_CHECKING:
    from collections.abc import Callable

    from ixion.client.rcfile import RcFile
    from ixion.ntp import Message
    from ixion.reports.results import Event, PluginFacts, ScanResults

    #: Told each result as it arrives, with the facts of the plugin it names (if known).
    ResultObserver: TypeAlias = Callable[[Event, PluginFacts | None], None]

__all__ = [
    "HUNG_UP",
    "BatchError",
    "BatchScan",
    "list_sessions",
    "read_attachments",
    "read_targets",
    "run_batch_scan",
    "tls_context",
]


#: What a scan's end without BYE is called (the server or the network dropped the connection).
HUNG_UP: Final = "the server shut the connection down"


class BatchError(Exception):
    """A batch scan could not run (bad arguments, unreachable server, refused login)."""


def read_targets(path: Path) -> str:
    """The targets file as the LONG_ATTACK payload: lines become a comma list (spec §9.1)."""
    text = path.read_text(encoding="utf-8", errors="surrogateescape")
    return text.replace("\n", ",").replace("\r", " ").rstrip(", ")


def tls_context(rc: RcFile, *, verify: bool) -> ssl.SSLContext | None:
    """TLS as the rc file asks (``ssl_version = NONE`` means plaintext), else None."""
    version = rc.get("ssl_version")
    if isinstance(version, str) and version.upper() == "NONE":
        return None
    context = ssl.create_default_context()
    trusted = rc.get("trusted_ca")
    if isinstance(trusted, str) and trusted:
        context.load_verify_locations(trusted)
    if not verify:  # nessus -x: don't check the server certificate
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    cert, key = rc.get("cert_file"), rc.get("key_file")
    if isinstance(cert, str) and cert:
        context.load_cert_chain(cert, key if isinstance(key, str) and key else None)
    return context


@dataclass(frozen=True, slots=True)
class BatchScan:
    """What ``ixion -q`` was asked to do."""

    host: str
    port: int
    user: str
    password: str
    targets: str
    rc: RcFile
    #: The files ``[file]`` plugin preferences name, read before connecting.
    attachments: tuple[tuple[str, bytes], ...] = ()
    verbose: bool = False
    verify_certificate: bool = True
    #: Restore this saved session instead of scanning ``targets`` (``-R``).
    session: str | None = None


def read_attachments(rc: RcFile) -> tuple[tuple[str, bytes], ...]:
    """Read the files the rc file's ``[file]`` preferences name (sent as ATTACHED_FILE)."""
    attachments = []
    for name in files_to_upload(rc):
        try:
            attachments.append((name, Path(name).read_bytes()))
        except OSError as exc:
            raise BatchError(f"cannot read {name} for a plugin preference: {exc}") from exc
    return tuple(attachments)


async def run_batch_scan(
    scan: BatchScan,
    progress: TextIO | None = None,
    observe: ResultObserver | None = None,
    trouble: Callable[[str], None] | None = None,
) -> ScanResults:
    """Run one scan and return its results (partial if the server hung up early).

    ``-V`` progress lines go to ``progress`` (standard output by default); ``observe`` is
    told each result the moment it arrives (``ixion scan --server`` streams them), and
    ``trouble`` each ERROR the server sends and, in :data:`HUNG_UP`'s words, an early end.
    """
    progress = progress or sys.stdout
    connection = await ClientConnection.open(
        scan.host,
        scan.port,
        ssl_context=tls_context(scan.rc, verify=scan.verify_certificate),
        # Reports show what a plugin is, never its description: those stay unwritten.
        plugins=PluginStore(descriptions=False),
        keep_dependencies=False,
    )
    try:
        offer = await connection.login(scan.user, scan.password)
        rc = scan.rc
        if offer.preferences is not None:
            rc = adopt_server_preferences(rc, offer.preferences.items)
        await _list_sessions(connection, offer)
        order: Message = (
            LongAttack(targets=scan.targets)
            if scan.session is None
            else SessionRestore(session_id=scan.session)
        )
        await _send_orders(connection, offer, rc, order, scan.attachments)
        # Only the plugins that report are read back, for the facts reports show.
        store = offer.plugins
        collector = ResultsCollector(
            find_plugin=None if store is None else partial(store.find, description=False)
        )
        return await _read_results(connection, collector, scan.verbose, progress, observe, trouble)
    finally:
        await connection.close()


async def _list_sessions(connection: ClientConnection, offer: ServerOffer) -> None:
    # The reference client asks whenever the server advertises sessions (spec §10.32).
    if offer.preference("ntp_save_sessions") == "yes":
        await connection.send(SessionsListRequest())
        await _expect(connection, SessionsList)


async def list_sessions(
    connection: ClientConnection, *, detached: bool = False, stop: str | None = None
) -> tuple[SessionEntry, ...]:
    """The saved sessions (or detached scans) of the logged-in user; ``stop``: first end
    that detached scan (an ERROR from the server if there is none)."""
    if stop is not None:
        await connection.send(StopDetached(session_id=stop))
    request = DetachedSessionsListRequest() if detached else SessionsListRequest()
    await connection.send(request)
    while True:
        answer = await connection.receive()
        if isinstance(answer, Error):
            raise BatchError(f"server error: {answer.text}")
        if isinstance(answer, SessionsList | DetachedSessionsList):
            return answer.sessions
        if isinstance(answer, ConnectionClosed):
            raise ConnectionFailed("the server closed the connection")


async def _send_orders(
    connection: ClientConnection,
    offer: ServerOffer,
    rc: RcFile,
    order: Message,
    attachments: tuple[tuple[str, bytes], ...],
) -> None:
    plugins = offer.plugins if offer.plugins is not None else ()
    # ixiond reads plugin_set terms: a whole feed goes as "all;", not 135,000 ids.
    reads_terms = (offer.preference("server_info_nessusd_version") or "").startswith("ixiond ")
    items = preferences_to_send(rc, plugins, terms=reads_terms)
    await connection.send(Preferences(items=items))
    await _expect(connection, PreferencesErrors)
    for name, data in attachments:
        await connection.send(AttachedFile(name=name, data=data))
        await _expect(connection, FileAccepted)
    await connection.send(Rules())
    await connection.send(order)


async def _expect(connection: ClientConnection, cls: type[Message]) -> Message:
    msg = await connection.receive()
    if not isinstance(msg, cls):
        raise ConnectionFailed(f"expected {cls.TYPE} from the server, got {msg.TYPE}")
    return msg


async def _read_results(
    connection: ClientConnection,
    collector: ResultsCollector,
    verbose: bool,
    progress: TextIO,
    observe: ResultObserver | None,
    trouble: Callable[[str], None] | None,
) -> ScanResults:
    while True:
        msg = await connection.receive(patient=True)
        if isinstance(msg, Bye):
            return collector.results
        if isinstance(msg, ConnectionClosed):
            print(f"ixion: {HUNG_UP} - the test may be incomplete", file=sys.stderr)
            if trouble is not None:
                trouble(HUNG_UP)
            return collector.results
        if isinstance(msg, Error):
            print(f"ixion: server error: {msg.text}", file=sys.stderr)
            if trouble is not None:
                trouble(msg.text)
        if collector.add(msg) and observe is not None:
            observe(*collector.latest)
        if verbose:
            _show_progress(msg, progress)


def _show_progress(msg: Message, out: TextIO) -> None:
    """The ``-V`` lines of the reference client (spec §9.1)."""
    if isinstance(msg, Status):
        print(f"{msg.action.value}|{msg.host}|{msg.current}|{msg.total}", file=out)
    elif isinstance(msg, Finished):
        print(f"finished|{msg.host}||||", file=out)
