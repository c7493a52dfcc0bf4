"""The lab's own tests use the session-wide ``netlab`` fixture."""

from tests.netlab.fixture import netlab  # noqa: F401
