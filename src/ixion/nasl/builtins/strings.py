"""String built-ins (nasl.md §6.2 T1), as ``nasl/nasl_text_utils.c`` defines them.

Each reads its arguments like its C counterpart (:class:`~ixion.nasl.runtime.run.Call`),
quirks included: lengths come from the argument's size, which is 0 for an integer, so
``strlen(42)`` is 0 and ``substr(12345, 1)`` is empty; almost everything returns data.
``string()`` and ``display()`` un-escape ``\\n \\t \\r \\\\ \\xHH`` in *string*-typed
arguments only; ``raw_string()`` has its own, slightly different, rules and a 32 KiB cap.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING, Final

from ixion.nasl.runtime.values import (
    INT32_MAX,
    NaslArray,
    NaslString,
    Value,
    c_string,
    show,
    to_text,
    wrap32,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from ixion.nasl.runtime.run import Call

__all__ = ["FUNCTIONS"]

_HEX: Final = b"0123456789abcdefABCDEF"
_SPACE: Final = b" \t\n\v\f\r"
_SIMPLE_ESCAPES: Final = {ord("n"): b"\n", ord("t"): b"\t", ord("r"): b"\r", ord("\\"): b"\\"}
#: ``raw_string()``'s output buffer (``RAW_STR_LEN``).
_RAW_MAX: Final = 32768
#: ``display()`` shows what is printable or white space and a dot for anything else.
_DISPLAYABLE: Final = bytes(b if 0x20 <= b <= 0x7E or b in _SPACE else ord(".") for b in range(256))


def _is_hex_pair(data: bytes, at: int) -> bool:
    pair = data[at : at + 2]
    return len(pair) == 2 and pair[0] in _HEX and pair[1] in _HEX


def _unescape(text: bytes, call: Call) -> bytes:
    """C's ``nasl_string`` escapes; an unknown one is dropped with a warning."""
    out = bytearray()
    i, end = 0, len(text)
    while i < end:
        byte = text[i]
        if byte != 0x5C or i + 1 >= end:
            out.append(byte)
            i += 1
            continue
        escape = text[i + 1]
        if escape in _SIMPLE_ESCAPES:
            out += _SIMPLE_ESCAPES[escape]
        elif escape == ord("x") and _is_hex_pair(text, i + 2):
            out.append(int(text[i + 2 : i + 4], 16))
            i += 2
        elif escape == ord("x"):
            call.warn(f"buggy hex value '\\x{show(text[i + 2 : i + 4])}' skipped")
        else:
            call.warn(f"unknown escape sequence '\\{show(bytes([escape]))}' in the string")
        i += 2
    return bytes(out)


def _string(call: Call) -> bytes:
    parts: list[bytes] = []
    for value in call.positional:
        if isinstance(value, NaslString):
            parts.append(_unescape(c_string(value), call))
        elif value is not None:
            parts.append(to_text(value) or b"")
    return _joined(call, parts)


def _display(call: Call) -> Value:
    text = _string(call)
    call.rt.display(text.translate(_DISPLAYABLE))
    return len(text)


def _raw_unescape(text: bytes) -> bytes:
    """``raw_string()``'s escapes: an unknown ``\\c`` vanishes, backslash and all."""
    out = bytearray()
    i, end = 0, len(text)
    while i < end:
        byte = text[i]
        escape = text[i + 1] if i + 1 < end else 0
        if byte != 0x5C:
            out.append(byte)
        elif escape in _SIMPLE_ESCAPES:
            out += _SIMPLE_ESCAPES[escape]
            i += 1
        elif escape == ord("x") and _is_hex_pair(text, i + 2):
            out.append(int(text[i + 2 : i + 4], 16))
            i += 3
        else:
            i += 1
        i += 1
    return bytes(out)


