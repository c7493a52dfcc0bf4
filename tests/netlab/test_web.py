"""nginx, Apache and TLS on both hosts answer as configured."""

from __future__ import annotations

import datetime
import http.client
import socket
import ssl
import uuid
import warnings

import pytest
from cryptography import x509

from tests.netlab.fixture import NetLab


def _request(address: str, method: str, path: str, port: int = 80, body: bytes = b"") -> int:
    connection = http.client.HTTPConnection(address, port, timeout=5)
    try:
        connection.request(method, path, body=body or None)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def _get(address: str, path: str) -> tuple[int, str]:
    connection = http.client.HTTPConnection(address, 80, timeout=5)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read().decode(errors="replace")
    finally:
        connection.close()


def _old_tls(address: str, version: ssl.TLSVersion, ciphers: str = "ALL:@SECLEVEL=0") -> str:
    """Handshake pinned to one protocol version, verifying nothing; the cipher chosen."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # TLS 1.0/1.1 are, on purpose
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        context.set_ciphers(ciphers)
        context.minimum_version = version
        context.maximum_version = version
    with (
        socket.create_connection((address, 443), timeout=5) as raw,
        context.wrap_socket(raw) as tls,
    ):
        cipher = tls.cipher()
        assert cipher is not None
        return cipher[0]


def test_weak_lists_files_and_hardened_does_not(netlab: NetLab) -> None:
    status, body = _get(netlab.weak, "/files/")
    assert status == 200
    assert "Index of /files/" in body
    assert "db-backup-2024.sql" in body
    assert _get(netlab.hardened, "/files/")[0] == 403


def test_weak_takes_put_and_hardened_refuses(netlab: NetLab) -> None:
    name = f"/uploads/t-{uuid.uuid4().hex}.txt"
    assert _request(netlab.weak, "PUT", name, body=b"lab") == 201
    assert _get(netlab.weak, name) == (200, "lab")
    assert _request(netlab.hardened, "PUT", name, body=b"lab") == 403


def test_trace_only_on_weak_apache(netlab: NetLab) -> None:
    assert _request(netlab.weak, "TRACE", "/", port=8080) == 200
    assert _request(netlab.hardened, "TRACE", "/", port=8080) == 405
    assert _request(netlab.weak, "TRACE", "/") == 405  # nginx never allows it


@pytest.mark.parametrize("version", [ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_1])
def test_old_tls_on_weak_only(netlab: NetLab, version: ssl.TLSVersion) -> None:
    assert _old_tls(netlab.weak, version)
    with pytest.raises(ssl.SSLError):
        _old_tls(netlab.hardened, version)


@pytest.mark.parametrize("cipher", ["NULL-SHA", "AECDH-AES128-SHA"])
def test_weak_suites_on_weak_only(netlab: NetLab, cipher: str) -> None:
    tls12 = ssl.TLSVersion.TLSv1_2
    assert _old_tls(netlab.weak, tls12, f"{cipher}:@SECLEVEL=0") == cipher
    with pytest.raises(ssl.SSLError):
        _old_tls(netlab.hardened, tls12, f"{cipher}:@SECLEVEL=0")


def test_weak_certificate_is_expired_and_self_signed(netlab: NetLab) -> None:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with (
        socket.create_connection((netlab.weak, 443), timeout=5) as raw,
        context.wrap_socket(raw) as tls,
    ):
        der = tls.getpeercert(binary_form=True)
    assert der is not None
    cert = x509.load_der_x509_certificate(der)
    assert cert.issuer == cert.subject
    assert cert.not_valid_after_utc < datetime.datetime.now(datetime.UTC)


def test_hardened_certificate_verifies_against_the_lab_ca(netlab: NetLab) -> None:
    context = ssl.create_default_context(cafile=str(netlab.ca_file))
    with (
        socket.create_connection((netlab.hardened, 443), timeout=5) as raw,
        context.wrap_socket(raw, server_hostname="hardened.lab.test") as tls,
    ):
        assert tls.version() in ("TLSv1.2", "TLSv1.3")
    with (
        socket.create_connection((netlab.weak, 443), timeout=5) as raw,
        pytest.raises(ssl.SSLCertVerificationError),
    ):
        context.wrap_socket(raw, server_hostname="weak.lab.test")
