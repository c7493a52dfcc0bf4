"""``ixiond``: the daemon that speaks NTP to clients and drives the engine."""
