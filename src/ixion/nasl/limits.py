"""What one script may consume: a step budget, a call depth, sizes and a deadline.

Uploaded plugins are untrusted, and the C interpreter has none of these: a NASL loop that
never ends, or a recursion without a base case, would hold a scan slot until the engine's
watchdog killed the whole host process. Each limit ends only the script, with a
:class:`~ixion.nasl.errors.NaslRuntimeError` that names the limit and the place.

The deadline is checked between steps, so one thing it cannot cut short is a single
regular-expression search, which Python's ``re`` runs to its end: a pattern that
backtracks exponentially still needs the engine's watchdog.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Limits"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Limits:
    """Caps for one script run, forks included (nasl.md §6.1; STYLE.md practice 14)."""

    #: Statements executed plus calls made, per run (each fork is a run). Real plugins
    #: stay well under a million; ten million is some tens of seconds of Python.
    max_steps: int = 10_000_000
    #: Nested user-function calls. C has no cap but its stack; real plugins nest a few
    #: levels, and recursive helpers in the include library stay far below this.
    max_call_depth: int = 256
    #: Longest string or data value, in bytes. Banners and HTTP bodies plugins keep are
    #: far smaller; this stops ``crap(length: 1e12)`` and runaway concatenation.
    max_string: int = 16 * 1024 * 1024
    #: Most elements one array may hold, its highest index included.
    max_array: int = 1_000_000
    #: Wall-clock seconds for the whole script, every fork included; nessusd's default
    #: ``plugins_timeout`` is 320. None: no deadline.
    timeout: float | None = 320.0
    #: Runs one script may fork into (``get_kb_item`` with several values, nasl.md §2.6).
    max_runs: int = 4096
    #: Sockets one run may hold open at once. Plugins use one or two; the cap keeps an
    #: untrusted script from tying up the target's connection slots.
    max_sockets: int = 32
