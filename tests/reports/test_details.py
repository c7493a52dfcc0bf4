"""A finding's text and port field taken apart, checked against the servers' own builders."""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from ixion.engine.context import report_text as ixion_report_text
from ixion.ntp.text import report_text as nessusd_report_text
from ixion.plugin_api.metadata import Category, PluginInfo
from ixion.plugin_api.qod import Qod, QodType
from ixion.reports.details import FindingDetails, PortDetails, finding_details, port_details
from tests.reports.hostile import HOSTILE_TEXT, HUGE_TEXT
from tests.reports.samples import SCAN_RESULTS


def _info(
    cve: tuple[str, ...] = (), bid: tuple[str, ...] = (), xrefs: tuple[str, ...] = ()
) -> PluginInfo:
    return PluginInfo(
        id=91000001,
        filename="check.py",
        name="A check",
        family="General",
        category=Category.GATHER_INFO,
        summary="Checks",
        description="The plugin's description.",
        cve=cve,
        bid=bid,
        xrefs=xrefs,
    )


# --- examples --------------------------------------------------------------------------------


def test_an_ixion_text_gives_every_part() -> None:
    info = _info(("CVE-2024-6387", "CVE-2006-5051"), ("68154",), ("URL:https://x.invalid/a,b",))
    text = ixion_report_text(info, "OpenSSH 9.2 is affected.", Qod.of(QodType.REMOTE_BANNER))
    assert finding_details(text) == FindingDetails(
        description="OpenSSH 9.2 is affected.",
        cves=("CVE-2024-6387", "CVE-2006-5051"),
        bids=("68154",),
        references=("URL:https://x.invalid/a,b",),
        qod=80,
        qod_type="remote_banner",
    )


def test_a_qod_without_a_type_has_no_type() -> None:
    details = finding_details(ixion_report_text(_info(), None, Qod(70)))
    assert (details.description, details.qod, details.qod_type) == (
        "The plugin's description.",
        70,
        None,
    )


def test_the_captured_nessusd_findings_have_cve_and_bid_lines_and_no_qod() -> None:
    details = [finding_details(f.text) for f in SCAN_RESULTS.findings]
    assert [d.description for d in details] == [
        "The remote web server banner is :\nServer: SimpleHTTP/0.6 Python/3.11.7",
        "Test finding: a Python SimpleHTTP server answers here.\\nRisk factor : Medium",
        "Test hole on 127.0.0.1\nRisk factor : High",
    ]
    assert {(d.cves, d.bids, d.qod) for d in details} == {(("CVE-1999-0001",), ("1",), None)}


def test_a_text_without_appended_lines_is_all_description() -> None:
    assert finding_details("just this\n") == FindingDetails(description="just this")
    assert finding_details("no final newline") == FindingDetails(description="no final newline")
    assert finding_details("") == FindingDetails(description="")


def test_a_crlf_text_is_read_and_loses_the_servers_line_end_only() -> None:
    text = "HTTP/1.1 200 OK\r\nServer: x\r\n\r\nCVE : CVE-1\r\nQuality of detection: 95%\r\n"
    assert finding_details(text) == FindingDetails(
        description="HTTP/1.1 200 OK\r\nServer: x\r\n", cves=("CVE-1",), qod=95
    )


def test_the_plugin_texts_own_crs_stay() -> None:
    text = ixion_report_text(_info(cve=("CVE-1",)), "Server: x\r\n", Qod(50))
    assert finding_details(text).description == "Server: x\r\n"


@pytest.mark.parametrize(
    "text",
    [
        "d\nQuality of detection: 101%\n",  # not a percentage
        "d\nQuality of detection: 80% (remote banner)\n",  # not a type word
        "d\nCVE : \n",  # nothing listed
        "d\nquality of detection: 80%\n",
    ],
)
def test_lines_that_only_look_appended_stay_in_the_description(text: str) -> None:
    assert finding_details(text).description == text.removesuffix("\n")


def test_appended_lines_out_of_order_end_the_appended_block() -> None:
    details = finding_details("d\nBID : 1\nCVE : CVE-1\n")
    assert (details.description, details.bids, details.cves) == ("d\nBID : 1", (), ("CVE-1",))
    details = finding_details("d\nQuality of detection: 80%\nCVE : CVE-1\n")
    assert (details.description, details.qod) == ("d\nQuality of detection: 80%", None)


