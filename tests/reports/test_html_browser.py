"""The HTML report in a real browser: Debian's chromium, headless, driven by Playwright.

The page is opened from a file as a reader would open it. Every test watches the console,
uncaught errors, dialogs (an ``alert`` that a hostile banner managed to run would open one)
and requests (the page must fetch nothing but itself). Playwright starts the system's
``/usr/bin/chromium``; it downloads no browser of its own. As root, Chromium runs only
without its sandbox.

Without chromium (or Playwright) the tests are skipped, except under CI (``$CI`` set), where
that is a failure: ``scripts/test`` installs chromium.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, Protocol

import pytest

from ixion.reports import Finding, OpenPort, ScanResults, Severity, Timestamp, TimestampKind
from ixion.reports.html_report import write_html
from ixion.reports.results import PluginFacts
from tests.reports.hostile import HOSTILE_RESULTS

if TYPE_CHECKING:
    from collections.abc import Iterator

    from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Dialog, Page, Request

CHROMIUM = Path("/usr/bin/chromium")
WHEN = "Mon Dec  7 14:48:36 2026"
BANNER = "<script>alert(1)</script><img src=x onerror=alert(2)><svg onload=alert(3)>"
BREAKOUT = "</pre></div></li></ol><script>alert(4)</script>\"'><b onmouseover=alert(5)>x</b>"


def _note(host: str, port: str, plugin: str | None, text: str, severity: Severity) -> Finding:
    return Finding(host=host, port=port, severity=severity, text=text, plugin_id=plugin)


#: A scan of three hosts as ixion reports one, plus a host whose banners attack the page.
RESULTS = ScanResults(
    events=(
        Timestamp(kind=TimestampKind.SCAN_START, when=WHEN),
        OpenPort(host="192.0.2.10", port="http (80/tcp)"),
        OpenPort(host="192.0.2.10", port="snmp (161/udp)"),
        OpenPort(host="192.0.2.9", port="ssh (22/tcp)"),
        _note("192.0.2.10", "http (80/tcp)", "90000020", "nginx/1.22.1\n", Severity.NOTE),
        _note("192.0.2.10", "http (80/tcp)", "90000033", "Directory listing.\n", Severity.HOLE),
        _note("192.0.2.10", "snmp (161/udp)", "90000051", "public\n", Severity.WARNING),
        _note("192.0.2.9", "ssh (22/tcp)", "90000021", "OpenSSH_9.2p1\n", Severity.NOTE),
        _note("192.0.2.9", "ssh (22/tcp)", "90000024", "Weak MACs.\n", Severity.WARNING),
        _note("192.0.2.9", "general/tcp", None, "\nstarts with a newline\n", Severity.LOG),
        _note("mail.example", "smtp (25/tcp)", "90000010", "Postfix\n", Severity.NOTE),
        _note("mail.example", "smtp (25/tcp)", "90000052", "Open relay.\n", Severity.HOLE),
        _note("mail.example", "general/udp", "777", "debug\n", Severity.DEBUG),
        _note("192.0.2.66", f"x{BANNER}(80/tcp)", "66", f"{BANNER}\n{BREAKOUT}\n", Severity.HOLE),
        Timestamp(kind=TimestampKind.SCAN_END, when=WHEN),
    ),
    plugins=(
        PluginFacts(id="90000020", name="Web server banner", family="Web servers"),
        PluginFacts(id="90000033", name="Directory listing", family="Web servers"),
        PluginFacts(id="90000051", name="SNMP public community", family="SNMP"),
        PluginFacts(id="90000021", name="SSH version", family="Service detection"),
        PluginFacts(id="90000024", name="SSH weak algorithms", family="Misc."),
        PluginFacts(id="90000010", name="Services", family="Service detection"),
        PluginFacts(id="90000052", name="SMTP open relay", family="SMTP problems"),
        PluginFacts(
            id="66",
            name=f"Hostile {BANNER}",
            family=BREAKOUT,
            xrefs=("URL:javascript:alert(6)",),
            solution=BREAKOUT,
        ),
    ),
)


@dataclass
class Opened:
    """A report open in a page, and everything the page did that a test must see."""

    page: Page
    url: str
    console: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def assert_quiet(self) -> None:
        """No console message, error or dialog, and no request but for the page itself."""
        assert self.console == []
        assert self.errors == []
        assert self.dialogs == []
        assert self.requests == [self.url]

    def visible(self) -> list[str]:
        """The visible findings' severities, in page order."""
        found: list[str] = self.page.locator("#findings > li.finding:visible").evaluate_all(
            "items => items.map(item => item.dataset.severity)"
        )
        return found

    def column(self, name: str) -> list[str]:
        """A column of the visible findings' heads (``host``, ``port``, ``family``...)."""
        texts: list[str] = self.page.locator(
            f"#findings > li.finding:visible .f-{name}"
        ).all_text_contents()
        return texts


