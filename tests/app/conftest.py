"""``ixion scan`` against the netlab uses the session-wide ``netlab`` fixture."""

from tests.netlab.fixture import netlab  # noqa: F401
