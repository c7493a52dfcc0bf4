"""Which SSL/TLS protocol versions each TLS service accepts, and a warning for the retired ones.

One handshake per version, on every port service detection found speaking TLS. TLS 1.0 to 1.3
are tried with OpenSSL pinned to that version (``probing_context(pinned=...)``, every suite
at security level 0, so Debian's OpenSSL 3 still sends TLS 1.0 and 1.1 hellos): a completed
handshake at that version is the proof. A version OpenSSL here cannot complete (SSL 3.0,
which it no longer has, or a TLS 1.0 server that only knows RC4 or triple DES) is asked with a
hand-written ClientHello offering every suite (:mod:`ixion.plugins._tls_hello`): a ServerHello
at that very version means the server accepts it. A server answering a lower version, an
alert or nothing means no.

SSL 3.0, TLS 1.0 and TLS 1.1 get a warning (RFC 7568 and RFC 8996 retire them); the note
lists what is accepted, and ``tls/<port>/versions`` holds it (OpenSSL's names, ascending, one
space apart: ``TLSv1 TLSv1.1 TLSv1.2``) for :mod:`ixion.plugins.tls_ciphers` and others.
"""

from __future__ import annotations

import ssl
import warnings
from typing import TYPE_CHECKING, Final

from ixion.plugin_api.metadata import Category, PluginInfo
from ixion.plugin_api.qod import Qod, QodType
from ixion.plugin_api.tls import probing_context, server_name
from ixion.plugins._tls import handshake, tls_ports
from ixion.plugins._tls_hello import VERSIONS, probe
from ixion.plugins._tls_suites import COMMON_SUITES, WEAK_SUITES

if TYPE_CHECKING:
    from collections.abc import Sequence

    from ixion.plugin_api.context import PluginContext

__all__ = ["INFO", "NAMES", "RETIRED", "advice", "run"]

#: Every version asked about, ascending, by OpenSSL's name, and how reports spell it.
NAMES: Final = {
    "SSLv3": "SSL 3.0",
    "TLSv1": "TLS 1.0",
    "TLSv1.1": "TLS 1.1",
    "TLSv1.2": "TLS 1.2",
    "TLSv1.3": "TLS 1.3",
}
#: Versions no client should use any more.
RETIRED: Final = ("SSLv3", "TLSv1", "TLSv1.1")
#: The versions OpenSSL here is asked to complete a handshake at.
_PINNED: Final = {
    "TLSv1": ssl.TLSVersion.TLSv1,
    "TLSv1.1": ssl.TLSVersion.TLSv1_1,
    "TLSv1.2": ssl.TLSVersion.TLSv1_2,
    "TLSv1.3": ssl.TLSVersion.TLSv1_3,
}
_EVERY_SUITE: Final = (*COMMON_SUITES, *WEAK_SUITES)

INFO = PluginInfo(
    id=90000030,
    filename="tls_versions.py",
    name="SSL/TLS protocol versions accepted",
    family="General",
    category=Category.GATHER_INFO,
    summary="Reports the SSL/TLS versions each TLS service accepts; warns of SSL 3.0, TLS 1.0/1.1",
    description=(
        "Connects to every service found speaking TLS once per protocol version (SSL 3.0, "
        "TLS 1.0, 1.1, 1.2 and 1.3) and reports which versions the server accepts. SSL 3.0, "
        "TLS 1.0 and TLS 1.1 are retired (RFC 7568, RFC 8996): they rely on MD5 and SHA-1, "
        "offer no authenticated encryption, and SSL 3.0 and the CBC suites of TLS 1.0 can be "
        "attacked (POODLE, BEAST). Offer TLS 1.2 and TLS 1.3 only."
    ),
    xrefs=(
        "CWE:327",
        "URL:https://www.rfc-editor.org/rfc/rfc8996",
        "URL:https://www.rfc-editor.org/rfc/rfc7568",
    ),
    dependencies=("find_service.py",),
    qod=Qod.of(QodType.REMOTE_ACTIVE),
)


def _pinned(name: str) -> ssl.SSLContext:
    with warnings.catch_warnings():  # Python deprecates TLS 1.0 and 1.1; asking is the point
        warnings.simplefilter("ignore", DeprecationWarning)
        return probing_context(_PINNED[name])


