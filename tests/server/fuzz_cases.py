"""Fuzz cases for a real ixiond: one client's bytes, the chunks it sends them in, how it leaves.

Every case is filtered through :func:`bounded_scan_orders` before it is played: the daemon's
own parser of a client stream reads it, and a case whose scan orders would name more than
:data:`MAX_FUZZ_HOSTS` hosts is not played. Every such host is refused by the rules anyway, but
the daemon checks them one by one, and a mutation that turns ``/32`` into ``/2`` must not cost
the shared test machine minutes of CPU.
"""

from __future__ import annotations

import base64
import enum
import json
from dataclasses import dataclass
from typing import Final

from hypothesis import strategies as st

from ixion.engine.targets import TargetError, parse_targets
from ixion.ntp import (
    NEED_DATA,
    ClientStreamDecoder,
    ConnectionClosed,
    LegacyNewAttack,
    LongAttack,
    NewAttack,
    RemoteProtocolError,
)
from tests.server.fuzz_inputs import (
    LOGIN_LINES,
    VERSION_ORDER,
    banners,
    garbage_before_banner,
    login_lines,
    transcript_mutations,
)
from tests.server.fuzz_orders import after_login

__all__ = [
    "MAX_FUZZ_HOSTS",
    "STAGES",
    "Case",
    "Leaving",
    "any_case",
    "bounded_scan_orders",
    "cases",
]

#: Most hosts the scan orders of one case may name.
MAX_FUZZ_HOSTS: Final = 4096
#: Where in the conversation each kind of case does its damage.
STAGES: Final = {
    "before-banner": garbage_before_banner,
    "banner": banners,
    "login": login_lines,
    "after-login": after_login,
    "transcript": transcript_mutations,
}


class Leaving(enum.Enum):
    """How the fuzzing client leaves once it has sent its bytes."""

    FIN = "fin"  # half-closes, then reads until the daemon ends the connection
    LINGER = "linger"  # keeps the connection open, reads until the daemon goes quiet
    RESET = "reset"  # vanishes with a TCP RST, mid-message if the bytes stop there


@dataclass(frozen=True, slots=True)
class Case:
    stage: str
    data: bytes
    #: Sizes of the first chunks; whatever is left goes in one last write.
    chunks: tuple[int, ...]
    leaving: Leaving

    def to_json(self) -> str:
        """The file a failing run saves, and ``bench/fuzz_daemon.py --replay`` reads."""
        return json.dumps(
            {
                "stage": self.stage,
                "data": base64.b64encode(self.data).decode(),
                "chunks": list(self.chunks),
                "leaving": self.leaving.value,
                "preview": self.data[:300].decode("latin-1"),
            },
            indent=1,
        )

    @classmethod
    def from_json(cls, text: str) -> Case:
        raw = json.loads(text)
        return cls(
            stage=raw["stage"],
            data=base64.b64decode(raw["data"]),
            chunks=tuple(raw["chunks"]),
            leaving=Leaving(raw["leaving"]),
        )

    def __repr__(self) -> str:
        data = self.data if len(self.data) <= 400 else self.data[:400] + b"..."
        return (
            f"Case({self.stage}, {len(self.data)} bytes {data!r}, "
            f"chunks={self.chunks}, {self.leaving.value})"
        )


def cases(stage: str) -> st.SearchStrategy[Case]:
    """Cases of one stage whose scan orders stay small."""
    return st.builds(
        Case,
        stage=st.just(stage),
        data=STAGES[stage]().filter(bounded_scan_orders),
        chunks=st.lists(st.integers(1, 700), max_size=6).map(tuple),
        leaving=st.sampled_from(Leaving),
    )


def any_case() -> st.SearchStrategy[Case]:
    return st.sampled_from(sorted(STAGES)).flatmap(cases)


def bounded_scan_orders(data: bytes) -> bool:
    """The scan orders in ``data``, read as ixiond reads a client, name few enough hosts.

    What is an order is decided by ``ClientStreamDecoder``, the parser the daemon's ``Session``
    uses; a target list that does not parse is refused by the daemon, so it is harmless.
    """
    decoder = ClientStreamDecoder()
    decoder.receive_data(data)
    decoder.receive_data(b"")
    hosts = 0
    try:
        while (msg := decoder.next_message()) is not NEED_DATA:
            if isinstance(msg, ConnectionClosed):
                break
            if isinstance(msg, NewAttack | LongAttack | LegacyNewAttack):
                try:
                    hosts += parse_targets(msg.targets).count()
                except TargetError:
                    continue
                if hosts > MAX_FUZZ_HOSTS:
                    return False
    except RemoteProtocolError:
        pass
    return True


