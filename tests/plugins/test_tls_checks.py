"""tls_versions, tls_ciphers and tls_certificate's chain and name checks.

Against real nginx on 127.0.0.1 configured as the netlab's weak host (TLS 1.0-1.2, NULL and
anonymous suites, an expired self-signed certificate) and hardened host (TLS 1.2-1.3, ECDHE
AEAD suites, a CA-signed certificate); a small fake server that speaks TLS 1.0 with RC4 and
triple DES only, which Debian's OpenSSL can no longer offer; and the netlab itself, judged
by its ground truth.
"""

from __future__ import annotations

import os
import socketserver
import threading
from collections.abc import Iterator

import pytest

from ixion.engine.events import Severity
from ixion.plugin_api.kb import KnowledgeBase
from ixion.plugins._tls import Trust, covers, trust_problem
from ixion.plugins._tls_hello import ServerHello, client_hello, parse_server_hello
from ixion.plugins._tls_suites import COMMON_SUITES, WEAK_SUITES, weaknesses
from ixion.plugins.tls_versions import advice
from tests.lab import LOOPBACK
from tests.netlab.fixture import NetLab

from .helpers import Outcome
from .lab_truth import false_alarms, missed, serious
from .real_daemons import Pki, Running, make_pki, nginx, scan

TLS_CERTIFICATE, TLS_VERSIONS, TLS_CIPHERS = 90000024, 90000030, 90000031
TLS_IDS = (TLS_CERTIFICATE, TLS_VERSIONS, TLS_CIPHERS)
TLS_PLUGINS = ("tcp_scanner", "find_service", "tls_versions", "tls_ciphers", "tls_certificate")
NAME = "www.ixion.test"


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"), (NAME,))


@pytest.fixture(scope="module")
def weak(pki: Pki) -> Iterator[Running]:
    with nginx(weak=True, pki=pki) as daemon:
        yield daemon


@pytest.fixture(scope="module")
def hardened(pki: Pki) -> Iterator[Running]:
    with nginx(weak=False, pki=pki) as daemon:
        yield daemon


@pytest.fixture(scope="module")
def weak_scan(weak: Running) -> Outcome:
    return scan(weak.ports.values(), TLS_PLUGINS)


@pytest.fixture(scope="module")
def hardened_scan(hardened: Running, pki: Pki) -> Outcome:
    """Scanned by the name its certificate is for, trusting its CA, as its users reach it."""
    return scan(hardened.ports.values(), TLS_PLUGINS, host=NAME, ca_file=pki.ca)


def texts(outcome: Outcome, port: int, plugin_id: int, severity: Severity) -> list[str]:
    return outcome.texts(port=port, plugin_id=plugin_id, severity=severity)


# --- the weak nginx ------------------------------------------------------------------------------


def test_weak_versions_are_listed_and_the_retired_ones_warned_of(
    weak_scan: Outcome, weak: Running
) -> None:
    port = weak.ports["https"]
    [note] = texts(weak_scan, port, TLS_VERSIONS, Severity.NOTE)
    assert "  TLS 1.0  (handshake completed)\n" in note
    assert "  TLS 1.1  (handshake completed)\n" in note
    assert "  TLS 1.2  (handshake completed)\n" in note
    assert "TLS 1.3" not in note
    assert weak_scan.get(f"tls/{port}/versions") == "TLSv1 TLSv1.1 TLSv1.2"
    [finding] = weak_scan.findings(port=port, plugin_id=TLS_VERSIONS, severity=Severity.WARNING)
    assert finding.text.startswith("The server accepts TLS 1.0 and TLS 1.1, retired protocol ")
    assert "RFC 8996 (2021) forbids them." in finding.text
    assert "\n\nSolution: disable TLS 1.0 and TLS 1.1 and offer TLS 1.2 and TLS 1.3 only" in (
        finding.text
    )
    # OpenSSL 3 has no SSL 3.0: the report must not name it, not even in its advice.
    assert "SSL 3" not in finding.text
    assert "SSLv3" not in finding.text
    assert (finding.qod, finding.qod_type) == (95, "remote_active")


