"""The HTML report's page as written: policy, structure, counts, and hostile report texts.

The page is parsed with lxml's HTML parser (libxml2), a parser of its own, so what is
checked here is what a parser makes of the bytes, not what the template meant.
``test_html_browser.py`` opens the same pages in Chromium.
"""

from __future__ import annotations

import base64
import hashlib
import re

import lxml.html
import pytest

from ixion.reports import Finding, OpenPort, ScanResults, Severity, Timestamp, TimestampKind
from ixion.reports.details import finding_details
from ixion.reports.html_report import shown, write_html
from ixion.reports.html_view import SORT_KEYS, reference_link
from ixion.reports.results import PluginFacts
from tests.reports.hostile import CONTROLS, HOSTILE_RESULTS, HUGE_TEXT, SCRIPT
from tests.reports.samples import SCAN_RESULTS

WHEN = "Sun Nov  6 10:15:30 2005"
Element = lxml.html.HtmlElement


def _page(results: ScanResults) -> Element:
    return lxml.html.document_fromstring(write_html(results))


def _as_browser_reads(text: str) -> str:
    """What an HTML parser leaves of a text: CRs become LFs (HTML's newline normalisation)."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _pre_text(element: Element) -> str:
    # The template writes a newline after <pre> for the parser to drop (HTML does; libxml2
    # keeps it).
    return str(element.text_content()).removeprefix("\n")


def _number(element: Element, attribute: str) -> int:
    value = element.get(attribute)
    assert value is not None, attribute
    return int(value)


def _findings(page: Element) -> list[Element]:
    return list(page.xpath("//li[contains(@class, 'finding')]"))


def _finding(host: str, severity: Severity, plugin_id: str | None = "10330", **kw: str) -> Finding:
    port = kw.pop("port", "ssh (22/tcp)")
    text = kw.pop("text", "Found it.\n")
    return Finding(host=host, port=port, severity=severity, text=text, plugin_id=plugin_id)


MIXED = ScanResults(
    events=(
        Timestamp(kind=TimestampKind.SCAN_START, when=WHEN),
        OpenPort(host="10.0.0.10", port="ssh (22/tcp)"),
        OpenPort(host="10.0.0.10", port="http (80/tcp)"),
        OpenPort(host="10.0.0.9", port="http (80/tcp)"),
        _finding("10.0.0.10", Severity.NOTE),
        _finding("10.0.0.10", Severity.HOLE, "11111", port="http (80/tcp)"),
        _finding("10.0.0.9", Severity.WARNING, "22222", port="http (80/tcp)"),
        _finding("web.example", Severity.LOG, None, port="general/tcp"),
        _finding("10.0.0.9", Severity.HOLE, "11111", port="http (80/tcp)"),
        _finding("2001:db8::1", Severity.DEBUG, "33333", port="general/udp"),
        Timestamp(kind=TimestampKind.SCAN_END, when="Sun Nov  6 10:20:00 2005"),
    ),
    plugins=(
        PluginFacts(id="10330", name="Services", family="Service detection"),
        PluginFacts(
            id="11111",
            name="Web server hole",
            family="Web servers",
            category="attack",
            cve=("CVE-2001-0550",),
            xrefs=("URL:https://example.org/advisory",),
            solution="Upgrade to 2.0.",
        ),
        PluginFacts(id="22222", name="Banner", family=""),
    ),
)


# --- the page as a whole -------------------------------------------------------------------


def test_the_policy_forbids_every_fetch_and_allows_only_the_pages_own_style_and_script() -> None:
    page = _page(MIXED)
    (meta,) = page.xpath("//meta[@http-equiv='Content-Security-Policy']")
    policy = {d.split()[0]: d.split()[1:] for d in str(meta.get("content")).split(";") if d.strip()}
    assert policy["default-src"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    assert policy["form-action"] == ["'none'"]
    for tag, directive in (("style", "style-src"), ("script", "script-src")):
        (element,) = page.xpath(f"//{tag}")
        digest = hashlib.sha256(str(element.text).encode()).digest()
        assert policy[directive] == [f"'sha256-{base64.b64encode(digest).decode()}'"]
    # The policy is in force before anything it governs is read.
    head = [e.tag for e in page.xpath("//head/*")]
    assert head.index("meta") < head.index("style")


def test_the_page_names_no_resource_to_load() -> None:
    data = write_html(HOSTILE_RESULTS)
    page = lxml.html.document_fromstring(data)
    assert not page.xpath("//*[@src or @srcset or @poster or @data or @action or @formaction]")
    assert not page.xpath("//link | //iframe | //object | //embed | //img | //base | //form")
    assert all(href.startswith(("https://", "http://")) for href in _hrefs(page))
    stylesheet = str(page.xpath("//style")[0].text)
    assert "url(" not in stylesheet
    assert "@import" not in stylesheet


def _hrefs(page: Element) -> list[str]:
    return [str(a.get("href")) for a in page.xpath("//*[@href]")]


def test_the_same_results_give_the_same_page() -> None:
    assert write_html(MIXED) == write_html(MIXED)
    assert write_html(HOSTILE_RESULTS) == write_html(HOSTILE_RESULTS)


def test_the_summary_counts_are_the_records() -> None:
    for results in (MIXED, SCAN_RESULTS, HOSTILE_RESULTS, ScanResults()):
        page = _page(results)
        counts = {
            e.get("data-count"): int(e.text_content()) for e in page.xpath("//*[@data-count]")
        }
        assert {s.value: counts[s.value] for s in Severity} == {
            s.value: results.count(s) for s in Severity
        }
        assert counts["all"] == len(results.findings)
        assert counts["hosts"] == len(results.reporting_hosts)
        assert counts["open-ports"] == len({(p.host, p.port) for p in results.open_ports})
        assert counts["rejected"] == len(results.rejected_hosts)
        # The chart draws a bar exactly for each severity that has findings.
        bars = {
            g.get("class").split()[1]: float(g.find("{*}rect").get("width"))
            for g in page.xpath("//*[local-name()='g']")
        }
        assert {s for s, width in bars.items() if width > 0} == {
            f"sev-{s.value}" for s in Severity if results.count(s)
        }


def test_hosts_are_listed_in_address_order_with_their_open_ports_and_counts() -> None:
    page = _page(MIXED)
    rows = page.xpath("//table[@class='hosts']/tbody/tr")
    cells = [[" ".join(str(td.text_content()).split()) for td in row.findall("td")] for row in rows]
    assert [c[0] for c in cells] == ["10.0.0.9", "10.0.0.10", "2001:db8::1", "web.example"]
    assert [li.text for li in rows[1].xpath("td[2]//li")] == ["ssh (22/tcp)", "http (80/tcp)"]
    assert cells[1][2:] == ["1", "0", "1", "0", "0"]
    assert cells[2][1] == "none reported"


def test_an_empty_scan_says_so_and_offers_no_controls() -> None:
    page = _page(ScanResults())
    assert not _findings(page)
    assert not page.xpath("//*[@id='controls']")
    assert "The scan reported no findings." in page.text_content()


# --- findings ------------------------------------------------------------------------------


def test_each_finding_shows_its_place_plugin_family_description_solution_and_detection() -> None:
    page = _page(MIXED)
    items = _findings(page)
    assert [i.get("data-severity") for i in items] == [f.severity.value for f in MIXED.findings]
    hole = items[1]
    facts = dict(
        zip(
            (str(dt.text_content()) for dt in hole.xpath(".//dt")),
            (" ".join(str(dd.text_content()).split()) for dd in hole.xpath(".//dd")),
            strict=True,
        )
    )
    assert facts == {
        "Host": "10.0.0.10",
        "Port": "http (80/tcp)",
        "Severity": "Hole",
        "Plugin": "Web server hole (id 11111)",
        "Family": "Web servers",
        "Detection": "quality of detection not stated; plugin category attack",
    }
    assert _pre_text(hole.xpath(".//pre[contains(@class, 'description')]")[0]) == "Found it."
    assert _pre_text(hole.xpath(".//pre[contains(@class, 'solution')]")[0]) == "Upgrade to 2.0."
    # Without facts: the plugin by id, family unknown, no solution.
    log = items[3]
    assert "no plugin named" in log.text_content()
    assert log.xpath(".//span[contains(@class, 'f-family')]")[0].text == "unknown"
    assert not log.xpath(".//pre[contains(@class, 'solution')]")
    # Facts without a family are filed as unknown too.
    assert items[2].xpath(".//span[contains(@class, 'f-family')]")[0].text == "unknown"


def test_quality_of_detection_is_how_it_was_detected() -> None:
    text = "Banner: x\nQuality of detection: 80% (remote_banner)\n"
    page = _page(ScanResults(events=(_finding("h", Severity.NOTE, text=text),)))
    (detection,) = page.xpath("//dd[@class='detection']")
    assert " ".join(str(detection.text_content()).split()) == (
        "quality of detection 80% by remote_banner"
    )


def test_filter_values_name_hosts_and_families_by_their_place_in_the_lists() -> None:
    page = _page(MIXED)
    hosts = [o.text for o in page.xpath("//select[@id='filter-host']/option")[1:]]
    families = [o.text for o in page.xpath("//select[@id='filter-family']/option")[1:]]
    assert hosts == ["10.0.0.9", "10.0.0.10", "2001:db8::1", "web.example"]
    assert families == ["Service detection", "Web servers", "unknown"]
    for item, finding in zip(_findings(page), MIXED.findings, strict=True):
        assert hosts[_number(item, "data-host")] == finding.host
        family = item.xpath(".//span[contains(@class, 'f-family')]")[0].text
        assert families[_number(item, "data-family")] == family


def test_each_sort_key_ranks_the_findings_in_its_order() -> None:
    items = _findings(_page(MIXED))
    for key in SORT_KEYS:
        ranks = [_number(i, f"data-by-{key}") for i in items]
        assert sorted(ranks) == list(range(len(items))), key
    by_severity = sorted(items, key=lambda i: _number(i, "data-by-severity"))
    order = [s.value for s in (Severity.HOLE, Severity.WARNING, Severity.NOTE)]
    assert [i.get("data-severity") for i in by_severity][:4] == [order[0], order[0], *order[1:]]
    by_host = sorted(items, key=lambda i: _number(i, "data-by-host"))
    assert [_number(i, "data-host") for i in by_host] == [0, 0, 1, 1, 2, 3]
    by_port = sorted(items, key=lambda i: _number(i, "data-by-port"))
    first_ports = [i.xpath(".//span[contains(@class, 'f-port')]")[0].text for i in by_port]
    assert first_ports[0] == "ssh (22/tcp)"
    assert first_ports[-2:] == ["general/tcp", "general/udp"]


@pytest.mark.parametrize(
    ("reference", "link"),
    [
        ("URL:https://example.org/a?b=1&c=2", "https://example.org/a?b=1&c=2"),
        ("URL:HTTP://EXAMPLE.ORG/", "HTTP://EXAMPLE.ORG/"),
        ("https://example.org/whole", "https://example.org/whole"),
        ("URL:javascript:alert(1)", None),
        ("URL:JavaScript://example.org/%0aalert(1)", None),
        ("URL:data:text/html,<script>alert(1)</script>", None),
        ("URL:http://exa mple.org/", None),
        ("URL:https://example.org/\x00", None),
        ("URL:http:///no-host", None),
        ("URL:http://[::1", None),
        ("OSVDB:123", None),
        ("CWE:79", None),
    ],
)
def test_only_http_urls_become_links(reference: str, link: str | None) -> None:
    assert reference_link(reference) == link


def test_references_come_from_the_text_and_the_plugin_once_each() -> None:
    text = (
        "Hole.\nCVE : CVE-2001-0550, not-a-cve\nBID : 3581\n"
        "Other references : URL:javascript:alert(1), URL:https://example.org/advisory\n"
    )
    finding = _finding("h", Severity.HOLE, "11111", text=text)
    page = _page(ScanResults(events=(finding,), plugins=MIXED.plugins))
    refs = page.xpath("//ul[@class='refs']/li")
    shown_refs = [(str(li.text_content()), [a.get("href") for a in li.iter("a")]) for li in refs]
    assert shown_refs == [
        ("CVE-2001-0550", ["https://www.cve.org/CVERecord?id=CVE-2001-0550"]),
        ("not-a-cve", []),
        ("BID:3581", []),
        ("URL:javascript:alert(1)", []),
        ("URL:https://example.org/advisory", ["https://example.org/advisory"]),
    ]
    assert all(a.get("rel") == "noopener noreferrer" for a in page.xpath("//ul//a"))


# --- hostile texts -------------------------------------------------------------------------


def test_hostile_texts_are_text_everywhere() -> None:
    data = write_html(HOSTILE_RESULTS)
    page = lxml.html.document_fromstring(data)
    # One script, the page's own; no markup of the report's became an element or attribute.
    (script,) = page.xpath("//script")
    assert "alert" not in str(script.text)
    assert data.count(b"</script>") == 1
    assert b"<img" not in data
    assert b"<b>" not in data
    assert not [
        (e.tag, name) for e in page.iter() for name in e.attrib if name.lower().startswith("on")
    ]
    (hole, *_) = _findings(page)
    description = hole.xpath(".//pre[contains(@class, 'description')]")[0]
    expected = finding_details(HOSTILE_RESULTS.findings[0].text).description
    assert _pre_text(description) == _as_browser_reads(str(shown(expected)))
    assert SCRIPT in hole.xpath(".//span[contains(@class, 'f-host')]")[0].text
    assert "<img src=x onerror=alert(1)>" in _pre_text(description)
    solution = hole.xpath(".//pre[contains(@class, 'solution')]")[0]
    assert _pre_text(solution) == f"Upgrade.\n{SCRIPT}"
    # The references' markup is text, and the plugin's xref with markup is not a link twice.
    assert "URL:http://a.invalid/?q=<b>&x=1" in page.xpath("//ul[@class='refs']")[0].text_content()


def test_no_control_character_reaches_the_page_and_each_is_shown_by_a_stand_in() -> None:
    data = write_html(HOSTILE_RESULTS)
    text = data.decode("utf-8")  # strict: lone surrogates did not pass either
    assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]", text)
    for c in "\x00\x01\x1b\x1f":
        assert chr(0x2400 + ord(c)) in text
    assert "\u2421" in text  # DEL
    assert "h\ufffdte" in text  # a host name that was not UTF-8
    assert shown(CONTROLS) == (
        "".join(c if c in "\t\r" else chr(0x2400 + ord(c)) for c in CONTROLS[:31])
        + "\u2421\ufffd\ufffd\u2028\u2029"
    )


def test_a_mebibyte_text_is_all_there() -> None:
    page = _page(HOSTILE_RESULTS)
    huge = _findings(page)[1].xpath(".//pre[contains(@class, 'description')]")[0]
    expected = _as_browser_reads(str(shown(HUGE_TEXT.removesuffix("\n"))))
    assert _pre_text(huge) == expected


def test_unicode_is_kept_as_it_is() -> None:
    text = "Ünïcödé ✓ 漢字 שלום 🦊 \u202eevil\u202c\n"
    finding = _finding("Ωmega.example", Severity.NOTE, text=text)
    page = _page(ScanResults(events=(finding,)))
    assert page.xpath("//span[contains(@class, 'f-host')]")[0].text == "Ωmega.example"
    (description,) = page.xpath("//pre[contains(@class, 'description')]")
    assert _pre_text(description) == text.removesuffix("\n")


def test_shown_leaves_markup_and_non_text_alone() -> None:
    from markupsafe import Markup

    assert shown(Markup("\x00<b>")) == Markup("\x00<b>")
    assert shown(7) == 7
    assert shown(None) is None
