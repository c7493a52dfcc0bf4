"""Fields, report texts and descriptions as they travel (spec §2.1, §3.2, §3.5)."""

from __future__ import annotations

import pytest

from ixion.ntp.errors import LocalProtocolError
from ixion.ntp.text import (
    SEP,
    check_field,
    check_word,
    decode_bytes,
    encode_text,
    escape_description,
    escape_report_text,
    join_fields,
    report_text,
    split_name_value,
    unescape_description,
    unescape_report_text,
)

#: The report of spec §3.5, as nessusd builds it before escaping.
FTP_REPORT = (
    "The remote FTP server is vulnerable.\nSolution : upgrade\nRisk factor : High\n"
    "CVE : CVE-2001-0550\nBID : 3581\n"
)


# --- bytes and text --------------------------------------------------------------------------


def test_the_separator_is_five_bytes() -> None:
    assert SEP == " <|> "


def test_utf8_bytes_decode_to_text() -> None:
    assert decode_bytes("hôte".encode()) == "hôte"


def test_invalid_utf8_survives_a_decode_encode_round_trip() -> None:
    text = decode_bytes(b"Latin-1 h\xf4te \xff")
    assert text == "Latin-1 h\udcf4te \udcff"
    assert encode_text(text) == b"Latin-1 h\xf4te \xff"


def test_text_that_no_bytes_can_carry_is_refused() -> None:
    with pytest.raises(LocalProtocolError, match="text cannot be encoded: surrogates not allowed"):
        encode_text("lone \ud800 surrogate")


# --- fields and words ------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["", "198.18.0.5", "a<|>b", "<|>", "Services[entry]:Timeout :"])
def test_a_field_may_hold_anything_but_a_line_end_or_a_separator(value: str) -> None:
    check_field("field", value)


@pytest.mark.parametrize(
    ("value", "complaint"),
    [
        ("two\nlines", "name contains a newline: 'two\\nlines'"),
        ("a <|> b", "name contains the field separator: 'a <|> b'"),
        ("<|> SERVER", "name contains the field separator: '<|> SERVER'"),
        ("dangling <|>", "name contains the field separator: 'dangling <|>'"),
    ],
)
def test_a_field_refuses_line_ends_and_separators(value: str, complaint: str) -> None:
    with pytest.raises(LocalProtocolError) as caught:
        check_field("name", value)
    assert caught.value.message == complaint


@pytest.mark.parametrize("value", ["127.0.0.1", "1.3.6.1.4.1.25623.1.0.90002", "2.2.5"])
def test_a_word_is_one_non_empty_token(value: str) -> None:
    check_word("word", value)


@pytest.mark.parametrize("value", ["", "two words", "tab\there", "line\nend", "a<|>b", "\u2003"])
def test_a_word_refuses_emptiness_whitespace_and_separators(value: str) -> None:
    with pytest.raises(LocalProtocolError) as caught:
        check_word("host", value)
    assert caught.value.message == f"host must be one non-empty word: {value!r}"


def test_fields_join_with_the_separator() -> None:
    assert join_fields(["SERVER", "BYE", "BYE", "SERVER"]) == "SERVER <|> BYE <|> BYE <|> SERVER"
    assert join_fields([]) == ""


# --- name <|> value lines --------------------------------------------------------------------


def test_a_preference_line_splits_at_the_first_separator() -> None:
    assert split_name_value("max_hosts <|> 30") == ("max_hosts", "30")


def test_a_preference_value_may_contain_separators() -> None:
    assert split_name_value("odd <|> a <|> b") == ("odd", "a <|> b")


def test_a_preference_line_with_its_trailing_space_lost_has_an_empty_value() -> None:
    assert split_name_value("Services[file]:SSL certificate : <|>") == (
        "Services[file]:SSL certificate :",
        "",
    )
    assert split_name_value("Services[file]:SSL certificate : <|> ") == (
        "Services[file]:SSL certificate :",
        "",
    )


def test_a_preference_line_without_separator_carries_nothing() -> None:
    assert split_name_value("no separator here") is None
    assert split_name_value("") is None


def test_a_preference_name_may_contain_a_less_than_sign() -> None:
    assert split_name_value("a<b <|> 1") == ("a<b", "1")


# --- report texts (spec §3.5) ----------------------------------------------------------------


def test_a_report_text_ends_with_a_newline_even_without_references() -> None:
    assert report_text("An ssh server is running on this port") == (
        "An ssh server is running on this port\n"
    )


def test_a_report_text_appends_cve_and_bid_lines() -> None:
    body = "The remote FTP server is vulnerable.\nSolution : upgrade\nRisk factor : High"
    assert report_text(body, cve=["CVE-2001-0550"], bid=["3581"]) == FTP_REPORT


def test_a_report_text_appends_every_reference_kind_in_order() -> None:
    text = report_text(
        "Body",
        cve=["CVE-2001-0550", "CAN-2002-0001"],
        bid=["3581", "3582"],
        xref=["OSVDB:123", "IAVA:2003-A-0001"],
    )
    assert text == (
        "Body\n"
        "CVE : CVE-2001-0550, CAN-2002-0001\n"
        "BID : 3581, 3582\n"
        "Other references : OSVDB:123, IAVA:2003-A-0001\n"
    )


