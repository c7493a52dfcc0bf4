"""The long version of ``tests/server/test_fuzz_daemon.py``: fuzz a real ixiond for a while.

    .venv/bin/python bench/fuzz_daemon.py [--seconds 300] [--cases N] [--seed S] [--out DIR]
    .venv/bin/python bench/fuzz_daemon.py --replay DIR/failing-1.json [...]

Plays the known hostile cases, then hypothesis-generated ones of every stage (seeded, so a run
can be repeated) against one ``ixiond`` process until --seconds or --cases runs out. After each
case a logged-in client and a new connection must be served (a fresh login by ixion's own
client every --login-every cases). Prints the inputs tried (by stage and by way of leaving),
crashes, hangs, clients left unserved, errors and raw control characters the daemon logged,
the healthy checks passed with their latency, and the daemon's descriptors and memory. Every
failing case is saved as JSON under --out for --replay, and the daemon restarted afresh.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import statistics
import sys
import time
from pathlib import Path
from typing import Final

from hypothesis import HealthCheck, Phase, given, seed, settings

ROOT: Final = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the fuzzer lives with the tests

from tests.server.fuzz_cases import KNOWN_CASES, STAGES, Case, any_case  # noqa: E402
from tests.server.fuzz_runner import Outcome, Verdict, play_and_judge  # noqa: E402
from tests.server.fuzzed_daemon import FuzzedDaemon  # noqa: E402

REPORT_EVERY: Final = 30.0


class TimeUp(BaseException):
    """Ends hypothesis's run from inside the test function (an Exception would be a failure)."""


class Tally:
    def __init__(self, out: Path, daemon: FuzzedDaemon) -> None:
        self.out = out
        self.daemon = daemon
        self.start = time.monotonic()
        self.played = 0
        self.stages: collections.Counter[str] = collections.Counter()
        self.leavings: collections.Counter[str] = collections.Counter()
        self.verdicts: collections.Counter[Verdict] = collections.Counter()
        self.daemon_closed = 0
        self.served_in: list[float] = []
        self.fresh_logins = 0
        self.failures: list[Path] = []
        self.bytes_sent = 0
        self.fds_at_start = daemon.descriptor_targets()
        self.rss_at_start = self.rss_peak = daemon.rss_kib()
        self.last_report = self.start

    def record(self, case: Case, outcome: Outcome, *, fresh_login: bool) -> None:
        self.played += 1
        self.bytes_sent += len(case.data)
        self.stages[case.stage if case.stage in STAGES else "known"] += 1
        self.leavings[case.leaving.value] += 1
        self.verdicts[outcome.verdict] += 1
        self.daemon_closed += outcome.daemon_closed
        self.rss_peak = max(self.rss_peak, self.daemon.rss_kib())
        if outcome.verdict not in (Verdict.CRASH, Verdict.HANG, Verdict.UNSERVED):
            self.served_in.append(outcome.served_in)
            self.fresh_logins += fresh_login
        if outcome.verdict is Verdict.OK:
            return
        path = self.out / f"failing-{len(self.failures) + 1}.json"
        path.write_text(case.to_json())
        (path.with_suffix(".txt")).write_text(f"{outcome.verdict.value}\n{outcome.detail}\n")
        self.failures.append(path)
        print(f"!! {outcome.verdict.value.upper()} after {case!r}", flush=True)
        print("   " + outcome.detail.replace("\n", "\n   ")[:3000], flush=True)
        print(f"   saved: {path}", flush=True)

    def report(self, *, final: bool = False) -> None:
        now = time.monotonic()
        if not final and now - self.last_report < REPORT_EVERY:
            return
        self.last_report = now
        elapsed = now - self.start
        bad = {v.value: n for v, n in self.verdicts.items() if v is not Verdict.OK}
        print(
            f"[{elapsed:6.0f} s] {self.played} cases ({self.played / elapsed:.1f}/s), "
            f"failures {bad or 'none'}, daemon starts {self.daemon.starts}, "
            f"descriptors {self.daemon.open_descriptors()}, "
            f"RSS {self.daemon.rss_kib() // 1024} MiB",
            flush=True,
        )
        if final:
            self._summary(elapsed)

    def _summary(self, elapsed: float) -> None:
        served = sorted(self.served_in) or [0.0]
        p99 = served[min(len(served) - 1, int(len(served) * 0.99))]
        lines = [
            f"inputs tried:            {self.played} in {elapsed:.0f} s "
            f"({self.bytes_sent / 1e6:.1f} MB sent)",
            "  by stage:              " + _counts(self.stages),
            "  by way of leaving:     " + _counts(self.leavings),
            f"  ended by the daemon:   {self.daemon_closed}",
            f"crashes:                 {self.verdicts[Verdict.CRASH]}",
            f"hangs:                   {self.verdicts[Verdict.HANG]}",
            f"clients left unserved:   {self.verdicts[Verdict.UNSERVED]}",
            f"internal errors logged:  {self.verdicts[Verdict.INTERNAL_ERROR]}",
            f"raw control characters logged: {self.verdicts[Verdict.LOG_INJECTION]}",
            f"healthy checks passed:   {len(self.served_in)} of {self.played} "
            f"({self.fresh_logins} with a fresh login by ixion's client)",
            f"  healthy latency:       p50 {statistics.median(served) * 1000:.0f} ms, "
            f"p99 {p99 * 1000:.0f} ms, max {served[-1] * 1000:.0f} ms",
            f"daemon starts:           {self.daemon.starts}",
            f"daemon descriptors:      {len(self.fds_at_start)} at start, "
            f"{self.daemon.open_descriptors()} at the end",
            f"daemon memory (RSS):     {self.rss_at_start // 1024} MiB at start, "
            f"peak {self.rss_peak // 1024} MiB, {self.daemon.rss_kib() // 1024} MiB at the end",
            f"failing inputs saved:    {len(self.failures)} in {self.out}",
        ]
        if self.daemon.starts == 1:  # the same process throughout: what it opened and kept
            kept = sorted(set(self.daemon.descriptor_targets()) - set(self.fds_at_start))
            lines += [f"  opened since start:    {target}" for target in kept]
        print("\n".join(lines), flush=True)


