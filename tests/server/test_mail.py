"""The mail of a detached scan (spec §8.4): what a person reads, what cannot be smuggled into
it, and delivery through a relay that is down at first (retried, logged, then delivered)."""

from __future__ import annotations

import asyncio
import email
import email.policy
import logging
from pathlib import Path

import pytest

from ixion.ntp import Port, PortRef, Report, ReportKind
from ixion.reports import read_nbe
from ixion.server import mail as mail_module
from ixion.server.mail import Mailer, MailSettings, compose, valid_address
from ixion.store.database import Store
from ixion.store.outbox import Outbox
from tests.lab import MailRelay, reserved_closed_ports

WEB = PortRef(service="www", number=80, protocol="tcp")


def report(host: str, kind: ReportKind, text: str) -> Report:
    return Report(kind=kind, host=host, port=WEB, text=text, plugin_id="1")


def test_a_loop_without_findings_makes_no_mail() -> None:
    assert compose(sender="a@b", recipient="c@d", target="x", started=0, messages=[]) is None


def test_the_mail_reads_by_host_then_severity_and_carries_the_report() -> None:
    messages = [
        report("198.18.0.2", ReportKind.NOTE, "a note\n"),
        Port(host="198.18.0.2", port=WEB),
        report("198.18.0.1", ReportKind.NOTE, "note one\n"),
        report("198.18.0.1", ReportKind.HOLE, "the hole\nsecond line\n"),
        report("198.18.0.1", ReportKind.INFO, "a warning\n"),
    ]
    data = compose(
        sender="ixiond@lab.test",
        recipient="alice@lab.test",
        target="198.18.0.1-2",
        started=0,
        messages=messages,
    )
    assert data is not None
    assert b"\r\n" in data  # SMTP's line ends, and no other
    assert b"\n" not in data.replace(b"\r\n", b"")
    mail = email.message_from_bytes(data, policy=email.policy.default)
    assert mail["Subject"] == "ixiond scan of 198.18.0.1-2: 1 hole(s)"
    body = mail.get_body(preferencelist=("plain",))
    assert body is not None
    text = body.get_content().replace("\r\n", "\n")
    assert "2 host(s): 1 security hole(s), 1 warning(s), 2 note(s)." in text
    first, second = text.index("198.18.0.1\n"), text.index("198.18.0.2\n")
    hole, warning, note = (text.index(s) for s in ("the hole", "a warning", "note one"))
    assert first < hole < warning < note < second
    assert "o Security hole on www (80/tcp):\nthe hole\nsecond line\n" in text
    assert "o Open ports: www (80/tcp)" in text
    (attachment,) = list(mail.iter_attachments())
    nbe = read_nbe(attachment.get_content().encode())
    assert len(nbe.findings) == 4
    assert len(nbe.open_ports) == 1


def test_hostile_targets_and_texts_cannot_add_headers() -> None:
    data = compose(
        sender="ixiond@lab.test",
        recipient="alice@lab.test",
        target="198.18.0.1\nBcc: mallory@evil.test",
        started=0,
        messages=[report("198.18.0.1", ReportKind.NOTE, "\r\nBcc: mallory@evil.test\r\n\r\n")],
    )
    assert data is not None
    mail = email.message_from_bytes(data, policy=email.policy.default)
    assert mail["Bcc"] is None
    assert mail.get_all("To") == ["alice@lab.test"]


@pytest.mark.parametrize(
    ("address", "usable"),
    [
        ("alice@lab.test", True),
        ("alice@lab.test\nBcc: mallory@evil.test", False),
        ("alice@lab.test, mallory@evil.test", False),
        ("Alice <alice@lab.test>", False),
        ("alice", False),
        ("", False),
    ],
)
def test_only_a_plain_address_is_mailed_to(address: str, usable: bool) -> None:
    assert valid_address(address) is usable


def test_a_relay_that_is_down_is_retried_then_the_mail_is_delivered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(mail_module, "FIRST_RETRY", 0.3)
    store = Store.open(tmp_path, exclusive=False)
    outbox = Outbox(store)
    data = compose(
        sender="ixiond@lab.test",
        recipient="alice@lab.test",
        target="198.18.0.1",
        started=0,
        messages=[report("198.18.0.1", ReportKind.HOLE, "bad\n")],
    )
    assert data is not None
    outbox.put("tester", "alice@lab.test", data)

    async def scenario() -> list[tuple[str, list[str], bytes]]:
        with reserved_closed_ports(1) as (port,):
            settings = MailSettings("127.0.0.1", port, "ixiond@lab.test", False, None, None, None)
            mailer = Mailer(outbox, settings)
            task = asyncio.create_task(mailer.run())
            while not [r for r in caplog.records if "not delivered" in r.getMessage()]:  # noqa: ASYNC110
                await asyncio.sleep(0.02)  # the attempt runs in a thread
        with MailRelay(port) as relay:  # the relay comes back on the same port
            while not relay.messages:  # noqa: ASYNC110 (the relay runs in a thread)
                await asyncio.sleep(0.02)
            task.cancel()
            return relay.messages

    caplog.set_level(logging.INFO, logger="ixion.server.mail")
    try:
        received = asyncio.run(asyncio.wait_for(scenario(), 20))
    finally:
        store.close()
    ((sender, recipients, body),) = received
    assert (sender, recipients) == ("ixiond@lab.test", ["alice@lab.test"])
    assert b"bad" in body
    assert outbox.due(now=float("inf")) == []
    assert any("sent to alice@lab.test" in r.getMessage() for r in caplog.records)
