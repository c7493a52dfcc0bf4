"""A NASL script's warnings, logged in its host's worker, reach ixiond's log: whoever runs the
daemon sees that a script called a function ixion lacks, where, and which.

The script opens no socket; the scan reaches nothing but the daemon on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from ixion.client.connection import ClientConnection
from ixion.ntp import Message, ReportKind
from tests.server.test_daemon import PATIENCE, free_port, running
from tests.server.test_nasl_scan import daemon, reports, scan

LACKING = b"""\
if (description) {
  script_oid("1.3.6.1.4.1.25623.1.0.900131");
  script_name("Calls a missing function (NASL test)");
  script_category(ACT_GATHER_INFO);
  script_family("General");
  exit(0);
}
no_such_function_xyz();
security_note(port:0, data:"went on");
"""


def test_an_undefined_function_a_script_calls_is_in_the_daemon_log(tmp_path: Path) -> None:
    config = daemon(tmp_path)
    (tmp_path / "state" / "plugins" / "lacking.nasl").write_bytes(LACKING)

    async def scenario(port: int) -> list[Message]:
        client = await ClientConnection.open("127.0.0.1", port, io_timeout=PATIENCE)
        await client.login("tester", "testpass")
        seen = await scan(client, str(free_port()), "900131")
        await client.close()
        return seen

    port = free_port()
    with running(config, port):
        seen = asyncio.run(asyncio.wait_for(scenario(port), 60))
    assert reports(seen, 900131) == [(ReportKind.NOTE, "went on\nQuality of detection: 70%\n")]
    log = (tmp_path / "ixiond.log").read_text()
    [line] = [line for line in log.splitlines() if "no_such_function_xyz" in line]
    # The plugin's own logger, the host first, then the script's file and line of the call.
    assert " WARNING ixion.plugin.lacking.nasl: 127.0.0.1: " in line
    assert "lacking.nasl:8: undefined function no_such_function_xyz() called" in line
