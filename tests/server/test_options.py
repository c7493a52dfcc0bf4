"""The declaration of every conf key: names, defaults, visibility, truth tests (spec §3.3,
§3.10, §5.2, §5.3, §10.6, §10.39)."""

from __future__ import annotations

import dataclasses
import typing
from pathlib import Path

import pytest

from ixion.ntp.features import Features
from ixion.server.limits import Limits
from ixion.server.option_types import Kind, OnBadValue, Truth, parse_integer
from ixion.server.options import MAX_CHECKS_CAP, OPTIONS, OPTIONS_BY_NAME, Settings
from ixion.server.visibility import is_client_settable, is_sent_to_clients

STATE_DIR = Path("/srv/ixion")

#: The table of spec §5.2, in its order.
SPEC_TABLE_KEYS = (
    "plugins_folder",
    "max_hosts",
    "max_checks",
    "be_nice",
    "logfile",
    "log_whole_attack",
    "log_plugins_name_at_load",
    "dumpfile",
    "rules",
    "users",
    "cgi_path",
    "port_range",
    "optimize_test",
    "language",
    "checks_read_timeout",
    "non_simult_ports",
    "plugins_timeout",
    "safe_checks",
    "auto_enable_dependencies",
    "silent_dependencies",
    "use_mac_addr",
    "save_knowledge_base",
    "kb_restore",
    "only_test_hosts_whose_kb_we_dont_have",
    "only_test_hosts_whose_kb_we_have",
    "kb_dont_replay_scanners",
    "kb_dont_replay_info_gathering",
    "kb_dont_replay_attacks",
    "kb_dont_replay_denials",
    "kb_max_age",
    "plugin_upload",
    "plugin_upload_suffixes",
    "admin_user",
    "slice_network_addresses",
    "nasl_no_signature_check",
    "cert_file",
    "key_file",
    "ca_file",
    "pem_password",
    "force_pubkey_auth",
    "ssl_version",
    "ssl_cipher_list",
)

#: Spec §5.2 after the table, and the ntp_* words of §3.10.
#: Ours: the relay detached scans mail their results through (spec §8.4), after TLS.
MAIL_KEYS = (
    "smtp_host",
    "smtp_port",
    "smtp_sender",
    "smtp_starttls",
    "smtp_user",
    "smtp_password",
    "sendmail",
)

#: Ours (issue 15): ixion.server.limits.
LIMIT_KEYS = tuple(field.name for field in dataclasses.fields(Limits))

CLIENT_KEYS = (
    "save_session",
    "save_empty_sessions",
    "detached_scan",
    "continuous_scan",
    "delay_between_scan_loops",
    "detached_scan_email_address",
    "host_expansion",
    "reverse_lookup",
    "unscanned_closed",
    "optimization_level",
    "diff_scan",
    "report_killed_plugins",
    "plugin_set",
    "min_qod",
    "default_credentials",
    "ntp_opt_show_end",
    "ntp_keep_communication_alive",
    "ntp_short_status",
    "ntp_client_accepts_notes",
    "ntp_escape_crlf",
)

#: Spec §3.3: what nessusd never sent.
NESSUSD_NEVER_SENT = (
    "logfile",
    "config_file",
    "plugins_folder",
    "dumpfile",
    "users",
    "rules",
    "peks_username",
    "negot_timeout",
    "cookie_logpipe",
    "force_pubkey_auth",
    "log_while_attack",
    "ca_file",
    "key_file",
    "cert_file",
    "be_nice",
    "log_plugins_name_at_load",
    "admin_user",
    "nasl_no_signature_check",
)

#: Spec §5.3: what nessusd ignored from clients.
NESSUSD_CLIENT_IGNORED = (
    "logfile",
    "config_file",
    "plugins_folder",
    "dumpfile",
    "users",
    "rules",
    "peks_username",
    "negot_timeout",
    "cookie_logpipe",
    "force_pubkey_auth",
    "log_while_attack",
    "ca_file",
    "key_file",
    "cert_file",
    "be_nice",
    "log_plugins_name_at_load",
    "plugin_upload",
    "plugin_upload_suffixes",
    "admin_user",
    "nasl_no_signature_check",
)