def _raw_string(call: Call) -> Value:
    out = bytearray()
    for value in call.positional:
        if len(out) >= _RAW_MAX - 1:
            break
        if value is None:
            continue
        if isinstance(value, int):
            out.append(value & 0xFF)
            continue
        text = to_text(value) or b""
        escaped = isinstance(value, NaslString) and len(text) < _RAW_MAX
        piece = _raw_unescape(text) if escaped else text
        if len(text) >= _RAW_MAX or len(out) + len(piece) > _RAW_MAX:
            call.warn("raw_string: argument too long")
            break
        out += piece
    return bytes(out)


def _strcat(call: Call) -> Value:
    return _joined(call, [to_text(v) or b"" for v in call.positional])


def _joined(call: Call, parts: list[bytes]) -> bytes:
    """``parts`` joined, once their total length is known to be within the limit."""
    _check_size(call, sum(map(len, parts)))
    return b"".join(parts)


def _strlen(call: Call) -> Value:
    return call.size(0)


def _substr(call: Call) -> Value:
    text, size = call.text(0), call.size(0)
    start, end = call.integer(1, -1), min(call.integer(2, INT32_MAX), size - 1)
    if text is None:
        call.warn("substr: the string is undef")
        return None
    if start < 0:
        call.warn("substr: the start index is missing or negative")
        return None
    return text[start : end + 1] if start <= end else b""


def _insstr(call: Call) -> Value:
    target, size = call.text(0), call.size(0)
    insert = call.text(1)
    start, end = call.integer(2, -1), call.integer(3, -1)
    if end >= size or end == -1:
        end = size - 1
    if target is None or insert is None or start < 0 or end < 0:
        call.warn("usage: insstr(str1, str2, idx_start [,idx_end])")
        return None
    if start >= size:
        call.warn("insstr: cannot insert after the end of the string")
        return None
    if start > end:
        call.warn(f"insstr: the first index {start} is greater than the second {end}")
    return target[:start] + insert[: call.size(1)] + target[end + 1 : size]


def _ord(call: Call) -> Value:
    text = call.text(0)
    if text is None:
        call.warn("ord: the argument is undef")
        return None
    return text[0] if text else 0


def _hex(call: Call) -> Value:
    number = wrap32(call.integer(0, -1))
    return None if number == -1 else NaslString(b"0x%02x" % (number & 0xFF))


def _hexstr(call: Call) -> Value:
    text = call.text(0)
    return None if text is None else NaslString(text[: call.size(0)].hex().encode())


def _tolower(call: Call) -> Value:
    text = call.text(0)
    return None if text is None else text[: call.size(0)].lower()


def _toupper(call: Call) -> Value:
    text = call.text(0)
    return None if text is None else text[: call.size(0)].upper()


def _chomp(call: Call) -> Value:
    text = call.text(0)
    return None if text is None else c_string(text).rstrip(_SPACE)


def _check_size(call: Call, size: int) -> None:
    """Refuse, before building it, a result longer than the ``max_string`` limit."""
    limit = call.rt.services.limits.max_string
    if size > limit:
        raise call.rt.error(f"a string of {size} bytes would be too long (max_string={limit})")


