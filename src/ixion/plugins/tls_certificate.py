"""The certificate of every TLS service: what it says, and whether clients can trust it.

For each port service detection found speaking TLS (``Transports/TCP/<port>`` > 1) the
certificate the server shows is parsed with ``cryptography`` and reported in a note. Warnings,
each for a reason a client would refuse or should refuse the certificate:

* expired, or not valid yet: clients reject it, and users learn to click through warnings;
* self-signed (issuer equals subject *and* its signature verifies with its own key, so an
  intermediate that merely shares a name does not count): nobody vouches for it, so a client
  cannot tell the server from a man in the middle;
* an RSA or DSA key under 2048 bits, or an EC key under 224 (NIST SP 800-131A);
* an MD5 or SHA-1 signature by a CA: collisions let such signatures be forged. On a
  self-signed certificate the signature proves nothing anyway, so that is not repeated.

Only the server's own certificate is looked at; chains and revocation are not.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, padding, rsa
from cryptography.x509.oid import ObjectIdentifier, SignatureAlgorithmOID

from ixion.plugin_api.metadata import Category, PluginInfo
from ixion.plugins._support import PLAIN

if TYPE_CHECKING:
    from ixion.plugin_api.context import PluginContext

__all__ = ["INFO", "Assessment", "assess", "run"]

#: NIST SP 800-131A: below these, keys are disallowed for signatures since 2013.
MIN_RSA_DSA_BITS: Final = 2048
MIN_EC_BITS: Final = 224
_WEAK_HASHES: Final = frozenset({"md5", "sha1"})
_SIGNATURE_NAMES: Final = {
    oid: name.replace("_WITH_", " with ").replace("_", "-")
    for name, oid in vars(SignatureAlgorithmOID).items()
    if isinstance(oid, ObjectIdentifier)
}

INFO = PluginInfo(
    id=90000024,
    filename="tls_certificate.py",
    name="TLS certificate information and validity",
    family="General",
    category=Category.GATHER_INFO,
    summary="Reports each TLS service's certificate and whether it is expired or self-signed",
    description=(
        "Reads the certificate of every service found speaking TLS and reports its subject, "
        "issuer, validity, key and signature algorithm. Certificates that are expired or "
        "not yet valid, self-signed, signed with MD5 or SHA-1, or carry a key too short "
        "to resist factoring are reported: clients cannot trust them, so they either "
        "refuse to connect or train users to accept warnings, which is what a man in the "
        "middle needs."
    ),
    dependencies=("find_service.py",),
)


@dataclass
class Assessment:
    """What a certificate is, and what is wrong with it."""

    subject: str
    issuer: str
    not_before: datetime.datetime
    not_after: datetime.datetime
    key: str
    signature: str
    serial: int
    sha256: str
    names: list[str] = field(default_factory=list)
    expired: bool = False
    not_yet_valid: bool = False
    self_signed: bool = False
    #: Each entry is one warning's text.
    problems: list[str] = field(default_factory=list)


def _key(cert: x509.Certificate) -> tuple[str, str | None]:
    """A description of the public key, and why it is too weak (or None)."""
    key = cert.public_key()
    if isinstance(key, rsa.RSAPublicKey | dsa.DSAPublicKey):
        kind = "RSA" if isinstance(key, rsa.RSAPublicKey) else "DSA"
        bits, minimum, described = key.key_size, MIN_RSA_DSA_BITS, f"{kind} {key.key_size} bits"
    elif isinstance(key, ec.EllipticCurvePublicKey):
        kind, bits, minimum = "EC", key.key_size, MIN_EC_BITS
        described = f"EC {key.curve.name} ({bits} bits)"
    elif isinstance(key, ed25519.Ed25519PublicKey):
        return "Ed25519", None
    elif isinstance(key, ed448.Ed448PublicKey):
        return "Ed448", None
    else:
        return type(key).__name__, None
    if bits >= minimum:
        return described, None
    return described, (
        f"The certificate's {kind} key has only {bits} bits; at least {minimum} are needed "
        "for it to resist attack (NIST SP 800-131A). Replace it with a longer key."
    )


def _self_signed(cert: x509.Certificate) -> bool:
    """Issuer equals subject, and the signature verifies with the certificate's own key.

    Checked by hand rather than with ``verify_directly_issued_by``, which refuses SHA-1 and
    MD5 signatures: exactly those of the old self-signed certificates on appliances.
    """
    if cert.issuer != cert.subject:
        return False
    key, signature, data = cert.public_key(), cert.signature, cert.tbs_certificate_bytes
    parameters = cert.signature_algorithm_parameters
    try:
        digest = cert.signature_hash_algorithm
        if isinstance(key, rsa.RSAPublicKey) and digest is not None:
            if not isinstance(parameters, padding.PKCS1v15 | padding.PSS):
                return False
            key.verify(signature, data, parameters, digest)
        elif isinstance(key, ec.EllipticCurvePublicKey) and isinstance(parameters, ec.ECDSA):
            key.verify(signature, data, parameters)
        elif isinstance(key, dsa.DSAPublicKey) and digest is not None:
            key.verify(signature, data, digest)
        elif isinstance(key, ed25519.Ed25519PublicKey | ed448.Ed448PublicKey):
            key.verify(signature, data)
        else:
            return False
    except (InvalidSignature, UnsupportedAlgorithm, ValueError, TypeError):
        return False
    return True


def _names(cert: x509.Certificate) -> list[str]:
    try:
        extension = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except (x509.ExtensionNotFound, ValueError):
        return []
    names = [str(n) for n in extension.value.get_values_for_type(x509.DNSName)]
    names += [str(a) for a in extension.value.get_values_for_type(x509.IPAddress)]
    return names


def assess(der: bytes, now: datetime.datetime) -> Assessment:
    """Parse a DER certificate and judge it at ``now`` (aware). Raises ValueError if bad."""
    cert = x509.load_der_x509_certificate(der)
    try:
        hash_name = cert.signature_hash_algorithm.name if cert.signature_hash_algorithm else ""
    except UnsupportedAlgorithm:
        hash_name = ""
    key, weak_key = _key(cert)
    found = Assessment(
        subject=cert.subject.rfc4514_string() or "(empty)",
        issuer=cert.issuer.rfc4514_string() or "(empty)",
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        key=key,
        signature=_SIGNATURE_NAMES.get(
            cert.signature_algorithm_oid, cert.signature_algorithm_oid.dotted_string
        ),
        serial=cert.serial_number,
        sha256=cert.fingerprint(hashes.SHA256()).hex(":"),
        names=_names(cert),
        self_signed=_self_signed(cert),
    )
    if now > found.not_after:
        found.expired = True
        days = (now - found.not_after).days
        found.problems.append(
            f"The certificate expired on {_when(found.not_after)} ({days} days ago). "
            "Clients refuse it or show a warning; renew it."
        )
    if now < found.not_before:
        found.not_yet_valid = True
        found.problems.append(
            f"The certificate is not valid before {_when(found.not_before)}. Clients "
            "refuse it; check the server's clock or the certificate's dates."
        )
    if found.self_signed:
        found.problems.append(
            "The certificate is self-signed: no authority vouches for it, so clients cannot "
            "tell this server from a man in the middle presenting a certificate of its own, "
            "and users who are taught to accept the warning will accept that one too. Use "
            "a certificate from a CA the clients trust (public or internal)."
        )
    if weak_key:
        found.problems.append(weak_key)
    if hash_name in _WEAK_HASHES and not found.self_signed:
        found.problems.append(
            f"The certificate is signed with {hash_name.upper()}, for which collisions can "
            "be computed: a forged certificate with the same signature is feasible. "
            "Replace it with one signed with SHA-256 or better."
        )
    return found


def _when(moment: datetime.datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def _describe(found: Assessment) -> str:
    lines = [
        "The TLS certificate of this service:",
        "",
        f"  Subject:         {found.subject}",
        f"  Issuer:          {found.issuer}",
        f"  Serial number:   {found.serial:X}",
        f"  Valid from:      {_when(found.not_before)}",
        f"  Valid until:     {_when(found.not_after)}",
        f"  Public key:      {found.key}",
        f"  Signature:       {found.signature}",
        f"  SHA-256:         {found.sha256}",
    ]
    if found.names:
        lines.append(f"  Names (SAN):     {', '.join(found.names)}")
    return "\n".join(lines)


def _tls_ports(ctx: PluginContext) -> list[int]:
    prefix = "Transports/TCP/"
    ports = {
        int(name[len(prefix) :])
        for name, value in ctx.kb.matching(prefix + "*")
        if name[len(prefix) :].isdigit() and isinstance(value, int) and value > PLAIN
    }
    return sorted(ports)


async def _certificate(ctx: PluginContext, port: int) -> bytes | None:
    try:
        async with await ctx.connect(port, tls=True) as stream:
            return stream.peer_certificate()
    except (OSError, TimeoutError) as exc:
        ctx.log.info("port %d: %r", port, exc)
        return None


async def run(ctx: PluginContext) -> None:
    for port in _tls_ports(ctx):
        der = await _certificate(ctx, port)
        if not der:
            continue
        try:
            found = assess(der, datetime.datetime.now(datetime.UTC))
        except ValueError as exc:
            ctx.note(f"The TLS certificate of this service cannot be parsed: {exc}", port=port)
            continue
        kb = ctx.kb
        kb.replace(f"tls/{port}/subject", found.subject)
        kb.replace(f"tls/{port}/issuer", found.issuer)
        kb.replace(f"tls/{port}/not_after", found.not_after.isoformat())
        kb.replace(f"tls/{port}/sha256", found.sha256)
        for flag, value in (
            ("expired", found.expired),
            ("not_yet_valid", found.not_yet_valid),
            ("self_signed", found.self_signed),
        ):
            if value:
                kb.replace(f"tls/{port}/{flag}", 1)
        ctx.note(_describe(found), port=port)
        for problem in found.problems:
            ctx.warning(problem, port=port)
