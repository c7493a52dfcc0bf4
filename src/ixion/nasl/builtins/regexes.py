"""The regular-expression built-ins (nasl.md §2.7), over :mod:`ixion.nasl.runtime.regex`.

As in ``nasl/nasl_text_utils.c``, each takes ``pattern:``, ``string:`` and ``icase:``:

* ``ereg()`` is TRUE if the pattern matches the string's first line (``multiline: TRUE``
  for all of it);
* ``egrep()`` returns the non-empty lines that match, each followed by ``\\n``;
* ``eregmatch()`` returns the match and its groups (``find_all: TRUE``: of every match);
* ``ereg_replace()`` replaces every match with ``replace:``, where ``\\1``..``\\9`` insert
  groups.

``rnul:`` (default TRUE) first turns each NUL byte of the string into the four characters
``\\x00``; with ``rnul: FALSE`` the string ends at its first NUL, as a C string would.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Final

from ixion.nasl.runtime.regex import RegexError, compile_ere
from ixion.nasl.runtime.values import NaslArray, Value, c_string, show

if TYPE_CHECKING:
    from collections.abc import Callable

    from regex import Match, Pattern

    from ixion.nasl.runtime.run import Call

__all__ = ["FUNCTIONS"]

#: ``regmatch_t subs[NS]``: C reports the match and at most 15 groups.
_MAX_GROUPS: Final = 16
_BACKREF: Final = re.compile(rb"\\([0-9])")


def _subject(call: Call) -> bytes | None:
    text = call.text("string")
    if text is None:
        return None
    if call.integer("rnul", 1):  # g_regex_escape_nul over the argument's size
        return text[: call.size("string")].replace(b"\0", b"\\x00")
    return c_string(text)


def _compile(call: Call, name: str, pattern: bytes) -> Pattern[bytes] | None:
    try:
        return compile_ere(pattern, call.integer("icase", 0) != 0)
    except RegexError as err:
        call.warn(f"{name}: invalid pattern '{show(c_string(pattern))}': {err}")
        return None


def _searchable(call: Call, name: str) -> tuple[Pattern[bytes], bytes] | None:
    """The compiled pattern and the subject, or None (a bad pattern warns) if either lacks."""
    pattern, subject = call.text("pattern"), _subject(call)
    if pattern is None or subject is None:
        return None
    compiled = _compile(call, name, pattern)
    return None if compiled is None else (compiled, subject)


def _ereg(call: Call) -> Value:
    found = _searchable(call, "ereg")
    if found is None:
        return None
    compiled, subject = found
    if not call.integer("multiline", 0):
        end = subject.find(b"\n")
        if end == 0:
            return 0
        subject = subject if end < 0 else subject[:end]
    return int(call.rt.search(compiled, subject) is not None)


def _egrep(call: Call) -> Value:
    pattern, subject = call.text("pattern"), _subject(call)
    if pattern is None or subject is None:
        return None
    lines = [line for line in subject.split(b"\n") if line]
    if not lines:
        return b""
    compiled = _compile(call, "egrep", pattern)
    if compiled is None:
        return None
    return b"".join(line + b"\n" for line in lines if call.rt.search(compiled, line))


def _eregmatch(call: Call) -> Value:
    found = _searchable(call, "eregmatch")
    if found is None:
        return None
    compiled, subject = found
    if not call.integer("find_all", 0):
        match = call.rt.search(compiled, subject)
        if match is None:
            return None
        result = NaslArray()
        for group in range(min(_MAX_GROUPS, compiled.groups + 1)):
            if match.start(group) >= 0:
                result.set_index(group, match.group(group))
        return result
    return NaslArray(_find_all(call, compiled, subject))


def _find_all(call: Call, compiled: Pattern[bytes], subject: bytes) -> list[Value]:
    """Every match and its groups in one list, as C's ``find_all`` loop builds it.

    C searches the rest of the string from each match's end (one byte on for an empty
    match) as a fresh string, so ``^`` matches there again; a group that did not take
    part ends that match's list.
    """
    found: list[Value] = []
    position = 0
    while position < len(subject):
        match = call.rt.search(compiled, subject[position:])
        if match is None:
            break
        for group in range(min(_MAX_GROUPS, compiled.groups + 1)):
            if match.start(group) < 0:
                break
            found.append(match.group(group))
        position += match.end() or 1
    return found


def _ereg_replace(call: Call) -> Value:
    pattern, replace = call.text("pattern"), call.text("replace")
    if pattern is None or replace is None:
        call.warn("usage: ereg_replace(string:<string>, pattern:<pat>, replace:<replace>)")
        return None
    subject = _subject(call)
    if subject is None:
        return None
    try:
        compiled = compile_ere(pattern, call.integer("icase", 0) != 0)
    except RegexError:
        return None  # C gives up silently here
    replace = c_string(replace)
    out: list[bytes] = []
    position = 0
    while (match := call.rt.search(compiled, subject, position)) is not None:
        out.append(subject[position : match.start()])
        out.append(_BACKREF.sub(lambda ref: _group(match, ref), replace))
        if match.end() > match.start():
            position = match.end()
            continue
        if match.start() >= len(subject):
            position = len(subject)
            break
        out.append(subject[match.end() : match.end() + 1])
        position = match.end() + 1
    out.append(subject[position:])
    return call.rt.check_string(b"".join(out))


def _group(match: Match[bytes], reference: re.Match[bytes]) -> bytes:
    """``\\N`` in a replacement: group N if it took part, else the two characters."""
    number = int(reference[1])
    if number <= (match.re.groups) and match.start(number) >= 0:
        return match.group(number)
    return reference[0]


FUNCTIONS: Final[dict[str, Callable[[Call], Value]]] = {
    "ereg": _ereg,
    "egrep": _egrep,
    "eregmatch": _eregmatch,
    "ereg_replace": _ereg_replace,
}
