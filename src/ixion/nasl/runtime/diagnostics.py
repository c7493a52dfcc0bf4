"""Warnings and non-fatal errors a script causes while it keeps running.

The C interpreter prints these (``nasl_perror``) and goes on: an undefined function, a
string that is not a number, a function defined twice. ixion hands each one, with its
place, to a callback chosen by whoever runs the script (the engine logs them, the tests
compare them). Errors that end the script are raised instead
(:class:`~ixion.nasl.syntax.errors.NaslRuntimeError`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, TypeAlias

__all__ = ["Diagnostic", "DiagnosticSink", "Severity"]

Severity: TypeAlias = Literal["warning", "error"]


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One message: ``error`` where C reports a fault in the script, else ``warning``."""

    severity: Severity
    message: str
    filename: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.filename}:{self.line}:{self.column}: {self.severity}: {self.message}"


DiagnosticSink: TypeAlias = Callable[[Diagnostic], None]
