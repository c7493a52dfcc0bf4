"""ssh_algorithms, the check of the algorithms an SSH server offers (its KEXINIT).

It runs against servers on 127.0.0.1 that follow a script: one offering every weak algorithm
the check knows among strong ones, and servers that break the protocol, each of which must
end the check with a logged reason, no finding and no exception. Then against the netlab's
real OpenSSH servers (the weak one gets the four findings of the ground truth, the hardened
one none), and against nmap's ``ssh2-enum-algos``, which reads the same lists independently.
The KEXINIT parser itself is tested in ``test_ssh_kexinit``.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import socket
import struct
import subprocess
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest

from ixion.engine.events import Finding, Severity
from ixion.engine.job import HostJob, ScanSettings
from ixion.plugin_api.kb import KnowledgeBase
from ixion.plugin_api.ports import parse_port_range
from ixion.plugins._ssh_kexinit import (
    KexInit,
    encode_kexinit,
    frame_packet,
)
from ixion.plugins.ssh_algorithms import WEAKNESSES, report
from tests.lab import ScriptedService, scripted
from tests.netlab.fixture import netlab  # noqa: F401 (the session's lab)

from .helpers import FAST, Outcome, run_async, run_plugins

if TYPE_CHECKING:
    from tests.netlab.fixture import NetLab

ALGORITHMS = 90000052
LOGGER = "ixion.plugin.ssh_algorithms.py"
IDENT = b"SSH-2.0-OpenSSH_9.9 lab\r\n"
#: The ground truth's weakness for each kind the check reports.
TRUTH_IDS = {
    "kex_algorithms": "ssh-weak-kex",
    "encryption_algorithms": "ssh-weak-ciphers",
    "mac_algorithms": "ssh-weak-macs",
    "host_key_algorithms": "ssh-weak-host-key",
}
#: (weak, strong) names of each kind, space-separated: every weak name the check knows of
#: (RFC 9142, RFC 8758, OpenSSH's deprecations), and strong ones that must not be reported.
NAMES = {
    "kex_algorithms": (
        "diffie-hellman-group1-sha1 diffie-hellman-group14-sha1 "
        "diffie-hellman-group-exchange-sha1 gss-group14-sha1-toWM5Slw5Ew8Mqkay+al2g== "
        "gss-gex-sha1-toWM5Slw5Ew8Mqkay+al2g== rsa1024-sha1",
        "curve25519-sha256 ecdh-sha2-nistp256 ecdh-sha2-nistp521 diffie-hellman-group14-sha256 "
        "diffie-hellman-group-exchange-sha256 gss-curve25519-sha256-toWM5Slw5Ew8Mqkay+al2g== "
        "kex-strict-s-v00@openssh.com",
    ),
    "encryption_algorithms": (
        "3des-cbc aes128-cbc aes192-cbc aes256-cbc blowfish-cbc cast128-cbc "
        "rijndael-cbc@lysator.liu.se arcfour arcfour128 arcfour256 des-cbc@ssh.com 3des-ctr none",
        "chacha20-poly1305@openssh.com aes128-ctr aes256-ctr aes256-gcm@openssh.com",
    ),
    "mac_algorithms": (
        "hmac-md5 hmac-md5-96 hmac-md5-etm@openssh.com hmac-md5-96-etm@openssh.com hmac-sha1-96 "
        "hmac-sha1-96-etm@openssh.com umac-64@openssh.com umac-64-etm@openssh.com "
        "hmac-ripemd160 hmac-ripemd160@openssh.com hmac-ripemd160-etm@openssh.com none",
        "hmac-sha1 hmac-sha1-etm@openssh.com hmac-sha2-256 hmac-sha2-512-etm@openssh.com "
        "umac-128@openssh.com umac-128-etm@openssh.com",
    ),
    "host_key_algorithms": (
        "ssh-dss ssh-rsa ssh-rsa-cert-v01@openssh.com ssh-dss-cert-v01@openssh.com",
        "ssh-ed25519 rsa-sha2-256 rsa-sha2-512 rsa-sha2-512-cert-v01@openssh.com "
        "ecdsa-sha2-nistp256 ssh-ed25519-cert-v01@openssh.com",
    ),
}


def _both(kind: str) -> tuple[str, ...]:
    """Weak and strong names of ``kind`` mixed, so that a report's order can be checked."""
    weak, strong = (names.split() for names in NAMES[kind])
    return tuple(weak[::2] + strong + weak[1::2])