def test_weak_suites_are_listed_with_what_is_wrong(weak_scan: Outcome, weak: Running) -> None:
    port = weak.ports["https"]
    [text] = texts(weak_scan, port, TLS_CIPHERS, Severity.WARNING)
    assert text.startswith("The server accepts these weak cipher suites")
    assert (
        "  TLS_RSA_WITH_NULL_SHA (NULL-SHA)\n      no encryption; with TLS 1.0, TLS 1.1, TLS 1.2\n"
        in text
    )
    assert (
        "  TLS_ECDH_anon_WITH_AES_128_CBC_SHA (AECDH-AES128-SHA)\n"
        "      no server authentication; with TLS 1.0, TLS 1.1, TLS 1.2\n"
    ) in text
    assert "AES128-SHA)" not in text.replace("AECDH-AES128-SHA)", "")  # a sound suite
    assert "\n\nSolution: allow only suites with forward secrecy" in text
    assert set(str(weak_scan.get(f"tls/{port}/weak_ciphers")).split()) == {
        "TLS_RSA_WITH_NULL_SHA",
        "TLS_ECDH_anon_WITH_AES_128_CBC_SHA",
    }


def test_the_weak_certificate_is_expired_and_self_signed_not_unknown(
    weak_scan: Outcome, weak: Running
) -> None:
    port = weak.ports["https"]
    warnings = texts(weak_scan, port, TLS_CERTIFICATE, Severity.WARNING)
    assert [text.split(" ", 3)[2] for text in warnings] == ["expired", "is"]
    assert warnings[1].startswith("The certificate is self-signed")
    assert (
        "Chain:           not trusted (OpenSSL: self-signed certificate)"
        in (texts(weak_scan, port, TLS_CERTIFICATE, Severity.NOTE)[0])
    )
    assert weak_scan.get(f"tls/{port}/unknown_issuer") is None


def test_a_self_signed_certificate_the_user_trusts_is_not_called_self_signed(
    weak: Running, pki: Pki
) -> None:
    # Clients that were given this very certificate trust it; its date is still wrong.
    outcome = scan(weak.ports.values(), TLS_PLUGINS, ca_file=pki.expired[0])
    port = weak.ports["https"]
    [text] = texts(outcome, port, TLS_CERTIFICATE, Severity.WARNING)
    assert text.startswith("The certificate expired on ")
    assert outcome.get(f"tls/{port}/self_signed") == 1
    assert outcome.get(f"tls/{port}/trusted") == 1


def test_plain_http_gets_no_tls_finding(weak_scan: Outcome, weak: Running) -> None:
    port = weak.ports["http"]
    assert [f for f in weak_scan.findings(port=port) if f.plugin_id in TLS_IDS] == []


# --- the hardened nginx --------------------------------------------------------------------------


def test_hardened_is_noted_but_not_warned_of(hardened_scan: Outcome, hardened: Running) -> None:
    port = hardened.ports["https"]
    assert serious(hardened_scan, TLS_IDS) == []
    [note] = texts(hardened_scan, port, TLS_VERSIONS, Severity.NOTE)
    assert "TLS 1.0" not in note
    assert "TLS 1.1" not in note
    assert "  TLS 1.2  (handshake completed)\n  TLS 1.3  (handshake completed)\n" in note
    assert hardened_scan.get(f"tls/{port}/versions") == "TLSv1.2 TLSv1.3"
    assert hardened_scan.get(f"tls/{port}/weak_ciphers") is None
    assert hardened_scan.get(f"tls/{port}/trusted") == 1


