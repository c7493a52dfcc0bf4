"""``ssh_shell_*``: interactive shells over SSH channels (:mod:`ixion.nasl.ssh.shell`).

Every script connects only to the asyncssh server this module starts on 127.0.0.1. Its
sessions are a pretend shell written here, which runs nothing: it prints a prompt, reads
lines, answers ``id`` with a fixed line, asks for a password on ``su -`` and takes one,
echoes input on a terminal until ``stty -echo``, and knows a few lines made to show one
behaviour each (a long output, silence, a byte now and then, stderr, exit). The account
``nopty`` gets no pseudo-terminal and ``noshell`` no shell. What the server saw is kept
in :attr:`ShellSsh.events`.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

import asyncssh
import pytest

from ixion.nasl.runtime.limits import Limits
from tests.lab._base import LOOPBACK
from tests.lab._ssh import SshService
from tests.nasl.ssh.test_ssh_exec import run

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

USER_ID = b"uid=1000(scanner) gid=1000(scanner) groups=1000(scanner)\n"
ROOT_ID = b"uid=0(root) gid=0(root) groups=0(root)\n"
#: Several times the client's 128 KiB window: it only arrives if the window is reopened.
BIG = 1024 * 1024
LOGIN = (
    b"sess = ssh_connect(port: %d, timeout: 2);\n"
    b'ssh_userauth(sess, login: "%s", password: "secret");\n'
)


def script(port: int, *lines: str, user: str = "scanner") -> bytes:
    """Connect and log in (lines 1 and 2), then ``lines``, a statement each (3 and on)."""
    return LOGIN % (port, user.encode()) + "\n".join(lines).encode() + b"\n"


class _PretendShell(asyncssh.SSHServerSession[bytes]):
    """A shell that answers a few fixed lines itself; nothing is ever run."""

    def __init__(self, events: list[tuple[object, ...]], user: str) -> None:
        self._events = events
        self._user = user
        self._chan: asyncssh.SSHServerChannel[bytes] | None = None
        self._pending = b""
        self._prompt = b"$ "
        self._echo = False
        self._asking = False
        self._writable = asyncio.Event()
        self._writable.set()
        self._tasks: list[asyncio.Task[None]] = []

    def connection_made(self, chan: asyncssh.SSHServerChannel[bytes]) -> None:
        self._chan = chan

    def pty_requested(
        self, term_type: str, term_size: tuple[int, int, int, int], term_modes: Mapping[int, int]
    ) -> bool:
        self._events.append(("pty", term_type, term_size[0], term_size[1]))
        self._echo = True
        return self._user != "nopty"

    def shell_requested(self) -> bool:
        self._events.append(("shell",))
        return self._user != "noshell"

    def session_started(self) -> None:
        self._write(self._prompt)

    def pause_writing(self) -> None:
        self._writable.clear()

    def resume_writing(self) -> None:
        self._writable.set()

    def eof_received(self) -> bool:
        self._events.append(("eof",))
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self._events.append(("closed",))
        for task in self._tasks:
            task.cancel()

    def _write(self, data: bytes) -> None:
        assert self._chan is not None
        self._chan.write(data)

    def data_received(self, data: bytes, datatype: asyncssh.DataType) -> None:
        if self._echo and not self._asking:
            self._write(data)
        self._pending += data
        while b"\n" in self._pending:
            line, self._pending = self._pending.split(b"\n", 1)
            self._line(line.rstrip(b"\r"))

    def _line(self, line: bytes) -> None:
        """Answer one line; then the prompt, unless the line is one that withholds it."""
        assert self._chan is not None
        if self._asking:
            self._asking = False
            self._prompt = b"# " if line == b"rootpw" else self._prompt
        elif line == b"stty -echo":
            self._echo = False
        elif line == b"su -":
            self._asking = True
            self._write(b"Password: ")
        elif line == b"id":
            self._write(ROOT_ID if self._prompt == b"# " else USER_ID)
        elif line in (b"big", b"trickle"):
            task = self._big() if line == b"big" else self._trickle()
            self._tasks.append(asyncio.get_running_loop().create_task(task))
        elif line == b"err":
            self._chan.write_stderr(b"oops on stderr\n")
        elif line == b"exit":
            self._chan.exit(0)
        if line not in (b"su -", b"big", b"trickle", b"silent", b"exit"):
            self._write(self._prompt)

    async def _trickle(self) -> None:
        while True:
            self._write(b".")
            await asyncio.sleep(0.3)

    async def _big(self) -> None:
        for line in range(BIG // 64):
            await self._writable.wait()
            self._write(b"%063d\n" % line)
        self._write(self._prompt)


class _Server(asyncssh.SSHServer):
    """Lets ``scanner``, ``nopty`` and ``noshell`` in with the password ``secret``."""

    def __init__(self, events: list[tuple[object, ...]]) -> None:
        self._events = events
        self._user = ""

    def begin_auth(self, username: str) -> bool:
        self._user = username
        return True

    def password_auth_supported(self) -> bool:
        return True

    def validate_password(self, username: str, password: str) -> bool:
        return username in ("scanner", "nopty", "noshell") and password == "secret"

    def session_requested(self) -> asyncssh.SSHServerSession[bytes]:
        return _PretendShell(self._events, self._user)


class ShellSsh(SshService):
    """asyncssh with the pretend shell above, bytes in and out, no line editor; with
    ``keepalive``, it also asks the client every 0.2 s whether it is alive."""

    def __init__(self, *, keepalive: bool = False) -> None:
        super().__init__()
        self._keepalive = keepalive
        #: What the sessions saw, in order: ("pty", term, columns, rows), ("shell",),
        #: ("eof",), ("closed",).
        self.events: list[tuple[object, ...]] = []

    async def _open(self) -> int:
        self._acceptor = await asyncssh.listen(
            LOOPBACK,
            0,
            server_host_keys=[asyncssh.generate_private_key("ssh-ed25519")],
            server_factory=lambda: _Server(self.events),
            encoding=None,
            line_editor=False,
            keepalive_interval=0.2 if self._keepalive else 0,
            keepalive_count_max=2,
        )
        return self._acceptor.get_port()

    def wait_for(self, event: tuple[object, ...]) -> bool:
        """Whether the server saw ``event`` within two seconds (the server's thread
        records it a little after the client acted)."""
        end = time.monotonic() + 2
        while event not in self.events:
            if time.monotonic() > end:
                return False
            time.sleep(0.01)
        return True


@pytest.fixture
def server() -> Iterator[ShellSsh]:
    with ShellSsh() as service:
        yield service


#: A shell without a terminal, its first prompt read.
OPEN = "ssh_shell_open(sess, pty: FALSE); ssh_shell_read(sess, timeout: 300);"
READ = "display(ssh_shell_read(sess, timeout: 300));"


@pytest.mark.parametrize(
    ("arguments", "requests"),
    [("", [("pty", "xterm", 80, 24), ("shell",)]), (", pty: FALSE", [("shell",)])],
)
def test_open_returns_the_session_id_and_asks_for_a_terminal_unless_told(
    server: ShellSsh, arguments: str, requests: list[tuple[object, ...]]
) -> None:
    source = script(server.port, f"display(ssh_shell_open(sess{arguments}), ':');", READ)
    assert run(source) == b"9001:$ "
    # The script's end closes the channel too: when the server notes it is not ours to say.
    assert [event for event in server.events if event != ("closed",)] == requests


def test_the_su_dialogue_of_ssh_func_inc(server: ShellSsh) -> None:
    steps = ("'stty -echo\\n'", "'su -\\n'", "'rootpw\\n'", "'id\\n'")
    lines = [f"display(ssh_shell_write(sess, cmd: {s}), ':'); {READ}" for s in steps]
    source = script(server.port, "ssh_shell_open(sess, pty: TRUE);", *lines)
    # The terminal echoes "stty -echo" itself, and nothing after it.
    expected = b"0:$ stty -echo\n$ 0:Password: 0:# 0:" + ROOT_ID + b"# "
    assert run(source) == expected


def test_stderr_comes_before_stdout_without_a_pty(server: ShellSsh) -> None:
    source = script(server.port, OPEN, "ssh_shell_write(sess, cmd: 'err\\n');", READ)
    assert run(source) == b"oops on stderr\n$ "


def test_a_read_with_nothing_pending_gives_an_empty_string(server: ShellSsh) -> None:
    source = script(
        server.port,
        "ssh_shell_open(sess); ssh_shell_read(sess, timeout: 300);",
        "r = ssh_shell_read(sess); display(isnull(r), ':', strlen(r), '\\n');",
        "ssh_shell_write(sess, cmd: 'silent\\n');",
        "r = ssh_shell_read(sess, timeout: 700); display(isnull(r), ':', r);",
    )
    started = time.monotonic()
    # The terminal echoes the line, then the shell says nothing.
    assert run(source) == b"0:0\n0:silent\n"
    assert 0.7 <= time.monotonic() - started < 5


QUIET = (
    "r = ssh_shell_read(sess, timeout: 1000);",
    "display(isnull(r), ':', strlen(r) > 0);",
)


def test_keepalives_do_not_count_as_output() -> None:
    with ShellSsh(keepalive=True) as server:
        source = script(server.port, OPEN, "ssh_shell_write(sess, cmd: 'silent\\n');", *QUIET)
        started = time.monotonic()
        assert run(source) == b"0:0"
        assert 1 <= time.monotonic() - started < 5


def test_a_shell_that_never_goes_quiet_does_not_hold_the_read(server: ShellSsh) -> None:
    source = script(server.port, OPEN, "ssh_shell_write(sess, cmd: 'trickle\\n');", *QUIET)
    started = time.monotonic()
    # A byte every 0.3 s, never quiet for the read's 1 s: the session's timeout (2 s)
    # and the read's own end it.
    assert run(source) == b"0:1"
    assert 3 <= time.monotonic() - started < 7


BIG_READS = (
    "ssh_shell_write(sess, cmd: 'big\\n'); total = 0; most = 0; out = '';",
    f"for (i = 0; i < 80 && total < {BIG + 2}; i++) {{",
    "  r = ssh_shell_read(sess, timeout: 500); out += r; total += strlen(r);",
    "  if (strlen(r) > most) most = strlen(r);",
    "}",
)


def test_an_output_of_many_windows_arrives_whole(server: ShellSsh) -> None:
    show = "display(total, ' ', substr(out, 0, 63), substr(out, total - 66));"
    last = b"%063d\n" % (BIG // 64 - 1)
    assert run(script(server.port, OPEN, *BIG_READS, show)) == (
        b"%d %063d\n" % (BIG + 2, 0) + last + b"$ "
    )


def test_a_read_returns_at_most_max_string_and_keeps_the_rest(server: ShellSsh) -> None:
    source = script(server.port, OPEN, *BIG_READS, "display(total, ' ', most);")
    # The output stays 1 MiB, though the interpreter's strings may hold only 300000.
    source = source.replace(b"out += r; ", b"")
    assert run(source, Limits(max_string=300_000)) == b"%d 300000" % (BIG + 2)


def test_failures_before_login_and_without_a_shell(server: ShellSsh) -> None:
    source = b"sess = ssh_connect(port: %d, timeout: 2);\n" % server.port + (
        b"display(isnull(ssh_shell_open(sess)), '\\n');\n"
        b"display(ssh_shell_write(sess, cmd: 'id\\n'), '\\n');\n"
        b"display(isnull(ssh_shell_read(sess)), '\\n');\n"
        b"display(isnull(ssh_shell_close(sess)), '\\n');\n"
        b'ssh_userauth(sess, login: "scanner", password: "secret");\n'
        b"display(ssh_shell_write(sess, cmd: 'id\\n'), '\\n');\n"
        b"display(isnull(ssh_shell_read(sess, timeout: 100)), '\\n');\n"
        b"ssh_shell_open(sess); display(ssh_shell_write(sess), '\\n');\n"
        b"display(ssh_shell_write(42, cmd: 'id\\n'), '\\n');\n"
        b"display(isnull(ssh_shell_read(42)), '\\n');\n"
        b"display(isnull(ssh_shell_open(0)), '\\n');\n"
    )
    no_shell = "ssh_shell_{}: no shell is open on SSH session 9001"
    assert run(source).decode().splitlines() == [
        "!! warning: <script>:2: ssh_shell_open: SSH session 9001 is not logged in",
        "1",
        "!! warning: <script>:3: " + no_shell.format("write"),
        "-1",
        "!! warning: <script>:4: " + no_shell.format("read"),
        "1",
        "1",
        "!! warning: <script>:7: " + no_shell.format("write"),
        "-1",
        "!! warning: <script>:8: " + no_shell.format("read"),
        "1",
        "!! warning: <script>:9: No command passed to ssh_shell_write",
        "-1",
        "!! warning: <script>:10: Bad SSH session id 42 passed to ssh_shell_write",
        "-1",
        "!! warning: <script>:11: Bad SSH session id 42 passed to ssh_shell_read",
        "1",
        "!! warning: <script>:12: Invalid SSH session id 0 passed to ssh_shell_open",
        "1",
    ]


def test_a_refused_terminal_or_shell_gives_null_and_a_warning(server: ShellSsh) -> None:
    source = script(
        server.port,
        "display(isnull(ssh_shell_open(sess)), '\\n');",
        "display(ssh_shell_open(sess, pty: FALSE), '\\n');",
        f"other = ssh_connect(port: {server.port}, timeout: 2);",
        'ssh_userauth(other, login: "noshell", password: "secret");',
        "display(isnull(ssh_shell_open(other, pty: FALSE)), '\\n');",
        user="nopty",
    )
    assert run(source).decode().splitlines() == [
        "!! warning: <script>:3: ssh_shell_open: the server refused a pseudo-terminal",
        "1",
        "9001",
        "!! warning: <script>:7: ssh_shell_open: the server refused to start a shell",
        "1",
    ]


def test_close_then_open_again(server: ShellSsh) -> None:
    source = script(
        server.port,
        OPEN,
        "ssh_shell_close(sess);",
        "display(ssh_shell_write(sess, cmd: 'id\\n'), '\\n');",
        "display(ssh_shell_open(sess, pty: FALSE), '\\n'); ssh_shell_read(sess, timeout: 300);",
        "ssh_shell_write(sess, cmd: 'id\\n');",
        READ,
    )
    assert run(source) == (
        b"!! warning: <script>:5: ssh_shell_write: no shell is open on SSH session 9001\n"
        b"-1\n9001\n" + USER_ID + b"$ "
    )
    assert server.wait_for(("eof",))
    assert server.wait_for(("closed",))


def test_a_second_open_replaces_the_first_shell(server: ShellSsh) -> None:
    source = script(
        server.port, "ssh_shell_open(sess);", OPEN, "ssh_shell_write(sess, cmd: 'id\\n');", READ
    )
    assert run(source) == USER_ID + b"$ "
    assert server.events.count(("shell",)) == 2
    assert server.wait_for(("closed",))


def test_a_shell_that_exits_reads_null(server: ShellSsh) -> None:
    source = script(
        server.port,
        OPEN,
        "ssh_shell_write(sess, cmd: 'exit\\n'); sleep(1);",
        "display(isnull(ssh_shell_read(sess)), '\\n');",
        "display(ssh_shell_write(sess, cmd: 'id\\n'), '\\n');",
    )
    assert run(source) == b"1\n!! warning: <script>:6: ssh_shell_write: the shell has ended\n-1\n"


@pytest.mark.parametrize("ending", ["ssh_disconnect(sess);", "close(ssh_get_sock(sess));"])
def test_ending_the_session_ends_its_shell(server: ShellSsh, ending: str) -> None:
    source = script(server.port, OPEN, ending, "display(isnull(ssh_shell_read(sess)), '\\n');")
    assert run(source) == (
        b"!! warning: <script>:5: Bad SSH session id 9001 passed to ssh_shell_read\n1\n"
    )
    assert server.wait_for(("closed",))
