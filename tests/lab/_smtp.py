"""SMTP: aiosmtpd, which greets and talks like a real server but delivers nothing."""

from __future__ import annotations

import asyncio
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from ._base import LAB_HOSTNAME, LOOPBACK, Service


class _NoDelivery:
    """An aiosmtpd handler that refuses every recipient: the lab is nobody's relay."""

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        return "550 5.7.1 The ixion lab delivers no mail"


class _Controller(Controller):
    """aiosmtpd's Controller, taught port 0: it pokes its server at ``self.port`` once up."""

    def _trigger_server(self) -> None:
        server = self.server
        assert isinstance(server, asyncio.Server)
        self.port = server.sockets[0].getsockname()[1]
        super()._trigger_server()  # type: ignore[no-untyped-call]


class _RejectAll:
    """An aiosmtpd authenticator that accepts no password (AUTH is offered, never granted)."""

    def __call__(self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
        return AuthResult(success=False)


class SmtpService(Service):
    """aiosmtpd, greeting ``220 lab.ixion.test <ident>``.

    ``cleartext_auth`` offers AUTH PLAIN and LOGIN without TLS (a misconfiguration).
    """

    name = "smtp"

    def __init__(self, *, cleartext_auth: bool = False, ident: str | None = None) -> None:
        super().__init__()
        self.cleartext_auth = cleartext_auth
        self.ident = ident
        self._controller: _Controller | None = None

    def start(self) -> None:
        extra: dict[str, Any] = {}
        if self.cleartext_auth:
            extra = {"authenticator": _RejectAll(), "auth_require_tls": False}
        if self.ident is not None:
            extra["ident"] = self.ident
        self._controller = _Controller(
            _NoDelivery(), hostname=LOOPBACK, port=0, server_hostname=LAB_HOSTNAME, **extra
        )
        self._controller.start()
        self.port = self._controller.port

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None
        super().stop()


class _Keep:
    """An aiosmtpd handler that accepts every message and keeps it (the relay of a test)."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 OK kept"


class MailRelay(Service):
    """aiosmtpd as the SMTP relay ixiond mails through: it keeps what it is given, delivers
    nothing. ``port`` 0 lets the kernel pick one; a test may name a port it holds."""

    name = "mail-relay"

    def __init__(self, port: int = 0) -> None:
        super().__init__()
        self.port = port
        self._handler = _Keep()
        self._controller: _Controller | None = None

    @property
    def messages(self) -> list[tuple[str, list[str], bytes]]:
        """``(sender, recipients, message bytes)`` of every mail received, in order."""
        return list(self._handler.messages)

    def start(self) -> None:
        self._controller = _Controller(
            self._handler, hostname=LOOPBACK, port=self.port, server_hostname=LAB_HOSTNAME
        )
        self._controller.start()
        self.port = self._controller.port

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None
        super().stop()
