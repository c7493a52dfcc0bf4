"""Loaded at start-up by every Python process of a fuzzed ixiond (its directory is put first on
``PYTHONPATH``): the daemon, its fork server and their workers.

A fuzzer sends target lists, preference values and host names it made up. The user's rules
refuse every address, but ixiond resolves a name before it asks the rules, and the resolver
here is not on loopback. So, in these processes only:

* no name is looked up: ``getaddrinfo`` takes numeric addresses only (``AI_NUMERICHOST``),
  ``gethostbyname`` likewise, and reverse lookups fail;
* no socket connects or sends to an address outside 127.0.0.0/8 and ::1.

A refused lookup fails as an unknown name does (``socket.gaierror``), so the daemon takes the
path it takes for a name that does not resolve, and the fuzzer still exercises it.
"""

from __future__ import annotations

import errno
import ipaddress
import socket
from typing import Any

#: Set on the patched functions so that a harness can prove the guard is loaded.
MARK = "ixion_fuzz_guard"

_getaddrinfo = socket.getaddrinfo
_gethostbyname = socket.gethostbyname
_connect = socket.socket.connect
_connect_ex = socket.socket.connect_ex
_sendto = socket.socket.sendto


def _is_loopback(address: Any) -> bool:
    if not isinstance(address, tuple) or not address:
        return True  # AF_UNIX paths and socketpairs
    try:
        ip = ipaddress.ip_address(str(address[0]).split("%", 1)[0])
    except ValueError:
        return False  # a name: connect() would resolve it
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback


def _refuse(address: Any) -> OSError:
    return OSError(errno.EACCES, f"fuzz guard: no traffic to {address!r} (loopback only)")


def getaddrinfo(  # the parameter names are socket.getaddrinfo's: callers pass type=...
    host: Any,
    port: Any,
    family: int = 0,
    type: int = 0,  # noqa: A002
    proto: int = 0,
    flags: int = 0,
) -> Any:
    return _getaddrinfo(host, port, family, type, proto, flags | socket.AI_NUMERICHOST)


def gethostbyname(name: str) -> str:
    try:
        ipaddress.IPv4Address(name)
    except ValueError:
        raise socket.gaierror(socket.EAI_NONAME, "fuzz guard: no name lookups") from None
    return _gethostbyname(name)


def gethostbyaddr(address: str) -> Any:
    raise socket.herror(1, "fuzz guard: no reverse lookups")


def getfqdn(name: str = "") -> str:
    return name or "localhost"


def connect(self: socket.socket, address: Any) -> None:
    if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address):
        raise _refuse(address)
    _connect(self, address)


def connect_ex(self: socket.socket, address: Any) -> int:
    if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address):
        return errno.EACCES
    return _connect_ex(self, address)


def sendto(self: socket.socket, data: Any, *args: Any) -> int:
    address = args[-1]
    if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address):
        raise _refuse(address)
    sent: int = _sendto(self, data, *args)
    return sent


for _function in (getaddrinfo, gethostbyname, gethostbyaddr, getfqdn):
    setattr(_function, MARK, True)
    setattr(socket, _function.__name__, _function)
for _method in (connect, connect_ex, sendto):
    setattr(_method, MARK, True)
    setattr(socket.socket, _method.__name__, _method)