def test_options_are_state_dir_then_the_spec_table_then_the_client_keys() -> None:
    names = [option.name for option in OPTIONS]
    assert names[0] == "state_dir"
    assert set(names) == {"state_dir", *SPEC_TABLE_KEYS, *MAIL_KEYS, *LIMIT_KEYS, *CLIENT_KEYS}
    assert len(names) == 1 + len(SPEC_TABLE_KEYS) + len(MAIL_KEYS) + len(LIMIT_KEYS) + len(
        CLIENT_KEYS
    )


def test_options_by_name_finds_every_option() -> None:
    assert all(OPTIONS_BY_NAME[option.name] is option for option in OPTIONS)


def test_keys_written_to_a_new_file_follow_nessusd_order() -> None:
    written = [option.name for option in OPTIONS if option.default is not None]
    assert written == [
        "state_dir",
        *SPEC_TABLE_KEYS[:35],  # plugins_folder .. nasl_no_signature_check, as nessusd wrote
        "ssl_version",
        "cert_file",
        "key_file",
        "ca_file",
        *MAIL_KEYS,
        *LIMIT_KEYS,
    ]


@pytest.mark.parametrize(
    ("name", "default", "if_absent"),
    [
        ("max_hosts", "30", "15"),
        ("max_checks", "10", "10"),
        ("log_whole_attack", "yes", "yes"),
        ("port_range", "default", "1-15000"),
        ("optimize_test", "yes", "yes"),
        ("non_simult_ports", "139, 445", "139, 445"),
        ("safe_checks", "yes", "no"),
        ("auto_enable_dependencies", "yes", "no"),
        ("silent_dependencies", "no", "no"),
        ("kb_max_age", "864000", "864000"),
        ("plugin_upload_suffixes", ".nasl, .inc", None),
        ("admin_user", "root", None),
        ("logfile", "{state_dir}/logs/ixiond.log", "{state_dir}/logs/ixiond.log"),
        ("cert_file", "{state_dir}/tls/servercert.pem", "{state_dir}/tls/servercert.pem"),
        ("plugins_folder", "{state_dir}/plugins", "{state_dir}/plugins"),
        ("ssl_version", "TLSv1", "TLSv1"),
        ("pem_password", None, None),
        ("ntp_escape_crlf", None, None),
        ("min_qod", None, "70"),
    ],
)
def test_option_has_the_default_written_and_the_value_when_absent(
    name: str, default: str | None, if_absent: str | None
) -> None:
    option = OPTIONS_BY_NAME[name]
    assert (option.default, option.if_absent) == (default, if_absent)


def test_every_default_and_absent_value_parses() -> None:
    for option in OPTIONS:
        for text in (option.default, option.if_absent):
            option.parse(None if text is None else text.replace("{state_dir}", "/s"), STATE_DIR)


_TYPES = {
    Kind.BOOL: bool,
    Kind.INT: int,
    Kind.STR: str,
    Kind.CHOICE: str,
    Kind.PATH: Path,
    Kind.LIST: tuple[str, ...],
}


def test_each_settings_annotation_is_the_type_its_kind_parses_to() -> None:
    hints = typing.get_type_hints(Settings)
    for option in OPTIONS:
        expected: object = _TYPES[option.kind]
        may_be_none = option.kind in (Kind.STR, Kind.PATH) and option.if_absent is None
        if may_be_none:
            expected = expected | None  # type: ignore[operator]
        assert hints[option.name] == expected, option.name


@pytest.mark.parametrize("name", NESSUSD_NEVER_SENT)
def test_what_nessusd_never_sent_is_never_sent(name: str) -> None:
    assert not is_sent_to_clients(name)


@pytest.mark.parametrize(
    "name", ["pem_password", "state_dir", "smtp_password", "API_Secret", "ssh_passphrase"]
)
def test_secrets_and_our_state_dir_are_never_sent(name: str) -> None:
    assert not is_sent_to_clients(name)


@pytest.mark.parametrize(
    "name",
    [
        "max_hosts",
        "ssl_version",
        "ssl_cipher_list",
        "plugin_upload",
        "plugin_upload_suffixes",
        "max_threads",
        "Ping the remote host[checkbox]:Do a TCP ping",
    ],
)
def test_other_names_are_sent_as_nessusd_sent_them(name: str) -> None:
    assert is_sent_to_clients(name)


@pytest.mark.parametrize("name", NESSUSD_CLIENT_IGNORED)
def test_what_nessusd_ignored_from_clients_is_ignored(name: str) -> None:
    assert not is_client_settable(name)


