"""A NASL plugin calling a function that exists nowhere: the engine's NASL runner logs it as
a warning naming the script, the file and line of the call and the function, once per
function per run, and the script goes on."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from ixion.engine.events import Finding
from tests.engine.test_nasl_plugins import make_job, nasl, outcome, scan

if TYPE_CHECKING:
    from pathlib import Path

    import pytest


def test_an_undefined_function_is_logged_once_with_its_place(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "helpers.inc").write_bytes(b"function probe() { return no_such_builtin(1); }\n")
    nasl(
        tmp_path,
        "missing.nasl",
        b'include("helpers.inc");\n'
        b"for (i = 0; i < 3; i++) probe();\n"
        b"x = socket_ssl_do_handshake(socket: 1);\n"
        b'security_note(port: 0, data: "went on");\n',
        oid=900701,
    )
    with caplog.at_level(logging.INFO, logger="ixion.plugin"):
        _, events = scan(make_job(tmp_path, {900701}))
    assert outcome(events, 900701) == "done"
    assert [e.text.splitlines()[0] for e in events if isinstance(e, Finding)] == ["went on"]
    undefined = [
        r for r in caplog.records if r.name == "ixion.plugin.missing.nasl" and "undefined" in r.msg
    ]
    # Three calls of the first, one of the second: one record each, where each call is.
    assert [(r.levelno, r.getMessage()) for r in undefined] == [
        (
            logging.WARNING,
            "missing.nasl: helpers.inc:1: undefined function no_such_builtin() called; "
            "the script goes on without it",
        ),
        (
            logging.WARNING,
            "missing.nasl: missing.nasl:10: undefined function socket_ssl_do_handshake() "
            "called; the script goes on without it",
        ),
    ]
