"""Negotiated features: versions, extension words and the four report options (spec §1.4,
§3.10, §10.6, §11)."""

from __future__ import annotations

import dataclasses

import pytest

from ixion.ntp.features import KNOWN_EXTENSIONS, Features, Version

REFERENCE_WORDS = (
    "plugins_cve_id",
    "plugins_version",
    "plugins_bugtraq_id",
    "plugins_xrefs",
    "timestamps",
    "dependencies",
)


@pytest.mark.parametrize(
    ("version", "banner"),
    [
        (Version.NTP_1_0, "< NTP/1.0 >"),
        (Version.NTP_1_1, "< NTP/1.1 >"),
        (Version.NTP_1_2, "< NTP/1.2 >"),
        (Version.OTP_1_0, "< OTP/1.0 >"),
    ],
)
def test_version_banner_is_the_eleven_characters_nessusd_compares(
    version: Version, banner: str
) -> None:
    assert version.banner == banner
    assert len(version.banner) == 11


def test_known_extensions_are_the_ten_words_of_nessusd_2_2_5() -> None:
    assert (
        frozenset(
            {
                "md5_caching",
                "md5_by_name",
                "plugins_version",
                "plugins_cve_id",
                "plugins_bugtraq_id",
                "plugins_xrefs",
                "timestamps",
                "dns",
                "dependencies",
                "fast_login",
            }
        )
        == KNOWN_EXTENSIONS
    )


def test_default_features_are_plain_ntp_1_2() -> None:
    features = Features()
    assert features.version is Version.NTP_1_2
    assert features.extensions == frozenset()
    assert not features.escape_crlf
    assert not features.accepts_notes
    assert not features.short_status
    assert not features.keep_alive


def test_features_from_words_keep_known_extensions_and_ignore_unknown_ones() -> None:
    features = Features.from_words([*REFERENCE_WORDS, "is_proxy", "ntp_short_status"])
    assert features.extensions == frozenset(REFERENCE_WORDS)
    assert features.short_status
    assert not features.escape_crlf
    assert not features.accepts_notes
    assert not features.keep_alive
    assert features.version is Version.NTP_1_2


def test_features_from_words_read_all_four_report_options() -> None:
    features = Features.from_words(
        [
            "ntp_escape_crlf",
            "ntp_client_accepts_notes",
            "ntp_short_status",
            "ntp_keep_communication_alive",
        ],
        version=Version.NTP_1_1,
    )
    assert features == Features(
        version=Version.NTP_1_1,
        escape_crlf=True,
        accepts_notes=True,
        short_status=True,
        keep_alive=True,
    )


def test_only_otp_is_otp() -> None:
    assert Features(version=Version.OTP_1_0).is_otp
    assert not Features(version=Version.NTP_1_2).is_otp


def test_md5_caching_needs_the_word_in_ntp() -> None:
    assert Features(extensions=frozenset({"md5_caching"})).md5_caching
    assert not Features(extensions=frozenset({"md5_by_name"})).md5_caching


def test_md5_caching_is_always_on_in_otp() -> None:
    assert Features(version=Version.OTP_1_0).md5_caching


def test_report_texts_use_semicolons_unless_escape_crlf_or_otp() -> None:
    assert not Features().backslash_escapes
    assert Features(escape_crlf=True).backslash_escapes
    assert Features(version=Version.OTP_1_0).backslash_escapes


@pytest.mark.parametrize(
    ("version", "has_ids"),
    [
        (Version.NTP_1_0, False),
        (Version.NTP_1_1, False),
        (Version.NTP_1_2, True),
        (Version.OTP_1_0, True),
    ],
)
def test_plugin_ids_are_appended_to_reports_from_ntp_1_2_on(
    version: Version, has_ids: bool
) -> None:
    assert Features(version=version).has_plugin_ids_in_reports is has_ids


def test_ntp_has_only_the_extensions_it_negotiated() -> None:
    features = Features(extensions=frozenset({"timestamps"}))
    assert features.has("timestamps")
    assert not features.has("dependencies")


@pytest.mark.parametrize("word", REFERENCE_WORDS)
def test_otp_implies_the_plugin_list_extensions(word: str) -> None:
    assert Features(version=Version.OTP_1_0).has(word)


def test_otp_does_not_imply_md5_by_name_or_fast_login() -> None:
    otp = Features(version=Version.OTP_1_0)
    assert not otp.has("md5_by_name")
    assert not otp.has("fast_login")
    assert Features(version=Version.OTP_1_0, extensions=frozenset({"fast_login"})).has("fast_login")


def test_escape_crlf_and_keep_alive_count_even_when_set_to_no() -> None:
    features = Features().with_client_preferences(
        [("ntp_escape_crlf", "no"), ("ntp_keep_communication_alive", "no")]
    )
    assert features.escape_crlf
    assert features.keep_alive


def test_accepts_notes_and_short_status_need_exactly_yes() -> None:
    features = Features().with_client_preferences(
        [("ntp_client_accepts_notes", "Yes"), ("ntp_short_status", "yes ")]
    )
    assert not features.accepts_notes
    assert not features.short_status
    features = Features().with_client_preferences(
        [("ntp_client_accepts_notes", "yes"), ("ntp_short_status", "yes")]
    )
    assert features.accepts_notes
    assert features.short_status


def test_the_reference_client_preferences_turn_on_all_four_options() -> None:
    items = [
        ("ntp_opt_show_end", "yes"),
        ("ntp_keep_communication_alive", "yes"),
        ("ntp_short_status", "yes"),
        ("ntp_client_accepts_notes", "yes"),
        ("ntp_escape_crlf", "yes"),
        ("max_hosts", "20"),
    ]
    before = Features(extensions=frozenset({"timestamps"}))
    after = before.with_client_preferences(items)
    assert after == dataclasses.replace(
        before, escape_crlf=True, accepts_notes=True, short_status=True, keep_alive=True
    )
    assert before == Features(extensions=frozenset({"timestamps"}))


def test_a_later_preferences_block_only_changes_the_names_it_mentions() -> None:
    first = Features().with_client_preferences(
        [("ntp_client_accepts_notes", "yes"), ("ntp_short_status", "yes")]
    )
    second = first.with_client_preferences([("plugin_set", "90002")])
    assert second == first
    third = second.with_client_preferences([("ntp_short_status", "no")])
    assert third.accepts_notes
    assert not third.short_status


def test_the_last_duplicate_of_a_report_option_decides() -> None:
    features = Features().with_client_preferences(
        [("ntp_client_accepts_notes", "yes"), ("ntp_client_accepts_notes", "no")]
    )
    assert not features.accepts_notes


def test_features_are_frozen() -> None:
    features = Features()
    with pytest.raises(dataclasses.FrozenInstanceError):
        features.short_status = True  # type: ignore[misc]
