"""``python -m tests.netlab up|down|status|score|nmap|scan|install`` (``scripts/lab`` runs it)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from tests.netlab._hosts import state_dir
from tests.netlab._install import install, missing_packages
from tests.netlab._lab import LabStartError, down, up
from tests.netlab._manifest import read_manifest
from tests.netlab._netns import LabNetworkError, ip_netns_available
from tests.netlab._sharing import LabBusyError, lab_lock, live_users
from tests.netlab._status import table

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tests.netlab",
        description="ixion's lab of real Debian daemons in network namespaces (198.18.0.0/24)",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    start = commands.add_parser("up", help="start the lab (tearing down any earlier one)")
    start.add_argument(
        "--keep-on-failure", action="store_true", help="leave a failed lab up for inspection"
    )
    stop = commands.add_parser("down", help="stop every lab process and remove the lab's network")
    for command in (start, stop):
        command.add_argument(
            "--force", action="store_true", help="even while test sessions use the lab"
        )
    commands.add_parser("status", help="what runs; exit 0 only when everything answers")
    commands.add_parser("install", help="apt-get install the daemons (never started outside)")
    score = commands.add_parser("score", help="score an NBE report against the ground truth")
    score.add_argument("report", type=Path, help="the scan's NBE report")
    score.add_argument("--nmap", type=Path, help="nmap -sV -oX output to compare names with")
    score.add_argument("--truth", type=Path, help="ground truth (default: the lab's own)")
    score.add_argument("--require-recall", type=float, metavar="N", help="fail below N (0-1)")
    score.add_argument("--max-fp", type=int, metavar="N", help="fail above N false positives")
    score.add_argument(
        "--credentials", action="store_true", help="count weaknesses that need credentials"
    )
    score.add_argument(
        "--notes", action="store_true", help="let Security Notes count as findings too"
    )
    nmap = commands.add_parser("nmap", help="nmap -sV (and -sU) the lab's ground-truth ports")
    nmap.add_argument("-o", "--output", type=Path, default=Path("netlab-nmap.xml"))
    nmap.add_argument(
        "--intensity", type=int, choices=range(10), help="nmap --version-intensity (default 7)"
    )
    scan = commands.add_parser("scan", help="ixion's own scan of the lab (ixiond + ixion -q)")
    scan.add_argument("-o", "--output", type=Path, default=Path("netlab-report.nbe"))
    scan.add_argument(
        "--feed",
        type=Path,
        metavar="DIR",
        help="plugins_folder: a NASL feed (e.g. /tmp/feed/nvt-feed); every plugin is enabled",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    command: str = args.command
    if command == "score":
        from tests.netlab._score_cli import run_score

        return run_score(args)
    if command == "install":
        return install()
    problem = ip_netns_available()
    if problem is not None:
        print(f"netlab: cannot run here: {problem}", file=sys.stderr)
        return 2
    state = state_dir()
    if command in ("up", "down"):
        try:
            with lab_lock(state):
                users = live_users(state)
                if users and not args.force:
                    pids = " ".join(map(str, users))
                    print(f"netlab: in use by test sessions (PIDs {pids}); --force to {command}")
                    return 3
                return _up(state, keep=args.keep_on_failure) if command == "up" else _down(state)
        except LabBusyError as exc:
            print(f"netlab: {exc}", file=sys.stderr)
            return 3
    if command == "status":
        text, healthy = table(read_manifest(state))
        users = live_users(state)
        print(
            text + (f"\n  used by test sessions: PIDs {' '.join(map(str, users))}" if users else "")
        )
        return 0 if healthy else 1
    if command == "nmap":
        from tests.netlab._nmap import run_nmap_command

        return run_nmap_command(args.output, args.intensity)
    from tests.netlab._scan import run_scan_command

    return run_scan_command(args.output, args.feed)


def _down(state: Path) -> int:
    removed = down(state)
    print("lab down" + (f" (removed {', '.join(removed)})" if removed else " (nothing was up)"))
    return 0


def _up(state: Path, *, keep: bool) -> int:
    missing = missing_packages()
    if missing:
        print(f"netlab: missing packages {' '.join(missing)}; run: scripts/lab install")
        return 2
    begun = time.monotonic()
    try:
        manifest = up(state, log=lambda line: print(f"netlab: {line}", flush=True))
    except (LabStartError, LabNetworkError) as exc:
        print(f"netlab: up failed after {time.monotonic() - begun:.1f} s\n{exc}", file=sys.stderr)
        if not keep:
            down(state)
            print("netlab: torn down (use --keep-on-failure to inspect)", file=sys.stderr)
        return 1
    except BaseException:
        if not keep:
            down(state)  # a bug or ^C half-way: leave nothing running
        raise
    print(table(manifest)[0])
    return 0
