"""Socket built-ins (nasl.md §6.2 T1, C's ``nasl_socket.c``): open, send, recv, close.

Sockets reach only the scanned host (:class:`~ixion.nasl.network.host.Host` takes a port, never an
address) and live in the run's handle table (:mod:`ixion.nasl.runtime.connections`), which closes
them when the run ends. What C does and ixion does too:

* ``open_sock_tcp(port, timeout:, transport:)`` with ``transport`` an ``ENCAPS_*`` number;
  ``ENCAPS_AUTO`` (the default) takes the KB's ``Transports/TCP/<port>``, else the clear
  channel. A failed connection returns NULL. ``bufsz:`` is accepted and ignored (Python's
  sockets buffer already); the ``priv`` variants are plain sockets (no privileged port).
* ``recv(socket:, length:, min:, timeout:)`` reads until it has ``min`` bytes (at least
  one read), ``length`` bytes, end of stream or a wait longer than ``timeout`` (default 5
  seconds, C's ``checks_read_timeout``); NULL when nothing came. ``recv_line`` reads up to
  and including a newline.
* ``socket_get_error`` tells the last failure of a socket (``ETIMEDOUT``, ``ECONNRESET``).

Where ixion differs: UDP ``recv`` does not resend the last datagram on a timeout, and no
wait runs past the script's deadline.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from ixion.nasl.network.host import ConnectionRefused
from ixion.nasl.runtime.values import NaslString, Value

if TYPE_CHECKING:
    from collections.abc import Callable

    from ixion.nasl.network.host import Connection, Host, Transport
    from ixion.nasl.runtime.connections import Socket
    from ixion.nasl.runtime.run import Call

__all__ = [
    "ENCAPS_IP",
    "FUNCTIONS",
    "connect",
    "encaps_of_port",
    "remaining",
    "send_text",
    "socket_of",
    "transport_for",
]

ENCAPS_AUTO: Final = 0
ENCAPS_IP: Final = 1
#: ``ENCAPS_*`` -> transport; SSLv2 (3) and SSLv3 (4) are absent: no modern TLS library
#: speaks them, so asking for them fails like a refused connection.
_TRANSPORTS: Final[dict[int, Transport]] = {
    ENCAPS_IP: "clear",
    2: "tls",
    5: "tls1.0",
    6: "tls1.1",
    7: "tls1.2",
    8: "tls1.3",
    9: "tls",
}
#: Seconds ``open_sock_tcp`` waits for a connection, and ``recv`` for data, by default.
CONNECT_TIMEOUT: Final = 10
READ_TIMEOUT: Final = 5
_ERR_NONE, _ERR_TIMEDOUT, _ERR_RESET = 0, 1, 2


def transport_for(encaps: int) -> Transport | None:
    """The transport an ``ENCAPS_*`` number asks for; None for one ixion cannot speak."""
    return _TRANSPORTS.get(encaps)


def host_of(call: Call) -> Host | None:
    host = call.rt.services.host
    if host is None:
        call.warn("no target host in this run")
    return host


def remaining(call: Call, seconds: float) -> float:
    """``seconds``, cut down to what is left before the script's deadline."""
    rt = call.rt
    if rt.deadline is None:
        return seconds
    return max(0.001, min(seconds, rt.deadline - rt.services.clock.monotonic()))


def encaps_of_port(call: Call, port: int) -> int:
    """The KB's ``Transports/TCP/<port>``, or ``ENCAPS_IP`` when the KB does not know."""
    for value in reversed(call.rt.kb_values(f"Transports/TCP/{port}")):
        if isinstance(value, int):
            return value
    return ENCAPS_IP


def connect(call: Call, port: int, timeout: float, encaps: int) -> int | None:
    """Open a TCP socket to ``port``; its handle, or None (a warning says why, if useful)."""
    host = host_of(call)
    if host is None:
        return None
    if not 0 < port <= 65535:
        call.warn(f"invalid port {port}")
        return None
    table = call.rt.connections
    limit = call.rt.services.limits.max_sockets
    if len(table) >= limit:
        call.warn(f"too many open sockets (max_sockets={limit})")
        return None
    if encaps == ENCAPS_AUTO:
        encaps = encaps_of_port(call, port)
    transport = _TRANSPORTS.get(encaps)
    if transport is None:
        call.warn(f"unsupported transport {encaps}")
        return None
    try:
        connection = host.connect_tcp(port, timeout=remaining(call, timeout), transport=transport)
    except ConnectionRefused:
        call.rt.check_deadline()
        return None
    return table.add(connection, udp=False)


