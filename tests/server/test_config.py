"""ixiond.conf: the file format, files on disk, typed settings, per-connection copies and the
PREFERENCES body (spec §3.3, §5, §10.24, §10.34, §10.39)."""

from __future__ import annotations

import dataclasses
import os
import re
import stat
from pathlib import Path

import pytest

from ixion.server.config import (
    MAX_CONFIG_LINE,
    MAX_CONFIG_SIZE,
    ConfigError,
    ConfigWarning,
    ConfTable,
    Entry,
    Locations,
    ServerInfo,
    default_config_text,
    load_config,
    parse_config,
    plugin_timeout,
    read_config,
    resolve_connection_settings,
    resolve_settings,
    server_preferences,
    show_config,
    write_default_config,
)
from ixion.server.options import OPTIONS, Settings
from tests.transcripts import TRANSCRIPTS

LOCATIONS = Locations(config_file=Path("/etc/ixion/ixiond.conf"), state_dir=Path("/srv/ixion"))

#: The keys and values of the nessusd.conf behind the transcripts: those nessusd 2.2.5 wrote,
#: those nessus-mkcert appends, then the test setup's changes (transcripts/README.md).
NESSUSD_CONF = """\
# A comment line, then the keys nessusd 2.2.5 wrote to a new file, in its order.
plugins_folder = /usr/local/lib/nessus/plugins

max_hosts = 30

max_checks = 10

be_nice = no

logfile = /usr/local/var/nessus/logs/nessusd.messages

log_whole_attack = yes

log_plugins_name_at_load = no

dumpfile = /usr/local/var/nessus/logs/nessusd.dump

rules = /usr/local/etc/nessus/nessusd.rules

users = /usr/local/etc/nessus/nessusd.users

cgi_path = /cgi-bin:/scripts

port_range = default

optimize_test = yes

language = english

checks_read_timeout = 5

non_simult_ports = 139, 445

plugins_timeout = 320

safe_checks = yes

auto_enable_dependencies = yes

silent_dependencies = yes

use_mac_addr = no

save_knowledge_base = no
kb_restore = no
only_test_hosts_whose_kb_we_dont_have = no
only_test_hosts_whose_kb_we_have = no
kb_dont_replay_scanners = no
kb_dont_replay_info_gathering = no
kb_dont_replay_attacks = no
kb_dont_replay_denials = no
kb_max_age = 864000

plugin_upload = no

plugin_upload_suffixes = .nasl, .inc

admin_user = root

slice_network_addresses = no

nasl_no_signature_check = yes

cert_file=/usr/local/com/nessus/CA/servercert.pem
key_file=/usr/local/var/nessus/CA/serverkey.pem
ca_file=/usr/local/com/nessus/CA/cacert.pem
# pem_password=
# force_pubkey_auth=no
ssl_version = NONE
"""

SCAN_TRANSCRIPT = "nessus225-client_vs_nessusd225_plain_scan.txt"

SERVER_INFO_225 = ServerInfo(
    nessusd_version="2.2.5",
    libnasl_version="2.2.5-peers",
    libnessus_version="2.2.5",
    thread_manager="fork",
    os="Linux",
    os_version="6.18.44-fc-v669",
)

SERVER_INFO = dataclasses.replace(SERVER_INFO_225, libnasl_version="2.2.5", os_version="6.1")


def server_preferences_in_transcript(name: str) -> list[tuple[str, str]]:
    """The items of the server's first PREFERENCES block in a ``*.txt`` transcript."""
    lines = (TRANSCRIPTS / name).read_text().splitlines()
    start = lines.index("S> SERVER <|> PREFERENCES <|>") + 1
    end = lines.index("S> <|> SERVER", start)
    items = []
    for line in lines[start:end]:
        name, _, value = line.removeprefix("S> ").partition(" <|> ")
        items.append((name, value))
    return items


def table(text: str) -> ConfTable:
    return parse_config(text)


