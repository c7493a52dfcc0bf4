"""Make ``docs/report-screenshot.png``: the HTML report of a netlab scan, as Chromium shows it.

Run from the repository, with the netlab up::

    scripts/lab scan -o /tmp/lab.nbe
    .venv/bin/python docs/screenshot.py /tmp/lab.nbe

An NBE file holds no plugin facts; the built-in plugins' own descriptions give them (names
and families), as the server's PLUGIN_LIST gives them to the client during a scan. The page
is opened from a file in Debian's chromium, the first security hole expanded, and the top of
the page kept.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

from playwright.sync_api import sync_playwright

from ixion.engine.loader import builtin_origins, load_plugins
from ixion.reports import ScanResults, read_nbe
from ixion.reports.collect import plugin_facts
from ixion.reports.html_report import write_html
from ixion.server.offer import plugin_record

DOCS = Path(__file__).resolve().parent
CHROMIUM = "/usr/bin/chromium"
#: Wide enough for the findings' columns, tall enough for the summary, hosts and a finding.
WIDTH, HEIGHT = 1280, 1800


def with_builtin_facts(results: ScanResults) -> ScanResults:
    """The results with the facts of every built-in plugin that reported something."""
    reported = {f.plugin_id for f in results.findings}
    records = (plugin_record(p.info) for p in load_plugins(builtin_origins()).all)
    facts = [f for r in records if r.id in reported and (f := plugin_facts(r)) is not None]
    return replace(results, plugins=tuple(facts))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("nbe", type=Path, help="the scan's NBE report (scripts/lab scan -o)")
    parser.add_argument("-o", "--output", type=Path, default=DOCS / "report-screenshot.png")
    args = parser.parse_args()
    results = with_builtin_facts(read_nbe(args.nbe.read_bytes()))
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as playwright:
        page_file = Path(tmp) / "report.html"
        page_file.write_bytes(write_html(results))
        # Chromium refuses to run as root with its sandbox on.
        sandbox = ["--no-sandbox"] if os.geteuid() == 0 else []
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=sandbox)
        page = browser.new_page(viewport={"width": WIDTH, "height": HEIGHT})
        page.goto(page_file.as_uri())
        page.locator("#findings > li.finding .finding-head").first.click()
        page.screenshot(path=args.output)
        browser.close()
    print(f"{args.output}: {args.output.stat().st_size} bytes", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
