"""How a service detected on a port is named, and where the KB keeps the name.

Plugins name services as ``nmap -sV`` does (``http``, ``ms-wbt-server``, ``ssl/http``
through TLS, ``snmp``) with :meth:`~ixion.plugin_api.context.PluginContext.name_service`;
the daemon puts the name in the port field of every line about the port
(``ssl/http (443/tcp)``), so a name is one word that any report format can carry.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["SERVICE_NAME_KEY", "is_service_name"]

#: The KB key of a port's service name (``ixion/service/tcp/443`` = ``ssl/http``).
SERVICE_NAME_KEY: Final = "ixion/service/{proto}/{port}"
#: Letters, digits and ``._+/-``, not starting with a separator, at most 64 characters: no
#: space, parenthesis or ``|`` to break a port field or an NBE line.
_SERVICE_NAME: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+/-]{0,63}")


def is_service_name(name: str) -> bool:
    """Whether ``name`` may name a service."""
    return _SERVICE_NAME.fullmatch(name) is not None
