"""The lab's certificates, made fresh at each ``up`` with ``cryptography``.

* A lab CA (``ca.pem``) that tests and scanners may trust.
* The hardened host's certificate: signed by the CA, valid now, names matching the host
  (``hardened.lab.test`` and its address), for serverAuth.
* The weak host's certificate: self-signed and expired a month ago.
"""

from __future__ import annotations

import datetime
import ipaddress
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

if TYPE_CHECKING:
    from pathlib import Path

    from tests.netlab._hosts import Host

__all__ = ["CA_NAME", "ServerCert", "make_ca", "make_server_cert"]

CA_NAME = "ixion netlab CA"
_DAY = datetime.timedelta(days=1)


@dataclass(frozen=True, slots=True)
class ServerCert:
    """A server's certificate and key files (PEM); the key is readable by root only."""

    cert: Path
    key: Path


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _name(common: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "ixion netlab"),
            x509.NameAttribute(NameOID.COMMON_NAME, common),
        ]
    )


def _write(cert: x509.Certificate, key: rsa.RSAPrivateKey, cert_path: Path, key_path: Path) -> None:
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.touch(mode=0o600)
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )


def make_ca(directory: Path) -> tuple[x509.Certificate, rsa.RSAPrivateKey]:
    """The lab CA, written as ``ca.pem`` and ``ca.key`` in ``directory``."""
    key = _key()
    now = datetime.datetime.now(datetime.UTC)
    name = _name(CA_NAME)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _DAY)
        .not_valid_after(now + 365 * _DAY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    _write(cert, key, directory / "ca.pem", directory / "ca.key")
    return cert, key


def make_server_cert(
    host: Host,
    directory: Path,
    ca: tuple[x509.Certificate, rsa.RSAPrivateKey] | None,
) -> ServerCert:
    """The host's certificate: CA-signed and valid with ``ca``, else self-signed and expired."""
    key = _key()
    now = datetime.datetime.now(datetime.UTC)
    subject = _name(host.fqdn)
    names = x509.SubjectAlternativeName(
        [x509.DNSName(host.fqdn), x509.IPAddress(ipaddress.IPv4Address(host.address))]
    )
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .add_extension(names, critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
    )
    if ca is None:
        builder = builder.issuer_name(subject)
        builder = builder.not_valid_before(now - 400 * _DAY).not_valid_after(now - 30 * _DAY)
        cert = builder.sign(key, hashes.SHA256())
    else:
        ca_cert, ca_key = ca
        builder = builder.issuer_name(ca_cert.subject)
        builder = builder.not_valid_before(now - _DAY).not_valid_after(now + 90 * _DAY)
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        cert = builder.sign(ca_key, hashes.SHA256())
    paths = ServerCert(directory / f"{host.name}.pem", directory / f"{host.name}.key")
    _write(cert, key, paths.cert, paths.key)
    return paths
