"""The long version of the crash test: ``kill -9`` of ixiond and of its workers, many times.

    .venv/bin/python bench/crash_kill.py [--runs 24] [--seed N]

Runs ``tests/server/crash_harness.py``'s runs (see there: a real ixiond scanning four loopback
hosts that serve a port this script opened, one or two host workers killed with SIGKILL in
the middle of their host, then ixiond itself at a random moment, then a restart; every fourth
run ixiond is killed while it describes its NASL scripts in a process pool instead), with
moments drawn from --seed, and prints what they found: hosts killed and hosts reported to the
client as errors, processes left behind by a killed ixiond, attached files left after a
restart. Exits 1 if any of those is wrong.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.server.crash_harness import crash_runs  # noqa: E402 (after the path above)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=24)
    parser.add_argument("--seed", type=int, default=int(time.time()))
    args = parser.parse_args()
    if args.runs < 20:
        parser.error("the crash test wants at least 20 runs")
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="ixion-crash-") as folder:
        tally = crash_runs(Path(folder), runs=args.runs, seed=args.seed)
    seconds = time.monotonic() - start
    lines = [
        f"runs: {tally.runs} (seed {args.seed}, {seconds:.0f} s): {tally.scan_runs} scans "
        f"killed, {tally.catalogue_runs} catalogue builds killed",
        f"ixiond killed mid-scan: {tally.killed_mid_scan} of {tally.scan_runs} "
        f"(open ports reported before the kills: {tally.ports_found})",
        f"ixiond killed with describing processes alive: {tally.killed_mid_build} of "
        f"{tally.catalogue_runs}",
        f"hosts killed: {tally.hosts_killed}, reported as errors: {tally.hosts_reported}, "
        f"errors for hosts not killed: {tally.false_errors}",
        f"orphan processes: {tally.orphans}",
        f"attached files left by the kills: {tally.files_after_kill}, still there after "
        f"the restart: {tally.leftover_files}",
    ]
    print("\n".join(lines))
    for problem in tally.problems:
        print(f"  problem: {problem}")
    good = (
        not tally.problems
        and tally.hosts_reported == tally.hosts_killed
        and not tally.orphans
        and not tally.leftover_files
    )
    print("verdict:", "passed" if good else "FAILED")
    sys.exit(0 if good else 1)


if __name__ == "__main__":
    main()
