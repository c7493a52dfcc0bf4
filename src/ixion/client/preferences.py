"""The rc file turned into protocol: what the batch client sends, and what it adopts.

:mod:`ixion.client.rcfile` knows the ``.nessusrc`` format and nothing of a scan. This module
holds the rules the reference client applied between that file and the server (spec §3.10,
§9.1, §9.2): which plugins a file enables, the PREFERENCES block and attached files it makes
the client send, and how the server's own preferences are folded back into the file.
"""

from __future__ import annotations

import operator
from itertools import compress, repeat
from typing import TYPE_CHECKING, Final, Protocol, TypeAlias

from ixion.client.plugin_store import PluginStore
from ixion.client.rcfile import (
    PLUGIN_SET,
    PLUGINS_PREFS,
    SCANNER_SET,
    SERVER_PREFS,
    RcSection,
    format_value,
    is_storable,
    parse_value,
)
from ixion.ntp import Category
from ixion.plugin_api.selection import Selection, TermKind, parse_terms

if TYPE_CHECKING:
    from collections.abc import Collection, Iterable, Sequence

    from ixion.client.rcfile import RcFile

__all__ = [
    "CLIENT_FLAGS",
    "ChoosablePlugin",
    "PluginChoices",
    "Plugins",
    "adopt_server_preferences",
    "compact_plugin_set",
    "files_to_upload",
    "plugin_columns",
    "plugin_enabled",
    "plugin_set",
    "preferences_to_send",
]

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

_ID: Final = operator.attrgetter("id")
_FAMILY: Final = operator.attrgetter("family")

#: Server preferences that describe the server and are never stored (spec §3.3).
_SERVER_FACTS: Final = frozenset({"ntp_save_sessions", "ntp_detached_sessions"})


class ChoosablePlugin(Protocol):
    """What choosing a plugin reads of it: a whole :class:`~ixion.ntp.PluginRecord` or the
    short :class:`~ixion.client.plugin_store.PluginEntry` a client keeps of a whole feed."""

    @property
    def id(self) -> str: ...
    @property
    def family(self) -> str: ...
    @property
    def category(self) -> Category: ...


#: A plugin list to choose from: whole records or a client's entries, or the store itself,
#: whose columns are read without an entry made for each plugin.
Plugins: TypeAlias = "Sequence[ChoosablePlugin] | PluginStore"


