"""The name a PORT line and a result give their port: the service found there.

Service detection names services as ``nmap -sV`` does (:mod:`ixion.engine.port_gate` passes
the names on), and a TLS-wrapped one ``ssl/<name>``. Where the service has a name of its own
through TLS, the one IANA registered for its port and every services file and report reader
knows, the port is called by it: ``ssl/http`` is ``https``. Other TLS services keep nmap's
``ssl/`` form, which still reads as one port field (``ssl/redis (6380/tcp)``).

A port nothing was detected on is named, as nessusd named every port, from the services
file by its number, else ``unknown``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from ixion.plugin_api.ports import Transport

if TYPE_CHECKING:
    from ixion.plugin_api.ports import Services

__all__ = ["TLS_SERVICE_NAMES", "port_name"]

#: nmap's name of a service through TLS -> its own name: IANA's for 443, 993, 995, 636 and
#: 990, and for 465 the alias ``smtps`` that services files give ``submissions`` (RFC 8314).
TLS_SERVICE_NAMES: Final = {
    "ssl/http": "https",
    "ssl/imap": "imaps",
    "ssl/pop3": "pop3s",
    "ssl/smtp": "smtps",
    "ssl/ldap": "ldaps",
    "ssl/ftp": "ftps",
}


def port_name(detected: str, port: int, proto: str, services: Services) -> str:
    """The name for ``port``/``proto``: the ``detected`` service's (``""``: none), else the
    services file's, else ``unknown``."""
    if detected:
        return TLS_SERVICE_NAMES.get(detected, detected)
    known = None
    if proto in (Transport.TCP, Transport.UDP):
        known = services.get((port, Transport(proto)))
    return known or "unknown"
