"""The plugin line of PLUGIN_LIST and PLUGIN_INFO, both ways (spec §3.2).

Seven fixed fields, then optional ones in a fixed order, each present only if the client asked
for it with its extension word: version, CVE, BID, xref. OTP always sends those four plus
signing keys and tags, and writes ``NOCVE``-style words where nessusd 2.2.5 leaves a field empty.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from ixion.ntp.errors import LocalProtocolError
from ixion.ntp.records import Category, PluginRecord
from ixion.ntp.text import SEP, escape_description, unescape_description

if TYPE_CHECKING:
    from ixion.ntp.features import Features

__all__ = ["parse_plugin_line", "plugin_line"]

#: OTP's words for an empty optional field (nessusd 2.2.5 sends an empty field instead).
_OTP_EMPTY: Final = {
    "cve": "NOCVE",
    "bid": "NOBID",
    "xref": "NOXREF",
    "sign_keys": "NOSIGNKEYS",
    "tags": "NOTAG",
}


def _optional_fields(features: Features) -> list[str]:
    """Names of the optional PLUGIN_LIST fields present, in their fixed order."""
    if features.is_otp:
        return ["version", "cve", "bid", "xref", "sign_keys", "tags"]
    wanted = (
        ("plugins_version", "version"),
        ("plugins_cve_id", "cve"),
        ("plugins_bugtraq_id", "bid"),
        ("plugins_xrefs", "xref"),
    )
    return [field for word, field in wanted if features.has(word)]


def plugin_line(plugin: PluginRecord, features: Features) -> str:
    fields = [
        plugin.id,
        plugin.name,
        plugin.category.value,
        plugin.copyright,
        escape_description(plugin.description),
        plugin.summary,
        plugin.family,
    ]
    for name in _optional_fields(features):
        value = getattr(plugin, name)
        text = ", ".join(value) if isinstance(value, tuple) else value
        if not text and features.is_otp:
            text = _OTP_EMPTY.get(name, text)
        fields.append(text)
    return SEP.join(fields)


def parse_plugin_line(text: str, features: Features) -> PluginRecord:
    fields = text.split(SEP)
    optional = _optional_fields(features)
    if len(fields) != 7 + len(optional):
        raise LocalProtocolError(
            f"plugin line has {len(fields)} fields, expected {7 + len(optional)}: {text[:80]!r}"
        )
    raw = {
        name: "" if value == _OTP_EMPTY.get(name) else value
        for name, value in zip(optional, fields[7:], strict=True)
    }

    def listed(name: str) -> tuple[str, ...]:
        value = raw.get(name, "")
        return tuple(value.split(", ")) if value else ()

    return PluginRecord(
        id=fields[0],
        name=fields[1],
        category=Category.from_wire(fields[2]),
        copyright=fields[3],
        description=unescape_description(fields[4]),
        summary=fields[5],
        family=fields[6],
        version=raw.get("version", "?"),
        cve=listed("cve"),
        bid=listed("bid"),
        xref=listed("xref"),
        sign_keys=raw.get("sign_keys", ""),
        tags=raw.get("tags", ""),
    )
