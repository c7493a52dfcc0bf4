"""The NASL lexer: every rule of nasl.md §2.1, with positions and error messages."""

from __future__ import annotations

from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ixion.nasl.syntax.errors import NaslSyntaxError
from ixion.nasl.syntax.lexer import data_value, integer_value, tokenize
from ixion.nasl.syntax.tokens import DATA, EOF, INT, KEYWORDS, NAME, OPERATORS, STRING, Tokens


def token_value(tokens: Tokens, index: int) -> str | int | bytes:
    """What a token stands for, as the parser reads it."""
    kind, text = tokens.kinds[index], tokens.texts[index]
    if kind == NAME:
        return text.decode()
    if kind == INT:
        return integer_value(text)
    if kind == STRING:
        return text[1:-1]
    if kind == DATA:
        return data_value(tokens, index)
    return kind


def kinds(source: bytes) -> list[str]:
    return tokenize(source).kinds


def values(source: bytes) -> list[str | int | bytes]:
    """Values of all tokens but the final EOF."""
    tokens = tokenize(source)
    return [token_value(tokens, i) for i in range(len(tokens.kinds) - 1)]


def positions(tokens: Tokens) -> list[tuple[int, int]]:
    return [tokens.position(i) for i in range(len(tokens.kinds))]


def lex_error(source: bytes) -> NaslSyntaxError:
    with pytest.raises(NaslSyntaxError) as caught:
        tokenize(source, "t.nasl")
    return caught.value


# --- tokens, positions, comments ---------------------------------------------------------------


def test_statement_becomes_tokens_with_lines_and_columns() -> None:
    tokens = tokenize(b'port = get_kb_item("Services/www");\n  exit(0);\n')
    assert tokens.kinds == [NAME, "=", NAME, "(", STRING, ")", ";", NAME, "(", INT, ")", ";", EOF]
    assert tokens.texts[4] == b'"Services/www"'
    assert positions(tokens) == [
        (1, 1), (1, 6), (1, 8), (1, 19), (1, 20), (1, 34), (1, 35),
        (2, 3), (2, 7), (2, 8), (2, 9), (2, 10), (3, 1),
    ]  # fmt: skip


def test_comments_run_to_the_end_of_the_line_and_vanish() -> None:
    tokens = tokenize(b"# header\na = 1; # trailing ; ( ' \"\n#\nb")
    assert tokens.kinds == [NAME, "=", INT, ";", NAME, EOF]
    assert tokens.position(4) == (4, 1)


def test_a_comment_at_the_end_of_the_file_needs_no_newline() -> None:
    assert kinds(b"a; # done") == [NAME, ";", EOF]


def test_all_c_whitespace_separates_tokens() -> None:
    assert values(b"a\tb\vc\fd\re\n f") == ["a", "b", "c", "d", "e", "f"]


def test_columns_count_bytes_and_crlf_lines_count_once() -> None:
    tokens = tokenize("a;\r\n\tx = 'é'; y\r\nz".encode())
    assert positions(tokens)[2:] == [(2, 2), (2, 4), (2, 6), (2, 10), (2, 12), (3, 1), (3, 2)]


def test_an_empty_source_is_just_the_end() -> None:
    tokens = tokenize(b"")
    assert tokens.kinds == [EOF]
    assert tokens.position(0) == (1, 1)


def test_the_end_token_sits_after_trailing_space() -> None:
    assert tokenize(b"a;\n\n  ").position(2) == (3, 3)


# --- identifiers and keywords -------------------------------------------------------------------


@pytest.mark.parametrize("word", sorted(KEYWORDS))
def test_keywords_are_their_own_kind(word: str) -> None:
    assert kinds(word.encode()) == [word, EOF]


def test_identifiers_are_ascii_letters_digits_and_underscores() -> None:
    assert values(b"_FCT_ANON_ARGS a1 x_ xx X If") == [
        "_FCT_ANON_ARGS",
        "a1",
        "x_",
        "xx",
        "X",
        "If",
    ]
    assert kinds(b"x xx") == ["x", NAME, EOF]


def test_a_digit_ends_no_identifier_but_starts_a_number() -> None:
    assert kinds(b"1abc") == [INT, NAME, EOF]


