"""Weak cipher suites each TLS service accepts: no encryption, anonymous, export, DES, RC4.

For every protocol version up to TLS 1.2 that :mod:`ixion.plugins.tls_versions` found accepted
(all of SSL 3.0 to TLS 1.2 if it did not run), a hand-written ClientHello offers every weak
suite of :data:`~ixion.plugins._tls_suites.WEAK_SUITES`; the suite the server picks is
accepted, and is left out of the next offer, until the server refuses the rest
(:func:`~ixion.plugins._tls_hello.accepted_suites`). Hand-written, because OpenSSL here can no
longer offer RC4, DES, triple DES or export suites; the server's own ServerHello is the
evidence, and no weak suite ever carries data. TLS 1.3 has no weak suites to ask about.

One warning per port lists each suite with what is wrong with it and the versions it was
accepted at; ``tls/<port>/weak_ciphers`` holds their IANA names, one space apart.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from ixion.plugin_api.metadata import Category, PluginInfo
from ixion.plugin_api.qod import Qod, QodType
from ixion.plugin_api.tls import server_name
from ixion.plugins._tls import tls_ports
from ixion.plugins._tls_hello import VERSIONS, accepted_suites
from ixion.plugins._tls_suites import WEAK_SUITES, openssl_names, weaknesses

if TYPE_CHECKING:
    from ixion.plugin_api.context import PluginContext

__all__ = ["INFO", "report", "run"]

#: How reports spell the versions a hand-written hello can ask for.
_SPELLED: Final = {
    "SSLv3": "SSL 3.0",
    "TLSv1": "TLS 1.0",
    "TLSv1.1": "TLS 1.1",
    "TLSv1.2": "TLS 1.2",
}
#: What each kind of weakness lets an attacker do, in the order a report explains them.
_CONSEQUENCES: Final = {
    "no encryption": "Suites without encryption (NULL) send everything in clear text: "
    "anyone on the path reads it.",
    "no server authentication": "Anonymous suites (anon, ADH, AECDH) authenticate nobody: a "
    "man in the middle completes a handshake with each side, then reads and changes "
    "everything.",
    "export grade": "Export suites use 40-bit keys and 512-bit key exchanges, broken in "
    "hours on one machine (FREAK, Logjam).",
    "single DES": "Single DES has a 56-bit key, found by exhaustive search within a day.",
    "triple DES": "Triple DES has 64-bit blocks: after some tens of gigabytes on one "
    "connection, block collisions reveal plaintext such as cookies (Sweet32, CVE-2016-2183).",
    "RC4": "RC4's keystream is biased: secrets repeated over many connections, such as "
    "cookies, can be recovered (CVE-2013-2566, CVE-2015-2808); RFC 7465 forbids RC4.",
    "RC2": "RC2 suites are export suites with 40-bit keys.",
}
_SOLUTION: Final = (
    "Solution: allow only suites with forward secrecy and authenticated encryption, ECDHE "
    "with AES-GCM or ChaCha20-Poly1305 (nginx: 'ssl_ciphers ECDHE+AESGCM:ECDHE+CHACHA20;', "
    "Apache: 'SSLCipherSuite ECDHE+AESGCM:ECDHE+CHACHA20'), and do not lower OpenSSL's "
    "security level ('@SECLEVEL=0') nor list eNULL, aNULL, EXPORT, RC4, DES or 3DES suites."
)

INFO = PluginInfo(
    id=90000031,
    filename="tls_ciphers.py",
    name="Weak SSL/TLS cipher suites accepted",
    family="General",
    category=Category.GATHER_INFO,
    summary="Reports weak cipher suites (NULL, anonymous, export, DES, 3DES, RC4) TLS accepts",
    description=(
        "Offers each TLS service the weak cipher suites, one protocol version at a time, and "
        "reports those the server accepts: suites without encryption (NULL) or without "
        "server authentication (anonymous), export suites, single and triple DES, RC4 and "
        "RC2. A client that offers one of them (old or misconfigured software) gets a "
        "connection an attacker can read or take over. Allow only ECDHE suites with "
        "authenticated encryption."
    ),
    xrefs=("CWE:326", "CWE:327", "URL:https://www.rfc-editor.org/rfc/rfc7465"),
    dependencies=("tls_versions.py",),
    qod=Qod.of(QodType.REMOTE_ACTIVE),
)


def _versions(ctx: PluginContext, port: int) -> list[str]:
    """The versions to ask at: those tls_versions found (up to TLS 1.2), else all."""
    known = ctx.kb.get(f"tls/{port}/versions")
    if not isinstance(known, str):
        return list(VERSIONS)
    return [name for name in known.split() if name in VERSIONS]


def report(accepted: dict[int, list[str]]) -> str:
    """The warning for weak suites, each with the versions (OpenSSL's names) it was taken at."""
    names = openssl_names()
    lines = ["The server accepts these weak cipher suites (it chose each one when offered):", ""]
    flaws: set[str] = set()
    for suite, versions in accepted.items():
        iana = WEAK_SUITES[suite]
        alias = f" ({names[suite]})" if suite in names else ""
        found = weaknesses(iana)
        flaws.update(found)
        spelled = ", ".join(_SPELLED[version] for version in versions)
        lines += [f"  {iana}{alias}", f"      {'; '.join(found)}; with {spelled}"]
    lines.append("")
    lines += [text for flaw, text in _CONSEQUENCES.items() if flaw in flaws]
    lines += ["", _SOLUTION]
    return "\n".join(lines)


async def run(ctx: PluginContext) -> None:
    sni = server_name(ctx.host)
    for port in tls_ports(ctx):
        accepted: dict[int, list[str]] = {}
        for version in _versions(ctx, port):
            taken = await accepted_suites(ctx, port, VERSIONS[version], list(WEAK_SUITES), sni)
            for suite in taken:
                accepted.setdefault(suite, []).append(version)
        if not accepted:
            continue
        ctx.kb.replace(f"tls/{port}/weak_ciphers", " ".join(WEAK_SUITES[s] for s in accepted))
        ctx.warning(report(accepted), port=port)
