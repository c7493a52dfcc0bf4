"""The ``ixion`` client: command line and (later) the asyncio NTP client library."""