async def _completes(ctx: PluginContext, port: int, name: str) -> bool:
    """A handshake pinned to ``name`` completes (and at that version)."""
    try:
        return await handshake(ctx, port, _pinned(name)) == name
    except (OSError, TimeoutError, ValueError) as exc:
        ctx.log.debug("port %d: %s handshake: %r", port, name, exc)
        return False


async def _answers_hello(ctx: PluginContext, port: int, name: str) -> bool:
    """A hand-written hello at ``name`` gets a ServerHello at that same version."""
    version = VERSIONS[name]
    hello = await probe(ctx, port, version, _EVERY_SUITE, server_name(ctx.host))
    return hello is not None and hello.version == version


async def accepted(ctx: PluginContext, port: int) -> dict[str, str]:
    """Each accepted version, ascending, with how it was shown."""
    found: dict[str, str] = {}
    for name in NAMES:
        if name in _PINNED and await _completes(ctx, port, name):
            found[name] = "handshake completed"
        elif name in VERSIONS and await _answers_hello(ctx, port, name):
            found[name] = "server hello at this version"
    return found


def _joined(names: Sequence[str]) -> str:
    spelled = [NAMES[name] for name in names]
    return spelled[0] if len(spelled) == 1 else ", ".join(spelled[:-1]) + " and " + spelled[-1]


def advice(retired: list[str], modern: list[str]) -> str:
    """The warning for the retired versions a server accepts (``modern``: its others)."""
    # Only the versions found are named: a report must not claim SSL 3.0 where it is off.
    rules = [
        rfc
        for rfc, names in (
            ("RFC 7568 (2015)", {"SSLv3"}),
            ("RFC 8996 (2021)", {"TLSv1", "TLSv1.1"}),
        )
        if names & set(retired)
    ]
    one = len(retired) == 1
    forbid = "forbids" if len(rules) == 1 else "forbid"
    lines = [
        f"The server accepts {_joined(retired)}, retired protocol "
        f"{'version' if one else 'versions'}: {' and '.join(rules)} {forbid} "
        f"{'it' if one else 'them'}. {'It protects' if one else 'They protect'} the "
        f"handshake with MD5 and SHA-1 and {'has' if one else 'have'} no authenticated "
        "encryption (AEAD) suites: only CBC suites, open to padding-oracle and timing "
        "attacks, and RC4."
    ]
    early = [name for name in ("SSLv3", "TLSv1") if name in retired]
    if early:
        lines.append(
            f"The CBC suites of {_joined(early)} use predictable initialisation vectors: an "
            "attacker who can inject traffic into the connection recovers plaintext such as "
            "cookies (BEAST, CVE-2011-3389)."
        )
    if "SSLv3" in retired:
        lines.append(
            "SSL 3.0 is broken outright: its padding lets a man in the middle decrypt "
            "secrets such as cookies, one byte per few hundred requests (POODLE, "
            "CVE-2014-3566)."
        )
    lines.append(
        "Current browsers and TLS libraries refuse these versions; clients that still use "
        "them get this weaker protection, and standards such as PCI DSS do not allow them."
    )
    if not modern:
        lines.append("The server accepts no newer version, so modern clients cannot connect.")
    lines.append(
        f"Solution: disable {_joined(retired)} and offer TLS 1.2 and TLS 1.3 only (nginx: "
        "'ssl_protocols TLSv1.2 TLSv1.3;', Apache: 'SSLProtocol -all +TLSv1.2 +TLSv1.3')."
    )
    return "\n\n".join(lines)


async def run(ctx: PluginContext) -> None:
    for port in tls_ports(ctx):
        found = await accepted(ctx, port)
        if not found:
            ctx.log.info("port %d: no SSL/TLS version accepted", port)
            continue
        ctx.kb.replace(f"tls/{port}/versions", " ".join(found))
        listing = "\n".join(f"  {NAMES[name]:<9}({how})" for name, how in found.items())
        ctx.note(f"This service accepts these SSL/TLS protocol versions:\n\n{listing}", port=port)
        retired = [name for name in found if name in RETIRED]
        if retired:
            modern = [name for name in found if name not in RETIRED]
            ctx.warning(advice(retired, modern), port=port)
