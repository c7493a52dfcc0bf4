"""``ixion plugins`` and ``ixion sessions`` run as a person runs them, against a real ixiond
with a store and the reporting plugins of :mod:`tests.server.keeping_harness`."""

from __future__ import annotations

import asyncio
import json
import os
import pty
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from ixion.reports.nbe import read_nbe
from tests.server.keeping_harness import (
    STREAM,
    SUMMARY,
    keeping_daemon,
    log_in,
    scan,
    scan_preferences,
)
from tests.server.test_daemon import BIN, PATIENCE, free_port, running

ACCOUNT = {"IXION_USER": "tester", "IXION_PASSWORD": "testpass"}


def ixion(*args: str | Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("IXION_")}
    return subprocess.run(
        [str(BIN / "ixion"), *map(str, args)],
        text=True,
        capture_output=True,
        timeout=PATIENCE * 3,
        check=False,
        env={**environ, **(ACCOUNT if env is None else env)},
    )


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    config = keeping_daemon(tmp_path_factory.mktemp("daemon"))
    port = free_port()
    with running(config, port):
        yield f"tcp://127.0.0.1:{port}"


def test_plugins_are_listed_filtered_and_searched(url: str) -> None:
    everything = ixion("plugins", "list", "--json", url)
    assert everything.returncode == 0, everything.stderr
    listed = json.loads(everything.stdout)
    assert {p["id"] for p in listed} >= {str(STREAM), str(SUMMARY)}
    plain = ixion("plugins", "list", url)
    assert plain.stdout.count("\n") == len(listed)

    tests = ixion("plugins", "list", "--family", "test", url)
    assert tests.returncode == 0, tests.stderr
    assert tests.stdout.splitlines() == [
        f"{STREAM}\tTest\tinfos\tStream check",
        f"{SUMMARY}\tTest\tattack\tStream summary",
    ]
    attacks = ixion("plugins", "list", "--family", "Test", "--category", "attack", url)
    assert attacks.stdout == f"{SUMMARY}\tTest\tattack\tStream summary\n"

    found = ixion("plugins", "search", url, "STEADILY")
    assert found.stdout == f"{STREAM}\tTest\tinfos\tStream check\n"
    nothing = ixion("plugins", "search", url, "no plugin says this")
    assert (nothing.returncode, nothing.stdout) == (0, "")

    with_cve = [p for p in listed if p["cve"]]
    assert with_cve, "the built-in plugins name CVE ids"
    cve = with_cve[0]["cve"][0]
    by_cve = ixion("plugins", "search", "--json", "--cve", cve.lower(), url)
    assert {p["id"] for p in json.loads(by_cve.stdout)} == {
        p["id"] for p in listed if cve in p["cve"]
    }
    by_text = ixion("plugins", "search", "--json", url, cve)
    assert {p["id"] for p in json.loads(by_text.stdout)} >= {p["id"] for p in with_cve[:1]}


def test_one_plugin_is_shown_whole(url: str) -> None:
    shown = ixion("plugins", "show", url, str(STREAM))
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    for line in (
        f"id: {STREAM}",
        "name: Stream check",
        "family: Test",
        "category: infos",
        "summary: reports steadily",
        "description: Reports.",
    ):
        assert line in lines
    facts = json.loads(ixion("plugins", "show", "--json", url, str(SUMMARY)).stdout)
    assert facts["name"] == "Stream summary"
    assert facts["category"] == "attack"
    assert facts["description"] == "Summarises."
    assert (facts["cve"], facts["bid"], facts["tags"]) == ([], [], {})
    missing = ixion("plugins", "show", url, "99999999")
    assert missing.returncode == 1
    assert "has no plugin 99999999" in missing.stderr


def test_a_terminal_gets_a_table(url: str) -> None:
    main, child = pty.openpty()
    env = {**os.environ, **ACCOUNT, "COLUMNS": "100", "TERM": "xterm"}
    env.pop("NO_COLOR", None)
    with subprocess.Popen(
        [str(BIN / "ixion"), "plugins", "list", "--family", "Test", url],
        stdout=child,
        stderr=subprocess.PIPE,
        env=env,
    ) as proc:
        os.close(child)
        chunks = []
        while True:
            try:
                chunk = os.read(main, 65536)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            chunks.append(chunk)
        assert proc.wait(PATIENCE) == 0
    os.close(main)
    screen = b"".join(chunks).decode()
    assert "Stream check" in screen
    assert "Stream summary" in screen
    assert "\t" not in screen
    assert "━" in screen or "─" in screen  # a table's rules


