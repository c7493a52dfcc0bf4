"""The client's ``.nessusrc``: the file that keeps its preferences between runs.

The format is the reference client's (spec §9.2)::

    trusted_ca = /etc/ixion/cacert.pem
    begin(SERVER_PREFS)
     max_hosts = 20
    end(SERVER_PREFS)

Top-level ``name = value`` lines, then sections between ``begin(NAME)`` and ``end(NAME)``:
``SERVER_PREFS`` (sent as they are), ``PLUGINS_PREFS`` (plugin preferences), ``PLUGIN_SET``
and ``SCANNER_SET`` (plugin id ``= yes`` or ``= no``). ``yes`` and ``no`` are booleans; order
and duplicates are kept (the first duplicate is the one that counts). Other section names
are kept as they are.

Reading is stricter than the reference client, which skipped what it could not parse and
so silently dropped settings: here a malformed line is an :class:`RcFileError` naming it.
Blank lines and lines starting with ``#`` are skipped, and comments are not written back.
Blanks around the ``=`` belong to neither side, so a value cannot start with one, and a
text value cannot be ``yes`` or ``no``: every entry reads back as itself. An empty value is
kept (the reference client forgot it).

What the file makes the client send is :mod:`ixion.client.preferences`'s business.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final, TypeAlias

__all__ = [
    "DEFAULT_RCFILE",
    "PLUGINS_PREFS",
    "PLUGIN_SET",
    "SCANNER_SET",
    "SERVER_PREFS",
    "RcFile",
    "RcFileError",
    "RcSection",
    "RcValue",
    "format_rcfile",
    "format_value",
    "is_storable",
    "parse_rcfile",
    "parse_value",
]

RcValue: TypeAlias = bool | str

SERVER_PREFS: Final = "SERVER_PREFS"
PLUGINS_PREFS: Final = "PLUGINS_PREFS"
PLUGIN_SET: Final = "PLUGIN_SET"
SCANNER_SET: Final = "SCANNER_SET"
#: Sections whose entries are plugin ids switched on or off.
_SET_SECTIONS: Final = frozenset({PLUGIN_SET, SCANNER_SET})

#: What may stand between ``=`` and a value.
_BLANKS: Final = " \t"
_SECTION_NAME: Final = re.compile(r"[A-Za-z0-9_]+")
_BEGIN: Final = re.compile(r"begin\(([^)]*)\)")
_END: Final = re.compile(r"end(?:\((.*)\))?")


class RcFileError(ValueError):
    """An rc file that cannot be read; ``line`` is the 1-based line number."""

    def __init__(self, line: int, problem: str) -> None:
        super().__init__(f"line {line}: {problem}")
        self.line = line
        self.problem = problem


# --- the value -------------------------------------------------------------------------------


def _check_item(section: str | None, name: str, value: RcValue) -> None:
    """An entry must read back as itself from its ``name = value`` line."""
    if isinstance(value, bool) and name.replace(".", "").isdigit():
        return  # a plugin id or OID switched on or off: 136,000 of them in a feed's rc file
    if not name or name != name.strip() or "=" in name or _has_line_end(name):
        raise ValueError(f"bad preference name {name!r}")
    if name.startswith(("#", "begin(", "end(")) or name == "end":
        raise ValueError(f"preference name {name!r} would read as a comment or section line")
    if isinstance(value, str):
        _check_text_value(name, value)
    if section in _SET_SECTIONS and not isinstance(value, bool):
        raise ValueError(f"{section} entries are 'yes' or 'no', not {value!r} (for {name!r})")


def _check_text_value(name: str, value: str) -> None:
    if _has_line_end(value):
        raise ValueError(f"value of {name!r} contains a line end")
    if value != value.lstrip(_BLANKS):
        raise ValueError(f"value of {name!r} starts with a blank, which reading drops")
    if value in ("yes", "no"):
        raise ValueError(f"value of {name!r} is the text {value!r}, which reads as a boolean")


def _has_line_end(text: str) -> bool:
    return "\n" in text or "\r" in text


def is_storable(name: str, value: RcValue) -> bool:
    """Whether a top-level ``name = value`` line would read back as this very entry."""
    try:
        _check_item(None, name, value)
    except ValueError:
        return False
    return True


@dataclass(frozen=True, slots=True, kw_only=True)
class RcSection:
    """A ``begin(NAME)`` ... ``end(NAME)`` block: ordered entries, duplicates kept."""

    name: str
    items: tuple[tuple[str, RcValue], ...] = ()

    def __post_init__(self) -> None:
        if not _SECTION_NAME.fullmatch(self.name):
            raise ValueError(f"bad section name {self.name!r}")
        for key, value in self.items:
            _check_item(self.name, key, value)

    def get(self, name: str) -> RcValue | None:
        """The first value for ``name``, or None."""
        return next((value for key, value in self.items if key == name), None)


@dataclass(frozen=True, slots=True, kw_only=True)
class RcFile:
    """A whole rc file: top-level entries, then sections, each in file order."""

    options: tuple[tuple[str, RcValue], ...] = ()
    sections: tuple[RcSection, ...] = ()

    def __post_init__(self) -> None:
        for key, value in self.options:
            _check_item(None, key, value)
        names = [section.name for section in self.sections]
        if len(set(names)) != len(names):
            raise ValueError(f"a section appears twice: {names}")

    def get(self, name: str) -> RcValue | None:
        """The first top-level value for ``name``, or None."""
        return next((value for key, value in self.options if key == name), None)

    def section(self, name: str) -> RcSection:
        """The section called ``name``; an empty one if the file has none."""
        return next((s for s in self.sections if s.name == name), RcSection(name=name))

    def with_section(self, section: RcSection) -> RcFile:
        """This file with ``section`` replacing its namesake, or added at the end."""
        if any(s.name == section.name for s in self.sections):
            sections = tuple(section if s.name == section.name else s for s in self.sections)
        else:
            sections = (*self.sections, section)
        return RcFile(options=self.options, sections=sections)


#: The reference client's default scanner choices (spec §9.2): ping and TCP scanner on, the
#: other scanners of its time off. ixiond's own TCP ping and TCP connect scanner carry the
#: classic ids 10180 and 10335, so this file (and the reference client's) scans ports there.
_DEFAULT_SCANNERS: Final = (
    *((plugin_id, True) for plugin_id in ("10180", "10335")),
    *((plugin_id, False) for plugin_id in ("10278", "10331", "10841", "10336", "10796")),
    *((plugin_id, False) for plugin_id in ("11219", "14259", "14272", "14274", "14663")),
)

#: What the reference client writes when there is no rc file (spec §9.2), less its
#: ``trusted_ca`` line, whose path belongs to the installation.
DEFAULT_RCFILE: Final = RcFile(
    sections=(
        RcSection(name=SCANNER_SET, items=_DEFAULT_SCANNERS),
        RcSection(name=SERVER_PREFS, items=(("max_hosts", "20"), ("max_checks", "4"))),
    )
)


# --- reading ---------------------------------------------------------------------------------


def parse_rcfile(text: str) -> RcFile:
    """Read an rc file.

    Raises:
        RcFileError: a line is malformed, a section is left open, nested or repeated, or a
            PLUGIN_SET/SCANNER_SET entry is not ``yes``/``no``.
    """
    reader = _Reader()
    for number, raw in enumerate(text.split("\n"), start=1):
        try:
            reader.feed(number, raw.removesuffix("\r"))
        except ValueError as exc:
            raise RcFileError(number, str(exc)) from None
    return reader.finish()


@dataclass(slots=True)
class _OpenSection:
    name: str
    line: int
    items: list[tuple[str, RcValue]]


class _Reader:
    """Line by line: top-level entries, or the entries of the section begun last."""

    def __init__(self) -> None:
        self.options: list[tuple[str, RcValue]] = []
        self.sections: list[RcSection] = []
        self.begun: dict[str, int] = {}
        self.open: _OpenSection | None = None

    def feed(self, number: int, line: str) -> None:
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            return
        if stripped.startswith("begin("):
            self._begin(number, stripped)
        elif stripped.startswith("end") and (end := _END.fullmatch(stripped)):
            self._end(end.group(1))
        else:
            section = None if self.open is None else self.open.name
            entry = _entry(line, section)
            (self.options if self.open is None else self.open.items).append(entry)

    def _begin(self, number: int, line: str) -> None:
        begin = _BEGIN.fullmatch(line)
        if begin is None or not _SECTION_NAME.fullmatch(begin.group(1)):
            raise ValueError(f"expected 'begin(NAME)' with NAME in A-Z, 0-9, _: {line[:60]!r}")
        name = begin.group(1)
        if self.open is not None:
            raise ValueError(
                f"begin({name}) inside begin({self.open.name}) from line {self.open.line}"
            )
        if name in self.begun:
            raise ValueError(f"section {name} appears twice (first at line {self.begun[name]})")
        self.begun[name] = number
        self.open = _OpenSection(name=name, line=number, items=[])

    def _end(self, name: str | None) -> None:
        current = self.open
        if current is None:
            raise ValueError(f"end({name or ''}) without a begin")
        if name is not None and name != current.name:
            raise ValueError(f"end({name}) closes begin({current.name}) from line {current.line}")
        self.sections.append(RcSection(name=current.name, items=tuple(current.items)))
        self.open = None

    def finish(self) -> RcFile:
        if self.open is not None:
            name = self.open.name
            raise RcFileError(self.open.line, f"begin({name}) is never closed by end({name})")
        return RcFile(options=tuple(self.options), sections=tuple(self.sections))


def _entry(line: str, section: str | None) -> tuple[str, RcValue]:
    """``name = value``: blanks around the name and before the value are not part of them."""
    name, equals, text = line.partition("=")
    if not equals:
        raise ValueError(f"expected 'name = value', got {line.strip()[:60]!r}")
    name = name.strip()
    value = parse_value(text.lstrip(_BLANKS))
    _check_item(section, name, value)
    return name, value


def parse_value(text: str) -> RcValue:
    """``yes`` and ``no`` are booleans, anything else is text (spec §9.2)."""
    if text == "yes":
        return True
    if text == "no":
        return False
    return text


# --- writing ---------------------------------------------------------------------------------

_HEADER: Final = "# ixion client preferences (.nessusrc format)\n"


def format_rcfile(rc: RcFile) -> str:
    """The file text: a header comment, the top-level entries, then each section."""
    lines = [_HEADER]
    lines.extend(f"{key} = {format_value(value)}\n" for key, value in rc.options)
    for section in rc.sections:
        lines.append(f"begin({section.name})\n")
        lines.extend(f" {key} = {format_value(value)}\n" for key, value in section.items)
        lines.append(f"end({section.name})\n\n")
    return "".join(lines)


def format_value(value: RcValue) -> str:
    """How a value is written: booleans as ``yes`` and ``no``, text as it is (spec §9.2)."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return value
