"""A real ``ixiond`` fuzzed over its socket (issue 15): no input ends the daemon, freezes it,
turns other clients away, or makes it log an error or a client's raw control characters.

One daemon process serves the whole module (``fuzzed_daemon.FuzzedDaemon``: plain text on
127.0.0.1, a user whose rules refuse everything, no name lookups and no traffic off loopback).
Each hypothesis example is one client: it sends a :class:`~tests.server.fuzz_cases.Case`'s bytes
in chunks, leaves (FIN, RST, or staying until the daemon goes quiet), and then healthy clients
must be served within :data:`HEALTHY_WITHIN` seconds (see ``fuzz_runner``, ``fuzzed_daemon``).

Bounded for CI: a fixed seed, no example database and no shrinking (a shrink step against a
broken daemon proves nothing), so every run plays the same cases, in 30-45 s on a loaded
two-core machine. ``bench/fuzz_daemon.py`` is the long version and replays a failing case.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import pytest
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

from tests.server.fuzz_cases import KNOWN_CASES, STAGES, Case, Leaving, cases
from tests.server.fuzz_runner import Verdict, play_and_judge
from tests.server.fuzzed_daemon import FuzzedDaemon

SEED: Final = 15
EXAMPLES_PER_STAGE: Final = 8
#: Seconds a healthy client may wait after a case. Served in milliseconds when idle, and under
#: a second with a login's scrypt on a loaded machine: anything near this is a hang.
HEALTHY_WITHIN: Final = 10.0
#: A fresh login by ixion's own client after every this many cases (and after each known case).
LOGIN_EVERY: Final = 4

FUZZ_SETTINGS: Final = settings(
    max_examples=EXAMPLES_PER_STAGE,
    deadline=None,
    database=None,
    phases=(Phase.explicit, Phase.generate),
    suppress_health_check=(HealthCheck.too_slow, HealthCheck.data_too_large),
)


@dataclass
class Fuzzing:
    daemon: FuzzedDaemon
    played: int = 0
    failures: list[Path] = field(default_factory=list)

    def check(self, case: Case, *, fresh_login: bool = False) -> None:
        """Play ``case``; on anything but OK save it, restart the daemon, and fail."""
        self.played += 1
        fresh_login = fresh_login or self.played % LOGIN_EVERY == 0
        outcome = play_and_judge(
            self.daemon, case, healthy_within=HEALTHY_WITHIN, fresh_login=fresh_login
        )
        if outcome.verdict is not Verdict.OK:
            saved = self.save(case)
            self.daemon.restart()  # so that the cases after this one test a working daemon
            pytest.fail(
                f"{outcome.verdict.value} after {case!r}\n{outcome.detail}\n"
                f"replay: .venv/bin/python bench/fuzz_daemon.py --replay {saved}",
                pytrace=False,
            )

    def save(self, case: Case) -> Path:
        path = self.daemon.workdir / f"failing-{len(self.failures) + 1}.json"
        path.write_text(case.to_json())
        self.failures.append(path)
        return path


@pytest.fixture(scope="module")
def fuzzing(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fuzzing]:
    daemon = FuzzedDaemon(tmp_path_factory.mktemp("fuzz"))
    daemon.start()
    try:
        yield Fuzzing(daemon)
    finally:
        daemon.stop()


@pytest.mark.parametrize("stage", sorted(STAGES))
@FUZZ_SETTINGS
@seed(SEED)
@given(data=st.data())
def test_no_input_crashes_freezes_or_breaks_the_daemon_for_others(
    fuzzing: Fuzzing, stage: str, data: st.DataObject
) -> None:
    fuzzing.check(data.draw(cases(stage), label="case"))


# --- known hostile inputs, played first by the long fuzzer too -------------------------------


@pytest.mark.parametrize("name", KNOWN_CASES)
def test_known_hostile_inputs_leave_the_daemon_serving_everyone(
    fuzzing: Fuzzing, name: str
) -> None:
    fuzzing.check(KNOWN_CASES[name], fresh_login=True)


def test_after_the_fuzzing_the_daemon_still_serves_ixions_own_client(fuzzing: Fuzzing) -> None:
    assert fuzzing.daemon.alive()
    assert fuzzing.daemon.serves(HEALTHY_WITHIN, fresh_login=True) < HEALTHY_WITHIN


# --- the judge can fail: what each verdict looks like -----------------------------------------

_HARMLESS: Final = Case("harmless", b"< NTP/1.2 >\n", (), Leaving.RESET)


def test_the_judge_calls_a_daemon_that_logged_an_error_an_internal_error(fuzzing: Fuzzing) -> None:
    with fuzzing.daemon.log_file.open("a") as log:
        log.write("2026-01-01 00:00:00,000 ixiond[1] ERROR ixion.server.x: written by the test\n")
    outcome = play_and_judge(fuzzing.daemon, _HARMLESS, healthy_within=1.0, fresh_login=False)
    assert outcome.verdict is Verdict.INTERNAL_ERROR
    assert "written by the test" in outcome.detail


def test_the_judge_calls_control_characters_in_the_log_an_injection(fuzzing: Fuzzing) -> None:
    with fuzzing.daemon.log_file.open("a") as log:
        log.write("2026-01-01 00:00:00,000 ixiond[1] INFO ixion.server.x: \x1b[2J\rforged\n")
    outcome = play_and_judge(fuzzing.daemon, _HARMLESS, healthy_within=1.0, fresh_login=False)
    assert outcome.verdict is Verdict.LOG_INJECTION
    assert "\\x1b[2J\\rforged" in outcome.detail


def test_the_judge_calls_a_daemon_that_refuses_a_good_login_unserved(fuzzing: Fuzzing) -> None:
    users = fuzzing.daemon.users_dir
    users.rename(users.with_name("users-away"))
    try:
        outcome = play_and_judge(fuzzing.daemon, _HARMLESS, healthy_within=5.0, fresh_login=True)
    finally:
        users.with_name("users-away").rename(users)
    assert outcome.verdict is Verdict.UNSERVED, outcome


def test_the_judge_calls_a_stopped_daemon_hung_and_a_killed_one_crashed(fuzzing: Fuzzing) -> None:
    daemon = fuzzing.daemon
    pid = daemon.pid
    assert pid is not None
    os.kill(pid, signal.SIGSTOP)
    try:
        hung = play_and_judge(daemon, _HARMLESS, healthy_within=1.0, fresh_login=False)
    finally:
        os.kill(pid, signal.SIGCONT)
    os.kill(pid, signal.SIGKILL)
    crashed = play_and_judge(daemon, _HARMLESS, healthy_within=1.0, fresh_login=False)
    daemon.restart()
    assert (hung.verdict, crashed.verdict) == (Verdict.HANG, Verdict.CRASH)
