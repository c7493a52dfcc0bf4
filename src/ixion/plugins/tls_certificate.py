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
  self-signed certificate the signature proves nothing anyway, so that is not repeated;
* issued by an authority nobody here trusts: a second handshake lets OpenSSL verify the chain
  the server sends against this machine's trust store and the CA certificates given in the
  preference (an internal CA), which tells "signed by an unknown CA" (or a missing
  intermediate) from self-signed; a self-signed certificate given there is trusted, and so
  not reported as self-signed;
* a name the user scanned that the certificate does not cover (its DNS names, the subject's
  CN when it has none). A scan of an address checks no name: certificates rarely name
  addresses, and clients reach such servers by name.

Revocation is not checked.
"""

from __future__ import annotations

import datetime
import ssl
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, padding, rsa
from cryptography.x509.oid import NameOID, ObjectIdentifier, SignatureAlgorithmOID

from ixion.plugin_api.metadata import Category, PluginInfo, PluginPreference, PreferenceType
from ixion.plugin_api.qod import Qod, QodType
from ixion.plugins._tls import (
    covers,
    is_address,
    tls_ports,
    trust,
    trust_context,
    trust_problem,
)

if TYPE_CHECKING:
    from ixion.plugin_api.context import PluginContext
    from ixion.plugins._tls import Trust

__all__ = ["INFO", "TRUSTED_CAS", "Assessment", "assess", "run"]

#: The preference naming a PEM file of CA certificates to trust besides the system's.
TRUSTED_CAS: Final = "Trusted CA certificates (PEM)"

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
    summary="Reports each TLS service's certificate and whether clients can trust it",
    description=(
        "Reads the certificate of every service found speaking TLS and reports its subject, "
        "issuer, validity, key and signature algorithm. Certificates that are expired or "
        "not yet valid, self-signed, issued by an authority the scanner does not trust, "
        "signed with MD5 or SHA-1, carry a key too short to resist factoring, or do not "
        "name the host scanned are reported: clients cannot trust them, so they either "
        "refuse to connect or train users to accept warnings, which is what a man in the "
        "middle needs. CA certificates to trust besides the system's (an internal CA) can "
        "be given as a PEM file."
    ),
    xrefs=("CWE:295", "CWE:297", "CWE:298", "CWE:326", "CWE:327"),
    dependencies=("find_service.py",),
    preferences=(PluginPreference(TRUSTED_CAS, PreferenceType.FILE),),
    qod=Qod.of(QodType.REMOTE_ACTIVE),
)
#: The self-signed warning, which a certificate the user trusts does not get.
SELF_SIGNED: Final = (
    "The certificate is self-signed: no authority vouches for it, so clients cannot "
    "tell this server from a man in the middle presenting a certificate of its own, "
    "and users who are taught to accept the warning will accept that one too.\n\n"
    "Solution: use a certificate from a CA the clients trust (public or internal); if "
    "clients do trust this very certificate, give it to the scan as a trusted CA "
    f"(the preference '{TRUSTED_CAS}')."
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
        "for it to resist factoring or discrete logarithms (NIST SP 800-131A), so its "
        "private key may be recovered and the server impersonated.\n\n"
        f"Solution: replace the certificate with one for a new key of at least {minimum} bits "
        "(or an EC key on P-256 or better)."
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


def _names(cert: x509.Certificate) -> tuple[list[str], list[str]]:
    """The subject alternative names: DNS names, and those and the addresses for a report."""
    try:
        extension = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except (x509.ExtensionNotFound, ValueError):
        return [], []
    dns = [str(n) for n in extension.value.get_values_for_type(x509.DNSName)]
    return dns, dns + [str(a) for a in extension.value.get_values_for_type(x509.IPAddress)]


def _host_names(cert: x509.Certificate, dns: list[str]) -> list[str]:
    """The names a client matches the host against: the DNS names, else the subject's CN."""
    if dns:
        return dns
    common = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return [str(attribute.value) for attribute in common]


def _mismatch(host: str, names: list[str]) -> str:
    named = ", ".join(names[:20]) + (" ..." if len(names) > 20 else "") if names else "no name"
    return (
        f"The certificate does not cover the name scanned, {host}: it is for {named}. "
        "Clients reaching the server by that name refuse the connection or warn, and users "
        "who click through cannot tell this server from a man in the middle.\n\n"
        f"Solution: install a certificate whose subject alternative names include {host}."
    )


