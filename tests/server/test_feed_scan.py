"""Real community NASL plugins, unchanged, scanned with by a real ixiond against the lab.

The feed is not part of ixion: it is read from a snapshot outside the repository
(``$IXION_NASL_FEED``, default ``/tmp/feed/nvt-feed``: the ``openvas-feeds/nvt-feed``
folder of the public repository ``jbeasl7/openvas-feed-sync-local`` at commit
``1801060e481a2dda16e6c3959478592ad04ddb5b``; ``bench/extract_feed.py`` makes it). Without
it these tests are skipped, saying why.

For each check under test, the scripts of its ``script_dependencies`` closure and every
``.inc`` library are copied into the daemon's ``plugins_folder``: the same plugins a feed
user has, minus the thousands that would not apply to the lab. ixiond describes them, lists
them, and runs the closure in dependency order, with ``find_service.nasl``'s built-in service
detection done by ixion's own (:mod:`ixion.engine.nasl_hooks`).
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Final

import pytest

from ixion.client.connection import ClientConnection
from ixion.nasl.catalog.describe import Describer, DescriptionError
from ixion.nasl.catalog.plugin_info import plugin_id
from ixion.ntp import (
    AttachedFile,
    Bye,
    FileAccepted,
    LongAttack,
    Message,
    Preferences,
    PreferencesErrors,
    Report,
)
from tests.lab import Lab
from tests.server.test_daemon import PATIENCE, add_user, free_port, running, write_config

FEED: Final = Path(os.environ.get("IXION_NASL_FEED", "/tmp/feed/nvt-feed"))
SCANNER: Final = 10335
#: The checks a user would run against web, FTP, mail and SSH servers.
CHECKS: Final = (
    "http_version.nasl",
    "ftpserver_detect_type_nd_version.nasl",
    # Reports what secpod_ftp_anonymous.nasl (its dependency) found and kept in the KB.
    "gb_ftp_anonymous_detect.nasl",
    "smtpserver_detect.nasl",
    "ssh_detect.nasl",
)

pytestmark = pytest.mark.skipif(
    not (FEED / "http_func.inc").is_file(),
    reason=f"no NASL feed snapshot at {FEED} (set IXION_NASL_FEED; see bench/extract_feed.py)",
)


def closure(names: tuple[str, ...]) -> dict[str, tuple[Path, int]]:
    """Each script the checks need, transitively: file name -> (path in the feed, NTP id)."""
    index: dict[str, Path] = {}
    for path in FEED.rglob("*.nasl"):
        index.setdefault(path.name, path)
    describer = Describer([FEED])
    found: dict[str, tuple[Path, int]] = {}
    stack = list(names)
    while stack:
        name = stack.pop()
        if name in found or name not in index:
            continue
        try:
            meta = describer.describe(index[name])
        except DescriptionError:
            continue
        found[name] = (index[name], plugin_id(meta))
        stack.extend(meta.dependencies)
    return found


def feed_daemon(tmp_path: Path, checks: tuple[str, ...]) -> tuple[Path, dict[str, int]]:
    """A daemon configuration (user ``tester``) whose ``plugins_folder`` holds the checks'
    closure and every ``.inc``; and the NTP id of each script, by file name."""
    scripts = closure(checks)
    config = write_config(tmp_path, "auto_enable_dependencies = yes\nplugins_timeout = 60\n")
    add_user(config)
    folder = tmp_path / "state" / "plugins"
    folder.mkdir(parents=True)
    for path in FEED.glob("*.inc"):
        shutil.copy(path, folder)
    for name, (path, _) in scripts.items():
        shutil.copy(path, folder / name)
    return config, {name: plugin_id for name, (_, plugin_id) in scripts.items()}


async def attack(
    port: int, items: Sequence[tuple[str, str]], files: Sequence[AttachedFile] = ()
) -> list[Message]:
    """As ``tester``: set ``items``, attach ``files``, scan 127.0.0.1; what came until BYE."""
    client = await ClientConnection.open("127.0.0.1", port, io_timeout=PATIENCE * 4)
    await client.login("tester", "testpass")
    await client.send(Preferences(items=tuple(items)))
    assert isinstance(await client.receive(), PreferencesErrors)
    for file in files:
        await client.send(file)
        assert isinstance(await client.receive(), FileAccepted)
    await client.send(LongAttack(targets="127.0.0.1"))
    seen: list[Message] = []
    while not isinstance(msg := await client.receive(), Bye):
        seen.append(msg)
    await client.close()
    return seen


@pytest.fixture(scope="module")
def feed_scan(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[dict[str, int], list[Message], Path]]:
    tmp_path = tmp_path_factory.mktemp("feed")
    config, all_ids = feed_daemon(tmp_path, CHECKS)
    ids = [all_ids[name] for name in CHECKS]

    with Lab() as lab:
        ports = ",".join(str(lab.ports[name]) for name in ("http", "ftp", "smtp", "ssh"))
        items = (
            ("port_range", ports),
            ("plugin_set", ";".join(map(str, [SCANNER, *ids]))),
            ("ntp_client_accepts_notes", "yes"),
        )
        port = free_port()
        with running(config, port):
            seen = asyncio.run(asyncio.wait_for(attack(port, items), 300))
        yield {"ids": dict(zip(CHECKS, ids, strict=True)), **lab.ports}, seen, tmp_path  # type: ignore[dict-item]


def texts(seen: list[Message], plugin: int, port: int) -> str:
    return "\n".join(
        m.text
        for m in seen
        if isinstance(m, Report) and m.plugin_id == str(plugin) and m.port.number == port
    )


def test_http_server_type_and_version(
    feed_scan: tuple[dict[str, int], list[Message], Path],
) -> None:
    lab, seen, _ = feed_scan
    text = texts(seen, lab["ids"]["http_version.nasl"], lab["http"])  # type: ignore[index]
    assert "The remote HTTP Server banner is:" in text
    assert "Server: SimpleHTTP/" in text


def test_ftp_banner_and_anonymous_login(
    feed_scan: tuple[dict[str, int], list[Message], Path],
) -> None:
    lab, seen, _ = feed_scan
    banner = texts(seen, lab["ids"]["ftpserver_detect_type_nd_version.nasl"], lab["ftp"])  # type: ignore[index]
    assert "Remote FTP server banner:" in banner
    assert "pyftpdlib" in banner
    anonymous = texts(seen, lab["ids"]["gb_ftp_anonymous_detect.nasl"], lab["ftp"])  # type: ignore[index]
    assert "It was possible to login to the remote FTP service" in anonymous
    assert "anonymous:" in anonymous
    # The lab's FTP root holds one file; the check lists it.
    assert "README" in anonymous


def test_smtp_banner(feed_scan: tuple[dict[str, int], list[Message], Path]) -> None:
    lab, seen, _ = feed_scan
    text = texts(seen, lab["ids"]["smtpserver_detect.nasl"], lab["smtp"])  # type: ignore[index]
    assert "Remote SMTP server banner:" in text
    assert "220 " in text


def test_ssh_server_type_and_version(feed_scan: tuple[dict[str, int], list[Message], Path]) -> None:
    lab, seen, _ = feed_scan
    text = texts(seen, lab["ids"]["ssh_detect.nasl"], lab["ssh"])  # type: ignore[index]
    assert "AsyncSSH" in text
