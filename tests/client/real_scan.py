"""A real ixiond and two web servers on 127.0.0.1 for ``ixion -q`` to scan.

One web server answers with an ordinary ``Server`` header, the other with one full of
markup, NBE's separator and a backslash, so the reports hold what a hostile host sends.
ixiond runs with its built-in plugins, a user allowed 127.0.0.1 only, and no TLS.
"""

from __future__ import annotations

import contextlib
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from tests.server.test_daemon import BIN, add_user, free_port, running, write_config

PING, SCANNER = 10180, 10335
#: ixion's built-in plugin that reports a web server's banner.
HTTP_VERSION = "90000020"
PLAIN_SERVER = "Apache/2.4.62 (Unix)"
HOSTILE_SERVER = '<b>x</b>|=HYPERLINK("y") \\n 1.2'


def _handler(banner: str) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def version_string(self) -> str:
            return banner

        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

    return Handler


@contextlib.contextmanager
def _web_server(banner: str) -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(banner))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_port
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@dataclass(frozen=True)
class Scanner:
    """Runs ``ixion -q`` against the daemon with the rc file and targets made for it."""

    port: int
    rc: Path
    targets: Path
    web_ports: tuple[int, ...]

    def _ixion(
        self, options: tuple[str, ...], files: tuple[str | Path, ...]
    ) -> subprocess.CompletedProcess[bytes]:
        """``ixion -q -c RC OPTIONS HOST PORT USER PASSWORD FILES``, as nessus -q is called."""
        login = ["127.0.0.1", str(self.port), "tester", "testpass"]
        return subprocess.run(
            [BIN / "ixion", "-q", "-c", self.rc, *options, *login, *files],
            timeout=180,
            capture_output=True,
            check=False,
        )

    def run(self, result: str | Path, *options: str) -> subprocess.CompletedProcess[bytes]:
        """A scan of the web servers into ``result``."""
        return self._ixion(options, (self.targets, result))

    def scan(self, result: Path, *options: str) -> None:
        """A scan that must succeed."""
        done = self.run(result, *options)
        assert done.returncode == 0, done.stderr.decode()

    def plugin_list(self) -> list[list[str]]:
        """``ixion -q -p``: the server's plugins, a list of fields each (spec §9.1)."""
        done = self._ixion(("-p",), ())
        assert done.returncode == 0, done.stderr.decode()
        return [line.split("|") for line in done.stdout.decode().splitlines()]


@contextlib.contextmanager
def scanning(tmp_path: Path) -> Iterator[Scanner]:
    """ixiond and the web servers, up while the block runs."""
    with _web_server(PLAIN_SERVER) as plain, _web_server(HOSTILE_SERVER) as hostile:
        config = write_config(tmp_path)
        add_user(config)
        rc = tmp_path / "nessusrc"
        rc.write_text(
            "ssl_version = NONE\n"
            f"begin(SERVER_PREFS)\n port_range = {plain},{hostile}\nend(SERVER_PREFS)\n"
            f"begin(SCANNER_SET)\n {PING} = yes\n {SCANNER} = yes\nend(SCANNER_SET)\n"
        )
        targets = tmp_path / "targets"
        targets.write_text("127.0.0.1\n")
        port = free_port()
        with running(config, port):
            yield Scanner(port=port, rc=rc, targets=targets, web_ports=(plain, hostile))
