"""POSIX extended regular expressions, as glibc's ``regcomp`` reads them, on Python's ``re``.

NASL's ``=~``, ``ereg()``, ``egrep()``, ``eregmatch()`` and ``ereg_replace()`` compile their
patterns with ``REG_EXTENDED`` (nasl.md §2.7). This module translates such a pattern into
an equivalent Python pattern:

* bracket expressions are rebuilt byte by byte: ``[[:alpha:]]`` and the other classes,
  ``[=a=]`` and ``[.a.]``, ``]`` first and ``-`` last as literals, and ``\\`` as an ordinary
  member (POSIX has no escapes inside brackets);
* outside brackets, glibc's escapes keep their meaning (``\\1``..``\\9``, ``\\w \\W \\s \\S
  \\b \\B \\< \\>`` and ``\\` \\'``) and any other escaped character is that character, so
  ``\\d`` is a ``d`` as in C;
* ``.`` matches newlines and ``$`` only the very end, as without ``REG_NEWLINE``;
* a repeated repetition (``a**``) repeats the whole, an interval is ``{n}``, ``{n,}`` or
  ``{n,m}`` up to 32767, and an unmatched ``)`` is literal; a repetition operator with
  nothing before it, a bad interval or a bad class is an error, as ``regcomp`` says.

The translation is compiled by the ``regex`` package in its POSIX mode, which finds the
leftmost-*longest* match as ``regexec`` does: Python's ``re`` stops at the first match its
backtracking meets, so ``Server: (Apache|Apache-Coyote)`` would give ``eregmatch`` the
group ``Apache`` for an ``Apache-Coyote`` banner. (Among matches of the same extent the
groups may still differ from glibc's: ``(a|ab)(c|bcd)`` on ``abcd``.) ``regex`` also takes a
timeout and lets other threads run while it searches: :func:`search` bounds every search
by the script's deadline, so a pattern that backtracks for ever ends the script, not the
host's worker.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING, Final

import regex

from ixion.nasl.runtime.values import c_string

if TYPE_CHECKING:
    from regex import Match, Pattern

__all__ = ["RegexError", "RegexTimeout", "compile_ere", "search"]

#: glibc's ``RE_DUP_MAX``.
_DUP_MAX: Final = 0x7FFF
_Ranges = tuple[tuple[int, int], ...]

_CLASSES: Final[dict[bytes, _Ranges]] = {
    b"alpha": ((0x41, 0x5A), (0x61, 0x7A)),
    b"digit": ((0x30, 0x39),),
    b"alnum": ((0x30, 0x39), (0x41, 0x5A), (0x61, 0x7A)),
    b"upper": ((0x41, 0x5A),),
    b"lower": ((0x61, 0x7A),),
    b"space": ((0x09, 0x0D), (0x20, 0x20)),
    b"blank": ((0x09, 0x09), (0x20, 0x20)),
    b"punct": ((0x21, 0x2F), (0x3A, 0x40), (0x5B, 0x60), (0x7B, 0x7E)),
    b"print": ((0x20, 0x7E),),
    b"graph": ((0x21, 0x7E),),
    b"cntrl": ((0x00, 0x1F), (0x7F, 0x7F)),
    b"xdigit": ((0x30, 0x39), (0x41, 0x46), (0x61, 0x66)),
}

#: Escapes outside brackets that are not a literal character.
_ESCAPES: Final[dict[int, tuple[str, bool]]] = {
    **{ord(d): ("\\" + d, True) for d in "123456789wWsS"},
    ord("b"): ("\\b", False),
    ord("B"): ("\\B", False),
    ord("<"): ("\\b(?=\\w)", False),
    ord(">"): ("\\b(?<=\\w)", False),
    ord("`"): ("\\A", False),
    ord("'"): ("\\Z", False),
}
_INTERVAL: Final = re.compile(rb"\{([0-9]+)(,([0-9]*))?\}")


class RegexError(ValueError):
    """The pattern is not one ``regcomp`` would accept."""


class RegexTimeout(Exception):
    """A search ran past the time it was given (the script's deadline)."""


@lru_cache(maxsize=512)
def compile_ere(pattern: bytes, icase: bool = False) -> Pattern[bytes]:
    """The compiled equivalent of the POSIX ERE ``pattern`` (a C string).

    Raises:
        RegexError: the pattern is invalid.
    """
    source = _Translator(c_string(pattern)).translate()
    flags = regex.POSIX | regex.DOTALL | (regex.IGNORECASE if icase else 0)
    try:
        return regex.compile(source.encode("ascii"), flags)
    except regex.error as err:
        raise RegexError(str(err)) from None


def search(
    pattern: Pattern[bytes], subject: bytes, position: int = 0, *, timeout: float | None
) -> Match[bytes] | None:
    """``pattern.search``, ended after ``timeout`` seconds (None: never), other threads
    running meanwhile.

    Raises:
        RegexTimeout: the search was not over in time.
    """
    try:
        return pattern.search(subject, position, timeout=timeout, concurrent=True)
    except TimeoutError:
        raise RegexTimeout from None


def _byte(b: int) -> str:
    return chr(b) if chr(b).isalnum() and b < 0x80 else f"\\x{b:02x}"


class _Translator:
    __slots__ = ("_atom", "_groups", "_i", "_out", "_p", "_repeated")

    def __init__(self, pattern: bytes) -> None:
        self._p = pattern
        self._i = 0
        self._out: list[str] = []
        #: Where the last repeatable item starts in ``_out``, or None if there is none.
        self._atom: int | None = None
        self._repeated = False
        self._groups: list[int] = []

    def translate(self) -> str:
        p = self._p
        while self._i < len(p):
            c = chr(p[self._i])
            self._i += 1
            if c == "\\":
                self._escape()
            elif c == "[":
                self._emit(self._bracket(), atom=True)
            elif c == "(":
                self._groups.append(len(self._out))
                self._emit("(", atom=False)
            elif c == ")" and self._groups:
                start = self._groups.pop()
                self._out.append(")")
                self._atom, self._repeated = start, False
            elif c == "|":
                self._emit("|", atom=False)
            elif c in "*+?":
                self._repeat(c)
            elif c == "{":
                self._interval()
            elif c == "^":
                self._emit("^", atom=False)
            elif c == "$":
                self._emit("\\Z", atom=False)
            elif c == ".":
                self._emit(".", atom=True)
            else:
                self._emit(_byte(ord(c)), atom=True)
        if self._groups:
            raise RegexError("unmatched ( or \\(")
        return "".join(self._out)

    def _emit(self, text: str, *, atom: bool) -> None:
        self._atom = len(self._out) if atom else None
        self._repeated = False
        self._out.append(text)

    def _escape(self) -> None:
        if self._i >= len(self._p):
            raise RegexError("trailing backslash")
        b = self._p[self._i]
        self._i += 1
        text, atom = _ESCAPES.get(b, (_byte(b), True))
        self._emit(text, atom=atom)

    def _repeat(self, operator: str) -> None:
        if self._atom is None:
            raise RegexError("invalid preceding regular expression")
        if self._repeated:  # POSIX repeats the repetition; Python would read a**/a*? otherwise
            self._out[self._atom :] = ["(?:", *self._out[self._atom :], ")"]
        self._out.append(operator)
        self._repeated = True

    def _interval(self) -> None:
        match = _INTERVAL.match(self._p, self._i - 1)
        if match is None:
            raise RegexError("invalid interval")
        low = int(match[1])
        high = low if match[2] is None else int(match[3]) if match[3] else None
        if low > _DUP_MAX or (high is not None and (high > _DUP_MAX or high < low)):
            raise RegexError("invalid interval bounds")
        self._i = match.end()
        self._repeat(
            f"{{{low}}}" if match[2] is None else f"{{{low},{'' if high is None else high}}}"
        )

    def _bracket(self) -> str:
        p = self._p
        negate = p[self._i : self._i + 1] == b"^"
        self._i += negate
        ranges: list[tuple[int, int]] = []
        first = True
        while True:
            if self._i >= len(p):
                raise RegexError("unmatched [")
            if p[self._i] == 0x5D and not first:  # "]"
                self._i += 1
                break
            first = False
            low = self._member(ranges)
            if low is None:
                continue
            if p[self._i : self._i + 1] == b"-" and p[self._i + 1 : self._i + 2] not in (b"]", b""):
                self._i += 1
                high = self._member(ranges)
                if high is None or high < low:
                    raise RegexError("invalid range end")
                ranges.append((low, high))
            else:
                ranges.append((low, low))
        body = "".join(
            f"\\x{lo:02x}" if lo == hi else f"\\x{lo:02x}-\\x{hi:02x}" for lo, hi in ranges
        )
        return f"[{'^' if negate else ''}{body}]"

    def _member(self, ranges: list[tuple[int, int]]) -> int | None:
        """One bracket member: its byte, or None for a class (added to ``ranges``)."""
        p, i = self._p, self._i
        if p[i] == 0x5B and p[i + 1 : i + 2] in (b":", b"=", b"."):  # "[:" "[=" "[."
            kind = p[i + 1 : i + 2]
            end = p.find(kind + b"]", i + 2)
            if end < 0:
                raise RegexError("unmatched [")
            name = p[i + 2 : end]
            self._i = end + 2
            if kind == b":":
                if name not in _CLASSES:
                    raise RegexError(f"invalid character class [:{name.decode('latin-1')}:]")
                ranges.extend(_CLASSES[name])
                return None
            if len(name) != 1:
                raise RegexError("invalid collation character")
            return name[0]
        self._i = i + 1
        return p[i]