def _open_sock_tcp(call: Call) -> Value:
    timeout = call.integer("timeout", CONNECT_TIMEOUT)
    return connect(
        call,
        call.integer(0, -1),
        timeout if timeout > 0 else CONNECT_TIMEOUT,
        call.integer("transport", ENCAPS_AUTO),
    )


def _open_udp(call: Call, port: int) -> Value:
    host = host_of(call)
    if host is None or not 0 < port <= 65535:
        return None
    if len(call.rt.connections) >= call.rt.services.limits.max_sockets:
        call.warn("too many open sockets")
        return None
    try:
        connection = host.connect_udp(port)
    except ConnectionRefused:
        return None
    return call.rt.connections.add(connection, udp=True)


def socket_of(call: Call, key: int | str) -> Socket | None:
    handle = call.integer(key, -1)
    sock = call.rt.connections.get(handle)
    if sock is None:
        call.warn(f"{handle} is not an open socket")
    return sock


def send_text(call: Call, sock: Socket, data: bytes) -> int:
    try:
        sent = sock.connection.send(data)
    except OSError:
        sock.error = _ERR_RESET
        return -1
    sock.error = _ERR_NONE
    return sent


def _send(call: Call) -> Value:
    sock, data = socket_of(call, "socket"), call.text("data")
    if sock is None or data is None:
        return None
    length = call.integer("length", 0)
    return send_text(call, sock, data[:length] if 0 < length < len(data) else data)


def read(call: Call, sock: Socket, size: int, timeout: float) -> bytes | None:
    """One read: bytes (``b""`` at end of stream), or None after a timeout or an error."""
    connection: Connection = sock.connection
    try:
        data = connection.recv(size, remaining(call, timeout))
    except TimeoutError:
        sock.error = _ERR_TIMEDOUT
        call.rt.check_deadline()
        return None
    except OSError:
        sock.error = _ERR_RESET
        return None
    sock.error = _ERR_NONE
    return data


def _recv(call: Call) -> Value:
    sock, length = socket_of(call, "socket"), call.integer("length", -1)
    if sock is None:
        return None
    if length <= 0:
        # NULL, as the C interpreter answers. Zero is routine (http_keepalive.inc reads the
        # last chunk of a chunked body with length:0), so only a missing or negative length,
        # a script's mistake, is worth a warning.
        if length < 0:
            call.warn("recv: length must be positive")
        return None
    length = min(length, call.rt.services.limits.max_string)
    wanted = max(1, min(call.integer("min", 0), length))
    timeout = call.integer("timeout", READ_TIMEOUT)
    received = bytearray()
    while len(received) < wanted:
        data = read(call, sock, length - len(received), timeout)
        if not data:
            break
        received += data
        if sock.udp:
            break
    return bytes(received) or None


def recv_line(call: Call, sock: Socket, length: int, timeout: float) -> bytes | None:
    """Bytes up to and including ``\\n``, at most ``length`` of them; None if none came."""
    line = bytearray()
    while len(line) < length and not line.endswith(b"\n"):
        data = read(call, sock, 1, timeout)
        if not data:
            break
        line += data
    return bytes(line) or None


def _recv_line(call: Call) -> Value:
    sock, length = socket_of(call, "socket"), call.integer("length", -1)
    if sock is None:
        return None
    if length <= 0:
        call.warn("recv_line: length must be positive")
        return None
    length = min(length, call.rt.services.limits.max_string)
    return recv_line(call, sock, length, call.integer("timeout", READ_TIMEOUT))


def _close(call: Call) -> Value:
    handle = call.integer(0, -1)
    if not call.rt.connections.close(handle):
        call.warn(f"close: {handle} is not an open socket")
    return None


def _socket_get_error(call: Call) -> Value:
    sock = socket_of(call, 0)
    return None if sock is None else sock.error


def _get_source_port(call: Call) -> Value:
    sock = socket_of(call, 0)
    if sock is None:
        return None
    try:
        return sock.connection.local_port
    except OSError:
        return None


def _this_host(call: Call) -> Value:
    host = host_of(call)
    return None if host is None else NaslString(host.local_address().encode())


FUNCTIONS: Final[dict[str, Callable[[Call], Value]]] = {
    "open_sock_tcp": _open_sock_tcp,
    "open_priv_sock_tcp": lambda call: connect(
        call, call.integer("dport", -1), CONNECT_TIMEOUT, call.integer("transport", ENCAPS_AUTO)
    ),
    "open_sock_udp": lambda call: _open_udp(call, call.integer(0, -1)),
    "open_priv_sock_udp": lambda call: _open_udp(call, call.integer("dport", -1)),
    "send": _send,
    "recv": _recv,
    "recv_line": _recv_line,
    "close": _close,
    "socket_get_error": _socket_get_error,
    "get_source_port": _get_source_port,
    "this_host": _this_host,
}
