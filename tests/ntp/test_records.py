"""Values inside messages: numbers, categories, ports, plugins, list entries (spec §3, §6.3)."""

from __future__ import annotations

import pytest

from ixion.ntp.errors import LocalProtocolError
from ixion.ntp.records import (
    Category,
    Certificate,
    Dependency,
    Md5Entry,
    PluginRecord,
    PortRef,
    SessionEntry,
    is_session_id,
    parse_int,
)

# --- numbers ---------------------------------------------------------------------------------


def test_a_decimal_number_is_read_as_the_peer_wrote_it() -> None:
    assert parse_int("8081", "port") == 8081
    assert parse_int("0", "count") == 0
    assert parse_int("007", "count") == 7


@pytest.mark.parametrize(
    "text", ["", "-1", "+1", " 1", "1.5", "0x10", "\uff11\uff12", "\u0663", "1234567890123"]
)
def test_anything_but_up_to_twelve_ascii_digits_is_not_a_number(text: str) -> None:
    with pytest.raises(LocalProtocolError) as caught:
        parse_int(text, "size")
    assert caught.value.message == f"size is not a number: {text!r}"


def test_twelve_digits_are_still_a_number() -> None:
    assert parse_int("999999999999", "size") == 999_999_999_999


def test_a_long_non_number_is_quoted_only_in_part() -> None:
    with pytest.raises(LocalProtocolError) as caught:
        parse_int("x" * 100, "size")
    assert caught.value.message == f"size is not a number: {'x' * 40!r}"


def test_a_number_outside_its_range_is_refused() -> None:
    with pytest.raises(LocalProtocolError) as caught:
        parse_int("65536", "port number", high=65535)
    assert caught.value.message == "port number 65536 is out of range [0, 65535]"
    with pytest.raises(LocalProtocolError, match=r"count 0 is out of range \[1, "):
        parse_int("0", "count", low=1)


# --- categories (spec §6.3) ------------------------------------------------------------------


def test_categories_carry_their_plugin_list_words_in_scheduling_order() -> None:
    assert [category.value for category in Category] == [
        "init",
        "scanner",
        "settings",
        "infos",
        "attack",
        "mixed",
        "destructive_attack",
        "denial",
        "kill_host",
        "flood",
        "end",
        "unknown",
    ]


def test_a_category_word_reads_back_as_its_category() -> None:
    assert Category.from_wire("infos") is Category.GATHER_INFO
    assert Category.from_wire("unknown") is Category.UNKNOWN


def test_an_unknown_category_word_is_refused() -> None:
    with pytest.raises(LocalProtocolError) as caught:
        Category.from_wire("ACT_GATHER_INFO")
    assert caught.value.message == "unknown plugin category 'ACT_GATHER_INFO'"


# --- ports (spec §3.5) -----------------------------------------------------------------------


def test_a_named_port_reads_as_service_number_and_protocol() -> None:
    port = PortRef(service="ssh", number=22)
    assert str(port) == "ssh (22/tcp)"
    assert not port.is_general


def test_general_ports_name_only_the_protocol() -> None:
    assert str(PortRef.general()) == "general/tcp"
    assert str(PortRef.general("icmp")) == "general/icmp"
    assert PortRef.general("udp") == PortRef(service=None, number=0, protocol="udp")
    assert PortRef.general().is_general


def test_a_port_number_without_a_name_is_shown_as_unknown() -> None:
    port = PortRef(service=None, number=31337)
    assert str(port) == "unknown (31337/tcp)"
    assert not port.is_general


def test_a_named_port_zero_is_not_general() -> None:
    assert not PortRef(service="x", number=0).is_general


@pytest.mark.parametrize(
    ("text", "port"),
    [
        ("general/tcp", PortRef.general()),
        ("general/icmp", PortRef.general("icmp")),
        ("ssh (22/tcp)", PortRef(service="ssh", number=22)),
        ("blackice-icecap (8081/tcp)", PortRef(service="blackice-icecap", number=8081)),
        ("unknown (31337/tcp)", PortRef(service="unknown", number=31337)),
        ("snmp (161/udp)", PortRef(service="snmp", number=161, protocol="udp")),
        ("a (1/tcp) (22/tcp)", PortRef(service="a (1/tcp)", number=22)),
        ("www (65535/tcp)", PortRef(service="www", number=65535)),
    ],
)
def test_the_port_field_reads_back(text: str, port: PortRef) -> None:
    assert PortRef.parse(text) == port


@pytest.mark.parametrize(
    "text", ["", "general", "general/", "ssh 22/tcp", "ssh (22)", "(22/tcp)", "ssh (123456/tcp)"]
)
def test_an_unreadable_port_field_is_refused(text: str) -> None:
    with pytest.raises(LocalProtocolError) as caught:
        PortRef.parse(text)
    assert caught.value.message == f"unreadable port field {text!r}"


