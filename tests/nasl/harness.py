"""Running NASL source in tests: a fake clock and the transcript the cases compare.

The transcript is the format of ``cases/*.out`` (``cases/README.md``): what ``display()``
printed, byte for byte, with each diagnostic on a line of its own starting with ``!!``, in
the order they happened.
"""

from __future__ import annotations

import calendar
import random
from dataclasses import dataclass, field
from time import gmtime, struct_time
from typing import TYPE_CHECKING

from ixion.nasl.interpreter import Interpreter
from ixion.nasl.syntax.errors import NaslRuntimeError, NaslSyntaxError
from ixion.nasl.syntax.parser import parse

if TYPE_CHECKING:
    from pathlib import Path

    from ixion.nasl.runtime.diagnostics import Diagnostic
    from ixion.nasl.runtime.includes import Includes
    from ixion.nasl.runtime.kb import KnowledgeBase
    from ixion.nasl.runtime.limits import Limits

#: 2023-11-14 22:13:20.25 UTC, a Tuesday.
EPOCH = 1_700_000_000.25


class FakeClock:
    """A clock that only moves when slept on; its time zone is UTC."""

    def __init__(self, now: float = EPOCH) -> None:
        self.now = now
        self.elapsed = 0.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.elapsed

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.elapsed += seconds
        self.now += seconds

    def calendar(self, when: int, *, utc: bool) -> struct_time:
        return gmtime(when)

    def mktime(self, fields: tuple[int, int, int, int, int, int, int, int, int]) -> int:
        year, month, day, hour, minute, second = fields[:6]
        year += (month - 1) // 12
        month = (month - 1) % 12 + 1
        midnight = calendar.timegm((year, month, 1, 0, 0, 0, 0, 0, 0))
        return midnight + (day - 1) * 86400 + hour * 3600 + minute * 60 + second


@dataclass
class Transcript:
    """Display output interleaved with ``!!`` lines (the ``.out`` format)."""

    data: bytearray = field(default_factory=bytearray)

    def output(self, text: bytes) -> None:
        self.data += text

    def note(self, line: str) -> None:
        if self.data and not self.data.endswith(b"\n"):
            self.data += b"\n"
        self.data += f"!! {line}\n".encode()

    def diagnostic(self, diagnostic: Diagnostic) -> None:
        d = diagnostic
        self.note(f"{d.severity}: {d.filename}:{d.line}: {d.message}")


def run_source(
    source: bytes,
    filename: str = "test.nasl",
    *,
    directory: Path | None = None,
    limits: Limits | None = None,
    kb: KnowledgeBase | None = None,
    includes: Includes | None = None,
    clock: FakeClock | None = None,
) -> bytes:
    """Parse and run ``source``; the transcript of everything it printed and caused."""
    transcript = Transcript()
    interpreter = Interpreter(
        kb=kb,
        limits=limits,
        includes=includes,
        output=transcript.output,
        diagnostics=transcript.diagnostic,
        clock=clock if clock is not None else FakeClock(),
        rng=random.Random(0),
    )
    try:
        interpreter.run(parse(source, filename), source=source, directory=directory)
    except NaslSyntaxError as err:
        transcript.note(f"syntax error: {err.filename}:{err.line}")
    except NaslRuntimeError as err:
        transcript.note(f"fatal: {err.filename}:{err.line}: {err.message}")
    return bytes(transcript.data)
