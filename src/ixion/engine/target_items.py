"""One item of a TARGET string (spec §7.4), parsed into the block it stands for.

The forms: a host name, optionally ``/nn`` or with its address as ``name[a.b.c.d]``; a
``'quoted name'`` taken literally; an IPv4 address, CIDR, ``first-last`` range or octet
pattern like ``198.18.0-3.1-254``; an IPv6 address, CIDR or range, bare or in brackets.
Splitting the string into items is :func:`ixion.engine.targets.parse_targets`'s work; this
module sees one item at a time and raises a plain :class:`ValueError` that says what is
wrong with it, which the caller turns into a ``TargetError`` naming the item.

It is pure, like the rest of target handling: a name is checked, never resolved.
"""

from __future__ import annotations

import re
from ipaddress import IPv4Address, IPv6Address
from typing import Final

from ixion.engine.target_blocks import AddressRange, Block, OctetRanges, Target, network_hosts

__all__ = ["parse_item"]

#: Only digits, dots, dashes and a slash: an IPv4 address, range, octet pattern or CIDR.
_IPV4_FORM: Final = re.compile(r"[0-9./-]+")
#: An IPv4 address as :func:`_ipv4` takes it, for the common case of a long list of them
#: (a LONG_ATTACK may hold a million): decimal octets up to 255, no leading zero.
_OCTET: Final = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_DOTTED_QUAD: Final = re.compile(rf"{_OCTET}(?:\.{_OCTET}){{3}}")
#: What ``str.isspace`` says is a space (``re`` reads ``\s`` the same way).
_SPACE: Final = re.compile(r"\s")
_NAMED_ADDRESS: Final = re.compile(r"([^\[\]]+)\[([^\[\]]+)\]")
_BRACKETED: Final = re.compile(r"\[([^\[\]]+)\](/.*)?")
_LABEL: Final = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?")
_NAME_CHARACTERS: Final = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-._")
#: RFC 1035: 255 octets on the wire, 253 characters in text.
_MAX_NAME_LENGTH: Final = 253


def parse_item(item: str) -> Block:
    """The block a trimmed, non-empty item stands for.

    Raises:
        ValueError: the item does not parse; the message says why, for the user.
    """
    if _SPACE.search(item):
        raise ValueError("a target cannot contain spaces")
    if item.startswith("'"):
        return _quoted_name(item)
    if item.startswith("["):
        return _bracketed_ipv6(item)
    if "[" in item or "]" in item:
        return _named_address(item)
    if ":" in item:
        return _ipv6_item(item)
    if _IPV4_FORM.fullmatch(item):
        return _ipv4_item(item)
    return _name_item(item)


def _quoted_name(item: str) -> Target:
    """``'name'``: taken literally, no range parsing (§7.4)."""
    name = item[1:-1]
    if len(item) < 3 or not item.endswith("'") or "'" in name:
        raise ValueError("expected one name between single quotes, like 'my-host'")
    if not name.isprintable():
        raise ValueError("a quoted name cannot contain control characters")
    return Target(name=name.lower())


def _named_address(item: str) -> Target:
    """``name[a.b.c.d]``: a name with its address, so no DNS (§7.4)."""
    match = _NAMED_ADDRESS.fullmatch(item)
    if match is None:
        raise ValueError("expected a name with its address in brackets, like www[192.0.2.1]")
    name, text = match.groups()
    address = _ipv6(text, scoped=True) if ":" in text else _ipv4(text)
    return Target(name=_host_name(name), address=address)


def _bracketed_ipv6(item: str) -> Block:
    """``[2001:db8::1]`` or ``[2001:db8::]/64``: the URL spelling of an IPv6 address."""
    match = _BRACKETED.fullmatch(item)
    if match is None or ":" not in match[1]:
        raise ValueError("expected an IPv6 address in brackets, like [2001:db8::1]")
    return _ipv6_item(match[1] + (match[2] or ""))


def _ipv6_item(text: str) -> Block:
    if "/" in text:
        address, _, prefix = text.partition("/")
        return network_hosts(_ipv6(address), _prefix(prefix, 128))
    if "-" in text:
        first, _, last = text.partition("-")
        return AddressRange(first=_ipv6(first), last=_ipv6(last))
    single = _ipv6(text, scoped=True)
    return Target(name=str(single), address=single)


