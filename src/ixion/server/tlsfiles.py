"""The TLS files of ixiond: which ``ixion-mkcert`` makes, keeps or refuses, and the conf lines.

nessus-mkcert wrote a CA and a server certificate and appended ``cert_file``, ``key_file``
and ``ca_file`` to nessusd.conf; nessus-mkcert-client wrote client certificates. A
:class:`Plan` says what one run asks for; :func:`make_certificates` decides what that means
given the files already there, builds the certificates (:mod:`ixion.server.certificates`)
and writes them. Choices, and why:

* Files go to ``<state_dir>/tls/`` under the names the conf's defaults point to
  (``cacert.pem``, ``servercert.pem``, ``serverkey.pem``) plus the CA key ``cakey.pem``, and
  ``clients/<name>-cert.pem`` / ``clients/<name>-key.pem``. Keys are mode 0600, certificates
  0644; each file appears whole or not at all. Keys are not encrypted, as nessus-mkcert's were
  not (``pem_password`` is for keys made elsewhere).
* A CA already in the directory is used again, so that a later run for one more client signs
  its certificate without invalidating anyone else's; ``new_ca`` replaces it (and so the
  server certificate). The server certificate is kept too unless ``force`` or a new CA; an
  existing client certificate is replaced only with ``force``. Nothing is written when
  anything would be refused.
* Client names are kept to letters, digits and ``.@_-``: they become file names, and a ``/``
  would make the one-line DN ambiguous.
* :func:`update_config` sets the three conf lines: the first line of each key is replaced in
  place, later duplicates (which nessusd ignored) are removed, missing keys are appended, and
  every other line is kept byte for byte.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from ixion.server.certificates import (
    CA_DAYS,
    DAYS,
    Authority,
    KeyType,
    client_certificate,
    new_authority,
    server_certificate,
)
from ixion.server.config import parse_config
from ixion.server.files import write_atomically
from ixion.server.tls import x509_oneline

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

    from cryptography.hazmat.primitives.asymmetric.types import CertificateIssuerPrivateKeyTypes

__all__ = [
    "ClientCertificate",
    "Issued",
    "MkcertError",
    "Plan",
    "make_certificates",
    "set_tls_lines",
    "update_config",
]

KEY_MODE: Final = 0o600
CERT_MODE: Final = 0o644

_CLIENT_NAME: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9.@_-]{0,63}")


class MkcertError(Exception):
    """Nothing was written; the message says why."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Plan:
    """What one run of ``ixion-mkcert`` is asked to make."""

    directory: Path
    host: str
    clients: tuple[str, ...] = ()
    key_type: KeyType = KeyType.EC
    ca_days: int = CA_DAYS
    days: int = DAYS
    #: Make a new server certificate and replace existing client certificates.
    force: bool = False
    #: Make a new CA even if one is in the directory (and so a new server certificate).
    new_ca: bool = False

    @property
    def ca_file(self) -> Path:
        return self.directory / "cacert.pem"

    @property
    def ca_key_file(self) -> Path:
        return self.directory / "cakey.pem"

    @property
    def cert_file(self) -> Path:
        return self.directory / "servercert.pem"

    @property
    def key_file(self) -> Path:
        return self.directory / "serverkey.pem"

    def client_files(self, name: str) -> tuple[Path, Path]:
        """The certificate and key files of one client."""
        clients = self.directory / "clients"
        return clients / f"{name}-cert.pem", clients / f"{name}-key.pem"


@dataclass(frozen=True, slots=True)
class ClientCertificate:
    """One client certificate made, and the DN its holder logs in with."""

    name: str
    dn: str
    cert_file: Path
    key_file: Path


@dataclass(frozen=True, slots=True, kw_only=True)
class Issued:
    """What a run left in the directory."""

    ca_file: Path
    cert_file: Path
    key_file: Path
    ca_created: bool
    server_created: bool
    clients: tuple[ClientCertificate, ...] = ()

    def conf_lines(self) -> dict[str, str]:
        """The conf keys that point ixiond at these files."""
        return {
            "cert_file": str(self.cert_file),
            "key_file": str(self.key_file),
            "ca_file": str(self.ca_file),
        }


