"""smtp_relay and smtp_vrfy against real Postfix instances, and aiosmtpd.

Two Postfix instances run on 127.0.0.1 ports this module picked, each with its own
configuration, queue and data: the weak one relays for 127.0.0.0/8 (where the scan comes
from) and answers VRFY; the hardened one trusts another network and has VRFY disabled, and
also offers STARTTLS. Every transport is ``discard``: nothing could be delivered even if a
message were sent (none is). aiosmtpd, which answers every VRFY with 252, is the server that
"cannot verify": it must not be flagged.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from ixion.engine.events import Severity
from ixion.plugin_api.kb import KnowledgeBase
from ixion.plugin_api.qod import QodType
from ixion.plugins._support import Reply
from ixion.plugins.smtp_vrfy import enumerates
from tests.lab import SmtpService

from .daemons import OPENSSL_REQ, daemon, free_port, owned_dir, tcp_answers
from .helpers import Outcome, run_plugins

RELAY, VRFY = 90000040, 90000041

MASTER_CF = """\
127.0.0.1:{port} inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
"""


@dataclass(frozen=True)
class Postfix:
    port: int
    conf: Path


def _postfix(tmp: Path, weak: bool) -> Iterator[Postfix]:
    port = free_port()
    conf, queue, data = tmp / "conf", tmp / "queue", tmp / "data"
    for path in (conf, queue, data):
        path.mkdir()
    subprocess.run(["chown", "postfix:postfix", str(data)], check=True)
    lines = [
        "compatibility_level = 3.6",
        f"queue_directory = {queue}",
        f"data_directory = {data}",
        "mail_owner = postfix",
        "setgid_group = postdrop",
        "myhostname = mail.lab.test",
        "mydomain = lab.test",
        "inet_interfaces = 127.0.0.1",
        "inet_protocols = ipv4",
        "maillog_file = /dev/stdout",
        "alias_maps =",
        "alias_database =",
        "smtp_dns_support_level = disabled",
        *(
            f"{kind}_transport = discard:nothing leaves the ixion tests"
            for kind in ("default", "relay", "local", "virtual")
        ),
        "smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination",
    ]
    if weak:
        lines += ["mynetworks = 127.0.0.0/8", "disable_vrfy_command = no"]
    else:
        key, cert = conf / "key.pem", conf / "cert.pem"
        subprocess.run(
            [*OPENSSL_REQ, "/CN=mail.lab.test", "-keyout", str(key), "-out", str(cert)],
            check=True,
            capture_output=True,
        )
        lines += [
            "mynetworks = 192.0.2.0/24",
            "disable_vrfy_command = yes",
            f"smtpd_tls_cert_file = {cert}",
            f"smtpd_tls_key_file = {key}",
            "smtpd_tls_security_level = may",
        ]
    (conf / "main.cf").write_text("\n".join(lines) + "\n")
    (conf / "master.cf").write_text(MASTER_CF.format(port=port))
    log = tmp / "log"
    with log.open("ab") as out:
        subprocess.run(["postfix", "-c", str(conf), "check"], stdout=out, stderr=out, check=True)
    argv: list[str | Path] = ["/usr/lib/postfix/sbin/master", "-c", conf, "-d"]
    with daemon(argv, ready=tcp_answers(port), log=log):
        yield Postfix(port, conf)


@pytest.fixture(scope="module")
def postfix_weak() -> Iterator[Postfix]:
    with owned_dir() as tmp:
        yield from _postfix(tmp, weak=True)


@pytest.fixture(scope="module")
def postfix_hardened() -> Iterator[Postfix]:
    with owned_dir() as tmp:
        yield from _postfix(tmp, weak=False)


@pytest.fixture(scope="module")
def aiosmtpd() -> Iterator[int]:
    with SmtpService() as service:
        yield service.port


def _scan(port: int, plugin: str) -> Outcome:
    kb = KnowledgeBase()
    kb.add("Services/smtp", port)
    return run_plugins([port], [plugin], kb=kb)


# --- relaying ------------------------------------------------------------------------------------


def test_an_open_relay_is_a_hole(postfix_weak: Postfix) -> None:
    outcome = _scan(postfix_weak.port, "smtp_relay")
    [hole] = outcome.findings(plugin_id=RELAY)
    assert (hole.severity, hole.port) == (Severity.HOLE, postfix_weak.port)
    assert hole.qod_type == QodType.REMOTE_ACTIVE.value
    assert "is an open relay" in hole.text
    assert "@example.com to ixion-relay-" in hole.text
    assert "  250 2.1.5 Ok" in hole.text
    assert "ixion sent no message" in hole.text
    assert "relaying may be meant for 127.0.0.1's network only" in hole.text
    assert "CVE-1999-0512" in hole.text
    assert outcome.get(f"SMTP/{postfix_weak.port}/spam") == 1


def test_the_relay_test_queues_no_message(postfix_weak: Postfix) -> None:
    """Postfix counts each session's commands when it ends: RCPT accepted, RSET, no DATA;
    and its queue stays empty."""
    _scan(postfix_weak.port, "smtp_relay")
    log = (postfix_weak.conf.parent / "log").read_text()
    for _ in range(20):
        if "rset=" in log:
            break
        time.sleep(0.1)
        log = (postfix_weak.conf.parent / "log").read_text()
    sessions = [line for line in log.splitlines() if "disconnect from" in line and "rcpt=" in line]
    assert sessions
    assert "rcpt=1 rset=" in sessions[-1]
    assert not [line for line in sessions if "data=" in line]
    queue = subprocess.run(
        ["postqueue", "-c", str(postfix_weak.conf), "-j"], capture_output=True, check=True
    )
    assert queue.stdout == b""


def test_a_server_refusing_to_relay_is_not_flagged(postfix_hardened: Postfix) -> None:
    outcome = _scan(postfix_hardened.port, "smtp_relay")
    assert outcome.findings() == []
    log = (postfix_hardened.conf.parent / "log").read_text()
    assert "Relay access denied" in log  # it was asked, and said no


def test_a_server_refusing_every_recipient_is_not_flagged(aiosmtpd: int) -> None:
    assert _scan(aiosmtpd, "smtp_relay").findings() == []


# --- VRFY / EXPN ---------------------------------------------------------------------------------


def test_vrfy_telling_users_apart_is_a_warning(postfix_weak: Postfix) -> None:
    outcome = _scan(postfix_weak.port, "smtp_vrfy")
    [warning] = outcome.findings(plugin_id=VRFY)
    assert warning.severity is Severity.WARNING
    assert "user enumeration through VRFY" in warning.text
    assert "'VRFY root' got:\n\n  252 2.0.0 root" in warning.text
    assert "User unknown in local recipient table" in warning.text
    assert "a 252 reply alone proves nothing" in warning.text
    assert "CVE-1999-0531" in warning.text


def test_vrfy_disabled_is_not_flagged(postfix_hardened: Postfix) -> None:
    assert _scan(postfix_hardened.port, "smtp_vrfy").findings() == []


def test_252_for_every_name_is_not_enumeration(aiosmtpd: int) -> None:
    assert _scan(aiosmtpd, "smtp_vrfy").findings() == []


def _reply(code: int) -> Reply:
    return Reply(code, (f"{code} x\r\n".encode(),))


@pytest.mark.parametrize(
    ("real", "made_up", "verdict"),
    [
        (252, 550, True),
        (250, 550, True),
        (250, 252, True),
        (252, 252, False),
        (250, 250, False),
        (502, 502, False),
        (550, 550, False),
    ],
)
def test_enumeration_is_decided_by_the_difference(real: int, made_up: int, verdict: bool) -> None:
    assert enumerates(_reply(real), _reply(made_up)) is verdict