class PluginChoices:
    """An rc file's SCANNER_SET and PLUGIN_SET, read once (a whole feed is 136,000 plugins).

    An entry's name is a plugin id, as the reference client writes, or one of ixion's terms
    (``all``, ``family:NAME``, ``category:NAME``, ``config:NAME``;
    :mod:`ixion.plugin_api.selection`), so that a few lines choose a whole feed. The most
    precise entry decides: an id, then its family, then its category, then the first ``all``
    or ``config:`` entry (``config:discovery = yes`` runs that configuration and nothing
    else), then the category's default.

    Raises:
        SelectionError: an entry names no category or scan configuration ixion knows.
    """

    def __init__(self, rc: RcFile) -> None:
        self._ids: dict[str, dict[str, bool]] = {}
        self._families: dict[str, dict[str, bool]] = {}
        self._categories: dict[str, dict[str, bool]] = {}
        self._broad: dict[str, tuple[Selection, bool] | None] = {}
        self._broad_names_ids: dict[str, bool] = {}
        for name in (SCANNER_SET, PLUGIN_SET):
            ids: dict[str, bool] = {}
            families: dict[str, bool] = {}
            categories: dict[str, bool] = {}
            broad: tuple[Selection, bool] | None = None
            for key, value in rc.section(name).items:
                if not isinstance(value, bool):
                    continue
                if key.isdigit():
                    ids.setdefault(key, value)
                    continue
                terms = parse_terms([key])
                kind = terms[0].kind
                if len(terms) == 1 and kind is TermKind.FAMILY:
                    families.setdefault(terms[0].value, value)
                elif len(terms) == 1 and kind is TermKind.CATEGORY:
                    categories.setdefault(terms[0].value, value)
                elif broad is None:
                    broad = (Selection.of(terms), value)
            self._ids[name], self._families[name] = ids, families
            self._categories[name], self._broad[name] = categories, broad
            self._broad_names_ids[name] = broad is not None and any(
                term.kind is TermKind.ID for term in broad[0].terms
            )

    def enabled(self, plugin: ChoosablePlugin) -> bool:
        """Whether the plugin runs. Scanners are looked up in SCANNER_SET and the others in
        PLUGIN_SET (spec §3.2)."""
        category = plugin.category
        return self._decides(category is Category.SCANNER, plugin.id, plugin.family, category)

    def chosen(self, plugins: Plugins) -> tuple[list[str], list[str]]:
        """The ids of the plugins that run, in order: the others, and the scanners apart.

        :meth:`enabled` for a whole list, column by column (a feed is 136,000 plugins):
        past its id, only a plugin's family and category decide, unless the broad entry
        names ids itself, so each of the few hundred pairs is decided once, and the id
        entries are looked up over all the ids at once.
        """
        ids, families, words = plugin_columns(plugins)
        scanner = list(map(operator.eq, words, repeat(Category.SCANNER.value)))
        if any(self._broad_names_ids.values()):
            flags = [
                self._decides(is_scanner, plugin_id, family, Category(word))
                for plugin_id, family, word, is_scanner in zip(
                    ids, families, words, scanner, strict=True
                )
            ]
        else:
            groups = list(zip(scanner, families, words, strict=True))
            decided = {
                group: self._group_decides(
                    SCANNER_SET if group[0] else PLUGIN_SET, group[1], Category(group[2])
                )
                for group in set(groups)
            }
            # dict.get(the section's id entries, id, the pair's decision): an id entry wins.
            id_entries = (self._ids[PLUGIN_SET], self._ids[SCANNER_SET]).__getitem__
            flags = list(
                map(dict.get, map(id_entries, scanner), ids, map(decided.__getitem__, groups))
            )
        others = compress(ids, map(operator.and_, flags, map(operator.not_, scanner)))
        return list(others), list(compress(ids, map(operator.and_, flags, scanner)))

    def _decides(self, scanner: bool, plugin_id: str, family: str, category: Category) -> bool:
        section = SCANNER_SET if scanner else PLUGIN_SET
        chosen = self._ids[section].get(plugin_id)
        if chosen is not None:
            return chosen
        return self._group_decides(section, family, category, plugin_id)

    def _group_decides(
        self, section: str, family: str, category: Category, plugin_id: str = ""
    ) -> bool:
        """What decides a plugin past its id entry: its family, its category, the broad
        entry (which reads ``plugin_id`` only if it names ids), the category's default."""
        for chosen in (
            self._families[section].get(family.casefold()),
            self._categories[section].get(category.name),
        ):
            if chosen is not None:
                return chosen
        broad = self._broad[section]
        if broad is not None:
            selection, value = broad
            runs = selection.runs(plugin_id, family, category.name)
            return value if runs else not value
        return category not in _OFF_BY_DEFAULT


def plugin_columns(plugins: Plugins) -> tuple[Sequence[str], Sequence[str], Sequence[str]]:
    """The ids, the families and the category words of a plugin list, a column each."""
    if isinstance(plugins, PluginStore):
        ids, _, words, families = plugins.columns()[:4]
        return ids, families, words
    words = [plugin.category.value for plugin in plugins]
    return list(map(_ID, plugins)), list(map(_FAMILY, plugins)), words


def plugin_enabled(rc: RcFile, plugin: ChoosablePlugin) -> bool:
    """Whether the plugin runs (:class:`PluginChoices`; read the file once for many)."""
    return PluginChoices(rc).enabled(plugin)


