"""The captured conversations of ``shared/spec/transcripts`` as test data.

Each ``*.raw.txt`` holds one ``recv()`` chunk a line: seconds, direction (``C`` client to
server, ``S`` server to client) and the Python-escaped bytes, or ``EOF``.
"""

from __future__ import annotations

import ast
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

#: Where the transcripts live: ``shared/`` sits beside the repository (overridable).
TRANSCRIPTS = Path(
    os.environ.get(
        "IXION_TRANSCRIPTS",
        Path(__file__).resolve().parents[2] / "shared" / "spec" / "transcripts",
    )
)

_CHUNK = re.compile(r"\s*([0-9.]+) ([CS]) (.*)")

Direction = Literal["C", "S"]


@dataclass(frozen=True)
class Chunk:
    direction: Direction
    data: bytes  # b"" is the end of that direction's stream


@dataclass(frozen=True)
class Transcript:
    name: str
    chunks: tuple[Chunk, ...]

    def stream(self, direction: Direction) -> bytes:
        return b"".join(c.data for c in self.chunks if c.direction == direction)

    @property
    def is_otp(self) -> bool:
        return "otp" in self.name


def load(path: Path) -> Transcript:
    chunks: list[Chunk] = []
    for line in path.read_text().splitlines():
        match = _CHUNK.fullmatch(line)
        if match is None:
            raise ValueError(f"{path.name}: unreadable line {line!r}")
        direction: Direction = "C" if match.group(2) == "C" else "S"
        payload = match.group(3)
        data = b"" if payload == "EOF" else ast.literal_eval(payload)
        assert isinstance(data, bytes)
        chunks.append(Chunk(direction, data))
    return Transcript(path.name.removesuffix(".raw.txt"), tuple(chunks))


def all_transcripts() -> list[Transcript]:
    return [load(path) for path in sorted(TRANSCRIPTS.glob("*.raw.txt"))]