EVERYTHING = KexInit(
    cookie=bytes(range(16)),
    kex_algorithms=_both("kex_algorithms"),
    server_host_key_algorithms=_both("host_key_algorithms"),
    encryption_algorithms_client_to_server=_both("encryption_algorithms")[:9],
    encryption_algorithms_server_to_client=_both("encryption_algorithms")[4:],
    mac_algorithms_client_to_server=_both("mac_algorithms"),
    mac_algorithms_server_to_client=_both("mac_algorithms"),
    compression_algorithms_client_to_server=("none", "zlib@openssh.com"),
    compression_algorithms_server_to_client=("none",),
    languages_client_to_server=("en-US",),
)
STRONG = KexInit(
    kex_algorithms=tuple(NAMES["kex_algorithms"][1].split()),
    server_host_key_algorithms=tuple(NAMES["host_key_algorithms"][1].split()),
    encryption_algorithms_client_to_server=tuple(NAMES["encryption_algorithms"][1].split()),
    encryption_algorithms_server_to_client=tuple(NAMES["encryption_algorithms"][1].split()),
    mac_algorithms_client_to_server=tuple(NAMES["mac_algorithms"][1].split()),
    mac_algorithms_server_to_client=tuple(NAMES["mac_algorithms"][1].split()),
    compression_algorithms_client_to_server=("none",),
    compression_algorithms_server_to_client=("none",),
)


# --- servers on 127.0.0.1 that follow a script ------------------------------------------------

Script = Callable[[socket.socket], None]


def _server(*sent: bytes, banner: bytes = IDENT, then: Script | None = None) -> Script:
    """Say ``banner``, read the client's line, send ``sent``, then ``then`` or wait."""

    def script(sock: socket.socket) -> None:
        sock.sendall(banner)
        next(scripted.read_lines(sock), None)
        for data in sent:
            sock.sendall(data)
        if then is not None:
            then(sock)
            return
        while sock.recv(4096):
            pass

    return script


def _reset(sock: socket.socket) -> None:
    """Close with a TCP RST (SO_LINGER on, zero timeout)."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def _close(sock: socket.socket) -> None:
    sock.close()


def _scan(script: Script) -> tuple[Outcome, float]:
    with ScriptedService(script) as service:
        kb = KnowledgeBase()
        kb.add("Services/ssh", service.port)
        start = time.monotonic()
        outcome = run_plugins([service.port], ["ssh_algorithms"], kb=kb, read_timeout=1)
        return outcome, time.monotonic() - start


def _by_kind(findings: list[Finding]) -> dict[str, str]:
    """Each finding's text under the kind its first line names."""
    texts = {
        w.key: f.text for f in findings for w in WEAKNESSES if w.title in f.text.split("\n")[0]
    }
    assert len(texts) == len(findings)
    return texts


def _listed(text: str) -> list[str]:
    """The names a finding lists (its second paragraph)."""
    return text.split("\n\n")[1].strip().split(", ")


def test_a_server_offering_every_weak_algorithm_gets_four_warnings_naming_exactly_them() -> None:
    outcome, _ = _scan(_server(frame_packet(encode_kexinit(EVERYTHING))))
    findings = outcome.findings(plugin_id=ALGORITHMS)
    assert {f.severity for f in findings} == {Severity.WARNING}
    texts = _by_kind(findings)
    assert set(texts) == set(TRUTH_IDS)
    port = findings[0].port
    for weakness in WEAKNESSES:
        text, weak = texts[weakness.key], set(NAMES[weakness.key][0].split())
        # Each weak name once, in the server's order, the client-to-server list first.
        offered = [name for field in weakness.lists for name in getattr(EVERYTHING, field)]
        assert _listed(text) == [name for name in dict.fromkeys(offered) if name in weak]
        assert set(_listed(text)) == weak
        assert "Solution:" in text
        assert outcome.get(f"SSH/{port}/weak_{weakness.key}") == ",".join(_listed(text))
    assert outcome.get(f"SSH/{port}/kex_algorithms") == ",".join(EVERYTHING.kex_algorithms)
    assert outcome.get(f"SSH/{port}/compression_algorithms_server_to_client") == "none"


