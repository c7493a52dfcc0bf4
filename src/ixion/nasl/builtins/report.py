"""Findings and scan glue (nasl.md §6.2 T1 KB/report/glue; C's ``nasl_scanner_glue.c``).

Report built-ins hand a :class:`~ixion.nasl.network.host.Report` to the run, which passes it on to
the host unless the run is a fork replay. The port is the positional argument (classic
``security_hole(80)``) or ``port:``; the protocol ``protocol:`` (OpenVAS' name, which wins) or
``proto:`` (nessusd's), by default ``tcp``; the text ``data:`` (C falls back on the script's
description, which a run does not know here, so ixion reports an empty text).
``security_message`` is an alarm, reported as a hole, as NTP's HOLE carries OpenVAS' ALARM.

Glue: ``get_preference(name)`` reads a scan preference, ``safe_checks()`` is TRUE unless
the ``safe_checks`` preference says otherwise (OpenVAS' default is ``yes``),
``get_script_oid()`` is the run's OID if it knows one, ``vendor_version()`` is the
``vendor_version`` preference or an empty string, and ``scanner_status()`` does nothing,
as in current OpenVAS.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from ixion.nasl.network.host import Report, ReportKind
from ixion.nasl.runtime.values import Value, c_string

if TYPE_CHECKING:
    from collections.abc import Callable

    from ixion.nasl.runtime.run import Call

__all__ = ["FUNCTIONS"]


def _report(kind: ReportKind) -> Callable[[Call], Value]:
    def report(call: Call) -> Value:
        port = call.integer(0, call.integer("port", 0))
        if not 0 <= port <= 65535:
            call.warn(f"invalid port {port}")
            return None
        named = call.text("protocol") or call.text("proto") or b"tcp"
        protocol = c_string(named).decode("latin-1")
        data = call.text("data") or b""
        call.rt.report(Report(kind, port, protocol, data))
        return None

    return report


def _get_preference(call: Call) -> Value:
    name = call.text(0)
    if name is None:
        call.warn("get_preference: missing name")
        return None
    return call.rt.services.preferences.get(c_string(name).decode("latin-1"))


def _safe_checks(call: Call) -> Value:
    return int(call.rt.services.preferences.get("safe_checks", b"yes") == b"yes")


def _get_script_oid(call: Call) -> Value:
    return call.rt.services.script_oid


def _vendor_version(call: Call) -> Value:
    return call.rt.services.preferences.get("vendor_version", b"")


FUNCTIONS: Final[dict[str, Callable[[Call], Value]]] = {
    "security_hole": _report("hole"),
    "security_message": _report("hole"),
    "security_warning": _report("warning"),
    "security_note": _report("note"),
    "log_message": _report("log"),
    "error_message": _report("error"),
    "get_preference": _get_preference,
    "safe_checks": _safe_checks,
    "get_script_oid": _get_script_oid,
    "vendor_version": _vendor_version,
    "scanner_status": lambda call: None,
}