class OpenReport(Protocol):
    """Writes the report of these results to a file and opens it in a new page."""

    def __call__(self, results: ScanResults, *, script: bool = True) -> Opened: ...


def _unavailable(reason: str) -> NoReturn:
    message = f"browser tests need {reason}"
    if os.environ.get("CI"):
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Playwright (scripts/bootstrap dev)")
    if not CHROMIUM.exists():
        _unavailable(f"Debian's chromium at {CHROMIUM} (apt-get install chromium)")
    # Chromium refuses to run as root with its sandbox on.
    args = ["--no-sandbox"] if os.geteuid() == 0 else []
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=args)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def open_report(browser: Browser, tmp_path: Path) -> Iterator[OpenReport]:
    contexts: list[BrowserContext] = []

    def open_(results: ScanResults, *, script: bool = True) -> Opened:
        path = tmp_path / f"report-{len(contexts)}.html"
        path.write_bytes(write_html(results))
        context = browser.new_context(
            viewport={"width": 1280, "height": 900}, java_script_enabled=script
        )
        contexts.append(context)
        page = context.new_page()
        opened = Opened(page=page, url=path.as_uri())

        def on_dialog(dialog: Dialog) -> None:
            opened.dialogs.append(f"{dialog.type}: {dialog.message}")
            dialog.dismiss()

        def on_console(message: ConsoleMessage) -> None:
            opened.console.append(f"{message.type}: {message.text}")

        def on_request(request: Request) -> None:
            opened.requests.append(request.url)

        page.on("dialog", on_dialog)
        page.on("console", on_console)
        page.on("pageerror", lambda error: opened.errors.append(str(error)))
        page.on("request", on_request)
        page.goto(opened.url, wait_until="load")
        return opened

    yield open_
    for context in contexts:
        context.close()


def test_the_report_renders_quietly_with_its_script_running(
    open_report: OpenReport,
) -> None:
    report = open_report(RESULTS)
    # The script ran, so the policy's hash of it is right (a blocked one logs an error).
    assert report.page.evaluate("document.documentElement.classList.contains('js')")
    assert report.page.locator("#controls").is_visible()
    assert len(report.visible()) == len(RESULTS.findings)
    report.assert_quiet()


def test_the_counts_shown_are_the_records(
    open_report: OpenReport,
) -> None:
    report = open_report(RESULTS)
    page = report.page
    for severity in Severity:
        expected = str(RESULTS.count(severity))
        assert page.locator(f"[data-count='{severity.value}']").inner_text() == expected
        assert page.locator(f".chart .sev-{severity.value} .bar-count").text_content() == expected
    assert page.locator("[data-count='all']").inner_text() == str(len(RESULTS.findings))
    assert page.locator("#shown-count").inner_text() == str(len(RESULTS.findings))
    report.assert_quiet()


def test_severity_checkboxes_hide_and_show_findings(
    open_report: OpenReport,
) -> None:
    report = open_report(RESULTS)
    page = report.page
    page.locator("input[name=severity][value=hole]").uncheck()
    assert "hole" not in report.visible()
    assert len(report.visible()) == len(RESULTS.findings) - RESULTS.count(Severity.HOLE)
    assert page.locator("#shown-count").inner_text() == str(len(report.visible()))
    for severity in ("warning", "log", "debug"):
        page.locator(f"input[name=severity][value={severity}]").uncheck()
    assert report.visible() == ["note"] * RESULTS.count(Severity.NOTE)
    page.locator("input[name=severity][value=hole]").check()
    assert Counter(report.visible()) == {"note": 3, "hole": 3}
    report.assert_quiet()


def test_host_and_family_filters_keep_only_their_findings(
    open_report: OpenReport,
) -> None:
    report = open_report(RESULTS)
    page = report.page
    page.select_option("#filter-host", label="192.0.2.9")
    assert report.column("host") == ["192.0.2.9"] * 3
    page.select_option("#filter-family", label="Service detection")
    assert report.column("host") == ["192.0.2.9"]
    assert report.column("plugin") == ["SSH version"]
    page.select_option("#filter-host", label="all hosts")
    assert sorted(report.column("host")) == ["192.0.2.9", "mail.example"]
    page.select_option("#filter-family", label="unknown")
    assert report.column("host") == ["192.0.2.9", "mail.example"]  # no facts, and 777's
    page.locator("input[name=severity][value=log]").uncheck()
    assert report.column("host") == ["mail.example"]
    assert page.locator("#shown-count").inner_text() == "1"
    report.assert_quiet()


