"""``ixiond``: the daemon that speaks NTP to clients and drives the engine.
It is the one place where the protocol layer and the engine meet; it may use every package.
"""
