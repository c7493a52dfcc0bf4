"""The engine's :class:`~ixion.plugin_api.context.PluginContext`: one plugin on one host.

It binds the interface checks are written against to a host job, its KB and the event
stream: sockets go to the job's address only, findings become events (and ``SentData``
KB items), and a plugin auto-enabled as a silent dependency reports nothing (spec §3.5).
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Final

from ixion.engine.events import Finding, PortFound, Progress, Severity
from ixion.engine.schedule import port_is_open
from ixion.plugin_api.context import MAX_LINE, Stream
from ixion.plugin_api.tls import probing_context
from ixion.plugin_api.tls import server_name as _server_name

if TYPE_CHECKING:
    from collections.abc import Callable

    from ixion.engine.events import Event
    from ixion.engine.job import HostJob
    from ixion.plugin_api.kb import KnowledgeBase
    from ixion.plugin_api.metadata import PluginInfo
    from ixion.plugin_api.ports import PortRange

__all__ = ["MAX_REPORT_TEXT", "HostContext", "report_text"]

#: Longest report text sent on; a plugin quoting a huge banner is cut here.
MAX_REPORT_TEXT: Final = 64 * 1024


def report_text(info: PluginInfo, data: str | None) -> str:
    """A finding's text as nessusd built it (spec §3.5 steps 1-5, before any escaping)."""
    text = (data if data is not None else info.description)[:MAX_REPORT_TEXT] + "\n"
    if info.cve:
        text += f"CVE : {', '.join(info.cve)}\n"
    if info.bid:
        text += f"BID : {', '.join(info.bid)}\n"
    if info.xrefs:
        text += f"Other references : {', '.join(info.xrefs)}\n"
    return text


class HostContext:
    """Given to a plugin's ``run``: everything it may use, for one host and one plugin."""

    def __init__(
        self,
        *,
        info: PluginInfo,
        job: HostJob,
        kb: KnowledgeBase,
        emit: Callable[[Event], None],
        silent: bool = False,
    ) -> None:
        self.info = info
        self.job = job
        self.kb = kb
        self._emit = emit
        self._silent = silent
        #: The target as the user named it, for texts.
        self.host = job.host
        #: The address sockets connect to.
        self.address = job.address
        self.settings = job.settings
        self.log = logging.getLogger(f"ixion.plugin.{info.filename}")

    def on_behalf_of(self, info: PluginInfo) -> HostContext:
        """A context for another plugin that this one runs as a step of its own work (a NASL
        script's ``plugin_run_find_service()``): same host and KB, and silent, since the
        findings are the other plugin's to report when it runs in its own right."""
        return HostContext(info=info, job=self.job, kb=self.kb, emit=self._emit, silent=True)

    @property
    def port_range(self) -> PortRange:
        """The ports the scan covers (the ``port_range`` preference)."""
        return self.settings.port_range

    # --- preferences -------------------------------------------------------------------------

    def preference(self, name: str) -> str | None:
        """This plugin's preference ``name`` as the client set it, else its default."""
        declared = self.info.preference(name)
        if declared is None:
            return None
        value = self.job.preferences.get(self.info.preference_key(declared))
        return declared.initial if value is None else value

    def preference_file(self, name: str) -> Path | None:
        """Where ixiond stored the file a ``file`` preference names, if the client sent it."""
        remote = self.preference(name)
        local = self.job.files.get(remote) if remote else None
        return Path(local) if local else None

    def scan_preference(self, name: str) -> str | None:
        """A server or client preference (``safe_checks``, ``cgi_path``...)."""
        return self.job.preferences.get(name)

    # --- the host ------------------------------------------------------------------------------

    def open_ports(self, proto: str = "tcp") -> list[int]:
        """Ports the port scanners found open, ascending."""
        prefix = f"Ports/{proto}/"
        ports = {
            int(name[len(prefix) :])
            for name, _ in self.kb.matching(prefix + "*")
            if name[len(prefix) :].isdigit() and self.kb.is_positive(name)
        }
        return sorted(ports)

    def port_is_open(self, port: int, proto: str = "tcp") -> bool:
        """The §6.4 port-state check: unscanned ports count as open unless told otherwise."""
        return port_is_open(self.kb, self.settings, port, proto)

    async def connect(
        self,
        port: int,
        *,
        tls: bool = False,
        timeout: float | None = None,
        server_name: str | None = None,
    ) -> Stream:
        """Open a connection to the scanned host; raises OSError or TimeoutError.

        With ``tls``, the handshake names ``server_name`` (SNI), by default the host's name
        when the user gave a name rather than an address: a server hosting several sites
        shows the certificate of the one asked for. Addresses are never sent as SNI.

        A connection whose local and remote ends are the same socket (a TCP simultaneous
        open onto our own ephemeral port, possible when scanning 127.0.0.1) is closed and
        reported as refused: it is not a service.
        """
        if not 0 < port <= 65535:
            raise ValueError(f"port {port} out of range")
        limit = self.settings.read_timeout if timeout is None else timeout
        async with asyncio.timeout(limit):
            reader, writer = await asyncio.open_connection(
                self.address,
                port,
                ssl=probing_context() if tls else None,
                server_hostname=_server_name(server_name or self.host) if tls else None,
                limit=MAX_LINE,
            )
        sock = writer.get_extra_info("socket")
        if sock is not None and sock.getsockname() == sock.getpeername():
            writer.close()
            raise ConnectionRefusedError(f"port {port}: connected to itself")
        return Stream(reader, writer, self.settings.read_timeout)

    # --- reporting -----------------------------------------------------------------------------

    def add_port(self, port: int, proto: str = "tcp") -> None:
        """An open port: KB ``Ports/<proto>/<port>`` = 1 and a PORT to the client."""
        self.kb.add(f"Ports/{proto}/{port}", 1)
        self._send(PortFound(self.host, port, proto, self.info.id))

    def status(self, current: int, total: int) -> None:
        """Port scanning progress (``portscan current/total``)."""
        self._send(Progress(self.host, "portscan", current, total))

    def hole(self, data: str | None = None, *, port: int = 0, proto: str = "tcp") -> None:
        """A security hole (``security_hole``). ``data=None``: the plugin's description."""
        self._report(Severity.HOLE, data, port, proto)

    def warning(self, data: str | None = None, *, port: int = 0, proto: str = "tcp") -> None:
        """A security warning (``security_warning``; INFO on the wire)."""
        self._report(Severity.WARNING, data, port, proto)

    def note(self, data: str | None = None, *, port: int = 0, proto: str = "tcp") -> None:
        """A security note (``security_note``)."""
        self._report(Severity.NOTE, data, port, proto)

    def _report(self, severity: Severity, data: str | None, port: int, proto: str) -> None:
        text = report_text(self.info, data)
        kind = {Severity.HOLE: "HOLE", Severity.WARNING: "INFO", Severity.NOTE: "NOTE"}[severity]
        self.kb.add(f"SentData/{self.info.id}/{kind}", text)
        self.kb.replace(f"Success/{self.info.id}", 1)
        self._send(Finding(self.host, severity, max(port, 0), proto, text, self.info.id))

    def _send(self, event: Event) -> None:
        if not self._silent:
            self._emit(event)