def _ipv6(text: str, *, scoped: bool = False) -> IPv6Address:
    if "%" in text and not scoped:
        raise ValueError("a zone index (%) fits a single address, not a range")
    try:
        return IPv6Address(text)
    except ValueError as exc:
        raise ValueError(f"{text!r} is not an IPv6 address ({exc})") from None


def _ipv4_item(text: str) -> Block:
    if "/" in text:
        address, _, mask = text.partition("/")
        if "-" in address:
            raise ValueError("a range cannot also have a /prefix")
        return network_hosts(_ipv4(address), _ipv4_prefix(mask))
    if "-" not in text:
        single = _ipv4(text)
        return Target(name=str(single), address=single)
    first, _, last = text.partition("-")
    if first.count(".") == 3 and last.count(".") == 3:
        return AddressRange(first=_ipv4(first), last=_ipv4(last))
    return _octet_ranges(text)


def _octet_ranges(text: str) -> OctetRanges:
    """``198.18.0-3.1-254`` or ``192.0.2.1-20``: each octet ``n`` or ``n-m`` (§7.4)."""
    parts = text.split(".")
    if len(parts) != 4:
        raise ValueError("expected four octets or octet ranges, like 192.0.2.1-20")
    first, second, third, fourth = (_octet_range(part) for part in parts)
    return OctetRanges(octets=(first, second, third, fourth))


def _octet_range(text: str) -> tuple[int, int]:
    low, dash, high = text.partition("-")
    first = _octet(low)
    last = _octet(high) if dash else first
    if last < first:
        # nessusd swapped the ends; a reversed range is more likely a typo than a wish.
        raise ValueError(f"the octet range {text} goes backwards")
    return first, last


def _ipv4(text: str) -> IPv4Address:
    if _DOTTED_QUAD.fullmatch(text):
        return IPv4Address(bytes(map(int, text.split("."))))
    parts = text.split(".")
    if len(parts) != 4:
        raise ValueError(f"{text!r} is not an IPv4 address (four numbers separated by dots)")
    return IPv4Address(bytes(_octet(part) for part in parts))


def _octet(text: str) -> int:
    if not text:
        raise ValueError("an octet is missing")
    if not (text.isascii() and text.isdigit()) or len(text) > 3:
        raise ValueError(f"{text!r} is not an octet (0 to 255)")
    if len(text) > 1 and text.startswith("0"):
        # inet_aton reads 010 as octal 8, nessusd's octet ranges as decimal 10.
        raise ValueError(f"the leading zero of {text} is ambiguous (octal or decimal?)")
    if (value := int(text)) > 255:
        raise ValueError(f"octet {value} is above 255")
    return value


def _ipv4_prefix(text: str) -> int:
    """``24`` or the netmask ``255.255.255.0`` (§7.4)."""
    if "." not in text:
        return _prefix(text, 32)
    host_bits = int(_ipv4(text)) ^ 0xFFFF_FFFF
    if host_bits & (host_bits + 1):
        raise ValueError(f"the netmask {text} is not ones followed by zeros")
    return 32 - host_bits.bit_length()


def _prefix(text: str, width: int) -> int:
    if not (text.isascii() and text.isdigit()) or len(text) > 3:
        raise ValueError(f"{text!r} is not a prefix length")
    if (value := int(text)) > width:
        raise ValueError(f"the prefix /{value} is longer than an address ({width} bits)")
    return value


def _name_item(item: str) -> Target:
    """``hostname`` or ``hostname/nn`` (§7.4): resolved later, by the engine."""
    text, slash, mask = item.partition("/")
    name = _host_name(text)
    prefix = _ipv4_prefix(mask) if slash else 32
    return Target(name=name, prefix=None if prefix == 32 else prefix)


def _host_name(text: str) -> str:
    name = text.lower()
    if bad := next((char for char in name if char not in _NAME_CHARACTERS), None):
        raise ValueError(f"{bad!r} cannot appear in a host name (quote the name to keep it)")
    if len(name) > _MAX_NAME_LENGTH:
        raise ValueError(f"a host name has at most {_MAX_NAME_LENGTH} characters")
    if not all(_LABEL.fullmatch(label) for label in name.removesuffix(".").split(".")):
        raise ValueError(f"{text!r} is not a host name: empty label, long label or end dash")
    return name