def assess(der: bytes, now: datetime.datetime, host: str = "") -> Assessment:
    """Parse a DER certificate and judge it at ``now`` (aware), for clients reaching it as
    ``host`` (a name; an address or ``""`` checks no name). Raises ValueError if bad."""
    cert = x509.load_der_x509_certificate(der)
    try:
        hash_name = cert.signature_hash_algorithm.name if cert.signature_hash_algorithm else ""
    except UnsupportedAlgorithm:
        hash_name = ""
    key, weak_key = _key(cert)
    dns, names = _names(cert)
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
        names=names,
        self_signed=_self_signed(cert),
    )
    if now > found.not_after:
        found.expired = True
        days = (now - found.not_after).days
        found.problems.append(
            f"The certificate expired on {_when(found.not_after)} ({days} days ago). "
            "Clients refuse it or show a warning, and users who learn to click through cannot "
            "tell this server from a man in the middle.\n\n"
            "Solution: renew the certificate, and automate its renewal."
        )
    if now < found.not_before:
        found.not_yet_valid = True
        found.problems.append(
            f"The certificate is not valid before {_when(found.not_before)}. Clients "
            "refuse it.\n\n"
            "Solution: check the clock of the machine that issued it, and the certificate's "
            "dates; install a certificate valid now."
        )
    if found.self_signed:
        found.problems.append(SELF_SIGNED)
    if weak_key:
        found.problems.append(weak_key)
    if hash_name in _WEAK_HASHES and not found.self_signed:
        found.problems.append(
            f"The certificate is signed with {hash_name.upper()}, for which collisions can "
            "be computed: a forged certificate with the same signature is feasible.\n\n"
            "Solution: replace it with a certificate signed with SHA-256 or better."
        )
    if host and not is_address(host) and not covers(_host_names(cert, dns), host):
        found.problems.append(_mismatch(host, _host_names(cert, dns)))
    return found


def _when(moment: datetime.datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def _describe(found: Assessment, verdict: Trust | None) -> str:
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
    if verdict is not None:
        chain = "leads to a trusted authority" if verdict.trusted else "not trusted"
        lines.append(f"  Chain:           {chain} (OpenSSL: {verdict.message})")
    return "\n".join(lines)


async def _certificate(ctx: PluginContext, port: int) -> bytes | None:
    try:
        async with await ctx.connect(port, tls=True) as stream:
            return stream.peer_certificate()
    except (OSError, TimeoutError) as exc:
        ctx.log.info("port %d: %r", port, exc)
        return None


def _context(ctx: PluginContext) -> tuple[ssl.SSLContext, bool]:
    """The verifying context, and whether it holds the user's CA certificates too."""
    extra = ctx.preference_file(TRUSTED_CAS)
    if extra is not None:
        try:
            return trust_context(extra), True
        except (OSError, ssl.SSLError) as exc:
            ctx.log.warning("%s: %s: %r; using the system's CAs only", TRUSTED_CAS, extra, exc)
    return trust_context(), False


async def run(ctx: PluginContext) -> None:
    verifying: tuple[ssl.SSLContext, bool] | None = None
    for port in tls_ports(ctx):
        der = await _certificate(ctx, port)
        if not der:
            continue
        try:
            found = assess(der, datetime.datetime.now(datetime.UTC), ctx.host)
        except ValueError as exc:
            ctx.note(f"The TLS certificate of this service cannot be parsed: {exc}", port=port)
            continue
        verifying = verifying or _context(ctx)
        verdict = await trust(ctx, port, verifying[0])
        problems = list(found.problems)
        if verdict is not None and verdict.trusted and found.self_signed:
            problems.remove(SELF_SIGNED)  # the user gave it as a CA: clients trust it
        elif verdict is not None and not found.self_signed:
            dated = not (found.expired or found.not_yet_valid)
            problems += filter(None, [trust_problem(verdict, found.issuer, verifying[1], dated)])
        kb = ctx.kb
        kb.replace(f"tls/{port}/subject", found.subject)
        kb.replace(f"tls/{port}/issuer", found.issuer)
        kb.replace(f"tls/{port}/not_after", found.not_after.isoformat())
        kb.replace(f"tls/{port}/sha256", found.sha256)
        for flag, value in (
            ("expired", found.expired),
            ("not_yet_valid", found.not_yet_valid),
            ("self_signed", found.self_signed),
            ("trusted", verdict is not None and verdict.trusted),
            ("unknown_issuer", verdict is not None and verdict.unknown_issuer),
        ):
            if value:
                kb.replace(f"tls/{port}/{flag}", 1)
        ctx.note(_describe(found, verdict), port=port)
        for problem in problems:
            ctx.warning(problem, port=port)