def plugin_set(rc: RcFile, plugins: Plugins, *, terms: bool = False) -> str:
    """The ``plugin_set`` value: enabled ids, plugins then scanners, each ending in ``;``.

    The order within each group is the server's PLUGIN_LIST order; ``0`` when nothing is
    enabled, because an empty value would mean "every plugin" (spec §3.10, §10.27). Terms are
    sent as the ids they stand for, which a classic nessusd reads too. ``terms``: the server
    is ixiond, which reads :mod:`~ixion.plugin_api.selection` terms, so the same choice goes
    out in words (:func:`compact_plugin_set`) instead of a line of 135,000 ids.
    """
    others, scanners = PluginChoices(rc).chosen(plugins)
    enabled = dict.fromkeys(others)
    enabled.update(dict.fromkeys(scanners))
    if terms:
        return compact_plugin_set(enabled.keys(), plugins)
    return "".join(f"{plugin_id};" for plugin_id in enabled) or "0"


def compact_plugin_set(enabled: Collection[str], plugins: Plugins) -> str:
    """``enabled`` (ids of ``plugins``) as ixiond's terms: ``all``, else per family either
    ``family:NAME`` (with ``!id`` for each left out, when fewer are out than in) or the ids.

    An id or family that a term cannot carry (not a number; ``;``, a line break or outer
    spaces in a family name) goes as ids, so the server selects exactly ``enabled``.
    """
    if not enabled:
        return "0"
    ids, names, _ = plugin_columns(plugins)
    if all(map(enabled.__contains__, ids)) and all(map(str.isdigit, ids)):
        return "all;"
    families: dict[str, list[int]] = {}  # the positions of each family's plugins
    for position, folded in enumerate(map(str.casefold, names)):
        families.setdefault(folded, []).append(position)
    items: list[str] = []
    for positions in families.values():
        members = list(map(ids.__getitem__, positions))
        on = [plugin_id for plugin_id in members if plugin_id in enabled]
        if not on:
            continue
        off = [plugin_id for plugin_id in members if plugin_id not in enabled]
        family = names[positions[0]]
        nameable = (
            bool(family)
            and family == family.strip()
            and not any(c in family for c in ";\r\n")
            and all(map(str.isdigit, members))
        )
        if nameable and len(off) < len(on):
            items.append(f"family:{family}")
            items.extend(f"!{plugin_id}" for plugin_id in off)
        else:
            items.extend(on)
    return "".join(f"{item};" for item in items)


def preferences_to_send(
    rc: RcFile, plugins: Plugins, *, terms: bool = False
) -> tuple[tuple[str, str], ...]:
    """The items of the batch client's PREFERENCES block (spec §3.10, §9.2).

    The five ``ntp_*`` flags, then SERVER_PREFS with booleans as ``yes``/``no`` and
    ``plugin_set`` computed from the plugin list (in its place if the section has one,
    else last; in words when ``terms``, see :func:`plugin_set`), then PLUGINS_PREFS with
    each value cut at its first ``;``: for a radio preference that leaves the chosen option
    of an ``a;b;c`` list.
    """
    computed = plugin_set(rc, plugins, terms=terms)
    server = [(key, format_value(value)) for key, value in rc.section(SERVER_PREFS).items]
    if any(key == "plugin_set" for key, _ in server):
        server = [(key, computed if key == "plugin_set" else value) for key, value in server]
    else:
        server.append(("plugin_set", computed))
    plugin_prefs = [
        (key, format_value(value).partition(";")[0])
        for key, value in rc.section(PLUGINS_PREFS).items
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
    # Names already there, per section: a feed's server offers thousands of preferences.
    known = ({key for key, _ in server}, {key for key, _ in plugin_prefs})
    for name, text in items:
        if name in _SERVER_FACTS or name.startswith("server_info_"):
            continue
        is_plugin = _is_plugin_preference(name)
        target, names = (plugin_prefs, known[1]) if is_plugin else (server, known[0])
        value = parse_value(_adopted_plugin_value(name, text) if is_plugin else text)
        if name in names or not is_storable(name, value):
            continue
        target.append((name, value))
        names.add(name)
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
