"""Control flow that leaves several levels of the tree at once, as exceptions.

``break``, ``continue`` and ``return`` stop at the nearest loop or function; outside any
loop, ``break`` and ``continue`` leave the function (nasl.md §2.4), and at the top level
they end the script's main part, as C's flags do. ``exit()`` unwinds everything.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ixion.nasl.runtime.values import Value

__all__ = ["BreakLoop", "ContinueLoop", "ExitScript", "ReturnValue"]


class BreakLoop(Exception):
    """``break``."""


class ContinueLoop(Exception):
    """``continue``."""


class ReturnValue(Exception):
    """``return [value]``."""

    def __init__(self, value: Value) -> None:
        super().__init__()
        self.value = value


class ExitScript(Exception):
    """``exit(code)``: the script ends; ``on_exit`` still runs."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code
