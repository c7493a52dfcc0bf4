"""Small protocol helpers C builds in (nasl.md §6.2 T1): telnet, FTP, denial checks.

* ``telnet_init(soc)`` refuses every option the server proposes (``DO`` -> ``WONT``,
  ``WILL`` -> ``DONT``) and returns the first data after the negotiation: the banner.
* ``ftp_log_in(user:, pass:, socket:)`` reads the ``220`` greeting, sends ``USER`` and,
  unless that already logged in (``230``), ``PASS``; TRUE when the server says ``230``.
  ``ftp_get_pasv_port(socket:)`` sends ``PASV`` and returns the port of the ``227`` answer.
* ``start_denial()`` remembers an open port that accepts a connection now;
  ``end_denial()`` tries it again after the attack: TRUE if the host still answers (also
  when no port was known, since nothing can be checked then). Unlike C, no ICMP ping
  stands in when the port scan found no open port.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Final

from ixion.nasl.builtins.hostinfo import open_tcp_port
from ixion.nasl.builtins.network import (
    CONNECT_TIMEOUT,
    ENCAPS_AUTO,
    READ_TIMEOUT,
    connect,
    read,
    recv_line,
    socket_of,
)
from ixion.nasl.builtins.network import send_text as send

if TYPE_CHECKING:
    from collections.abc import Callable

    from ixion.nasl.runtime.connections import Socket
    from ixion.nasl.runtime.run import Call
    from ixion.nasl.runtime.values import Value

__all__ = ["FUNCTIONS"]

_IAC, _DONT, _DO, _WONT, _WILL = 255, 254, 253, 252, 251
#: Options a server may propose before ``telnet_init`` stops answering them.
_MAX_OPTIONS: Final = 100
#: Longest FTP reply line read, and lines one reply may span.
_LINE: Final = 1024
_MAX_LINES: Final = 100
_PASV: Final = re.compile(rb"\((\d+),(\d+),(\d+),(\d+),(\d+),(\d+)\)")


def _telnet_init(call: Call) -> Value:
    sock = socket_of(call, 0)
    if sock is None:
        return None
    first = read(call, sock, 1, READ_TIMEOUT)
    for _ in range(_MAX_OPTIONS):
        if first != bytes([_IAC]):
            break
        command = read(call, sock, 2, READ_TIMEOUT) or b""
        if len(command) == 2 and command[0] in (_DO, _WILL):
            answer = _WONT if command[0] == _DO else _DONT
            send(call, sock, bytes([_IAC, answer, command[1]]))
        first = read(call, sock, 1, READ_TIMEOUT)
    if not first:
        return None
    rest = read(call, sock, _LINE, 1) or b""
    return first + rest


def _reply(call: Call, sock: Socket) -> bytes:
    """An FTP reply's last line (``NNN text``), after any ``NNN-`` continuation lines."""
    line = b""
    for _ in range(_MAX_LINES):
        line = recv_line(call, sock, _LINE, READ_TIMEOUT) or b""
        if len(line) < 4 or line[3:4] != b"-":
            break
    return line


def _ftp_log_in(call: Call) -> Value:
    sock = socket_of(call, "socket")
    user, password = call.text("user") or b"", call.text("pass") or b""
    if sock is None:
        return 0
    if not _reply(call, sock).startswith(b"220"):
        return 0
    send(call, sock, b"USER %s\r\n" % user)
    answer = _reply(call, sock)
    if answer.startswith(b"230"):
        return 1
    if not answer.startswith(b"331"):
        return 0
    send(call, sock, b"PASS %s\r\n" % password)
    return int(_reply(call, sock).startswith(b"230"))


def _ftp_get_pasv_port(call: Call) -> Value:
    sock = socket_of(call, "socket")
    if sock is None:
        return None
    send(call, sock, b"PASV\r\n")
    answer = _reply(call, sock)
    match = _PASV.search(answer) if answer.startswith(b"227") else None
    if match is None:
        return None
    return int(match[5]) * 256 + int(match[6])


def _alive(call: Call, port: int) -> bool:
    handle = connect(call, port, CONNECT_TIMEOUT, ENCAPS_AUTO)
    if handle is None:
        return False
    call.rt.connections.close(handle)
    return True


def _start_denial(call: Call) -> Value:
    port = open_tcp_port(call)
    call.rt.connections.denial_port = port if port and _alive(call, port) else None
    return None


def _end_denial(call: Call) -> Value:
    port = call.rt.connections.denial_port
    if port is None:
        return 1
    return int(_alive(call, port))


FUNCTIONS: Final[dict[str, Callable[[Call], Value]]] = {
    "telnet_init": _telnet_init,
    "ftp_log_in": _ftp_log_in,
    "ftp_get_pasv_port": _ftp_get_pasv_port,
    "start_denial": _start_denial,
    "end_denial": _end_denial,
}
