"""What a client may say, and what each client message refuses to hold (spec §1.4, §1.5,
§3.9, §4.2, §11)."""

from __future__ import annotations

import pytest

from ixion.ntp import client_messages as cm
from ixion.ntp.errors import LocalProtocolError
from ixion.ntp.features import Version
from ixion.ntp.messages import Message


def _message_of(call: object) -> str:
    assert isinstance(call, pytest.ExceptionInfo)
    assert isinstance(call.value, LocalProtocolError)
    return call.value.message


# --- login -----------------------------------------------------------------------------------


def test_a_banner_holds_the_version_and_the_extension_words() -> None:
    banner = cm.Banner(version=Version.NTP_1_2, extensions=("timestamps", "dependencies"))
    assert banner.extensions == ("timestamps", "dependencies")
    assert cm.Banner(version=Version.OTP_1_0).extensions == ()


@pytest.mark.parametrize("word", ["", "two words", "a<|>b"])
def test_an_extension_word_is_one_word(word: str) -> None:
    with pytest.raises(LocalProtocolError) as caught:
        cm.Banner(version=Version.NTP_1_2, extensions=(word,))
    assert _message_of(caught) == f"extension word must be one non-empty word: {word!r}"


def test_an_extension_word_cannot_start_with_the_closing_bracket() -> None:
    with pytest.raises(LocalProtocolError) as caught:
        cm.Banner(version=Version.NTP_1_2, extensions=(">timestamps",))
    assert _message_of(caught) == "extension word cannot start with '>': '>timestamps'"


def test_an_unknown_version_line_names_no_version_we_speak() -> None:
    assert cm.UnknownVersion(line="< NTP/9.9 >").line == "< NTP/9.9 >"
    assert cm.UnknownVersion(line="").line == ""


@pytest.mark.parametrize("line", ["< NTP/1.2 >", "< OTP/1.0 >< x >", "< NTP/1.0 >garbage"])
def test_an_unknown_version_cannot_start_with_a_known_banner(line: str) -> None:
    with pytest.raises(LocalProtocolError) as caught:
        cm.UnknownVersion(line=line)
    assert _message_of(caught) == f"not an unknown version: {line!r}"


def test_an_unknown_version_is_one_line() -> None:
    with pytest.raises(LocalProtocolError, match="not an unknown version"):
        cm.UnknownVersion(line="< NTP/9.9 >\n")


def test_an_empty_user_name_is_a_valid_answer() -> None:
    # An empty line gives an empty user name and so a bad login, not an error (spec §1.5).
    assert cm.User(name="").name == ""


@pytest.mark.parametrize("name", ["tester\n", "tester\r"])
def test_a_user_name_cannot_carry_a_line_end(name: str) -> None:
    with pytest.raises(LocalProtocolError) as caught:
        cm.User(name=name)
    assert _message_of(caught) == "user name cannot contain a line end"


@pytest.mark.parametrize("password", ["pass\nword", "testpass\r"])
def test_a_password_cannot_carry_a_line_end(password: str) -> None:
    with pytest.raises(LocalProtocolError) as caught:
        cm.Password(password=password)
    assert _message_of(caught) == "password cannot contain a line end"


def test_a_password_never_shows_in_its_repr() -> None:
    assert repr(cm.Password(password="testpass")) == "Password(password=<hidden>)"


def test_a_password_may_hold_spaces_and_inner_carriage_returns() -> None:
    assert cm.Password(password="a b\rc").password == "a b\rc"


# --- md5-caching loop (spec §4.2) ------------------------------------------------------------


def test_go_on_defaults_to_the_conventional_line() -> None:
    assert cm.GoOn().line == "CLIENT <|> GO ON <|> CLIENT"
    assert cm.GoOn(line="").line == ""


@pytest.mark.parametrize(
    "line",
    [
        "CLIENT <|> COMPLETE_LIST <|> CLIENT",
        "xSEND_PLUGINS_MD5x",
        "CLIENT <|> GO ON <|> PLUGIN_INFO",
        "two\nlines",
    ],
)
def test_go_on_refuses_a_line_that_would_not_end_the_loop(line: str) -> None:
    with pytest.raises(LocalProtocolError) as caught:
        cm.GoOn(line=line)
    assert _message_of(caught) == f"this line would not end the md5 loop: {line!r}"


# --- attachments -----------------------------------------------------------------------------


@pytest.mark.parametrize("cls", [cm.AttachedFile, cm.AttachedPlugin])
def test_attachments_default_to_octet_stream(cls: type[cm.AttachedFile]) -> None:
    msg = cls(name="/home/alice/cert.pem", data=b"\x00\n<|> CLIENT\n")
    assert msg.content_type == "octet/stream"
    assert msg.data == b"\x00\n<|> CLIENT\n"


@pytest.mark.parametrize("cls", [cm.AttachedFile, cm.AttachedPlugin])
def test_an_attachment_name_cannot_carry_a_newline(cls: type[cm.AttachedFile]) -> None:
    with pytest.raises(LocalProtocolError) as caught:
        cls(name="a\nb", data=b"")
    assert _message_of(caught) == "attachment name contains a newline: 'a\\nb'"


@pytest.mark.parametrize("cls", [cm.AttachedFile, cm.AttachedPlugin])
def test_an_attachment_content_type_cannot_hold_a_separator(cls: type[cm.AttachedFile]) -> None:
    with pytest.raises(LocalProtocolError) as caught:
        cls(name="x", data=b"", content_type="a <|> b")
    assert _message_of(caught) == "attachment content type contains the field separator: 'a <|> b'"


