"""The ``.nessusrc`` file (spec §9.2) and the PREFERENCES it makes the client send (§9.1)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ixion.client.preferences import (
    CLIENT_FLAGS,
    PluginChoices,
    adopt_server_preferences,
    files_to_upload,
    plugin_enabled,
    plugin_set,
    preferences_to_send,
)
from ixion.client.preferences import plugin_set as plugin_set_value
from ixion.client.rcfile import (
    DEFAULT_RCFILE,
    PLUGIN_SET,
    PLUGINS_PREFS,
    SCANNER_SET,
    SERVER_PREFS,
    RcFile,
    RcFileError,
    RcSection,
    RcValue,
    format_rcfile,
    parse_rcfile,
)
from ixion.ntp import (
    NEED_DATA,
    Category,
    ClientStreamDecoder,
    ConnectionClosed,
    Features,
    Message,
    PluginList,
    PluginRecord,
    Preferences,
    ServerStreamDecoder,
)
from ixion.ntp.decoder import StreamDecoder
from ixion.plugin_api.selection import SelectionError
from tests.transcripts import TRANSCRIPTS, load

#: The example of spec §9.2.
SPEC_EXAMPLE = """\
begin(SERVER_PREFS)
 max_hosts = 20
 max_checks = 4
end(SERVER_PREFS)
begin(PLUGINS_PREFS)
 Ping the remote host[checkbox]:Do a TCP ping = no
end(PLUGINS_PREFS)
begin(PLUGIN_SET)
 10330 = yes
end(PLUGIN_SET)
begin(SCANNER_SET)
 10335 = yes
 10180 = yes