@pytest.mark.parametrize(
    "name", ["state_dir", "ssl_version", "ssl_cipher_list", "pem_password", *MAIL_KEYS]
)
def test_clients_cannot_set_where_ixiond_writes_nor_tls_settings_nor_the_mail_relay(
    name: str,
) -> None:
    assert not is_client_settable(name)


@pytest.mark.parametrize(
    "name",
    [
        "max_hosts",
        "safe_checks",
        "plugin_set",
        "ntp_escape_crlf",
        "timeout.10330",
        "some_plugin_setting",
        "Ping the remote host[checkbox]:Do a TCP ping",
    ],
)
def test_clients_may_set_scan_settings_and_unknown_names(name: str) -> None:
    assert is_client_settable(name)


@pytest.mark.parametrize(
    ("truth", "value", "on"),
    [
        (Truth.YES, "yes", True),
        (Truth.YES, "Yes", False),
        (Truth.YES, "no", False),
        (Truth.YES, None, False),
        (Truth.NOT_NO, "no", False),
        (Truth.NOT_NO, "No", True),
        (Truth.NOT_NO, "", True),
        (Truth.SET, "", False),
        (Truth.SET, "no", False),
        (Truth.SET, "false", True),
        (Truth.PRESENT, "no", True),
        (Truth.PRESENT, "", True),
        (Truth.PRESENT, None, False),
    ],
)
def test_truth_tests_are_nessusds(truth: Truth, value: str | None, on: bool) -> None:
    assert truth.holds(value) is on


@pytest.mark.parametrize(
    ("truth", "value", "ambiguous"),
    [
        (Truth.YES, "yes", False),
        (Truth.YES, "no", False),
        (Truth.YES, "Yes", True),
        (Truth.YES, "", True),
        (Truth.SET, "", False),
        (Truth.SET, "true", True),
        (Truth.PRESENT, "whatever", False),
    ],
)
def test_values_other_than_yes_and_no_are_ambiguous(
    truth: Truth, value: str, ambiguous: bool
) -> None:
    assert truth.is_ambiguous(value) is ambiguous


@pytest.mark.parametrize(
    ("name", "truth"),
    [
        ("safe_checks", Truth.YES),
        ("optimize_test", Truth.NOT_NO),
        ("force_pubkey_auth", Truth.SET),
        ("ntp_opt_show_end", Truth.YES),
        ("ntp_keep_communication_alive", Truth.PRESENT),
        ("ntp_escape_crlf", Truth.PRESENT),
    ],
)
def test_each_flag_uses_its_own_truth_test(name: str, truth: Truth) -> None:
    assert OPTIONS_BY_NAME[name].truth is truth


@pytest.mark.parametrize("value", ["yes", "no", "", "YES"])
def test_report_option_flags_read_like_the_protocol_features(value: str) -> None:
    features = Features().with_client_preferences(
        (name, value)
        for name in (
            "ntp_escape_crlf",
            "ntp_keep_communication_alive",
            "ntp_short_status",
            "ntp_client_accepts_notes",
        )
    )
    read = {
        name: OPTIONS_BY_NAME[name].parse(value, STATE_DIR)
        for name in (
            "ntp_escape_crlf",
            "ntp_keep_communication_alive",
            "ntp_short_status",
            "ntp_client_accepts_notes",
        )
    }
    assert read == {
        "ntp_escape_crlf": features.escape_crlf,
        "ntp_keep_communication_alive": features.keep_alive,
        "ntp_short_status": features.short_status,
        "ntp_client_accepts_notes": features.accepts_notes,
    }


def test_an_absent_key_takes_its_absent_value() -> None:
    assert OPTIONS_BY_NAME["max_hosts"].parse(None, STATE_DIR) == 15
    assert OPTIONS_BY_NAME["log_whole_attack"].parse(None, STATE_DIR) is True
    assert OPTIONS_BY_NAME["admin_user"].parse(None, STATE_DIR) is None
    assert OPTIONS_BY_NAME["plugin_upload_suffixes"].parse(None, STATE_DIR) == ()
    assert OPTIONS_BY_NAME["rules"].parse(None, STATE_DIR) == Path("/srv/ixion/ixiond.rules")


def test_an_absent_flag_read_by_presence_is_off() -> None:
    assert OPTIONS_BY_NAME["ntp_escape_crlf"].parse(None, STATE_DIR) is False


