"""NBE out and back in (spec §9.3), checked against a file the nessus 2.2.5 client wrote."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ixion.reports import (
    Event,
    Finding,
    HostsRejected,
    NbeError,
    OpenPort,
    ScanResults,
    Severity,
    Timestamp,
    TimestampKind,
    read_nbe,
    write_nbe,
)
from ixion.reports.nbe import escape_text, subnet, unescape_text
from tests.reports.samples import SCAN_NBE, SCAN_RESULTS

WHEN = "Sun Nov  6 10:15:30 2005"
HOST = "192.0.2.5"


def _nbe(*events: Event) -> str:
    return write_nbe(ScanResults(events=events)).decode()


FTP_HOLE = Finding(
    host=HOST, port="ftp (21/tcp)", severity=Severity.HOLE, text="x\n", plugin_id="11111"
)


# --- writing ---------------------------------------------------------------------------------


def test_the_captured_scan_writes_the_nbe_file_the_reference_client_wrote() -> None:
    assert write_nbe(SCAN_RESULTS) == SCAN_NBE


def test_the_file_is_one_line_per_record_with_a_final_newline() -> None:
    nbe = write_nbe(SCAN_RESULTS)
    assert nbe.endswith(b"|\n")
    assert not nbe.endswith(b"\n\n")
    assert nbe.count(b"\n") == 8


def test_no_results_is_an_empty_file() -> None:
    assert write_nbe(ScanResults()) == b""


def test_timestamps_have_an_empty_subnet_and_a_trailing_bar() -> None:
    assert _nbe(
        Timestamp(kind=TimestampKind.SCAN_START, when=WHEN),
        Timestamp(kind=TimestampKind.HOST_START, when=WHEN, host=HOST),
        Timestamp(kind=TimestampKind.HOST_END, when=WHEN, host=HOST),
        Timestamp(kind=TimestampKind.SCAN_END, when=WHEN),
    ) == (
        "timestamps|||scan_start|Sun Nov  6 10:15:30 2005|\n"
        "timestamps||192.0.2.5|host_start|Sun Nov  6 10:15:30 2005|\n"
        "timestamps||192.0.2.5|host_end|Sun Nov  6 10:15:30 2005|\n"
        "timestamps|||scan_end|Sun Nov  6 10:15:30 2005|\n"
    )


def test_an_interrupted_host_is_written_although_nessusd_never_sent_one() -> None:
    event = Timestamp(kind=TimestampKind.HOST_INTERRUPTED, when=WHEN, host=HOST)
    assert _nbe(event) == "timestamps||192.0.2.5|host_interrupted|Sun Nov  6 10:15:30 2005|\n"


def test_an_open_port_has_four_fields() -> None:
    assert (
        _nbe(OpenPort(host=HOST, port="ssh (22/tcp)")) == "results|192.0.2|192.0.2.5|ssh (22/tcp)\n"
    )


def test_a_finding_has_seven_fields_and_an_escaped_text() -> None:
    text = "The remote FTP server is vulnerable.\nCVE : CVE-2001-0550\nBID : 3581\n"
    assert _nbe(replace(FTP_HOLE, text=text)) == (
        "results|192.0.2|192.0.2.5|ftp (21/tcp)|11111|Security Hole|"
        "The remote FTP server is vulnerable.\\nCVE : CVE-2001-0550\\nBID : 3581\\n\n"
    )


@pytest.mark.parametrize(
    ("severity", "word"),
    [
        (Severity.HOLE, "Security Hole"),
        (Severity.WARNING, "Security Warning"),
        (Severity.NOTE, "Security Note"),
        (Severity.LOG, "Log Message"),
        (Severity.DEBUG, "Debug Message"),
    ],
)
def test_each_severity_has_its_word(severity: Severity, word: str) -> None:
    assert _nbe(replace(FTP_HOLE, severity=severity)).split("|")[5] == word


def test_backslash_lf_and_cr_are_escaped_and_bars_are_not() -> None:
    assert escape_text("a\\b\nc\rd|e") == "a\\\\b\\nc\\rd|e"
    assert _nbe(replace(FTP_HOLE, text="C:\\x | y\r\n")).endswith("|C:\\\\x | y\\r\\n\n")


def test_a_finding_without_a_plugin_is_written_with_plugin_zero() -> None:
    assert _nbe(replace(FTP_HOLE, plugin_id=None)).split("|")[4] == "0"


def test_rejected_hosts_have_no_nbe_record() -> None:
    assert _nbe(HostsRejected(hosts=(HOST,))) == ""


@pytest.mark.parametrize(
    ("event", "what"),
    [
        (OpenPort(host="a|b", port="ssh (22/tcp)"), "host"),
        (OpenPort(host=HOST, port="odd|port"), "port"),
        (Timestamp(kind=TimestampKind.HOST_END, when=WHEN, host="a|b"), "host"),
        (Timestamp(kind=TimestampKind.SCAN_START, when="Sun | Nov"), "time"),
        (replace(FTP_HOLE, plugin_id="1|2"), "plugin id"),
    ],
)
def test_a_bar_outside_the_text_cannot_be_written(event: Event, what: str) -> None:
    with pytest.raises(ValueError, match=rf"^NBE cannot carry a {what} containing '\|'"):
        _nbe(event)


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("192.0.2.5", "192.0.2"),
        ("127.0.0.1", "127.0.0"),
        ("aa.bb.cc.dd.ee.ff", "aa.bb.cc"),
        ("0a.1b.2c.3d.4e.5f", "0a.1b.2c"),
        # Only lowercase is MAC-style, as in nessus; the rest is a dotted name.
        ("AA.BB.CC.DD.EE.FF", "BB.CC.DD.EE.FF"),
        ("www.example.com", "example.com"),
        ("trailing.", ""),
        ("localhost", "localhost"),
        ("192.0.2.256", "0.2.256"),
        ("2001:db8::5", "2001:db8:0:0"),
        ("2001:db8:0:1::5", "2001:db8:0:1"),
        ("2001:0db8:00a0:0001:0:0:0:5", "2001:db8:a0:1"),
        ("2001:db8:0:2::1%eth0", "2001:db8:0:2"),
        ("not:an:address", "not:an:address"),
    ],
)
def test_the_subnet_groups_hosts_by_address_or_domain(host: str, expected: str) -> None:
    assert subnet(host) == expected


# --- reading ---------------------------------------------------------------------------------


def test_the_reference_clients_file_reads_back_as_the_captured_scan() -> None:
    assert read_nbe(SCAN_NBE) == SCAN_RESULTS


def test_an_empty_file_has_no_results() -> None:
    assert read_nbe(b"") == ScanResults()


def test_blank_lines_crlf_and_a_missing_final_newline_are_tolerated() -> None:
    data = (
        b"timestamps|||scan_start|" + WHEN.encode() + b"|\r\n\r\n"
        b"\nresults|192.0.2|192.0.2.5|ssh (22/tcp)|10330|Security Note|ssh\\n\r\n"
        b"results|192.0.2|192.0.2.5|ssh (22/tcp)"
    )
    assert read_nbe(data).events == (
        Timestamp(kind=TimestampKind.SCAN_START, when=WHEN),
        Finding(
            host=HOST, port="ssh (22/tcp)", severity=Severity.NOTE, text="ssh\n", plugin_id="10330"
        ),
        OpenPort(host=HOST, port="ssh (22/tcp)"),
    )


def test_the_text_keeps_its_bars_and_unknown_escapes() -> None:
    line = b"results|x|192.0.2.5|general/tcp||Security Note|a|b|c\\tz\\\\n\\"
    assert read_nbe(line).events == (
        Finding(host=HOST, port="general/tcp", severity=Severity.NOTE, text="a|b|c\\tz\\n\\"),
    )


def test_the_subnet_field_is_not_checked() -> None:
    assert read_nbe(b"results|anything|192.0.2.5|ssh (22/tcp)\n").open_ports == (
        OpenPort(host=HOST, port="ssh (22/tcp)"),
    )


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("scan|x", "unknown record type 'scan' (expected 'results' or 'timestamps')"),
        ("results|s|h", "a results line has 3 fields after its type (open port) or 6 "),
        ("results|s|h|p|1|Security Hole", "(finding), not 5"),
        ("results|s|h|p|1|Critical|text", "unknown severity 'Critical'"),
        ("results|s||p", "host must be one non-empty word: ''"),
        ("results|s|h|", "port must be non-empty text on one line: ''"),
        ("results|s|h|p|1 2|Security Note|t", "bad plugin id '1 2'"),
        ("timestamps|||scan_start|" + WHEN, "a timestamps line ends with '|'"),
        ("timestamps||scan_start|" + WHEN + "|", "a timestamps line has 4 fields"),
        ("timestamps|||scan_begin|" + WHEN + "|", "unknown timestamp kind 'scan_begin'"),
        ("timestamps|||host_start|" + WHEN + "|", "host_start names no host"),
        ("timestamps||h|scan_end|" + WHEN + "|", "scan_end names a host ('h')"),
        ("timestamps|||scan_end||", "time must be non-empty text on one line"),
    ],
)
def test_a_malformed_line_is_an_error_naming_it(line: str, problem: str) -> None:
    data = f"results|192.0.2|192.0.2.5|ssh (22/tcp)\n\n{line}\n".encode()
    with pytest.raises(NbeError) as caught:
        read_nbe(data)
    assert caught.value.line == 3
    assert str(caught.value).startswith("NBE line 3: ")
    assert problem in caught.value.problem


def test_bytes_that_are_not_utf8_survive_a_round_trip() -> None:
    data = b"results|x|h\xf4te|general/tcp|10|Security Note|caf\xe9\\n\n"
    results = read_nbe(data)
    assert results.findings[0].host == "h\udcf4te"
    assert write_nbe(results) == data.replace(b"|x|", b"|h\xf4te|")


# --- round trip ------------------------------------------------------------------------------

_TEXT = st.characters(codec="utf-8")
_FIELD = st.text(_TEXT.filter(lambda c: c not in "|\n\r"), min_size=1)
_WORDS = st.text(_TEXT.filter(lambda c: c != "|" and not c.isspace()), min_size=1)
_HOSTS = (
    st.sampled_from(
        ["127.0.0.1", "198.18.0.7", "2001:db8::1", "www.example.com", "aa.bb.cc.dd.ee.ff"]
    )
    | _WORDS
)
_PLUGIN_IDS = st.none() | _WORDS.filter(lambda w: w != "0")


@st.composite
def _timestamps(draw: st.DrawFn) -> Timestamp:
    kind = draw(st.sampled_from(TimestampKind))
    host = draw(_HOSTS) if kind.names_host else None
    return Timestamp(kind=kind, when=draw(_FIELD), host=host)


_EVENTS: st.SearchStrategy[Event] = st.one_of(
    _timestamps(),
    st.builds(OpenPort, host=_HOSTS, port=_FIELD),
    st.builds(
        Finding,
        host=_HOSTS,
        port=_FIELD,
        severity=st.sampled_from(Severity),
        text=st.text(_TEXT),
        plugin_id=_PLUGIN_IDS,
    ),
)


@given(st.lists(_EVENTS, max_size=8))
def test_every_nbe_record_reads_back_as_written(events: list[Event]) -> None:
    results = ScanResults(events=tuple(events))
    assert read_nbe(write_nbe(results)) == results


@given(st.text(_TEXT))
def test_unescaping_undoes_escaping(text: str) -> None:
    assert unescape_text(escape_text(text)) == text
