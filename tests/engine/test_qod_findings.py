"""Every finding carries its quality of detection: the plugin's, or what the finding restates,
in the event, in its text, and across the JSON line from a worker process to the daemon."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from ixion.engine.context import HostContext, report_text
from ixion.engine.events import Event, EventError, Finding, Severity, from_json, to_json
from ixion.plugin_api.kb import KnowledgeBase
from ixion.plugin_api.metadata import Category, PluginInfo
from ixion.plugin_api.qod import Qod, QodType
from tests.engine.plugin_files import job
from tests.engine.test_worker import run_scan
from tests.plugins.helpers import make_job

BANNER_CHECK = """\
from ixion.plugin_api.metadata import Category, PluginInfo
from ixion.plugin_api.qod import Qod, QodType
INFO = PluginInfo(id=91000310, filename="banner_check.py", name="Banner check",
    family="Test", category=Category.ATTACK, summary="s", description="d",
    cve=("CVE-2024-6387",), qod=Qod.of(QodType.REMOTE_BANNER))
async def run(ctx):
    ctx.hole("version 9.2p1 is affected", port=22)
    ctx.hole("the flaw answered", port=22, qod_type=QodType.EXPLOIT)
    ctx.warning("a guess", qod=30)
"""

FINDING = Finding("h", Severity.HOLE, 22, "tcp", "t\n", 7, 80, "remote_banner")


def test_findings_of_a_worker_carry_the_plugin_qod_or_the_one_they_restate(
    tmp_path: Path,
) -> None:
    path = tmp_path / "banner_check.py"
    path.write_text(BANNER_CHECK)
    events: list[Event] = run_scan([job([str(path)], enabled={91000310})])
    found = [
        (e.qod, e.qod_type, e.text)
        for e in events
        if isinstance(e, Finding) and e.plugin_id == 91000310
    ]
    assert found == [
        (
            80,
            "remote_banner",
            "version 9.2p1 is affected\nCVE : CVE-2024-6387\n"
            "Quality of detection: 80% (remote_banner)\n",
        ),
        (
            100,
            "exploit",
            "the flaw answered\nCVE : CVE-2024-6387\nQuality of detection: 100% (exploit)\n",
        ),
        (
            30,
            "remote_banner",
            "a guess\nCVE : CVE-2024-6387\nQuality of detection: 30% (remote_banner)\n",
        ),
    ]


def test_a_plugin_without_a_qod_reports_70_without_a_type() -> None:
    info = PluginInfo(
        id=91000311,
        filename="plain.py",
        name="Plain",
        family="Test",
        category=Category.ATTACK,
        summary="s",
        description="The description.",
    )
    events: list[Event] = []
    kb = KnowledgeBase()
    ctx = HostContext(info=info, job=make_job([1]), kb=kb, emit=events.append)
    ctx.note()
    assert events == [
        Finding(
            "127.0.0.1",
            Severity.NOTE,
            0,
            "tcp",
            "The description.\nQuality of detection: 70%\n",
            91000311,
            70,
            "",
        )
    ]
    # The KB keeps the text the plugin sent, line included (SentData, as nessusd kept it).
    assert kb.get("SentData/91000311/NOTE") == "The description.\nQuality of detection: 70%\n"
    with pytest.raises(ValueError, match="0 to 100"):
        ctx.hole("too sure", qod=101)
    with pytest.raises(ValueError, match="rumour"):
        ctx.hole("no such kind", qod_type="rumour")  # type: ignore[arg-type]
    assert len(events) == 1


def test_the_qod_line_comes_after_the_references() -> None:
    info = PluginInfo(
        id=91000312,
        filename="refs.py",
        name="Refs",
        family="Test",
        category=Category.ATTACK,
        summary="s",
        description="d",
        cve=("CVE-1",),
        bid=("2",),
        xrefs=("URL:u",),
        qod=Qod.of(QodType.PACKAGE),
    )
    assert report_text(info, "x") == (
        "x\nCVE : CVE-1\nBID : 2\nOther references : URL:u\nQuality of detection: 97% (package)\n"
    )
    assert report_text(info, "x", Qod(5)).endswith("URL:u\nQuality of detection: 5%\n")


def test_a_finding_goes_through_json_with_its_qod() -> None:
    assert from_json(to_json(FINDING)) == FINDING
    empty = dataclasses.replace(FINDING, qod=0, qod_type="")
    assert from_json(to_json(empty)) == empty


def tampered(**fields: object) -> bytes:
    data = json.loads(to_json(FINDING))
    data.update(fields)
    return json.dumps(data).encode()


@pytest.mark.parametrize(
    "fields",
    [
        {"qod": 101},
        {"qod": -1},
        {"qod": "80"},
        {"qod": 80.0},
        {"qod": True},
        {"qod": None},
        {"qod_type": "rumour"},
        {"qod_type": 80},
        {"qod_type": "REMOTE_BANNER"},
    ],
)
def test_a_finding_with_a_bad_qod_is_not_an_event(fields: dict[str, object]) -> None:
    with pytest.raises(EventError):
        from_json(tampered(**fields))


def test_a_finding_without_its_qod_is_not_an_event() -> None:
    data = json.loads(to_json(FINDING))
    del data["qod"]
    with pytest.raises(EventError):
        from_json(json.dumps(data).encode())
