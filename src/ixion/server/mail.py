"""Results of detached scans by e-mail (spec §8.4): a mail a person reads, the report attached.

nessusd piped a list of paragraphs to ``sendmail -t`` at the end of each scan loop. ixion
writes a plain-text mail ordered by host, then severity (holes, warnings, notes, open ports),
attaches the full report as NBE for tools, and hands it to the SMTP relay the administrator
configured (``smtp_*`` keys: host, port, sender, STARTTLS, optional login), or to the program
``sendmail`` names when set. A loop that found nothing sends no mail.

Delivery never holds up a scan: mails wait in the store's outbox (:mod:`ixion.store.outbox`),
and a :class:`Mailer` task delivers them, retrying failures later with a growing delay (30 s,
1 min, 2 min... up to an hour), each logged; a restart of the daemon loses none.
"""

from __future__ import annotations

import asyncio
import email.policy
import email.utils
import logging
import smtplib
import socket
import ssl
import subprocess
import time
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import TYPE_CHECKING, Final

from ixion.ntp import Port, Report, ReportKind
from ixion.reports import ResultsCollector, write_nbe

if TYPE_CHECKING:
    from collections.abc import Iterable

    from ixion.ntp import Message
    from ixion.server.options import Settings
    from ixion.store.outbox import Outbox, Outgoing

__all__ = ["MailSettings", "Mailer", "compose", "valid_address", "wants_mail"]

log = logging.getLogger(__name__)

#: Seconds an SMTP conversation or a sendmail run may take.
TIMEOUT: Final = 60.0
#: Seconds before the first retry; doubled each time, up to :data:`MAX_RETRY`.
FIRST_RETRY: Final = 30.0
MAX_RETRY: Final = 3600.0
_ORDER: Final = {ReportKind.HOLE: 0, ReportKind.INFO: 1, ReportKind.NOTE: 2}
_WORDS: Final = {ReportKind.HOLE: "Security hole", ReportKind.INFO: "Security warning"}


@dataclass(frozen=True, slots=True)
class MailSettings:
    host: str
    port: int
    sender: str
    starttls: bool
    user: str | None
    password: str | None
    #: A sendmail-compatible program to use instead of SMTP.
    sendmail: Path | None

    @classmethod
    def from_settings(cls, settings: Settings) -> MailSettings:
        sender = settings.smtp_sender or f"ixiond@{socket.getfqdn()}"
        return cls(
            host=settings.smtp_host,
            port=settings.smtp_port,
            sender=sender,
            starttls=settings.smtp_starttls,
            user=settings.smtp_user or None,
            password=settings.smtp_password or None,
            sendmail=Path(settings.sendmail) if settings.sendmail else None,
        )


def wants_mail(address: str | None) -> bool:
    """``detached_scan_email_address`` names someone (empty or ``no``: nobody)."""
    return bool(address) and address is not None and address.strip().lower() != "no"


def valid_address(address: str) -> bool:
    """One plain address (``name@host``): nothing that could add a header or a recipient."""
    _, parsed = email.utils.parseaddr(address)
    return (
        parsed == address.strip()
        and parsed.count("@") == 1
        and not any(c.isspace() or c in ',;<>()"' for c in parsed)
        and parsed.isprintable()
    )