def test_a_report_text_skips_empty_reference_lists() -> None:
    assert report_text("Body", xref=["OSVDB:1"]) == "Body\nOther references : OSVDB:1\n"


def test_backslash_escaping_writes_the_spec_example_byte_for_byte() -> None:
    assert escape_report_text(FTP_REPORT, backslash=True) == (
        b"The remote FTP server is vulnerable.\\nSolution : upgrade\\nRisk factor : High"
        b"\\nCVE : CVE-2001-0550\\nBID : 3581\\n"
    )


def test_semicolon_escaping_writes_the_spec_example_byte_for_byte() -> None:
    assert escape_report_text(FTP_REPORT, backslash=False) == (
        b"The remote FTP server is vulnerable.;Solution : upgrade;Risk factor : High;"
        b"CVE : CVE-2001-0550;BID : 3581;"
    )


def test_backslash_escaping_doubles_backslashes_and_escapes_carriage_returns() -> None:
    assert escape_report_text("C:\\temp\r\n", backslash=True) == b"C:\\\\temp\\r\\n"


def test_semicolon_escaping_turns_carriage_returns_into_semicolons_too() -> None:
    assert escape_report_text("a\r\nb\\", backslash=False) == b"a;;b\\"


def test_every_non_printable_byte_becomes_a_space() -> None:
    # TAB, DEL and both bytes of an 8-bit character (spec §3.5 step 7).
    assert escape_report_text("a\tb\x7fc\u00e9\n", backslash=False) == b"a b c  ;"
    assert escape_report_text("\x00\x1f~ \n", backslash=True) == b"  ~ \\n"


def test_a_separator_inside_a_report_text_is_neutralised() -> None:
    assert escape_report_text("x <|> y\n", backslash=True) == b"x <!> y\\n"


def test_overlapping_separators_inside_a_report_text_are_all_neutralised() -> None:
    assert escape_report_text("a <|> <|> b\n", backslash=False) == b"a <!> <!> b;"
    assert escape_description("x <|> <|> <|>") == "x <!> <!> <!>"


def test_a_report_text_cannot_end_in_half_a_separator() -> None:
    assert escape_report_text("dangling <|>", backslash=False) == b"dangling <!>"


def test_semicolon_unescaping_is_lossy() -> None:
    wire = "The remote web server banner is :;Server: SimpleHTTP/0.6;CVE : CVE-1999-0001;"
    assert unescape_report_text(wire, backslash=False) == (
        "The remote web server banner is :\nServer: SimpleHTTP/0.6\nCVE : CVE-1999-0001\n"
    )
    assert unescape_report_text("a;b", backslash=False) == "a\nb"


def test_backslash_unescaping_reads_the_transcript_texts() -> None:
    # openvassd 3.0.2's INFO: a plugin's literal backslash-n, then an escaped newline.
    wire = "answers here.\\\\nRisk factor : Medium\\nCVE : CVE-1999-0001\\n"
    assert unescape_report_text(wire, backslash=True) == (
        "answers here.\\nRisk factor : Medium\nCVE : CVE-1999-0001\n"
    )


def test_backslash_unescaping_restores_carriage_returns() -> None:
    assert unescape_report_text("a\\r\\nb", backslash=True) == "a\r\nb"


def test_backslash_unescaping_keeps_unknown_sequences_as_they_are() -> None:
    assert unescape_report_text("tab\\there", backslash=True) == "tab\\there"


def test_backslash_unescaping_keeps_a_trailing_lone_backslash() -> None:
    assert unescape_report_text("ends with \\", backslash=True) == "ends with \\"


def test_backslash_unescaping_leaves_plain_text_alone() -> None:
    assert unescape_report_text("no escapes; at all", backslash=True) == "no escapes; at all"
    assert unescape_report_text("", backslash=True) == ""


def test_backslash_escaping_round_trips_printable_text() -> None:
    text = "path C:\\new\\r\r\nline two\n"
    wire = decode_bytes(escape_report_text(text, backslash=True))
    assert unescape_report_text(wire, backslash=True) == text


# --- plugin descriptions (spec §3.2) ---------------------------------------------------------


def test_descriptions_always_turn_newlines_into_semicolons() -> None:
    description = "Reads the Server: banner of a web server.\n\nRisk factor : Low"
    assert escape_description(description) == (
        "Reads the Server: banner of a web server.;;Risk factor : Low"
    )


def test_descriptions_leave_carriage_returns_and_8_bit_text_untouched() -> None:
    assert escape_description("a\rb\u00e9\tc") == "a\rb\u00e9\tc"


def test_descriptions_neutralise_separators() -> None:
    assert escape_description("x <|> y") == "x <!> y"
    assert escape_description("ends <|>") == "ends <!>"


def test_descriptions_come_back_with_every_semicolon_as_a_newline() -> None:
    assert unescape_description("Sleeps a while;;Risk; None") == "Sleeps a while\n\nRisk\n None"
