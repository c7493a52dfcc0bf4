"""Which plugins run on a host, in which order, and whether each may launch (spec §6.4).

Pure functions over plugin metadata and the KB; :mod:`ixion.engine.host` does the running.

*Plan.* The user's ``plugin_set`` is the start. With ``auto_enable_dependencies`` the
dependency closure joins it, *silent* when ``silent_dependencies`` is on (they run, feed the
KB, report nothing). Without it a disabled dependency is skipped, except an INIT or SETTINGS
one, which runs anyway: settings plugins exist only to be depended on. A ``U:`` part in the
port range asks for a UDP scan: when the user enabled port scanners but not ixion's UDP
scanner, it joins them (scanners are chosen by id, and clients made for nessusd enable only
the TCP ones they know, so the UDP ports asked for would otherwise never be scanned).

*Phases.* Categories run in ascending order. INIT and SCANNER are barriers (all of them finish
before anything later starts); SETTINGS to DESTRUCTIVE_ATTACK flow together, a plugin starting
as soon as its dependencies are done; DENIAL, KILL_HOST and FLOOD wait for everything before
them and run one at a time, as do scanners; END runs last. A plugin that depends on one from a
later phase pulls that one into its own phase, since it has to run first.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from ixion.plugin_api.metadata import SERIAL_CATEGORIES, UNSAFE_CATEGORIES, Category
from ixion.plugin_api.ports import Transport, port_counts_as_open

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from ixion.engine.job import ScanSettings
    from ixion.plugin_api.kb import KnowledgeBase
    from ixion.plugin_api.metadata import PluginInfo

__all__ = ["UDP_SCANNER", "Phase", "Planned", "phase_of", "plan", "port_is_open", "why_not_launch"]

#: ixion's UDP scanner, which joins the port scanners when the port range has UDP ports.
UDP_SCANNER: Final = "udp_scanner.py"


class Phase(enum.IntEnum):
    INIT = 0
    SCANNERS = 1
    CHECKS = 2
    DANGEROUS = 3
    END = 4

    @property
    def serial(self) -> bool:
        return self in (Phase.SCANNERS, Phase.DANGEROUS)


def phase_of(category: Category) -> Phase:
    if category is Category.INIT:
        return Phase.INIT
    if category is Category.SCANNER:
        return Phase.SCANNERS
    if category is Category.END:
        return Phase.END
    if category in SERIAL_CATEGORIES:
        return Phase.DANGEROUS
    return Phase.CHECKS


@dataclass(frozen=True, slots=True)
class Planned:
    info: PluginInfo
    phase: Phase
    #: Enabled only as a dependency while ``silent_dependencies`` is on: reports are dropped.
    silent: bool
    #: A disabled dependency that completes at once without running (no auto-enabling).
    skip: bool
    #: ``filename`` of the planned plugins that must be done first.
    after: tuple[str, ...]


def plan(
    plugins: Iterable[PluginInfo], enabled: frozenset[int], settings: ScanSettings
) -> list[Planned]:
    """The plugins to schedule for a host, in launch order (phase, category, dependencies)."""
    by_name = {info.filename: info for info in plugins}
    chosen = {name for name, info in by_name.items() if info.id in enabled}
    if _udp_scan_wanted(by_name, chosen, settings):
        chosen.add(UDP_SCANNER)
    dependency_only: set[str] = set()
    stack = sorted(chosen)
    while stack:
        for dep in by_name[stack.pop()].dependencies:
            if dep in by_name and dep not in chosen and dep not in dependency_only:
                dependency_only.add(dep)
                stack.append(dep)
    phases = _phases(by_name, chosen | dependency_only)
    planned: list[Planned] = []
    for name in _topological(by_name, chosen | dependency_only, phases):
        info = by_name[name]
        extra = name in dependency_only
        runs_anyway = info.category in (Category.INIT, Category.SETTINGS)
        planned.append(
            Planned(
                info=info,
                phase=phases[name],
                silent=extra and settings.silent_dependencies and settings.auto_enable_dependencies,
                skip=extra and not settings.auto_enable_dependencies and not runs_anyway,
                after=tuple(d for d in info.dependencies if d in phases),
            )
        )
    return planned


def _udp_scan_wanted(
    by_name: Mapping[str, PluginInfo], chosen: set[str], settings: ScanSettings
) -> bool:
    """The range has UDP ports and port scanners were chosen, but not the UDP scanner."""
    return (
        bool(settings.port_range.udp)
        and UDP_SCANNER in by_name
        and UDP_SCANNER not in chosen
        and any(by_name[name].category is Category.SCANNER for name in chosen)
    )


def _phases(by_name: Mapping[str, PluginInfo], names: set[str]) -> dict[str, Phase]:
    """Each plugin's phase, lowered to the earliest phase of anything that depends on it."""
    phases = {name: phase_of(by_name[name].category) for name in names}
    changed = True
    while changed:
        changed = False
        for name in names:
            for dep in by_name[name].dependencies:
                if dep in phases and phases[dep] > phases[name]:
                    phases[dep] = phases[name]
                    changed = True
    return phases


