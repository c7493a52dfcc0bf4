"""Weak algorithms an SSH server offers, read from its KEXINIT (RFC 4253 §7.1).

Before any login, an SSH-2 server lists the algorithms it accepts for the key exchange, its
host key signature, encryption and integrity (:mod:`ixion.plugins._ssh_kexinit` reads that
packet and closes). A client takes its first preference that the server also lists, so a
weak algorithm on the server's list is used whenever an old or badly configured client
prefers it. One warning per kind of weak algorithm offered, naming each, saying why and what
to configure instead; the lists go to the KB as ``SSH/<port>/<list>`` (the RFC's field names,
comma-separated as on the wire), and the weak names as ``SSH/<port>/weak_<kind>``.

What counts as weak follows RFC 9142 (key exchange), RFC 8758 (RC4), OpenSSH's deprecations
(SHA-1 signatures, DSA) and, for MACs, the Greenbone feed's choice: MD5, tags of 96 bits
(truncated) or 64 bits (``umac-64``, though OpenSSH offers it by default), RIPEMD-160 and
``none``. Plain ``hmac-sha1`` and ``hmac-sha1-etm@openssh.com`` are *not* reported: an HMAC
rests on the hash behaving as a pseudo-random function, not on collision resistance, so
SHA-1's collisions do not carry over; no forgery of HMAC-SHA-1 is known, its tag is a full
160 bits, and NIST SP 800-131A still accepts it for integrity. A warning would land on
nearly every server, about something no known attack can use.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from ixion.plugin_api.metadata import Category, PluginInfo
from ixion.plugin_api.qod import Qod, QodType
from ixion.plugins._ssh_kexinit import NAME_LISTS, SshWireError, read_server_kexinit
from ixion.plugins._support import service_ports, uses_tls

if TYPE_CHECKING:
    from ixion.plugin_api.context import PluginContext
    from ixion.plugins._ssh_kexinit import KexInit

__all__ = ["INFO", "WEAKNESSES", "Rule", "Weakness", "offered", "report", "run", "weak_offers"]


@dataclass(frozen=True, slots=True)
class Rule:
    """Algorithm names (``fnmatch`` patterns, matched case-sensitively as SSH names are)
    that share one reason to avoid them."""

    patterns: tuple[str, ...]
    why: str

    def covers(self, name: str) -> bool:
        return any(fnmatch.fnmatchcase(name, pattern) for pattern in self.patterns)


@dataclass(frozen=True, slots=True)
class Weakness:
    """One kind of weak algorithm: where the KEXINIT lists it and what to use instead."""

    #: The KB name's tail: ``SSH/<port>/weak_<key>``.
    key: str
    #: How a report names it.
    title: str
    #: The KEXINIT lists it is read from (both directions where there are two).
    lists: tuple[str, ...]
    rules: tuple[Rule, ...]
    solution: str


WEAKNESSES: Final = (
    Weakness(
        key="kex_algorithms",
        title="weak key exchange algorithms",
        lists=("kex_algorithms",),
        rules=(
            Rule(
                ("diffie-hellman-group1-sha1", "rsa1024-sha1", "gss-group1-sha1-*"),
                "A 1024-bit group or RSA key agrees the session keys: within reach of an "
                "attacker who invests once in the group and then reads recorded sessions "
                "(Logjam); RFC 9142 says they MUST NOT be used.",
            ),
            Rule(
                (
                    "diffie-hellman-group14-sha1",
                    "diffie-hellman-group-exchange-sha1",
                    "gss-*-sha1-*",
                ),
                "The exchange hash, which the server signs and from which every key is "
                "derived, is SHA-1, whose collisions have been computed in practice since "
                "2017; RFC 9142 says SHA-1 key exchanges SHOULD NOT be used.",
            ),
        ),
        solution=(
            "Solution: offer only key exchanges with SHA-2 and strong groups, e.g. in "
            "sshd_config 'KexAlgorithms sntrup761x25519-sha512@openssh.com,"
            "curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,"
            "ecdh-sha2-nistp384,diffie-hellman-group16-sha512,"
            "diffie-hellman-group-exchange-sha256' (or remove the '+' additions that brought "
            "the old ones back), then restart sshd."
        ),
    ),
    Weakness(
        key="encryption_algorithms",
        title="weak encryption algorithms (ciphers)",
        lists=("encryption_algorithms_client_to_server", "encryption_algorithms_server_to_client"),
        rules=(
            Rule(
                ("*-cbc", "*-cbc@*"),
                "CBC mode as SSH uses it lets an attacker on the path recover parts of the "
                "plaintext of an encrypted session (CVE-2008-5161).",
            ),
            Rule(
                ("3des-*", "blowfish-*", "cast128-*", "idea-*"),
                "A 64-bit block cipher repeats blocks after some tens of gigabytes on one "
                "connection, which reveals plaintext (Sweet32, CVE-2016-2183).",
            ),
            Rule(
                ("des", "des-*", "des@*"),
                "Single DES has a 56-bit key, found by exhaustive search within a day.",
            ),
            Rule(
                ("arcfour*",),
                "RC4 (arcfour) has a biased keystream that leaks plaintext; RFC 8758 "
                "forbids it in SSH.",
            ),
            Rule(("none",), "'none' sends the whole session, passwords included, in clear."),
        ),
        solution=(
            "Solution: offer only counter-mode and authenticated ciphers, e.g. in "
            "sshd_config 'Ciphers chacha20-poly1305@openssh.com,aes256-gcm@openssh.com,"
            "aes128-gcm@openssh.com,aes256-ctr,aes192-ctr,aes128-ctr', then restart sshd."
        ),
    ),
    Weakness(
        key="mac_algorithms",
        title="weak MAC algorithms",
        lists=("mac_algorithms_client_to_server", "mac_algorithms_server_to_client"),
        rules=(
            Rule(
                ("hmac-md5*",),
                "MD5 has been broken for collisions since 2004; HMAC-MD5 is not known to be "
                "forgeable yet, but it keeps no margin.",
            ),
            Rule(
                ("hmac-sha1-96*", "hmac-md5-96*", "umac-64*"),
                "A tag of 96 bits (truncated) or 64 bits makes forging a packet's integrity "
                "check far easier than a full-length tag does.",
            ),
            Rule(
                ("hmac-ripemd160*",),
                "RIPEMD-160 has had little scrutiny compared with SHA-2, and OpenSSH removed "
                "it in 7.6.",
            ),
            Rule(("none",), "'none' protects nothing: anyone on the path can change data."),
        ),
        solution=(
            "Solution: offer only full-length SHA-2 MACs, encrypt-then-MAC first, e.g. in "
            "sshd_config 'MACs hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,"
            "umac-128-etm@openssh.com,hmac-sha2-256,hmac-sha2-512', then restart sshd."
        ),
    ),
    Weakness(
        key="host_key_algorithms",
        title="weak host key algorithms",
        lists=("server_host_key_algorithms",),
        rules=(
            Rule(
                ("ssh-rsa", "ssh-rsa-cert-*", "x509v3-ssh-rsa", "x509v3-sign-rsa"),
                "ssh-rsa signs with SHA-1, whose chosen-prefix collisions cost a few tens of "
                "thousands of dollars since 2020; OpenSSH stopped accepting it by default "
                "in 8.8. The same RSA key can sign with SHA-2 instead (rsa-sha2-256/512).",
            ),
            Rule(
                ("ssh-dss", "ssh-dss-cert-*", "x509v3-ssh-dss", "x509v3-sign-dss"),
                "ssh-dss is DSA with a 1024-bit key and SHA-1; OpenSSH stopped offering it "
                "by default in 7.0 and has removed it since.",
            ),
        ),
        solution=(
            "Solution: let the server prove its identity with Ed25519, ECDSA or RSA with "
            "SHA-2 only, e.g. in sshd_config 'HostKeyAlgorithms ssh-ed25519,"
            "ecdsa-sha2-nistp256,rsa-sha2-512,rsa-sha2-256' (and their -cert-v01 forms where "
            "certificates are used), remove any DSA HostKey line, then restart sshd."
        ),
    ),
)

INFO = PluginInfo(
    id=90000052,
    filename="ssh_algorithms.py",
    name="Weak SSH algorithms offered",
    family="General",
    category=Category.GATHER_INFO,
    summary="Reports weak key exchange, cipher, MAC and host key algorithms SSH servers offer",
    description=(
        "Reads the list of algorithms each SSH server sends before any login (its KEXINIT) "
        "and reports the weak ones: key exchanges with 1024-bit groups or SHA-1, CBC, "
        "64-bit block, DES and RC4 ciphers, MD5 and truncated MACs, and SHA-1 or DSA host "
        "key signatures. A client that prefers one of them, old or misconfigured, gets a "
        "session an attacker can weaken. Offer only modern algorithms (KexAlgorithms, "
        "Ciphers, MACs and HostKeyAlgorithms in sshd_config)."
    ),
    dependencies=("find_service.py",),
    require_ports=("Services/ssh",),
    xrefs=(
        "CWE:327",
        "URL:https://www.rfc-editor.org/rfc/rfc9142",
        "URL:https://www.rfc-editor.org/rfc/rfc8758",
    ),
    qod=Qod.of(QodType.REMOTE_ACTIVE),
)


def offered(kexinit: KexInit, weakness: Weakness) -> tuple[str, ...]:
    """The names of ``weakness``'s lists, both directions merged in order, each once."""
    names = [name for field in weakness.lists for name in getattr(kexinit, field)]
    return tuple(dict.fromkeys(names))