# --- integers -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        (b"0", 0),
        (b"7", 7),
        (b"1234567890", 1234567890),
        (b"0x1F", 31),
        (b"0X1f", 31),
        (b"0xdeadBEEF", 0xDEADBEEF),
        (b"0x", 0),  # C: "Invalid token 0x parsed as 0"
        (b"017", 15),
        (b"00", 0),
        (b"018", 18),  # an 8 or 9 makes C read the digits as decimal
        (b"0791", 791),
        (b"18446744073709551615", 2**64 - 1),
        (b"18446744073709551616", 2**64 - 1),  # strtoul saturates
        (b"0x1ffffffffffffffff", 2**64 - 1),
    ],
)
def test_integer_literals_read_as_c_reads_them(text: bytes, value: int) -> None:
    assert kinds(text) == [INT, EOF]
    assert values(text) == [value]


def test_bare_0x_is_zero_and_what_follows_is_a_new_token() -> None:
    assert values(b"0xg") == [0, "g"]


def test_no_sign_in_literals() -> None:
    assert kinds(b"-1") == ["-", INT, EOF]


def test_dots_between_integers_are_separate_tokens() -> None:
    assert kinds(b"10.0.0.1") == [INT, ".", INT, ".", INT, ".", INT, EOF]


# --- strings ------------------------------------------------------------------------------------


def test_double_quoted_strings_are_verbatim() -> None:
    assert values(b'"a\\n\\x41\\"') == [b"a\\n\\x41\\"]
    assert kinds(b'"it\'s"') == [STRING, EOF]


def test_strings_may_span_lines_and_later_lines_count() -> None:
    tokens = tokenize(b"a = \"one\ntwo\n  three\"; b = 'x\ny';\nc")
    assert token_value(tokens, 2) == b"one\ntwo\n  three"
    assert positions(tokens)[3:] == [(3, 9), (3, 11), (3, 13), (3, 15), (4, 3), (5, 1), (5, 2)]


def test_empty_strings() -> None:
    assert values(b"\"\" ''") == [b"", b""]


@pytest.mark.parametrize(
    ("escape", "byte"),
    [
        (b"\\n", b"\n"),
        (b"\\t", b"\t"),
        (b"\\r", b"\r"),
        (b"\\f", b"\f"),
        (b"\\v", b"\v"),
        (b"\\\\", b"\\"),
        (b'\\"', b'"'),
        (b"\\'", b"'"),
        (b"\\0", b"\0"),
        (b"\\x41", b"A"),
        (b"\\xfF", b"\xff"),
        (b"\\\n", b""),  # backslash-newline continues the string
    ],
)
def test_data_string_escapes(escape: bytes, byte: bytes) -> None:
    assert kinds(b"'<" + escape + b">'") == [DATA, EOF]
    assert values(b"'<" + escape + b">'") == [b"<" + byte + b">"]


def test_a_short_hex_escape_stops_at_the_first_non_hex_byte_as_in_c() -> None:
    assert values(b"'\\x4g' '\\x' '\\xA'") == [b"\x04g", b"\0", b"\n"]


def test_an_escaped_quote_does_not_end_a_data_string() -> None:
    assert values(b"'it\\'s' x") == [b"it's", "x"]


def test_a_data_string_keeps_nul_bytes_and_binary() -> None:
    assert values(b"'\\0\\xff\x80'") == [b"\0\xff\x80"]


def test_unknown_escape_is_an_error_at_the_backslash() -> None:
    error = lex_error(b"a = 1;\nb = 'ok\\n\nthen \\q';")
    assert (error.filename, error.line, error.column) == ("t.nasl", 3, 6)
    assert error.message == (
        "unknown escape sequence '\\q' in a data string "
        "(known: \\n \\t \\r \\f \\v \\\\ \\\" \\' \\0 \\xHH and backslash-newline)"
    )
    assert error.source_line == "then \\q';"


# --- operators ----------------------------------------------------------------------------------


@pytest.mark.parametrize("op", sorted(OPERATORS))
def test_every_operator_is_one_token(op: str) -> None:
    assert kinds(op.encode()) == [op, EOF]