# --- known hostile inputs --------------------------------------------------------------------

_LOGIN: Final = b"< NTP/1.2 >< fast_login >\n" + LOGIN_LINES
_FIN, _LINGER, _RESET = Leaving.FIN, Leaving.LINGER, Leaving.RESET


def _known(name: str, data: bytes, leaving: Leaving) -> Case:
    return Case(name, data, (7, 1, 30), leaving)


#: Issue 15's findings that a client's bytes alone reproduce, and their neighbours, as cases
#: (the test plays each one; the long fuzzer plays them first).
KNOWN_CASES: Final = {
    case.stage: case
    for case in (
        # A size smaller than the payload: the rest must not become the next command.
        _known(
            "LONG_ATTACK announcing less than it sends",
            _LOGIN + b"CLIENT <|> LONG_ATTACK <|>\n4\n198.18.0.1" + VERSION_ORDER,
            _LINGER,
        ),
        _known(
            "LONG_ATTACK announcing more than it sends",
            _LOGIN + b"CLIENT <|> LONG_ATTACK <|>\n100\n198.18.0.1",
            _LINGER,
        ),
        _known(
            "LONG_ATTACK with a negative size", _LOGIN + b"CLIENT <|> LONG_ATTACK <|>\n-5\n1", _FIN
        ),
        _known(
            "LONG_ATTACK with a huge size",
            _LOGIN + b"CLIENT <|> LONG_ATTACK <|>\n99999999999999999999\n",
            _LINGER,
        ),
        _known(
            "half a PREFERENCES block",
            _LOGIN + b"CLIENT <|> PREFERENCES <|>\nmax_hosts <|> 5\n",
            _LINGER,
        ),
        _known("half a line, then a reset", _LOGIN + b"CLIENT <|> NESSUS_VER", _RESET),
        # An uploaded plugin whose name was not UTF-8 once locked its user out for good.
        _known(
            "ATTACHED_PLUGIN named with bytes that are not UTF-8",
            _LOGIN + b"CLIENT <|> ATTACHED_PLUGIN\nname: \xff\xfe\x80.nasl\n"
            b"content: octet/stream\nbytes: 9\nexit(0);\n",
            _FIN,
        ),
        _known(
            "ATTACHED_FILE named with a path",
            _LOGIN + b"CLIENT <|> ATTACHED_FILE\nname: ../../ixiond.conf\n"
            b"content: octet/stream\nbytes: 4\nABCD",
            _FIN,
        ),
        _known(
            "ATTACHED_PLUGIN announcing less than it sends",
            _LOGIN + b"CLIENT <|> ATTACHED_PLUGIN\nname: short.nasl\ncontent: octet/stream\n"
            b"bytes: 2\nexit(0);\n" + VERSION_ORDER,
            _LINGER,
        ),
        _known(
            "an IPv6 /120, all refused",
            _LOGIN + b"CLIENT <|> LONG_ATTACK <|>\n14\n2001:db8::/120",
            _LINGER,
        ),
        # A preference value quoted in a log warning once wrote the client's ESC and CR into
        # the log (the long fuzzer's find): an admin's tail -f could show forged lines.
        _known(
            "control characters in a preference value the log quotes",
            _LOGIN + b"CLIENT <|> PREFERENCES <|>\ndetached_scan <|> \x1b[2J\x1b[1;31mFAKE\r"
            b"2026-01-01 root logged in\x07\nmax_hosts <|> 5\x1b[31mX\x00\n<|> CLIENT\n"
            b"CLIENT <|> LONG_ATTACK <|>\n10\n198.18.0.1",
            _LINGER,
        ),
        _known("a user name with NUL and CR", b"< NTP/1.2 >\ntes\x00ter\r\ntestpass\r\n", _FIN),
        _known(
            "a password line of 64 KiB", b"< NTP/1.2 >\ntester\n" + b"\xff" * 65536 + b"\n", _FIN
        ),
    )
}
