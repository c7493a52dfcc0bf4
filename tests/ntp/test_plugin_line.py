"""The PLUGIN_LIST / PLUGIN_INFO line: fixed and optional fields, NTP and OTP (spec §3.2)."""

from __future__ import annotations

import dataclasses

import pytest

from ixion.ntp.errors import LocalProtocolError
from ixion.ntp.features import Features
from ixion.ntp.plugin_line import parse_plugin_line, plugin_line
from tests.ntp.server_samples import (
    BANNER_CHECK,
    BANNER_CHECK_LINE,
    BANNER_CHECK_SHORT_LINE,
    NTP_1_0,
    NTP_1_1,
    NTP_1_2,
    OTP,
    OTP_BANNER_CHECK,
    OTP_BANNER_CHECK_LINE,
    PLUGIN_WORDS,
    TCP_SCANNER,
    TCP_SCANNER_LINE,
)

# --- plugin lines (spec §3.2) ----------------------------------------------------------------


def test_a_plugin_line_carries_all_four_optional_fields_when_asked() -> None:
    features = Features(extensions=PLUGIN_WORDS)
    assert plugin_line(BANNER_CHECK, features) == BANNER_CHECK_LINE
    assert plugin_line(TCP_SCANNER, features) == TCP_SCANNER_LINE


def test_a_plugin_line_without_words_has_the_seven_fixed_fields() -> None:
    assert plugin_line(BANNER_CHECK, NTP_1_1) == BANNER_CHECK_SHORT_LINE


def test_bid_without_cve_takes_the_eighth_field() -> None:
    features = Features(extensions=frozenset({"plugins_bugtraq_id"}))
    assert plugin_line(BANNER_CHECK, features) == BANNER_CHECK_SHORT_LINE + " <|> 1"


def test_the_optional_fields_keep_their_fixed_order() -> None:
    plugin = dataclasses.replace(BANNER_CHECK, xref=("OSVDB:123", "IAVA:2003-A-0001"))
    features = Features(extensions=frozenset({"plugins_xrefs", "plugins_version"}))
    assert plugin_line(plugin, features) == (
        BANNER_CHECK_SHORT_LINE + " <|> $Revision: 1.0 $ <|> OSVDB:123, IAVA:2003-A-0001"
    )


def test_otp_writes_every_optional_field_and_no_words_for_empty_ones() -> None:
    assert plugin_line(OTP_BANNER_CHECK, OTP) == OTP_BANNER_CHECK_LINE
    signed = dataclasses.replace(
        OTP_BANNER_CHECK, sign_keys="ABCD", tags="cvss_base=5.0|risk=Medium"
    )
    assert plugin_line(signed, OTP).endswith(" <|> NOXREF <|> ABCD <|> cvss_base=5.0|risk=Medium")


def test_otp_writes_its_words_for_every_empty_reference_list() -> None:
    plugin = dataclasses.replace(TCP_SCANNER, id="1.3.6.1.4.1.25623.1.0.90001")
    line = (
        "1.3.6.1.4.1.25623.1.0.90001 <|> Peers tiny TCP scanner <|> scanner <|> Public domain"
        " test plugin <|> Connects to a few TCP ports on the target and reports the open ones."
        " <|> tiny connect() scanner <|> Port scanners <|> $Revision: 1.0 $ <|> NOCVE <|> NOBID"
        " <|> NOXREF <|> NOSIGNKEYS <|> NOTAG"
    )
    assert plugin_line(plugin, OTP) == line
    assert parse_plugin_line(line, OTP) == plugin


def test_ntp_sends_empty_fields_where_otp_sends_words() -> None:
    assert plugin_line(TCP_SCANNER, Features(extensions=PLUGIN_WORDS)).endswith(
        " <|> $Revision: 1.0 $ <|>  <|>  <|> "
    )


def test_a_plugin_line_reads_back_with_the_same_words() -> None:
    features = Features(extensions=PLUGIN_WORDS)
    assert parse_plugin_line(BANNER_CHECK_LINE, features) == BANNER_CHECK
    assert parse_plugin_line(TCP_SCANNER_LINE, features) == TCP_SCANNER


def test_an_otp_plugin_line_reads_its_empty_words_as_empty_fields() -> None:
    assert parse_plugin_line(OTP_BANNER_CHECK_LINE, OTP) == OTP_BANNER_CHECK


def test_a_plugin_line_without_optional_fields_reads_the_defaults() -> None:
    plugin = parse_plugin_line(BANNER_CHECK_SHORT_LINE, NTP_1_0)
    assert plugin == dataclasses.replace(BANNER_CHECK, version="?", cve=(), bid=())


def test_a_plugin_line_with_the_wrong_field_count_is_refused() -> None:
    with pytest.raises(LocalProtocolError) as caught:
        parse_plugin_line(BANNER_CHECK_LINE, NTP_1_2)
    assert caught.value.message.startswith("plugin line has 11 fields, expected 7: '90002 <|> ")


def test_a_plugin_line_with_an_unknown_category_is_refused() -> None:
    line = BANNER_CHECK_SHORT_LINE.replace(" infos ", " ACT_GATHER_INFO ")
    with pytest.raises(LocalProtocolError, match="unknown plugin category 'ACT_GATHER_INFO'"):
        parse_plugin_line(line, NTP_1_2)


def test_a_plugin_description_neutralises_separators() -> None:
    plugin = dataclasses.replace(TCP_SCANNER, description="a <|> b\nc")
    line = plugin_line(plugin, NTP_1_1)
    assert " <|> a <!> b;c <|> " in line
    assert parse_plugin_line(line, NTP_1_1).description == "a <!> b\nc"
