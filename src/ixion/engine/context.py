"""The engine's :class:`~ixion.plugin_api.context.PluginContext`: one plugin on one host.

It binds the interface checks are written against to a host job, its KB and the event
stream: sockets go to the job's address only, findings become events (and ``SentData``
KB items), and a plugin auto-enabled as a silent dependency reports nothing (spec §3.5).
"""

from __future__ import annotations

import asyncio
import logging
import socket
from pathlib import Path
from typing import TYPE_CHECKING, Final

from ixion.engine.events import Finding, PortFound, Progress, ServiceFound, Severity
from ixion.engine.schedule import port_is_open
from ixion.engine.ssh_login import ssh_login
from ixion.plugin_api.context import MAX_LINE, Datagrams, Stream
from ixion.plugin_api.qod import QodType
from ixion.plugin_api.service_names import SERVICE_NAME_KEY, is_service_name
from ixion.plugin_api.tls import probing_context
from ixion.plugin_api.tls import server_name as _server_name

if TYPE_CHECKING:
    from collections.abc import Callable

    from ixion.engine.events import Event
    from ixion.engine.job import HostJob
    from ixion.plugin_api.context import SshAuthResult
    from ixion.plugin_api.kb import KnowledgeBase
    from ixion.plugin_api.metadata import PluginInfo
    from ixion.plugin_api.ports import PortRange
    from ixion.plugin_api.qod import Qod

__all__ = ["MAX_REPORT_TEXT", "HostContext", "report_text"]

#: Longest report text sent on; a plugin quoting a huge banner is cut here.
MAX_REPORT_TEXT: Final = 64 * 1024
#: Seconds an SSH login attempt gets at least (:meth:`HostContext.ssh_auth`).
MIN_SSH_TIMEOUT: Final = 10.0


def report_text(info: PluginInfo, data: str | None, qod: Qod | None = None) -> str:
    """A finding's text as nessusd built it (spec §3.5 steps 1-5, before any escaping), and
    a last line saying how sure it is (``qod``, by default the plugin's): a reader of any
    report, whichever client wrote it, sees a banner guess for what it is."""
    text = (data if data is not None else info.description)[:MAX_REPORT_TEXT] + "\n"
    if info.cve:
        text += f"CVE : {', '.join(info.cve)}\n"
    if info.bid:
        text += f"BID : {', '.join(info.bid)}\n"
    if info.xrefs:
        text += f"Other references : {', '.join(info.xrefs)}\n"
    return text + f"Quality of detection: {info.qod if qod is None else qod}\n"


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

    async def datagram(
        self, port: int, *, timeout: float | None = None, any_source_port: bool = False
    ) -> Datagrams:
        """UDP to ``port`` of the scanned host (see :class:`Datagrams`); raises OSError."""
        if not 0 < port <= 65535:
            raise ValueError(f"port {port} out of range")
        try:  # the job's address is numeric: no lookup, no thread
            infos = socket.getaddrinfo(
                self.address, port, type=socket.SOCK_DGRAM, flags=socket.AI_NUMERICHOST
            )
        except socket.gaierror:
            loop = asyncio.get_running_loop()
            infos = await loop.getaddrinfo(self.address, port, type=socket.SOCK_DGRAM)
        family, _, _, _, peer = infos[0]
        limit = self.settings.read_timeout if timeout is None else timeout
        return Datagrams.open(family, peer, timeout=limit, any_source_port=any_source_port)

    # --- SSH logins (ssh_auth), with NASL's SSH client in a thread --------------------------

    async def ssh_auth(
        self, port: int, user: str, password: str | None = None, *, timeout: float | None = None
    ) -> SshAuthResult:
        """See :meth:`PluginContext.ssh_auth`; by default the attempt gets four read
        timeouts, and at least :data:`MIN_SSH_TIMEOUT` seconds (a refused password costs
        sshd's PAM two of them)."""
        if not 0 < port <= 65535:
            raise ValueError(f"port {port} out of range")
        limit = max(MIN_SSH_TIMEOUT, 4 * self.settings.read_timeout) if timeout is None else timeout
        return await asyncio.to_thread(ssh_login, self.address, port, user, password, limit)

    # --- reporting -----------------------------------------------------------------------------

    def add_port(self, port: int, proto: str = "tcp", *, service: str = "") -> None:
        """An open port: KB ``Ports/<proto>/<port>`` = 1 and a PORT to the client; with
        ``service``, named as by :meth:`name_service`."""
        if service:
            self._keep_service_name(port, proto, service)
        self.kb.add(f"Ports/{proto}/{port}", 1)
        self._send(PortFound(self.host, port, proto, self.info.id, service))

    def name_service(self, port: int, proto: str, name: str) -> None:
        """See :meth:`PluginContext.name_service`. Not silenced like reports: the name is
        for the scanners' PORT lines, whoever found it."""
        self._keep_service_name(port, proto, name)
        self._emit(ServiceFound(self.host, port, proto, name))

    def _keep_service_name(self, port: int, proto: str, name: str) -> None:
        if not is_service_name(name):
            raise ValueError(f"{name[:40]!r} is not a service name")
        if not 0 < port <= 65535 or proto not in ("tcp", "udp"):
            raise ValueError(f"cannot name the service of port {port}/{proto}")
        self.kb.replace(SERVICE_NAME_KEY.format(proto=proto, port=port), name)

    def status(self, current: int, total: int) -> None:
        """Port scanning progress (``portscan current/total``)."""
        self._send(Progress(self.host, "portscan", current, total))

    def hole(
        self,
        data: str | None = None,
        *,
        port: int = 0,
        proto: str = "tcp",
        qod: int | None = None,
        qod_type: QodType | None = None,
    ) -> None:
        """A security hole (``security_hole``). ``data=None``: the plugin's description."""
        self._report(Severity.HOLE, data, port, proto, qod, qod_type)

    def warning(
        self,
        data: str | None = None,
        *,
        port: int = 0,
        proto: str = "tcp",
        qod: int | None = None,
        qod_type: QodType | None = None,
    ) -> None:
        """A security warning (``security_warning``; INFO on the wire)."""
        self._report(Severity.WARNING, data, port, proto, qod, qod_type)

    def note(
        self,
        data: str | None = None,
        *,
        port: int = 0,
        proto: str = "tcp",
        qod: int | None = None,
        qod_type: QodType | None = None,
    ) -> None:
        """A security note (``security_note``)."""
        self._report(Severity.NOTE, data, port, proto, qod, qod_type)

    def _report(
        self,
        severity: Severity,
        data: str | None,
        port: int,
        proto: str,
        qod: int | None = None,
        qod_type: QodType | None = None,
    ) -> None:
        """``qod``/``qod_type`` restate the plugin's QoD for this finding (raising ValueError
        if out of range or unknown: the plugin's own mistake)."""
        kind_of_evidence = None if qod_type is None else QodType(qod_type)
        sure = self.info.qod.but(type=kind_of_evidence, value=qod)
        text = report_text(self.info, data, sure)
        kind = {Severity.HOLE: "HOLE", Severity.WARNING: "INFO", Severity.NOTE: "NOTE"}[severity]
        self.kb.add(f"SentData/{self.info.id}/{kind}", text)
        self.kb.replace(f"Success/{self.info.id}", 1)
        finding = Finding(
            self.host, severity, max(port, 0), proto, text, self.info.id, sure.value, sure.type_name
        )
        self._send(finding)

    def _send(self, event: Event) -> None:
        if not self._silent:
            self._emit(event)