def compose(
    *,
    sender: str,
    recipient: str,
    target: str,
    started: float,
    messages: Iterable[Message],
) -> bytes | None:
    """The mail for one scan loop's ``messages``; None if they hold no finding."""
    kept = [m for m in messages if isinstance(m, Port | Report)]
    if not kept:
        return None
    hosts: dict[str, list[Port | Report]] = {}
    for msg in kept:
        hosts.setdefault(msg.host, []).append(msg)
    counts = {kind: sum(isinstance(m, Report) and m.kind is kind for m in kept) for kind in _ORDER}
    lines = [
        f"ixiond scanned {' '.join(target.split())[:4000]} (started {time.ctime(started)}).",
        "",
        f"{len(hosts)} host(s): {counts[ReportKind.HOLE]} security hole(s), "
        f"{counts[ReportKind.INFO]} warning(s), {counts[ReportKind.NOTE]} note(s).",
        "The full report is attached (NBE).",
    ]
    for host in sorted(hosts):
        lines += ["", "=" * 72, host, "=" * 72]
        found = hosts[host]
        for report in sorted(
            (m for m in found if isinstance(m, Report)), key=lambda r: _ORDER.get(r.kind, 3)
        ):
            word = _WORDS.get(report.kind, "Security note")
            lines += ["", f"o {word} on {report.port}:", *report.text.rstrip("\n").split("\n")]
        ports = [str(m.port) for m in found if isinstance(m, Port)]
        if ports:
            lines += ["", "o Open ports: " + ", ".join(ports)]
    mail = EmailMessage(policy=email.policy.SMTP)
    mail["From"] = sender
    mail["To"] = recipient
    shown = " ".join(target.split())[:60]
    mail["Subject"] = f"ixiond scan of {shown}: {counts[ReportKind.HOLE]} hole(s)"
    mail["Date"] = email.utils.formatdate(localtime=True)
    mail["Message-ID"] = email.utils.make_msgid(domain="ixiond")
    mail.set_content("\n".join(lines) + "\n")
    collector = ResultsCollector()
    for msg in kept:
        collector.add(msg)
    mail.add_attachment(
        write_nbe(collector.results), maintype="text", subtype="plain", filename="report.nbe"
    )
    return mail.as_bytes()


class Mailer:
    """Delivers the outbox; :meth:`run` as a task, :meth:`wake` when a mail was queued."""

    def __init__(self, outbox: Outbox, settings: MailSettings) -> None:
        self._outbox = outbox
        self._settings = settings
        self._wake = asyncio.Event()

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        while True:
            self._wake.clear()
            try:
                await self._deliver_due()
                next_due = await asyncio.to_thread(self._outbox.next_due)
            except Exception as exc:  # the store failing must not end the mailer
                log.error("mail: cannot read the outbox: %s", exc)
                next_due = time.time() + FIRST_RETRY
            wait = None if next_due is None else max(0.0, next_due - time.time())
            try:
                async with asyncio.timeout(wait):
                    await self._wake.wait()
            except TimeoutError:
                pass

    async def _deliver_due(self) -> None:
        for outgoing in await asyncio.to_thread(self._outbox.due):
            try:
                await asyncio.to_thread(self._deliver, outgoing)
            except (
                OSError,
                smtplib.SMTPException,
                subprocess.SubprocessError,
                ssl.SSLError,
            ) as exc:
                retry = min(MAX_RETRY, FIRST_RETRY * 2**outgoing.attempts)
                kept = await asyncio.to_thread(self._outbox.failed, outgoing.id, str(exc), retry)
                if kept:
                    log.warning(
                        "mail to %s not delivered (%s); next try in %.0f s",
                        outgoing.recipient,
                        exc,
                        retry,
                    )
                else:
                    log.error(
                        "mail to %s given up after repeated failures: %s", outgoing.recipient, exc
                    )
            else:
                await asyncio.to_thread(self._outbox.delivered, outgoing.id)
                log.info(
                    "mail with the results of %s sent to %s", outgoing.user, outgoing.recipient
                )

    def _deliver(self, outgoing: Outgoing) -> None:
        settings = self._settings
        if settings.sendmail is not None:
            subprocess.run(
                [str(settings.sendmail), "-t", "-oi"],
                input=outgoing.message.replace(b"\r\n", b"\n"),  # a program reads text lines
                check=True,
                capture_output=True,
                timeout=TIMEOUT,
            )
            return
        with smtplib.SMTP(settings.host, settings.port, timeout=TIMEOUT) as smtp:
            if settings.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if settings.user:
                smtp.login(settings.user, settings.password or "")
            smtp.sendmail(settings.sender, [outgoing.recipient], outgoing.message)
