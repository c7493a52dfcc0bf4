"""The SSH shell built-ins (C's ``nasl_ssh_shell_*``), on the sessions of :mod:`.ssh`.

The feed's ``ssh_func.inc`` talks to a shell where a command cannot be run alone (network
devices) or must run as another user (``su``): open, write a line, read, and so on. What
a script sees follows OpenVAS:

* ``ssh_shell_open(id, pty:)`` starts a shell, with a pseudo-terminal unless ``pty`` is
  given as anything but 1 (80x24, ``xterm``), and returns the session id; NULL, with a
  warning, for an unknown session, one not logged in, or a server that refuses. A session
  has one shell: a new one replaces the one before.
* ``ssh_shell_read(id, timeout:)`` returns what the shell wrote, stderr before stdout:
  without ``timeout`` (or not above 0), only what has already arrived, else what arrives
  until the shell is quiet for ``timeout`` milliseconds (libssh's unit, which OpenVAS
  passes on unchanged). An empty string when nothing came; NULL when the shell has ended
  and nothing is left, and, with a warning, for an unknown session, no shell, or a broken
  connection.
* ``ssh_shell_write(id, cmd:)`` sends ``cmd`` as the shell's input: 0, or -1 with a
  warning for an unknown session, no shell, no ``cmd``, or a failed write.
* ``ssh_shell_close(id)`` closes the shell, if any, and returns NULL.

Where ixion differs: a read returns at most ``max_string`` bytes (the rest comes with the
next) and a blocking read ends after the session's timeout plus its own, even if the
shell never goes quiet; opening before login is refused here with a warning (libssh fails
to open the channel); the terminal size is sent with the ``pty-req`` (libssh sends a
``window-change`` after it too).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from ixion.nasl.builtins.ssh import session_named
from ixion.nasl.ssh.channel import channels
from ixion.nasl.ssh.kex import SshError
from ixion.nasl.ssh.shell import ShellEnded, open_shell, shell_of

if TYPE_CHECKING:
    from collections.abc import Callable

    from ixion.nasl.runtime.run import Call
    from ixion.nasl.runtime.values import Value
    from ixion.nasl.ssh.shell import Shell

__all__ = ["FUNCTIONS"]


def _shell(call: Call, name: str) -> Shell | None:
    """The session's open shell, its clock set for this call; a warning if there is none."""
    found = session_named(call, name)
    if found is None:
        return None
    session_id, session = found
    shell = None if session.client is None else shell_of(channels(session.client))
    if shell is None:
        call.warn(f"{name}: no shell is open on SSH session {session_id}")
        return None
    shell.layer.clock = call.rt.services.clock.monotonic
    return shell


def _ssh_shell_open(call: Call) -> Value:
    found = session_named(call, "ssh_shell_open")
    if found is None:
        return None
    session_id, session = found
    client = session.client
    if client is None or not channels(client).logged_in:
        call.warn(f"ssh_shell_open: SSH session {session_id} is not logged in")
        return None
    layer = channels(client)
    layer.clock = call.rt.services.clock.monotonic
    try:
        open_shell(layer, pty=call.integer("pty", 1) == 1, cap=call.rt.services.limits.max_string)
    except SshError as error:
        call.rt.check_deadline()
        call.warn(f"ssh_shell_open: {error}")
        return None
    return session_id


def _ssh_shell_read(call: Call) -> Value:
    shell = _shell(call, "ssh_shell_read")
    if shell is None:
        return None
    timeout = call.integer("timeout", 0)
    try:
        output = shell.read(timeout / 1000 if timeout > 0 else None)
    except ShellEnded:
        return None
    except SshError as error:
        call.rt.check_deadline()
        call.warn(f"ssh_shell_read: {error}")
        return None
    return call.rt.check_string(output)


def _ssh_shell_write(call: Call) -> Value:
    shell = _shell(call, "ssh_shell_write")
    if shell is None:
        return -1
    command = call.text("cmd")
    if not command:
        call.warn("No command passed to ssh_shell_write")
        return -1
    try:
        shell.write(command)
    except SshError as error:
        call.rt.check_deadline()
        call.warn(f"ssh_shell_write: {error}")
        return -1
    return 0


def _ssh_shell_close(call: Call) -> Value:
    found = session_named(call, "ssh_shell_close")
    client = None if found is None else found[1].client
    shell = None if client is None else shell_of(channels(client))
    if shell is not None:
        shell.close()
    return None


FUNCTIONS: Final[dict[str, Callable[[Call], Value]]] = {
    "ssh_shell_open": _ssh_shell_open,
    "ssh_shell_read": _ssh_shell_read,
    "ssh_shell_write": _ssh_shell_write,
    "ssh_shell_close": _ssh_shell_close,
}
