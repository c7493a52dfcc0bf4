"""The scan engine: targets, worker processes, plugin scheduling, a knowledge base per host.
It may use the plugin vocabulary and NASL; it knows nothing of NTP, the server or the client.
"""
