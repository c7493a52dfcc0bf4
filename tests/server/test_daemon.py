"""``ixiond`` run for real: a subprocess on 127.0.0.1, users added with ``ixion-adduser``, and
ixion's own client logging in. Every test kills what it started, even when it fails."""

from __future__ import annotations

import asyncio
import contextlib
import os
import resource
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import ixion.server
from ixion import __version__
from ixion.client.connection import ClientConnection, LoginFailed, ServerOffer
from ixion.engine.loader import builtin_origins, load_plugins
from ixion.ntp import PluginRecord
from ixion.server.config import Locations, default_config_text, parse_config, resolve_settings
from ixion.server.daemon import default_locations
from ixion.server.detach import PIDFILE_NAME
from ixion.server.offer import build_offer, plugin_record
from ixion.server.startup import StartupError, tls_context

BIN = Path(sys.executable).parent
IXIOND = [sys.executable, "-m", "ixion.server.daemon"]
BANNER = b"< NTP/1.2 >\n"
#: Seconds anything in these tests may take before it counts as hung.
PATIENCE = 20.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def write_config(tmp_path: Path, extra: str = "") -> Path:
    config = tmp_path / "ixiond.conf"
    config.write_text(
        f"state_dir = {tmp_path / 'state'}\n"
        "ssl_version = NONE\n"
        f"logfile = {tmp_path / 'ixiond.log'}\n"
        "max_hosts = 7\n" + extra
    )
    return config


def add_user(config: Path, name: str = "tester", password: str = "testpass") -> None:
    subprocess.run(
        [
            BIN / "ixion-adduser",
            "-c",
            config,
            "--password-stdin",
            "--rule",
            "accept 127.0.0.1",
            name,
        ],
        input=f"{password}\n",
        text=True,
        check=True,
        capture_output=True,
        timeout=PATIENCE,
    )


def ixiond(*args: str | Path, **options: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*IXIOND, *args], text=True, capture_output=True, timeout=PATIENCE, **options
    )


