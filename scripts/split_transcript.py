"""Write the two byte streams of a captured conversation (``*.raw.txt``) to files.

    python scripts/split_transcript.py TRANSCRIPT.raw.txt OUTDIR

writes OUTDIR/client.bin (what the client sent) and OUTDIR/server.bin (what the server sent),
the raw input ``ixion ntp-decode`` expects.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.transcripts import load


def main() -> None:
    transcript = load(Path(sys.argv[1]))
    out = Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    (out / "client.bin").write_bytes(transcript.stream("C"))
    (out / "server.bin").write_bytes(transcript.stream("S"))


if __name__ == "__main__":
    main()
