"""The SSH connection protocol (RFC 4254) over :class:`~ixion.nasl.ssh.wire.SshClient`.

``ssh_request_exec`` runs a command on the target once the scanner logged in: it opens a
``session`` channel, asks it to ``exec`` the command and reads what the command writes
until the server closes the channel. What this module guards against, since the target
may be hostile or just slow:

* flow control: the server may send only what our window allows (a server that sends
  more breaks the protocol); the window is reopened as data arrives, so output of any
  length flows, and it is no longer reopened once the output passed its cap, so what a
  server can still push after that is bounded by one window;
* time: every read waits at most the session's timeout (and never past the script's
  deadline, which :class:`SshClient` applies), and a command whose channel stays quiet
  that long ends, even while keepalives arrive, with the output so far, as libssh's timed
  read does for OpenVAS; a command that keeps writing runs until the cap or the deadline;
* size: stdout and stderr together are kept up to a cap (the interpreter's
  ``max_string``); past it the channel is closed and the output is marked truncated;
* what else may arrive: global requests and channel requests we do not know are refused
  when the server wants an answer (OpenSSH's keepalives expect exactly that), channels the
  server tries to open are refused, and messages for channels we gave up are dropped.

Interactive shells (:mod:`ixion.nasl.ssh.shell`) use the same channels and dispatcher: a
shell's channel is opened with ``flow``, which holds the server back by the window once
the unread output reaches the cap, instead of closing, and :meth:`Channels.poll` waits
for a message no longer than a shell read may.

A session runs its commands one after the other, each on a channel of its own; channel
numbers are never reused, so late messages for an abandoned channel cannot be mistaken
for a newer one's. A new key exchange started by the server is not supported: it ends
the command with an :class:`SshError` (servers start one after about a gigabyte or an
hour, far past what a check reads).
"""

from __future__ import annotations

import struct
import weakref
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

from ixion.nasl.ssh.kex import SshError, string

if TYPE_CHECKING:
    from collections.abc import Callable

    from ixion.nasl.ssh.kex import Reader
    from ixion.nasl.ssh.wire import SshClient

__all__ = ["Channel", "ChannelError", "Channels", "ExecResult", "channels"]

# Message numbers (RFC 4250).
KEXINIT: Final = 20
GLOBAL_REQUEST, REQUEST_SUCCESS, REQUEST_FAILURE = 80, 81, 82
CHANNEL_OPEN, OPEN_CONFIRMATION, OPEN_FAILURE, WINDOW_ADJUST = 90, 91, 92, 93
CHANNEL_DATA, EXTENDED_DATA, CHANNEL_EOF, CHANNEL_CLOSE = 94, 95, 96, 97
CHANNEL_REQUEST, CHANNEL_SUCCESS, CHANNEL_FAILURE = 98, 99, 100
#: ``SSH_EXTENDED_DATA_STDERR``.
_STDERR: Final = 1
#: ``SSH_OPEN_ADMINISTRATIVELY_PROHIBITED``: our answer to channels the server opens.
_PROHIBITED: Final = 1
#: Bytes the server may send before we reopen the window. Small enough that a flood
#: after the cap stays small, large enough that a big output needs few round trips.
_WINDOW: Final = 128 * 1024
#: Largest data packet we accept (the usual 32 KiB; the packet layer allows more).
_MAX_DATA: Final = 32 * 1024
_MAX_WINDOW: Final = 0xFFFFFFFF


class ChannelError(SshError):
    """The server refused a channel or a request on it; the connection itself is fine."""


@dataclass(frozen=True, slots=True)
class ExecResult:
    """What one command produced, and how its reading ended."""

    stdout: bytes
    stderr: bytes
    #: The command's exit status, if the server sent one (``exit-status``).
    exit_status: int | None
    #: The signal that ended it, if the server sent one (``exit-signal``).
    exit_signal: bytes | None
    #: The command went quiet for longer than the timeout; the output is what came before.
    timed_out: bool
    #: The output passed the cap; what is here is its start.
    truncated: bool


@dataclass(slots=True)
class Channel:
    """One channel's state, as the dispatcher updates it."""

    local: int
    cap: int
    #: A shell's channel: past the cap the window is no longer reopened (the server must
    #: wait until a read takes the data) instead of the channel being closed, since a
    #: shell lives on between reads.
    flow: bool = False
    remote: int = 0
    #: None while the server has not answered the open; then whether it accepted.
    accepted: bool | None = None
    refusal: str = ""
    remote_window: int = 0
    remote_max: int = 0
    #: Bytes the server may still send before we reopen the window.
    window: int = _WINDOW
    #: Answers to our requests that wanted one, oldest first.
    replies: list[bool] = field(default_factory=list)
    stdout: bytearray = field(default_factory=bytearray)
    stderr: bytearray = field(default_factory=bytearray)
    eof: bool = False
    #: The server closed the channel (and we answered).
    closed: bool = False
    close_sent: bool = False
    truncated: bool = False
    exit_status: int | None = None
    exit_signal: bytes | None = None
    #: The run's clock when the server last said something on this channel.
    heard: float = 0.0