def answers_banner(port: int) -> bool:
    """The daemon's event loop is running: it answers an NTP banner."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=PATIENCE) as sock:
            sock.sendall(BANNER)
            return sock.recv(100).startswith(BANNER)
    except OSError:
        return False


def accepts_connections(port: int) -> bool:
    """The port is bound: ixiond binds it before its event loop starts."""
    try:
        socket.create_connection(("127.0.0.1", port), timeout=PATIENCE).close()
    except OSError:
        return False
    return True


def wait_until_serving(
    port: int, proc: subprocess.Popen[bytes] | None = None, *, plain: bool = True
) -> None:
    ready = answers_banner if plain else accepts_connections
    deadline = time.monotonic() + PATIENCE
    while not ready(port):
        if proc is not None and proc.poll() is not None:
            pytest.fail(f"ixiond exited with {proc.returncode} before serving")
        if time.monotonic() > deadline:
            pytest.fail("ixiond did not start serving")
        time.sleep(0.05)


@contextlib.contextmanager
def running(
    config: Path, port: int, *args: str, plain: bool = True, **options: Any
) -> Iterator[subprocess.Popen[bytes]]:
    """ixiond in the foreground, killed on the way out whatever happened."""
    output = config.parent / "ixiond.out"
    with output.open("wb") as out:
        proc = subprocess.Popen(
            [*IXIOND, "-c", config, "-a", "127.0.0.1", "-p", str(port), *args],
            stdout=out,
            stderr=subprocess.STDOUT,
            **options,
        )
    try:
        wait_until_serving(port, proc, plain=plain)
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(PATIENCE)


@pytest.fixture
def config(tmp_path: Path) -> Path:
    config = write_config(tmp_path)
    add_user(config)
    return config


@pytest.fixture
def port() -> int:
    return free_port()


async def log_in(
    port: int,
    user: str = "tester",
    password: str = "testpass",
    ssl_context: ssl.SSLContext | None = None,
) -> ServerOffer:
    client = await ClientConnection.open(
        "127.0.0.1", port, ssl_context=ssl_context, io_timeout=PATIENCE
    )
    try:
        return await client.login(user, password)
    finally:
        await client.close()


# --- serving ---------------------------------------------------------------------------------


def test_a_user_added_with_ixion_adduser_logs_in_and_is_offered_the_plugins_and_the_config(
    config: Path, port: int
) -> None:
    with running(config, port):
        offer = asyncio.run(log_in(port))
    builtin = load_plugins(builtin_origins())
    assert offer.plugins is not None

    def seen(records: tuple[PluginRecord, ...]) -> list[tuple[str, str, str, str]]:
        return [(r.id, r.name, r.summary, r.family) for r in records]

    assert seen(offer.plugins.plugins) == seen(tuple(plugin_record(p.info) for p in builtin.all))
    assert offer.dependencies is not None
    scanner = next(p.info for p in builtin.all if p.info.filename == "tcp_scanner.py")
    assert any(d.name == scanner.name for d in offer.dependencies.entries)
    assert offer.rules is not None
    assert offer.preference("max_hosts") == "7"
    assert offer.preference("ssl_version") == "NONE"
    assert offer.preference("server_info_nessusd_version") == f"ixiond {__version__}"
    # Private paths and the mail relay's password stay home; sessions are kept, and said so.
    for name in ("state_dir", "logfile", "smtp_password"):
        assert offer.preference(name) is None
    assert offer.preference("ntp_save_sessions") == "yes"
    assert offer.preference("ntp_detached_sessions") == "yes"


def test_the_md5_loop_reports_the_md5_of_the_plugins(config: Path, port: int) -> None:
    async def otp_login() -> ServerOffer:
        client = await ClientConnection.open(
            "127.0.0.1", port, extensions=("md5_caching",), io_timeout=PATIENCE
        )
        try:
            return await client.login("tester", "testpass")
        finally:
            await client.close()

    with running(config, port):
        offer = asyncio.run(otp_login())
    assert offer.plugins_md5 is not None
    plugins = load_plugins(builtin_origins())
    assert offer.plugins_md5.md5 == build_offer(parse_config(""), plugins).md5


def test_a_wrong_password_is_a_failed_login(config: Path, port: int) -> None:
    with running(config, port), pytest.raises(LoginFailed):
        asyncio.run(log_in(port, password="wrong"))


def test_the_log_file_records_the_start_and_each_login(
    tmp_path: Path, config: Path, port: int
) -> None:
    with running(config, port):
        asyncio.run(log_in(port))
    log = (tmp_path / "ixiond.log").read_text()
    assert f"listening on 127.0.0.1 port {port}" in log
    assert "user tester logged in" in log


def test_the_state_and_users_directories_and_the_global_rules_are_created(
    tmp_path: Path, port: int
) -> None:
    config = write_config(tmp_path)
    with running(config, port):
        pass
    state = tmp_path / "state"
    assert (state / "users").is_dir()
    assert "default reject" in (state / "ixiond.rules").read_text()


def test_clients_logging_in_at_once_are_all_served_while_one_sends_garbage_and_one_stalls(
    config: Path, port: int
) -> None:
    async def scenario() -> tuple[list[ServerOffer], bytes]:
        _, stalled = await asyncio.open_connection("127.0.0.1", port)
        garbage_reader, garbage = await asyncio.open_connection("127.0.0.1", port)
        garbage.write(b"\x16\x03\x01\x02\x00" + bytes(range(256)) * 40 + b"\n")
        offers = await asyncio.gather(*(log_in(port) for _ in range(6)))
        async with asyncio.timeout(PATIENCE):
            dropped = await garbage_reader.read()
        for writer in (stalled, garbage):
            writer.close()
        return list(offers), dropped

    with running(config, port) as proc:
        offers, dropped = asyncio.run(scenario())
        assert proc.poll() is None
        assert asyncio.run(log_in(port)).preference("max_hosts") == "7"
    assert [offer.preference("max_hosts") for offer in offers] == ["7"] * 6
    assert b"< NTP/1.2 >" not in dropped  # refused, not answered as a banner


def test_the_daemon_keeps_accepting_after_running_out_of_file_descriptors(
    tmp_path: Path, config: Path, port: int
) -> None:
    def few_descriptors() -> None:
        resource.setrlimit(
            resource.RLIMIT_NOFILE, (32, resource.getrlimit(resource.RLIMIT_NOFILE)[1])
        )

    log = tmp_path / "ixiond.log"
    with running(config, port, preexec_fn=few_descriptors) as proc:
        idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(60)]
        try:
            deadline = time.monotonic() + PATIENCE
            # At the limit it stops accepting (ixion.server.accepting): one line, no storm.
            limit_reached = ("the most this daemon serves at once", "cannot accept connections")
            while not any(line in log.read_text() for line in limit_reached):
                assert time.monotonic() < deadline, "ixiond never ran out of descriptors"
                time.sleep(0.05)
        finally:
            for sock in idle:
                sock.close()
        offer = asyncio.run(log_in(port))
        assert proc.poll() is None
    assert offer.preference("max_hosts") == "7"


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_termination_signal_closes_the_clients_and_exits_0(
    config: Path, port: int, signum: signal.Signals
) -> None:
    with (
        running(config, port) as proc,
        socket.create_connection(("127.0.0.1", port), timeout=PATIENCE) as client,
    ):
        client.sendall(BANNER)
        assert client.recv(100).startswith(BANNER)
        proc.send_signal(signum)
        assert proc.wait(PATIENCE) == 0
        while client.recv(100):  # the rest of the prompt, then the close
            pass
    assert not answers_banner(port)


def test_tls_serves_a_client_that_trusts_the_ca_from_ixion_mkcert(
    tmp_path: Path, config: Path, port: int
) -> None:
    subprocess.run(
        [BIN / "ixion-mkcert", "-c", config], check=True, capture_output=True, timeout=PATIENCE
    )
    config.write_text(config.read_text().replace("ssl_version = NONE", "ssl_version = TLSv1"))
    context = ssl.create_default_context(cafile=tmp_path / "state" / "tls" / "cacert.pem")
    with running(config, port, plain=False):
        offer = asyncio.run(log_in(port, ssl_context=context))
    assert offer.preference("max_hosts") == "7"


# --- detaching -------------------------------------------------------------------------------


def test_dash_d_detaches_writes_a_pid_file_and_sigterm_removes_it(
    tmp_path: Path, config: Path, port: int
) -> None:
    pidfile = tmp_path / "state" / PIDFILE_NAME
    pid = None
    try:
        started = ixiond("-c", config, "-a", "127.0.0.1", "-p", str(port), "-D")
        assert started.returncode == 0, started.stderr
        pid = int(pidfile.read_text())
        wait_until_serving(port)
        assert asyncio.run(log_in(port)).preference("max_hosts") == "7"
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + PATIENCE
        while pidfile.exists() or answers_banner(port):
            assert time.monotonic() < deadline, "ixiond -D did not stop"
            time.sleep(0.05)
    finally:
        if pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


# --- the command line ------------------------------------------------------------------------


def test_dash_v_prints_the_version() -> None:
    result = ixiond("-v")
    assert (result.returncode, result.stdout) == (0, f"ixiond (ixion) {__version__}\n")


def test_dash_s_prints_the_loaded_configuration_with_its_path_first(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    result = ixiond("-c", config, "-s")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        f"config_file = {config}",
        f"state_dir = {tmp_path / 'state'}",
        "ssl_version = NONE",
        f"logfile = {tmp_path / 'ixiond.log'}",
        "max_hosts = 7",
    ]


def test_dash_s_with_a_missing_file_creates_it_with_the_defaults(tmp_path: Path) -> None:
    config = tmp_path / "new" / "ixiond.conf"
    result = ixiond("-c", config, "-s")
    assert result.returncode == 0, result.stderr
    assert config.read_text() == default_config_text(default_locations())
    assert "max_hosts = 30\n" in result.stdout


def test_dash_g_writes_the_default_configuration_and_leaves_an_existing_one_alone(
    tmp_path: Path,
) -> None:
    config = tmp_path / "ixiond.conf"
    first = ixiond("-c", config, "-g")
    assert first.returncode == 0, first.stderr
    assert config.read_text() == default_config_text(default_locations())
    config.write_text("max_hosts = 3\n")
    again = ixiond("-c", config, "-g")
    assert again.returncode == 0
    assert "left unchanged" in again.stderr
    assert config.read_text() == "max_hosts = 3\n"


def test_a_bad_config_value_exits_1_naming_the_file_line_and_key(tmp_path: Path) -> None:
    config = write_config(tmp_path, "max_checks = many\n")
    result = ixiond("-c", config, "-a", "127.0.0.1", "-p", str(free_port()))
    assert result.returncode == 1
    assert f"{config}:5: max_checks = many: not an integer" in result.stderr


def test_a_relative_logfile_exits_1(tmp_path: Path) -> None:
    config = write_config(tmp_path, "logfile = ixiond.log\n")
    config.write_text(config.read_text().replace(f"logfile = {tmp_path / 'ixiond.log'}\n", ""))
    result = ixiond("-c", config, "-a", "127.0.0.1", "-p", str(free_port()))
    assert result.returncode == 1
    assert "logfile = ixiond.log: not an absolute path" in result.stderr


def test_a_port_in_use_exits_1(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = ixiond("-c", config, "-a", "127.0.0.1", "-p", str(port))
    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1 port {port}" in result.stderr


# --- TLS set-up, in process ------------------------------------------------------------------


def tls_settings(tmp_path: Path) -> Any:
    locations = Locations(config_file=tmp_path / "c", state_dir=tmp_path)
    return resolve_settings(parse_config("ssl_version = TLSv1\n"), locations).settings


def test_without_the_tls_module_tls_is_refused_with_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delattr(ixion.server, "tls", raising=False)
    monkeypatch.setitem(sys.modules, "ixion.server.tls", None)
    with pytest.raises(StartupError, match=r"ixion\.server\.tls is missing.*ssl_version = NONE"):
        tls_context(tls_settings(tmp_path))


def test_a_tls_set_up_failure_is_a_startup_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def server_context(settings: Any) -> ssl.SSLContext:
        raise ValueError("cert_file = /x: no such file")

    fake = ModuleType("ixion.server.tls")
    fake.server_context = server_context  # type: ignore[attr-defined]
    monkeypatch.setattr(ixion.server, "tls", fake, raising=False)
    monkeypatch.setitem(sys.modules, "ixion.server.tls", fake)
    with pytest.raises(StartupError, match="cannot set up TLS: cert_file = /x: no such file"):
        tls_context(tls_settings(tmp_path))


def test_plain_text_needs_no_tls_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(ixion.server, "tls", raising=False)
    monkeypatch.setitem(sys.modules, "ixion.server.tls", None)
    locations = Locations(config_file=tmp_path / "c", state_dir=tmp_path)
    settings = resolve_settings(parse_config("ssl_version = NONE\n"), locations).settings
    assert tls_context(settings) is None
