"""Findings below the scan's ``min_qod``: held back, logged, and listed in one note per host.

Every finding carries its quality of detection (:mod:`ixion.plugin_api.qod`). A version
check that only read a banner says 30% (``remote_banner_unreliable``): on a Debian or Red Hat
host the package may well carry a backported fix under the old version number. Sending such
guesses as "Security Hole" next to confirmed flaws makes every report a triage job, so the
daemon, not each client, applies a minimum: ``min_qod`` (70 by default, as Greenbone's
scanners; a client may change it for its connection, 0 sends everything).

What is held back is not lost: each one is logged (plugin, host, port, severity, QoD), and
at the end of the host, before its FINISHED, the client gets one NOTE on ``general/tcp``
from ixion's scan notices plugin (:data:`WITHHELD_PLUGIN_ID`, in the plugin list so that
clients can name it) listing them and saying how to see them. That plugin's own notes (no
port scanner ran...) are ixion's, never held back. The note goes out
like any finding, so a saved session keeps it and a restore shows it again. A host resumed
from an interrupted session lists only what its resumed part held back: the plugins that
had finished are not run again, and what they held back was never stored.

The engine still records what the plugin said (``SentData/<id>/HOLE`` in the KB): held back
is the daemon's decision about what to show, not the plugin's about what it found.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

from ixion.engine.events import Finding, Severity
from ixion.plugin_api.notices import SCAN_NOTICES

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

__all__ = ["MAX_LISTED", "WITHHELD_PLUGIN_ID", "Confidence"]

log = logging.getLogger(__name__)

#: The plugin the note comes from (``scan_notices.py``).
WITHHELD_PLUGIN_ID: Final = SCAN_NOTICES.id
#: Findings listed in one note; the rest are counted (each is in the log).
MAX_LISTED: Final = 100

_WORDS: Final = {
    Severity.HOLE: "Security Hole",
    Severity.WARNING: "Security Warning",
    Severity.NOTE: "Security Note",
}


@dataclass(slots=True)
class _Held:
    listed: list[Finding] = field(default_factory=list)
    count: int = 0


class Confidence:
    """One scan's minimum: :meth:`admits` each finding, :meth:`summary` at each host's end.

    ``names`` gives plugin names by id; it is called once, when a first finding is held back
    (a feed's 136,000 plugins are not indexed for a scan that holds nothing back).
    """

    def __init__(self, min_qod: int, names: Callable[[], Mapping[int, str]], user: str) -> None:
        #: Above 100 nothing could pass but never would be told apart from 100: capped.
        self.min_qod = min(max(min_qod, 0), 100)
        self._names = names
        self._known: Mapping[int, str] | None = None
        self._user = user
        self._held: dict[str, _Held] = {}

    def admits(self, finding: Finding) -> bool:
        """Whether ``finding`` goes to the client; if not, it is logged and kept."""
        if finding.qod >= self.min_qod or finding.plugin_id == WITHHELD_PLUGIN_ID:
            return True
        log.info(
            "%s: %s: plugin %d's %s on %s held back: quality of detection %d%% (%s) < %d",
            self._user,
            finding.host,
            finding.plugin_id,
            finding.severity.value,
            _port(finding),
            finding.qod,
            finding.qod_type or "no type",
            self.min_qod,
        )
        held = self._held.setdefault(finding.host, _Held())
        held.count += 1
        if len(held.listed) < MAX_LISTED:
            held.listed.append(finding)
        return False

    def summary(self, host: str) -> Finding | None:
        """The note listing what ``host`` held back, once; None if it held nothing back."""
        held = self._held.pop(host, None)
        if held is None:
            return None
        if self._known is None:
            self._known = self._names()
        lines = [
            f"{held.count} finding(s) on this host were not reported one by one: their "
            f"quality of detection (QoD) is below this scan's minimum, min_qod = "
            f"{self.min_qod}.",
            "",
        ]
        for finding in held.listed:
            name = self._known.get(finding.plugin_id, "?")
            kind = f" ({finding.qod_type})" if finding.qod_type else ""
            lines.append(
                f"- plugin {finding.plugin_id} ({name}): {_WORDS[finding.severity]} on "
                f"{_port(finding)}, QoD {finding.qod}%{kind}"
            )
        if held.count > len(held.listed):
            lines.append(f"- and {held.count - len(held.listed)} more (see the daemon's log)")
        lines += [
            "",
            "A low QoD means weak evidence, such as a version number in a banner, which "
            "cannot show a fix a distribution backported. To receive these findings, scan "
            "again with min_qod set lower (min_qod = 0 reports everything).",
        ]
        text = "\n".join(lines) + "\n"
        return Finding(host, Severity.NOTE, 0, "tcp", text, WITHHELD_PLUGIN_ID, 100, "")


def _port(finding: Finding) -> str:
    return f"{finding.port}/{finding.proto}" if finding.port > 0 else f"general/{finding.proto}"