def _timed_out(error: SshError) -> bool:
    """Whether the read failed only because nothing came in time (the connection is fine)."""
    return isinstance(error.__cause__, TimeoutError)


class Channels:
    """The connection layer of one logged-in client: its channels and what the server asks."""

    def __init__(self, client: SshClient) -> None:
        # Weak: this layer is the value of a table weakly keyed by the client, which a
        # strong reference back would keep alive for ever.
        self._client = weakref.ref(client)
        #: Set by the authentication built-ins once the server accepted us; channels need it.
        self.logged_in = False
        self._last = -1
        self._open: dict[int, Channel] = {}
        #: The run's monotonic clock; the built-ins set it before each use.
        self.clock: Callable[[], float] = lambda: 0.0

    @property
    def client(self) -> SshClient:
        client = self._client()
        if client is None:
            raise SshError("the SSH session has ended")
        return client

    # -- running a command -----------------------------------------------------------------
    def execute(self, command: bytes, cap: int, clock: Callable[[], float]) -> ExecResult:
        """Run ``command`` on a channel of its own; its output, at most ``cap`` bytes.

        ``clock`` is the run's monotonic clock (this package reads time only through
        :mod:`ixion.nasl.runtime.clock`); it tells when the channel went quiet.

        Raises :class:`ChannelError` when the server refuses the channel or the command,
        :class:`SshError` when the connection fails; a timeout after the command started is
        no error (see :attr:`ExecResult.timed_out`).
        """
        self.clock = clock
        channel = self.open_session(cap)
        started = timed_out = False
        try:
            started = self.request(channel, b"exec", string(command))
            if started:
                self.until(lambda: channel.closed or channel.truncated, quiet=channel)
        except SshError as error:
            if not _timed_out(error):
                self.abandon(channel)
                raise
            if not started:
                self.close(channel, wait=False)
                raise
            timed_out = True
        self.close(channel, wait=not timed_out)
        if not started:
            raise ChannelError("the server refused to run the command")
        return ExecResult(
            bytes(channel.stdout),
            bytes(channel.stderr),
            channel.exit_status,
            channel.exit_signal,
            timed_out,
            channel.truncated,
        )

    def open_session(self, cap: int, *, flow: bool = False) -> Channel:
        """Open a ``session`` channel; raises :class:`ChannelError` if the server refuses."""
        self._last += 1
        channel = Channel(self._last, cap, flow)
        self._open[channel.local] = channel
        self.client.send(
            bytes([CHANNEL_OPEN])
            + string(b"session")
            + struct.pack(">III", channel.local, _WINDOW, _MAX_DATA)
        )
        try:
            self.until(lambda: channel.accepted is not None, quiet=channel)
        except SshError:
            self.abandon(channel)
            raise
        if not channel.accepted:
            raise ChannelError(f"the server refused a session channel: {channel.refusal}")
        return channel

    def request(self, channel: Channel, kind: bytes, data: bytes) -> bool:
        """Send a channel request that wants an answer; whether the server granted it."""
        self.client.send(
            bytes([CHANNEL_REQUEST])
            + struct.pack(">I", channel.remote)
            + string(kind)
            + b"\1"
            + data
        )
        self.until(lambda: bool(channel.replies) or channel.closed, quiet=channel)
        return bool(channel.replies) and channel.replies.pop(0)

    def close(self, channel: Channel, *, wait: bool) -> None:
        """Close our side; with ``wait``, read (and drop) what comes until the server's
        close, so the next command starts on a quiet connection."""
        if channel.closed:
            return
        self.send_close(channel)
        if wait:
            try:
                self.until(lambda: channel.closed)
            except SshError as error:
                if not _timed_out(error):
                    raise
        self.abandon(channel)

    def send_eof(self, channel: Channel) -> None:
        """Tell the server we send nothing more (a shell then ends as on end of input)."""
        if not channel.close_sent and not channel.closed:
            self.client.send(bytes([CHANNEL_EOF]) + struct.pack(">I", channel.remote))

    def send_close(self, channel: Channel) -> None:
        if not channel.close_sent:
            channel.close_sent = True
            self.client.send(bytes([CHANNEL_CLOSE]) + struct.pack(">I", channel.remote))

    def abandon(self, channel: Channel) -> None:
        """Forget the channel: whatever still comes for it is dropped."""
        self._open.pop(channel.local, None)

    # -- the dispatcher --------------------------------------------------------------------
    def until(self, done: Callable[[], bool], quiet: Channel | None = None) -> None:
        """Dispatch messages until ``done()``. With ``quiet``, time out when that channel
        said nothing for the session's timeout, even while other messages (keepalives)
        keep the connection busy: each read alone would never time out then."""
        if quiet is not None:
            quiet.heard = self.clock()
        while not done():
            if quiet is not None and self.clock() - quiet.heard > self.client.timeout:
                raise SshError("the command went quiet") from TimeoutError()
            self._step()

    def poll(self, wait: float) -> bool:
        """Act on one message if one starts within ``wait`` seconds; whether one did
        (:meth:`SshClient.input_begun`)."""
        if not self.client.input_begun(wait):
            return False
        self._step()
        return True

    def _step(self) -> None:
        """Read one message and act on it."""
        message = self.client.receive()
        kind = message.byte()
        if kind == GLOBAL_REQUEST:
            message.string()
            if message.byte():
                self.client.send(bytes([REQUEST_FAILURE]))
        elif kind == CHANNEL_OPEN:
            message.string()
            sender = message.uint32()
            self.client.send(
                bytes([OPEN_FAILURE])
                + struct.pack(">II", sender, _PROHIBITED)
                + string(b"not accepted")
                + string(b"")
            )
        elif kind == KEXINIT:
            raise SshError("the server started a new key exchange (not supported)")
        elif OPEN_CONFIRMATION <= kind <= CHANNEL_FAILURE:
            channel = self._open.get(message.uint32())
            if channel is not None:
                channel.heard = self.clock()
                self._on_channel(kind, message, channel)
        # Anything else (REQUEST_SUCCESS/FAILURE we never asked for, late authentication
        # answers) has nothing to do with our channels.

    def _on_channel(self, kind: int, message: Reader, channel: Channel) -> None:
        if kind == OPEN_CONFIRMATION:
            channel.remote, channel.remote_window, channel.remote_max = struct.unpack(
                ">III", message.take(12)
            )
            channel.accepted = True
        elif kind == OPEN_FAILURE:
            code = message.uint32()
            reason = message.string().decode("utf-8", "replace")
            channel.refusal = f"{reason} (code {code})"
            channel.accepted = False
            self.abandon(channel)
        elif kind == WINDOW_ADJUST:
            channel.remote_window = min(channel.remote_window + message.uint32(), _MAX_WINDOW)
        elif kind == CHANNEL_DATA:
            self._on_data(channel, message.string(), channel.stdout)
        elif kind == EXTENDED_DATA:
            code = message.uint32()
            self._on_data(channel, message.string(), channel.stderr if code == _STDERR else None)
        elif kind == CHANNEL_EOF:
            channel.eof = True
        elif kind == CHANNEL_CLOSE:
            self.send_close(channel)
            channel.closed = True
            self.abandon(channel)
        elif kind == CHANNEL_REQUEST:
            self._on_request(channel, message)
        else:  # CHANNEL_SUCCESS or CHANNEL_FAILURE
            channel.replies.append(kind == CHANNEL_SUCCESS)

    def _on_data(self, channel: Channel, data: bytes, into: bytearray | None) -> None:
        if len(data) > channel.window:
            raise SshError("the server sent more than the channel window allows")
        channel.window -= len(data)
        if into is not None and channel.flow:
            into += data
        elif into is not None and not channel.truncated:
            room = channel.cap - len(channel.stdout) - len(channel.stderr)
            into += data[: max(room, 0)]
            if len(data) > room:
                # Past the cap: stop reopening the window and close, so at most one window
                # more can come before the server's close.
                channel.truncated = True
                self.send_close(channel)
        self.reopen(channel)

    def reopen(self, channel: Channel) -> None:
        """Reopen the window once half of it is used, unless we are closing, or a shell's
        unread output reached the cap (then the next read reopens it): so a shell keeps at
        most the cap and one window unread."""
        held = len(channel.stdout) + len(channel.stderr)
        if channel.flow and held >= channel.cap:
            return
        if not channel.close_sent and channel.window < _WINDOW // 2:
            self.client.send(
                bytes([WINDOW_ADJUST])
                + struct.pack(">II", channel.remote, _WINDOW - channel.window)
            )
            channel.window = _WINDOW

    def _on_request(self, channel: Channel, message: Reader) -> None:
        name = message.string()
        want_reply = message.byte()
        if name == b"exit-status":
            channel.exit_status = message.uint32()
        elif name == b"exit-signal":
            channel.exit_signal = message.string()
        elif want_reply and not channel.close_sent:
            self.client.send(bytes([CHANNEL_FAILURE]) + struct.pack(">I", channel.remote))


_LAYERS: Final[weakref.WeakKeyDictionary[SshClient, Channels]] = weakref.WeakKeyDictionary()


def channels(client: SshClient) -> Channels:
    """The connection layer of ``client``, made on first use; it lives as long as the client
    (the session table holds :class:`SshClient` objects, not this)."""
    layer = _LAYERS.get(client)
    if layer is None:
        layer = _LAYERS[client] = Channels(client)
    return layer
