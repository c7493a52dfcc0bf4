"""What a server may say, and what each server message refuses to hold (spec §3, §4, §11)."""

from __future__ import annotations

import pytest

from ixion.ntp import server_messages as sm
from ixion.ntp.errors import LocalProtocolError
from ixion.ntp.features import Version
from ixion.ntp.limits import E002_TEXT_CAP
from ixion.ntp.messages import Message
from ixion.ntp.records import PortRef

# --- what the server offers ------------------------------------------------------------------


def test_the_short_plugins_md5_is_one_word() -> None:
    assert sm.PluginsMd5(md5="ed674be6ce9eccb6ecda8ef78d3ab0ab").md5 == (
        "ed674be6ce9eccb6ecda8ef78d3ab0ab"
    )
    with pytest.raises(LocalProtocolError) as caught:
        sm.PluginsMd5(md5="")
    assert caught.value.message == "md5 must be one non-empty word: ''"


def test_plugins_order_holds_plugin_ids() -> None:
    assert sm.PluginsOrder(ids=("4", "8", "1", "5")).ids == ("4", "8", "1", "5")


def test_a_plugins_order_id_cannot_hold_the_list_separator() -> None:
    with pytest.raises(LocalProtocolError) as caught:
        sm.PluginsOrder(ids=("4;8",))
    assert caught.value.message == "bad plugin id '4;8'"
    with pytest.raises(LocalProtocolError, match="plugin id must be one non-empty word"):
        sm.PluginsOrder(ids=("",))


def test_preferences_errors_are_name_value_pairs() -> None:
    errors = sm.PreferencesErrors(items=(("max_hosts", "abc"),))
    assert errors.items == (("max_hosts", "abc"),)
    assert sm.PreferencesErrors().items == ()


@pytest.mark.parametrize(
    ("item", "complaint"),
    [
        (("a <|> b", "1"), "preference error name contains the field separator: 'a <|> b'"),
        (("max_hosts", "a\nb"), "preference error value contains a newline: 'a\\nb'"),
    ],
)
def test_a_preferences_error_cannot_hold_separators(item: tuple[str, str], complaint: str) -> None:
    with pytest.raises(LocalProtocolError) as caught:
        sm.PreferencesErrors(items=(item,))
    assert caught.value.message == complaint


@pytest.mark.parametrize("cls", [sm.NessusVersion, sm.OpenvasVersion])
def test_a_server_version_is_one_word(cls: type[sm.NessusVersion]) -> None:
    assert cls(version="2.2.5").version == "2.2.5"
    with pytest.raises(LocalProtocolError) as caught:
        cls(version="2.2.5 beta")
    assert caught.value.message == "version must be one non-empty word: '2.2.5 beta'"


# --- during a scan ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "names_host"),
    [
        (sm.TimeKind.SCAN_START, False),
        (sm.TimeKind.SCAN_END, False),
        (sm.TimeKind.HOST_START, True),
        (sm.TimeKind.HOST_END, True),
        (sm.TimeKind.HOST_INTERRUPTED, True),
    ],
)
def test_only_host_time_kinds_name_a_host(kind: sm.TimeKind, names_host: bool) -> None:
    assert kind.names_host is names_host


def test_a_scan_time_names_no_host_and_a_host_time_names_one() -> None:
    start = sm.Time(kind=sm.TimeKind.SCAN_START, when="Sun Nov  6 10:15:30 2005")
    assert start.host is None
    host = sm.Time(kind=sm.TimeKind.HOST_START, host="198.18.0.5", when="Sun Nov  6 10:15:31 2005")
    assert host.host == "198.18.0.5"


def test_a_scan_time_with_a_host_is_refused() -> None:
    with pytest.raises(LocalProtocolError) as caught:
        sm.Time(kind=sm.TimeKind.SCAN_END, host="198.18.0.5", when="Sun Nov  6 10:20:03 2005")
    assert caught.value.message == "TIME SCAN_END host mismatch: '198.18.0.5'"


def test_a_host_time_without_a_host_is_refused() -> None:
    with pytest.raises(LocalProtocolError) as caught:
        sm.Time(kind=sm.TimeKind.HOST_END, when="Sun Nov  6 10:20:02 2005")
    assert caught.value.message == "TIME HOST_END host mismatch: None"


def test_a_time_needs_a_time_string() -> None:
    with pytest.raises(LocalProtocolError) as caught:
        sm.Time(kind=sm.TimeKind.SCAN_START, when="")
    assert caught.value.message == "empty time"
    with pytest.raises(LocalProtocolError, match="time contains a newline"):
        sm.Time(kind=sm.TimeKind.SCAN_START, when="Sun Nov  6\n")


