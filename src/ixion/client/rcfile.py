"""The client's ``.nessusrc``: preferences kept between runs, and what they make us send.

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
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, TypeAlias

from ixion.ntp import Category

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from ixion.ntp import PluginRecord

__all__ = [
    "CLIENT_FLAGS",
    "DEFAULT_RCFILE",
    "PLUGINS_PREFS",
    "PLUGIN_SET",
    "SCANNER_SET",
    "SERVER_PREFS",
    "RcFile",
    "RcFileError",
    "RcSection",
    "RcValue",
    "adopt_server_preferences",
    "files_to_upload",
    "format_rcfile",
    "parse_rcfile",
    "plugin_enabled",
    "plugin_set",
    "preferences_to_send",
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
#: other scanners of its time off.
_DEFAULT_SCANNERS: Final = (
    *((plugin_id, True) for plugin_id in ("10180", "10335")),
    # ixiond's own TCP ping and TCP connect scanner, in the same roles.
    *((plugin_id, True) for plugin_id in ("90000001", "90000002")),
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
        elif end := _END.fullmatch(stripped):
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
    value = _value(text.lstrip(_BLANKS))
    _check_item(section, name, value)
    return name, value


def _value(text: str) -> RcValue:
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
    lines.extend(f"{key} = {_wire(value)}\n" for key, value in rc.options)
    for section in rc.sections:
        lines.append(f"begin({section.name})\n")
        lines.extend(f" {key} = {_wire(value)}\n" for key, value in section.items)
        lines.append(f"end({section.name})\n\n")
    return "".join(lines)


def _wire(value: RcValue) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return value


# --- what the batch client sends (spec §3.10, §9.1, §9.2) ------------------------------------

#: Sent first in every PREFERENCES block by the reference client, whatever the rc file says.
CLIENT_FLAGS: Final = (
    ("ntp_opt_show_end", "yes"),
    ("ntp_keep_communication_alive", "yes"),
    ("ntp_short_status", "yes"),
    ("ntp_client_accepts_notes", "yes"),
    ("ntp_escape_crlf", "yes"),
)

#: Categories that start disabled when the rc file does not name the plugin (spec §3.2).
_OFF_BY_DEFAULT: Final = frozenset(
    {
        Category.DENIAL,
        Category.KILL_HOST,
        Category.FLOOD,
        Category.DESTRUCTIVE_ATTACK,
        Category.SCANNER,
    }
)

#: Server preferences that describe the server and are never stored (spec §3.3).
_SERVER_FACTS: Final = frozenset({"ntp_save_sessions", "ntp_detached_sessions"})


def plugin_enabled(rc: RcFile, plugin: PluginRecord) -> bool:
    """Whether the plugin runs: its entry in the rc file, else its category's default.

    Scanners are looked up in SCANNER_SET and the others in PLUGIN_SET, by id (spec §3.2).
    """
    section = SCANNER_SET if plugin.category is Category.SCANNER else PLUGIN_SET
    chosen = rc.section(section).get(plugin.id)
    if isinstance(chosen, bool):
        return chosen
    return plugin.category not in _OFF_BY_DEFAULT


def plugin_set(rc: RcFile, plugins: Sequence[PluginRecord]) -> str:
    """The ``plugin_set`` value: enabled ids, plugins then scanners, each ending in ``;``.

    The order within each group is the server's PLUGIN_LIST order; ``0`` when nothing is
    enabled, because an empty value would mean "every plugin" (spec §3.10, §10.27).
    """
    scanners = [p for p in plugins if p.category is Category.SCANNER]
    others = [p for p in plugins if p.category is not Category.SCANNER]
    enabled = dict.fromkeys(p.id for p in (*others, *scanners) if plugin_enabled(rc, p))
    return "".join(f"{plugin_id};" for plugin_id in enabled) or "0"


def preferences_to_send(rc: RcFile, plugins: Sequence[PluginRecord]) -> tuple[tuple[str, str], ...]:
    """The items of the batch client's PREFERENCES block (spec §3.10, §9.2).

    The five ``ntp_*`` flags, then SERVER_PREFS with booleans as ``yes``/``no`` and
    ``plugin_set`` computed from the plugin list (in its place if the section has one,
    else last), then PLUGINS_PREFS with each value cut at its first ``;``: for a radio
    preference that leaves the chosen option of an ``a;b;c`` list.
    """
    computed = plugin_set(rc, plugins)
    server = [(key, _wire(value)) for key, value in rc.section(SERVER_PREFS).items]
    if any(key == "plugin_set" for key, _ in server):
        server = [(key, computed if key == "plugin_set" else value) for key, value in server]
    else:
        server.append(("plugin_set", computed))
    plugin_prefs = [
        (key, _wire(value).partition(";")[0]) for key, value in rc.section(PLUGINS_PREFS).items
    ]
    return (*CLIENT_FLAGS, *server, *plugin_prefs)


def files_to_upload(rc: RcFile) -> tuple[str, ...]:
    """The local files ``[file]`` plugin preferences name, in order, without duplicates.

    The client sends each as ATTACHED_FILE after its PREFERENCES block (spec §3.10).
    """
    values = (value for key, value in rc.section(PLUGINS_PREFS).items if "[file]:" in key)
    return tuple(dict.fromkeys(v for v in values if isinstance(v, str) and v))


def adopt_server_preferences(rc: RcFile, items: Iterable[tuple[str, str]]) -> RcFile:
    """The rc file after the batch client read the server's PREFERENCES (spec §9.1).

    Every server preference the rc file does not have is added at the end of SERVER_PREFS,
    and every plugin preference (``Plugin[type]:name``) at the end of PLUGINS_PREFS with its
    value cut at the first ``;`` (a ``[file]`` one empty). Values the file already has win.
    ``ntp_save_sessions``, ``ntp_detached_sessions`` and ``server_info_*`` describe the
    server and are skipped, as are entries no rc line can hold (a name containing ``=``, a
    value starting with a blank): the server keeps its own value for those.
    """
    server = list(rc.section(SERVER_PREFS).items)
    plugin_prefs = list(rc.section(PLUGINS_PREFS).items)
    for name, text in items:
        if name in _SERVER_FACTS or name.startswith("server_info_"):
            continue
        is_plugin = _is_plugin_preference(name)
        target = plugin_prefs if is_plugin else server
        value = _value(_adopted_plugin_value(name, text) if is_plugin else text)
        if any(key == name for key, _ in target) or not _storable(name, value):
            continue
        target.append((name, value))
    rc = rc.with_section(RcSection(name=SERVER_PREFS, items=tuple(server)))
    return rc.with_section(RcSection(name=PLUGINS_PREFS, items=tuple(plugin_prefs)))


def _adopted_plugin_value(name: str, default: str) -> str:
    """The server's default cut at its first ``;``; empty for a file to upload.

    A ``[file]`` value is a local path the client uploads (spec §3.10); taking it from the
    server would let the server pick a file to be sent to it, so it starts empty, as the
    reference GUI client does.
    """
    if "[file]:" in name:
        return ""
    return default.partition(";")[0]


def _is_plugin_preference(name: str) -> bool:
    """``Plugin name[type]:preference``: a ``[``, then a ``]``, then a ``:`` (spec §3.3)."""
    opening = name.find("[")
    closing = name.find("]", opening + 1) if opening >= 0 else -1
    return closing >= 0 and name.find(":", closing + 1) >= 0


def _storable(name: str, value: RcValue) -> bool:
    try:
        _check_item(None, name, value)
    except ValueError:
        return False
    return True
