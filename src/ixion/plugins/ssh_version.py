"""What an SSH server announces: protocol version and software (RFC 4253 §4.2).

Every SSH server starts with ``SSH-<protoversion>-<softwareversion> <comments>``. The protocol
version is the finding: ``1.99`` means "2.0, and 1.5 too" and ``1.x`` means SSH-1 only.
SSH-1 (1995) has design flaws no implementation can fix: a CRC-32 integrity check that lets
an attacker insert data into a session, a weak session key exchange, and no way to detect
tampering reliably; it was retired with SSH-2 in 2006 (RFC 4251).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from ixion.plugin_api.metadata import Category, PluginInfo
from ixion.plugin_api.qod import Qod, QodType
from ixion.plugins._support import printable, service_ports, uses_tls

if TYPE_CHECKING:
    from ixion.plugin_api.context import PluginContext

__all__ = ["INFO", "SshBanner", "parse_banner", "run"]

#: RFC 4253 §4.2; the software version is printable US-ASCII without spaces or dashes, but
#: servers in the wild put dashes there anyway, so everything up to a space is taken.
_BANNER: Final = re.compile(r"^SSH-(\d+\.\d+)-(\S+)(?: +(.*?))?\s*$")

INFO = PluginInfo(
    id=90000021,
    filename="ssh_version.py",
    name="SSH protocol versions supported",
    family="General",
    category=Category.GATHER_INFO,
    summary="Reports the SSH protocol version and software of each SSH server",
    description=(
        "Reads the identification string every SSH server sends first and reports the "
        "protocol version and software it announces. A server offering protocol 1 "
        "(version 1.x, or 1.99 for both) is reported: SSH-1 has unfixable design flaws "
        "(a CRC-32 integrity check that allows data insertion, a weak key exchange) and "
        "should be disabled, leaving SSH-2 only."
    ),
    dependencies=("find_service.py",),
    require_ports=("Services/ssh",),
    qod=Qod.of(QodType.REMOTE_BANNER),
)


@dataclass(frozen=True, slots=True)
class SshBanner:
    protocol: str
    software: str
    comments: str

    @property
    def ssh1(self) -> bool:
        """Protocol 1 is offered: ``1.x``, including ``1.99`` (both 1 and 2)."""
        return self.protocol.startswith("1.")

    @property
    def ssh1_only(self) -> bool:
        return self.ssh1 and self.protocol != "1.99"


def parse_banner(line: str) -> SshBanner | None:
    match = _BANNER.match(line.strip())
    if match is None:
        return None
    return SshBanner(match[1], match[2], match[3] or "")


async def _read_banner(ctx: PluginContext, port: int) -> str | None:
    """The identification line, from the KB or, failing that, from the server."""
    known = ctx.kb.get(f"SSH/banner/{port}")
    if isinstance(known, str) and known.startswith("SSH-"):
        return known.splitlines()[0]
    try:
        async with await ctx.connect(port, tls=uses_tls(ctx, port)) as stream:
            # Servers may send other lines before the identification (RFC 4253 §4.2).
            for _ in range(20):
                line = await stream.read_line()
                if not line or line.startswith(b"SSH-"):
                    return printable(line, limit=255) if line else None
    except (OSError, TimeoutError) as exc:
        ctx.log.info("port %d: %r", port, exc)
    return None


async def run(ctx: PluginContext) -> None:
    for port in service_ports(ctx, "ssh"):
        line = await _read_banner(ctx, port)
        banner = parse_banner(line) if line else None
        if banner is None:
            continue
        ctx.kb.replace(f"SSH/protocol/{port}", banner.protocol)
        ctx.kb.replace(f"SSH/software/{port}", banner.software)
        text = (
            f"The SSH server on this port announces protocol {banner.protocol} "
            f"and software {banner.software}"
        )
        text += f" ({banner.comments})." if banner.comments else "."
        ctx.note(text, port=port)
        if banner.ssh1_only:
            ctx.kb.replace(f"SSH/v1_supported/{port}", 1)
            ctx.hole(
                f"The SSH server on this port only speaks protocol 1 (it announces "
                f"{banner.protocol}). SSH-1 has unfixable design flaws: its CRC-32 "
                "integrity check lets an attacker on the path insert data into a session, "
                "and its key exchange is weak. Every session to this server uses it. "
                "Upgrade to a server that speaks SSH-2 only.",
                port=port,
            )
        elif banner.ssh1:
            ctx.kb.replace(f"SSH/v1_supported/{port}", 1)
            ctx.warning(
                "The SSH server on this port accepts protocol 1 as well as 2 (it announces "
                "1.99). SSH-1 has unfixable design flaws (a CRC-32 integrity check that "
                "lets an attacker insert data into a session, a weak key exchange), and an "
                "old client, or an attacker who tampers with the version exchange, can end "
                "up using it. Disable protocol 1 (OpenSSH: 'Protocol 2').",
                port=port,
            )
