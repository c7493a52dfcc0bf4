"""How fast ixion loads a whole plugin feed's metadata, cold and warm, and how much of it.

    .venv/bin/python bench/nasl_load.py [FOLDER] [--jobs N] [--show N] [--cache FILE]

Loads every .nasl under FOLDER (default /tmp/feed/nvt-feed, the extracted community feed;
nothing of it belongs in this repository) with :func:`ixion.nasl.catalog.load_catalog`,
includes from FOLDER itself, into a fresh cache file (a temporary one unless --cache),
twice: cold (everything described) and warm (everything from the cache). Then maps every
script to a PluginInfo. Prints the counts, the most common failure reasons, the share
described OK (target: at least 99.5 %), the repeated OIDs and plugin ids, and both times.
Exits with status 1 if the share is below the target.
"""

from __future__ import annotations

import argparse
import collections
import re
import sys
import tempfile
import time
from pathlib import Path

from ixion.nasl.catalog import load_catalog
from ixion.nasl.plugin_info import to_plugin_info

TARGET = 99.5


def reason(message: str) -> str:
    """A failure message without its file and position, so that alike ones group."""
    return re.sub(r"^[^:]*:(\d+:\d+:)? ?", "", message)[:100]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("folder", nargs="?", type=Path, default=Path("/tmp/feed/nvt-feed"))
    parser.add_argument("--jobs", type=int, default=None)
    parser.add_argument("--show", type=int, default=8, help="failure reasons to list")
    parser.add_argument("--cache", type=Path, help="cache file to use (default: temporary)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as scratch:
        cache = args.cache or Path(scratch) / "catalog.sqlite"
        began = time.perf_counter()
        cold = load_catalog(args.folder, cache, jobs=args.jobs)
        cold_time = time.perf_counter() - began
        began = time.perf_counter()
        warm = load_catalog(args.folder, cache, jobs=args.jobs)
        warm_time = time.perf_counter() - began
        size = cache.stat().st_size

    failures = dict(cold.failures)
    infos = []
    for rel, meta in cold.scripts.items():
        try:
            infos.append(to_plugin_info(meta, rel.rsplit("/", 1)[-1]))
        except ValueError as err:
            failures[rel] = str(err)
    total = len(cold.scripts) + len(cold.failures)
    ok = total - len(failures)
    share = 100.0 * ok / total if total else 0.0
    print(f"scripts:        {total}")
    print(f"described OK:   {ok} ({share:.3f} %, target {TARGET} %)")
    print(f"failed:         {len(failures)}")
    for text, count in collections.Counter(map(reason, failures.values())).most_common(args.show):
        print(f"  {count:6}  {text}")
    for _rel, text in sorted(failures.items())[: args.show]:
        print(f"  e.g. {text.splitlines()[0][:160]}")
    oids = collections.Counter(info.id for info in infos)
    print(f"repeated ids:   {sum(1 for n in oids.values() if n > 1)} (ids on several files)")
    print(f"cold load:      {cold_time:.1f} s ({cold.described} described, {cold.read} read)")
    print(f"warm load:      {warm_time:.2f} s ({warm.described} described, {warm.read} read)")
    print(f"cache file:     {size / 1e6:.0f} MB")
    if share < TARGET:
        sys.exit(1)


if __name__ == "__main__":
    main()