def make_certificates(plan: Plan, *, now: datetime.datetime | None = None) -> Issued:
    """Make what ``plan`` asks for in its directory.

    Raises:
        MkcertError: a bad client name or lifetime, a file that would be replaced without
            ``--force``, a CA in the directory that cannot be read, or a file that cannot be
            written.
    """
    _check(plan)
    now = now or datetime.datetime.now(datetime.UTC)
    authority = None if plan.new_ca else _existing_authority(plan)
    ca_created = authority is None
    if authority is None:
        authority = new_authority(plan.key_type, host=plan.host, days=plan.ca_days, now=now)
    server_created = ca_created or plan.force or not _server_exists(plan)
    files: list[tuple[Path, bytes, int]] = []
    if ca_created:
        files += _pair(plan.ca_file, plan.ca_key_file, authority.certificate, authority.key)
    if server_created:
        certificate, key = server_certificate(
            authority, plan.key_type, host=plan.host, days=plan.days, now=now
        )
        files += _pair(plan.cert_file, plan.key_file, certificate, key)
    clients = []
    for name in plan.clients:
        certificate, key = client_certificate(
            authority, plan.key_type, name=name, days=plan.days, now=now
        )
        cert_file, key_file = plan.client_files(name)
        files += _pair(cert_file, key_file, certificate, key)
        clients.append(
            ClientCertificate(name, x509_oneline(certificate.subject), cert_file, key_file)
        )
    for path, data, mode in files:
        _write(path, data, mode)
    return Issued(
        ca_file=plan.ca_file,
        cert_file=plan.cert_file,
        key_file=plan.key_file,
        ca_created=ca_created,
        server_created=server_created,
        clients=tuple(clients),
    )


def _check(plan: Plan) -> None:
    if plan.ca_days < 1 or plan.days < 1:
        raise MkcertError("certificate lifetimes must be at least one day")
    for name in plan.clients:
        if not _CLIENT_NAME.fullmatch(name):
            raise MkcertError(
                f"bad client name {name!r}: up to 64 letters, digits and '.@_-', "
                "starting with a letter or digit"
            )
    if len(set(plan.clients)) != len(plan.clients):
        raise MkcertError("a client name is given twice")
    if not plan.force:
        existing = [
            path for name in plan.clients for path in plan.client_files(name) if path.exists()
        ]
        if existing:
            raise MkcertError(f"{existing[0]} exists; --force replaces it")


def _server_exists(plan: Plan) -> bool:
    return plan.cert_file.exists() or plan.key_file.exists()


def _existing_authority(plan: Plan) -> Authority | None:
    """The CA in the directory, or None when there is none."""
    have_cert, have_key = plan.ca_file.exists(), plan.ca_key_file.exists()
    if not have_cert and not have_key:
        return None
    if not (have_cert and have_key):
        missing = plan.ca_key_file if have_cert else plan.ca_file
        raise MkcertError(f"{missing} is missing; --new-ca makes a new CA")
    try:
        certificate = x509.load_pem_x509_certificate(plan.ca_file.read_bytes())
        key = serialization.load_pem_private_key(plan.ca_key_file.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise MkcertError(f"cannot read the CA in {plan.directory}: {exc}") from None
    if not isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey) or (
        key.public_key() != certificate.public_key()
    ):
        raise MkcertError(f"{plan.ca_key_file} is not the key of {plan.ca_file}")
    return Authority(key, certificate)


def _pair(
    cert_file: Path,
    key_file: Path,
    certificate: x509.Certificate,
    key: CertificateIssuerPrivateKeyTypes,
) -> list[tuple[Path, bytes, int]]:
    """The two files of a certificate and its key, as (path, contents, mode)."""
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    cert_pem = certificate.public_bytes(serialization.Encoding.PEM)
    return [(key_file, key_pem, KEY_MODE), (cert_file, cert_pem, CERT_MODE)]


def _write(path: Path, data: bytes, mode: int) -> None:
    try:
        write_atomically(path, data, mode)
    except OSError as exc:
        raise MkcertError(f"cannot write {path}: {exc.strerror}") from None


def set_tls_lines(text: str, values: Mapping[str, str]) -> str:
    """``text``, a conf file, with each key of ``values`` set to its value.

    The first line of a key is rewritten in place, its later lines (dead in nessusd's
    first-wins reading, §5.1) are removed, and keys not in the file are appended. Every other
    line, comments included, is kept as it was.
    """
    lines = text.split("\n")
    done: set[str] = set()
    drop: set[int] = set()
    for entry in parse_config(text):
        if entry.name not in values or entry.line is None:
            continue
        if entry.name in done:
            drop.add(entry.line - 1)
        else:
            lines[entry.line - 1] = f"{entry.name} = {values[entry.name]}"
            done.add(entry.name)
    kept = [line for index, line in enumerate(lines) if index not in drop]
    missing = [f"{name} = {value}" for name, value in values.items() if name not in done]
    if missing:
        if kept and kept[-1] == "":  # the file ended with a newline: append after it
            kept.pop()
        kept += ["# Set by ixion-mkcert", *missing, ""]
    return "\n".join(kept)


def update_config(path: Path, issued: Issued) -> None:
    """Point the conf file at ``issued``'s files, keeping its mode.

    Raises:
        MkcertError: the file cannot be read or written.
    """
    try:
        text = path.read_text(encoding="utf-8")
        mode = path.stat().st_mode & 0o7777
    except (OSError, UnicodeDecodeError) as exc:
        raise MkcertError(f"cannot read {path}: {exc}") from None
    _write(path, set_tls_lines(text, issued.conf_lines()).encode("utf-8"), mode)
