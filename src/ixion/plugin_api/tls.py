"""TLS as a scanner speaks it, shared by Python plugins (``context``) and NASL sockets.

A scanner looks at services, it does not trust them: no certificate check (a self-signed or
expired certificate is itself a finding) and every protocol version and cipher OpenSSL still
has, so old servers can be reached at all. The server name is announced only when it is a
name: RFC 6066 forbids sending an address.
"""

from __future__ import annotations

import ipaddress
import ssl

__all__ = ["probing_context", "server_name"]


def probing_context(pinned: ssl.TLSVersion | None = None) -> ssl.SSLContext:
    """A client context that accepts any certificate; ``pinned`` allows only that version."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
    context.set_ciphers("ALL:@SECLEVEL=0")
    if pinned is not None:
        context.minimum_version = context.maximum_version = pinned
    return context


def server_name(name: str) -> str:
    """The SNI to send for ``name``: ``""`` (none) when it is an IP address."""
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return name
    return ""