def test_an_unknown_ca_is_told_from_self_signed(hardened: Running) -> None:
    outcome = scan(hardened.ports.values(), TLS_PLUGINS, host=NAME)  # the CA not given
    port = hardened.ports["https"]
    [text] = texts(outcome, port, TLS_CERTIFICATE, Severity.WARNING)
    assert text.startswith(
        "The certificate was issued by CN=ixion test CA, an authority that is not trusted "
        "here (this machine's trust store): no trusted certificate of the issuer was found."
    )
    assert "\n\nSolution: if the issuer is a public CA" in text
    assert "self-signed" not in text
    assert "expired" not in text
    assert outcome.get(f"tls/{port}/unknown_issuer") == 1
    assert outcome.get(f"tls/{port}/self_signed") is None


def test_a_name_the_certificate_does_not_cover(hardened: Running, pki: Pki) -> None:
    other = "mail.ixion.test"
    outcome = scan(hardened.ports.values(), TLS_PLUGINS, host=other, ca_file=pki.ca)
    [text] = texts(outcome, hardened.ports["https"], TLS_CERTIFICATE, Severity.WARNING)
    assert text.startswith(
        f"The certificate does not cover the name scanned, {other}: it is for {NAME}."
    )
    assert (
        f"\n\nSolution: install a certificate whose subject alternative names include {other}."
        in text
    )


def test_an_address_target_checks_no_name(hardened: Running, pki: Pki) -> None:
    # The certificate names no address; scanned as 127.0.0.1, that is not a finding.
    outcome = scan(
        hardened.ports.values(), ("tcp_scanner", "find_service", "tls_certificate"), ca_file=pki.ca
    )
    assert serious(outcome, TLS_IDS) == []


# --- a TLS 1.0 server with RC4 and triple DES only -------------------------------------------

RC4_SHA, DES3_SHA = 0x0005, 0x000A


class _OldTls(socketserver.BaseRequestHandler):
    """Answers a ClientHello with a TLS 1.0 ServerHello choosing RC4 or 3DES, else an alert."""

    def handle(self) -> None:
        self.request.settimeout(5)
        data = b""
        while len(data) < 5 or len(data) < 5 + int.from_bytes(data[3:5], "big"):
            chunk = self.request.recv(4096)
            if not chunk:
                return
            data += chunk
        body = data[9:]
        version = int.from_bytes(body[0:2], "big")
        session = 35 + body[34]
        count = int.from_bytes(body[session : session + 2], "big") // 2
        offered = [
            int.from_bytes(body[session + 2 + 2 * i : session + 4 + 2 * i], "big")
            for i in range(count)
        ]
        chosen = next((suite for suite in (RC4_SHA, DES3_SHA) if suite in offered), None)
        if version < 0x0301 or chosen is None:
            self.request.sendall(bytes([21, 3, 1, 0, 2, 2, 40]))  # handshake_failure
            return
        hello = b"\x03\x01" + os.urandom(32) + b"\x00" + chosen.to_bytes(2, "big") + b"\x00"
        message = b"\x02" + len(hello).to_bytes(3, "big") + hello
        self.request.sendall(b"\x16\x03\x01" + len(message).to_bytes(2, "big") + message)


@pytest.fixture(scope="module")
def old_tls() -> Iterator[int]:
    server = socketserver.ThreadingTCPServer((LOOPBACK, 0), _OldTls)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1})
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_versions_and_suites_openssl_cannot_offer(old_tls: int) -> None:
    kb = KnowledgeBase()
    kb.replace(f"Transports/TCP/{old_tls}", 5)  # as find_service would record a TLS port
    outcome = scan([old_tls], ["tls_versions", "tls_ciphers"], kb=kb)
    [note] = texts(outcome, old_tls, TLS_VERSIONS, Severity.NOTE)
    # OpenSSL's own TLS 1.0 hello offers neither suite; the hand-written one does.
    assert note.startswith(
        "This service accepts these SSL/TLS protocol versions:\n\n"
        "  TLS 1.0  (server hello at this version)\nOther references"
    )
    assert outcome.get(f"tls/{old_tls}/versions") == "TLSv1"
    [versions] = texts(outcome, old_tls, TLS_VERSIONS, Severity.WARNING)
    assert "The server accepts no newer version, so modern clients cannot connect." in versions
    [suites] = texts(outcome, old_tls, TLS_CIPHERS, Severity.WARNING)
    assert "  TLS_RSA_WITH_RC4_128_SHA\n      RC4; with TLS 1.0\n" in suites
    assert "  TLS_RSA_WITH_3DES_EDE_CBC_SHA\n      triple DES; with TLS 1.0\n" in suites
    assert "(Sweet32, CVE-2016-2183)" in suites
    assert "RFC 7465 forbids RC4" in suites