def _crap(call: Call) -> Value:
    named, positional = call.integer("length", -1), call.integer(0, -1)
    if named < 0 and positional < 0:
        call.warn("crap: invalid or missing length")
        return None
    if named >= 0 and positional >= 0:
        call.warn("crap: length given both by position and by name")
        return None
    length = named if named >= 0 else positional
    if length == 0:
        return None
    data = call.text("data")
    if data is not None and call.size("data") == 0:
        call.warn("crap: empty data")
        return None
    _check_size(call, length)
    unit = b"X" if data is None else data
    return (unit * (length // len(unit) + 1))[:length]


def _split(call: Call) -> Value:
    text = call.text(0)
    if text is None:
        return None
    text = text[: call.size(0) or len(c_string(text))]
    if not text:
        return None
    separator = call.text("sep")
    if separator is not None:
        separator = separator[: call.size("sep") or len(c_string(separator))]
        if not separator:
            call.warn("split: empty separator")
            return None
    keep = call.integer("keep", 1) != 0
    pieces = _split_lines(text, keep) if separator is None else _split_on(text, separator, keep)
    return NaslArray(pieces)


def _split_on(text: bytes, separator: bytes, keep: bool) -> list[Value]:
    pieces: list[Value] = []
    start = 0
    while start < len(text):
        found = text.find(separator, start)
        if found < 0:
            pieces.append(text[start:])
            break
        pieces.append(text[start : found + len(separator) if keep else found])
        start = found + len(separator)
    return pieces


_LINE_END: Final = re.compile(rb"\r?\n")


def _split_lines(text: bytes, keep: bool) -> list[Value]:
    """Lines ending in ``\\n`` or ``\\r\\n``; a lone ``\\r`` ends nothing. ``keep``: keep ends."""
    pieces: list[Value] = []
    start = 0
    for end in _LINE_END.finditer(text):
        pieces.append(text[start : end.end() if keep else end.start()])
        start = end.end()
    if start < len(text):
        pieces.append(text[start:])
    return pieces


def _stridx(call: Call) -> Value:
    text, size = call.text(0), call.size(0)
    needle = call.text(1)
    start = call.integer(2, 0)
    if text is None or needle is None or start < 0 or start > size:
        call.warn("usage: stridx(string, substring [, start])")
        return -1
    needle = needle[: call.size(1)]
    if size == start or len(needle) > size + start:
        return -1
    return text[:size].find(needle, start)


def _strstr(call: Call) -> Value:
    text, needle = call.text(0), call.text(1)
    if text is None or needle is None or call.size(1) > call.size(0):
        return None
    text, needle = text[: call.size(0)], needle[: call.size(1)]
    found = text.find(needle)
    return None if found < 0 else text[found:]


def _str_replace(call: Call) -> Value:
    text, find = call.text("string"), call.text("find")
    if text is None or find is None:
        call.warn("usage: str_replace(string: s, find: f, replace: r [,count: c])")
        return None
    text, find = text[: call.size("string")], find[: call.size("find")]
    if not find:
        call.warn("str_replace: empty 'find' argument")
        return None
    replace = (call.text("replace") or b"")[: call.size("replace")]
    count = call.integer("count", 0)
    limit = count if count > 0 else -1
    occurrences = text.count(find) if limit < 0 else min(limit, text.count(find))
    _check_size(call, len(text) + occurrences * (len(replace) - len(find)))
    return text.replace(find, replace, limit)


@lru_cache(maxsize=256)
def _glob(pattern: bytes) -> re.Pattern[bytes]:
    """GLib's ``GPatternSpec``: ``*`` any run, ``?`` any one character, nothing else special."""
    wild = {ord("*"): b".*", ord("?"): b"."}
    return re.compile(b"".join(wild.get(c) or re.escape(bytes([c])) for c in pattern), re.DOTALL)


def _match(call: Call) -> Value:
    pattern, text = call.text("pattern"), call.text("string")
    if pattern is None or text is None:
        call.warn(f"match: parameter '{'pattern' if pattern is None else 'string'}' missing")
        return None
    pattern, text = c_string(pattern), c_string(text)
    if call.integer("icase", 0):
        pattern, text = pattern.lower(), text.lower()
    return int(_glob(pattern).fullmatch(text) is not None)


FUNCTIONS: Final[dict[str, Callable[[Call], Value]]] = {
    "string": _string,
    "display": _display,
    "raw_string": _raw_string,
    "strcat": _strcat,
    "strlen": _strlen,
    "substr": _substr,
    "insstr": _insstr,
    "ord": _ord,
    "hex": _hex,
    "hexstr": _hexstr,
    "tolower": _tolower,
    "toupper": _toupper,
    "chomp": _chomp,
    "crap": _crap,
    "split": _split,
    "stridx": _stridx,
    "strstr": _strstr,
    "str_replace": _str_replace,
    "match": _match,
}