def test_paths_under_state_dir_follow_it_and_state_dir_itself_does_not() -> None:
    following = {option.name for option in OPTIONS if option.follows_state_dir}
    assert following == {
        "plugins_folder",
        "logfile",
        "dumpfile",
        "rules",
        "users",
        "cert_file",
        "key_file",
        "ca_file",
    }


def test_a_new_file_writes_paths_under_the_state_dir() -> None:
    assert OPTIONS_BY_NAME["users"].default_text(STATE_DIR) == "/srv/ixion/users"
    assert OPTIONS_BY_NAME["max_hosts"].default_text(STATE_DIR) == "30"
    assert OPTIONS_BY_NAME["pem_password"].default_text(STATE_DIR) is None


@pytest.mark.parametrize(("text", "value"), [("0", 0), ("-1", -1), ("864000", 864000), ("007", 7)])
def test_parse_integer_reads_decimal_integers(text: str, value: int) -> None:
    assert parse_integer(text) == value


@pytest.mark.parametrize("text", ["", "abc", "1_000", "1.5", "+3", " 3", "\u0663", "1234567890123"])
def test_parse_integer_refuses_anything_else(text: str) -> None:
    with pytest.raises(ValueError, match=r"^not an integer$"):
        parse_integer(text)


def test_an_integer_below_its_minimum_is_refused() -> None:
    with pytest.raises(ValueError, match=r"^must be at least 1$"):
        OPTIONS_BY_NAME["max_hosts"].parse("0", STATE_DIR)


def test_a_choice_is_matched_without_case_and_given_its_own_spelling() -> None:
    assert OPTIONS_BY_NAME["ssl_version"].parse("sslv23", STATE_DIR) == "SSLv23"


def test_an_unknown_choice_names_the_choices() -> None:
    with pytest.raises(ValueError, match=r"^not one of NONE, SSLv2, SSLv3, SSLv23, TLSv1, "):
        OPTIONS_BY_NAME["ssl_version"].parse("TLSv9", STATE_DIR)


def test_only_ssl_version_falls_back_on_a_bad_value_as_in_nessusd() -> None:
    lenient = {option.name for option in OPTIONS if option.on_bad_value is OnBadValue.WARN}
    assert lenient == {"ssl_version"}


def test_a_path_must_be_absolute() -> None:
    option = OPTIONS_BY_NAME["plugins_folder"]
    assert option.parse("/opt/plugins", STATE_DIR) == Path("/opt/plugins")
    with pytest.raises(ValueError, match=r"^not an absolute path$"):
        option.parse("plugins", STATE_DIR)


@pytest.mark.parametrize(
    ("name", "text", "items"),
    [
        ("non_simult_ports", "139, 445 ,Services/www", ("139", "445", "Services/www")),
        ("plugin_upload_suffixes", ".nasl, .inc", (".nasl", ".inc")),
        ("cgi_path", "/cgi-bin:/scripts", ("/cgi-bin", "/scripts")),
        ("plugin_set", "10330;10335;11111;", ("10330", "10335", "11111")),
        ("plugin_set", ";10330", ("10330",)),
        ("plugin_set", "", ()),
    ],
)
def test_a_list_is_split_at_its_separator_and_trimmed(
    name: str, text: str, items: tuple[str, ...]
) -> None:
    assert OPTIONS_BY_NAME[name].parse(text, STATE_DIR) == items


def test_max_checks_hard_cap_is_31() -> None:
    assert MAX_CHECKS_CAP == 31


def test_every_option_has_a_one_line_help() -> None:
    for option in OPTIONS:
        assert option.help, option.name
        assert "\n" not in option.help
        assert len(f"# {option.help}") <= 100, option.name


def test_the_limits_read_from_a_default_configuration_are_the_limits_defaults(
    tmp_path: Path,
) -> None:
    from ixion.server.config import resolve_settings
    from ixion.server.conftable import ConfTable
    from ixion.server.locations import Locations

    locations = Locations(state_dir=tmp_path, config_file=tmp_path / "ixiond.conf")
    settings = resolve_settings(ConfTable(), locations).settings
    assert Limits.from_settings(settings) == Limits()
    for name in LIMIT_KEYS:
        assert not is_sent_to_clients(name)
        assert not is_client_settable(name)
