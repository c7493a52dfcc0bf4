"""Service names made comparable: nmap's, nessus-style report names and the ground truth's.

The ground truth uses nmap's ``-sV`` names, except that HTTP through TLS is ``https``.
Reports name ports as nessusd did (``www``, or the services file's name for the number), and
nmap marks TLS with a ``tunnel="ssl"`` attribute or an ``ssl/`` prefix; both are folded here.
"""

from __future__ import annotations

from typing import Final

__all__ = ["ALIASES", "normalise"]

ALIASES: Final = {
    "www": "http",
    "http?": "http",
    "ssl/http": "https",
    "ssl/https": "https",
    "https?": "https",
    "tls/http": "https",
    "memcache": "memcached",
    "postgres": "postgresql",
    "dns": "domain",
    "mariadb": "mysql",
}


def normalise(name: str | None, tunnel: str | None = None) -> str | None:
    """The canonical form of a service name; ``tunnel="ssl"`` (nmap's XML) adds ``ssl/``."""
    if name is None or name in ("", "unknown", "?"):
        return None
    name = name.strip().lower()
    if tunnel and not name.startswith(f"{tunnel}/"):
        name = f"{tunnel}/{name}"
    return ALIASES.get(name, name)
