"""The long version of the session crash test: many more ``kill -9`` of the daemon.

    .venv/bin/python bench/session_crash.py [--runs 200] [--seed N]

Runs ``tests/server/test_session_crash.py``'s loop (a saved scan of four loopback hosts by a
plugin that opens no socket, the daemon killed at a random moment, restarted, the session
restored and checked: nothing the client was shown is lost, no host finishes twice, the store
opens) with --runs kills whose moments come from --seed, and prints pytest's verdict and time.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEST = (
    "tests/server/test_session_crash.py"
    "::test_kill_9_at_random_moments_loses_nothing_the_client_was_shown"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--seed", type=int, default=int(time.time()))
    args = parser.parse_args()
    env = {**os.environ, "IXION_CRASH_RUNS": str(args.runs), "IXION_CRASH_SEED": str(args.seed)}
    start = time.monotonic()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-o",
            "faulthandler_timeout=0",
            TEST,
        ],
        cwd=ROOT,
        env=env,
        check=False,
    )
    seconds = time.monotonic() - start
    verdict = "passed" if done.returncode == 0 else "FAILED"
    print(f"{args.runs} kills (seed {args.seed}): {verdict} in {seconds:.0f} s")
    sys.exit(done.returncode)


if __name__ == "__main__":
    main()
