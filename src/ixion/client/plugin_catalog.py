"""A server's plugin list as something to look things up in: filters, search, plain fields.

Pure functions over the plugins a login brings (PLUGIN_LIST): the short entries of a
:class:`~ixion.client.plugin_store.PluginStore`, or whole :class:`~ixion.ntp.PluginRecord`
values, which read alike (:class:`ListedPlugin`). ``ixion plugins`` stays one pass over the
list whatever its size: a full feed is about 136,000 plugins, and every function here looks
at each once and does nothing slower than a lower-cased substring test per field.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, TypeVar

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from ixion.ntp import Category, PluginRecord

__all__ = [
    "ListedPlugin",
    "listed_facts",
    "matching",
    "plugin_facts",
    "search",
    "split_tags",
]


class ListedPlugin(Protocol):
    """What a listing, a filter and a search read of a plugin."""

    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def family(self) -> str: ...
    @property
    def category(self) -> Category: ...
    @property
    def summary(self) -> str: ...
    @property
    def cve(self) -> tuple[str, ...]: ...
    @property
    def bid(self) -> tuple[str, ...]: ...


_P = TypeVar("_P", bound=ListedPlugin)


def matching(
    plugins: Iterable[_P], *, family: str | None = None, category: str | None = None
) -> Iterator[_P]:
    """The plugins of ``family`` and ``category`` (each compared case-insensitively, whole)."""
    family_key = family.casefold() if family is not None else None
    category_key = category.casefold() if category is not None else None
    for plugin in plugins:
        if family_key is not None and plugin.family.casefold() != family_key:
            continue
        if category_key is not None and plugin.category.value != category_key:
            continue
        yield plugin


def search(
    plugins: Iterable[_P], text: str | None = None, *, cve: str | None = None
) -> Iterator[_P]:
    """The plugins whose name, summary, family, CVE or BID ids contain ``text`` (any case),
    and that list exactly ``cve`` if given."""
    needle = text.casefold() if text else None
    cve_key = cve.strip().upper() if cve is not None else None
    for plugin in plugins:
        if cve_key is not None and cve_key not in plugin.cve:
            continue
        if needle is not None and not _contains(plugin, needle):
            continue
        yield plugin


def _contains(plugin: ListedPlugin, needle: str) -> bool:
    return (
        needle in plugin.name.casefold()
        or needle in plugin.summary.casefold()
        or needle in plugin.family.casefold()
        or any(needle in cve.casefold() for cve in plugin.cve)
        or any(needle in bid.casefold() for bid in plugin.bid)
    )


def split_tags(tags: str) -> dict[str, str]:
    """OTP's ``name=value|name=value`` script tags (``solution``, ``qod_type``...) by name.

    Only an OpenVAS server sends them; a ``|`` inside a value cannot be told from the
    separator, so such a value comes back cut, as OpenVAS' own clients read it.
    """
    found: dict[str, str] = {}
    for item in tags.split("|") if tags else ():
        name, equals, value = item.partition("=")
        if equals and name:
            found[name] = value
    return found


def listed_facts(plugin: ListedPlugin) -> dict[str, object]:
    """What ``ixion plugins list --json`` prints of a plugin."""
    return {
        "id": plugin.id,
        "name": plugin.name,
        "family": plugin.family,
        "category": plugin.category.value,
        "summary": plugin.summary,
        "cve": list(plugin.cve),
        "bid": list(plugin.bid),
    }


def plugin_facts(plugin: PluginRecord) -> dict[str, object]:
    """Everything the record holds, as plain values (what ``--json`` prints)."""
    return {
        "id": plugin.id,
        "name": plugin.name,
        "family": plugin.family,
        "category": plugin.category.value,
        "version": plugin.version,
        "copyright": plugin.copyright,
        "summary": plugin.summary,
        "description": plugin.description,
        "cve": list(plugin.cve),
        "bid": list(plugin.bid),
        "xref": list(plugin.xref),
        "tags": split_tags(plugin.tags),
        "sign_keys": plugin.sign_keys,
    }
