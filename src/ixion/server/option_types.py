"""What a key of ``ixiond.conf`` is declared with, and how its text becomes a value (§5.2).

:mod:`ixion.server.options` lists the keys, one :class:`~ixion.server.options.Settings` field
each; this module holds what such a declaration says (:class:`Option`) and the readers it
picks from, so that the list stays a list. nessusd read each value with code of its own, and
its truth tests differed per key (spec §3.10, §10.6); here a key names its :class:`Kind` and,
for a yes/no value, its :class:`Truth`, and every integer, path, choice or list is read the
same way whichever key holds it.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["Kind", "OnBadValue", "Option", "Truth", "parse_integer"]

_INTEGER = re.compile(r"-?[0-9]{1,12}")


class Kind(enum.Enum):
    """How the text of a value becomes the Python value of its ``Settings`` field."""

    BOOL = "bool"  # bool, by the option's Truth
    INT = "int"  # int, decimal, optionally negative
    STR = "str"  # str as written (None when absent without a default)
    CHOICE = "choice"  # one of Option.choices, compared case-insensitively (ssl_version)
    PATH = "path"  # an absolute pathlib.Path
    LIST = "list"  # tuple[str, ...], split at Option.separator, items trimmed, empties dropped


class Truth(enum.Enum):
    """nessusd's truth tests differ per key (spec §3.10, §10.6); each option names its own."""

    YES = "exactly yes"  # safe_checks, ntp_short_status, ...
    NOT_NO = "anything but no"  # optimize_test: only exactly ``no`` turns it off
    SET = "neither empty nor no"  # force_pubkey_auth
    PRESENT = "present"  # ntp_escape_crlf: present with any value, even ``no``

    def holds(self, value: str | None) -> bool:
        """Whether ``value`` (None: the key is absent) reads as on."""
        if value is None:
            return False
        if self is Truth.YES:
            return value == "yes"
        if self is Truth.NOT_NO:
            return value != "no"
        if self is Truth.SET:
            return value not in ("", "no")
        return True

    def is_ambiguous(self, value: str) -> bool:
        """``value`` is neither ``yes`` nor ``no``, so a reader may be surprised by it."""
        if self is Truth.PRESENT:
            return False
        return value not in ("yes", "no") and not (self is Truth.SET and value == "")


class OnBadValue(enum.Enum):
    """What a value that does not parse does at startup (client values never stop anything)."""

    FATAL = "fatal"  # ixiond refuses to start, naming the line
    WARN = "warn"  # a warning, and the value used when the key is absent (nessusd's ssl_version)


@dataclass(frozen=True, slots=True, kw_only=True)
class Option:
    """One key: everything about it except its current value."""

    name: str
    kind: Kind
    #: One line for the default file and ``--help``-style listings.
    help: str
    #: The text ``ixiond -g`` writes; None: the key is not written.
    default: str | None = None
    #: The text used when the key is absent; None: no value (off, empty or None).
    if_absent: str | None = None
    #: A client PREFERENCES line may change it for its connection (spec §5.3).
    client_may_set: bool = True
    #: PREFERENCES from the server carries it (spec §3.3, §10.39).
    sent_to_clients: bool = True
    truth: Truth = Truth.YES
    separator: str = ","
    choices: tuple[str, ...] = ()
    #: The smallest accepted integer, for INT.
    minimum: int | None = None
    on_bad_value: OnBadValue = OnBadValue.FATAL

    @property
    def follows_state_dir(self) -> bool:
        """Written and absent, the value is the same path under ``state_dir``.

        A new file writes such a key commented out, so that changing ``state_dir`` alone
        moves everything ixiond writes.
        """
        return (
            self.name != "state_dir"
            and self.default == self.if_absent
            and "{state_dir}" in (self.default or "")
        )

    def default_text(self, state_dir: Path) -> str | None:
        """The line's value in a new file."""
        return _expand(self.default, state_dir)

    def parse(self, text: str | None, state_dir: Path) -> Any:
        """The Python value of ``text`` (None: the key is absent).

        Raises:
            ValueError: with the reason, for a value that does not fit the kind.
        """
        if text is None:
            text = _expand(self.if_absent, state_dir)
        if self.kind is Kind.BOOL:
            return self.truth.holds(text)
        if text is None:
            return () if self.kind is Kind.LIST else None
        return _PARSERS[self.kind](self, text)


def _expand(template: str | None, state_dir: Path) -> str | None:
    return None if template is None else template.replace("{state_dir}", str(state_dir))


def parse_integer(text: str) -> int:
    """A decimal integer, optionally negative; ValueError for anything else (``1_000``, ``+3``)."""
    if not _INTEGER.fullmatch(text):
        raise ValueError("not an integer")
    return int(text)


def _parse_int(option: Option, text: str) -> int:
    value = parse_integer(text)
    if option.minimum is not None and value < option.minimum:
        raise ValueError(f"must be at least {option.minimum}")
    return value


def _parse_choice(option: Option, text: str) -> str:
    for choice in option.choices:
        if choice.lower() == text.lower():
            return choice
    raise ValueError(f"not one of {', '.join(option.choices)}")


def _parse_path(option: Option, text: str) -> Path:
    # The daemon runs from /, so a relative path would depend on how it was started.
    if not text.startswith("/"):
        raise ValueError("not an absolute path")
    return Path(text)


def _parse_list(option: Option, text: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in text.split(option.separator) if item.strip())


_PARSERS: Final[dict[Kind, Callable[[Option, str], Any]]] = {
    Kind.INT: _parse_int,
    Kind.STR: lambda option, text: text,
    Kind.CHOICE: _parse_choice,
    Kind.PATH: _parse_path,
    Kind.LIST: _parse_list,
}