def weak_offers(kexinit: KexInit) -> list[tuple[Weakness, tuple[str, ...]]]:
    """Each kind of weakness with the weak names offered, for the kinds with any."""
    found = []
    for weakness in WEAKNESSES:
        weak = tuple(
            name
            for name in offered(kexinit, weakness)
            if any(r.covers(name) for r in weakness.rules)
        )
        if weak:
            found.append((weakness, weak))
    return found


def report(weakness: Weakness, weak: tuple[str, ...]) -> str:
    """The warning for ``weak``, the weak names of ``weakness`` a server offers."""
    reasons = [rule.why for rule in weakness.rules if any(rule.covers(name) for name in weak)]
    return (
        f"The SSH server on this port offers {weakness.title}:\n\n"
        f"  {', '.join(weak)}\n\n"
        "A connection uses one of them whenever the client lists it before anything stronger "
        "the server offers, as old clients and clients set up for compatibility do.\n\n"
        + "\n".join(reasons)
        + "\n\n"
        + weakness.solution
    )


async def _kexinit(ctx: PluginContext, port: int) -> KexInit | None:
    try:
        async with await ctx.connect(port, tls=uses_tls(ctx, port)) as stream:
            server = await read_server_kexinit(stream)
    except (OSError, TimeoutError, SshWireError) as exc:
        ctx.log.info("port %d: no KEXINIT read: %s", port, str(exc) or repr(exc))
        return None
    ctx.log.debug("port %d: %s", port, server.identification)
    return server.kexinit


async def run(ctx: PluginContext) -> None:
    for port in service_ports(ctx, "ssh"):
        kexinit = await _kexinit(ctx, port)
        if kexinit is None:
            continue
        for field in NAME_LISTS:
            names = getattr(kexinit, field)
            if names and not field.startswith("languages"):
                ctx.kb.replace(f"SSH/{port}/{field}", ",".join(names))
        for weakness, weak in weak_offers(kexinit):
            ctx.kb.replace(f"SSH/{port}/weak_{weakness.key}", ",".join(weak))
            ctx.warning(report(weakness, weak), port=port)