# --- the parts -----------------------------------------------------------------------------------


def _extensions(record: bytes) -> dict[int, bytes]:
    body = record[9:]
    at = 35 + body[34]
    at += 2 + int.from_bytes(body[at : at + 2], "big")
    at += 1 + body[at]
    end = at + 2 + int.from_bytes(body[at : at + 2], "big")
    found, at = {}, at + 2
    while at < end:
        kind, size = (
            int.from_bytes(body[at : at + 2], "big"),
            int.from_bytes(body[at + 2 : at + 4], "big"),
        )
        found[kind] = body[at + 4 : at + 4 + size]
        at += 4 + size
    return found


def test_client_hello_layout() -> None:
    record = client_hello(0x0303, [0x000A, 0xC012], "www.ixion.test")
    assert record[:3] == b"\x16\x03\x01"  # handshake record, TLS 1.0 record version
    assert int.from_bytes(record[3:5], "big") == len(record) - 5
    assert record[5] == 1
    assert record[9:11] == b"\x03\x03"
    assert record[43:50] == b"\x00\x00\x04\x00\x0a\xc0\x12"  # no session id, the suites
    extensions = _extensions(record)
    assert extensions[0x0000] == b"\x00\x11\x00\x00\x0ewww.ixion.test"
    assert 0x000D in extensions  # signature algorithms, TLS 1.2 only
    assert extensions[0xFF01] == b"\x00"


def test_client_hello_padding_and_old_versions() -> None:
    every = [*WEAK_SUITES, *COMMON_SUITES]
    # TLS 1.2 with a name: 276 bytes, in the 256-511 that old balancers hang on (RFC 7685).
    padded = client_hello(0x0303, every, NAME)
    assert len(padded) == 512
    assert 0x0015 in _extensions(padded)
    # TLS 1.0 without a name: neither a server name nor signature algorithms, short enough.
    short = client_hello(0x0301, every)
    assert len(short) == 223
    assert set(_extensions(short)) == {0x000A, 0x000B, 0xFF01}
    sslv3 = client_hello(0x0300, [0x0005])
    assert sslv3[1:3] == b"\x03\x00"
    assert len(sslv3) == 5 + 4 + 2 + 32 + 1 + 4 + 2


def test_parse_server_hello() -> None:
    body = b"\x03\x02" + bytes(32) + b"\x04abcd" + b"\xc0\x12" + b"\x00"
    message = b"\x02" + len(body).to_bytes(3, "big") + body
    assert parse_server_hello(message) == ServerHello(0x0302, 0xC012)
    assert parse_server_hello(message[:-4]) is None  # cut inside the suite
    assert parse_server_hello(b"\x0b" + message[1:]) is None  # a Certificate message


def test_every_weak_suite_says_why_and_no_sound_one_does() -> None:
    assert all(weaknesses(name) for name in WEAK_SUITES.values())
    assert not any(weaknesses(name) for name in COMMON_SUITES.values())
    assert weaknesses("TLS_DH_anon_EXPORT_WITH_RC4_40_MD5") == [
        "no server authentication",
        "export grade",
        "RC4",
    ]


