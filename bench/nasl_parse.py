"""How fast ixion.nasl parses a real plugin feed, and whether it parses all of it.

    .venv/bin/python bench/nasl_parse.py [FOLDER] [--jobs N] [--show N] [--no-gc]

Parses every .nasl and .inc file under FOLDER (default /tmp/feed/nvt-feed, the extracted
community feed; nothing of it belongs in this repository) with a process pool of N workers
(default: one per CPU). Prints the number of files and bytes, the failures with the first
--show of their errors, the wall time, the CPU time spent parsing (file reading excluded) and
the parse speed in MB per CPU-second. Exits with status 1 if any file failed.

--no-gc turns the cyclic garbage collector off in the workers. A syntax tree has no cycles,
so the collector only spends time walking the nodes it is handed; a loader that parses a
whole feed can do the same.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import os
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from ixion.nasl.syntax.errors import NaslSyntaxError
from ixion.nasl.syntax.parser import parse

CHUNK = 250  # files per task: big enough to amortise pickling, small enough to balance


@dataclass
class Tally:
    files: int = 0
    bytes: int = 0
    cpu: float = 0.0
    errors: list[str] = field(default_factory=list)

    def add(self, other: Tally) -> None:
        self.files += other.files
        self.bytes += other.bytes
        self.cpu += other.cpu
        self.errors += other.errors


def parse_files(paths: list[str], collect: bool) -> Tally:
    if not collect:
        gc.disable()
    tally = Tally()
    for path in paths:
        source = Path(path).read_bytes()
        began = time.process_time()
        try:
            parse(source, path)
        except NaslSyntaxError as error:
            tally.errors.append(str(error))
        tally.cpu += time.process_time() - began
        tally.files += 1
        tally.bytes += len(source)
    return tally


def chunks(folder: Path) -> Iterator[list[str]]:
    paths = sorted(str(path) for path in folder.rglob("*") if path.suffix in (".nasl", ".inc"))
    for start in range(0, len(paths), CHUNK):
        yield paths[start : start + CHUNK]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("folder", nargs="?", type=Path, default=Path("/tmp/feed/nvt-feed"))
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--show", type=int, default=5, help="errors to print in full")
    parser.add_argument("--no-gc", action="store_true", help="no cyclic GC in the workers")
    args = parser.parse_args()

    began = time.perf_counter()
    total = Tally()
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        work = chunks(args.folder)
        for tally in pool.map(parse_files, work, itertools.repeat(not args.no_gc)):
            total.add(tally)
    wall = time.perf_counter() - began

    megabytes = total.bytes / 1e6
    collector = "off" if args.no_gc else "on"
    print(f"folder      {args.folder}  ({args.jobs} workers, garbage collector {collector})")
    print(f"files       {total.files:,}")
    print(f"bytes       {total.bytes:,} ({megabytes:.1f} MB)")
    print(f"failures    {len(total.errors):,}")
    for error in total.errors[: args.show]:
        print("  " + error.replace("\n", "\n  "))
    print(f"wall time   {wall:.1f} s")
    print(f"CPU time    {total.cpu:.1f} s (parsing only)")
    print(f"speed       {megabytes / total.cpu:.2f} MB/s per core")
    sys.exit(1 if total.errors else 0)


if __name__ == "__main__":
    main()