def _longest_match(source: str) -> list[str]:
    """A naive longest-match splitter over the operator set, for comparison."""
    out = []
    while source:
        op = max((o for o in OPERATORS if source.startswith(o)), key=len)
        out.append(op)
        source = source[len(op) :]
    return out


_GLUABLE = sorted(op for op in OPERATORS if op != ">")  # '>!' alone is an error, see below


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_GLUABLE), min_size=1, max_size=6))
def test_operators_written_together_split_by_longest_match(ops: list[str]) -> None:
    text = "".join(ops)
    expected = _longest_match(text)
    if any(a == ">" and b.startswith("!") for a, b in pairwise(expected)):
        return  # a '>!' that is not '>!<': covered by test_broken_not_substring_operator
    assert kinds(text.encode()) == [*expected, EOF]


def test_longest_match_examples() -> None:
    assert kinds(b">>>=>>>>>=<<=") == [">>>=", ">>>", ">>=", "<<=", EOF]
    assert kinds(b"a=>b") == [NAME, "=>", NAME, EOF]
    assert kinds(b"a>!<b") == [NAME, ">!<", NAME, EOF]
    assert kinds(b"a=~b!~c") == [NAME, "=~", NAME, "!~", NAME, EOF]
    assert kinds(b"---a") == ["--", "-", NAME, EOF]


# --- lexical errors -----------------------------------------------------------------------------


def test_unterminated_string_points_at_its_quote() -> None:
    error = lex_error(b'a = 1;\nb = "never\nends;\n')
    assert (error.line, error.column) == (2, 5)
    assert error.message == "unterminated string: no closing '\"' before the end of the file"


def test_unterminated_data_string_points_at_its_quote() -> None:
    error = lex_error(b"x = 'abc\\'")
    assert (error.line, error.column) == (1, 5)
    assert error.message == 'unterminated data string: no closing "\'" before the end of the file'


def test_a_character_no_token_starts_with() -> None:
    error = lex_error(b"a = 1;\n  b = $c;")
    assert (error.line, error.column, error.message) == (2, 7, "unexpected character '$'")
    assert str(error) == "t.nasl:2:7: unexpected character '$'\n      b = $c;\n          ^"


def test_non_ascii_outside_strings() -> None:
    error = lex_error("a = 1; é = 2;".encode())
    assert (error.line, error.column) == (1, 8)
    assert error.message == "unexpected byte 0xc3 outside a string or comment"
    assert error.source_line == "a = 1; é = 2;"


def test_nul_byte_anywhere_is_an_error() -> None:
    error = lex_error(b'a = "x\x00y";')
    assert (error.line, error.column, error.message) == (1, 7, "NUL byte in the source")


def test_broken_not_substring_operator() -> None:
    error = lex_error(b"if (a >!b) x();")
    assert (error.line, error.column) == (1, 7)
    assert error.message == "invalid operator '>!' (the 'is not a substring of' operator is '>!<')"


def test_errors_show_the_line_without_its_carriage_return() -> None:
    error = lex_error(b"a = 1;\r\nb = @;\r\n")
    assert error.source_line == "b = @;"


# --- describing tokens for messages -------------------------------------------------------------


def test_tokens_are_described_for_error_messages() -> None:
    tokens = tokenize(b"recv 12 \"a\nb\" 'c' if == " + b'"' + b"z" * 30 + b'"')
    described = [tokens.describe(i) for i in range(len(tokens.kinds))]
    assert described == [
        "name 'recv'",
        "integer 12",
        'string "a\\nb"',
        "string 'c'",
        "keyword 'if'",
        "'=='",
        'string "' + "z" * 24 + '..."',
        "end of file",
    ]


# --- robustness ---------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_arbitrary_bytes_give_tokens_or_a_syntax_error(source: bytes) -> None:
    try:
        tokens = tokenize(source)
    except NaslSyntaxError as error:
        failure: NaslSyntaxError | None = error
    else:
        failure = None
    if failure is not None:
        assert failure.line >= 1
        assert failure.column >= 1
        return
    assert tokens.kinds[-1] == EOF
    assert len(tokens.kinds) == len(tokens.texts) == len(tokens.matches)
    starts = [tokens.start(i) for i in range(len(tokens.kinds))]
    assert starts == sorted(starts)
