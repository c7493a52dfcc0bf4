"""What a NASL script says about itself in description mode, as plain data.

The ``script_*`` built-ins (:mod:`ixion.nasl.description.functions`) write into a
:class:`MetadataCollector` while the ``if (description)`` block runs; :meth:`freeze` turns
it into a :class:`NaslMetadata`. The metadata keeps the script's words as they are (texts
decoded, nothing normalised): deciding what the engine makes of them is
:mod:`ixion.nasl.catalog.plugin_info`'s job, so that a change there needs no re-describing of a
feed.

A plugin catalog (:mod:`ixion.nasl.catalog.cache`) stores one record per script, 136,000 of them
for the community feed, and reads them all back at every start. Records are therefore
:mod:`marshal` dumps of plain tuples (:func:`to_fields`): the fastest loader in the standard
library, and the records are ours, never a stranger's. Marshal's format may change between
Python versions, which is why the catalog keys its cache on :data:`FORMAT`.

:func:`to_bytes` writes marshal version 2 on purpose: later versions mark strings that are
interned or referenced twice, so the same metadata could give different bytes depending on
which objects it happens to share (the catalog shares equal strings between scripts). The
engine hashes these bytes for PLUGINS_MD5, which must change only when the metadata does.
"""

from __future__ import annotations

import marshal
import sys
from dataclasses import dataclass, field
from typing import Any, Final, NamedTuple, TypeGuard, TypeVar

__all__ = [
    "FIELDS",
    "FORMAT",
    "MetadataCollector",
    "NaslMetadata",
    "NaslPreference",
    "from_bytes",
    "from_fields",
    "share_equal",
    "to_bytes",
    "to_fields",
    "valid_fields",
]

_T = TypeVar("_T")

#: Changes whenever the record layout or the marshal format may change.
FORMAT: Final = f"nasl-metadata-2/py{sys.version_info[0]}.{sys.version_info[1]}"


class NaslPreference(NamedTuple):
    """``script_add_preference(name:, type:, value:)``, as the script wrote it."""

    name: str
    type: str
    value: str


@dataclass(frozen=True, kw_only=True)
class NaslMetadata:
    """Everything a description run recorded (nasl.md §4.7; ntp-protocol.md §6.2).

    ``id`` is ``script_id()`` (classic scripts), ``oid`` is ``script_oid()`` (current
    ones); a script has one or the other, sometimes both. Lists keep the script's order.
    """

    oid: str = ""
    id: int | None = None
    name: str = ""
    family: str = ""
    category: int | None = None
    summary: str = ""
    description: str = ""
    version: str = ""
    copyright: str = ""
    cve: tuple[str, ...] = ()
    bid: tuple[str, ...] = ()
    #: ``NAME:value``, from ``script_xref(name:, value:)``.
    xrefs: tuple[str, ...] = ()
    #: ``script_tag(name:, value:)`` pairs, in order (a repeated name appears twice).
    tags: tuple[tuple[str, str], ...] = ()
    dependencies: tuple[str, ...] = ()
    require_keys: tuple[str, ...] = ()
    mandatory_keys: tuple[str, ...] = ()
    exclude_keys: tuple[str, ...] = ()
    require_ports: tuple[int | str, ...] = ()
    require_udp_ports: tuple[int | str, ...] = ()
    preferences: tuple[NaslPreference, ...] = ()
    timeout: int | None = None

    def tag(self, name: str) -> str | None:
        """The last value the script gave the tag ``name``, as C's nvti keeps it."""
        found = None
        for key, value in self.tags:
            if key == name:
                found = value
        return found


