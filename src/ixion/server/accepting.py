"""The accept loop: it takes a connection from the kernel only when the daemon has room.

asyncio's ``start_server`` accepts whatever the kernel has queued, and when the process runs
out of descriptors it logs a traceback for every accept that fails: thousands a second, with
the daemon serving no one better for it (issue 15). Here running out is a state:

* at ``max_connections`` (or the fewer the descriptors allow, see
  :func:`~ixion.server.admission.connection_budget`) nothing is accepted: new clients wait in
  the kernel's queue, and the log gets one line when that begins and one when it ends;
* when an accept fails for want of descriptors or memory anyway (another part of the process
  holds them), accepting pauses until a connection ends, or :data:`RETRY_DELAY` seconds, and
  the log again gets one line as the episode begins and one as it ends, when no client is
  left waiting in the queue.

TLS handshakes run in each connection's own task (:func:`open_streams`), so a client that
never finishes its handshake holds up no one.
"""

from __future__ import annotations

import asyncio
import errno
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    import socket
    import ssl

    from ixion.server.admission import Admission

__all__ = ["RETRY_DELAY", "accept_forever", "open_streams"]

log = logging.getLogger(__name__)

#: Seconds between two attempts to accept while the process lacks descriptors or memory,
#: unless a connection ends first (asyncio's own server waits one second too).
RETRY_DELAY: Final = 1.0
#: The process, or the system, is short of something an accept needs.
_SHORT_OF: Final = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})
#: Errors accept(2) reports about the one connection it took, not about the listener (Linux
#: passes on the new socket's pending network errors; see its manual page): try the next.
_THAT_CONNECTION: Final = frozenset(
    {
        errno.ECONNABORTED,
        errno.EPROTO,
        errno.EPERM,
        errno.ENETDOWN,
        errno.ENOPROTOOPT,
        errno.EHOSTDOWN,
        errno.EHOSTUNREACH,
        errno.ENETUNREACH,
        errno.EOPNOTSUPP,
    }
)

#: Called with each accepted socket and its peer's address.
Accepted = Callable[["socket.socket", str], None]


async def accept_forever(listener: socket.socket, admission: Admission, accepted: Accepted) -> None:
    """Accept connections on ``listener`` (non-blocking, listening) until cancelled."""
    loop = asyncio.get_running_loop()
    failing_since: float | None = None
    while True:
        await admission.wait_for_room()
        try:
            try:
                sock, address = listener.accept()
                sock.setblocking(False)
            except BlockingIOError:
                # No one is waiting: whatever kept clients waiting is over. (An episode ends
                # here, not at the next accept that works: a daemon kept at its limit by a
                # queue accepts one client each time a descriptor frees, and would log twice
                # per client.)
                admission.caught_up()
                if failing_since is not None:
                    waited = loop.time() - failing_since
                    failing_since = None
                    log.info("accepting connections again after %.1f s", waited)
                sock, address = await loop.sock_accept(listener)
        except OSError as exc:
            if exc.errno in _THAT_CONNECTION:
                continue
            if failing_since is None:
                failing_since = loop.time()
                level = logging.WARNING if exc.errno in _SHORT_OF else logging.ERROR
                log.log(
                    level,
                    "cannot accept connections (%s) with %d open; new ones wait until one ends",
                    exc.strerror or exc,
                    admission.connections,
                )
            await admission.wait_for_release(RETRY_DELAY)
            continue
        accepted(sock, str(address[0]) if isinstance(address, tuple) else "unknown")


async def open_streams(
    sock: socket.socket, tls: ssl.SSLContext | None, handshake_timeout: float
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """Streams over an accepted socket, after the TLS handshake if ``tls``.

    What ``asyncio.start_server`` does for each connection, but in the connection's own task.

    Raises:
        OSError: the handshake failed (``ssl.SSLError``) or timed out, or the client left.
    """
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(loop=loop)
    protocol = asyncio.StreamReaderProtocol(reader, loop=loop)
    try:
        if tls is None:
            transport, _ = await loop.connect_accepted_socket(lambda: protocol, sock)
        else:
            transport, _ = await loop.connect_accepted_socket(
                lambda: protocol, sock, ssl=tls, ssl_handshake_timeout=handshake_timeout
            )
    except BaseException:
        sock.close()  # asyncio closed it already if it made a transport; twice does no harm
        raise
    return reader, asyncio.StreamWriter(transport, protocol, reader, loop)
