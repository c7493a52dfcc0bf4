"""From a NASL script's metadata to the engine's :class:`~ixion.plugin_api.plugin.PluginInfo`.

NTP names plugins by a positive number (ntp-protocol.md §6.2); current scripts have an OID
instead. The rule, :func:`plugin_id`:

* ``script_id(n)`` wins when the script has one (classic scripts);
* an OID ``1.3.6.1.4.1.25623.1.0.<n>`` gives ``n`` when ``0 < n < 90,000,000``: that is
  every OpenVAS-era script, whose ``script_id`` was that same number;
* any other OID (the feed's ``...25623.1.1.2.2024.1139`` local-security checks, or a
  ``1.0.<n>`` with a huge ``n``) gives a number from its SHA-256 in
  ``[1,000,000,000, 2,147,483,647)``. That range is far from ixion's own plugins
  (90,000,000 upwards) and from the ``1.0`` numbers, and stays within a signed 32-bit int,
  which the C clients of NTP parse ids into. Two such OIDs may share a number: for the
  feed's ~41,500 such OIDs the odds of at least one pair are about even, and the current
  community feed has none (``bench/nasl_load.py`` counts repeated ids). A loader must
  check for repeated ids anyway, as it must for repeated OIDs (the feed has five).

The rest is wording: one-line fields are flattened (PluginInfo refuses newlines), the
description of a current script is built from its tags the way a Nessus report reads, and
mandatory keys count as required keys (both must exist in the KB for the script to run).
The ``qod_type`` and ``qod`` tags become :attr:`PluginInfo.qod` (:func:`script_qod`); a value
the table does not know is logged and the default kept, since one odd tag must not cost
the script.
"""

from __future__ import annotations

import functools
import gc
import hashlib
import logging
from typing import TYPE_CHECKING, Final

from ixion.plugin_api.metadata import Category, PluginInfo, PluginPreference, PreferenceType
from ixion.plugin_api.qod import DEFAULT_QOD, Qod, QodType

if TYPE_CHECKING:
    from collections.abc import Mapping

    from ixion.nasl.description.metadata import NaslMetadata

__all__ = ["OID_PREFIX", "plugin_id", "plugin_infos", "script_qod", "to_plugin_info"]

log = logging.getLogger(__name__)

OID_PREFIX: Final = "1.3.6.1.4.1.25623.1.0."
#: ``1.0.<n>`` numbers at or above this are hashed, below ixion's own ids.
_OWN_IDS: Final = 90_000_000
_HASHED_BASE: Final = 1_000_000_000
_HASHED_SPAN: Final = 2**31 - 1 - _HASHED_BASE

#: Tags a description is built from, with their heading; the ``summary`` tag comes first,
#: without one.
_SECTIONS: Final = (
    ("insight", "Vulnerability Insight"),
    ("affected", "Affected Software/OS"),
    ("impact", "Impact"),
    ("vuldetect", "Vulnerability Detection Method"),
    ("solution", "Solution"),
)
_TYPES: Final = {kind.value: kind for kind in PreferenceType}
_CATEGORIES: Final = {int(category): category for category in Category}


def plugin_id(meta: NaslMetadata) -> int:
    """The NTP id of a script: see the module docstring for the rule.

    Raises:
        ValueError: the script has neither a positive ``script_id`` nor an OID.
    """
    if meta.id is not None:
        if meta.id <= 0:
            raise ValueError(f"script_id({meta.id}) is not positive")
        return meta.id
    if not meta.oid:
        raise ValueError("no script_oid() or script_id()")
    tail = meta.oid.removeprefix(OID_PREFIX)
    if tail != meta.oid and tail.isascii() and tail.isdigit() and 0 < int(tail) < _OWN_IDS:
        return int(tail)
    digest = hashlib.sha256(meta.oid.encode()).digest()
    return _HASHED_BASE + int.from_bytes(digest[:8], "big") % _HASHED_SPAN


def to_plugin_info(meta: NaslMetadata, filename: str) -> PluginInfo:
    """The engine's view of the script ``filename`` (a base name, as dependencies use).

    A daemon calls this for every script of a feed at start-up, so it avoids work it can:
    the tags are looked up in one dictionary, the few distinct families and versions are
    flattened once (:func:`_common_line`), and empty fields are passed on as they are.

    Raises:
        ValueError: no usable id, no name, or a category outside ``ACT_INIT..ACT_END``.
    """
    category = _CATEGORIES.get(3 if meta.category is None else meta.category)
    if category is None:
        raise ValueError(f"{filename}: unknown category {meta.category}")
    name = _line(meta.name)
    if not name:
        raise ValueError(f"{filename}: no script_name()")
    try:
        number = plugin_id(meta)
    except ValueError as err:
        raise ValueError(f"{filename}: {err}") from None
    tags = dict(meta.tags)  # the last value of a repeated tag wins, as in NaslMetadata.tag
    summary = _line(meta.summary or tags.get("summary", "")) or name
    require_keys = meta.require_keys
    if meta.mandatory_keys or len(require_keys) > 1:
        require_keys = tuple(dict.fromkeys((*require_keys, *meta.mandatory_keys)))
    return PluginInfo(
        id=number,
        filename=filename,
        name=name,
        family=_common_line(meta.family) or "General",
        category=category,
        summary=summary,
        description=meta.description or _description(tags) or summary,
        version=_common_line(meta.version) or "?",
        copyright=meta.copyright,
        cve=meta.cve,
        bid=meta.bid,
        xrefs=meta.xrefs,
        dependencies=meta.dependencies,
        require_keys=require_keys,
        exclude_keys=meta.exclude_keys,
        require_ports=meta.require_ports,
        require_udp_ports=meta.require_udp_ports,
        timeout=meta.timeout,
        preferences=_preferences(meta) if meta.preferences else (),
        qod=_qod(tags, filename),
    )