def test_a_time_host_is_one_word() -> None:
    with pytest.raises(LocalProtocolError, match="host must be one non-empty word: 'a b'"):
        sm.Time(kind=sm.TimeKind.HOST_START, host="a b", when="now")


def test_a_status_may_count_past_its_total() -> None:
    # nessusd counts that way: "attack <|> 3/2" in the transcripts (spec §3.4).
    status = sm.Status(host="127.0.0.1", action=sm.StatusAction.ATTACK, current=3, total=2)
    assert (status.current, status.total) == (3, 2)


@pytest.mark.parametrize(("current", "total"), [(-1, 2), (0, -1), (10**12, 1), (1, 10**12)])
def test_progress_counts_must_fit_in_twelve_digits(current: int, total: int) -> None:
    with pytest.raises(LocalProtocolError) as caught:
        sm.Status(host="h", action=sm.StatusAction.PORTSCAN, current=current, total=total)
    assert caught.value.message == f"bad progress {current}/{total}"
    with pytest.raises(LocalProtocolError) as caught:
        sm.Stat(host="h", current=current, total=total)
    assert caught.value.message == f"bad progress {current}/{total}"


def test_the_largest_progress_counts_are_accepted() -> None:
    # A reader takes at most twelve digits (records.parse_int).
    stat = sm.Stat(host="h", current=10**12 - 1, total=10**12 - 1)
    assert stat.current == 999_999_999_999


def test_status_actions_are_the_two_long_form_words() -> None:
    assert [action.value for action in sm.StatusAction] == ["portscan", "attack"]


@pytest.mark.parametrize("host", ["", "two words"])
def test_progress_names_one_host(host: str) -> None:
    with pytest.raises(LocalProtocolError, match="host must be one non-empty word"):
        sm.Status(host=host, action=sm.StatusAction.ATTACK, current=1, total=2)


def test_a_port_names_one_host() -> None:
    port = sm.Port(host="127.0.0.1", port=PortRef(service="blackice-icecap", number=8081))
    assert port.port.number == 8081
    with pytest.raises(LocalProtocolError, match="host must be one non-empty word"):
        sm.Port(host="", port=PortRef.general())


def test_report_kinds_include_otp_log_and_debug() -> None:
    assert [kind.value for kind in sm.ReportKind] == ["HOLE", "INFO", "NOTE", "LOG", "DEBUG"]


def test_a_report_has_no_plugin_id_unless_given() -> None:
    report = sm.Report(kind=sm.ReportKind.NOTE, host="h", port=PortRef.general(), text="x\n")
    assert report.plugin_id is None


def test_a_report_plugin_id_is_one_word() -> None:
    with pytest.raises(LocalProtocolError, match="plugin id must be one non-empty word: ''"):
        sm.Report(kind=sm.ReportKind.HOLE, host="h", port=PortRef.general(), text="", plugin_id="")


def test_a_report_host_is_one_word() -> None:
    with pytest.raises(LocalProtocolError, match="host must be one non-empty word: 'a b'"):
        sm.Report(kind=sm.ReportKind.HOLE, host="a b", port=PortRef.general(), text="")


def test_a_report_text_may_span_lines() -> None:
    text = "Test hole on 127.0.0.1\nRisk factor : High\n"
    report = sm.Report(kind=sm.ReportKind.HOLE, host="h", port=PortRef.general(), text=text)
    assert report.text == text


def test_finished_names_one_host() -> None:
    assert sm.Finished(host="127.0.0.1").host == "127.0.0.1"
    with pytest.raises(LocalProtocolError, match="host must be one non-empty word"):
        sm.Finished(host="")


def test_an_error_is_one_field() -> None:
    assert sm.Error(text="E001 - Invalid port range").text == "E001 - Invalid port range"
    with pytest.raises(LocalProtocolError, match="error text contains a newline"):
        sm.Error(text="E001\n")


def test_an_e002_text_must_be_sent_as_hosts_not_allowed() -> None:
    with pytest.raises(LocalProtocolError) as caught:
        sm.Error(text=sm.HostsNotAllowed.PREFIX + ";127.0.0.1;")
    assert caught.value.message == "use HostsNotAllowed for E002"


def test_the_e002_prefix_is_nessusd_s_sentence() -> None:
    assert sm.HostsNotAllowed.PREFIX == (
        "E002 - These hosts could not be tested because you are not allowed to do so :"
    )


def test_hosts_not_allowed_lists_hosts() -> None:
    refused = sm.HostsNotAllowed(hosts=("127.0.0.1", "127.0.0.2"))
    assert refused.hosts == ("127.0.0.1", "127.0.0.2")
    assert not refused.truncated
    assert sm.HostsNotAllowed(hosts=()).hosts == ()


