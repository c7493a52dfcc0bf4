"""``ssh_request_exec``: commands run over SSH channels (:mod:`ixion.nasl.ssh.channel`).

Every script connects only to the asyncssh server this module starts on 127.0.0.1. The
server runs no shell: its sessions answer a few fixed commands themselves, each made to
show one behaviour (both streams, an output many windows long, a command that never ends,
one that floods, one refused); the account ``nochannel`` may log in but open no channel.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

import asyncssh
import pytest

from ixion.nasl.interpreter import Interpreter
from ixion.nasl.network.sockets import TargetHost
from ixion.nasl.runtime.kb import MemoryKB
from ixion.nasl.runtime.limits import Limits
from ixion.nasl.syntax.parser import parse
from tests.lab._base import LOOPBACK
from tests.lab._ssh import SshService
from tests.nasl.harness import Transcript

if TYPE_CHECKING:
    from collections.abc import Iterator

UNAME = b"Linux lab 6.1.0-18-amd64 #1 SMP x86_64 GNU/Linux\n"
#: Several times the client's 128 KiB window: it only arrives if the window is reopened.
BIG = 1024 * 1024
LOGIN = (
    b"sess = ssh_connect(port: %d, timeout: 2);\n"
    b'ssh_userauth(sess, login: "scanner", password: "secret");\n'
)


def run(source: bytes, limits: Limits | None = None) -> bytes:
    transcript = Transcript()
    Interpreter(
        kb=MemoryKB([]),
        limits=limits or Limits(),
        host=TargetHost("127.0.0.1", (), on_report=lambda _: None),
        output=transcript.output,
        diagnostics=transcript.diagnostic,
    ).run(parse(source), source=source)
    return bytes(transcript.data)


class _Commands(asyncssh.SSHServerSession[bytes]):
    """A session that runs one of the known commands itself (no shell, nothing real)."""

    def __init__(self) -> None:
        self._chan: asyncssh.SSHServerChannel[bytes] | None = None
        self._command = ""
        self._writable = asyncio.Event()
        self._writable.set()
        self._task: asyncio.Task[None] | None = None

    def connection_made(self, chan: asyncssh.SSHServerChannel[bytes]) -> None:
        self._chan = chan

    def exec_requested(self, command: str) -> bool:
        self._command = command
        return command != "refused"

    def pause_writing(self) -> None:
        self._writable.clear()

    def resume_writing(self) -> None:
        self._writable.set()

    def session_started(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    def connection_lost(self, exc: Exception | None) -> None:
        if self._task is not None:
            self._task.cancel()

    async def _run(self) -> None:
        chan, command = self._chan, self._command
        assert chan is not None
        if command == "uname -a":
            chan.write(UNAME)
        elif command == "both":
            chan.write_stderr(b"warning: on stderr\n")
            chan.write(b"result on stdout\n")
        elif command == "big":
            for line in range(BIG // 64):
                await self._writable.wait()
                chan.write(b"%063d\n" % line)
        elif command == "flood":
            while True:
                await self._writable.wait()
                chan.write(b"y\n" * 8192)
        elif command == "silent":
            chan.write(b"started\n")
            await asyncio.Event().wait()  # never set: the command never ends
        else:
            chan.write_stderr(b"sh: " + command.encode() + b": not found\n")
            chan.exit(127)
            return
        chan.exit(0)


class _Server(asyncssh.SSHServer):
    """Lets ``scanner`` and ``nochannel`` in with the password ``secret``."""

    def __init__(self) -> None:
        self._user = ""

    def begin_auth(self, username: str) -> bool:
        self._user = username
        return True

    def password_auth_supported(self) -> bool:
        return True

    def validate_password(self, username: str, password: str) -> bool:
        return username in ("scanner", "nochannel") and password == "secret"

    def session_requested(self) -> asyncssh.SSHServerSession[bytes] | bool:
        return False if self._user == "nochannel" else _Commands()


class ExecSsh(SshService):
    """asyncssh with the command-answering sessions above, bytes in and out; with
    ``keepalive``, it also asks the client every 0.2 s whether it is alive, and hangs up
    after two questions left unanswered."""

    def __init__(self, *, keepalive: bool = False) -> None:
        super().__init__()
        self._keepalive = keepalive

    async def _open(self) -> int:
        self._acceptor = await asyncssh.listen(
            LOOPBACK,
            0,
            server_host_keys=[asyncssh.generate_private_key("ssh-ed25519")],
            server_factory=_Server,
            encoding=None,
            keepalive_interval=0.2 if self._keepalive else 0,
            keepalive_count_max=2,
        )
        return self._acceptor.get_port()


@pytest.fixture(scope="module")
def server() -> Iterator[ExecSsh]:
    with ExecSsh() as service:
        yield service


def test_uname_on_stdout(server: ExecSsh) -> None:
    source = LOGIN % server.port + b'display(ssh_request_exec(sess, cmd: "uname -a"));'
    assert run(source) == UNAME


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        (b"", b"result on stdout\n"),
        (b", stdout: 1", b"result on stdout\n"),
        (b", stdout: 1, stderr: 0", b"result on stdout\n"),
        (b", stderr: 1", b"warning: on stderr\n"),
        (b", stdout: 0, stderr: 1", b"warning: on stderr\n"),
        (b", stdout: 1, stderr: 1", b"warning: on stderr\nresult on stdout\n"),
        (b", stdout: 0, stderr: 0", b"result on stdout\nwarning: on stderr\n"),
        (b", stdout: 0", b""),
        (b", stderr: 0", b""),
    ],
)
def test_the_stdout_and_stderr_arguments_choose_the_streams(
    server: ExecSsh, arguments: bytes, expected: bytes
) -> None:
    source = LOGIN % server.port + b'r = ssh_request_exec(sess, cmd: "both"%s);\n' % arguments
    source += b'display(isnull(r), ":", r, ":");'
    assert run(source) == b"0:" + expected + b":"


def test_two_commands_one_after_the_other_on_one_session(server: ExecSsh) -> None:
    source = LOGIN % server.port + (
        b'display(ssh_request_exec(sess, cmd: "uname -a"));\n'
        b'display(ssh_request_exec(sess, cmd: "id", stderr: 1));\n'
        b'display(ssh_request_exec(sess, cmd: "uname -a"));\n'
    )
    assert run(source) == UNAME + b"sh: id: not found\n" + UNAME


def test_an_output_of_many_windows_arrives_whole(server: ExecSsh) -> None:
    source = LOGIN % server.port + (
        b'out = ssh_request_exec(sess, cmd: "big");\n'
        b'display(strlen(out), " ", substr(out, 0, 63), substr(out, strlen(out) - 64));\n'
        b'display(ssh_request_exec(sess, cmd: "uname -a"));\n'
    )
    last = b"%063d\n" % (BIG // 64 - 1)
    assert run(source) == b"%d %063d\n" % (BIG, 0) + last + UNAME


def _a_silent_command_is_left_after_the_timeout(port: int) -> None:
    """``silent`` says ``started`` and nothing more: its output comes after the 2 s
    timeout, and the session runs the next command."""
    source = LOGIN % port + (
        b'display(ssh_request_exec(sess, cmd: "silent"));\n'
        b'display(ssh_request_exec(sess, cmd: "uname -a"));\n'
    )
    started = time.monotonic()
    assert run(source) == (
        b"!! warning: <script>:3: ssh_request_exec: no output for 2s, the command is left\n"
        b"started\n" + UNAME
    )
    assert time.monotonic() - started < 6


def test_a_command_that_never_ends_gives_its_output_after_the_timeout(server: ExecSsh) -> None:
    _a_silent_command_is_left_after_the_timeout(server.port)


def test_keepalives_are_answered_and_do_not_hold_off_the_timeout() -> None:
    with ExecSsh(keepalive=True) as server:
        _a_silent_command_is_left_after_the_timeout(server.port)


def test_a_flood_is_cut_at_max_string(server: ExecSsh) -> None:
    source = LOGIN % server.port + (
        b'display(strlen(ssh_request_exec(sess, cmd: "flood")), "\\n");\n'
        b'display(ssh_request_exec(sess, cmd: "uname -a"));\n'
    )
    assert run(source, Limits(max_string=300_000)) == (
        b"!! warning: <script>:3: ssh_request_exec: the output passed max_string and was cut\n"
        b"300000\n" + UNAME
    )


def test_failures_give_null_and_a_warning(server: ExecSsh) -> None:
    source = b"""
        sess = ssh_connect(port: %d, timeout: 2);
        display(isnull(ssh_request_exec(sess, cmd: "uname -a")), "\\n");
        ssh_userauth(sess, login: "scanner", password: "wrong");
        display(isnull(ssh_request_exec(sess, cmd: "uname -a")), "\\n");
        ssh_userauth(sess, login: "scanner", password: "secret");
        display(isnull(ssh_request_exec(sess)), "\\n");
        display(isnull(ssh_request_exec(sess, cmd: "refused")), "\\n");
        display(ssh_request_exec(sess, cmd: "uname -a"));
        display(isnull(ssh_request_exec(42, cmd: "uname -a")), "\\n");
        other = ssh_connect(port: %d);
        ssh_userauth(other, login: "nochannel", password: "secret");
        display(isnull(ssh_request_exec(other, cmd: "uname -a")), "\\n");
    """ % (server.port, server.port)
    lines = run(source).decode().splitlines()
    assert lines == [
        "!! warning: <script>:3: ssh_request_exec: SSH session 9001 is not logged in",
        "1",
        "!! warning: <script>:5: ssh_request_exec: SSH session 9001 is not logged in",
        "1",
        "!! warning: <script>:7: No command passed to ssh_request_exec",
        "1",
        "!! warning: <script>:8: ssh_request_exec: the server refused to run the command",
        "1",
        UNAME.decode().rstrip("\n"),
        "!! warning: <script>:10: Bad SSH session id 42 passed to ssh_request_exec",
        "1",
        lines[11],
        "1",
    ]
    assert lines[11].startswith(
        "!! warning: <script>:13: ssh_request_exec: the server refused a session channel"
    )