def settings(text: str) -> Settings:
    return resolve_settings(table(text), LOCATIONS).settings


def warnings(text: str) -> list[str]:
    return [str(warning) for warning in resolve_settings(table(text), LOCATIONS).warnings]


def connection(conf: str, client: list[tuple[str, str]], *, user: str = "alice") -> Settings:
    daemon_table = table(conf)
    daemon = resolve_settings(daemon_table, LOCATIONS).settings
    copy = daemon_table.with_client_preferences(client)
    return resolve_connection_settings(copy, daemon, user=user).settings


# --- the file format (§5.1) -----------------------------------------------------------------


def test_nessusd_conf_from_the_transcripts_gives_the_preferences_nessusd_sent() -> None:
    sent = server_preferences(
        table(NESSUSD_CONF),
        plugin_preferences=[("Peers tiny TCP scanner[entry]:Ports to scan :", "1241,8081,9")],
        save_sessions=True,
        detached_sessions=True,
        server_info=SERVER_INFO_225,
    )
    expected = server_preferences_in_transcript("nessus225-client_vs_nessusd225_plain_scan.txt")
    assert list(sent) == expected
    assert sent[:3] == (("max_hosts", "30"), ("max_checks", "10"), ("log_whole_attack", "yes"))
    assert sent[26] == ("ssl_version", "NONE")


def test_nessusd_conf_from_the_transcripts_resolves_without_surprises() -> None:
    resolved = resolve_settings(table(NESSUSD_CONF), LOCATIONS)
    assert resolved.warnings == ()
    assert resolved.settings.plugins_folder == Path("/usr/local/lib/nessus/plugins")
    assert resolved.settings.cert_file == Path("/usr/local/com/nessus/CA/servercert.pem")
    assert resolved.settings.ssl_version == "NONE"
    assert resolved.settings.nasl_no_signature_check is True
    assert resolved.settings.pem_password is None


def test_entries_remember_name_value_and_line() -> None:
    assert table("# comment\nmax_hosts = 30\n\nsafe_checks=yes\n").entries == (
        Entry("max_hosts", "30", 2),
        Entry("safe_checks", "yes", 4),
    )


def test_spaces_around_name_and_value_are_trimmed() -> None:
    assert table("  \t max_hosts   =   30  \r\n").items() == (("max_hosts", "30"),)


def test_comment_lines_start_with_hash_even_after_spaces() -> None:
    assert table("   # max_hosts = 30\n#safe_checks = yes").items() == ()


def test_a_hash_after_the_value_is_part_of_the_value() -> None:
    assert table("language = english # or francais").get("language") == "english # or francais"


def test_lines_without_an_equals_sign_are_ignored() -> None:
    assert table("max_hosts 30\n[section]\nend.\n").items() == ()


def test_a_value_may_contain_equals_signs() -> None:
    assert table("ssl_cipher_list = HIGH:!aNULL=x=y").get("ssl_cipher_list") == "HIGH:!aNULL=x=y"


def test_an_empty_value_is_a_value() -> None:
    parsed = table("admin_user =\n")
    assert "admin_user" in parsed
    assert parsed.get("admin_user") == ""


def test_duplicate_keys_are_all_kept_in_order_and_the_first_wins() -> None:
    parsed = table("max_hosts = 5\nsafe_checks = no\nmax_hosts = 50\n")
    assert parsed.items() == (("max_hosts", "5"), ("safe_checks", "no"), ("max_hosts", "50"))
    assert parsed.get("max_hosts") == "5"
    assert parsed.entry("max_hosts") == Entry("max_hosts", "5", 1)
    assert len(parsed) == 3


def test_an_absent_name_has_no_value() -> None:
    assert table("max_hosts = 5").get("max_checks") is None
    assert table("max_hosts = 5").entry("max_checks") is None
    assert "max_checks" not in table("max_hosts = 5")


def test_a_line_at_the_length_cap_is_accepted() -> None:
    value = "x" * (MAX_CONFIG_LINE - len("language = "))
    assert table(f"language = {value}").get("language") == value