def test_a_port_field_beyond_65535_is_refused() -> None:
    with pytest.raises(LocalProtocolError) as caught:
        PortRef.parse("www (99999/tcp)")
    assert caught.value.message == "port number 99999 is out of range [0, 65535]"


@pytest.mark.parametrize("protocol", ["t/cp", "tcp(", "tcp)"])
def test_a_port_protocol_cannot_hold_port_syntax(protocol: str) -> None:
    with pytest.raises(LocalProtocolError) as caught:
        PortRef(service="x", number=1, protocol=protocol)
    assert caught.value.message == f"bad port protocol {protocol!r}"


def test_a_port_protocol_must_be_a_word() -> None:
    with pytest.raises(LocalProtocolError, match="port protocol must be one non-empty word"):
        PortRef(service="x", number=1, protocol="")


@pytest.mark.parametrize("number", [-1, 65536])
def test_a_port_number_must_fit_in_sixteen_bits(number: int) -> None:
    with pytest.raises(LocalProtocolError) as caught:
        PortRef(service="x", number=number)
    assert caught.value.message == f"port number {number} out of range"


def test_a_service_name_cannot_be_empty() -> None:
    with pytest.raises(LocalProtocolError) as caught:
        PortRef(service="", number=22)
    assert caught.value.message == "empty service name"


def test_a_service_name_cannot_hold_a_separator() -> None:
    with pytest.raises(LocalProtocolError, match="service name contains the field separator"):
        PortRef(service="a <|> b", number=22)


# --- plugins ---------------------------------------------------------------------------------


def _plugin(**changes: object) -> PluginRecord:
    fields: dict[str, object] = {
        "id": "90002",
        "name": "Peers HTTP banner check",
        "category": Category.GATHER_INFO,
        "copyright": "Public domain test plugin",
        "description": "Reads the Server: banner of a web server.\n\nRisk factor : Low",
        "summary": "HTTP banner grabber",
        "family": "General",
    }
    fields.update(changes)
    return PluginRecord(**fields)  # type: ignore[arg-type]


def test_a_plugin_record_defaults_its_optional_fields() -> None:
    plugin = _plugin()
    assert plugin.version == "?"
    assert plugin.cve == ()
    assert plugin.bid == ()
    assert plugin.xref == ()
    assert plugin.sign_keys == ""
    assert plugin.tags == ""


def test_a_plugin_description_may_span_lines() -> None:
    assert _plugin(description="one\ntwo").description == "one\ntwo"


def test_a_plugin_id_must_be_a_word() -> None:
    with pytest.raises(LocalProtocolError, match="plugin id must be one non-empty word"):
        _plugin(id="90 002")


@pytest.mark.parametrize(
    "field", ["name", "copyright", "summary", "family", "version", "sign_keys", "tags"]
)
def test_plugin_text_fields_cannot_hold_a_newline(field: str) -> None:
    with pytest.raises(LocalProtocolError) as caught:
        _plugin(**{field: "two\nlines"})
    assert caught.value.message == f"plugin {field} contains a newline: 'two\\nlines'"


@pytest.mark.parametrize(("field", "what"), [("cve", "CVE"), ("bid", "BID"), ("xref", "xref")])
def test_reference_lists_refuse_empty_entries(field: str, what: str) -> None:
    with pytest.raises(LocalProtocolError) as caught:
        _plugin(**{field: ("1", "")})
    assert caught.value.message == f"bad {what} entry ''"


def test_reference_entries_cannot_contain_the_list_separator() -> None:
    with pytest.raises(LocalProtocolError) as caught:
        _plugin(cve=("CVE-1999-0001, CVE-1999-0002",))
    assert caught.value.message == "bad CVE entry 'CVE-1999-0001, CVE-1999-0002'"


def test_a_reference_list_cannot_end_in_half_a_separator_once_joined() -> None:
    # Each entry is a valid field, but the wire field "CVE-1999-0001, <|>" is not.
    with pytest.raises(LocalProtocolError) as caught:
        _plugin(cve=("CVE-1999-0001", "<|>"))
    assert caught.value.message == "CVE list contains the field separator: 'CVE-1999-0001, <|>'"


def test_reference_entries_cannot_contain_a_separator() -> None:
    with pytest.raises(LocalProtocolError, match="xref contains the field separator"):
        _plugin(xref=("OSVDB <|> 1",))


# --- list entries ----------------------------------------------------------------------------


def test_a_dependency_line_names_a_plugin_and_what_it_needs() -> None:
    entry = Dependency(name="Peers HTTP banner check", dependencies=("Peers tiny TCP scanner",))
    assert entry.dependencies == ("Peers tiny TCP scanner",)
    assert Dependency(name="SYN Scan").dependencies == ()