def _counts(counter: collections.Counter[str]) -> str:
    return ", ".join(f"{name} {count}" for name, count in sorted(counter.items()))


def _play(tally: Tally, case: Case, args: argparse.Namespace) -> Outcome:
    fresh_login = (tally.played + 1) % args.login_every == 0 or case.stage in KNOWN_CASES
    outcome = play_and_judge(
        tally.daemon, case, healthy_within=args.healthy_within, fresh_login=fresh_login
    )
    tally.record(case, outcome, fresh_login=fresh_login)
    if outcome.verdict is not Verdict.OK:
        tally.daemon.restart()
    return outcome


def fuzz(args: argparse.Namespace, tally: Tally) -> None:
    deadline = tally.start + args.seconds
    for case in KNOWN_CASES.values():
        _play(tally, case, args)
    tally.report()

    @settings(
        max_examples=args.cases or 10**9,
        deadline=None,
        database=None,
        phases=(Phase.generate,),
        suppress_health_check=list(HealthCheck),
    )
    @seed(args.seed)
    @given(case=any_case())
    def one(case: Case) -> None:
        if time.monotonic() > deadline:
            raise TimeUp
        _play(tally, case, args)
        tally.report()

    with contextlib.suppress(TimeUp):
        one()


def replay(args: argparse.Namespace, daemon: FuzzedDaemon) -> int:
    failed = 0
    for path in args.replay:
        case = Case.from_json(Path(path).read_text())
        outcome = play_and_judge(daemon, case, healthy_within=args.healthy_within, fresh_login=True)
        print(f"{path}: {outcome.verdict.value} after {case!r}")
        print(f"  the daemon answered {outcome.answer!r}, ended it: {outcome.daemon_closed}")
        if outcome.detail:
            print("  " + outcome.detail.replace("\n", "\n  "))
        if outcome.verdict is not Verdict.OK:
            failed += 1
            daemon.restart()
    return failed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=300.0)
    parser.add_argument("--cases", type=int, default=0, help="stop after N cases (0: no limit)")
    parser.add_argument("--seed", type=int, default=int(time.time()))
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--healthy-within", type=float, default=10.0)
    parser.add_argument("--login-every", type=int, default=5)
    parser.add_argument("--replay", nargs="+", default=None, metavar="CASE_JSON")
    args = parser.parse_args()
    out: Path = args.out or Path(f"/tmp/ixion-fuzz-{args.seed}")
    out.mkdir(parents=True, exist_ok=True)
    daemon = FuzzedDaemon(out / "daemon")
    daemon.start()
    try:
        if args.replay:
            failed = replay(args, daemon)
        else:
            print(f"fuzzing ixiond (pid {daemon.pid}, port {daemon.port}), seed {args.seed}")
            tally = Tally(out, daemon)
            fuzz(args, tally)
            tally.report(final=True)
            failed = len(tally.failures)
    finally:
        daemon.stop()
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