def test_a_line_over_the_length_cap_is_refused_naming_the_line() -> None:
    value = "x" * (MAX_CONFIG_LINE - len("language = ") + 1)
    with pytest.raises(ConfigError, match=r"^line 2: line longer than 4095 characters$"):
        table(f"# long\nlanguage = {value}")


def test_a_line_without_a_name_is_refused_naming_the_line() -> None:
    with pytest.raises(ConfigError, match=r"^/etc/x\.conf:3: no name before '='$"):
        parse_config("a = 1\n\n = 2\n", path=Path("/etc/x.conf"))


def test_a_name_with_a_less_than_sign_is_refused_because_clients_split_there() -> None:
    with pytest.raises(ConfigError, match=r"^line 1: 'a<b': a name may not contain '<'$"):
        table("a<b = 1")


# --- files on disk (§5.1) -------------------------------------------------------------------


def test_read_config_reads_a_file_and_remembers_its_path(tmp_path: Path) -> None:
    path = tmp_path / "ixiond.conf"
    path.write_text("max_hosts = 7\n")
    loaded = read_config(path)
    assert loaded.items() == (("max_hosts", "7"),)
    assert loaded.path == path


def test_a_symlinked_config_file_is_refused(tmp_path: Path) -> None:
    real = tmp_path / "real.conf"
    real.write_text("max_hosts = 7\n")
    link = tmp_path / "ixiond.conf"
    link.symlink_to(real)
    message = f"{link}: is a symbolic link; give the real file's path instead"
    with pytest.raises(ConfigError) as raised:
        load_config(link, LOCATIONS)
    assert str(raised.value) == message


def test_a_dangling_symlink_is_refused_and_not_replaced_by_a_new_file(tmp_path: Path) -> None:
    link = tmp_path / "ixiond.conf"
    link.symlink_to(tmp_path / "nowhere.conf")
    with pytest.raises(ConfigError, match="is a symbolic link"):
        load_config(link, LOCATIONS)
    assert link.is_symlink()
    assert not (tmp_path / "nowhere.conf").exists()


def test_a_directory_is_not_a_config_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as raised:
        read_config(tmp_path)
    assert str(raised.value) == f"{tmp_path}: not a regular file"


def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path: Path) -> None:
    fifo = tmp_path / "ixiond.conf"
    os.mkfifo(fifo)
    with pytest.raises(ConfigError, match=r"not a regular file$"):
        read_config(fifo)


def test_read_config_of_a_missing_file_says_so(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as raised:
        read_config(tmp_path / "absent.conf")
    assert str(raised.value) == f"{tmp_path / 'absent.conf'}: No such file or directory"


def test_a_file_that_is_not_utf8_is_refused_naming_the_line(tmp_path: Path) -> None:
    path = tmp_path / "ixiond.conf"
    path.write_bytes(b"max_hosts = 3\nlanguage = fran\xe7ais\n")
    with pytest.raises(ConfigError) as raised:
        read_config(path)
    assert str(raised.value) == f"{path}:2: not UTF-8 text"


def test_a_file_over_the_size_cap_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "ixiond.conf"
    path.write_bytes(b"#" * MAX_CONFIG_SIZE + b"\n")
    with pytest.raises(ConfigError) as raised:
        read_config(path)
    assert str(raised.value) == f"{path}: larger than 1048576 bytes"


def test_a_bad_line_in_a_file_is_named_with_the_files_path(tmp_path: Path) -> None:
    path = tmp_path / "ixiond.conf"
    path.write_text("max_hosts = 3\n= 4\n")
    with pytest.raises(ConfigError) as raised:
        read_config(path)
    assert str(raised.value) == f"{path}:2: no name before '='"


def test_a_missing_file_is_created_with_the_defaults(tmp_path: Path) -> None:
    path = tmp_path / "etc" / "ixion" / "ixiond.conf"
    loaded = load_config(path, LOCATIONS)
    assert path.read_text() == default_config_text(LOCATIONS)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert loaded.get("state_dir") == "/srv/ixion"
    assert loaded.get("max_hosts") == "30"
    assert os.listdir(path.parent) == ["ixiond.conf"]


def test_an_existing_file_is_read_as_it_is(tmp_path: Path) -> None:
    path = tmp_path / "ixiond.conf"
    path.write_text("max_hosts = 3\n")
    assert load_config(path, LOCATIONS).items() == (("max_hosts", "3"),)
    assert path.read_text() == "max_hosts = 3\n"


def test_write_default_config_replaces_a_file_whole(tmp_path: Path) -> None:
    path = tmp_path / "ixiond.conf"
    path.write_text("max_hosts = 3\n")
    write_default_config(path, LOCATIONS)
    assert path.read_text() == default_config_text(LOCATIONS)


def test_a_default_file_that_cannot_be_created_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "etc").write_text("a file where a directory should be")
    path = tmp_path / "etc" / "ixiond.conf"
    with pytest.raises(ConfigError) as raised:
        write_default_config(path, LOCATIONS)
    assert str(raised.value) == f"{path}: cannot create {tmp_path / 'etc'}: File exists"