@dataclass(slots=True)
class MetadataCollector:
    """The mutable side: what the built-ins fill in during one description run."""

    oid: str = ""
    id: int | None = None
    name: str = ""
    family: str = ""
    category: int | None = None
    summary: str = ""
    description: str = ""
    version: str = ""
    copyright: str = ""
    timeout: int | None = None
    cve: list[str] = field(default_factory=list)
    bid: list[str] = field(default_factory=list)
    xrefs: list[str] = field(default_factory=list)
    tags: list[tuple[str, str]] = field(default_factory=list)
    dependencies: list[str] = field(default_factory=list)
    require_keys: list[str] = field(default_factory=list)
    mandatory_keys: list[str] = field(default_factory=list)
    exclude_keys: list[str] = field(default_factory=list)
    require_ports: list[int | str] = field(default_factory=list)
    require_udp_ports: list[int | str] = field(default_factory=list)
    preferences: list[NaslPreference] = field(default_factory=list)

    def freeze(self) -> NaslMetadata:
        return NaslMetadata(
            oid=self.oid,
            id=self.id,
            name=self.name,
            family=self.family,
            category=self.category,
            summary=self.summary,
            description=self.description,
            version=self.version,
            copyright=self.copyright,
            cve=tuple(self.cve),
            bid=tuple(self.bid),
            xrefs=tuple(self.xrefs),
            tags=tuple(self.tags),
            dependencies=tuple(self.dependencies),
            require_keys=tuple(self.require_keys),
            mandatory_keys=tuple(self.mandatory_keys),
            exclude_keys=tuple(self.exclude_keys),
            require_ports=tuple(self.require_ports),
            require_udp_ports=tuple(self.require_udp_ports),
            preferences=tuple(self.preferences),
            timeout=self.timeout,
        )


def to_fields(meta: NaslMetadata) -> tuple[Any, ...]:
    """``meta``'s fields in declaration order, preferences as plain tuples: marshal-able."""
    fields = [getattr(meta, name) for name in _FIELDS]
    fields[_PREFERENCES] = tuple(map(tuple, meta.preferences))
    return tuple(fields)


def from_fields(fields: object) -> NaslMetadata:
    """The metadata :func:`to_fields` took apart.

    Raises:
        ValueError: ``fields`` is not such a tuple (a damaged cache record).
    """
    if type(fields) is not tuple or len(fields) != len(_FIELDS):
        raise ValueError("not a metadata record")
    preferences = fields[_PREFERENCES]
    if preferences:
        try:
            preferences = tuple(NaslPreference(*p) for p in preferences)
        except TypeError as err:
            raise ValueError(f"not a metadata record: {err}") from None
    # A warm catalog load makes 136,000 of these: filling the instance dictionary at once
    # is several times faster than the frozen dataclass' __init__, and the fields were
    # taken from a NaslMetadata, so there is nothing to check.
    meta = object.__new__(NaslMetadata)
    values = meta.__dict__
    values.update(zip(_FIELDS, fields, strict=True))
    values["preferences"] = preferences
    return meta


def valid_fields(value: object) -> TypeGuard[tuple[Any, ...]]:
    """Whether :func:`from_fields` takes ``value``: the shape of a record, checked cheaply."""
    if type(value) is not tuple or len(value) != len(_FIELDS):
        return False
    preferences = value[_PREFERENCES]
    return type(preferences) is tuple and all(type(p) is tuple and len(p) == 3 for p in preferences)


def share_equal(values: list[_T]) -> list[_T]:
    """``values`` (fields, texts) with equal strings and tuples made one object.

    A feed repeats tag names, families, dependencies, keys, vectors, solutions: marshalled
    together, shared objects are stored once (a feed's catalog snapshot shrinks from 245 to
    140 MB) and loaded once, which is faster and keeps the daemon smaller.
    """
    pool: dict[object, object] = {}
    known = pool.get

    def share(value: object) -> object:
        try:
            found = known(value)  # a repeated tuple is found whole, its items not visited
        except TypeError:  # unhashable: not from to_fields, left alone
            return value
        if found is not None:
            return found
        if type(value) is tuple:
            found = tuple([share(item) for item in value])
        elif type(value) is str:
            found = value
        else:
            return value
        pool[found] = found
        return found

    return [share(value) for value in values]  # type: ignore[misc]


def to_bytes(meta: NaslMetadata) -> bytes:
    """A compact record of ``meta``, the same bytes for the same metadata (see above)."""
    return marshal.dumps(to_fields(meta), 2)


def from_bytes(record: bytes) -> NaslMetadata:
    """The metadata :func:`to_bytes` stored.

    Raises:
        ValueError: the record is not one (a damaged cache row).
    """
    try:
        fields = marshal.loads(record)
    except (EOFError, TypeError, ValueError) as err:
        raise ValueError(f"not a metadata record: {err}") from None
    return from_fields(fields)


#: The field names, in the order of :func:`to_fields`.
FIELDS: Final = tuple(NaslMetadata.__dataclass_fields__)
_FIELDS: Final = FIELDS
_PREFERENCES: Final = FIELDS.index("preferences")
