"""The base of all messages, and the messages both peers send.

Every wire message is a frozen, slotted dataclass with keyword-only fields that checks itself
on construction (h11's events are the model): an invalid message cannot exist, so encoders
never check again. ``TYPE`` is the message's wire verb, or a name for the few lines that have
none (prompts, the banner).
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar, TypeVar, cast, dataclass_transform

from ixion.ntp.errors import LocalProtocolError
from ixion.ntp.text import check_field

__all__ = ["ConnectionClosed", "Message", "Preferences", "Rules", "Unrecognized", "message"]

_M = TypeVar("_M", bound="type[Message]")


@dataclass_transform(frozen_default=True, kw_only_default=True)
def message(cls: _M) -> _M:
    """Class decorator for wire messages: frozen, slotted, keyword-only."""
    return cast("_M", dataclasses.dataclass(frozen=True, slots=True, kw_only=True)(cls))


class Message:
    """Base of every message either peer can send."""

    __slots__ = ()
    TYPE: ClassVar[str]


@message
class ConnectionClosed(Message):
    """The peer closed its side of the connection between two messages."""

    TYPE: ClassVar[str] = "CONNECTION_CLOSED"


@message
class Unrecognized(Message):
    """A complete line that nessusd would ignore: unknown command or a malformed one.

    nessusd silently skips such lines and so does ixiond, so they are not protocol errors.
    ``reason`` explains what was wrong; it is not part of the wire form.
    """

    TYPE: ClassVar[str] = "UNRECOGNIZED"
    line: str
    reason: str = dataclasses.field(default="", compare=False)

    def __post_init__(self) -> None:
        if "\n" in self.line:
            raise LocalProtocolError(f"line contains a newline: {self.line!r}")


def _check_items(items: tuple[tuple[str, str], ...], what: str) -> None:
    """Each pair must read back from its ``name <|> value`` line.

    The value may hold anything but a line end: readers split at the first separator, and
    ``check_field`` keeps every separator out of the name.
    """
    for name, value in items:
        check_field(f"{what} name", name)
        if "\n" in value or value.endswith("\r"):
            raise LocalProtocolError(f"{what} value of {name!r} contains a line end")


@message
class Preferences(Message):
    """``PREFERENCES``: ordered ``name <|> value`` pairs, duplicates allowed (spec §3.3, §5.3).

    The server sends its configuration and plugin preferences after login; the client sends
    the values it wants for the next scan. Order matters (the first duplicate wins on the
    server), hence a tuple of pairs rather than a mapping.
    """

    TYPE: ClassVar[str] = "PREFERENCES"
    items: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        _check_items(self.items, "preference")


@message
class Rules(Message):
    """``RULES``: one rule per line (spec §7.3). The server's is always empty in 2.2.5."""

    TYPE: ClassVar[str] = "RULES"
    rules: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for rule in self.rules:
            check_field("rule", rule)
