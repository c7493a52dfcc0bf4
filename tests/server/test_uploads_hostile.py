"""Hostile uploads through a real ixiond (issue 15, item 2 and the upload quotas).

An ATTACHED_PLUGIN name is the one piece of client text that becomes a file name on the
server. A name whose bytes are not UTF-8 (b"\\xff\\xfe.nasl") used to be stored; from then on
the plugin catalog failed on it, so that user could never log in again, and when the user
was the administrator, ixiond no longer started. Names are now refused before they become a
path, files with such names left by an older ixiond are skipped with a log line, and uploads
are bounded by ``max_upload_bytes``, ``max_uploads_per_user`` and
``max_upload_bytes_per_user``: over a limit, that client is refused, the log says why, and
its connection (and everyone else) goes on.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Coroutine, Sequence
from pathlib import Path
from typing import Any, Final, TypeVar

from ixion.client.connection import ClientConnection, ServerOffer
from ixion.ntp import (
    AttachedFile,
    AttachedPlugin,
    Error,
    FileAccepted,
    Message,
    NessusVersion,
    NessusVersionRequest,
    PluginAccepted,
    PluginDenied,
)
from tests.server.test_daemon import PATIENCE, add_user, free_port, running, write_config

#: The bytes of the issue's report, as the wire decoder hands them over (surrogateescape).
NOT_UTF8: Final = b"\xff\xfe.nasl".decode("utf-8", "surrogateescape")
ADMIN: Final = ("root", "rootpass")
TESTER: Final = ("tester", "testpass")

T = TypeVar("T")


def script(oid: int, name: str) -> bytes:
    """A NASL plugin the catalog accepts, with its own id."""
    return (
        b'if (description) {\n  script_oid("1.3.6.1.4.1.25623.1.0.%d");\n' % oid
        + b'  script_name("%s");\n  script_category(ACT_GATHER_INFO);\n' % name.encode()
        + b'  script_family("Uploads");\n  exit(0);\n}\nexit(0);\n'
    )


def upload_daemon(tmp_path: Path, extra: str = "") -> Path:
    """A daemon that takes uploads, the user ``tester`` and the administrator ``root``."""
    config = write_config(
        tmp_path,
        "plugin_upload = yes\nplugin_upload_suffixes = .nasl, .inc\nadmin_user = root\n" + extra,
    )
    add_user(config, *TESTER)
    add_user(config, *ADMIN)
    return config


async def uploads(
    port: int, account: tuple[str, str], messages: Sequence[AttachedPlugin | AttachedFile]
) -> list[Message]:
    """Log in, send each upload, collect each answer; then check the connection still
    answers an ordinary order."""
    client = await ClientConnection.open("127.0.0.1", port, io_timeout=PATIENCE)
    try:
        await client.login(*account)
        answers = []
        for msg in messages:
            await client.send(msg)
            answers.append(await client.receive())
        await client.send(NessusVersionRequest())
        assert isinstance(await client.receive(), NessusVersion)
        return answers
    finally:
        await client.close()


async def log_in(port: int, account: tuple[str, str] = TESTER) -> ServerOffer:
    client = await ClientConnection.open("127.0.0.1", port, io_timeout=PATIENCE)
    try:
        return await client.login(*account)
    finally:
        await client.close()


def run_for(scenario: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(asyncio.wait_for(scenario, 60))


def ids(offer: ServerOffer) -> set[str]:
    assert offer.plugins is not None
    return {p.id for p in offer.plugins.plugins}


def kinds(answers: list[Message]) -> list[type[Message]]:
    return [type(answer) for answer in answers]


def logged(tmp_path: Path) -> str:
    return (tmp_path / "ixiond.log").read_text(errors="replace")


# --- names that are not UTF-8 (the report) -------------------------------------------


def test_a_plugin_named_with_bytes_that_are_not_utf8_is_denied_and_its_user_logs_in_again(
    tmp_path: Path,
) -> None:
    config = upload_daemon(tmp_path)
    port = free_port()
    with running(config, port):
        answers = run_for(
            uploads(port, TESTER, [AttachedPlugin(name=NOT_UTF8, data=script(1, "x"))])
        )
        offer = run_for(log_in(port))
    assert kinds(answers) == [PluginDenied]
    assert offer.plugins is not None  # the second login got through to the plugin list
    assert list((tmp_path / "state" / "users" / "tester" / "plugins").iterdir()) == []
    assert "plugin '\\udcff\\udcfe.nasl' refused: the name is not valid UTF-8" in logged(tmp_path)


def test_the_administrator_cannot_upload_such_a_name_and_ixiond_starts_again(
    tmp_path: Path,
) -> None:
    config = upload_daemon(tmp_path)
    port = free_port()
    with running(config, port):
        answers = run_for(
            uploads(port, ADMIN, [AttachedPlugin(name=NOT_UTF8, data=script(2, "x"))])
        )
    port = free_port()
    with running(config, port):  # fails the test if ixiond exits before serving
        offer = run_for(log_in(port, ADMIN))
    assert offer.plugins is not None
    assert kinds(answers) == [PluginDenied]
    assert list((tmp_path / "state" / "plugins").glob("*.nasl")) == []


def test_files_an_older_ixiond_stored_under_such_names_are_skipped_with_a_log_line(
    tmp_path: Path,
) -> None:
    config = upload_daemon(tmp_path)
    folder = tmp_path / "state" / "plugins"
    own = tmp_path / "state" / "users" / "tester" / "plugins"
    folder.mkdir(parents=True)
    for directory, good in ((folder, 900301), (own, 900302)):
        (directory / f"good_{good}.nasl").write_bytes(script(good, f"Good {good}"))
        (directory / NOT_UTF8).write_bytes(script(good + 50, "Bad"))
    port = free_port()
    with running(config, port):
        offer = run_for(log_in(port))
        admin_offer = run_for(log_in(port, ADMIN))
    assert {"900301", "900302"} <= ids(offer)
    assert not {"900351", "900352"} & ids(offer)
    assert "900301" in ids(admin_offer)
    log = logged(tmp_path)
    assert f"{str(folder)!r}: skipped b'\\xff\\xfe.nasl': its name is not valid UTF-8" in log
    assert f"{str(own)!r}: skipped b'\\xff\\xfe.nasl': its name is not valid UTF-8" in log


# --- other names that must never become a path -----------------------------------------------

HOSTILE_NAMES: Final = {
    "../escape.nasl": "a path separator",
    "sub/dir.nasl": "a path separator",
    "back\\slash.nasl": "a path separator",
    ".hidden.nasl": "starts with '.'",
    "nul\x00.nasl": "a control or invisible character",
    "esc\x1b[2J.nasl": "a control or invisible character",
    "tab\t.nasl": "a control or invisible character",
    "\u202elmth.nasl": "a control or invisible character",  # right-to-left override
    "x" * 196 + ".nasl": "longer than 200 bytes",
    "plain.exe": "does not end with an accepted suffix",
}


def test_hostile_names_are_each_denied_nothing_is_written_and_the_connection_goes_on(
    tmp_path: Path,
) -> None:
    config = upload_daemon(tmp_path)
    attempts = [AttachedPlugin(name=n, data=script(3, "x")) for n in HOSTILE_NAMES]
    fine = AttachedPlugin(name="fine.nasl", data=script(900303, "Fine"))
    port = free_port()
    with running(config, port):
        answers = run_for(uploads(port, TESTER, [*attempts, fine]))
    assert kinds(answers) == [PluginDenied] * len(HOSTILE_NAMES) + [PluginAccepted]
    state = tmp_path / "state"
    assert [p.name for p in (state / "users" / "tester" / "plugins").iterdir()] == ["fine.nasl"]
    assert not (state / "users" / "escape.nasl").exists()
    assert not (state / "users" / "tester" / "sub").exists()
    log = logged(tmp_path)
    for name, reason in HOSTILE_NAMES.items():
        assert f"plugin {name!r} refused: " in log, name
        assert reason in log.split(f"plugin {name!r} refused: ", 1)[1].split("\n", 1)[0], name


# --- quotas ----------------------------------------------------------------------------------


def sized(oid: int, size: int) -> bytes:
    """A valid script of exactly ``size`` bytes (padded with a comment)."""
    body = script(oid, f"Sized {oid}")
    assert len(body) + 3 <= size
    return body + b"#" + b"x" * (size - len(body) - 2) + b"\n"


QUOTAS: Final = (
    "max_upload_bytes = 1000\nmax_uploads_per_user = 2\nmax_upload_bytes_per_user = 1500\n"
)


def test_plugin_quotas_refuse_that_client_only_and_its_connection_goes_on(tmp_path: Path) -> None:
    config = upload_daemon(tmp_path, QUOTAS)
    steps = [
        ("a.nasl", sized(900311, 600), PluginAccepted),
        ("b.nasl", sized(900312, 1001), PluginDenied),  # one file over max_upload_bytes
        ("b.nasl", sized(900312, 600), PluginAccepted),
        ("c.nasl", sized(900313, 250), PluginDenied),  # a third plugin: over the count
        ("a.nasl", sized(900311, 900), PluginAccepted),  # a replacement: 900 + 600 fit
        ("a.nasl", sized(900311, 950), PluginDenied),  # 950 + 600 do not
    ]
    port = free_port()
    with running(config, port):
        answers = run_for(
            uploads(port, TESTER, [AttachedPlugin(name=n, data=d) for n, d, _ in steps])
        )
        # Someone else's quota is their own: the administrator's, and another user's.
        other = run_for(
            uploads(port, ADMIN, [AttachedPlugin(name="c.nasl", data=sized(900314, 600))])
        )
        offer = run_for(log_in(port))
    assert kinds(answers) == [expected for _, _, expected in steps]
    assert kinds(other) == [PluginAccepted]
    kept = tmp_path / "state" / "users" / "tester" / "plugins"
    assert sorted(p.name for p in kept.iterdir()) == ["a.nasl", "b.nasl"]
    assert (kept / "a.nasl").stat().st_size == 900
    assert {"900311", "900312"} <= ids(offer)
    assert (tmp_path / "state" / "plugins" / "c.nasl").stat().st_size == 600
    log = logged(tmp_path)
    assert "plugin 'b.nasl' refused: 1001 bytes, over max_upload_bytes (1000)" in log
    assert (
        "plugin 'c.nasl' refused: tester would keep 3 plugins, over max_uploads_per_user (2)" in log
    )
    assert (
        "plugin 'a.nasl' refused: tester would keep 1550 bytes of plugins, "
        "over max_upload_bytes_per_user (1500)" in log
    )


def test_attached_files_over_the_quota_get_an_error_and_leave_nothing_behind(
    tmp_path: Path,
) -> None:
    config = upload_daemon(tmp_path, QUOTAS)
    tmp = tmp_path / "state" / "tmp"

    async def scenario(port: int) -> tuple[list[Message], list[str]]:
        """Each answer, and what the attached-file directory held after each upload."""
        client = await ClientConnection.open("127.0.0.1", port, io_timeout=PATIENCE)
        answers: list[Message] = []
        held: list[str] = []
        try:
            await client.login(*TESTER)
            for name, size in (("big.key", 1001), ("id_ed25519", 1000), ("wordlist", 501)):
                await client.send(AttachedFile(name=f"/home/tester/{name}", data=b"k" * size))
                answers.append(await client.receive())
                held.append(" ".join(sorted(p.name for p in tmp.glob("*"))))
            await client.send(NessusVersionRequest())
            answers.append(await client.receive())
        finally:
            await client.close()
        return answers, held

    port = free_port()
    with running(config, port):
        answers, held = run_for(scenario(port))
        deadline = time.monotonic() + PATIENCE
        while any(tmp.iterdir()) and time.monotonic() < deadline:
            time.sleep(0.05)  # the daemon sees the hang-up, then deletes the connection's files
        left = list(tmp.iterdir())
    assert kinds(answers) == [Error, FileAccepted, Error, NessusVersion]
    assert answers[0] == Error(
        text="E000 - attached file refused: 1001 bytes, over max_upload_bytes (1000)"
    )
    assert answers[2] == Error(
        text="E000 - attached file refused: this connection would keep 1501 bytes of attached "
        "files, over max_upload_bytes_per_user (1500)"
    )
    assert held[0] == ""  # nothing written for a refused file
    assert held[1].startswith("attached-")
    assert held[2] == held[1]
    assert left == []  # the connection's end took the accepted one
    log = logged(tmp_path)
    assert "tester: attached file '/home/tester/big.key' refused: 1001 bytes" in log
    assert "tester: attached file '/home/tester/wordlist' refused: this connection" in log


def test_an_upload_over_the_decoders_hard_cap_closes_only_that_connection(
    tmp_path: Path,
) -> None:
    """ntp.limits keeps its hard cap: a payload announced over 64 MiB is refused unread."""
    config = upload_daemon(tmp_path)
    port = free_port()
    with running(config, port):
        answer = run_for(announce_too_much(port))
        offer = run_for(log_in(port))
    assert answer.startswith(b"SERVER <|> ERROR <|> ")
    assert offer.plugins is not None
    assert list((tmp_path / "state" / "users" / "tester" / "plugins").iterdir()) == []


async def announce_too_much(port: int) -> bytes:
    """What the daemon answers, up to its hang-up, to an announced 65 MiB plugin."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    client = ClientConnection(reader, writer, io_timeout=PATIENCE)
    try:
        await client.login(*TESTER)
        writer.write(
            b"CLIENT <|> ATTACHED_PLUGIN\nname: big.nasl\ncontent: octet/stream\n"
            b"bytes: %d\n" % (65 * 1024 * 1024)
        )
        await writer.drain()
        return await asyncio.wait_for(reader.read(), PATIENCE)
    finally:
        await client.close()


