"""What the TLS checks share: which ports speak TLS, handshakes with a context of their own,
whether a certificate covers a name, and whether its chain leads to a trusted authority.

``ctx.connect(tls=True)`` always uses the scanner's permissive context; a check that needs
another (one version only, or verifying the chain) connects in clear through ``ctx.connect``
and starts TLS on that connection itself, so the rules of the context (only the scanned host,
its timeouts) still hold.
"""

from __future__ import annotations

import asyncio
import ipaddress
import ssl
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from ixion.plugin_api.tls import server_name
from ixion.plugins._support import PLAIN

if TYPE_CHECKING:
    from collections.abc import Iterable
    from pathlib import Path

    from ixion.plugin_api.context import PluginContext

__all__ = [
    "Trust",
    "covers",
    "handshake",
    "is_address",
    "tls_ports",
    "trust",
    "trust_context",
    "trust_problem",
]

#: OpenSSL's verification results (``X509_V_ERR_*``) that mean "no trusted issuer found":
#: the issuer is missing locally or on the wire, or the chain ends in an untrusted root.
_UNKNOWN_ISSUER: Final = frozenset({2, 19, 20, 21})
_SELF_SIGNED: Final = 18
#: A certificate of the chain is not valid yet, or has expired: the chain itself was trusted
#: (OpenSSL checks dates only once it has built a chain to a trusted root).
_DATES: Final = frozenset({9, 10})
#: What each "no trusted issuer" result means, in words (OpenSSL's own name the codes).
_WHY_UNKNOWN: Final = {
    2: "the issuer's certificate could not be found",
    19: "the chain the server sends ends in a root certificate that is not trusted",
    20: "no trusted certificate of the issuer was found",
    21: "the certificate cannot be checked against any trusted issuer",
}


def tls_ports(ctx: PluginContext) -> list[int]:
    """Every port service detection found speaking TLS (``Transports/TCP/<port>`` > 1)."""
    prefix = "Transports/TCP/"
    ports = {
        int(name[len(prefix) :])
        for name, value in ctx.kb.matching(prefix + "*")
        if name[len(prefix) :].isdigit() and isinstance(value, int) and value > PLAIN
    }
    return sorted(ports)


def is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


async def handshake(ctx: PluginContext, port: int, context: ssl.SSLContext) -> str | None:
    """Connect, start TLS with ``context``; the version agreed. Raises OSError (ssl.SSLError
    included) or TimeoutError when the handshake fails."""
    stream = await ctx.connect(port)
    try:
        async with asyncio.timeout(stream.timeout):
            await stream.writer.start_tls(context, server_hostname=server_name(ctx.host) or None)
        return stream.tls_version
    finally:
        await stream.close()


def _normal(name: str) -> str:
    name = name.strip().rstrip(".").lower()
    try:
        return name.encode("idna").decode("ascii")
    except UnicodeError:
        return name


def covers(patterns: Iterable[str], host: str) -> bool:
    """Whether a certificate naming ``patterns`` (DNS names) is valid for ``host``.

    As browsers match (RFC 6125 §6.4.3, without partial-label wildcards): a name equals the
    host, or is ``*.`` followed by at least two labels and the host is one more label in
    front of them (``*.example.com`` covers ``www.example.com``, not ``example.com`` nor
    ``a.b.example.com``).
    """
    host = _normal(host)
    first, _, rest = host.partition(".")
    for pattern in map(_normal, patterns):
        if pattern == host:
            return True
        if pattern.startswith("*.") and first and pattern[2:] == rest and "." in rest:
            return True
    return False


def trust_context(ca_file: Path | None = None) -> ssl.SSLContext:
    """A client context that verifies the chain (not the name) against this machine's trust
    store and ``ca_file``, while speaking every version and suite (old servers too)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_REQUIRED
    context.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
    context.set_ciphers("ALL:@SECLEVEL=0")
    context.load_default_certs()
    if ca_file is not None:
        context.load_verify_locations(cafile=str(ca_file))
    return context


@dataclass(frozen=True, slots=True)
class Trust:
    """What OpenSSL made of the chain: trusted, or why not (``X509_V_ERR_*`` and its text)."""

    code: int
    message: str

    @property
    def trusted(self) -> bool:
        """The chain leads to a trusted authority (its dates may still be wrong)."""
        return self.code == 0 or self.code in _DATES

    @property
    def unknown_issuer(self) -> bool:
        return self.code in _UNKNOWN_ISSUER

    @property
    def self_signed(self) -> bool:
        return self.code == _SELF_SIGNED


async def trust(ctx: PluginContext, port: int, context: ssl.SSLContext) -> Trust | None:
    """Verify the chain the server sends; None if the handshake failed for another reason."""
    try:
        await handshake(ctx, port, context)
    except ssl.SSLCertVerificationError as exc:
        return Trust(exc.verify_code, exc.verify_message)
    except (OSError, TimeoutError) as exc:
        ctx.log.info("port %d: verifying handshake: %r", port, exc)
        return None
    return Trust(0, "ok")


def trust_problem(verdict: Trust, issuer: str, user_cas: bool, leaf_dated: bool) -> str | None:
    """The warning a chain verification calls for, if any, for a certificate that is not
    self-signed (that warning says all). ``user_cas``: the user's CAs were trusted too;
    ``leaf_dated``: the certificate's own dates are right, so a date error is the chain's."""
    if verdict.code == 0 or verdict.self_signed:
        return None
    if verdict.trusted:
        if not leaf_dated:
            return None  # the certificate's own dates are reported already
        return (
            "A certificate of the chain the server sends is outside its validity period "
            f"(OpenSSL: {verdict.message}). Clients refuse the chain; install current "
            "intermediate certificates."
        )
    where = "this machine's trust store" + (" and the CA certificates given" if user_cas else "")
    if verdict.unknown_issuer:
        return (
            f"The certificate was issued by {issuer}, an authority that is not trusted here "
            f"({where}): {_WHY_UNKNOWN[verdict.code]}. Clients without that authority's "
            "certificate refuse the connection or warn, and users who click through cannot "
            "tell this server from a man in the middle.\n\n"
            "Solution: if the issuer is a public CA, configure the server to send the whole "
            "chain (its intermediate certificates). If it is an internal CA, make sure every "
            "client trusts it, and give its certificate to the scan (the preference "
            "'Trusted CA certificates (PEM)') so that the chain is checked; otherwise use a "
            "certificate from a CA the clients trust."
        )
    return (
        f"The certificate chain does not verify against {where}: {verdict.message} "
        f"(OpenSSL error {verdict.code}). Clients refuse it or warn; install a certificate "
        "and chain that verify."
    )