def test_sorting_reorders_the_findings(open_report: OpenReport) -> None:
    report = open_report(RESULTS)
    page = report.page
    ranks = ["hole", "warning", "note", "log", "debug"]
    severities = report.visible()
    assert severities == sorted(severities, key=ranks.index)  # the page is written so
    page.select_option("#sort-by", "arrival")
    assert report.column("host") == [f.host for f in RESULTS.findings]
    page.select_option("#sort-by", "host")
    hosts = report.column("host")
    assert list(dict.fromkeys(hosts)) == ["192.0.2.9", "192.0.2.10", "192.0.2.66", "mail.example"]
    page.select_option("#sort-by", "family")
    # By name, case aside: "<" comes before letters.
    assert report.column("family")[:3] == [BREAKOUT, "Misc.", "Service detection"]
    report.assert_quiet()


def test_findings_expand_and_collapse(open_report: OpenReport) -> None:
    report = open_report(RESULTS)
    page = report.page
    bodies = page.locator("#findings .finding-body")
    assert bodies.evaluate_all("bodies => bodies.filter(b => b.checkVisibility()).length") == 0
    head = page.locator("#findings > li.finding .finding-head").first
    head.click()
    assert head.get_attribute("aria-expanded") == "true"
    assert bodies.first.is_visible()
    page.click("#expand-all")
    assert all(body.is_visible() for body in bodies.all())
    page.click("#collapse-all")
    assert not any(body.is_visible() for body in bodies.all())
    report.assert_quiet()


def test_hostile_banners_render_as_text_and_run_nothing(
    open_report: OpenReport,
) -> None:
    report = open_report(RESULTS)
    page = report.page
    page.click("#expand-all")
    for head in page.locator(".finding-head").all():
        head.hover()
    page.select_option("#filter-family", label=BREAKOUT)
    hostile = page.locator("#findings > li.finding:visible")
    assert hostile.count() == 1
    description = hostile.locator("pre.description").text_content()
    assert description == f"{BANNER}\n{BREAKOUT}"
    assert hostile.locator("pre.solution").text_content() == BREAKOUT
    assert hostile.locator(".f-family").text_content() == BREAKOUT
    assert hostile.locator(".f-port").text_content() == f"x{BANNER}(80/tcp)"
    assert hostile.locator("a").count() == 0  # the javascript: reference is text
    elements = page.evaluate(
        """() => ({
            scripts: document.scripts.length,
            images: document.images.length,
            svgs: document.querySelectorAll('svg').length,
            handlers: [...document.querySelectorAll('*')].flatMap(
                e => [...e.attributes].filter(a => a.name.startsWith('on')).map(a => a.name)),
        })"""
    )
    assert elements == {"scripts": 1, "images": 0, "svgs": 1, "handlers": []}
    # A text's own first newline survives the one the parser drops after <pre>.
    page.select_option("#filter-family", label="unknown")
    first = page.locator("#findings > li.finding:visible pre.description").first
    assert first.text_content() == "\nstarts with a newline"
    report.assert_quiet()


def test_the_hostile_record_with_its_mebibyte_text_and_controls_renders_quietly(
    open_report: OpenReport,
) -> None:
    report = open_report(HOSTILE_RESULTS)
    page = report.page
    page.click("#expand-all")
    text = page.locator("#findings").inner_text()
    assert "NUL:\u2400 end" in text
    assert "\u241b[31mred" in text
    huge = page.locator("pre.description").nth(1).text_content()
    assert huge is not None
    assert len(huge) > 1_000_000
    report.assert_quiet()


def test_printing_shows_every_finding_expanded_and_no_controls(
    open_report: OpenReport,
) -> None:
    report = open_report(RESULTS)
    page = report.page
    page.locator("input[name=severity][value=note]").uncheck()
    page.emulate_media(media="print")
    assert not page.locator("#controls").is_visible()
    assert len(report.visible()) == len(RESULTS.findings)
    assert all(body.is_visible() for body in page.locator(".finding-body").all())
    page.emulate_media(media="screen")
    assert len(report.visible()) == len(RESULTS.findings) - RESULTS.count(Severity.NOTE)
    report.assert_quiet()


def test_without_script_every_finding_is_shown_expanded_and_no_dead_control(
    open_report: OpenReport,
) -> None:
    report = open_report(RESULTS, script=False)
    page = report.page
    assert not page.locator("#controls").is_visible()
    assert len(report.visible()) == len(RESULTS.findings)
    assert all(body.is_visible() for body in page.locator(".finding-body").all())
    report.assert_quiet()