# --- starting and stopping scans -------------------------------------------------------------


def test_new_attack_targets_are_one_word() -> None:
    assert cm.NewAttack(targets="127.0.0.1,127.0.0.2").targets == "127.0.0.1,127.0.0.2"
    with pytest.raises(LocalProtocolError) as caught:
        cm.NewAttack(targets="127.0.0.1 127.0.0.2")
    assert _message_of(caught) == (
        "NEW_ATTACK targets must be one non-empty word: '127.0.0.1 127.0.0.2'"
    )


def test_an_empty_new_attack_is_refused() -> None:
    with pytest.raises(LocalProtocolError, match="NEW_ATTACK targets must be one non-empty word"):
        cm.NewAttack(targets="")


@pytest.mark.parametrize("field", ["plugin_set", "max_hosts", "recursive", "port_range", "targets"])
def test_every_field_of_the_ntp_1_0_new_attack_is_one_word(field: str) -> None:
    fields = {
        "plugin_set": "1;39;11",
        "max_hosts": "20",
        "recursive": "no",
        "port_range": "1-1024",
        "targets": "198.18.0.5",
    }
    assert cm.LegacyNewAttack(**fields).plugin_set == "1;39;11"
    fields[field] = ""
    with pytest.raises(LocalProtocolError) as caught:
        cm.LegacyNewAttack(**fields)
    assert _message_of(caught) == f"NEW_ATTACK {field} must be one non-empty word: ''"


def test_long_attack_targets_may_hold_spaces_and_newlines() -> None:
    assert (
        cm.LongAttack(targets="198.18.0.5 198.18.0.6\nhost").targets
        == "198.18.0.5 198.18.0.6\nhost"
    )


def test_stop_attack_names_one_host() -> None:
    assert cm.StopAttack(host="127.0.0.2").host == "127.0.0.2"
    with pytest.raises(LocalProtocolError, match="host must be one non-empty word"):
        cm.StopAttack(host="")


# --- sessions (spec §3.9, §8) ----------------------------------------------------------------


@pytest.mark.parametrize("cls", [cm.SessionDelete, cm.SessionRestore])
def test_session_commands_take_a_date_time_id(cls: type[cm.SessionDelete]) -> None:
    assert cls(session_id="20051106-101530").session_id == "20051106-101530"
    with pytest.raises(LocalProtocolError) as caught:
        cls(session_id="../20051106")
    assert _message_of(caught) == "incorrect session name '../20051106'"


def test_stop_detached_takes_a_pid() -> None:
    assert cm.StopDetached(session_id="3598").session_id == "3598"
    with pytest.raises(LocalProtocolError) as caught:
        cm.StopDetached(session_id="20051106-101530")
    assert _message_of(caught) == "incorrect session name '20051106-101530'"


# --- questions -------------------------------------------------------------------------------


def test_plugin_info_names_one_plugin() -> None:
    assert cm.PluginInfoRequest(plugin_id="1.3.6.1.4.1.25623.1.0.90002").plugin_id == (
        "1.3.6.1.4.1.25623.1.0.90002"
    )
    with pytest.raises(LocalProtocolError, match="plugin id must be one non-empty word"):
        cm.PluginInfoRequest(plugin_id="90 002")


@pytest.mark.parametrize(
    ("cls", "wire_type"),
    [
        (cm.Banner, "BANNER"),
        (cm.UnknownVersion, "UNKNOWN_VERSION"),
        (cm.User, "USER"),
        (cm.Password, "PASSWORD"),
        (cm.CompleteList, "COMPLETE_LIST"),
        (cm.SendPluginsMd5, "SEND_PLUGINS_MD5"),
        (cm.GoOn, "GO_ON"),
        (cm.AttachedFile, "ATTACHED_FILE"),
        (cm.AttachedPlugin, "ATTACHED_PLUGIN"),
        (cm.NewAttack, "NEW_ATTACK"),
        (cm.LegacyNewAttack, "NEW_ATTACK_1.0"),
        (cm.LongAttack, "LONG_ATTACK"),
        (cm.StopAttack, "STOP_ATTACK"),
        (cm.StopWholeTest, "STOP_WHOLE_TEST"),
        (cm.PauseWholeTest, "PAUSE_WHOLE_TEST"),
        (cm.ResumeWholeTest, "RESUME_WHOLE_TEST"),
        (cm.SessionsListRequest, "SESSIONS_LIST"),
        (cm.SessionDelete, "SESSION_DELETE"),
        (cm.SessionRestore, "SESSION_RESTORE"),
        (cm.DetachedSessionsListRequest, "DETACHED_SESSIONS_LIST"),
        (cm.StopDetached, "STOP_DETACHED"),
        (cm.NessusVersionRequest, "NESSUS_VERSION"),
        (cm.OpenvasVersionRequest, "OPENVAS_VERSION"),
        (cm.PluginInfoRequest, "PLUGIN_INFO"),
        (cm.CertificatesRequest, "CERTIFICATES"),
        (cm.HupFather, "HUP_FATHER"),
        (cm.Quit, "QUIT"),
        (cm.ClientBye, "BYE"),
        (cm.Pong, "PONG"),
    ],
)
def test_every_client_message_names_its_wire_verb(cls: type[Message], wire_type: str) -> None:
    assert wire_type == cls.TYPE


def test_client_messages_export_exactly_the_message_classes() -> None:
    assert sorted(cm.__all__) == sorted(
        name
        for name, value in vars(cm).items()
        if isinstance(value, type) and issubclass(value, Message) and value is not Message
    )
