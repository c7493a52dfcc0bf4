"""http_listing, http_trace and http_put against real nginx and Apache, a liar, and the netlab.

nginx on a plain and a TLS port as the netlab configures it (weak: autoindex on ``/files/``
and ``/uploads/``, WebDAV PUT and DELETE on ``/uploads/``; hardened: neither), Apache with
``TraceEnable On`` and ``Off``, and a fake server that answers PUT ``201 Created`` but
stores nothing.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from ixion.engine.events import Severity
from ixion.plugins._http import candidates, directory_links, parse_head
from ixion.plugins.http_listing import entries, is_listing
from ixion.plugins.http_trace import echoed
from tests.lab import LOOPBACK
from tests.netlab.fixture import NetLab

from .helpers import Outcome
from .lab_truth import false_alarms, missed, serious
from .real_daemons import Pki, Running, apache, make_pki, nginx, scan

HTTP_TRACE, HTTP_PUT, HTTP_LISTING = 90000032, 90000033, 90000034
HTTP_IDS = (HTTP_TRACE, HTTP_PUT, HTTP_LISTING)
HTTP_PLUGINS = ("tcp_scanner", "find_service", "http_listing", "http_trace", "http_put")
PUT_OFF = {"HTTP PUT allowed: anyone can upload files[checkbox]:Upload a test file": "no"}


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def weak(pki: Pki) -> Iterator[tuple[Running, Running]]:
    with nginx(weak=True, pki=pki) as web, apache(trace=True) as traced:
        yield web, traced


@pytest.fixture(scope="module")
def weak_scan(weak: tuple[Running, Running]) -> Outcome:
    web, traced = weak
    return scan([*web.ports.values(), traced.ports["http"]], HTTP_PLUGINS)


# --- the weak servers ---------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["http", "https"])
def test_listings_are_found_in_clear_and_through_tls(
    weak_scan: Outcome, weak: tuple[Running, Running], role: str
) -> None:
    port = weak[0].ports[role]
    [finding] = weak_scan.findings(port=port, plugin_id=HTTP_LISTING)
    assert finding.severity is Severity.WARNING
    assert (finding.qod, finding.qod_type) == (95, "remote_active")
    scheme = "https" if role == "https" else "http"
    assert (
        "to anyone (directory listing):\n\n"
        f"  {scheme}://127.0.0.1:{port}/files/\n      readme.txt\n\n"
        f"  {scheme}://127.0.0.1:{port}/uploads/\n      (empty)\n\n"
    ) in finding.text
    assert "\nSolution: turn automatic directory indexes off" in finding.text
    assert set(weak_scan.values(f"www/{port}/listing")) == {"/files/", "/uploads/"}


@pytest.mark.parametrize("role", ["http", "https"])
def test_put_is_confirmed_and_cleaned_up(
    weak_scan: Outcome, weak: tuple[Running, Running], role: str
) -> None:
    web = weak[0]
    port = web.ports[role]
    [finding] = weak_scan.findings(port=port, plugin_id=HTTP_PUT)
    assert finding.severity is Severity.HOLE
    assert (finding.qod, finding.qod_type) == (99, "remote_vul")
    assert finding.text.startswith(
        "The web server let ixion upload files with PUT; reading each back with GET "
        "returned exactly what was written:\n"
        f"  {'https' if role == 'https' else 'http'}://127.0.0.1:{port}/uploads/ixion-put-test-"
    )
    assert "(PUT: 201; deleted again)\n" in finding.text
    assert "\nSolution: disable PUT" in finding.text
    assert list((web.directory / "www" / "uploads").iterdir()) == []  # nothing left behind


def test_trace_is_found_where_it_is_echoed_only(
    weak_scan: Outcome, weak: tuple[Running, Running]
) -> None:
    web, traced = weak
    port = traced.ports["http"]
    [finding] = weak_scan.findings(port=port, plugin_id=HTTP_TRACE)
    assert finding.severity is Severity.WARNING
    assert (finding.qod, finding.qod_type) == (99, "remote_vul")
    assert finding.text.startswith("The web server answers TRACE requests by echoing them: ")
    assert "came back with status 200 (Content-Type: message/http)" in finding.text
    assert "\n\nSolution: disable TRACE (Apache: 'TraceEnable Off';" in finding.text
    assert weak_scan.findings(port=web.ports["http"], plugin_id=HTTP_TRACE) == []  # nginx: 405
    assert weak_scan.findings(port=port, plugin_id=HTTP_LISTING) == []  # Options None


def test_put_can_be_turned_off(weak: tuple[Running, Running]) -> None:
    web = weak[0]
    outcome = scan(web.ports.values(), HTTP_PLUGINS, preferences=PUT_OFF)
    assert outcome.findings(plugin_id=HTTP_PUT) == []
    assert outcome.findings(plugin_id=HTTP_LISTING) != []


# --- the hardened servers -----------------------------------------------------------------------


def test_hardened_servers_are_not_flagged(pki: Pki) -> None:
    with nginx(weak=False, pki=pki) as web, apache(trace=False) as quiet:
        outcome = scan([*web.ports.values(), quiet.ports["http"]], HTTP_PLUGINS)
    assert len(outcome.values("Services/www")) == 3
    assert serious(outcome, HTTP_IDS) == []


# --- a server that says it stored the file, and did not -----------------------------------------


class _Liar(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self._answer(200 if self.path == "/" else 404, b"<html>nothing here</html>")

    def do_PUT(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self._answer(201, b"")

    def do_DELETE(self) -> None:
        self._answer(405, b"")

    def _answer(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the stdlib's name)
        """Quiet."""


@pytest.fixture
def liar() -> Iterator[int]:
    server = ThreadingHTTPServer((LOOPBACK, 0), _Liar)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1})
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_an_unconfirmed_put_is_a_low_confidence_warning(liar: int) -> None:
    outcome = scan([liar], HTTP_PLUGINS)
    [finding] = outcome.findings(plugin_id=HTTP_PUT)
    assert finding.severity is Severity.WARNING
    assert (finding.qod, finding.qod_type) == (50, "remote_probe")  # below the default min_qod
    assert finding.text.startswith(
        "The web server accepted PUT requests, but the files could not be read back"
    )
    assert f"  http://127.0.0.1:{liar}/ixion-put-test-" in finding.text
    assert "(PUT: 201; could NOT be deleted: please remove it)" in finding.text
    assert outcome.get(f"www/{liar}/PUT") is None


# --- the parts ---------------------------------------------------------------------------------

APACHE_INDEX = (
    b"<!DOCTYPE HTML><html><head><title>Index of /pub</title></head><body><h1>Index of /pub</h1>"
    b'<table><tr><th><a href="?C=N;O=D">Name</a></th></tr><tr><td><a href="/">Parent '
    b'Directory</a></td></tr><tr><td><a href="notes.txt">notes.txt</a></td></tr>'
    b'<tr><td><a href="old/">old/</a></td></tr></table></body></html>'
)


@pytest.mark.parametrize(
    ("page", "listing"),
    [
        (APACHE_INDEX, True),
        (b"<html><head><title>Index of /files/</title></head><body>", True),
        (b"<title>Directory listing for /x/</title>", True),
        (b"<pre><A HREF='/'>[To Parent Directory]</A><br>", True),
        (b"<title>Directory Listing For [/]</title>", True),
        (b"<html><title>Welcome</title><p>Index of /files/ is elsewhere</p>", False),
        (b"", False),
    ],
)
def test_what_is_a_listing(page: bytes, listing: bool) -> None:
    assert is_listing(page) is listing


def test_the_entries_of_a_listing() -> None:
    assert entries(APACHE_INDEX) == ["notes.txt", "old/"]


def test_linked_directories() -> None:
    page = (
        b'<a href="/files/">f</a> <a href=docs/guide.html>d</a> <a href="https://x.test/a/">x</a>'
        b' <a href="//y.test/b/">y</a> <a href="/search/?q=1">s</a> <a href="../up/">u</a>'
        b' <a href="/files/again">f2</a> <a href="#top">t</a> <a href="index.html">i</a>'
    )
    assert directory_links(page) == ["/files/", "/docs/", "/up/"]  # ../up/ from / is /up/
    assert candidates(["/docs/", "/files/"])[:4] == ["/", "/docs/", "/files/", "/uploads/"]


def test_parse_head() -> None:
    head = b"HTTP/1.1 200 OK\r\nAllow: GET\r\nallow: PUT\r\nX: a:b\r\n\r\n"
    assert parse_head(head) == (200, {"allow": "GET, PUT", "x": "a:b"})
    assert parse_head(b"SSH-2.0-x\r\n\r\n") is None


def test_echoed() -> None:
    body = b"TRACE / HTTP/1.1\r\nHost: h\r\nx-ixion-probe: abc\r\n\r\n"
    assert echoed(body, "abc")
    assert not echoed(body, "abd")
    assert not echoed(b"X-Ixion-Probe: abcdef\r\n", "abc")


# --- the netlab --------------------------------------------------------------------------------

HTTP_WEAKNESSES = ("http-dir-listing", "http-put", "http-trace")


@pytest.fixture(scope="module")
def lab_scans(netlab: NetLab) -> dict[str, Outcome]:
    return {
        name: scan([80, 443, 8080], HTTP_PLUGINS, host=address, address=address)
        for name, address in (("weak", netlab.weak), ("hardened", netlab.hardened))
    }


def test_netlab_weak_web_is_found_as_the_ground_truth_says(
    netlab: NetLab, lab_scans: dict[str, Outcome]
) -> None:
    truth = netlab.host_truth("weak")
    assert missed(lab_scans["weak"], truth, HTTP_WEAKNESSES, HTTP_IDS) == []
    assert false_alarms(lab_scans["weak"], truth, HTTP_IDS) == []
    # PUT and listings on both nginx ports, TRACE on Apache's alone.
    assert {f.port for f in lab_scans["weak"].findings(plugin_id=HTTP_PUT)} == {80, 443}
    assert {f.port for f in lab_scans["weak"].findings(plugin_id=HTTP_LISTING)} == {80, 443}
    assert {f.port for f in lab_scans["weak"].findings(plugin_id=HTTP_TRACE)} == {8080}


def test_netlab_hardened_web_is_not_flagged(netlab: NetLab, lab_scans: dict[str, Outcome]) -> None:
    outcome = lab_scans["hardened"]
    assert len(outcome.values("Services/www")) == 3
    assert serious(outcome, HTTP_IDS) == []
    assert false_alarms(outcome, netlab.host_truth("hardened"), HTTP_IDS) == []