@pytest.mark.parametrize("host", ["a;b", "..."])
def test_a_refused_host_cannot_look_like_the_list_syntax(host: str) -> None:
    with pytest.raises(LocalProtocolError) as caught:
        sm.HostsNotAllowed(hosts=(host,))
    assert caught.value.message == f"bad host {host!r}"


def test_a_refused_host_is_one_word() -> None:
    with pytest.raises(LocalProtocolError, match="host must be one non-empty word"):
        sm.HostsNotAllowed(hosts=("",))


def _hosts(count: int) -> tuple[str, ...]:
    return tuple(f"h{i:04d}" for i in range(count))  # six bytes each with its ";"


def test_hosts_not_allowed_keeps_every_host_that_fits_in_4000_bytes() -> None:
    # 77 bytes of prefix, 653 * 6 bytes of hosts and the final ";": 3996 bytes.
    assert E002_TEXT_CAP == 4000
    capped = sm.HostsNotAllowed.capped(_hosts(653))
    assert capped == sm.HostsNotAllowed(hosts=_hosts(653))
    assert not capped.truncated


def test_hosts_not_allowed_cuts_the_list_near_4000_bytes() -> None:
    capped = sm.HostsNotAllowed.capped(_hosts(654))
    assert capped == sm.HostsNotAllowed(hosts=_hosts(653), truncated=True)
    assert sm.HostsNotAllowed.capped(_hosts(5000)) == capped


def test_a_short_list_is_not_capped() -> None:
    assert sm.HostsNotAllowed.capped(("127.0.0.1",)) == sm.HostsNotAllowed(hosts=("127.0.0.1",))
    assert sm.HostsNotAllowed.capped(()) == sm.HostsNotAllowed(hosts=())


def test_a_single_huge_host_leaves_an_empty_truncated_list() -> None:
    assert sm.HostsNotAllowed.capped(("x" * 4000,)) == sm.HostsNotAllowed(hosts=(), truncated=True)


# --- names -----------------------------------------------------------------------------------


def test_a_version_reply_names_its_version() -> None:
    assert sm.VersionReply(version=Version.OTP_1_0).version is Version.OTP_1_0


@pytest.mark.parametrize(
    ("cls", "wire_type"),
    [
        (sm.VersionReply, "VERSION"),
        (sm.UserPrompt, "USER_PROMPT"),
        (sm.PasswordPrompt, "PASSWORD_PROMPT"),
        (sm.BadLogin, "BAD_LOGIN"),
        (sm.PluginList, "PLUGIN_LIST"),
        (sm.PluginInfoReply, "PLUGIN_INFO"),
        (sm.PluginsDependencies, "PLUGINS_DEPENDENCIES"),
        (sm.PluginsMd5, "PLUGINS_MD5"),
        (sm.PluginsMd5List, "PLUGINS_MD5_LIST"),
        (sm.PluginsOrder, "PLUGINS_ORDER"),
        (sm.PreferencesErrors, "PREFERENCES_ERRORS"),
        (sm.FileAccepted, "FILE_ACCEPTED"),
        (sm.PluginAccepted, "PLUGIN_ACCEPTED"),
        (sm.PluginDenied, "PLUGIN_DENIED"),
        (sm.SessionsList, "SESSIONS_LIST"),
        (sm.DetachedSessionsList, "DETACHED_SESSIONS_LIST"),
        (sm.NessusVersion, "NESSUS_VERSION"),
        (sm.OpenvasVersion, "OPENVAS_VERSION"),
        (sm.Certificates, "CERTIFICATES"),
        (sm.Time, "TIME"),
        (sm.Status, "STATUS"),
        (sm.Stat, "STAT"),
        (sm.Port, "PORT"),
        (sm.Report, "REPORT"),
        (sm.Finished, "FINISHED"),
        (sm.Bye, "BYE"),
        (sm.Error, "ERROR"),
        (sm.HostsNotAllowed, "E002"),
    ],
)
def test_every_server_message_names_its_wire_verb(cls: type[Message], wire_type: str) -> None:
    assert wire_type == cls.TYPE


def test_empty_lists_are_the_defaults() -> None:
    assert sm.PluginList().plugins == ()
    assert sm.PluginsDependencies().entries == ()
    assert sm.PluginsMd5List().entries == ()
    assert sm.PluginsOrder().ids == ()
    assert sm.SessionsList().sessions == ()
    assert sm.DetachedSessionsList().sessions == ()
    assert sm.Certificates().certificates == ()
