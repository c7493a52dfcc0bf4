"""What one client or one user may take of the daemon (issue 15), in one frozen value.

Every limit is an ``ixiond.conf`` key (:mod:`ixion.server.options`, shown by ``ixiond -g``);
this module holds their defaults, chosen to protect a small server (two cores, a few GB), and
:class:`Limits`, the values the daemon enforces, read once at start-up. Code that enforces a
limit takes a :class:`Limits`, not the whole :class:`~ixion.server.options.Settings`, so that
protocol-level tests can run a daemon with the defaults and no scanning set-up.

Over a limit, that client gets a clear error and the log a line; nothing else is affected.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Final

__all__ = ["DEFAULTS", "Limits"]

#: Connections served at once, logged in or not. Beyond it the listener pauses.
MAX_CONNECTIONS: Final = 2048
#: Connections at once from one address, logged in or not.
MAX_CONNECTIONS_PER_ADDRESS: Final = 64
#: Connections at once logged in as one user.
MAX_CONNECTIONS_PER_USER: Final = 16
#: Scans at once of one user, detached ones included.
MAX_SCANS_PER_USER: Final = 4
#: Addresses one scan may name, after ranges are expanded.
MAX_HOSTS_PER_SCAN: Final = 65536
#: Bytes of one uploaded plugin or attached file.
MAX_UPLOAD_BYTES: Final = 16 * 1024 * 1024
#: Plugins one user may keep uploaded (and files one connection may attach at once).
MAX_UPLOADS_PER_USER: Final = 1000
#: Bytes of all the plugins one user keeps uploaded (and of one connection's files).
MAX_UPLOAD_BYTES_PER_USER: Final = 64 * 1024 * 1024
#: Seconds a logged-in client may stall in the middle of a message (a block, a payload, a
#: line), or take less than 1 KiB/s of the output waiting for it. Between messages a client
#: may stay idle for as long as it likes, as with nessusd.
CLIENT_STALL_TIMEOUT: Final = 60
#: Failed logins from one address, or for one user name, before each new attempt waits.
LOGIN_FAILURES_ALLOWED: Final = 5
#: Longest wait imposed on a throttled login, seconds; the wait doubles from 1 s up to it.
LOGIN_MAX_DELAY: Final = 300
#: Password checks run at once (each a scrypt of 32 MiB on its own thread).
LOGIN_WORKERS: Final = 2


@dataclass(frozen=True, slots=True, kw_only=True)
class Limits:
    """The limits the daemon enforces; the defaults are ``ixiond -g``'s."""

    max_connections: int = MAX_CONNECTIONS
    max_connections_per_address: int = MAX_CONNECTIONS_PER_ADDRESS
    max_connections_per_user: int = MAX_CONNECTIONS_PER_USER
    max_scans_per_user: int = MAX_SCANS_PER_USER
    max_hosts_per_scan: int = MAX_HOSTS_PER_SCAN
    max_upload_bytes: int = MAX_UPLOAD_BYTES
    max_uploads_per_user: int = MAX_UPLOADS_PER_USER
    max_upload_bytes_per_user: int = MAX_UPLOAD_BYTES_PER_USER
    client_stall_timeout: float = CLIENT_STALL_TIMEOUT
    login_failures_allowed: int = LOGIN_FAILURES_ALLOWED
    login_max_delay: float = LOGIN_MAX_DELAY
    login_workers: int = LOGIN_WORKERS

    @classmethod
    def from_settings(cls, settings: object) -> Limits:
        """The limits of the daemon's (not a connection's) settings.

        ``settings`` is a :class:`~ixion.server.options.Settings`, which declares a key of
        the same name for every field here (options.py builds on this module's defaults).
        """
        return cls(**{field.name: getattr(settings, field.name) for field in fields(cls)})


#: The limits of a daemon with an empty configuration.
DEFAULTS: Final = Limits()
