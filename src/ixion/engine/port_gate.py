"""One host's ports on their way out: held while service detection runs, then named.

A PORT line names its port's service (``http (8080/tcp)``), and the name worth giving is the
one service detection found, not the services file's guess from the number. Detection runs
after the port scanners, so a host's TCP ports wait for it here. :class:`PortGate` takes the
events of one host in order and gives back those to pass on now (it does no I/O):

* While detection is to run (DetectionPlanned) and has not ended, each TCP port found is
  held, and so are results on a held port, behind it: a result never comes before its
  port, nor names it otherwise.
* A port goes out as soon as detection names it (ServiceFound), with the results held on
  it. The ports left unnamed go out in port order when detection ends (DetectionEnded) or
  the host does (HostFinished, which the daemon gets even from a killed worker): a port
  found is always reported.
* PortFound and Finding go out with the name found for their port in ``service`` (``""``:
  none). A port keeps the name its PortFound went out with; a later one (a detection run
  again by a NASL script) would make its results disagree with its PORT line.
* UDP ports are never held: the UDP scanner knows the service that answered when it finds
  a port, and says so in its PortFound.

It is applied on the daemon's side of a worker, to each host's events as they arrive,
because a worker can be killed (a host stopped, a plugin stuck) before it lets go of
anything it held.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from ixion.engine.events import (
    DetectionEnded,
    DetectionPlanned,
    Finding,
    HostFinished,
    PortFound,
    ServiceFound,
)

if TYPE_CHECKING:
    from ixion.engine.events import Event

__all__ = ["PortGate"]


class PortGate:
    """The hold and the names of one host's ports; see the module docstring."""

    def __init__(self) -> None:
        self._holding = False
        #: (port, proto) -> the service detected there.
        self._names: dict[tuple[int, str], str] = {}
        #: Ports whose PortFound went out: their name no longer changes.
        self._settled: set[tuple[int, str]] = set()
        #: TCP port -> its PortFound events and the results on it, in arrival order.
        self._held: dict[int, list[PortFound | Finding]] = {}

    @property
    def holding(self) -> bool:
        """Whether TCP ports found now would wait for detection."""
        return self._holding

    def admit(self, event: Event) -> list[Event]:
        """The events to pass on now that ``event`` arrived (maybe none, maybe several)."""
        if isinstance(event, DetectionPlanned):
            self._holding = True
            return []
        if isinstance(event, ServiceFound):
            return self._named(event)
        if isinstance(event, PortFound):
            return self._port_found(event)
        if isinstance(event, Finding) and event.port > 0:
            return self._finding(event)
        if isinstance(event, DetectionEnded):
            return self._release_all()
        if isinstance(event, HostFinished):
            return [*self._release_all(), event]
        return [event]

    def _port_found(self, event: PortFound) -> list[Event]:
        key = (event.port, event.proto)
        if event.service and key not in self._settled:
            self._names[key] = event.service
        waits = self._holding and event.proto == "tcp" and key not in self._names
        if waits or (event.proto == "tcp" and event.port in self._held):
            self._held.setdefault(event.port, []).append(event)
            return []
        return [self._named_event(event)]

    def _finding(self, event: Finding) -> list[Event]:
        if event.proto == "tcp" and event.port in self._held:
            self._held[event.port].append(event)
            return []
        return [self._named_event(event)]

    def _named(self, event: ServiceFound) -> list[Event]:
        key = (event.port, event.proto)
        if key in self._settled:
            return []
        self._names[key] = event.service
        return self._release(event.port) if event.proto == "tcp" else []

    def _release(self, port: int) -> list[Event]:
        return [self._named_event(event) for event in self._held.pop(port, [])]

    def _release_all(self) -> list[Event]:
        self._holding = False
        return [event for port in sorted(self._held) for event in self._release(port)]

    def _named_event(self, event: PortFound | Finding) -> PortFound | Finding:
        key = (event.port, event.proto)
        name = self._names.get(key, "")
        if isinstance(event, PortFound):
            self._settled.add(key)
            self._names[key] = name
        return event if event.service == name else dataclasses.replace(event, service=name)
