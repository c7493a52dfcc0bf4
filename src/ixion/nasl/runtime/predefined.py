"""The variables every script starts with (nasl.md §2.5; ``nasl_init.c``, ``exec.c``).

They are ordinary variables of the root context, as in C: a script could assign to
``TRUE``. C also copies the constants into every function's context; nothing observable
depends on that unless a script assigns to a constant, so ixion keeps one copy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from ixion.nasl.runtime.values import Value

__all__ = ["CONSTANTS", "OPENVAS_VERSION", "run_variables"]

#: The OpenVAS release whose NASL ixion follows (nasl.md §1). Plugins compare it with
#: ``revcomp()`` to decide which description built-ins exist, so it must be a modern one.
OPENVAS_VERSION: Final = b"23.50.20"

_CATEGORIES: Final = (
    "INIT",
    "SCANNER",
    "SETTINGS",
    "GATHER_INFO",
    "ATTACK",
    "MIXED_ATTACK",
    "DESTRUCTIVE_ATTACK",
    "DENIAL",
    "KILL_HOST",
    "FLOOD",
    "END",
)
_ENCAPSULATIONS: Final = (
    "AUTO",
    "IP",
    "SSLv23",
    "SSLv2",
    "SSLv3",
    "TLSv1",
    "TLSv11",
    "TLSv12",
    "TLSv13",
    "TLScustom",
    "MAX",
)

CONSTANTS: Final[dict[str, Value]] = {
    "TRUE": 1,
    "FALSE": 0,
    "NULL": None,
    **{f"ACT_{name}": number for number, name in enumerate(_CATEGORIES)},
    **{f"ENCAPS_{name}": number for number, name in enumerate(_ENCAPSULATIONS)},
    "IPPROTO_IP": 0,
    "IPPROTO_ICMP": 1,
    "IPPROTO_IGMP": 2,
    "IPPROTO_TCP": 6,
    "IPPROTO_UDP": 17,
    "IPPROTO_ICMPV6": 58,
    "TH_FIN": 0x01,
    "TH_SYN": 0x02,
    "TH_RST": 0x04,
    "TH_PUSH": 0x08,
    "TH_ACK": 0x10,
    "TH_URG": 0x20,
    "IP_RF": 0x8000,
    "IP_DF": 0x4000,
    "IP_MF": 0x2000,
    "IP_OFFMASK": 0x1FFF,
    "TCPOPT_MAXSEG": 2,
    "TCPOPT_WINDOW": 3,
    "TCPOPT_SACK_PERMITTED": 4,
    "TCPOPT_TIMESTAMP": 8,
    "MSG_OOB": 1,
    # Socket error codes (``socket_get_error``): nasl.h's NASL_ERR_*.
    "NOERR": 0,
    "ETIMEDOUT": 1,
    "ECONNRESET": 2,
    "EUNREACH": 3,
    "EUNKNOWN": 99,
    "OPENVAS_VERSION": OPENVAS_VERSION,
    # Classic plugins test these (the 2009 table: openvas-libnasl's nasl.h).
    "NASL_LEVEL": 2205,
    "OPENVAS_NASL_LEVEL": 2320,
}


def run_variables(script_name: str, *, description: bool, command_line: bool) -> dict[str, Value]:
    """``description``, ``COMMAND_LINE`` and ``SCRIPT_NAME`` (a file name, as data)."""
    return {
        "description": int(description),
        "COMMAND_LINE": int(command_line),
        "SCRIPT_NAME": script_name.rsplit("/", 1)[-1].encode(),
    }
