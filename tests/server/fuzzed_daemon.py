"""A real ``ixiond`` process to fuzz, and the healthy clients that show it still serves.

The daemon is ``python -m ixion.server.daemon`` on a port of 127.0.0.1, plain text, logging to
a file, with one user whose rules (and the global rules) refuse every address. It runs under
``fuzz_guard`` (see its ``sitecustomize``): the daemon, its fork server and their workers can
look up no name and reach nothing off loopback. It leads a process group of its own, which
:meth:`FuzzedDaemon.stop` kills whole.

Healthy clients, after every case: the *watcher*, logged in when the daemon started and idle
since, must have NESSUS_VERSION answered (the event loop is free and logged-in clients are
kept), and a new connection must have its banner echoed (the daemon still accepts). On demand,
a fresh login by ixion's own client (prompts, the whole offer, NESSUS_VERSION) as the fuzzed
user, so that a case that leaves the account unusable is caught; not after every case, as a
login costs a full scrypt, which would otherwise be most of the run.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Final

from ixion.server.config import Locations, parse_config, resolve_settings
from ixion.server.rules import create_global_rules
from ixion.server.users import ScryptCost, UserStore
from tests.server.daemon_harness import good_client
from tests.server.fuzz_inputs import FUZZ_PASSWORD, FUZZ_USER

__all__ = ["LOOPBACK", "FuzzedDaemon", "Unserved"]

LOOPBACK: Final = "127.0.0.1"
IXIOND: Final = (sys.executable, "-m", "ixion.server.daemon")
GUARD: Final = Path(__file__).resolve().parent / "fuzz_guard"
#: Seconds the daemon has to start serving.
START_WITHIN: Final = 30.0
#: The configuration of a fuzzed daemon, beyond its paths. The login throttle is set out of
#: reach: every case that fails a login would otherwise make the next ones wait (the throttle
#: has its own tests). Uploads are on, with nessusd's suffixes (none when the key is absent),
#: so an ATTACHED_PLUGIN is stored and loaded at the next login. A client stalled mid-message
#: is dropped after 2 s, not 60. Mail would go to a program that does nothing.
FUZZ_CONFIG: Final = (
    "ssl_version = NONE\n"
    "plugin_upload = yes\n"
    "plugin_upload_suffixes = .nasl, .inc\n"
    "login_failures_allowed = 1000000000\n"
    "client_stall_timeout = 2\n"
    "smtp_host = 127.0.0.1\n"
    "smtp_sender = ixiond@localhost\n"
    "sendmail = /bin/true\n"
)
BANNER: Final = b"< NTP/1.2 >\n"
WATCHER_LOGIN: Final = (
    f"< NTP/1.2 >< fast_login >\n{FUZZ_USER}\n{FUZZ_PASSWORD}\n".encode()
    + b"CLIENT <|> NESSUS_VERSION <|> CLIENT\n"
)
VERSION_ORDER: Final = b"CLIENT <|> NESSUS_VERSION <|> CLIENT\n"
VERSION_ANSWER: Final = b"SERVER <|> NESSUS_VERSION <|> 2.2.5 <|> SERVER\n"
#: Log lines that are bugs whatever the input: nothing a client sends may cause them.
_BAD_LOG_LINE: Final = re.compile(rb" (ERROR|CRITICAL) |Traceback|internal error")
#: Bytes ixiond's own messages never contain (a tab is allowed, for tracebacks).
_CONTROL: Final = re.compile(rb"[\x00-\x08\x0b-\x1f\x7f]")
_LOST: Final = (ConnectionResetError, BrokenPipeError, ConnectionAbortedError)


class Unserved(Exception):
    """A healthy client was turned away or dropped (a timeout is a hang instead)."""


class FuzzedDaemon:
    """``ixiond`` leading a process group of its own under ``workdir``; restarted with a fresh
    state directory after a case broke it."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.port = 0
        self.starts = 0
        self._proc: subprocess.Popen[bytes] | None = None
        self._log_offset = 0
        self._watcher: socket.socket | None = None
        #: The users directory of the running daemon.
        self.users_dir = Path()

    @property
    def pid(self) -> int | None:
        return None if self._proc is None else self._proc.pid

    @property
    def run_dir(self) -> Path:
        return self.workdir / f"run-{self.starts}"

    @property
    def log_file(self) -> Path:
        return self.run_dir / "ixiond.log"

    def start(self) -> None:
        """A new daemon with a fresh state directory, serving (and watched) when this returns."""
        self.starts += 1
        while self.run_dir.exists():  # a work directory used before
            self.starts += 1
        state, config = self.run_dir / "state", self.run_dir / "ixiond.conf"
        self.run_dir.mkdir(parents=True)
        text = f"state_dir = {state}\nlogfile = {self.log_file}\n" + FUZZ_CONFIG
        config.write_text(text)
        locations = Locations(config_file=config, state_dir=state)
        settings = resolve_settings(parse_config(text), locations).settings
        settings.rules.parent.mkdir(parents=True, exist_ok=True)
        create_global_rules(settings.rules, "default reject\n")
        self.users_dir = settings.users
        users = UserStore(settings.users, cost=ScryptCost(log2_n=10))
        users.add_user(FUZZ_USER, password=FUZZ_PASSWORD, rules_text="default reject\n")
        path = [str(GUARD), *filter(None, [os.environ.get("PYTHONPATH")])]
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(path)}
        _check_guard(env)
        self.port = _free_port()
        with (self.run_dir / "ixiond.out").open("wb") as out:
            self._proc = subprocess.Popen(
                [*IXIOND, "-c", config, "-a", LOOPBACK, "-p", str(self.port)],
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,  # its fork server and workers join its group
            )
        self._log_offset = 0
        deadline = time.monotonic() + START_WITHIN
        while self._watcher is None:
            with contextlib.suppress(OSError, TimeoutError, Unserved):
                self._watcher = _logged_in(self.port, within=5.0)
            if not self.alive():
                raise RuntimeError(f"ixiond exited at start-up; see {self.run_dir}")
            if self._watcher is None and time.monotonic() > deadline:
                raise RuntimeError(f"ixiond did not start serving; see {self.run_dir}")
            time.sleep(0.05)
        self.log_problems()  # start-up lines are not the first case's

    def alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def settle(self, seconds: float) -> None:
        """Give a daemon that may be dying ``seconds`` to finish, so that it counts as dead."""
        if self._proc is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._proc.wait(seconds)

    def exit_code(self) -> int | None:
        return None if self._proc is None else self._proc.poll()

    def stop(self) -> None:
        """SIGTERM to the daemon, then SIGKILL to its group: nothing of it survives."""
        if self._watcher is not None:
            self._watcher.close()
            self._watcher = None
        proc, self._proc = self._proc, None
        if proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            proc.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(10)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)  # the group this daemon leads, and only it
        proc.wait(10)

    def restart(self) -> None:
        self.stop()
        self.start()

    def log_problems(self) -> tuple[list[str], list[str]]:
        """Lines logged since the last call that no input may cause: errors, and lines with
        control characters (a record ends at ``\\n`` only; a CR inside one is injected)."""
        try:
            with self.log_file.open("rb") as log:
                log.seek(self._log_offset)
                new = log.read()
        except FileNotFoundError:
            return [], []
        self._log_offset += len(new)
        lines = new.split(b"\n")
        errors = [_text(line) for line in lines if _BAD_LOG_LINE.search(line)]
        injected = [repr(line)[1:] for line in lines if _CONTROL.search(line)]
        return errors, injected

    def open_descriptors(self) -> int:
        """Descriptors the daemon holds (0 when it is not running): a leak shows as growth."""
        if self._proc is None:
            return 0
        with contextlib.suppress(OSError):
            return len(os.listdir(f"/proc/{self._proc.pid}/fd"))
        return 0

    def descriptor_targets(self) -> list[str]:
        """What each of the daemon's descriptors is open on (a socket, a file, a pipe)."""
        if self._proc is None:
            return []
        fd_dir = f"/proc/{self._proc.pid}/fd"
        targets = []
        with contextlib.suppress(OSError):
            for fd in sorted(os.listdir(fd_dir), key=int):
                with contextlib.suppress(OSError):
                    targets.append(f"{fd} -> {os.readlink(f'{fd_dir}/{fd}')}")
        return targets

    def rss_kib(self) -> int:
        """The daemon's resident memory (0 when it is not running)."""
        if self._proc is None:
            return 0
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{self._proc.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def serves(self, within: float, *, fresh_login: bool) -> float:
        """Seconds the healthy clients took (the slowest).

        Raises:
            TimeoutError: one was not answered within ``within`` seconds.
            Unserved: one was turned away or dropped.
        """
        start = time.monotonic()
        watcher = self._watcher
        if watcher is None:
            raise Unserved("no watcher: the daemon did not start")
        watcher.settimeout(within)
        watcher.sendall(VERSION_ORDER)
        _read_until(watcher, VERSION_ANSWER, "the watcher's NESSUS_VERSION")
        with socket.create_connection((LOOPBACK, self.port), timeout=within) as probe:
            probe.sendall(BANNER)
            if _read_until(probe, b"\n", "a new client's banner") != BANNER:
                raise Unserved("a new client's banner was not echoed")
        if fresh_login:
            asyncio.run(_fresh_login(self.port, within))
        return time.monotonic() - start


async def _fresh_login(port: int, within: float) -> None:
    try:
        async with asyncio.timeout(within):
            version = await good_client(port)
    except TimeoutError:
        raise
    except Exception as exc:  # whatever ixion's client raised: it was not served
        raise Unserved(f"ixion's client was not served: {exc!r}") from exc
    if version != "2.2.5":
        raise Unserved(f"ixion's client was told version {version!r}")


def _logged_in(port: int, within: float) -> socket.socket:
    """A connection logged in as the fuzzed user, its NESSUS_VERSION answered."""
    sock = socket.create_connection((LOOPBACK, port), timeout=within)
    try:
        sock.sendall(WATCHER_LOGIN)
        _read_until(sock, VERSION_ANSWER, "the watcher's login")
    except BaseException:
        sock.close()
        raise
    return sock


def _read_until(sock: socket.socket, marker: bytes, what: str) -> bytes:
    """Bytes up to ``marker`` (anything the daemon sent unasked before it is skipped)."""
    received = b""
    while marker not in received:
        try:
            chunk = sock.recv(65536)
        except _LOST as exc:
            raise Unserved(f"{what}: the daemon reset the connection") from exc
        if not chunk:
            raise Unserved(f"{what}: the daemon closed the connection after {received[-200:]!r}")
        received += chunk
    return received[: received.index(marker) + len(marker)]


def _text(line: bytes) -> str:
    return line.decode("utf-8", "replace")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        port: int = probe.getsockname()[1]
        return port


def _check_guard(env: dict[str, str]) -> None:
    """The daemon's interpreter, with this environment, loads the guard: no fuzzing without."""
    probe = "import socket, sys; sys.exit(not hasattr(socket.getaddrinfo, 'ixion_fuzz_guard'))"
    done = subprocess.run([sys.executable, "-c", probe], env=env, check=False, timeout=60)
    if done.returncode != 0:
        raise RuntimeError("the fuzz guard does not load: refusing to fuzz without it")
