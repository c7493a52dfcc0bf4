"""The X.509 certificates ``ixion-mkcert`` makes: a CA, ixiond's and its clients' (§1.2, §1.5).

Only the objects are made here; which of them a run makes, and the files they go to, are
:mod:`ixion.server.tlsfiles`. nessus-mkcert asked the ``openssl`` tool; this uses
``cryptography``, with these choices:

* Keys are ECDSA P-256 by default: quick to make, small, and spoken by every TLS 1.2 client.
  :attr:`KeyType.RSA` makes RSA 3072 keys (the NIST size for the CA's 128-bit strength) for a
  client that only does RSA. Certificates are signed with SHA-256.
* Lifetimes are nessus-mkcert's: the CA 1460 days (4 years), the others 365 days. Each starts
  a few minutes in the past, for clients whose clock is slightly behind.
* The server certificate names the host and, as alternative names, ``localhost`` and
  ``127.0.0.1``, so that local clients verify it.
* A client certificate's subject is ``/O=ixion/OU=clients/CN=<name>``; its DN, as
  :func:`ixion.server.tls.peer_dn` will see it, is what its user logs in with.
"""

from __future__ import annotations

import datetime
import enum
import ipaddress
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.types import (
        CertificateIssuerPrivateKeyTypes,
        CertificatePublicKeyTypes,
    )

__all__ = [
    "CA_DAYS",
    "DAYS",
    "Authority",
    "KeyType",
    "client_certificate",
    "new_authority",
    "server_certificate",
    "server_names",
]

#: nessus-mkcert's default lifetimes, in days.
CA_DAYS: Final = 1460
DAYS: Final = 365

_ORGANIZATION: Final = "ixion"
#: Certificates start a little in the past, for clients whose clock is slightly behind.
_BACKDATE: Final = datetime.timedelta(minutes=5)
_RSA_BITS: Final = 3072


class KeyType(enum.Enum):
    """The kind of every key made in one run."""

    EC = "ec"  # ECDSA on P-256
    RSA = "rsa"  # RSA 3072

    def new_key(self) -> ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey:
        if self is KeyType.EC:
            return ec.generate_private_key(ec.SECP256R1())
        return rsa.generate_private_key(public_exponent=65537, key_size=_RSA_BITS)


@dataclass(frozen=True, slots=True)
class Authority:
    """A CA: the key that signs, and its own certificate."""

    key: CertificateIssuerPrivateKeyTypes
    certificate: x509.Certificate


def new_authority(key_type: KeyType, *, host: str, days: int, now: datetime.datetime) -> Authority:
    """A new CA, named after the host whose server it certifies."""
    key = key_type.new_key()
    subject = _name(("Certification Authority", f"ixion CA on {host}"))
    usage = _key_usage(key_cert_sign=True, crl_sign=True)
    certificate = (
        _builder(subject, subject, key.public_key(), now, days)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(usage, critical=True)
        .sign(key, hashes.SHA256())
    )
    return Authority(key, certificate)


def server_certificate(
    authority: Authority, key_type: KeyType, *, host: str, days: int, now: datetime.datetime
) -> tuple[x509.Certificate, CertificateIssuerPrivateKeyTypes]:
    """ixiond's certificate for ``host`` and its new key."""
    key = key_type.new_key()
    names = x509.SubjectAlternativeName([_general_name(name) for name in server_names(host)])
    certificate = (
        _leaf(authority, _name(("ixiond", host)), key, days=days, now=now)
        .add_extension(names, critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(authority.key, hashes.SHA256())
    )
    return certificate, key


def client_certificate(
    authority: Authority, key_type: KeyType, *, name: str, days: int, now: datetime.datetime
) -> tuple[x509.Certificate, CertificateIssuerPrivateKeyTypes]:
    """The certificate of the client called ``name`` and its new key."""
    key = key_type.new_key()
    certificate = (
        _leaf(authority, _name(("clients", name)), key, days=days, now=now)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .sign(authority.key, hashes.SHA256())
    )
    return certificate, key


def server_names(host: str) -> tuple[str, ...]:
    """The host, then ``localhost`` and ``127.0.0.1``, each once."""
    return tuple(dict.fromkeys((host, "localhost", "127.0.0.1")))


def _leaf(
    authority: Authority,
    subject: x509.Name,
    key: CertificateIssuerPrivateKeyTypes,
    *,
    days: int,
    now: datetime.datetime,
) -> x509.CertificateBuilder:
    """A certificate for an end entity, signed by ``authority``, without its purpose yet."""
    issuer_key = authority.key.public_key()
    # RSA keys also encipher the TLS 1.2 key exchange when a client picks RSA key transport.
    usage = _key_usage(digital_signature=True, key_encipherment=isinstance(key, rsa.RSAPrivateKey))
    return (
        _builder(subject, authority.certificate.subject, key.public_key(), now, days)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(usage, critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key),
            critical=False,
        )
    )


def _builder(
    subject: x509.Name,
    issuer: x509.Name,
    public_key: CertificatePublicKeyTypes,
    now: datetime.datetime,
    days: int,
) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _BACKDATE)
        .not_valid_after(now + datetime.timedelta(days=days))
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    )


def _key_usage(
    *,
    digital_signature: bool = False,
    key_encipherment: bool = False,
    key_cert_sign: bool = False,
    crl_sign: bool = False,
) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=digital_signature,
        content_commitment=False,
        key_encipherment=key_encipherment,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=key_cert_sign,
        crl_sign=crl_sign,
        encipher_only=False,
        decipher_only=False,
    )


def _name(unit_and_common_name: tuple[str, str]) -> x509.Name:
    unit, common_name = unit_and_common_name
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, _ORGANIZATION),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, unit),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _general_name(host: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        return x509.DNSName(host)
