"""What each host's worker costs before it scans, with a whole feed in plugins_folder.

    .venv/bin/python bench/host_prepare.py [FOLDER] [--cache FILE] [--hosts N]

Loads FOLDER as the fork server does (:func:`ixion.engine.loader.load_all`; default
/tmp/feed/nvt-feed, the extracted community feed, never part of this repository; the
description cache defaults to a file under /tmp), with every plugin enabled, then forks N
workers (default 3) each way:

* in the worker: the worker loads the job's plugins by origin and plans them itself (what
  a job naming a user's upload still does);
* prepared: the fork server prepared the plan once (:class:`ixion.engine.prepared.Preparer`,
  given each host's job unpickled, as it receives them) and the worker builds its
  HostScan on it.

Prints, per way, the fork server's time to prepare each job, and in the worker the seconds
until its HostScan exists and the private (copied) memory it then holds, in MiB.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import logging
import os
import pickle
import statistics
import time
from pathlib import Path

from ixion.engine.host import HostScan
from ixion.engine.job import HostJob, ScanSettings
from ixion.engine.loader import load_all, load_plugins
from ixion.engine.prepared import Preparer
from ixion.plugin_api.ports import parse_port_range

MiB = 1024 * 1024


def private_mib() -> float:
    """Memory this process wrote to since the fork (copied pages), from smaps_rollup."""
    with open("/proc/self/smaps_rollup") as rollup:
        for line in rollup:
            if line.startswith("Private_Dirty:"):
                return int(line.split()[1]) / 1024
    return 0.0


def in_worker(job: HostJob, preparer: Preparer | None) -> tuple[float, float, float]:
    """(fork server seconds, worker seconds, worker private MiB) for one host."""
    began = time.perf_counter()
    received = pickle.loads(pickle.dumps(job))
    prepared = preparer.prepare(received) if preparer is not None else None
    serving = time.perf_counter() - began
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        began = time.perf_counter()
        if prepared is None:
            HostScan(received, load_plugins(received.origins).all, lambda event: None)
        else:
            HostScan(received, prepared.plugins, lambda event: None, prepared.plan)
        os.write(write, f"{time.perf_counter() - began} {private_mib()}".encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read) as answer:
        seconds, private = map(float, answer.read().split())
    os.waitpid(pid, 0)
    return serving, seconds, private


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("folder", nargs="?", type=Path, default=Path("/tmp/feed/nvt-feed"))
    parser.add_argument("--cache", type=Path, default=Path("/tmp/host-prepare-bench.sqlite"))
    parser.add_argument("--hosts", type=int, default=3)
    args = parser.parse_args()
    logging.disable(logging.WARNING)  # a feed repeats a few ids: skipped, and said so

    began = time.perf_counter()
    plugins = load_all(args.folder, args.cache)
    print(f"plugins:        {len(plugins.all)} ({time.perf_counter() - began:.1f} s to load)")
    gc.collect()
    gc.freeze()  # as the fork server does before it forks
    job = HostJob(
        host="127.0.0.1",
        address="127.0.0.1",
        origins=plugins.origins,
        enabled=frozenset(p.info.id for p in plugins.all),
        settings=ScanSettings(port_range=parse_port_range("1")),
    )
    print(f"job pickled:    {len(pickle.dumps(job)) / MiB:.1f} MiB")
    for way, preparer in (("in the worker", None), ("prepared", Preparer())):
        hosts = [
            in_worker(dataclasses.replace(job, host=f"127.0.0.{n + 1}"), preparer)
            for n in range(args.hosts)
        ]
        serving = ", ".join(f"{s:.2f}" for s, _, _ in hosts)
        print(f"{way}:")
        print(f"  fork server per job:  {serving} s")
        print(f"  worker until scan:    median {statistics.median(h[1] for h in hosts):.2f} s")
        print(f"  worker private:       median {statistics.median(h[2] for h in hosts):.0f} MiB")


if __name__ == "__main__":
    main()
