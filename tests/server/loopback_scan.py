"""A real ixiond scanning loopback hosts that serve a port the test opened, with a plugin that
holds: the scans of the host-failure and crash tests (:mod:`tests.server.crash_harness`).

:func:`prepare` makes the configuration: user tester/testpass may scan :data:`HOSTS`, and the
plugins folder holds :data:`HOLD_PLUGIN` (and, for a catalogue build worth a process pool,
NASL scripts). :class:`LoopbackBanners` serves one TCP port, the same number on each host;
:func:`order_scan` orders a scan of it with the TCP scanner and the hold plugin, which reads
each open port's banner, writes which process scans which host to a marker file, and holds
for a while, so that a test can kill a worker in the middle of its host. Each ixiond runs as
its own subprocess (:func:`start_daemon`), tagged as :mod:`tests.processes` explains.
"""

from __future__ import annotations

import contextlib
import os
import socketserver
import subprocess
import threading
import time
from pathlib import Path
from typing import Final

from ixion.client.connection import ClientConnection
from ixion.ntp import AttachedFile, FileAccepted, LongAttack, Preferences, PreferencesErrors
from tests.processes import TAG_VARIABLE
from tests.server.keeping_harness import add_user_with_rules
from tests.server.test_daemon import IXIOND, write_config

__all__ = [
    "HOLD",
    "HOLD_ID",
    "HOSTS",
    "LoopbackBanners",
    "new_tag",
    "order_scan",
    "prepare",
    "start_daemon",
]

HOSTS: Final = ("127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.4")
SCANNER: Final = 10335
HOLD_ID: Final = 91000300
#: Seconds each host's plugin holds once it has said which process it runs in.
HOLD: Final = 2.5
#: NASL scripts in the plugins folder: enough for ixiond to describe them in a process pool
#: when its cache is gone, for about two seconds on two cores.
FEED_SCRIPTS: Final = 1500
KEY: Final = b"-----BEGIN PRIVATE KEY-----\ncrash test\n"

HOLD_PLUGIN: Final = f"""\
import asyncio, os
from ixion.plugin_api.metadata import Category, PluginInfo, PluginPreference, PreferenceType
INFO = PluginInfo(id={HOLD_ID}, filename="hold_check.py", name="Hold check", family="Test",
    category=Category.ATTACK, summary="reads banners, then holds", description="Holds.",
    dependencies=("tcp_scanner.py",),
    preferences=(PluginPreference("Key file", PreferenceType.FILE),))
async def run(ctx):
    banners = []
    for port in ctx.open_ports():
        async with await ctx.connect(port, timeout=5) as stream:
            banners.append((await stream.read_line(timeout=5)).decode().strip())
    with open(ctx.scan_preference("hold_marker"), "a") as marker:
        marker.write(f"{{os.getpid()}} {{ctx.host}}\\n")
    await asyncio.sleep(float(ctx.scan_preference("hold_seconds") or {HOLD}))
    key = ctx.preference_file("Key file")
    ctx.note(f"{{ctx.host}}: {{banners}}, key of {{len(key.read_bytes()) if key else 0}} bytes")
"""

NASL_SCRIPT: Final = """\
if (description) {{
  script_oid("1.3.6.1.4.1.25623.1.0.95{number:04d}");
  script_version("1.0");
  script_name("Crash test check {number}");
  script_category(ACT_GATHER_INFO);
  script_family("Test");
  script_copyright("ixion tests");
  exit(0);
}}
exit(0);
"""


class LoopbackBanners:
    """One TCP port, the same number on each of :data:`HOSTS`, answering a banner line."""

    def __init__(self) -> None:
        self.port = 0
        self._servers: list[socketserver.ThreadingTCPServer] = []

    def __enter__(self) -> LoopbackBanners:
        for _ in range(20):  # another program may hold the number on another address
            try:
                self._bind_all()
            except OSError:
                self._close()
                continue
            return self
        raise OSError("no port number free on every loopback host")

    def _bind_all(self) -> None:
        class Banner(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                with contextlib.suppress(OSError):
                    self.request.settimeout(5)
                    self.request.sendall(b"HELLO crash-test\r\n")
                    while self.request.recv(4096):
                        pass

        for host in HOSTS:
            server = socketserver.ThreadingTCPServer((host, self.port), Banner)
            server.daemon_threads = True
            self.port = server.server_address[1]
            self._servers.append(server)
            threading.Thread(target=server.serve_forever, daemon=True).start()

    def _close(self) -> None:
        for server in self._servers:
            server.shutdown()
            server.server_close()
        self._servers.clear()
        self.port = 0

    def __exit__(self, *exc: object) -> None:
        self._close()


def prepare(folder: Path, *, scripts: int = FEED_SCRIPTS) -> Path:
    """A configuration for the runs under ``folder``: user tester/testpass may scan
    :data:`HOSTS`, the plugins folder holds the hold plugin and ``scripts`` NASL scripts."""
    config = write_config(folder)
    add_user_with_rules(config, "tester", "testpass", ["accept 127.0.0.0/29", "default reject"])
    plugins = folder / "state" / "plugins"
    (plugins / "feed").mkdir(parents=True, exist_ok=True)
    (plugins / "hold_check.py").write_text(HOLD_PLUGIN)
    for number in range(scripts):
        (plugins / "feed" / f"crash_{number}.nasl").write_text(NASL_SCRIPT.format(number=number))
    return config


def start_daemon(config: Path, port: int, tag: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, TAG_VARIABLE: tag}
    with (config.parent / "ixiond.out").open("ab") as out:
        return subprocess.Popen(
            [*IXIOND, "-c", str(config), "-a", "127.0.0.1", "-p", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )


def new_tag() -> str:
    return f"crash-{os.getpid()}-{time.monotonic_ns()}"


async def order_scan(
    client: ClientConnection,
    targets: str,
    banner_port: int,
    marker: Path,
    *,
    plugins: tuple[int, ...] = (),
    hold: float = HOLD,
) -> None:
    """Preferences, the attached key file, and the attack order of a scan of ``targets``
    with the scanner, the hold plugin (holding ``hold`` seconds) and ``plugins``."""
    items = (
        ("ntp_keep_communication_alive", "yes"),
        ("ntp_opt_show_end", "yes"),
        ("ntp_client_accepts_notes", "yes"),
        ("port_range", str(banner_port)),
        ("max_hosts", "2"),
        ("plugin_set", ";".join(map(str, (SCANNER, HOLD_ID, *plugins)))),
        ("hold_marker", str(marker)),
        ("hold_seconds", str(hold)),
        ("Hold check[file]:Key file", "/home/alice/id_rsa"),
    )
    await client.send(Preferences(items=items))
    assert isinstance(await client.receive(), PreferencesErrors)
    await client.send(AttachedFile(name="/home/alice/id_rsa", data=KEY))
    assert isinstance(await client.receive(), FileAccepted)
    await client.send(LongAttack(targets=targets))