def test_a_default_file_that_cannot_be_written_leaves_no_temporary_file(tmp_path: Path) -> None:
    path = tmp_path / "ixiond.conf"
    path.mkdir()  # os.replace cannot put a file over a directory
    with pytest.raises(ConfigError, match=r"ixiond.conf: cannot write: Is a directory$"):
        write_default_config(path, LOCATIONS)
    assert os.listdir(tmp_path) == ["ixiond.conf"]


def test_the_default_file_starts_with_a_header_then_each_key_under_its_help() -> None:
    text = default_config_text(LOCATIONS)
    assert text.startswith(
        "# ixiond.conf: configuration of ixiond, the ixion daemon, in the format of "
        "nessusd.conf.\n#\n"
    )
    assert (
        "# Directory for everything ixiond writes: plugins, users, rules, sessions, logs.\n"
        "state_dir = /srv/ixion\n"
        "\n"
        "# Global plugin directory.\n"
        "# plugins_folder = /srv/ixion/plugins\n"
        "\n"
        "# Hosts scanned in parallel; also the most a client may ask for.\n"
        "max_hosts = 30\n"
    ) in text
    assert "# CA for client certificates.\n# ca_file = /srv/ixion/tls/cacert.pem\n" in text
    assert (
        "# SMTP relay that detached scans mail their results through.\nsmtp_host = localhost\n"
        "\n# Port of the SMTP relay.\nsmtp_port = 25\n"
        "\n# From address of those mails (empty: ixiond@<this host's name>).\nsmtp_sender = \n"
        "\n# Require STARTTLS (with a verified certificate) from the relay.\nsmtp_starttls = no\n"
        "\n# Log in to the relay as this user (empty: no login).\nsmtp_user = \n"
        "\n# Password of smtp_user.\nsmtp_password = \n"
        "\n# Mail with this sendmail-compatible program instead of SMTP (empty: SMTP).\n"
        "sendmail = \n"
    ) in text
    assert text.endswith(
        "# Password checks at once (each one scrypt of 32 MiB on its own thread).\n"
        "login_workers = 2\n"
    )


def test_the_default_file_sets_every_default_in_declaration_order() -> None:
    expected = [o.name for o in OPTIONS if o.default is not None and not o.follows_state_dir]
    assert [name for name, _ in table(default_config_text(LOCATIONS)).items()] == expected


def test_the_default_file_comments_out_the_paths_that_follow_state_dir() -> None:
    commented = re.findall(r"^# ([a-z_]+) = ", default_config_text(LOCATIONS), re.MULTILINE)
    assert commented == [
        "plugins_folder",
        "logfile",
        "dumpfile",
        "rules",
        "users",
        "cert_file",
        "key_file",
        "ca_file",
    ]


