"""The NASL lexer: source bytes in, tokens out (nasl.md §2.1).

One compiled regex finds every token, skipping the whitespace and ``#`` comments in front of
it; then C-level passes turn the matches into the parallel lists of :class:`Tokens`. No
Python code runs per byte, and almost none per token: values and line/column positions are
worked out later, only for the tokens that become tree nodes.

The rules follow the C lexer (``mylex`` in ``nasl_grammar.y``), with two deliberate
differences where C only warns and carries on with a guess:

* a NUL byte is an error (C silently ends the file there);
* ``>!`` not followed by ``<`` is an error (C warns and reads it as ``>!<``).
"""

from __future__ import annotations

import re
from itertools import accumulate
from operator import itemgetter
from typing import Final, cast

from ixion.nasl.syntax.errors import NaslSyntaxError
from ixion.nasl.syntax.tokens import (
    DATA,
    EOF,
    INT,
    KEYWORDS,
    NAME,
    OPERATORS,
    STRING,
    Tokens,
    line_and_column,
)

__all__ = ["data_value", "integer_value", "syntax_error", "tokenize"]

#: Every operator of tokens.OPERATORS, factored by first character so that the regex engine
#: does not try dozens of alternatives in turn, and always taking the longest match. A ``>``
#: that starts a broken ``>!<`` is left unmatched so that it reaches the error branch.
_OPERATOR: Final = (
    rb"[(){}\[\],;:.~^]|=[=~>]?|![=~]?|<(?:<=?|=)?|>(?:>>?=?|[=<]|!<|(?!!))"
    rb"|&&?|\|\|?|\+[+=]?|-[-=]?|\*[*=]?|/=?|%=?"
)

_TOKEN: Final = re.compile(
    rb"[ \t\n\r\v\f]*(?:\#[^\n]*[ \t\n\r\v\f]*)*"  # skipped: whitespace and comments
    rb"(?:(" + _OPERATOR + rb"|[A-Za-z_][A-Za-z0-9_]*"
    rb'|"[^"]*"'  # verbatim, may span lines
    rb"|'[^'\\]*(?:\\.[^'\\]*)*'"  # escapes decoded by data_value
    rb"|0[xX][0-9A-Fa-f]*|[0-9]+"
    rb"|\Z)"  # the end, as an empty token
    rb"|(.))",  # an unterminated string, or a byte no token starts with
    re.DOTALL,
)

#: Kind of each token whose text says it all; the others are named by their first byte.
_KINDS: Final = {text.encode(): text for text in OPERATORS | KEYWORDS} | {b"": EOF}


def _kinds_by_first_byte() -> list[str]:
    kinds = [""] * 256  # "" for bytes that start operators: those are all in _KINDS
    for byte in b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_":
        kinds[byte] = NAME
    for byte in b"0123456789":
        kinds[byte] = INT
    kinds[ord('"')] = STRING
    kinds[ord("'")] = DATA
    return kinds


_FIRST: Final = _kinds_by_first_byte()

_text: Final = itemgetter(1)

# C stores literals with strtoul into a long: anything larger saturates to ULONG_MAX.
_ULONG_MAX: Final = 2**64 - 1

# Data-string escapes (mylex, ST_STRING1). ``\x`` takes up to two hex digits and, like C,
# stops early at a non-hex byte; backslash-newline continues the string on the next line.
_ESCAPE: Final = re.compile(rb"\\(x[0-9A-Fa-f]{0,2}|.)", re.DOTALL)
_ESCAPES: Final = {
    b"n": b"\n",
    b"t": b"\t",
    b"r": b"\r",
    b"f": b"\f",
    b"v": b"\v",
    b"\\": b"\\",
    b'"': b'"',
    b"'": b"'",
    b"0": b"\0",
    b"\n": b"",
}


