"""The scanned host as a script reaches it: the :class:`Host` interface and real sockets.
It may use the plugin vocabulary's TLS helpers, and nothing else of ixion.
"""
