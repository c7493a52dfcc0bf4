"""tls_certificate: the lab's expired self-signed certificate, and assess() on made-up ones."""

from __future__ import annotations

import datetime

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID

from ixion.engine.events import Severity
from ixion.plugins.tls_certificate import assess
from tests.lab import Lab

from .helpers import Outcome

TLS_CERTIFICATE = 90000024
NOW = datetime.datetime(2026, 6, 1, tzinfo=datetime.UTC)
DAY = datetime.timedelta(days=1)

Key = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey


def name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def certificate(
    *,
    subject: str = "www.example.test",
    issuer: str = "Example CA",
    key: Key | None = None,
    signer: Key | None = None,
    not_before: datetime.datetime = NOW - 30 * DAY,
    not_after: datetime.datetime = NOW + 30 * DAY,
) -> bytes:
    key = key or ec.generate_private_key(ec.SECP256R1())
    signer = signer or ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(name(subject))
        .issuer_name(name(issuer))
        .public_key(key.public_key())
        .serial_number(0x1234)
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .sign(signer, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.DER)


def test_the_lab_certificate_is_expired_and_self_signed(scan: Outcome, lab: Lab) -> None:
    port = lab.ports["https"]
    found = scan.findings(port=port, plugin_id=TLS_CERTIFICATE)
    [note] = [f.text for f in found if f.severity is Severity.NOTE]
    warnings = [f.text for f in found if f.severity is Severity.WARNING]
    assert note.startswith("The TLS certificate of this service:\n\n")
    assert "  Subject:         CN=lab.ixion.test\n" in note
    assert "  Issuer:          CN=lab.ixion.test\n" in note
    assert "  Public key:      EC secp256r1 (256 bits)\n" in note
    assert "  Signature:       ECDSA with SHA256\n" in note
    assert "  Names (SAN):     lab.ixion.test\n" in note
    assert len(warnings) == 2
    assert warnings[0].startswith("The certificate expired on ")
    assert "(365 days ago)" in warnings[0]
    assert warnings[1].startswith("The certificate is self-signed")
    assert scan.get(f"tls/{port}/expired") == 1
    assert scan.get(f"tls/{port}/self_signed") == 1
    assert scan.get(f"tls/{port}/subject") == "CN=lab.ixion.test"


def test_only_tls_ports_are_looked_at(scan: Outcome, lab: Lab) -> None:
    ports = {f.port for f in scan.findings(plugin_id=TLS_CERTIFICATE)}
    assert ports == {lab.ports["https"]}


def test_a_sound_certificate_has_no_problem() -> None:
    found = assess(certificate(), NOW)
    assert found.problems == []
    assert not found.expired
    assert not found.not_yet_valid
    assert not found.self_signed
    assert found.subject == "CN=www.example.test"
    assert found.issuer == "CN=Example CA"
    assert found.serial == 0x1234


def test_a_certificate_not_valid_yet() -> None:
    found = assess(certificate(not_before=NOW + DAY, not_after=NOW + 90 * DAY), NOW)
    assert found.not_yet_valid
    assert not found.expired
    [problem] = found.problems
    assert problem.startswith("The certificate is not valid before 2026-06-02 00:00:00 UTC.")


def test_same_names_without_its_own_signature_is_not_self_signed() -> None:
    # An intermediate named like its issuer, but signed by another key: a CA vouches for it.
    found = assess(certificate(subject="Twin", issuer="Twin"), NOW)
    assert not found.self_signed
    assert found.problems == []


def test_self_signed_by_its_own_key() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    found = assess(certificate(subject="Me", issuer="Me", key=key, signer=key), NOW)
    assert found.self_signed
    [problem] = found.problems
    assert problem.startswith("The certificate is self-signed")


@pytest.fixture(scope="module")
def rsa_1024() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=1024)


def test_a_short_rsa_key_is_a_problem(rsa_1024: rsa.RSAPrivateKey) -> None:
    found = assess(certificate(key=rsa_1024), NOW)
    assert found.key == "RSA 1024 bits"
    [problem] = found.problems
    assert "RSA key has only 1024 bits; at least 2048" in problem


def resigned_with_sha1(der: bytes, signer: rsa.RSAPrivateKey) -> bytes:
    """``der`` (RSA, SHA-256) signed again with SHA-1, which ``cryptography`` no longer does.

    The two algorithm identifiers have the same length, and so do the two RSA signatures,
    so swapping them in place keeps every DER length right.
    """
    sha256, sha1 = (bytes.fromhex(f"2a864886f70d0101{n}") for n in ("0b", "05"))
    cert = x509.load_der_x509_certificate(der)
    tbs = cert.tbs_certificate_bytes.replace(sha256, sha1)
    signature = signer.sign(tbs, padding.PKCS1v15(), hashes.SHA1())
    resigned = der.replace(cert.tbs_certificate_bytes, tbs).replace(cert.signature, signature)
    return resigned.replace(sha256, sha1)


def test_a_sha1_signature_by_a_ca_is_a_problem(rsa_1024: rsa.RSAPrivateKey) -> None:
    ca = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    der = resigned_with_sha1(certificate(signer=ca), ca)
    found = assess(der, NOW)
    assert found.signature == "RSA with SHA1"
    assert not found.self_signed
    [problem] = found.problems
    assert problem.startswith("The certificate is signed with SHA1")


def test_a_sha1_self_signed_certificate_is_recognised(rsa_1024: rsa.RSAPrivateKey) -> None:
    key = rsa_1024
    der = resigned_with_sha1(certificate(subject="Me", issuer="Me", key=key, signer=key), key)
    found = assess(der, NOW)
    assert found.self_signed
    # Self-signed and a short key; the SHA-1 signature proves nothing either way.
    assert len(found.problems) == 2
    assert found.problems[0].startswith("The certificate is self-signed")