def test_changing_state_dir_in_a_new_file_moves_everything_ixiond_writes() -> None:
    text = default_config_text(LOCATIONS).replace("state_dir = /srv/ixion", "state_dir = /data")
    moved = settings(text)
    assert (moved.plugins_folder, moved.rules) == (
        Path("/data/plugins"),
        Path("/data/ixiond.rules"),
    )
    assert (moved.logfile, moved.dumpfile) == ("/data/logs/ixiond.log", "/data/logs/ixiond.dump")
    assert (moved.users, moved.cert_file) == (Path("/data/users"), Path("/data/tls/servercert.pem"))


def test_the_default_file_resolves_to_its_written_values_without_warnings() -> None:
    resolved = resolve_settings(table(default_config_text(LOCATIONS)), LOCATIONS)
    assert resolved.warnings == ()
    assert resolved.settings.max_hosts == 30
    assert resolved.settings.safe_checks is True
    assert resolved.settings.logfile == "/srv/ixion/logs/ixiond.log"
    assert resolved.settings.key_file == Path("/srv/ixion/tls/serverkey.pem")


def test_a_new_file_sends_the_names_nessusd_sent_in_the_same_order() -> None:
    new_file = table(default_config_text(LOCATIONS))
    sent = [name for name, _ in server_preferences(new_file, server_info=SERVER_INFO)]
    nessusd_sent = [name for name, _ in server_preferences_in_transcript(SCAN_TRANSCRIPT)]
    conf_part = nessusd_sent.index("ssl_version") + 1
    assert sent[:conf_part] == nessusd_sent[:conf_part]


def test_show_config_prints_the_path_then_every_loaded_entry() -> None:
    loaded = parse_config("max_hosts = 3\n# no\nmax_hosts=4\nx = a = b\n", path=Path("/e/i.conf"))
    assert show_config(loaded) == (
        "config_file = /e/i.conf\nmax_hosts = 3\nmax_hosts = 4\nx = a = b\n"
    )


def test_show_config_of_text_without_a_file_prints_only_the_entries() -> None:
    assert show_config(table("max_hosts = 3")) == "max_hosts = 3\n"


# --- default locations ----------------------------------------------------------------------


def test_root_keeps_its_config_in_etc_and_its_state_in_var_lib() -> None:
    assert Locations.for_user(uid=0, home=Path("/root"), environ={"XDG_STATE_HOME": "/x"}) == (
        Locations(config_file=Path("/etc/ixion/ixiond.conf"), state_dir=Path("/var/lib/ixion"))
    )


def test_other_users_keep_config_and_state_in_their_home() -> None:
    assert Locations.for_user(uid=1000, home=Path("/home/al")) == Locations(
        config_file=Path("/home/al/.config/ixion/ixiond.conf"),
        state_dir=Path("/home/al/.local/state/ixion"),
    )


def test_other_users_follow_absolute_xdg_directories_only() -> None:
    environ = {"XDG_CONFIG_HOME": "/cfg", "XDG_STATE_HOME": "relative/state"}
    assert Locations.for_user(uid=1000, home=Path("/home/al"), environ=environ) == Locations(
        config_file=Path("/cfg/ixion/ixiond.conf"),
        state_dir=Path("/home/al/.local/state/ixion"),
    )


# --- the daemon's settings (§5.2) -----------------------------------------------------------


def test_an_empty_file_gives_the_absent_values() -> None:
    empty = settings("")
    assert (empty.max_hosts, empty.max_checks, empty.plugins_timeout) == (15, 10, 320)
    assert (empty.safe_checks, empty.log_whole_attack, empty.optimize_test) == (False, True, True)
    assert (empty.port_range, empty.ssl_version) == ("1-15000", "TLSv1")
    assert (empty.admin_user, empty.plugin_upload_suffixes) == (None, ())
    assert empty.kb_max_age == 864000


