"""ixion: a network vulnerability scanner speaking the Nessus Transfer Protocol.
The root holds only the version; each concern is a package below it.
"""

__version__ = "0.1.0"