def test_the_last_line_is_never_taken_for_an_appended_one() -> None:
    # The server's newline always follows the plugin's text: this is a text, not a CVE line.
    assert finding_details("CVE : CVE-1\n") == FindingDetails(description="CVE : CVE-1")


def test_hostile_texts_are_taken_apart_too() -> None:
    details = finding_details(HOSTILE_TEXT)
    assert details.description.startswith("<script>")
    assert details.description.endswith("\n")
    assert details.cves == ("CVE-2024-0001", "CVE-2024-0002")
    assert details.references == ("URL:http://a.invalid/?q=<b>&x=1", "CWE:79")
    assert finding_details(HUGE_TEXT).description == HUGE_TEXT[:-1]


# --- properties: the servers' own builders, read back ----------------------------------------

_LINE_TEXT = st.text(st.characters(exclude_characters="\n"), max_size=30)
# Entries as servers write them: no list separator, no line end, no surrounding blanks.
_ENTRY = st.text(st.characters(exclude_characters="\n\r"), min_size=1).filter(
    lambda entry: entry == entry.strip() and ", " not in entry
)
_ENTRIES = st.lists(_ENTRY, max_size=3).map(tuple)
_APPENDED_PREFIXES = ("CVE : ", "BID : ", "Other references : ", "Quality of detection:")


def _ends_like_an_appended_line(data: str) -> bool:
    last = data.rsplit("\n", 1)[-1].removesuffix("\r")
    return last.startswith(_APPENDED_PREFIXES)


@given(
    data=st.lists(_LINE_TEXT, min_size=1, max_size=4).map("\n".join),
    cve=_ENTRIES,
    bid=_ENTRIES,
    xrefs=_ENTRIES,
    qod=st.builds(Qod.of, st.none() | st.sampled_from(QodType), st.none() | st.integers(0, 100)),
)
def test_ixion_texts_read_back_into_their_parts(
    data: str, cve: tuple[str, ...], bid: tuple[str, ...], xrefs: tuple[str, ...], qod: Qod
) -> None:
    assume(not _ends_like_an_appended_line(data))
    text = ixion_report_text(_info(cve, bid, xrefs), data, qod)
    assert finding_details(text) == FindingDetails(
        description=data,
        cves=cve,
        bids=bid,
        references=xrefs,
        qod=qod.value,
        qod_type=qod.type_name or None,
    )


@given(data=st.text(), cve=_ENTRIES, bid=_ENTRIES, xrefs=_ENTRIES)
def test_nessusd_texts_read_back_into_their_parts(
    data: str, cve: tuple[str, ...], bid: tuple[str, ...], xrefs: tuple[str, ...]
) -> None:
    assume(not _ends_like_an_appended_line(data))
    text = nessusd_report_text(data, cve=cve, bid=bid, xref=xrefs)
    assert finding_details(text) == FindingDetails(
        description=data, cves=cve, bids=bid, references=xrefs
    )


@given(st.text())
def test_any_text_is_taken_apart_without_losing_its_description(text: str) -> None:
    details = finding_details(text)
    assert text.startswith(details.description.removesuffix("\r"))


# --- ports -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "ssh (22/tcp)",
            PortDetails(text="ssh (22/tcp)", service="ssh", number=22, protocol="tcp"),
        ),
        (
            "unknown (31337/udp)",
            PortDetails(
                text="unknown (31337/udp)", service="unknown", number=31337, protocol="udp"
            ),
        ),
        ("general/tcp", PortDetails(text="general/tcp", protocol="tcp", general=True)),
        ("general/icmp", PortDetails(text="general/icmp", protocol="icmp", general=True)),
        ("22", PortDetails(text="22", number=22)),  # NTP/1.0
        ("99999", PortDetails(text="99999")),
        ("ssh (99999/tcp)", PortDetails(text="ssh (99999/tcp)")),
        ("<b>x</b>", PortDetails(text="<b>x</b>")),
    ],
)
def test_port_fields_are_taken_apart(text: str, expected: PortDetails) -> None:
    assert port_details(text) == expected


@given(st.text(min_size=1))
def test_any_port_field_is_read_without_failing(text: str) -> None:
    parts = port_details(text)
    assert parts.text == text
    assert parts.number is None or 0 <= parts.number <= 65535