def test_a_dependency_name_cannot_be_empty() -> None:
    with pytest.raises(LocalProtocolError) as caught:
        Dependency(name="")
    assert caught.value.message == "empty plugin name in PLUGINS_DEPENDENCIES"
    with pytest.raises(LocalProtocolError, match="empty plugin name"):
        Dependency(name="a", dependencies=("b", ""))


def test_a_dependency_name_cannot_hold_a_separator() -> None:
    with pytest.raises(LocalProtocolError, match="dependency name contains the field separator"):
        Dependency(name="a", dependencies=("b <|> c",))


def test_an_md5_entry_holds_a_key_and_a_digest() -> None:
    entry = Md5Entry(key="peers_tcp_scan.nasl", md5="0dd1e0f504f0724624afecc5139065c3")
    assert entry.key == "peers_tcp_scan.nasl"


def test_an_md5_entry_needs_a_key() -> None:
    with pytest.raises(LocalProtocolError) as caught:
        Md5Entry(key="", md5="0dd1e0f504f0724624afecc5139065c3")
    assert caught.value.message == "bad PLUGINS_MD5 key ''"


def test_an_md5_entry_key_cannot_look_like_the_terminator() -> None:
    with pytest.raises(LocalProtocolError, match="PLUGINS_MD5 key contains the field separator"):
        Md5Entry(key="<|> SERVER", md5="0dd1e0f504f0724624afecc5139065c3")


def test_an_md5_digest_is_one_word() -> None:
    with pytest.raises(LocalProtocolError, match="md5 must be one non-empty word"):
        Md5Entry(key="90001", md5="")


def test_a_session_entry_is_an_id_and_targets() -> None:
    entry = SessionEntry(id="20051106-101530", targets="198.18.0.0/24")
    assert (entry.id, entry.targets) == ("20051106-101530", "198.18.0.0/24")
    assert SessionEntry(id="3598", targets="").targets == ""


def test_a_session_id_is_one_word() -> None:
    with pytest.raises(LocalProtocolError, match="session id must be one non-empty word"):
        SessionEntry(id="", targets="198.18.0.5")


def test_a_session_id_cannot_start_like_a_terminator() -> None:
    with pytest.raises(LocalProtocolError) as caught:
        SessionEntry(id="<|>SERVER", targets="")
    assert caught.value.message == "session id must be one non-empty word: '<|>SERVER'"


def test_session_targets_cannot_hold_a_newline() -> None:
    with pytest.raises(LocalProtocolError, match="session targets contains a newline"):
        SessionEntry(id="3598", targets="a\nb")


def _certificate(**changes: object) -> Certificate:
    fields: dict[str, object] = {
        "fingerprint": "a1b2c3",
        "owner": "OpenVAS Transfer Integrity",
        "trusted": True,
        "key_length": 1024,
        "public_key": "-----BEGIN PUBLIC KEY-----\nMIGf\n-----END PUBLIC KEY-----\n",
    }
    fields.update(changes)
    return Certificate(**fields)  # type: ignore[arg-type]


def test_a_certificate_public_key_may_span_lines() -> None:
    assert _certificate().public_key.count("\n") == 3


@pytest.mark.parametrize("key_length", [-1, 2**31])
def test_a_certificate_key_length_must_fit_in_31_bits(key_length: int) -> None:
    with pytest.raises(LocalProtocolError) as caught:
        _certificate(key_length=key_length)
    assert caught.value.message == f"bad key length {key_length}"


def test_a_certificate_key_length_of_2_to_the_31_minus_1_is_accepted() -> None:
    assert _certificate(key_length=2**31 - 1).key_length == 2**31 - 1


def test_a_certificate_fingerprint_is_one_word() -> None:
    with pytest.raises(LocalProtocolError, match="certificate fingerprint must be one"):
        _certificate(fingerprint="a1 b2")


def test_a_certificate_fingerprint_cannot_start_like_a_terminator() -> None:
    with pytest.raises(LocalProtocolError) as caught:
        _certificate(fingerprint="<|>a1")
    assert caught.value.message == "certificate fingerprint must be one non-empty word: '<|>a1'"


def test_a_certificate_owner_and_key_cannot_hold_separators() -> None:
    with pytest.raises(LocalProtocolError, match="certificate owner contains a newline"):
        _certificate(owner="a\nb")
    with pytest.raises(LocalProtocolError, match="public key contains the field separator"):
        _certificate(public_key="a <|> b")


# --- session ids (spec §3.9) -----------------------------------------------------------------


def test_session_ids_are_digits_and_dashes() -> None:
    assert is_session_id("20051106-101530", detached=False)
    assert is_session_id("3598", detached=False)
    assert not is_session_id("2005/11/06", detached=False)
    assert not is_session_id("", detached=False)


def test_detached_session_ids_are_pids() -> None:
    assert is_session_id("3598", detached=True)
    assert not is_session_id("20051106-101530", detached=True)
    assert not is_session_id("", detached=True)
    assert not is_session_id("\u0663\u0665", detached=True)
