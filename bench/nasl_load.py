"""How fast ixion loads a whole plugin feed's metadata, cold and warm, and how much of it.

    .venv/bin/python bench/nasl_load.py [FOLDER] [--jobs N] [--show N] [--cache FILE]
                                        [--runs N] [--warm-only]

Loads every .nasl under FOLDER (default /tmp/feed/nvt-feed, the extracted community feed;
nothing of it belongs in this repository) with :func:`ixion.nasl.catalog.cache.load_catalog`,
includes from FOLDER itself, into a fresh cache file (a temporary one unless --cache, which
is deleted first), twice in this process: cold (everything described) and warm (everything
from the cache). Then maps every script to a PluginInfo.

A daemon loads warm in a new process, whose heap is not full of the cold load's garbage,
so the figure that counts is measured that way: --runs (default 3) fresh processes each
load the warm cache and map every script to a PluginInfo; the best and the median are
printed, for the load_catalog() call alone, with the PluginInfos, and for the whole process
(interpreter start and imports included). The target is a warm load under 2 s.

--warm-only skips the cold load and uses the --cache file as it is (to measure again).
Prints the counts, the most common failure reasons, the share described OK (target: at
least 99.5 %), the repeated plugin ids, and the times. Exits with status 1 if the share is
below the target.
"""

from __future__ import annotations

import argparse
import collections
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET = 99.5


def reason(message: str) -> str:
    """A failure message without its file and position, so that alike ones group."""
    return re.sub(r"^[^:]*:(\d+:\d+:)? ?", "", message)[:100]


def fresh(folder: Path, cache: Path) -> None:
    """In a child process: one warm load and the PluginInfos, times as JSON on stdout."""
    from ixion.nasl.catalog.cache import load_catalog
    from ixion.nasl.catalog.plugin_info import plugin_infos

    began = time.perf_counter()
    catalog = load_catalog(folder, cache)
    loaded = time.perf_counter()
    plugin_infos(catalog.scripts)
    done = time.perf_counter()
    print(
        json.dumps(
            {
                "load": loaded - began,
                "infos": done - loaded,
                "read": catalog.read,
                "described": catalog.described,
            }
        )
    )


def measure_fresh(folder: Path, cache: Path, runs: int) -> list[dict[str, float]]:
    """``runs`` fresh processes running :func:`fresh`, each with its wall time added."""
    results = []
    for _ in range(runs):
        began = time.perf_counter()
        child = subprocess.run(
            [sys.executable, __file__, str(folder), "--cache", str(cache), "--fresh"],
            check=True,
            capture_output=True,
            text=True,
        )
        wall = time.perf_counter() - began
        result = json.loads(child.stdout)
        result["wall"] = wall
        results.append(result)
    return results


def spread(values: list[float]) -> str:
    return f"best {min(values):.2f} s, median {statistics.median(values):.2f} s"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("folder", nargs="?", type=Path, default=Path("/tmp/feed/nvt-feed"))
    parser.add_argument("--jobs", type=int, default=None)
    parser.add_argument("--show", type=int, default=8, help="failure reasons to list")
    parser.add_argument("--cache", type=Path, help="cache file to use (default: temporary)")
    parser.add_argument("--runs", type=int, default=3, help="fresh-process warm loads")
    parser.add_argument("--warm-only", action="store_true", help="reuse --cache as it is")
    parser.add_argument("--fresh", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.fresh:
        fresh(args.folder, args.cache)
        return
    if args.warm_only and args.cache is None:
        parser.error("--warm-only needs --cache")

    from ixion.nasl.catalog.cache import load_catalog
    from ixion.nasl.catalog.plugin_info import plugin_infos

    with tempfile.TemporaryDirectory() as scratch:
        cache = args.cache or Path(scratch) / "catalog.sqlite"
        cold_time = None
        if not args.warm_only:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{cache}{suffix}").unlink(missing_ok=True)
            began = time.perf_counter()
            cold = load_catalog(args.folder, cache, jobs=args.jobs)
            cold_time = time.perf_counter() - began
        began = time.perf_counter()
        warm = load_catalog(args.folder, cache, jobs=args.jobs)
        warm_time = time.perf_counter() - began
        size = cache.stat().st_size
        runs = measure_fresh(args.folder, cache, args.runs)

    infos, failures = plugin_infos(warm.scripts)
    failures.update(warm.failures)
    total = len(warm.scripts) + len(warm.failures)
    ok = total - len(failures)
    share = 100.0 * ok / total if total else 0.0
    print(f"scripts:        {total}")
    print(f"described OK:   {ok} ({share:.3f} %, target {TARGET} %)")
    print(f"failed:         {len(failures)}")
    for text, count in collections.Counter(map(reason, failures.values())).most_common(args.show):
        print(f"  {count:6}  {text}")
    for _rel, text in sorted(failures.items())[: args.show]:
        print(f"  e.g. {text.splitlines()[0][:160]}")
    ids = collections.Counter(info.id for info in infos.values())
    print(f"repeated ids:   {sum(1 for n in ids.values() if n > 1)} (ids on several files)")
    if cold_time is not None:
        print(f"cold load:      {cold_time:.1f} s ({cold.described} described, {cold.read} read)")
    print(f"warm load:      {warm_time:.2f} s in this process ({warm.read} read)")
    print(f"cache file:     {size / 1e6:.0f} MB")
    print(f"warm load, fresh process ({args.runs} runs; target < 2 s):")
    print(f"  load_catalog():                 {spread([r['load'] for r in runs])}")
    both = [r["load"] + r["infos"] for r in runs]
    print(f"  load_catalog() + plugin_infos(): {spread(both)}")
    print(f"  whole process (start, imports): {spread([r['wall'] for r in runs])}")
    if any(r["read"] for r in runs):
        print("  (the fresh processes read files: the cache was not warm)")
    if share < TARGET:
        sys.exit(1)


if __name__ == "__main__":
    main()
