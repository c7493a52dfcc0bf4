"""NSR out and back in (spec §9.4), on the scan the nessus 2.2.5 client saw and on made-up ones."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from ixion.reports import (
    Event,
    Finding,
    HostsRejected,
    OpenPort,
    ScanResults,
    Severity,
    Timestamp,
    TimestampKind,
    read_nbe,
    write_nbe,
)
from ixion.reports.nbe import subnet
from ixion.reports.nsr import NsrError, read_nsr, write_nsr
from tests.reports.samples import SCAN_NBE, SCAN_RESULTS

WHEN = "Sun Nov  6 10:15:30 2005"
HOST = "192.0.2.5"
FTP_HOLE = Finding(
    host=HOST, port="ftp (21/tcp)", severity=Severity.HOLE, text="x\n", plugin_id="11111"
)


def _nsr(*events: Event) -> str:
    return write_nsr(ScanResults(events=events)).decode()


def _nsr_view(results: ScanResults) -> ScanResults:
    """What NSR keeps of a record, worked out from §9.4 without the module under test."""
    kept = [e for e in results.events if isinstance(e, OpenPort | Finding)]
    kept.sort(key=lambda e: subnet(e.host).encode("utf-8", "surrogateescape"))
    return ScanResults(
        events=tuple(
            replace(e, text=e.text.replace("\n", ";").removesuffix("\r").replace(";", "\n"))
            if isinstance(e, Finding)
            else e
            for e in kept
        )
    )


# --- writing ---------------------------------------------------------------------------------

#: The captured scan as nessus 2.2.5's writer lays it out, except for the order within the
#: subnet: nessus wrote those four lines bottom to top (see the module's docstring).
SCAN_NSR = (
    b"127.0.0.1|blackice-icecap (8081/tcp)\n"
    b"127.0.0.1|blackice-icecap (8081/tcp)|90002|NOTE|The remote web server banner is :;"
    b"Server: SimpleHTTP/0.6 Python/3.11.7;CVE : CVE-1999-0001;BID : 1;\n"
    b"127.0.0.1|blackice-icecap (8081/tcp)|90002|INFO|Test finding: a Python SimpleHTTP "
    b"server answers here.\\nRisk factor : Medium;CVE : CVE-1999-0001;BID : 1;\n"
    b"127.0.0.1|blackice-icecap (8081/tcp)|90002|REPORT|Test hole on 127.0.0.1;"
    b"Risk factor : High;CVE : CVE-1999-0001;BID : 1;\n"
)


def test_the_captured_scan_is_written_as_the_reference_clients_lines() -> None:
    assert write_nsr(read_nbe(SCAN_NBE)) == SCAN_NSR


def test_no_results_is_an_empty_file() -> None:
    assert write_nsr(ScanResults()) == b""


def test_an_open_port_has_two_fields() -> None:
    assert _nsr(OpenPort(host=HOST, port="ssh (22/tcp)")) == "192.0.2.5|ssh (22/tcp)\n"


@pytest.mark.parametrize(
    ("severity", "word"),
    [
        (Severity.HOLE, "REPORT"),
        (Severity.WARNING, "INFO"),
        (Severity.NOTE, "NOTE"),
        (Severity.LOG, "Log Message"),
        (Severity.DEBUG, "Debug Message"),
    ],
)
def test_a_finding_has_five_fields_and_its_type(severity: Severity, word: str) -> None:
    line = _nsr(replace(FTP_HOLE, severity=severity))
    assert line == f"192.0.2.5|ftp (21/tcp)|11111|{word}|x;\n"


def test_lf_becomes_a_semicolon_while_bars_semicolons_and_crs_stay() -> None:
    text = "banner:\r\nServer: a|b; c\\n\n"
    assert _nsr(replace(FTP_HOLE, text=text)).endswith("|REPORT|banner:\r;Server: a|b; c\\n;\n")


def test_a_finding_without_a_plugin_is_written_with_plugin_zero() -> None:
    assert _nsr(replace(FTP_HOLE, plugin_id=None)).split("|")[2] == "0"


def test_timestamps_and_rejected_hosts_have_no_nsr_line() -> None:
    assert (
        _nsr(
            Timestamp(kind=TimestampKind.SCAN_START, when=WHEN),
            Timestamp(kind=TimestampKind.HOST_START, when=WHEN, host=HOST),
            HostsRejected(hosts=("10.9.9.9",)),
        )
        == ""
    )


def test_lines_are_grouped_by_subnet_in_byte_order_and_keep_their_order_within() -> None:
    events = (
        OpenPort(host="www.example.org", port="www (80/tcp)"),
        OpenPort(host="10.0.0.9", port="ssh (22/tcp)"),
        replace(FTP_HOLE, host="192.0.2.7", text="first\n"),
        OpenPort(host="10.0.1.1", port="ssh (22/tcp)"),
        replace(FTP_HOLE, host="10.0.0.10", text="second\n"),
        OpenPort(host="192.0.2.5", port="ftp (21/tcp)"),
    )
    assert _nsr(*events).splitlines() == [
        "10.0.0.9|ssh (22/tcp)",
        "10.0.0.10|ftp (21/tcp)|11111|REPORT|second;",
        "10.0.1.1|ssh (22/tcp)",
        "192.0.2.7|ftp (21/tcp)|11111|REPORT|first;",
        "192.0.2.5|ftp (21/tcp)",
        "www.example.org|www (80/tcp)",
    ]


@pytest.mark.parametrize(
    ("event", "what"),
    [
        (OpenPort(host="a|b", port="ssh (22/tcp)"), "host"),
        (OpenPort(host=HOST, port="odd|port"), "port"),
        (replace(FTP_HOLE, plugin_id="1|2"), "plugin id"),
    ],
)
def test_a_bar_outside_the_text_cannot_be_written(event: Event, what: str) -> None:
    with pytest.raises(ValueError, match=rf"^NSR cannot carry a {what} containing '\|'"):
        _nsr(event)


# --- reading ---------------------------------------------------------------------------------


def test_the_captured_scan_reads_back_as_nsr_keeps_it() -> None:
    assert read_nsr(SCAN_NSR) == _nsr_view(SCAN_RESULTS)
    assert read_nsr(SCAN_NSR).count(Severity.HOLE) == 1


def test_an_empty_file_has_no_results() -> None:
    assert read_nsr(b"") == ScanResults()


def test_blank_lines_crlf_and_a_missing_final_newline_are_tolerated() -> None:
    data = b"\r\n192.0.2.5|ssh (22/tcp)\r\n\n192.0.2.5|ssh (22/tcp)|10330|NOTE|ssh;\r\nh|p"
    assert read_nsr(data).events == (
        OpenPort(host=HOST, port="ssh (22/tcp)"),
        Finding(
            host=HOST, port="ssh (22/tcp)", severity=Severity.NOTE, text="ssh\n", plugin_id="10330"
        ),
        OpenPort(host="h", port="p"),
    )


def test_the_older_writers_open_port_line_with_a_trailing_bar_is_an_open_port() -> None:
    assert read_nsr(b"192.0.2.5|www (80/tcp)|\n").events == (
        OpenPort(host=HOST, port="www (80/tcp)"),
    )


def test_semicolons_become_lines_and_bars_and_crs_stay_in_the_text() -> None:
    line = b"192.0.2.5|general/tcp|10287|INFO|a|b|c;d\r;e\\n\n"
    assert read_nsr(line).findings == (
        Finding(
            host=HOST,
            port="general/tcp",
            severity=Severity.WARNING,
            text="a|b|c\nd\r\ne\\n",
            plugin_id="10287",
        ),
    )


@pytest.mark.parametrize(
    ("word", "severity"),
    [
        ("REPORT", Severity.HOLE),
        ("INFO", Severity.WARNING),
        ("NOTE", Severity.NOTE),
        ("Log Message", Severity.LOG),
        ("Debug Message", Severity.DEBUG),
        # nessus' reader passed NBE words through, and they meant the same.
        ("Security Hole", Severity.HOLE),
        ("Security Warning", Severity.WARNING),
        ("Security Note", Severity.NOTE),
    ],
)
def test_each_type_reads_as_its_severity(word: str, severity: Severity) -> None:
    line = f"192.0.2.5|general/tcp|10287|{word}|t;\n".encode()
    assert read_nsr(line).findings[0].severity is severity


@pytest.mark.parametrize("plugin_id", ["", "0"])
def test_plugin_zero_or_none_reads_as_no_plugin(plugin_id: str) -> None:
    line = f"192.0.2.5|general/tcp|{plugin_id}|NOTE|t;\n".encode()
    assert read_nsr(line).findings[0].plugin_id is None


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("just a line", "a line has 2 fields (open port) or 5 (finding), not 1: 'just a line'"),
        ("h|p|10330", "a line has 2 fields (open port) or 5 (finding), not 3"),
        ("h|p|10330|NOTE", "a line has 2 fields (open port) or 5 (finding), not 4"),
        ("h|p|1|HOLE|text", "unknown type 'HOLE' (expected REPORT, INFO or NOTE)"),
        ("h|p|1|report|text", "unknown type 'report'"),
        ("|ssh (22/tcp)", "host must be one non-empty word: ''"),
        ("two words|ssh (22/tcp)", "host must be one non-empty word: 'two words'"),
        ("h|", "port must be non-empty text on one line: ''"),
        ("h|p|1 2|NOTE|t", "bad plugin id '1 2'"),
    ],
)
def test_a_malformed_line_is_an_error_naming_it(line: str, problem: str) -> None:
    data = f"192.0.2.5|ssh (22/tcp)\n\n{line}\n192.0.2.5|ssh (22/tcp)\n".encode()
    with pytest.raises(NsrError) as caught:
        read_nsr(data)
    assert caught.value.line == 3
    assert str(caught.value).startswith("NSR line 3: ")
    assert problem in caught.value.problem


def test_bytes_that_are_not_utf8_survive_a_round_trip() -> None:
    data = b"h\xf4te|general/tcp|10|NOTE|caf\xe9;\n"
    results = read_nsr(data)
    assert results.findings[0].host == "h\udcf4te"
    assert write_nsr(results) == data


@given(st.binary(max_size=200))
def test_any_bytes_read_as_results_or_as_an_nsr_error(data: bytes) -> None:
    lines = data.count(b"\n") + 1
    outcome: ScanResults | NsrError
    try:
        outcome = read_nsr(data)
    except NsrError as exc:
        outcome = exc
    if isinstance(outcome, NsrError):
        assert 1 <= outcome.line <= lines
    else:
        assert len(outcome.events) <= lines


# --- round trips -----------------------------------------------------------------------------

_TEXT = st.characters(codec="utf-8")
_FIELD = st.text(_TEXT.filter(lambda c: c not in "|\n\r"), min_size=1)
_WORDS = st.text(_TEXT.filter(lambda c: c != "|" and not c.isspace()), min_size=1)
_HOSTS = (
    st.sampled_from(
        ["127.0.0.1", "198.18.0.7", "198.18.1.7", "2001:db8::1", "www.example.com", "a.example"]
    )
    | _WORDS
)
#: Texts heavy in what NSR treats specially.
_TEXTS = st.text(st.sampled_from(";|\r\n\\") | _TEXT)


@st.composite
def _timestamps(draw: st.DrawFn) -> Timestamp:
    kind = draw(st.sampled_from(TimestampKind))
    host = draw(_HOSTS) if kind.names_host else None
    return Timestamp(kind=kind, when=draw(_FIELD), host=host)


_EVENTS: st.SearchStrategy[Event] = st.one_of(
    _timestamps(),
    st.builds(HostsRejected, hosts=st.lists(_HOSTS, max_size=2).map(tuple)),
    st.builds(OpenPort, host=_HOSTS, port=_FIELD),
    st.builds(
        Finding,
        host=_HOSTS,
        port=_FIELD,
        severity=st.sampled_from(Severity),
        text=_TEXTS,
        plugin_id=st.none() | _WORDS.filter(lambda w: w != "0"),
    ),
)


@given(st.lists(_EVENTS, max_size=10))
def test_nbe_to_nsr_to_a_record_keeps_what_nsr_keeps(events: list[Event]) -> None:
    from_nbe = read_nbe(write_nbe(ScanResults(events=tuple(events))))
    assert read_nsr(write_nsr(from_nbe)) == _nsr_view(from_nbe)


@given(st.lists(_EVENTS, max_size=10))
def test_writing_what_was_read_gives_the_same_file(events: list[Event]) -> None:
    assume(not any(f.text.endswith("\r") for f in events if isinstance(f, Finding)))
    nsr = write_nsr(ScanResults(events=tuple(events)))
    assert write_nsr(read_nsr(nsr)) == nsr


def test_a_surrogate_that_stands_for_no_byte_cannot_be_written() -> None:
    with pytest.raises(ValueError, match="surrogates not allowed"):
        _nsr(replace(FTP_HOLE, text="\ud800"))
