"""What find_service left about one port, as its tests read it."""

from __future__ import annotations

import re

from ixion.plugins import find_service

from .helpers import Outcome

NOTE_ID = find_service.INFO.id


def name_of(scan: Outcome, port: int) -> object:
    return scan.get(find_service.SERVICE_NAME.format(port=port))


def failure_of(scan: Outcome, port: int) -> str:
    return str(scan.get(find_service.SERVICE_FAILURE.format(port=port)))


def note_of(scan: Outcome, port: int) -> str:
    """The port's one note from find_service, without the quality-of-detection line."""
    [note] = scan.texts(port=port, plugin_id=NOTE_ID)
    return re.sub(r"Quality of detection: [^\n]*\n\Z", "", note)