def test_login_problems_have_their_own_status(url: str, tmp_path: Path) -> None:
    wrong = ixion("plugins", "list", url, env={"IXION_USER": "tester", "IXION_PASSWORD": "no"})
    assert wrong.returncode == 3
    assert "refused the login of tester" in wrong.stderr
    none = ixion("sessions", "list", url, env={})
    assert none.returncode == 3
    assert "IXION_USER and IXION_PASSWORD" in none.stderr
    account = tmp_path / "account.toml"
    account.write_text('user = "tester"\npassword = "testpass"\n')
    from_file = ixion("sessions", "list", "--credentials-file", account, url, env={})
    assert from_file.returncode == 0, from_file.stderr
    nobody = ixion("plugins", "list", f"tcp://127.0.0.1:{free_port()}")
    assert nobody.returncode == 4
    assert "cannot connect" in nobody.stderr
    bad_url = ixion("plugins", "list", "ftp://127.0.0.1")
    assert bad_url.returncode == 2


def test_sessions_are_listed_restored_and_deleted(url: str, tmp_path: Path) -> None:
    port = int(url.rsplit(":", 1)[1])

    async def saved_scan() -> None:
        client = await log_in(port)
        await scan(client, "127.0.0.1, 127.0.0.2", scan_preferences(save_session="yes"))
        await client.close()

    asyncio.run(asyncio.wait_for(saved_scan(), 60))
    listed = ixion("sessions", "list", url)
    assert listed.returncode == 0, listed.stderr
    ((name, targets),) = [line.split("\t") for line in listed.stdout.splitlines()]
    assert targets == "127.0.0.1, 127.0.0.2"
    as_json = json.loads(ixion("sessions", "list", "--json", url).stdout)
    assert as_json == [{"session": name, "targets": targets}]

    report = tmp_path / "restored.nbe"
    restored = ixion("sessions", "restore", url, name, "-o", report)
    assert restored.returncode == 0, restored.stderr
    results = read_nbe(report.read_bytes())
    assert sorted({f.host for f in results.findings}) == ["127.0.0.1", "127.0.0.2"]
    assert sum("finding 4 on 127.0.0.2" in f.text for f in results.findings) == 1
    shown = ixion("sessions", "restore", url, name)
    assert shown.returncode == 0, shown.stderr
    assert "127.0.0.2" in shown.stdout

    unknown = ixion("sessions", "restore", url, "20200101-000000", "-o", tmp_path / "no.nbe")
    assert unknown.returncode == 1
    assert "no saved session 20200101-000000" in unknown.stderr
    assert not (tmp_path / "no.nbe").exists()

    deleted = ixion("sessions", "delete", url, name)
    assert deleted.returncode == 0, deleted.stderr
    assert ixion("sessions", "list", url).stdout == ""
    again = ixion("sessions", "delete", url, name)
    assert again.returncode == 1
    assert f"no session {name}" in again.stderr


def test_detached_scans_are_listed_and_stopped(tmp_path: Path) -> None:
    config = keeping_daemon(tmp_path)
    rc = tmp_path / "nessusrc"
    rc.write_text(
        "ssl_version = NONE\nbegin(SERVER_PREFS)\n detached_scan = yes\n stream_count = 500\n"
        f" stream_delay = 0.05\nend(SERVER_PREFS)\nbegin(PLUGIN_SET)\n {STREAM} = yes\n"
        "end(PLUGIN_SET)\n"
    )
    targets = tmp_path / "targets"
    targets.write_text("127.0.0.3\n")
    port = free_port()
    url = f"tcp://127.0.0.1:{port}"
    with running(config, port):
        server = ("127.0.0.1", str(port), "tester", "testpass")
        started = ixion("-q", "-c", rc, *server, targets, tmp_path / "empty.nbe")
        assert started.returncode == 0, started.stderr
        listed = ixion("sessions", "list", "--detached", url)
        ((number, target),) = [line.split("\t") for line in listed.stdout.splitlines()]
        assert target == "127.0.0.3"
        stopped = ixion("sessions", "stop", url, number)
        after = ixion("sessions", "list", "--detached", "--json", url)
        wrong = ixion("sessions", "stop", url, "999")
    assert stopped.returncode == 0, stopped.stderr
    assert json.loads(after.stdout) == []
    assert wrong.returncode == 1
    assert "no detached scan 999" in wrong.stderr


def test_every_command_explains_itself_with_examples() -> None:
    for command in (
        ("plugins",),
        ("plugins", "list"),
        ("plugins", "search"),
        ("plugins", "show"),
        ("sessions",),
        ("sessions", "list"),
        ("sessions", "restore"),
        ("sessions", "delete"),
        ("sessions", "stop"),
    ):
        shown = ixion(*command, "--help")
        assert shown.returncode == 0, shown.stderr
        assert "Examples:" in shown.stdout
        assert f"ixion {' '.join(command)}" in shown.stdout
