"""TLS socket built-ins against TLS servers of the test's own on 127.0.0.1: what a connection
negotiated (version, suite, session, renegotiation, chain), verification against a trust
store, and STARTTLS with ``socket_negotiate_ssl``."""

from __future__ import annotations

import ssl
from typing import TYPE_CHECKING

import pytest

from ixion.nasl.builtins import trust
from tests.nasl.builtins.test_network import run
from tests.nasl.builtins.tls_lab import (
    StartTlsServer,
    ca_signed,
    expired_self_signed,
    https_server,
    make_ca,
    server_context,
)

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

SESSION = b"""
soc = open_sock_tcp(%d, transport: ENCAPS_TLScustom);
display("version=", socket_get_ssl_version(socket: soc), "\\n");
display("suite=", socket_get_ssl_ciphersuite(socket: soc), "\\n");
display("session=", strlen(socket_get_ssl_session_id(socket: soc)), "\\n");
display("renegotiation=", socket_check_ssl_safe_renegotiation(socket: soc), "\\n");
display("cert=", hexstr(socket_get_cert(socket: soc)), "\\n");
foreach k (make_list("encaps", "tls-proto", "tls-kx", "tls-certtype", "tls-cipher", "tls-mac",
                     "tls-auth"))
  display(k, "=", get_sock_info(soc, k, asstring: TRUE), "\\n");
chain = get_sock_info(soc, "tls-cert");
display("chain=", max_index(chain), "\\n");
display("verify=", socket_cert_verify(socket: soc), "\\n");
close(soc);
"""


def answers(out: bytes) -> dict[str, str]:
    return dict(line.split("=", 1) for line in out.decode().splitlines() if "=" in line)


@pytest.fixture
def no_trust() -> Iterator[None]:
    """``socket_cert_verify`` trusts nothing of the machine's: only what a test names."""
    trust._anchors.cache_clear()
    yield
    trust._anchors.cache_clear()


def test_a_tls12_session(tmp_path: Path, no_trust: None, monkeypatch: pytest.MonkeyPatch) -> None:
    ca = make_ca()
    leaf = ca_signed(ca)
    (tmp_path / "trusted.pem").write_bytes(ca.pem)
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "trusted.pem"))
    context = server_context(
        [leaf, ca],
        tmp_path,
        version=ssl.TLSVersion.TLSv1_2,
        ciphers="ECDHE-ECDSA-AES128-GCM-SHA256",
    )
    with https_server(context) as port:
        out, _ = run(SESSION % port)
    got = answers(out)
    assert got["version"] == "4"  # GnuTLS' number for TLS 1.2
    assert got["suite"] == str(0xC02B)  # TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
    assert got["session"] == "32"
    assert got["renegotiation"] == "1"  # OpenSSL servers offer RFC 5746
    assert got["cert"] == leaf.der.hex()
    assert got["encaps"] == "TLSv12"
    assert got["tls-proto"] == "TLS1.2"
    assert got["tls-kx"] == "ECDHE-ECDSA"
    assert got["tls-certtype"] == "X.509"
    assert got["tls-cipher"] == "AES-128-GCM"
    assert got["tls-mac"] == "AEAD"
    assert got["tls-auth"] == "CERT"
    assert got["chain"] == "2"  # the server sent its own certificate and the CA's
    assert got["verify"] == "0"  # the CA is the trust store


def test_a_tls13_session_with_an_untrusted_expired_certificate(
    tmp_path: Path, no_trust: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "trusted.pem").write_bytes(make_ca().pem)  # not the one that signed
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "trusted.pem"))
    issued = expired_self_signed()
    context = server_context([issued], tmp_path, version=ssl.TLSVersion.TLSv1_3)
    with https_server(context) as port:
        out, _ = run(SESSION % port)
    got = answers(out)
    assert got["version"] == "5"
    assert got["suite"] in {str(0x1301), str(0x1302), str(0x1303)}
    assert got["renegotiation"] == "0"  # TLS 1.3 has none
    assert got["tls-proto"] == "TLS1.3"
    assert got["chain"] == "1"
    # GnuTLS' INVALID | EXPIRED: the chain fails, the certificate's age is why.
    assert got["verify"] == str(trust.INVALID | trust.EXPIRED)


def test_a_clear_socket_has_no_tls(tmp_path: Path) -> None:
    with StartTlsServer(None) as server:
        out, _ = run(
            b"""
            soc = open_sock_tcp(%d, transport: ENCAPS_IP);
            display(typeof(socket_get_cert(socket: soc)), " ",
                    typeof(socket_get_ssl_version(socket: soc)), " ",
                    get_sock_info(soc, "encaps", asstring: TRUE), " ",
                    get_sock_info(soc, "tls-proto"), "\\n");
            close(soc);
            """
            % server.port
        )
    assert out == b"undef undef IP n/a\n"


def test_starttls_keeps_the_socket_number(tmp_path: Path) -> None:
    issued = expired_self_signed()
    with StartTlsServer(server_context([issued], tmp_path)) as server:
        out, _ = run(
            b"""
            soc = open_sock_tcp(%d, transport: ENCAPS_IP);
            display(recv_line(socket: soc, length: 100));
            send(socket: soc, data: 'STARTTLS\\r\\n');
            display(recv_line(socket: soc, length: 100));
            display(socket_negotiate_ssl(socket: soc) == soc, "\\n");
            display(get_sock_info(soc, "tls-proto"), "\\n");
            send(socket: soc, data: 'hello\\r\\n');
            display(recv_line(socket: soc, length: 100));
            display(hexstr(socket_get_cert(socket: soc)), "\\n");
            close(soc);
            """
            % server.port
        )
    assert out.decode().splitlines() == [
        "220 ready",
        "220 go ahead",
        "1",
        "TLS1.3",
        "echo: hello",
        issued.der.hex(),
    ]


def test_a_failed_negotiation_closes_the_socket() -> None:
    with StartTlsServer(None) as server:
        out, _ = run(
            b"""
            soc = open_sock_tcp(%d, transport: ENCAPS_IP);
            recv_line(socket: soc, length: 100);
            send(socket: soc, data: 'STARTTLS\\r\\n');
            recv_line(socket: soc, length: 100);
            display(typeof(socket_negotiate_ssl(socket: soc)), "\\n");
            display(typeof(socket_negotiate_ssl(socket: soc, transport: ENCAPS_SSLv2)), "\\n");
            """
            % server.port
        )
    lines = out.decode().splitlines()
    assert lines[0] == "undef"
    # The socket is gone: asking again only warns.
    assert lines[1].startswith("!! warning: ")
    assert lines[1].endswith("is not an open socket")
    assert lines[2] == "undef"
