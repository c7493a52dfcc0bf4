"""NASL tokens: what the lexer hands the parser.

A file's tokens are kept as parallel lists (:class:`Tokens`) rather than one object each: a
feed parse makes tens of millions of them, and lists filled by C-level ``map`` passes are far
cheaper than per-token Python objects. Token ``i`` is ``kinds[i]`` and ``texts[i]`` (its
source bytes); where it starts is asked of its regex match, and only when needed. ``kind`` is
a short string:

* an operator or punctuation token is its own text (``"=="``, ``">>>="``, ``"("``);
* a keyword is its own text (``"if"``, ``"local_var"``, ``"x"``);
* ``NAME``, ``INT``, ``STRING`` (``"..."``), ``DATA`` (``'...'``) and ``EOF`` otherwise.

Values (the name, the integer, the string's bytes) and line/column positions are computed
only for the tokens that become tree nodes: by the parser, with ``integer_value`` and
``data_value`` of :mod:`ixion.nasl.syntax.lexer`, and :meth:`Tokens.position`.
"""

from __future__ import annotations

from bisect import bisect_right
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    import re

__all__ = [
    "DATA",
    "EOF",
    "INT",
    "KEYWORDS",
    "NAME",
    "OPERATORS",
    "STRING",
    "Tokens",
    "line_and_column",
]

NAME: Final = "NAME"
INT: Final = "INT"
STRING: Final = "STRING"
DATA: Final = "DATA"
EOF: Final = "EOF"

#: nasl.md §2.1. ``x`` is the repetition keyword but also a valid name (``identifier: IDENT |
#: REP`` in the C grammar); the parser accepts it wherever a name may stand.
KEYWORDS: Final = frozenset(
    {
        "if",
        "else",
        "for",
        "while",
        "repeat",
        "until",
        "foreach",
        "function",
        "return",
        "include",
        "break",
        "continue",
        "local_var",
        "global_var",
        "x",
    }
)

#: Every operator and punctuation token of nasl.md §2.1.
OPERATORS: Final = frozenset(
    {
        *(">>>=", ">>>", ">>=", "<<=", ">!<"),
        *("==", "!=", ">=", "<=", "><", "=~", "!~", "&&", "||", "++", "--", "**", "<<", ">>"),
        *("+=", "-=", "*=", "/=", "%=", "=>"),
        *("=", "+", "-", "*", "/", "%", "<", ">", "!", "~", "&", "|", "^"),
        *("(", ")", "{", "}", "[", "]", ",", ";", ":", "."),
    }
)

_SHOWN: Final = 24  # bytes of a string literal quoted in an error message


def line_and_column(line_starts: list[int], offset: int) -> tuple[int, int]:
    """Line and column (1-based; columns count bytes) of a byte offset.

    ``line_starts`` holds the offset of the first byte of each line, 0 first.
    """
    line = bisect_right(line_starts, offset)
    return line, offset - line_starts[line - 1] + 1


class Tokens:
    """The tokens of one file, ending with an ``EOF`` token, plus what positions need."""

    __slots__ = ("filename", "kinds", "line_starts", "matches", "source", "texts")

    def __init__(
        self,
        source: bytes,
        filename: str,
        kinds: list[str],
        texts: list[bytes],
        matches: list[re.Match[bytes]],
        line_starts: list[int],
    ) -> None:
        self.source = source
        self.filename = filename
        self.kinds = kinds
        self.texts = texts
        #: The lexer's regex match of each token; group 1 is the token itself.
        self.matches = matches
        #: Offset of the first byte of each line: ``line_starts[0]`` is line 1's, always 0.
        self.line_starts = line_starts

    def start(self, index: int) -> int:
        """The byte offset where token ``index`` starts."""
        return self.matches[index].start(1)

    def position(self, index: int) -> tuple[int, int]:
        """Line and column (1-based; columns count bytes) where token ``index`` starts."""
        return self.position_of(self.matches[index].start(1))

    def position_of(self, offset: int) -> tuple[int, int]:
        """Line and column of a byte offset of the source."""
        return line_and_column(self.line_starts, offset)

    def describe(self, index: int) -> str:
        """Name a token for an error message: ``name 'recv'``, ``integer 12``, ``end of file``."""
        kind, text = self.kinds[index], self.texts[index]
        if kind == NAME:
            return f"name '{text.decode()}'"
        if kind == INT:
            return f"integer {text.decode()}"
        if kind in (STRING, DATA):
            body = text[1:-1]
            shown = repr(body[:_SHOWN])[2:-1]  # bytes repr escapes newlines and binary
            more = "..." if len(body) > _SHOWN else ""
            return f"string {text[:1].decode()}{shown}{more}{text[:1].decode()}"
        if kind == EOF:
            return "end of file"
        if kind in KEYWORDS:
            return f"keyword '{kind}'"
        return f"'{kind}'"
