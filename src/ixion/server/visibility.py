"""Which conf names clients are sent and which they may change (spec §3.3, §5.3, §10.39).

nessusd kept a list of keys PREFERENCES never sends and another of keys a client may not
override; they disagreed, and ``pem_password`` went to every client (§10.39). A declared key
now carries its own answer (:class:`~ixion.server.option_types.Option`), and these rules
cover the rest. Names not declared in :mod:`ixion.server.options` are still valid: plugins
may read any preference by name (§5.2). They are sent to clients and clients may set them, as
in nessusd, except nessusd's private names (:data:`PRIVATE_NAMES`, :data:`PRIVATE_PREFIXES`)
and names that look like secrets (:data:`SECRET_WORDS`).
"""

from __future__ import annotations

from typing import Final

from ixion.server.options import OPTIONS_BY_NAME

__all__ = [
    "PRIVATE_NAMES",
    "PRIVATE_PREFIXES",
    "SECRET_WORDS",
    "is_client_settable",
    "is_private",
    "is_sent_to_clients",
]

#: Names nessusd kept private that nothing reads any more (spec §3.3, §5.3): never sent, and
#: clients may not set them. ``config_file`` was the path nessusd loaded; ixion keeps that on
#: the table (``ixiond -s`` prints it), so a line with this name is just ignored.
PRIVATE_NAMES: Final = frozenset(
    {"config_file", "negot_timeout", "cookie_logpipe", "log_while_attack"}
)
#: Families of private names: nessusd 1.x's PEKS authentication keys.
PRIVATE_PREFIXES: Final = ("peks_",)

#: An undeclared name containing one of these words is never sent in PREFERENCES. nessusd sent
#: ``pem_password`` to every client (spec §10.39: fix); this also covers secrets added by hand.
SECRET_WORDS: Final = ("password", "passphrase", "secret")


def is_client_settable(name: str) -> bool:
    """A client PREFERENCES line with this name changes its connection (spec §5.3)."""
    declared = OPTIONS_BY_NAME.get(name)
    if declared is not None:
        return declared.client_may_set
    return not is_private(name)


def is_sent_to_clients(name: str) -> bool:
    """A conf entry with this name goes into the server's PREFERENCES (spec §3.3, §10.39)."""
    declared = OPTIONS_BY_NAME.get(name)
    if declared is not None:
        return declared.sent_to_clients
    lowered = name.lower()
    return not is_private(name) and not any(word in lowered for word in SECRET_WORDS)


def is_private(name: str) -> bool:
    """One of nessusd's private names (spec §3.3, §5.3)."""
    return name in PRIVATE_NAMES or name.startswith(PRIVATE_PREFIXES)
