"""Certificates made for the TLS tests, and the servers on 127.0.0.1 that present them.

Every certificate is generated when a test asks for it: an expired self-signed one, a CA
and a server certificate it signed with subjectAltNames, and a self-signed RSA 1024 one.
:func:`https_server` serves a chain over HTTPS (the lab's threaded ``http.server``) on a
port it binds itself; :class:`StartTlsServer` speaks a line protocol in the clear until the
client sends ``STARTTLS``, then TLS.
"""

from __future__ import annotations

import contextlib
import datetime
import ipaddress
import socket
import ssl
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Self

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tests.lab import LOOPBACK, HttpService

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence
    from pathlib import Path
    from types import TracebackType

    from cryptography.hazmat.primitives.asymmetric.types import CertificateIssuerPrivateKeyTypes

NOW = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
DAY = datetime.timedelta(days=1)


@dataclass(frozen=True)
class Issued:
    """A certificate and its private key."""

    cert: x509.Certificate
    key: CertificateIssuerPrivateKeyTypes

    @property
    def der(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.DER)

    @property
    def pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)

    def key_pem(self) -> bytes:
        return self.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )


def _name(*parts: tuple[x509.ObjectIdentifier, str]) -> x509.Name:
    return x509.Name([x509.NameAttribute(oid, value) for oid, value in parts])


def issue(
    subject: x509.Name,
    *,
    key: CertificateIssuerPrivateKeyTypes | None = None,
    issuer: Issued | None = None,
    serial: int = 0x1234,
    valid: tuple[datetime.datetime, datetime.datetime] = (NOW - DAY, NOW + 365 * DAY),
    alt_names: Sequence[x509.GeneralName] = (),
    ca: bool = False,
) -> Issued:
    """A certificate for ``subject``, signed by ``issuer`` (None: by itself)."""
    key = key if key is not None else ec.generate_private_key(ec.SECP256R1())
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.cert.subject if issuer else subject)
        .public_key(key.public_key())
        .serial_number(serial)
        .not_valid_before(valid[0])
        .not_valid_after(valid[1])
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    if ca:
        usage = x509.KeyUsage(False, False, False, False, False, True, True, False, False)
        builder = builder.add_extension(usage, critical=True)
    else:
        eku = x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH])
        builder = builder.add_extension(eku, critical=False)
    if issuer is not None:
        authority = x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key())
        builder = builder.add_extension(authority, critical=False)
    if alt_names:
        builder = builder.add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
    signer = issuer.key if issuer else key
    return Issued(builder.sign(signer, hashes.SHA256()), key)


def expired_self_signed() -> Issued:
    """EC P-256, self-signed, valid for a year until 30 days ago."""
    return issue(
        _name((NameOID.COMMON_NAME, "expired.ixion.test"), (NameOID.ORGANIZATION_NAME, "Ixion")),
        serial=0x00C0FFEE,
        valid=(NOW - 395 * DAY, NOW - 30 * DAY),
    )


def make_ca() -> Issued:
    return issue(
        _name(
            (NameOID.COUNTRY_NAME, "DE"),
            (NameOID.ORGANIZATION_NAME, "Ixion Tests"),
            (NameOID.COMMON_NAME, "Ixion Test CA"),
        ),
        serial=1,
        valid=(NOW - 10 * DAY, NOW + 3650 * DAY),
        ca=True,
    )


def ca_signed(ca: Issued) -> Issued:
    """A valid server certificate ``ca`` signed, with DNS, mailbox, URI and IP alt names."""
    return issue(
        _name((NameOID.ORGANIZATION_NAME, "Ixion, Inc."), (NameOID.COMMON_NAME, "www.ixion.test")),
        issuer=ca,
        serial=0x8F00_0000_0000_0001,
        alt_names=(
            x509.DNSName("www.ixion.test"),
            x509.DNSName("*.cdn.ixion.test"),
            x509.RFC822Name("admin@ixion.test"),
            x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
            x509.UniformResourceIdentifier("https://ixion.test/"),
        ),
    )


def weak_rsa() -> Issued:
    """Self-signed RSA 1024 (e 65537): a key the feed's RSA checks report as too small."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    return issue(
        _name((NameOID.COMMON_NAME, "weak.ixion.test")),
        key=key,
        serial=0x7F,
    )


def server_context(
    chain: Sequence[Issued],
    directory: Path,
    *,
    version: ssl.TLSVersion | None = None,
    ciphers: str | None = None,
) -> ssl.SSLContext:
    """A server context presenting ``chain`` (the server's own certificate first)."""
    cert_file, key_file = directory / "chain.pem", directory / "key.pem"
    cert_file.write_bytes(b"".join(issued.pem for issued in chain))
    key_file.write_bytes(chain[0].key_pem())
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.set_ciphers(ciphers or "DEFAULT:@SECLEVEL=0")  # level 0: RSA 1024 may serve
    if version is not None:
        context.minimum_version = context.maximum_version = version
    context.load_cert_chain(cert_file, key_file)
    return context


@contextlib.contextmanager
def https_server(context: ssl.SSLContext) -> Iterator[int]:
    """An HTTPS server with ``context`` on 127.0.0.1; its port."""
    with HttpService(tls=context) as service:
        yield service.port


class StartTlsServer:
    """One line protocol in the clear: ``220 ready``, then on ``STARTTLS`` ``220 go ahead``
    and TLS with ``context``; over TLS it answers each line with ``echo: <line>``. With
    ``context=None`` it says ``220 go ahead`` and then talks nonsense in the clear."""

    def __init__(self, context: ssl.SSLContext | None) -> None:
        self._context = context
        self._listener = socket.create_server((LOOPBACK, 0))
        self._listener.settimeout(0.2)
        self.port: int = self._listener.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="starttls", daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join(5)
        self._listener.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            with contextlib.suppress(OSError), client:
                client.settimeout(5)
                self._talk(client)

    def _talk(self, client: socket.socket) -> None:
        client.sendall(b"220 ready\r\n")
        if not client.recv(64).startswith(b"STARTTLS"):
            return
        client.sendall(b"220 go ahead\r\n")
        if self._context is None:
            client.sendall(b"this is not TLS at all\r\n" * 4)
            return
        with self._context.wrap_socket(client, server_side=True) as tls:
            while line := tls.recv(1024):
                tls.sendall(b"echo: " + line)
