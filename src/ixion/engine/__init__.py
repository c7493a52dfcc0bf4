"""The scan engine: targets, ports, plugin scheduling, knowledge bases. Knows nothing of NTP."""
