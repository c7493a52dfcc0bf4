"""What plugins log in a host's worker reaches the daemon's log, capped per plugin, and a
malformed PluginLog line is refused like any bad event."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from ixion.engine.events import (
    LOG_TEXT_CHARS,
    EventError,
    Finding,
    PluginLog,
    from_json,
    to_json,
)
from ixion.engine.worker_main import LOGS_PER_PLUGIN
from tests.engine.plugin_files import job, write_plugin
from tests.engine.test_worker import finished, run_scan


def test_a_noisy_plugin_is_logged_up_to_the_cap_and_its_findings_still_arrive(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    origins = [
        write_plugin(
            tmp_path,
            "noisy",
            7,
            """
            for i in range(50):
                ctx.log.warning("complaint %d\\nforged line", i)
            ctx.log.info("not for the daemon")
            ctx.note("done")
            """,
        ),
        write_plugin(tmp_path, "quiet", 8, 'ctx.log.error("one problem")'),
    ]
    caplog.set_level(logging.INFO)
    events = run_scan([job(origins, host="host-a", enabled={7, 8})])
    assert finished(events) == {"host-a": ""}
    assert [e.text for e in events if isinstance(e, Finding)] == [
        "done\nQuality of detection: 70%\n"
    ]
    assert not any(isinstance(e, PluginLog) for e in events), "not passed on to clients"
    noisy = [r for r in caplog.records if r.name == "ixion.plugin.noisy.py"]
    assert [r.getMessage() for r in noisy] == [
        *(f"host-a: complaint {i}\\nforged line" for i in range(LOGS_PER_PLUGIN)),
        f"host-a: more than {LOGS_PER_PLUGIN} messages; further ones suppressed",
    ]
    assert {r.levelno for r in noisy} == {logging.WARNING}
    quiet = [r for r in caplog.records if r.name == "ixion.plugin.quiet.py"]
    assert [(r.levelno, r.getMessage()) for r in quiet] == [(logging.ERROR, "host-a: one problem")]


GOOD = PluginLog("h", 7, logging.WARNING, "ixion.plugin.x.nasl", "x.nasl:3: undefined")


def test_a_well_formed_plugin_log_round_trips() -> None:
    assert from_json(to_json(GOOD)) == GOOD
    nasl = PluginLog("h", 0, logging.ERROR, "ixion.engine.nasl_run", "m")
    assert from_json(to_json(nasl)) == nasl


@pytest.mark.parametrize(
    "change",
    [
        {"level": 25},
        {"level": "30"},
        {"level": True},
        {"plugin_id": "7"},
        {"logger": "ixion.server.auth"},
        {"logger": "ixion.pluginx"},
        {"logger": "ixion.plugin." + "a" * 300},
        {"message": "m" * (LOG_TEXT_CHARS + 1)},
        {"message": 3},
        {"extra": 1},
    ],
)
def test_a_malformed_plugin_log_is_refused(change: dict[str, object]) -> None:
    data = json.loads(to_json(GOOD))
    data.update(change)
    with pytest.raises(EventError):
        from_json(json.dumps(data).encode())