def _qod(tags: dict[str, str], filename: str) -> Qod:
    kind, value = tags.get("qod_type"), tags.get("qod")
    if kind is None and value is None:
        return DEFAULT_QOD
    qod, problem = script_qod(kind, value)
    if problem:
        log.warning("%s: %s", filename, problem)
    return qod


@functools.lru_cache(maxsize=256)
def script_qod(kind: str | None, value: str | None) -> tuple[Qod, str]:
    """The QoD the tags ``qod_type`` (``kind``) and ``qod`` (``value``) declare, and what
    was wrong with them (``""``: nothing).

    An explicit value overrides the type's. A type the table does not know counts as none
    (70 unless a value is given); a value that is not a whole number from 0 to 100 is
    ignored. A feed uses a handful of pairs, hence the cache.
    """
    problems = []
    known = None
    if kind is not None:
        try:
            known = QodType(kind.strip())
        except ValueError:
            problems.append(f"unknown qod_type {kind[:40]!r} ignored")
    number = None
    if value is not None:
        text = value.strip()
        if text.isascii() and text.isdigit() and int(text) <= 100:
            number = int(text)
        else:
            problems.append(f"qod {value[:40]!r} is not 0-100, ignored")
    return Qod.of(known, number), "; ".join(problems)


def plugin_infos(
    scripts: Mapping[str, NaslMetadata],
) -> tuple[dict[str, PluginInfo], dict[str, str]]:
    """:func:`to_plugin_info` of every script of a catalog, by relative path, and why not.

    The second dictionary maps a path to the :class:`ValueError`'s message. The cycle
    collector is off meanwhile: 136,000 PluginInfos and their preferences are hundreds of
    thousands of new container objects, and with it on, collections triggered by them
    walk the whole catalog again and again (nearly doubling the time), for no cycle.
    """
    infos: dict[str, PluginInfo] = {}
    errors: dict[str, str] = {}
    collecting = gc.isenabled()
    gc.disable()
    try:
        for rel, meta in scripts.items():
            try:
                infos[rel] = to_plugin_info(meta, rel.rpartition("/")[2])
            except ValueError as err:
                errors[rel] = str(err)
    finally:
        if collecting:
            gc.enable()
    return infos, errors


def _line(text: str) -> str:
    """One line: whitespace runs (newlines included) become one space, ``<|>`` goes."""
    if "<|>" in text:
        text = text.replace("<|>", " ")
    return " ".join(text.split())


@functools.lru_cache(maxsize=4096)
def _common_line(text: str) -> str:
    """:func:`_line` for fields a feed repeats (60 families, 1,800 versions in 136,000)."""
    return _line(text)


def _description(tags: dict[str, str]) -> str:
    """Summary, then each known tag under its heading, then the CVSS score if given."""
    parts = []
    summary = tags.get("summary")
    if summary:
        parts.append(summary.strip())
    for tag, heading in _SECTIONS:
        text = tags.get(tag)
        if text:
            parts.append(f"{heading}:\n{text.strip()}")
    score = tags.get("cvss_base")
    if score:
        vector = tags.get("cvss_base_vector")
        parts.append(f"CVSS Base Score: {score}" + (f" ({vector})" if vector else ""))
    return "\n\n".join(parts)


def _preferences(meta: NaslMetadata) -> tuple[PluginPreference, ...]:
    """Each preference once (the first wins); unknown types as entries.

    A checkbox whose default is not ``yes`` or ``no`` defaults to ``no``; a name with
    brackets or a newline cannot be sent to clients and is dropped.
    """
    found: dict[str, PluginPreference] = {}
    for preference in meta.preferences:
        kind = _TYPES.get(preference.type, PreferenceType.ENTRY)
        default = preference.value
        if kind is PreferenceType.CHECKBOX and default not in ("yes", "no"):
            default = "no"
        if preference.name in found:
            continue
        try:
            found[preference.name] = PluginPreference(preference.name, kind, default)
        except ValueError:
            continue
    return tuple(found.values())