@pytest.mark.parametrize(
    ("names", "host", "covered"),
    [
        (["www.example.com"], "WWW.Example.com.", True),
        (["*.example.com"], "www.example.com", True),
        (["*.example.com"], "example.com", False),
        (["*.example.com"], "a.b.example.com", False),
        (["*.com"], "example.com", False),
        (["w*.example.com"], "www.example.com", False),
        (["xn--bcher-kva.example"], "bücher.example", True),
        ([], "www.example.com", False),
    ],
)
def test_names_a_certificate_covers(names: list[str], host: str, covered: bool) -> None:
    assert covers(names, host) is covered


def test_the_advice_names_only_the_versions_found() -> None:
    one = advice(["TLSv1.1"], ["TLSv1.2"])
    assert one.startswith(
        "The server accepts TLS 1.1, retired protocol version: RFC 8996 (2021) forbids it."
    )
    assert "SSL 3.0" not in one
    assert "POODLE" not in one
    three = advice(["SSLv3", "TLSv1", "TLSv1.1"], [])
    assert three.startswith(
        "The server accepts SSL 3.0, TLS 1.0 and TLS 1.1, retired protocol versions: "
        "RFC 7568 (2015) and RFC 8996 (2021) forbid them."
    )
    assert "(POODLE, CVE-2014-3566)" in three
    assert "\n\nSolution: disable SSL 3.0, TLS 1.0 and TLS 1.1 and offer" in three


def test_what_a_chain_verification_calls_for() -> None:
    assert trust_problem(Trust(0, "ok"), "CN=CA", False, True) is None
    assert trust_problem(Trust(18, "self-signed certificate"), "CN=x", False, True) is None
    # The certificate itself expired: said already; an intermediate expired: said here.
    assert trust_problem(Trust(10, "certificate has expired"), "CN=CA", False, False) is None
    chain = trust_problem(Trust(10, "certificate has expired"), "CN=CA", False, True)
    assert chain is not None
    assert chain.startswith("A certificate of the chain the server sends")
    root = trust_problem(
        Trust(19, "self-signed certificate in certificate chain"), "CN=CA", True, True
    )
    assert root is not None
    assert "(this machine's trust store and the CA certificates given): the chain" in root
    assert "self-signed" not in root
    other = trust_problem(Trust(26, "unsupported certificate purpose"), "CN=CA", False, True)
    assert other == (
        "The certificate chain does not verify against this machine's trust store: "
        "unsupported certificate purpose (OpenSSL error 26). Clients refuse it or warn; "
        "install a certificate and chain that verify."
    )


# --- the netlab --------------------------------------------------------------------------------

TLS_WEAKNESSES = ("tls-expired", "tls-self-signed", "tls-1.0", "tls-1.1", "tls-weak-ciphers")


@pytest.fixture(scope="module")
def lab_scans(netlab: NetLab) -> dict[str, Outcome]:
    return {
        name: scan([443], TLS_PLUGINS, host=address, address=address, ca_file=netlab.ca_file)
        for name, address in (("weak", netlab.weak), ("hardened", netlab.hardened))
    }


def test_netlab_weak_tls_is_found_as_the_ground_truth_says(
    netlab: NetLab, lab_scans: dict[str, Outcome]
) -> None:
    truth = netlab.host_truth("weak")
    assert missed(lab_scans["weak"], truth, TLS_WEAKNESSES, TLS_IDS) == []
    assert false_alarms(lab_scans["weak"], truth, TLS_IDS) == []


def test_netlab_hardened_tls_is_not_flagged(netlab: NetLab, lab_scans: dict[str, Outcome]) -> None:
    outcome = lab_scans["hardened"]
    assert serious(outcome, TLS_IDS) == []
    assert false_alarms(outcome, netlab.host_truth("hardened"), TLS_IDS) == []
    assert outcome.get("tls/443/versions") == "TLSv1.2 TLSv1.3"
    assert outcome.get("tls/443/trusted") == 1