def test_lines_before_the_identification_and_ignored_packets_are_skipped() -> None:
    ignore = frame_packet(b"\x02" + (5).to_bytes(4, "big") + b"hello")
    debug = frame_packet(b"\x04\x00" + (2).to_bytes(4, "big") + b"hi" + bytes(4))
    notice = b"Authorised use only.\r\nAll access is logged.\r\n"
    script = _server(ignore, debug, frame_packet(encode_kexinit(STRONG)), banner=notice + IDENT)
    outcome, _ = _scan(script)
    assert outcome.findings(plugin_id=ALGORITHMS) == []
    [(_, value)] = outcome.kb.matching("SSH/*/server_host_key_algorithms")
    assert value == ",".join(STRONG.server_host_key_algorithms)


_KEXINIT = frame_packet(encode_kexinit(EVERYTHING))
_DISCONNECT = frame_packet(b"\x01" + (2).to_bytes(4, "big") + (7).to_bytes(4, "big") + b"go away")
MISBEHAVING: dict[str, tuple[Script, str]] = {
    "garbage": (_server(bytes(range(200, 256)) * 64), "packet length"),
    "huge_length": (_server(b"\x7f\xff\xff\xff" + bytes(64)), "packet length 2147483647"),
    "reset": (_server(then=_reset), "reset"),
    "truncated": (_server(_KEXINIT[:300], then=_close), "closed the connection after 296 of"),
    "silent": (_server(), "went silent after 0 of the 4 bytes"),
    "cut_kexinit": (_server(frame_packet(encode_kexinit(EVERYTHING)[:-5])), "ends inside"),
    "bad_padding": (_server(b"\x00\x00\x00\x08\x02" + bytes(7)), "padding length 2"),
    "disconnect": (_server(_DISCONNECT), "disconnected (code 2: 'go away')"),
    "newkeys": (_server(frame_packet(b"\x15")), "got message 21"),
    "ssh1": (_server(banner=b"SSH-1.5-OldSSH_1.2\r\n"), "SSH-1 only"),
    "not_ssh": (_server(banner=b"220 mail ready\r\n" * 100), "no identification line among"),
    "closed_at_once": (_server(banner=b"", then=_close), "closed the connection before"),
    "endless_line": (_server(banner=b"x" * 70_000), "a line longer than 1024 bytes"),
}


