"""``ixion-mkcert``: a CA, ixiond's certificate and client certificates (spec §1.2, §1.5).

nessus-mkcert made a CA and a server certificate with the ``openssl`` tool and appended
``cert_file``, ``key_file`` and ``ca_file`` to nessusd.conf; nessus-mkcert-client made client
certificates whose DN went into a user's ``auth/dname``. This does both with ``cryptography``,
so no ``openssl`` binary and no interactive questions are needed.

Choices, and why:

* Keys are ECDSA P-256 by default: quick to make, small, and spoken by every TLS 1.2 client.
  ``--key-type rsa`` makes RSA 3072 keys (the NIST size for the CA's 128-bit strength) for a
  client that only does RSA. Certificates are signed with SHA-256.
* Lifetimes are nessus-mkcert's: the CA 1460 days (4 years), the others 365 days.
* Files go to ``<state_dir>/tls/`` under the names the conf's defaults point to
  (``cacert.pem``, ``servercert.pem``, ``serverkey.pem``) plus the CA key ``cakey.pem``, and
  ``clients/<name>-cert.pem`` / ``clients/<name>-key.pem``. Keys are mode 0600, certificates
  0644; each file appears whole or not at all. Keys are not encrypted, as nessus-mkcert's were
  not (``pem_password`` is for keys made elsewhere).
* A CA already in the directory is used again, so ``ixion-mkcert --client bob`` later signs
  bob's certificate without invalidating anyone else's; ``--new-ca`` replaces it (and so the
  server certificate). The server certificate is kept too unless ``--force`` or a new CA;
  an existing client certificate is replaced only with ``--force``. Nothing is written when
  anything would be refused.
* The server certificate names the host (default: this machine's name) and, as alternative
  names, ``localhost`` and ``127.0.0.1``, so that local clients verify it.
* A client certificate's subject is ``/O=ixion/OU=clients/CN=<name>``; its DN, as
  :func:`ixion.server.tls.peer_dn` will see it, is printed for ``ixion-adduser --dn``. Names
  are kept to letters, digits and ``.@_-``: they become file names, and a ``/`` would make the
  one-line DN ambiguous.
* With ``-c CONFIG`` the three conf lines are set: the first line of each key is replaced in
  place, later duplicates (which nessusd ignored) are removed, missing keys are appended, and
  every other line is kept byte for byte. ``state_dir`` is read from that file.
"""

from __future__ import annotations

import datetime
import enum
import ipaddress
import re
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final

import click
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from .config import (
    ConfigError,
    default_locations,
    load_config,
    parse_config,
    resolve_settings,
)
from .files import write_atomically
from .tls import x509_oneline

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from cryptography.hazmat.primitives.asymmetric.types import (
        CertificateIssuerPrivateKeyTypes,
        CertificatePublicKeyTypes,
    )

__all__ = [
    "CA_DAYS",
    "DAYS",
    "ClientCertificate",
    "Issued",
    "KeyType",
    "MkcertError",
    "Plan",
    "main",
    "make_certificates",
    "set_tls_lines",
    "update_config",
]

#: nessus-mkcert's default lifetimes, in days.
CA_DAYS: Final = 1460
DAYS: Final = 365

KEY_MODE: Final = 0o600
CERT_MODE: Final = 0o644

_CLIENT_NAME: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9.@_-]{0,63}")
_ORGANIZATION: Final = "ixion"
#: Certificates start a little in the past, for clients whose clock is slightly behind.
_BACKDATE: Final = datetime.timedelta(minutes=5)
_RSA_BITS: Final = 3072


class MkcertError(Exception):
    """Nothing was written; the message says why."""


class KeyType(enum.Enum):
    """The kind of every key made in one run."""

    EC = "ec"  # ECDSA on P-256
    RSA = "rsa"  # RSA 3072

    def new_key(self) -> ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey:
        if self is KeyType.EC:
            return ec.generate_private_key(ec.SECP256R1())
        return rsa.generate_private_key(public_exponent=65537, key_size=_RSA_BITS)


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


@dataclass(frozen=True, slots=True)
class _Authority:
    key: CertificateIssuerPrivateKeyTypes
    certificate: x509.Certificate


# --- making certificates ---------------------------------------------------------------------


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
        authority = _new_authority(plan, now)
    server_created = ca_created or plan.force or not _server_exists(plan)
    files: list[tuple[Path, bytes, int]] = []
    if ca_created:
        files += _pair(plan.ca_file, plan.ca_key_file, authority.certificate, authority.key)
    if server_created:
        certificate, key = _server_certificate(plan, authority, now)
        files += _pair(plan.cert_file, plan.key_file, certificate, key)
    clients = []
    for name in plan.clients:
        certificate, key = _client_certificate(plan, authority, name, now)
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


def _existing_authority(plan: Plan) -> _Authority | None:
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
    return _Authority(key, certificate)


def _new_authority(plan: Plan, now: datetime.datetime) -> _Authority:
    key = plan.key_type.new_key()
    subject = _name(("Certification Authority", f"ixion CA on {plan.host}"))
    usage = _key_usage(key_cert_sign=True, crl_sign=True)
    certificate = (
        _builder(subject, subject, key.public_key(), now, plan.ca_days)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(usage, critical=True)
        .sign(key, hashes.SHA256())
    )
    return _Authority(key, certificate)


