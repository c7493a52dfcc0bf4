"""The ``script_*`` built-ins: a script describing itself (nasl.md §2.5, §4.7, §6.1).

They matter only in description mode, when ``if (description) { ... }`` runs to build the plugin
list; in a scan run C ignores them, and so does :data:`FUNCTIONS` (the standard library's versions
do nothing, except reading preferences back). A description run gets the recording versions instead,
from :func:`recording`, bound to the :class:`~ixion.nasl.description.metadata.MetadataCollector` of
that run: the collector travels with the run's built-in table, so no run can write into another's
metadata and the runtime needs no field for it.

Classic Nessus-2 scripts give texts in several languages, ``script_name(english: "...",
francais: "...")``; ``english:`` wins, then the first positional argument, then the first
other named one. List calls (``script_dependencies``, ``script_cve_id``...) take every
positional argument, arrays flattened one level.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from ixion.nasl.description.metadata import NaslPreference
from ixion.nasl.runtime.values import NaslArray, Value, c_string, to_text

if TYPE_CHECKING:
    from collections.abc import Callable

    from ixion.nasl.description.metadata import MetadataCollector
    from ixion.nasl.runtime.run import Call

__all__ = ["FUNCTIONS", "recording"]

#: Texts kept by ``script_name`` and the like: the field they set.
_TEXTS: Final = {
    "script_name": "name",
    "script_version": "version",
    "script_description": "description",
    "script_copyright": "copyright",
    "script_summary": "summary",
    "script_family": "family",
    "script_oid": "oid",
}
#: Integers: ``script_id(10330)``, ``script_category(ACT_GATHER_INFO)``, ``script_timeout``.
_INTEGERS: Final = {"script_id": "id", "script_category": "category", "script_timeout": "timeout"}
#: Lists of texts, each call adding to the list.
_LISTS: Final = {
    "script_dependencie": "dependencies",
    "script_dependencies": "dependencies",
    "script_require_keys": "require_keys",
    "script_mandatory_keys": "mandatory_keys",
    "script_exclude_keys": "exclude_keys",
    "script_cve_id": "cve",
    "script_bugtraq_id": "bid",
}
#: Lists of ports: a number, or a KB key such as ``Services/www``.
_PORTS: Final = {
    "script_require_ports": "require_ports",
    "script_require_udp_ports": "require_udp_ports",
}


def decode(data: bytes) -> str:
    """A script's text as str: UTF-8 when it is, else Latin-1 (old Nessus scripts)."""
    try:
        return data.decode()
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _text(call: Call) -> str | None:
    """The ``english:`` argument, else the first positional, else the first named one."""
    value = call["english"]
    if value is None:
        value = call[0]
    if value is None:
        value = next((v for v in call.named.values() if v is not None), None)
    data = to_text(value)
    return None if data is None else decode(c_string(data))


def _items(call: Call) -> list[Value]:
    items: list[Value] = []
    for value in call.positional:
        if isinstance(value, NaslArray):
            items.extend(value.values())
        elif value is not None:
            items.append(value)
    return items


def _port(value: Value) -> int | str | None:
    if isinstance(value, int):
        return value
    data = to_text(value)
    if not data:
        return None
    text = decode(c_string(data))
    return int(text) if text.isascii() and text.isdigit() else text


def _named_text(call: Call, name: str) -> str | None:
    data = call.text(name)
    return None if data is None else decode(c_string(data))


def recording(collector: MetadataCollector) -> dict[str, Callable[[Call], Value]]:
    """The ``script_*`` built-ins of a description run, writing into ``collector``."""

    def set_text(field: str) -> Callable[[Call], Value]:
        def builtin(call: Call) -> Value:
            text = _text(call)
            if text is None:
                call.warn(f"{field}: missing argument")
            else:
                setattr(collector, field, text)
            return None

        return builtin

    def set_integer(field: str) -> Callable[[Call], Value]:
        def builtin(call: Call) -> Value:
            setattr(collector, field, call.integer(0, 0))
            return None

        return builtin

    def extend(field: str) -> Callable[[Call], Value]:
        def builtin(call: Call) -> Value:
            texts = (to_text(item) for item in _items(call))
            getattr(collector, field).extend(decode(c_string(t)) for t in texts if t)
            return None

        return builtin

    def extend_ports(field: str) -> Callable[[Call], Value]:
        def builtin(call: Call) -> Value:
            ports = (_port(item) for item in _items(call))
            getattr(collector, field).extend(p for p in ports if p is not None)
            return None

        return builtin

    def xref(call: Call) -> Value:
        name, value = _named_text(call, "name"), _named_text(call, "value")
        if name is None or value is None:
            call.warn("script_xref: needs name: and value:")
        else:
            collector.xrefs.append(f"{name}:{value}")
        return None

    def tag(call: Call) -> Value:
        name, value = _named_text(call, "name"), _named_text(call, "value")
        if name is None or value is None:
            call.warn("script_tag: needs name: and value:")
        else:
            collector.tags.append((name, value))
        return None

    def add_preference(call: Call) -> Value:
        name, kind = _named_text(call, "name"), _named_text(call, "type")
        if name is None or kind is None:
            call.warn("script_add_preference: needs name: and type:")
        else:
            value = _named_text(call, "value") or ""
            collector.preferences.append(NaslPreference(name, kind, value))
        return None

    def get_preference(call: Call) -> Value:
        """In description mode a preference reads as its declared default."""
        name = _text(call)
        for preference in collector.preferences:
            if preference.name == name:
                return preference.value.encode()
        return None

    library: dict[str, Callable[[Call], Value]] = dict(FUNCTIONS)
    library.update((name, set_text(field)) for name, field in _TEXTS.items())
    library.update((name, set_integer(field)) for name, field in _INTEGERS.items())
    library.update((name, extend(field)) for name, field in _LISTS.items())
    library.update((name, extend_ports(field)) for name, field in _PORTS.items())
    library.update(
        script_xref=xref,
        script_tag=tag,
        script_add_preference=add_preference,
        script_get_preference=get_preference,
        script_get_preference_file_content=get_preference,
    )
    return library


def _nothing(call: Call) -> Value:
    return None


def _get_preference(call: Call) -> Value:
    """A plugin preference the scan set, by its short name (the engine fills them in)."""
    name = _text(call)
    return None if name is None else call.rt.services.preferences.get(name)


#: The scan-run versions: recording does nothing outside description mode, as in C.
#: A file preference's content is its value; where it lives on disk is not shown to
#: untrusted scripts, so ``script_get_preference_file_location`` answers undef.
FUNCTIONS: Final[dict[str, Callable[[Call], Value]]] = {
    **dict.fromkeys((*_TEXTS, *_INTEGERS, *_LISTS, *_PORTS), _nothing),
    "script_xref": _nothing,
    "script_tag": _nothing,
    "script_add_preference": _nothing,
    "script_get_preference": _get_preference,
    "script_get_preference_file_content": _get_preference,
    "script_get_preference_file_location": _nothing,
}