@pytest.mark.parametrize("name", MISBEHAVING)
def test_a_misbehaving_server_ends_the_check_with_a_logged_reason(
    name: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    script, reason = MISBEHAVING[name]
    outcome, elapsed = _scan(script)
    assert outcome.findings(plugin_id=ALGORITHMS) == []
    assert list(outcome.kb.matching("SSH/*")) == []
    assert any("no KEXINIT read" in m and reason in m for m in caplog.messages), caplog.messages
    assert elapsed < 4  # the budget: twice the 1 s read timeout, and a connect


# --- the netlab's OpenSSH servers, and nmap's reading of them --------------------------------


def _lab_scan(address: str) -> Outcome:
    """Port 22 of a lab host, scanned and identified as a host's scan does, then checked."""
    job = HostJob(
        host=address,
        address=address,
        origins=(),
        enabled=frozenset(),
        settings=ScanSettings(port_range=parse_port_range("T:22"), read_timeout=5),
        preferences=FAST,
    )
    return asyncio.run(run_async(job, ["tcp_scanner", "find_service", "ssh_algorithms"]))


@pytest.fixture(scope="module")
def weak(netlab: NetLab) -> Outcome:  # noqa: F811
    return _lab_scan(netlab.weak)


@pytest.fixture(scope="module")
def hardened(netlab: NetLab) -> Outcome:  # noqa: F811
    return _lab_scan(netlab.hardened)


#: What tests/netlab/_ssh.py adds to OpenSSH's defaults on the weak host, and the one weak
#: kind among the defaults themselves (umac-64).
LAB_WEAK = {
    "kex_algorithms": {"diffie-hellman-group1-sha1", "diffie-hellman-group14-sha1"},
    "encryption_algorithms": {"3des-cbc", "aes128-cbc", "aes256-cbc"},
    "mac_algorithms": {
        "hmac-md5",
        "hmac-md5-96",
        "hmac-sha1-96",
        "umac-64@openssh.com",
        "umac-64-etm@openssh.com",
    },
    "host_key_algorithms": {"ssh-rsa"},
}


def test_the_weak_sshd_gets_the_four_findings_of_the_ground_truth(
    weak: Outcome,
    netlab: NetLab,  # noqa: F811
) -> None:
    """One warning per kind on tcp/22, each matching its own weakness of the ground truth
    and no other weakness of the host there (password logins, root login)."""
    findings = weak.findings(plugin_id=ALGORITHMS)
    assert {(f.severity, f.proto, f.port) for f in findings} == {(Severity.WARNING, "tcp", 22)}
    texts = _by_kind(findings)
    assert set(texts) == set(TRUTH_IDS)
    truth = netlab.host_truth("weak").weaknesses
    for kind, text in texts.items():
        assert {check.id for check in truth if check.matches("tcp/22", text, None)} == {
            TRUTH_IDS[kind]
        }, text
        assert set(_listed(text)) == LAB_WEAK[kind]
        assert weak.get(f"SSH/22/weak_{kind}") == ",".join(_listed(text))


def test_the_hardened_sshd_gets_no_finding_at_all(hardened: Outcome) -> None:
    assert hardened.skipped == {}
    assert hardened.findings(plugin_id=ALGORITHMS) == []
    assert hardened.get("SSH/22/kex_algorithms"), "the KEXINIT was read all the same"
    assert list(hardened.kb.matching("SSH/22/weak_*")) == []


def test_no_text_matches_a_negative_control_of_the_hardened_host(
    weak: Outcome,
    netlab: NetLab,  # noqa: F811
) -> None:
    """The hardened host's own negatives (not those mirrored from the weak host's
    weaknesses, which the texts are meant to match) match none of the texts the check can
    write: the weak host's, and one of each kind listing every weak name."""
    mirrored = {check.id for check in netlab.host_truth("weak").weaknesses}
    own = [
        check
        for check in netlab.host_truth("hardened").negatives
        if check.id not in mirrored and check.covers("tcp/22")
    ]
    assert own
    texts = weak.texts(plugin_id=ALGORITHMS)
    texts += [report(w, tuple(NAMES[w.key][0].split())) for w in WEAKNESSES]
    for text in texts:
        assert [check.id for check in own if check.pattern.search(text)] == [], text


#: nmap's table for each list (ssh2-enum-algos shows one direction), and our KB names.
NMAP_TABLES = {
    "kex_algorithms": ("kex_algorithms",),
    "server_host_key_algorithms": ("server_host_key_algorithms",),
    "encryption_algorithms": (
        "encryption_algorithms_client_to_server",
        "encryption_algorithms_server_to_client",
    ),
    "mac_algorithms": ("mac_algorithms_client_to_server", "mac_algorithms_server_to_client"),
    "compression_algorithms": (
        "compression_algorithms_client_to_server",
        "compression_algorithms_server_to_client",
    ),
}


def _nmap_tables(address: str) -> dict[str, str]:
    """What nmap's ssh2-enum-algos reads from port 22 of ``address`` (a lab host only)."""
    argv = ["nmap", "-n", "-Pn", "-p", "22", "--script", "ssh2-enum-algos", "-oX", "-", address]
    xml = subprocess.run(argv, check=True, capture_output=True, timeout=120).stdout
    return {
        table.attrib["key"]: ",".join(elem.text or "" for elem in table.iter("elem"))
        for table in ET.fromstring(xml).iter("table")
        if table.attrib.get("key") in NMAP_TABLES
    }


@pytest.mark.skipif(shutil.which("nmap") is None, reason="nmap is not installed")
@pytest.mark.parametrize("host", ["weak", "hardened"])
def test_the_lists_read_are_those_nmap_reads(
    host: str,
    request: pytest.FixtureRequest,
    netlab: NetLab,  # noqa: F811
) -> None:
    outcome: Outcome = request.getfixturevalue(host)
    tables = _nmap_tables(netlab.weak if host == "weak" else netlab.hardened)
    assert set(tables) == set(NMAP_TABLES)
    for table, fields in NMAP_TABLES.items():
        for field in fields:
            assert outcome.get(f"SSH/22/{field}") == tables[table], field
