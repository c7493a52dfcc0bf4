"""Extract the community NASL feed snapshot the benchmarks and feed tests use, outside the tree.

The snapshot is the ``openvas-feeds/nvt-feed/`` folder of the public repository
``jbeasl7/openvas-feed-sync-local`` at commit ``1801060e481a2dda16e6c3959478592ad04ddb5b``.
Some blobs of that repository are missing, so files are read one by one from a local clone
(``git cat-file --batch``), skipping the missing ones, rather than checked out or archived.
The feed is never part of ixion: it goes to a directory outside the repository
(default ``/tmp/feed/nvt-feed``, which ``bench/nasl_*.py`` and ``tests/server/test_feed_scan.py``
read; ``$IXION_NASL_FEED`` points them elsewhere).

    python bench/extract_feed.py GIT_DIR [--out DIR]

GIT_DIR is a clone (bare or not) of the repository that has the commit.
"""

from __future__ import annotations

import argparse
import subprocess
import threading
from pathlib import Path
from typing import IO, Final

COMMIT: Final = "1801060e481a2dda16e6c3959478592ad04ddb5b"
FOLDER: Final = "openvas-feeds/nvt-feed/"


def listed(git_dir: Path) -> list[tuple[str, str]]:
    """(blob id, path inside the feed) of every ``.nasl`` and ``.inc`` file of the commit."""
    tree = subprocess.run(
        ["git", "--git-dir", str(git_dir), "ls-tree", "-r", COMMIT, FOLDER],
        capture_output=True,
        check=True,
        text=True,
    ).stdout
    entries = []
    for line in tree.splitlines():
        meta, path = line.split("\t", 1)
        _, kind, blob = meta.split()
        if kind == "blob" and path.endswith((".nasl", ".inc")):
            entries.append((blob, path.removeprefix(FOLDER)))
    return entries


def extract(git_dir: Path, out: Path) -> tuple[int, int]:
    """Write every file that exists; (written, missing)."""
    entries = listed(git_dir)
    cat = subprocess.Popen(
        ["git", "--git-dir", str(git_dir), "cat-file", "--batch"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    if cat.stdin is None or cat.stdout is None:
        raise RuntimeError("git cat-file has no pipes")

    def ask(stdin: IO[bytes]) -> None:
        for blob, _ in entries:
            stdin.write(blob.encode() + b"\n")
        stdin.close()

    threading.Thread(target=ask, args=(cat.stdin,), daemon=True).start()
    written = missing = 0
    for _, path in entries:
        header = cat.stdout.readline().split()
        if len(header) < 3 or header[1] == b"missing":
            missing += 1
            continue
        data = cat.stdout.read(int(header[2]))
        cat.stdout.read(1)  # the newline after each object
        destination = out / path
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_bytes(data)
        written += 1
    cat.wait()
    return written, missing


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("git_dir", type=Path, help="a clone of jbeasl7/openvas-feed-sync-local")
    parser.add_argument("--out", type=Path, default=Path("/tmp/feed/nvt-feed"))
    args = parser.parse_args()
    written, missing = extract(args.git_dir, args.out)
    print(f"{written} files written to {args.out}, {missing} missing from the repository")


if __name__ == "__main__":
    main()