def tokenize(source: bytes, filename: str = "<script>") -> Tokens:
    """All tokens of ``source``, ending with one ``EOF`` token.

    Raises:
        NaslSyntaxError: on a byte no token can start with, an unterminated string, an
            unknown escape in a data string, or a NUL byte.
    """
    lines = source.split(b"\n")
    # Line i + 1 starts one byte (the newline) after line i ends.
    line_starts = list(accumulate(map((1).__add__, map(len, lines[:-1])), initial=0))
    nul = source.find(b"\0")
    if nul >= 0:
        raise _error_at(source, filename, line_starts, "NUL byte in the source", nul)
    matches = list(_TOKEN.finditer(source))
    if len(matches) > 1 and matches[-2].group(1) == b"":
        # After trailing space, the end matched twice: with that space, then empty.
        matches.pop()
    found: list[bytes | None] = list(map(_text, matches))
    if None in found:  # the last alternative of _TOKEN matched
        offset = matches[found.index(None)].start(2)
        raise _error_at(source, filename, line_starts, _bad_byte(source, offset), offset)
    texts = cast("list[bytes]", found)
    kind, first = _KINDS.get, _FIRST
    kinds = [kind(text) or first[text[0]] for text in texts]
    tokens = Tokens(source, filename, kinds, texts, matches, line_starts)
    if DATA in kinds:  # rare: check the escapes now, so that every lexical error is ours
        for index, token_kind in enumerate(kinds):
            if token_kind == DATA:
                data_value(tokens, index)
    return tokens


def integer_value(text: bytes) -> int:
    """The value of an integer literal: decimal, ``0x`` hex or ``0`` octal, as C reads them."""
    if text[:2] in (b"0x", b"0X"):
        value = int(text[2:] or b"0", 16)  # a bare "0x" is 0, as in C
    elif text[0] == ord("0") and len(text) > 1:
        # Octal, unless an 8 or 9 turns up: then C switches to decimal (ST_OCT -> ST_DEC).
        value = int(text, 10) if text.strip(b"01234567") else int(text, 8)
    else:
        value = int(text)
    return min(value, _ULONG_MAX)


class _UnknownEscape(Exception):
    """Raised inside ``re.sub`` to leave it; carries the offset in the string's text."""

    def __init__(self, offset: int) -> None:
        super().__init__(offset)
        self.offset = offset


def _decode_escape(match: re.Match[bytes]) -> bytes:
    body = match.group(1)
    decoded = _ESCAPES.get(body)
    if decoded is not None:
        return decoded
    if body[0] == ord("x"):
        return bytes((int(body[1:] or b"0", 16),))
    raise _UnknownEscape(match.start())


def data_value(tokens: Tokens, index: int) -> bytes:
    """The bytes of the ``'...'`` token ``index``, its escapes decoded."""
    body = tokens.texts[index][1:-1]
    if b"\\" not in body:
        return body
    try:
        return _ESCAPE.sub(_decode_escape, body)
    except _UnknownEscape as unknown:
        escape = body[unknown.offset : unknown.offset + 2].decode("utf-8", "replace")
        message = (
            f"unknown escape sequence '{escape}' in a data string "
            "(known: \\n \\t \\r \\f \\v \\\\ \\\" \\' \\0 \\xHH and backslash-newline)"
        )
        offset = tokens.start(index) + 1 + unknown.offset
        line, column = tokens.position_of(offset)
        raise syntax_error(tokens.source, tokens.filename, message, line, column) from None


def syntax_error(
    source: bytes, filename: str, message: str, line: int, column: int
) -> NaslSyntaxError:
    """Build the error for ``line:column`` of ``source``, with that line shown."""
    lines = source.split(b"\n")
    text = lines[line - 1] if 0 < line <= len(lines) else b""
    return NaslSyntaxError(
        message,
        filename=filename,
        line=line,
        column=column,
        source_line=text.rstrip(b"\r").decode("utf-8", "replace"),
    )


def _error_at(
    source: bytes, filename: str, line_starts: list[int], message: str, offset: int
) -> NaslSyntaxError:
    line, column = line_and_column(line_starts, offset)
    return syntax_error(source, filename, message, line, column)


def _bad_byte(source: bytes, offset: int) -> str:
    byte = source[offset]
    if byte == ord('"'):
        return "unterminated string: no closing '\"' before the end of the file"
    if byte == ord("'"):
        return 'unterminated data string: no closing "\'" before the end of the file'
    if byte == ord(">"):  # only '>!' not followed by '<' gets here
        return "invalid operator '>!' (the 'is not a substring of' operator is '>!<')"
    if 0x21 <= byte < 0x7F:
        return f"unexpected character '{chr(byte)}'"
    return f"unexpected byte 0x{byte:02x} outside a string or comment"