def _server_certificate(
    plan: Plan, authority: _Authority, now: datetime.datetime
) -> tuple[x509.Certificate, CertificateIssuerPrivateKeyTypes]:
    key = plan.key_type.new_key()
    names = x509.SubjectAlternativeName([_general_name(host) for host in _server_names(plan)])
    certificate = (
        _leaf(plan, authority, _name(("ixiond", plan.host)), key, now)
        .add_extension(names, critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(authority.key, hashes.SHA256())
    )
    return certificate, key


def _client_certificate(
    plan: Plan, authority: _Authority, name: str, now: datetime.datetime
) -> tuple[x509.Certificate, CertificateIssuerPrivateKeyTypes]:
    key = plan.key_type.new_key()
    certificate = (
        _leaf(plan, authority, _name(("clients", name)), key, now)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .sign(authority.key, hashes.SHA256())
    )
    return certificate, key


def _leaf(
    plan: Plan,
    authority: _Authority,
    subject: x509.Name,
    key: CertificateIssuerPrivateKeyTypes,
    now: datetime.datetime,
) -> x509.CertificateBuilder:
    """A certificate for an end entity, signed by ``authority``, without its purpose yet."""
    issuer_key = authority.key.public_key()
    # RSA keys also encipher the TLS 1.2 key exchange when a client picks RSA key transport.
    usage = _key_usage(digital_signature=True, key_encipherment=isinstance(key, rsa.RSAPrivateKey))
    return (
        _builder(subject, authority.certificate.subject, key.public_key(), now, plan.days)
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


def _server_names(plan: Plan) -> tuple[str, ...]:
    """The host, then ``localhost`` and ``127.0.0.1``, each once."""
    return tuple(dict.fromkeys((plan.host, "localhost", "127.0.0.1")))


def _general_name(host: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        return x509.DNSName(host)


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


# --- the conf file ---------------------------------------------------------------------------


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


# --- the command -----------------------------------------------------------------------------


def _state_dir(config: Path | None) -> Path:
    """``state_dir`` from the conf file (made with the defaults if absent, as ixiond does)."""
    locations = default_locations()
    if config is None:
        return locations.state_dir
    try:
        table = load_config(config, locations)
        return resolve_settings(table, locations).settings.state_dir
    except ConfigError as exc:
        raise MkcertError(str(exc)) from None


def _report(issued: Issued, plan: Plan, config: Path | None) -> None:
    verb = {True: "made", False: "kept"}
    click.echo(f"CA certificate ({verb[issued.ca_created]}): {issued.ca_file}")
    click.echo(
        f"server certificate ({verb[issued.server_created]}): {issued.cert_file}"
        f" for {', '.join(_server_names(plan))}"
    )
    click.echo(f"server key: {issued.key_file}")
    for client in issued.clients:
        click.echo(f"client {client.name}: {client.cert_file}, key {client.key_file}")
        click.echo(f"client {client.name} DN: {client.dn}")
    if config is not None:
        click.echo(f"{config}: cert_file, key_file and ca_file set")
    else:
        click.echo("add to ixiond.conf (or run again with -c CONFIG):")
        for name, value in issued.conf_lines().items():
            click.echo(f"  {name} = {value}")


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "-c",
    "--config",
    type=click.Path(dir_okay=False, path_type=Path),
    help="ixiond.conf to read state_dir from and to point at the new files.",
)
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where the files go (default: <state_dir>/tls).",
)
@click.option("--host", help="Server host name (default: this machine's name).")
@click.option(
    "--client",
    "clients",
    multiple=True,
    metavar="NAME",
    help="Also make a client certificate for NAME; repeatable.",
)
@click.option(
    "--key-type",
    type=click.Choice([kind.value for kind in KeyType]),
    default=KeyType.EC.value,
    show_default=True,
    help="ec: ECDSA P-256; rsa: RSA 3072.",
)
@click.option("--ca-days", type=int, default=CA_DAYS, show_default=True, help="CA lifetime.")
@click.option(
    "--days", type=int, default=DAYS, show_default=True, help="Server and client lifetime."
)
@click.option("--force", is_flag=True, help="Remake the server and existing client files.")
@click.option("--new-ca", is_flag=True, help="Make a new CA even if one is there.")
def main(
    config: Path | None,
    directory: Path | None,
    host: str | None,
    clients: Sequence[str],
    key_type: str,
    ca_days: int,
    days: int,
    force: bool,
    new_ca: bool,
) -> None:
    """Make the TLS files of ixiond: a CA, the server's certificate and client certificates.

    A CA already in the directory is used again. Each client's DN is printed for
    ixion-adduser --dn.
    """
    try:
        plan = Plan(
            directory=(directory or _state_dir(config) / "tls").absolute(),
            host=host or socket.gethostname(),
            clients=tuple(clients),
            key_type=KeyType(key_type),
            ca_days=ca_days,
            days=days,
            force=force,
            new_ca=new_ca,
        )
        issued = make_certificates(plan)
        if config is not None:
            update_config(config, issued)
    except MkcertError as exc:
        raise click.ClickException(str(exc)) from None
    _report(issued, plan, config)
