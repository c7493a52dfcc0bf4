"""Interactive shells on SSH session channels, for the ``ssh_shell_*`` built-ins.

Network devices whose SSH runs no single command, and ``su``/``sudo`` logins, need a shell
the script talks to: it writes a line, reads what came back, writes the next. A shell is a
``session`` channel of :mod:`ixion.nasl.ssh.channel` (which dispatches its messages along
with those of commands run meanwhile) asked for a ``pty-req`` when wanted and a ``shell``.

What this module guards against, the target being possibly hostile:

* writes follow the server's window and packet size; when the window is used up they wait
  for the server to reopen it, at most the session's timeout;
* reads wait at most what they were told (and never past the script's deadline, applied
  by :class:`~ixion.nasl.ssh.wire.SshClient`): a blocking read ends once the shell said
  nothing for its quiet time, and in any case after the session's timeout and that quiet
  time together, so a shell trickling a byte now and then cannot hold it forever;
* size: a read returns at most the cap (``max_string``); what a shell writes beyond the
  cap waits in the server, since the window is only reopened as reads take the output, so
  the scanner holds at most the cap and one window per shell.

A session has at most one shell, as in OpenVAS: opening another closes the one before,
once the new one runs. The shell lives with the connection layer of its client, so ending
the session (``ssh_disconnect``, closing its socket) ends the shell too.
"""

from __future__ import annotations

import contextlib
import struct
import weakref
from typing import TYPE_CHECKING, Final

from ixion.nasl.ssh.channel import CHANNEL_DATA, ChannelError
from ixion.nasl.ssh.kex import SshError, string

if TYPE_CHECKING:
    from collections.abc import Callable

    from ixion.nasl.ssh.channel import Channel, Channels

__all__ = ["Shell", "ShellEnded", "open_shell", "shell_of"]

#: What ``pty-req`` asks for (RFC 4254 6.2): xterm, 80 columns by 24 rows as OpenVAS sets
#: them, no pixel size, and no terminal modes (only the end of the list, ``TTY_OP_END``).
_PTY: Final = string(b"xterm") + struct.pack(">IIII", 80, 24, 0, 0) + string(b"\0")
#: Largest data packet we send, whatever larger size the server would take.
_MAX_SEND: Final = 32 * 1024


class ShellEnded(SshError):
    """The server ended the shell (or the shell was closed); nothing more comes from it."""


class Shell:
    """One open shell: its channel and the connection layer that carries it."""

    def __init__(self, layer: Channels, channel: Channel, *, pty: bool) -> None:
        self.layer = layer
        self.channel = channel
        #: Whether a pseudo-terminal was granted (what the script asked for).
        self.pty = pty

    @property
    def ended(self) -> bool:
        """The server sent end of file or closed the channel: no output is to come."""
        return self.channel.eof or self.channel.closed

    def _held(self) -> int:
        return len(self.channel.stdout) + len(self.channel.stderr)

    def _wait(self, done: Callable[[], bool], seconds: float) -> bool:
        """Dispatch messages until ``done()`` or ``seconds`` passed; whether ``done()``.

        The time is measured here rather than by each read, so messages that keep coming
        (keepalives, data for other channels) cannot stretch it."""
        clock = self.layer.clock
        end = clock() + seconds
        while not done():
            left = end - clock()
            if left <= 0:
                return False
            self.layer.poll(left)
        return True

    # -- the script's side -----------------------------------------------------------------
    def write(self, data: bytes) -> None:
        """Send all of ``data`` as the shell's input.

        Raises :class:`ShellEnded` when the shell is gone, :class:`SshError` when the
        server keeps its window shut for the session's timeout or the connection fails.
        """
        channel, layer = self.channel, self.layer
        packet = min(channel.remote_max, _MAX_SEND)
        if packet <= 0:
            raise ChannelError("the server takes no data on this channel")
        while data:
            if channel.closed or channel.close_sent:
                raise ShellEnded("the shell has ended")
            if channel.remote_window <= 0:
                if not self._wait(
                    lambda: channel.remote_window > 0 or channel.closed, layer.client.timeout
                ):
                    raise SshError("the server kept its window shut")
                continue
            size = min(len(data), channel.remote_window, packet)
            layer.client.send(
                bytes([CHANNEL_DATA]) + struct.pack(">I", channel.remote) + string(data[:size])
            )
            channel.remote_window -= size
            data = data[size:]

    def read(self, quiet: float | None) -> bytes:
        """What the shell wrote (stderr, then stdout, as OpenVAS reads them), at most ``cap``
        bytes (the channel's cap); what is left stays for the next read.

        With ``quiet`` None, only what has already arrived; else wait until the shell said
        nothing for ``quiet`` seconds (or ended, or the cap is reached), at most the
        session's timeout and ``quiet`` together. Raises :class:`ShellEnded` when the
        shell ended and nothing of it is left to read.
        """
        layer, channel = self.layer, self.channel
        clock, cap = layer.clock, channel.cap
        if quiet is None:
            end = clock() + layer.client.timeout
            while self._held() < cap and not self.ended and clock() < end and layer.poll(0):
                pass
        else:
            end = clock() + layer.client.timeout + quiet
            heard, held = clock(), self._held()
            while held < cap and not self.ended:
                left = min(heard + quiet, end) - clock()
                if left <= 0:
                    break
                layer.poll(left)
                if self._held() != held:
                    heard, held = clock(), self._held()
        if not self._held() and self.ended:
            raise ShellEnded("the shell has ended")
        output = bytes(channel.stderr) + bytes(channel.stdout)
        channel.stderr.clear()
        channel.stdout[:] = output[cap:]
        if not channel.closed:
            layer.reopen(channel)
        return output[:cap]

    def close(self) -> None:
        """End the shell: end of input, then close, without waiting for the server (which
        a hostile one could make long); what it still sends for the channel is dropped."""
        if _SHELLS.get(self.layer) is self:
            del _SHELLS[self.layer]
        try:
            self.layer.send_eof(self.channel)
            self.layer.close(self.channel, wait=False)
        except SshError:
            self.layer.abandon(self.channel)


def open_shell(layer: Channels, *, pty: bool, cap: int) -> Shell:
    """Start a shell (with a pseudo-terminal if ``pty``) and make it the connection's shell,
    closing the one before.

    Raises :class:`ChannelError` when the server refuses the channel, the terminal or the
    shell, :class:`SshError` when the connection fails or the server does not answer.
    """
    channel = layer.open_session(cap, flow=True)
    try:
        if pty and not layer.request(channel, b"pty-req", _PTY):
            raise ChannelError("the server refused a pseudo-terminal")
        if not layer.request(channel, b"shell", b""):
            raise ChannelError("the server refused to start a shell")
    except SshError:
        with contextlib.suppress(SshError):
            layer.close(channel, wait=False)
        layer.abandon(channel)
        raise
    shell = Shell(layer, channel, pty=pty)
    previous = _SHELLS.get(layer)
    _SHELLS[layer] = shell
    if previous is not None:
        previous.close()
    return shell


#: The open shell of each connection layer; at most one, as in OpenVAS. Kept here rather
#: than on the layer, which carries channels and knows nothing of what runs in them.
_SHELLS: Final[weakref.WeakKeyDictionary[Channels, Shell]] = weakref.WeakKeyDictionary()


def shell_of(layer: Channels) -> Shell | None:
    """The shell open on ``layer``, if any."""
    return _SHELLS.get(layer)