def test_a_good_upload_is_still_accepted_and_offered_at_the_next_login(tmp_path: Path) -> None:
    config = upload_daemon(tmp_path)
    port = free_port()
    with running(config, port):
        answers = run_for(
            uploads(port, TESTER, [AttachedPlugin(name="ok.nasl", data=script(900320, "Ok"))])
        )
        offer = run_for(log_in(port))
    assert kinds(answers) == [PluginAccepted]
    assert "900320" in ids(offer)


def test_the_administrators_upload_joins_the_global_plugins_at_the_next_start(
    tmp_path: Path,
) -> None:
    config = upload_daemon(tmp_path)
    port = free_port()
    with running(config, port):
        answers = run_for(
            uploads(port, ADMIN, [AttachedPlugin(name="ok.nasl", data=script(900321, "Ok"))])
        )
    port = free_port()
    with running(config, port):
        offer = run_for(log_in(port))
    assert kinds(answers) == [PluginAccepted]
    assert "900321" in ids(offer)


def test_a_plugin_that_is_not_nasl_is_denied_with_the_place_in_the_log(tmp_path: Path) -> None:
    config = upload_daemon(tmp_path)
    port = free_port()
    broken = script(900322, "Broken").replace(b"exit(0);\n}", b"exit(0;\n}")
    with running(config, port):
        answers = run_for(
            uploads(
                port,
                TESTER,
                [
                    AttachedPlugin(name="broken.nasl", data=broken),
                    AttachedPlugin(name="deep.inc", data=b"x = " + b"(" * 100_000 + b"1;\n"),
                    AttachedPlugin(name="fine.inc", data=b"function f() { return 1; }\n"),
                ],
            )
        )
        offer = run_for(log_in(port))
    assert kinds(answers) == [PluginDenied, PluginDenied, PluginAccepted]
    log = logged(tmp_path)
    assert (
        "plugin 'broken.nasl' refused: it is not NASL: line 6, column 9: expected ')' to close"
        " the call of 'exit' opened at 6:7, found ';'"
    ) in log
    assert "plugin 'deep.inc' refused: it is not NASL: line 1, column 104: nesting too deep" in log
    stored = tmp_path / "state" / "users" / "tester" / "plugins"
    assert sorted(p.name for p in stored.iterdir()) == ["fine.inc"]
    assert "900322" not in ids(offer)
