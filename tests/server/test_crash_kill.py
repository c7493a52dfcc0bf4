"""``kill -9`` of ixiond and of its workers at random moments (seeded): every host whose worker
was killed is reported to the client as an error, no process of a killed ixiond survives it,
no attached file survives a restart. The runs are :mod:`tests.server.crash_harness`'s; the
longer version (at least 20 runs, figures printed) is ``bench/crash_kill.py``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Final

from tests.server.crash_harness import crash_runs

#: Runs of the test (the fourth a catalogue build killed), and the seed of their moments.
RUNS: Final = int(os.environ.get("IXION_CRASH_KILL_RUNS", "5"))
SEED: Final = int(os.environ.get("IXION_CRASH_KILL_SEED", "15"))


def test_kill_9_of_workers_and_ixiond_at_random_moments(tmp_path: Path) -> None:
    tally = crash_runs(tmp_path, runs=RUNS, seed=SEED)
    assert tally.problems == []
    assert tally.hosts_killed >= tally.scan_runs  # one or two workers killed per scan run
    assert tally.hosts_reported == tally.hosts_killed
    assert tally.false_errors == 0
    assert tally.orphans == 0
    assert tally.leftover_files == 0
    # The moments were the ones that matter: mid-scan and mid-build, files left to clean.
    assert tally.ports_found > 0
    assert tally.killed_mid_scan >= 1
    assert tally.catalogue_runs >= 1
    assert tally.killed_mid_build == tally.catalogue_runs
    assert tally.files_after_kill >= 1
