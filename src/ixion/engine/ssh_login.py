"""One SSH login attempt for :meth:`HostContext.ssh_auth`, with NASL's SSH client.

Python plugins may not import :mod:`ixion.nasl`; the engine may. ixion's SSH client
(:mod:`ixion.nasl.ssh.wire`) is synchronous, over a blocking socket, so the attempt runs in a
thread of its own (:func:`asyncio.to_thread`) and every wait in it is cut to one deadline:
a plugin cancelled by its timeout leaves a thread that ends by that deadline at the latest.

What it asks (RFC 4252): a ``none`` request for the user, whose failure lists the methods
the server would take (§5.2), and, when a password is given, a login by ``password`` or,
failing an offer of that, by ``keyboard-interactive`` (the password answering the prompt).
"""

from __future__ import annotations

import time
from typing import Final

from ixion.nasl.network.host import ConnectionRefused
from ixion.nasl.network.sockets import TargetHost
from ixion.nasl.ssh.wire import SshClient, SshError
from ixion.plugin_api.context import SshAuthResult

__all__ = ["ssh_login"]

#: Methods a password can log in with, in the order tried.
_PASSWORD_METHODS: Final = ("password", "keyboard-interactive")


def ssh_login(
    address: str, port: int, user: str, password: str | None, timeout: float
) -> SshAuthResult:
    """Key exchange, ``none``, then the password if given; blocking. Raises OSError (no
    connection, or a broken or refused exchange, :class:`SshError` included) or
    TimeoutError when ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout

    def limit(seconds: float) -> float:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError(f"port {port}: no SSH answer within {timeout:g} s")
        return min(seconds, left)

    try:
        connection = TargetHost(address).connect_tcp(
            port, timeout=limit(timeout), transport="clear"
        )
    except ConnectionRefused as err:
        raise ConnectionRefusedError(f"port {port}: {err}") from None
    client = SshClient(connection, limit, timeout)
    try:
        client.handshake(None, None, None)
        name = user.encode()
        methods = client.auth_none(name)
        logged_in_by = None
        if methods is not None and password is not None:
            logged_in_by = _password_login(client, name, password.encode(), methods)
        client.disconnect()
    except SshError as err:
        raise OSError(f"port {port}: {err}") from None
    finally:
        connection.close()
    banner = client.issue_banner
    return SshAuthResult(
        server_version=client.server_version.decode("utf-8", "replace"),
        methods=tuple(methods or ()),
        no_authentication=methods is None,
        logged_in_by=logged_in_by,
        issue_banner=None if banner is None else banner.decode("utf-8", "replace"),
    )


def _password_login(
    client: SshClient, user: bytes, password: bytes, offered: list[str]
) -> str | None:
    """The method ``password`` logged in with, trying each offered one once; else None."""
    for method in _PASSWORD_METHODS:
        if method not in offered:
            continue
        if method == "password":
            accepted = client.auth_password(user, password)
        else:
            accepted = client.auth_kbdint(user, password)
        if accepted:
            return method
    return None
