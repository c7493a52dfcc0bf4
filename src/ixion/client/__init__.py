"""The ``ixion`` client: the command line, the NTP client connection, batch scans.
It may use the protocol layer and the reports, never the server or the engine.
"""