def test_paths_left_out_follow_the_state_dir() -> None:
    moved = settings("state_dir = /data/ixion\nrules = /etc/ixion/ixiond.rules\n")
    assert moved.state_dir == Path("/data/ixion")
    assert moved.plugins_folder == Path("/data/ixion/plugins")
    assert moved.users == Path("/data/ixion/users")
    assert moved.dumpfile == "/data/ixion/logs/ixiond.dump"
    assert moved.rules == Path("/etc/ixion/ixiond.rules")


def test_an_empty_file_puts_everything_under_the_default_state_dir() -> None:
    assert settings("").state_dir == Path("/srv/ixion")
    assert settings("").plugins_folder == Path("/srv/ixion/plugins")


def test_a_bad_integer_in_the_file_is_fatal_and_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "ixiond.conf"
    path.write_text("max_checks = 4\nmax_hosts = abc\n")
    with pytest.raises(ConfigError) as raised:
        resolve_settings(read_config(path), LOCATIONS)
    assert str(raised.value) == f"{path}:2: max_hosts = abc: not an integer"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("max_hosts = 0", "line 1: max_hosts = 0: must be at least 1"),
        ("max_checks = -3", "line 1: max_checks = -3: must be at least 1"),
        ("plugins_timeout =", "line 1: plugins_timeout = : not an integer"),
        ("kb_max_age = 1e6", "line 1: kb_max_age = 1e6: not an integer"),
        ("state_dir = var/ixion", "line 1: state_dir = var/ixion: not an absolute path"),
        ("cert_file = server.pem", "line 1: cert_file = server.pem: not an absolute path"),
    ],
)
def test_bad_values_for_the_daemons_own_work_are_fatal(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        settings(text)
    assert str(raised.value) == message


def test_only_the_effective_duplicate_is_checked() -> None:
    assert settings("max_hosts = 4\nmax_hosts = abc\n").max_hosts == 4


def test_an_unknown_ssl_version_warns_and_falls_back_to_tlsv1() -> None:
    resolved = resolve_settings(table("ssl_version = TLSv9"), LOCATIONS)
    assert resolved.settings.ssl_version == "TLSv1"
    assert resolved.warnings == (
        ConfigWarning(
            "line 1",
            "ssl_version = TLSv9: not one of NONE, SSLv2, SSLv3, SSLv23, TLSv1, TLSv1.0,"
            " TLSv1.1, TLSv1.2, TLSv1.3; using TLSv1",
            line=1,
        ),
    )


def test_ssl_version_is_compared_without_case() -> None:
    assert settings("ssl_version = none").ssl_version == "NONE"


def test_max_checks_is_capped_at_31_with_a_warning() -> None:
    assert settings("max_checks = 40").max_checks == 31
    assert warnings("max_checks = 40") == ["line 1: max_checks capped at 31"]


def test_kb_max_age_zero_means_an_hour() -> None:
    assert settings("kb_max_age = 0").kb_max_age == 3600


def test_a_flag_neither_yes_nor_no_warns_how_it_reads() -> None:
    assert warnings("safe_checks = Yes\noptimize_test = off\nforce_pubkey_auth = false") == [
        "line 1: safe_checks = Yes reads as no (exactly yes is yes)",
        "line 2: optimize_test = off reads as yes (anything but no is yes)",
        "line 3: force_pubkey_auth = false reads as yes (neither empty nor no is yes)",
    ]
    assert settings("safe_checks = Yes").safe_checks is False


def test_a_duplicate_warns_that_the_first_value_is_used() -> None:
    assert warnings("max_hosts = 5\n\nmax_hosts = 50\n") == [
        "line 3: max_hosts is already set on line 1; the first value is used"
    ]


def test_an_unknown_key_warns_once_and_is_kept() -> None:
    text = "max_host = 5\nmax_host = 6\npeks_user = x\nconfig_file = /x\n"
    assert warnings(text) == [
        "line 1: max_host is not an ixiond key; kept for plugins to read",
        "line 2: max_host is already set on line 1; the first value is used",
    ]
    assert table(text).get("max_host") == "5"


def test_lists_are_typed() -> None:
    parsed = settings("non_simult_ports = 139, Services/www\ncgi_path = /cgi-bin:/cgi-aws")
    assert parsed.non_simult_ports == ("139", "Services/www")
    assert parsed.cgi_path == ("/cgi-bin", "/cgi-aws")


# --- one connection (§5.3) ------------------------------------------------------------------


def test_client_preferences_change_a_copy_and_never_the_daemons_table() -> None:
    daemon = table("max_hosts = 30\nlogfile = /var/log/x\n")
    copy = daemon.with_client_preferences([("max_hosts", "2"), ("plugin_set", "10330;")])
    assert copy.items() == (("max_hosts", "2"), ("logfile", "/var/log/x"), ("plugin_set", "10330;"))
    assert daemon.items() == (("max_hosts", "30"), ("logfile", "/var/log/x"))


def test_client_preferences_that_clients_may_not_set_are_dropped_silently() -> None:
    daemon = table("logfile = /var/log/x\nadmin_user = root\n")
    copy = daemon.with_client_preferences(
        [
            ("logfile", "/tmp/pwned"),
            ("admin_user", "mallory"),
            ("state_dir", "/tmp"),
            ("peks_key", "x"),
            ("plugin_upload", "yes"),
        ]
    )
    assert copy.items() == daemon.items()


def test_a_client_value_replaces_the_effective_duplicate_in_place() -> None:
    daemon = table("max_hosts = 5\nsafe_checks = yes\nmax_hosts = 50\n")
    copy = daemon.with_client_preferences([("max_hosts", "3")])
    assert copy.items() == (("max_hosts", "3"), ("safe_checks", "yes"), ("max_hosts", "50"))
    assert copy.entry("max_hosts") == Entry("max_hosts", "3", None)


def test_a_later_client_line_replaces_an_earlier_one() -> None:
    copy = table("").with_client_preferences([("language", "french"), ("language", "german")])
    assert copy.items() == (("language", "german"),)


def test_client_values_above_the_conf_are_capped_for_ordinary_users() -> None:
    client = [("max_hosts", "100"), ("max_checks", "20")]
    capped = connection("max_hosts = 30\nmax_checks = 10", client)
    assert (capped.max_hosts, capped.max_checks) == (30, 10)


def test_client_values_below_the_conf_are_kept() -> None:
    kept = connection("max_hosts = 30\nmax_checks = 10", [("max_hosts", "2"), ("max_checks", "2")])
    assert (kept.max_hosts, kept.max_checks) == (2, 2)


def test_the_admin_user_may_exceed_the_conf_but_not_31_checks() -> None:
    client = [("max_hosts", "100"), ("max_checks", "64")]
    admin = connection("max_hosts = 30\nmax_checks = 10\nadmin_user = boss", client, user="boss")
    assert (admin.max_hosts, admin.max_checks) == (100, 31)


def test_nobody_is_admin_without_admin_user() -> None:
    capped = connection("max_hosts = 30", [("max_hosts", "100")], user="root")
    assert capped.max_hosts == 30


@pytest.mark.parametrize("value", ["0", "-5", "many"])
def test_a_client_value_that_is_not_positive_gives_the_conf_value(value: str) -> None:
    assert connection("max_hosts = 30", [("max_hosts", value)], user="root").max_hosts == 30


def test_a_bad_client_value_warns_and_keeps_the_daemons_value() -> None:
    daemon_table = table("plugins_timeout = 100")
    daemon = resolve_settings(daemon_table, LOCATIONS).settings
    copy = daemon_table.with_client_preferences(
        [("plugins_timeout", "soon"), ("reverse_lookup", "Y")]
    )
    resolved = resolve_connection_settings(copy, daemon, user="alice")
    assert resolved.settings.plugins_timeout == 100
    assert [str(warning) for warning in resolved.warnings] == [
        "client: plugins_timeout = soon: not an integer; using 100",
        "client: reverse_lookup = Y reads as no (exactly yes is yes)",
    ]


def test_a_connection_inherits_what_the_client_did_not_send() -> None:
    inherited = connection("safe_checks = no\nmax_hosts = 8\nmax_checks = 40", [])
    assert (inherited.safe_checks, inherited.max_hosts, inherited.max_checks) == (False, 8, 31)


def test_a_connection_reads_report_options_with_nessusds_truth_tests() -> None:
    sent = [
        ("ntp_escape_crlf", "no"),
        ("ntp_keep_communication_alive", "no"),
        ("ntp_short_status", "no"),
        ("ntp_client_accepts_notes", "yes"),
        ("ntp_opt_show_end", "yes"),
        ("safe_checks", "yes"),
        ("plugin_set", "90002;90001;"),
    ]
    read = connection("", sent)
    assert (read.ntp_escape_crlf, read.ntp_keep_communication_alive) == (True, True)
    assert (read.ntp_short_status, read.ntp_client_accepts_notes) == (False, True)
    assert (read.ntp_opt_show_end, read.safe_checks) == (True, True)
    assert read.plugin_set == ("90002", "90001")


def test_a_client_kb_max_age_of_zero_means_an_hour() -> None:
    assert connection("", [("kb_max_age", "0")]).kb_max_age == 3600


@pytest.mark.parametrize(
    ("value", "seconds"), [("60", 60), ("-1", -1), ("0", None), ("x", None), (None, None)]
)
def test_plugin_timeout_reads_the_clients_timeout_preference(
    value: str | None, seconds: int | None
) -> None:
    client = [] if value is None else [("timeout.10330", value)]
    assert plugin_timeout(table("").with_client_preferences(client), "10330") == seconds


# --- PREFERENCES from the server (§3.3) -----------------------------------------------------


def test_server_preferences_never_send_paths_secrets_or_admin_user() -> None:
    conf = (
        "max_hosts = 30\nlogfile = /l\nstate_dir = /s\npem_password = hunter2\n"
        "admin_user = root\npeks_username = x\nsmtp_password = y\nmax_threads = 4\n"
    )
    sent = server_preferences(table(conf), server_info=SERVER_INFO)
    assert sent[:2] == (("max_hosts", "30"), ("max_threads", "4"))


def test_server_preferences_send_duplicates_in_file_order() -> None:
    sent = server_preferences(
        table("max_hosts = 5\nlanguage = x\nmax_hosts = 9"), server_info=SERVER_INFO
    )
    assert sent[:3] == (("max_hosts", "5"), ("language", "x"), ("max_hosts", "9"))


def test_server_preferences_end_with_plugin_preferences_then_the_fixed_items() -> None:
    sent = server_preferences(
        table("max_hosts = 5"),
        plugin_preferences=[("Ping the remote host[checkbox]:Do a TCP ping", "no")],
        save_sessions=False,
        detached_sessions=True,
        server_info=SERVER_INFO,
    )
    assert sent == (
        ("max_hosts", "5"),
        ("Ping the remote host[checkbox]:Do a TCP ping", "no"),
        ("ntp_save_sessions", "no"),
        ("ntp_detached_sessions", "yes"),
        ("server_info_nessusd_version", "2.2.5"),
        ("server_info_libnasl_version", "2.2.5"),
        ("server_info_libnessus_version", "2.2.5"),
        ("server_info_thread_manager", "fork"),
        ("server_info_os", "Linux"),
        ("server_info_os_version", "6.1"),
    )


def test_server_preferences_leave_out_sessions_until_they_are_given() -> None:
    sent = server_preferences(table(""), server_info=SERVER_INFO)
    assert [name for name, _ in sent] == [name for name, _ in SERVER_INFO.items()]
    assert not any(name.startswith("ntp_") for name, _ in sent)
