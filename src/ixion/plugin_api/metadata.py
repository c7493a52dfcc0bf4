"""What a plugin is, as data: its metadata, its category and the preferences it offers.

The metadata is plain frozen data, so the daemon lists plugins, resolves dependencies and
decides what to launch without running any plugin code (NASL needs a "description run" for
the same; spec §6.1, §6.2). The fields mirror NASL's ``script_*`` calls one for one
(and ``qod``, NASL's ``qod_type``/``qod`` tags: :mod:`ixion.plugin_api.qod`).

Plugins are named three ways, as in nessusd: by ``filename`` in dependencies (``find_service.py``
depends on nothing, ``http_version.py`` on ``find_service.py``), by numeric ``id`` towards
clients, and by ``name`` in plugin preference names (``name[type]:label``).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Final

from ixion.plugin_api.qod import DEFAULT_QOD, Qod

__all__ = [
    "SERIAL_CATEGORIES",
    "UNSAFE_CATEGORIES",
    "Category",
    "PluginInfo",
    "PluginPreference",
    "PreferenceType",
]


class Category(enum.IntEnum):
    """When a plugin runs (spec §6.3): categories run in this order, with barriers."""

    INIT = 0
    SCANNER = 1
    SETTINGS = 2
    GATHER_INFO = 3
    ATTACK = 4
    MIXED_ATTACK = 5
    DESTRUCTIVE_ATTACK = 6
    DENIAL = 7
    KILL_HOST = 8
    FLOOD = 9
    END = 10


#: Skipped when ``safe_checks`` is on (§6.4 item 4).
UNSAFE_CATEGORIES: Final = frozenset(
    {Category.DESTRUCTIVE_ATTACK, Category.DENIAL, Category.KILL_HOST, Category.FLOOD}
)
#: Run one plugin at a time, whatever ``max_checks`` says (§6.4 item 3).
SERIAL_CATEGORIES: Final = frozenset(
    {Category.SCANNER, Category.DENIAL, Category.KILL_HOST, Category.FLOOD}
)


class PreferenceType(enum.StrEnum):
    """The kinds of plugin preference a client can show (``script_add_preference``)."""

    ENTRY = "entry"
    PASSWORD = "password"
    CHECKBOX = "checkbox"
    RADIO = "radio"
    FILE = "file"


@dataclass(frozen=True, slots=True)
class PluginPreference:
    """One setting a plugin offers; clients set it as ``<plugin name>[<type>]:<name>``.

    ``default`` is the value shown to clients: ``yes``/``no`` for a checkbox, the choices
    separated by ``;`` for a radio (the first is the default), a remote file name for a file.
    """

    name: str
    type: PreferenceType
    default: str = ""

    def __post_init__(self) -> None:
        if not self.name or any(c in self.name for c in "[]\n") or "<|>" in self.name:
            raise ValueError(f"bad plugin preference name {self.name!r}")
        if self.type is PreferenceType.CHECKBOX and self.default not in ("yes", "no"):
            raise ValueError(f"checkbox {self.name!r} must default to yes or no")

    @property
    def initial(self) -> str:
        """The value a plugin reads when nobody set one: a radio's first choice."""
        if self.type is PreferenceType.RADIO:
            return self.default.split(";", 1)[0]
        return self.default


@dataclass(frozen=True, slots=True, kw_only=True)
class PluginInfo:
    """A plugin's metadata (spec §6.2). Validated here so that a bad plugin fails at load."""

    id: int
    #: The name dependencies use (a Python plugin's module file name, ``tcp_scanner.py``).
    filename: str
    name: str
    family: str
    category: Category
    summary: str
    description: str
    version: str = "1.0"
    copyright: str = "ixion authors, GPLv2"
    cve: tuple[str, ...] = ()
    bid: tuple[str, ...] = ()
    #: ``NAME:value`` references, such as ``OSVDB:1234``.
    xrefs: tuple[str, ...] = ()
    #: ``filename`` of the plugins that must run first.
    dependencies: tuple[str, ...] = ()
    #: KB keys that must all exist.
    require_keys: tuple[str, ...] = ()
    #: KB keys none of which may exist.
    exclude_keys: tuple[str, ...] = ()
    #: TCP ports or KB keys (``Services/www``); at least one must be open.
    require_ports: tuple[int | str, ...] = ()
    require_udp_ports: tuple[int | str, ...] = ()
    #: Seconds; ``None``: the ``plugins_timeout`` preference; 0 or less: no limit.
    timeout: int | None = None
    preferences: tuple[PluginPreference, ...] = ()
    #: How sure its findings are (NASL's ``qod_type`` and ``qod`` tags); a finding may
    #: restate it (:meth:`~ixion.plugin_api.context.PluginContext.hole` ``qod=``...).
    qod: Qod = DEFAULT_QOD
    #: It names the services it finds on open TCP ports
    #: (:meth:`~ixion.plugin_api.context.PluginContext.name_service`): while it is to run, the
    #: host's TCP ports are held back, to go out with those names.
    detects_services: bool = False

    def __post_init__(self) -> None:
        if self.id <= 0:
            raise ValueError(f"{self.filename}: plugin id must be positive, not {self.id}")
        if not self.filename or "/" in self.filename:
            raise ValueError(f"bad plugin file name {self.filename!r}")
        for what in ("name", "family", "summary", "version"):
            value = getattr(self, what)
            if not value or "\n" in value or "<|>" in value:
                raise ValueError(f"{self.filename}: bad plugin {what} {value!r}")
        names = [preference.name for preference in self.preferences]
        if len(set(names)) != len(names):
            raise ValueError(f"{self.filename}: two preferences have the same name")
        if not isinstance(self.qod, Qod):
            raise ValueError(f"{self.filename}: qod must be a Qod, not {self.qod!r}")

    def preference(self, name: str) -> PluginPreference | None:
        return next((p for p in self.preferences if p.name == name), None)

    def preference_key(self, preference: PluginPreference) -> str:
        """The name clients use for a preference (spec §3.3): ``name[type]:label``."""
        return f"{self.name}[{preference.type}]:{preference.name}"
