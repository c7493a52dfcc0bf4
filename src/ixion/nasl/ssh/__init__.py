"""An SSH client for NASL's ``ssh_*`` built-ins: transport, key exchange, auth, channels, shells.
It may use the network layer (the host's sockets) only; it knows nothing of the interpreter.
"""
