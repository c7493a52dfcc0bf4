"""``ixion -q`` and the client's own commands start without loading ``ixion scan``.

``scan`` brings the engine, NASL and the server with it: half a second before a batch scan
or a plugin listing could even connect (issue 14 gives each 2 s of CPU with a whole feed).
The entry point imports the app's commands only for a line that may need them.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

_PROBE = """
import sys
from ixion.app.main import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
print("loaded:", "ixion.app.command" in sys.modules, "ixion.engine" in sys.modules)
"""


def _loaded(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, *args], capture_output=True, text=True, timeout=60
    )
    return done.stdout.splitlines()[-1]


@pytest.mark.parametrize("args", [("-q", "--help"), ("plugins", "--help"), ("report", "--help")])
def test_the_client_alone_answers_without_the_scan_command(args: tuple[str, ...]) -> None:
    assert _loaded(*args) == "loaded: False False"


@pytest.mark.parametrize("args", [("--help",), ("scan", "--help")])
def test_lines_that_may_need_the_scan_command_load_it(args: tuple[str, ...]) -> None:
    assert _loaded(*args) == "loaded: True True"
