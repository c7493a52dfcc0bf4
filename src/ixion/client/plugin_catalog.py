"""A server's plugin list as something to look things up in: filters, search, plain fields.

Pure functions over the :class:`~ixion.ntp.PluginRecord` tuple a login brings (PLUGIN_LIST),
so ``ixion plugins`` stays one pass over the list whatever its size: a full feed is about
136,000 records, and every function here looks at each record once and does nothing slower
than a lower-cased substring test per field.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from ixion.ntp import PluginRecord

__all__ = ["matching", "plugin_facts", "search", "split_tags"]


def matching(
    plugins: Iterable[PluginRecord], *, family: str | None = None, category: str | None = None
) -> Iterator[PluginRecord]:
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
    plugins: Iterable[PluginRecord], text: str | None = None, *, cve: str | None = None
) -> Iterator[PluginRecord]:
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


def _contains(plugin: PluginRecord, needle: str) -> bool:
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