def _topological(
    by_name: Mapping[str, PluginInfo], names: set[str], phases: Mapping[str, Phase]
) -> list[str]:
    """Dependencies before dependents; otherwise by phase, category and id. Cycles broken."""
    order: list[str] = []
    state: dict[str, bool] = {}  # False: being visited, True: placed

    def visit(name: str) -> None:
        if name in state:
            return  # placed, or a cycle: the edge that closes it is ignored
        state[name] = False
        for dep in sorted(by_name[name].dependencies):
            if dep in names:
                visit(dep)
        state[name] = True
        order.append(name)

    def key(name: str) -> tuple[int, int, int]:
        info = by_name[name]
        return (phases[name], info.category, info.id)

    for name in sorted(names, key=key):
        visit(name)
    # A stable sort by phase keeps dependency order inside each phase (deps never come later).
    return sorted(order, key=lambda name: phases[name])


def port_is_open(kb: KnowledgeBase, settings: ScanSettings, port: int, proto: str) -> bool:
    """The §6.4 port-state check: unscanned ports count as open unless told otherwise."""
    transport = Transport(proto)
    scanned_key = "Host/scanned" if transport is Transport.TCP else "Host/udp_scanned"
    return port_counts_as_open(
        port,
        transport,
        host_scanned=kb.is_positive(scanned_key),
        port_range=settings.port_range,
        unscanned_closed=settings.unscanned_closed,
        open_ports=lambda p: kb.is_positive(f"Ports/{proto}/{p}"),
    )


def why_not_launch(info: PluginInfo, kb: KnowledgeBase, settings: ScanSettings) -> str | None:
    """Why a plugin must not run now (spec §6.4 item 4), or None if it may."""
    if settings.safe_checks and info.category in UNSAFE_CATEGORIES:
        return "safe checks are enabled"
    if not settings.optimize_test:
        return None
    for ports, proto in ((info.require_ports, "tcp"), (info.require_udp_ports, "udp")):
        if ports and not any(_entry_open(entry, proto, kb, settings) for entry in ports):
            return f"none of the required {proto} ports is open"
    for key in info.require_keys:
        if key not in kb:
            return f"required KB item {key} is missing"
    for key in info.exclude_keys:
        if key in kb:
            return f"excluded KB item {key} is set"
    return None


def _entry_open(entry: int | str, proto: str, kb: KnowledgeBase, settings: ScanSettings) -> bool:
    """A required-port entry: a number (port state check) or a KB key holding a port > 0."""
    if isinstance(entry, int) or entry.isdigit():
        return port_is_open(kb, settings, int(entry), proto)
    return any(kb.is_positive(name) for name, _ in kb.matching(entry))