end(SCANNER_SET)
"""

SPEC_RCFILE = RcFile(
    sections=(
        RcSection(name=SERVER_PREFS, items=(("max_hosts", "20"), ("max_checks", "4"))),
        RcSection(
            name=PLUGINS_PREFS, items=(("Ping the remote host[checkbox]:Do a TCP ping", False),)
        ),
        RcSection(name=PLUGIN_SET, items=(("10330", True),)),
        RcSection(name=SCANNER_SET, items=(("10335", True), ("10180", True))),
    )
)


def _plugin(plugin_id: str, category: Category, name: str = "", family: str = "") -> PluginRecord:
    return PluginRecord(
        id=plugin_id,
        name=name or f"plugin {plugin_id}",
        category=category,
        copyright="",
        description="",
        summary="",
        family=family,
    )


# --- reading ---------------------------------------------------------------------------------


def test_the_spec_example_reads_as_four_sections() -> None:
    assert parse_rcfile(SPEC_EXAMPLE) == SPEC_RCFILE


def test_yes_and_no_are_booleans_and_everything_else_is_text() -> None:
    rc = parse_rcfile("a = yes\nb = no\nc = Yes\nd = 12\ne = yes please\n")
    assert rc.options == (("a", True), ("b", False), ("c", "Yes"), ("d", "12"), ("e", "yes please"))


def test_order_and_duplicates_are_kept_and_the_first_duplicate_counts() -> None:
    rc = parse_rcfile("b = 1\na = 2\nb = 3\n")
    assert rc.options == (("b", "1"), ("a", "2"), ("b", "3"))
    assert rc.get("b") == "1"
    assert rc.get("missing") is None


def test_blanks_around_the_equals_sign_belong_to_neither_side() -> None:
    rc = parse_rcfile("  cgi_path=/cgi-bin  \n\tkey \t=\t value with = sign\nempty =\n")
    assert rc.options == (
        ("cgi_path", "/cgi-bin  "),
        ("key", "value with = sign"),
        ("empty", ""),
    )


def test_comments_blank_lines_and_crlf_are_skipped() -> None:
    text = "# written by hand\r\n\r\n  # indented comment\r\nmax = 3\r\nbegin(X)\r\nend(X)\r\n"
    assert parse_rcfile(text) == RcFile(options=(("max", "3"),), sections=(RcSection(name="X"),))


def test_a_bare_end_closes_a_section_and_unknown_sections_are_kept() -> None:
    rc = parse_rcfile("begin(SERVER_INFO)\n server_info_os = Linux\nend\n")
    assert rc.sections == (RcSection(name="SERVER_INFO", items=(("server_info_os", "Linux"),)),)


def test_a_missing_section_reads_as_empty() -> None:
    assert parse_rcfile("").section(PLUGINS_PREFS) == RcSection(name=PLUGINS_PREFS)


@pytest.mark.parametrize(
    ("text", "line", "problem"),
    [
        (
            "a = 1\nbegin(SERVER_PREFS)\n max_hosts = 2\n",
            2,
            "begin(SERVER_PREFS) is never closed by end(SERVER_PREFS)",
        ),
        (
            "begin(SERVER_PREFS)\nbegin(PLUGIN_SET)\n",
            2,
            "begin(PLUGIN_SET) inside begin(SERVER_PREFS) from line 1",
        ),
        ("a = 1\nend(SERVER_PREFS)\n", 2, "end(SERVER_PREFS) without a begin"),
        (
            "begin(PLUGIN_SET)\n 1 = yes\nend(SCANNER_SET)\n",
            3,
            "end(SCANNER_SET) closes begin(PLUGIN_SET) from line 1",
        ),
        (
            "begin(X)\nend(X)\n\nbegin(X)\nend(X)\n",
            4,
            "section X appears twice (first at line 1)",
        ),
        ("begin(bad name)\nend\n", 1, "expected 'begin(NAME)' with NAME in A-Z, 0-9, _"),
        ("begin(X\n", 1, "expected 'begin(NAME)'"),
        ("max_hosts 20\n", 1, "expected 'name = value', got 'max_hosts 20'"),
        ("  = 20\n", 1, "bad preference name ''"),
        ("end = 1\n", 1, "preference name 'end' would read as a comment or section line"),
        (
            "begin(SCANNER_SET)\n 10335 = maybe\nend(SCANNER_SET)\n",
            2,
            "SCANNER_SET entries are 'yes' or 'no', not 'maybe' (for '10335')",
        ),
    ],
)
def test_a_malformed_file_is_an_error_naming_the_line(text: str, line: int, problem: str) -> None:
    with pytest.raises(RcFileError) as caught:
        parse_rcfile(text)
    assert caught.value.line == line
    assert str(caught.value).startswith(f"line {line}: {problem}")


# --- the value -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "value", "problem"),
    [
        ("a=b", "1", "bad preference name 'a=b'"),
        (" a", "1", "bad preference name ' a'"),
        ("#a", "1", "preference name '#a' would read as a comment or section line"),
        ("begin(X)", "1", "preference name 'begin(X)' would read as a comment or section line"),
        ("a", "x\ny", "value of 'a' contains a line end"),
        ("a", " x", "value of 'a' starts with a blank, which reading drops"),
        ("a", "yes", "value of 'a' is the text 'yes', which reads as a boolean"),
    ],
)
def test_an_entry_that_would_not_read_back_is_refused(
    name: str, value: RcValue, problem: str
) -> None:
    with pytest.raises(ValueError, match="^" + re.escape(problem)):
        RcFile(options=((name, value),))


def test_a_section_appears_once_and_has_a_simple_name() -> None:
    with pytest.raises(ValueError, match="a section appears twice"):
        RcFile(sections=(RcSection(name="X"), RcSection(name="X")))
    with pytest.raises(ValueError, match="bad section name 'A B'"):
        RcSection(name="A B")


def test_with_section_replaces_in_place_or_appends() -> None:
    new = RcSection(name=SERVER_PREFS, items=(("max_hosts", "5"),))
    assert SPEC_RCFILE.with_section(new).sections[0] == new
    extra = RcSection(name="EXTRA")
    assert SPEC_RCFILE.with_section(extra).sections[-1] == extra


# --- writing ---------------------------------------------------------------------------------


def test_a_file_is_written_top_level_first_then_each_section() -> None:
    rc = RcFile(options=(("trusted_ca", "/etc/ixion/ca.pem"), ("quiet", True)))
    rc = rc.with_section(RcSection(name=SERVER_PREFS, items=(("safe_checks", False),)))
    rc = rc.with_section(RcSection(name="EMPTY"))
    assert format_rcfile(rc) == (
        "# ixion client preferences (.nessusrc format)\n"
        "trusted_ca = /etc/ixion/ca.pem\n"
        "quiet = yes\n"
        "begin(SERVER_PREFS)\n"
        " safe_checks = no\n"
        "end(SERVER_PREFS)\n"
        "\n"
        "begin(EMPTY)\n"
        "end(EMPTY)\n"
        "\n"
    )


def test_the_default_file_is_the_reference_clients_with_ixiond_s_scanners() -> None:
    assert format_rcfile(DEFAULT_RCFILE) == (
        "# ixion client preferences (.nessusrc format)\n"
        "begin(SCANNER_SET)\n"
        " 10180 = yes\n"
        " 10335 = yes\n"
        " 10278 = no\n"
        " 10331 = no\n"
        " 10841 = no\n"
        " 10336 = no\n"
        " 10796 = no\n"
        " 11219 = no\n"
        " 14259 = no\n"
        " 14272 = no\n"
        " 14274 = no\n"
        " 14663 = no\n"
        "end(SCANNER_SET)\n"
        "\n"
        "begin(SERVER_PREFS)\n"
        " max_hosts = 20\n"
        " max_checks = 4\n"
        "end(SERVER_PREFS)\n"
        "\n"
    )


def test_the_spec_example_survives_a_write_and_a_read() -> None:
    assert parse_rcfile(format_rcfile(SPEC_RCFILE)) == SPEC_RCFILE


_NAMES = (
    st.text(st.characters(codec="utf-8", exclude_characters="=\n\r"))
    .map(str.strip)
    .filter(lambda n: n != "" and n != "end" and not n.startswith(("#", "begin(", "end(")))
)
_TEXTS = (
    st.text(st.characters(codec="utf-8", exclude_characters="\n\r"))
    .filter(lambda v: v == v.lstrip(" \t"))
    .filter(lambda v: v not in ("yes", "no"))
)
_ITEMS = st.lists(st.tuples(_NAMES, st.booleans() | _TEXTS), max_size=4).map(tuple)
_SECTIONS = st.lists(st.from_regex(r"[A-Z_]{1,12}", fullmatch=True), max_size=4, unique=True)


@given(_ITEMS, _SECTIONS, st.data())
def test_every_rc_file_reads_back_as_written(
    options: tuple[tuple[str, RcValue], ...], names: list[str], data: st.DataObject
) -> None:
    sections = []
    for name in names:
        items = data.draw(
            st.lists(st.tuples(_NAMES, st.booleans()), max_size=3).map(tuple)
            if name in (PLUGIN_SET, SCANNER_SET)
            else _ITEMS
        )
        sections.append(RcSection(name=name, items=items))
    rc = RcFile(options=options, sections=tuple(sections))
    assert parse_rcfile(format_rcfile(rc)) == rc


# --- what the client sends -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("category", "enabled"),
    [
        (Category.INIT, True),
        (Category.SCANNER, False),
        (Category.SETTINGS, True),
        (Category.GATHER_INFO, True),
        (Category.ATTACK, True),
        (Category.MIXED_ATTACK, True),
        (Category.DESTRUCTIVE_ATTACK, False),
        (Category.DENIAL, False),
        (Category.KILL_HOST, False),
        (Category.FLOOD, False),
        (Category.END, True),
        (Category.UNKNOWN, True),
    ],
)
def test_a_plugin_the_file_does_not_name_takes_its_category_default(
    category: Category, enabled: bool
) -> None:
    assert plugin_enabled(RcFile(), _plugin("1", category)) is enabled


def test_scanners_are_chosen_in_scanner_set_and_other_plugins_in_plugin_set() -> None:
    rc = parse_rcfile(
        "begin(PLUGIN_SET)\n 1 = no\n 2 = yes\nend(PLUGIN_SET)\n"
        "begin(SCANNER_SET)\n 3 = yes\n 1 = yes\nend(SCANNER_SET)\n"
    )
    assert plugin_enabled(rc, _plugin("1", Category.ATTACK)) is False
    assert plugin_enabled(rc, _plugin("2", Category.DENIAL)) is True
    assert plugin_enabled(rc, _plugin("3", Category.SCANNER)) is True
    assert plugin_enabled(rc, _plugin("2", Category.SCANNER)) is False


FEED = [
    _plugin("10335", Category.SCANNER, family="Port scanners"),
    _plugin("11", Category.ATTACK, family="FTP"),
    _plugin("12", Category.GATHER_INFO, family="FTP"),
    _plugin("13", Category.ATTACK, family="Web Servers"),
    _plugin("14", Category.DENIAL, family="Web Servers"),
]


@pytest.mark.parametrize(
    ("plugin_set", "scanner_set", "expected"),
    [
        # An id beats its family, which beats its category, which beats "all".
        ("all = no\nfamily:FTP = yes\n12 = no", "10335 = yes", "11;10335;"),
        ("family:Web Servers = no\ncategory:attack = yes", "all = yes", "11;12;10335;"),
        ("category:denial = yes\nfamily:web servers = no", "", "11;12;"),
        # A configuration runs what it holds and nothing else; scanners are chosen apart.
        ("config:discovery = yes", "all = no", "12;"),
        ("config:full-and-fast = yes", "family:port scanners = yes", "11;12;13;10335;"),
        # Scanners are off unless SCANNER_SET names them, as with the reference client.
        ("all = yes", "", "11;12;13;14;"),
    ],
)
def test_a_few_lines_choose_a_whole_feed(plugin_set: str, scanner_set: str, expected: str) -> None:
    rc = parse_rcfile(
        f"begin(PLUGIN_SET)\n{plugin_set}\nend(PLUGIN_SET)\n"
        f"begin(SCANNER_SET)\n{scanner_set}\nend(SCANNER_SET)\n"
    )
    assert plugin_set_value(rc, FEED) == expected


def test_an_rc_term_ixion_cannot_read_is_an_error() -> None:
    rc = parse_rcfile("begin(PLUGIN_SET)\n category:fast = yes\nend(PLUGIN_SET)\n")
    with pytest.raises(SelectionError, match="no category 'fast'"):
        PluginChoices(rc)


def test_a_whole_feed_is_chosen_in_one_pass() -> None:
    """136,000 plugins and an rc file naming each: once linear in each section lookup."""
    feed = [_plugin(str(n), Category.ATTACK, family="F") for n in range(1, 136_001)]
    lines = "".join(f" {n} = {'no' if n % 2 else 'yes'}\n" for n in range(1, 136_001))
    rc = parse_rcfile(f"begin(PLUGIN_SET)\n{lines}end(PLUGIN_SET)\n")
    assert plugin_set_value(rc, feed) == "".join(f"{n};" for n in range(2, 136_001, 2))


def test_plugin_set_lists_plugins_then_scanners_in_server_order() -> None:
    plugins = [
        _plugin("10335", Category.SCANNER),
        _plugin("10330", Category.GATHER_INFO),
        _plugin("10180", Category.SCANNER),
        _plugin("11111", Category.DENIAL),
        _plugin("10287", Category.GATHER_INFO),
        _plugin("10330", Category.GATHER_INFO),
    ]
    assert plugin_set(DEFAULT_RCFILE, plugins) == "10330;10287;10335;10180;"


def test_plugin_set_is_zero_when_nothing_is_enabled() -> None:
    assert plugin_set(RcFile(), [_plugin("10335", Category.SCANNER)]) == "0"
    assert plugin_set(RcFile(), []) == "0"


def test_preferences_start_with_the_five_client_flags() -> None:
    items = preferences_to_send(RcFile(), [])
    assert items == (
        ("ntp_opt_show_end", "yes"),
        ("ntp_keep_communication_alive", "yes"),
        ("ntp_short_status", "yes"),
        ("ntp_client_accepts_notes", "yes"),
        ("ntp_escape_crlf", "yes"),
        ("plugin_set", "0"),
    )
    assert items[:5] == CLIENT_FLAGS


def test_server_prefs_then_plugin_set_then_plugin_prefs_cut_at_the_first_semicolon() -> None:
    rc = parse_rcfile(
        "paranoia_level = 1\n"
        "begin(PLUGINS_PREFS)\n"
        " Services[radio]:Test SSL based services = Known SSL ports;All;None\n"
        " Ping the remote host[checkbox]:Do a TCP ping = no\n"
        "end(PLUGINS_PREFS)\n"
        "begin(SERVER_PREFS)\n"
        " max_hosts = 20\n"
        " safe_checks = yes\n"
        "end(SERVER_PREFS)\n"
    )
    assert preferences_to_send(rc, [_plugin("10330", Category.GATHER_INFO)])[5:] == (
        ("max_hosts", "20"),
        ("safe_checks", "yes"),
        ("plugin_set", "10330;"),
        ("Services[radio]:Test SSL based services", "Known SSL ports"),
        ("Ping the remote host[checkbox]:Do a TCP ping", "no"),
    )


def test_a_plugin_set_entry_in_server_prefs_is_replaced_in_place() -> None:
    rc = parse_rcfile(
        "begin(SERVER_PREFS)\n plugin_set = 1;2;\n max_hosts = 20\nend(SERVER_PREFS)\n"
    )
    assert preferences_to_send(rc, [])[5:] == (("plugin_set", "0"), ("max_hosts", "20"))


def test_file_preferences_name_the_files_to_upload() -> None:
    rc = parse_rcfile(
        "begin(PLUGINS_PREFS)\n"
        " SSL certificate[file]:Client certificate : = /home/u/cert.pem\n"
        " SSL certificate[file]:Client key : =\n"
        " SSL certificate[entry]:Passphrase : = /not/a/file\n"
        " Other[file]:Same certificate : = /home/u/cert.pem\n"
        "end(PLUGINS_PREFS)\n"
    )
    assert files_to_upload(rc) == ("/home/u/cert.pem",)


def test_server_preferences_are_adopted_unless_the_file_has_them() -> None:
    rc = parse_rcfile("begin(SERVER_PREFS)\n max_hosts = 2\nend(SERVER_PREFS)\n")
    adopted = adopt_server_preferences(
        rc,
        [
            ("max_hosts", "30"),
            ("safe_checks", "yes"),
            ("ntp_save_sessions", "yes"),
            ("ntp_detached_sessions", "yes"),
            ("server_info_os", "Linux"),
            ("odd=name", "x"),
            ("padded", " x"),
            ("Services[radio]:Test SSL based services", "Known SSL ports;All;None"),
            ("Services[radio]:Test SSL based services", "All"),
            ("SSL certificate[file]:Client certificate :", "/etc/shadow"),
            ("cgi_path", "/cgi-bin:/scripts"),
        ],
    )
    assert adopted == RcFile(
        sections=(
            RcSection(
                name=SERVER_PREFS,
                items=(
                    ("max_hosts", "2"),
                    ("safe_checks", True),
                    ("cgi_path", "/cgi-bin:/scripts"),
                ),
            ),
            RcSection(
                name=PLUGINS_PREFS,
                items=(
                    ("Services[radio]:Test SSL based services", "Known SSL ports"),
                    ("SSL certificate[file]:Client certificate :", ""),
                ),
            ),
        )
    )


# --- against the reference client ------------------------------------------------------------


def _messages(decoder: StreamDecoder, data: bytes) -> list[Message]:
    decoder.receive_data(data)
    decoder.receive_data(b"")
    messages: list[Message] = []
    while (msg := decoder.next_message()) is not NEED_DATA and not isinstance(
        msg, ConnectionClosed
    ):
        messages.append(msg)
    return messages


def test_the_reference_clients_preferences_are_reproduced_from_its_rc_file() -> None:
    # The rc file the nessus 2.2.5 client ran with in this capture, as its PREFERENCES show:
    # its own SERVER_PREFS come first, the server's others follow in the server's order.
    scan = load(TRANSCRIPTS / "nessus225-client_vs_nessusd225_plain_scan.raw.txt")
    words = "plugins_cve_id plugins_version plugins_bugtraq_id plugins_xrefs timestamps"
    server = _messages(ServerStreamDecoder(Features.from_words(words.split(" "))), scan.stream("S"))
    client = _messages(ClientStreamDecoder(), scan.stream("C"))
    plugins = next(m for m in server if isinstance(m, PluginList)).plugins
    offered = next(m for m in server if isinstance(m, Preferences)).items
    sent = next(m for m in client if isinstance(m, Preferences)).items
    rc = parse_rcfile(
        "begin(SERVER_PREFS)\n"
        " max_hosts = 2\n"
        " max_checks = 2\n"
        " silent_dependencies = no\n"
        " safe_checks = yes\n"
        " port_range = default\n"
        "end(SERVER_PREFS)\n"
        "begin(PLUGIN_SET)\n"
        " 90002 = yes\n"
        "end(PLUGIN_SET)\n"
        "begin(SCANNER_SET)\n"
        " 90001 = yes\n"
        "end(SCANNER_SET)\n"
    )
    assert preferences_to_send(adopt_server_preferences(rc, offered), plugins) == sent
    assert sent[-2:] == (
        ("plugin_set", "90002;90001;"),
        ("Peers tiny TCP scanner[entry]:Ports to scan :", "1241,8081,9"),
    )
