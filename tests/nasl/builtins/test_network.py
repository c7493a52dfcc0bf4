"""Socket, host, HTTP and protocol built-ins against the lab's real services on 127.0.0.1.

Every script here connects only to ports a lab service in the same test opened (or, for
the closed-port case, to a port a test socket holds bound but not listening).
"""

from __future__ import annotations

import socket
from typing import TYPE_CHECKING

import pytest

from ixion.nasl.interpreter import Interpreter
from ixion.nasl.network.host import Report
from ixion.nasl.network.sockets import SocketConnection, TargetHost, resolve_target
from ixion.nasl.runtime.kb import MemoryKB
from ixion.nasl.runtime.limits import Limits
from ixion.nasl.syntax.errors import NaslRuntimeError
from ixion.nasl.syntax.parser import parse
from tests.lab import BannerService, FtpService, HttpService, HttpsService, SmtpService
from tests.nasl.harness import Transcript

if TYPE_CHECKING:
    from collections.abc import Iterator

    from ixion.nasl.network.host import Transport
    from ixion.nasl.runtime.kb import KbValue
    from ixion.nasl.runtime.run import Call


def run(
    source: bytes,
    *,
    kb: list[tuple[str, KbValue]] | None = None,
    names: tuple[str, ...] = (),
    preferences: dict[str, bytes] | None = None,
) -> tuple[bytes, list[Report]]:
    """Run ``source`` against 127.0.0.1: its transcript and its reports."""
    reports: list[Report] = []
    transcript = Transcript()
    Interpreter(
        kb=MemoryKB(kb or []),
        host=TargetHost("127.0.0.1", names, on_report=reports.append),
        output=transcript.output,
        diagnostics=transcript.diagnostic,
        preferences=preferences,
    ).run(parse(source), source=source)
    return bytes(transcript.data), reports


@pytest.fixture(scope="module")
def http() -> Iterator[HttpService]:
    with HttpService() as service:
        yield service


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A loopback port that is bound (so nobody else takes it) but refuses connections."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        yield holder.getsockname()[1]


def test_http_get_over_a_tcp_socket_reads_the_lab_page(http: HttpService) -> None:
    source = b"""
        soc = open_sock_tcp(%d);
        send(socket: soc, data: http_get(item: "/", port: %d));
        status = recv_line(socket: soc, length: 1024);
        display(status);
        body = recv(socket: soc, length: 65536, min: 65536, timeout: 2);
        if ("ixion lab" >< body) display("found\\n");
        display(socket_get_error(soc), "\\n");
        close(soc);
    """ % (http.port, http.port)
    out, _ = run(source)
    assert out == b"HTTP/1.0 200 OK\r\nfound\n0\n"


def test_open_sock_tcp_to_a_closed_port_is_null(closed_port: int) -> None:
    out, _ = run(b"soc = open_sock_tcp(%d, timeout: 2); display(isnull(soc));" % closed_port)
    assert out == b"1"


def test_encaps_auto_follows_the_kb_transport_to_tls() -> None:
    with HttpsService() as https:
        source = b"""
            soc = open_sock_tcp(%d);
            send(socket: soc, data: http_head(item: "/", port: %d));
            display(recv_line(socket: soc, length: 100));
            display(get_port_transport(%d), " ", get_port_transport(%d, asstring: TRUE));
        """ % ((https.port,) * 4)
        out, _ = run(source, kb=[(f"Transports/TCP/{https.port}", 2)])
    assert out == b"HTTP/1.0 200 OK\r\n2 SSLv23"


def test_source_port_and_udp_sockets(http: HttpService) -> None:
    source = b"""
        soc = open_sock_tcp(%d);
        display(get_source_port(soc) > 0, "\\n");
        u = open_sock_udp(%d);
        display(send(socket: u, data: "ping"), " ", u > soc, "\\n");
        close(u); close(soc); close(soc);
    """ % (http.port, http.port)
    out, _ = run(source)
    assert out == b"1\n4 1\n!! warning: <script>:6: close: 1000000 is not an open socket\n"


def test_recv_of_zero_bytes_is_null_and_quiet_a_negative_length_warns(http: HttpService) -> None:
    """As the C interpreter: NULL for both; zero is how http_keepalive.inc reads the last
    chunk of a chunked body, so only the script's mistake is a warning."""
    source = b"""
        soc = open_sock_tcp(%d);
        display(isnull(recv(socket: soc, length: 0)), "\\n");
        display(isnull(recv(socket: soc, length: -1)), "\\n");
        close(soc);
    """ % (http.port,)
    out, _ = run(source)
    assert out == b"1\n!! warning: <script>:4: recv: length must be positive\n1\n"


def test_every_socket_is_closed_when_the_script_ends(http: HttpService) -> None:
    captured: list[SocketConnection] = []

    class Counting(TargetHost):
        def connect_tcp(
            self, port: int, *, timeout: float, transport: Transport
        ) -> SocketConnection:
            connection = super().connect_tcp(port, timeout=timeout, transport=transport)
            captured.append(connection)
            return connection

    source = b"a = open_sock_tcp(%d); b = open_sock_tcp(%d); while (1) ;" % (http.port, http.port)
    with pytest.raises(NaslRuntimeError, match="step budget"):
        Interpreter(host=Counting("127.0.0.1"), limits=Limits(max_steps=100)).run(parse(source))
    assert len(captured) == 2
    assert all(getattr(connection, "_closed") for connection in captured)  # noqa: B009


def test_the_socket_cap_refuses_more_sockets(http: HttpService) -> None:
    source = b"for (i = 0; i < 3; i++) display(isnull(open_sock_tcp(%d)));" % http.port
    transcript = Transcript()
    Interpreter(
        host=TargetHost("127.0.0.1"),
        limits=Limits(max_sockets=2),
        output=transcript.output,
        diagnostics=transcript.diagnostic,
    ).run(parse(source), source=source)
    assert bytes(transcript.data) == (
        b"00\n!! warning: <script>:1: too many open sockets (max_sockets=2)\n1"
    )


def test_port_states_come_from_the_kb() -> None:
    source = b"""
        display(get_port_state(80), get_tcp_port_state(81), get_udp_port_state(53), "\\n");
        display(get_host_open_port(), "\\n");
    """
    assert run(source)[0] == b"111\n0\n"
    kb: list[tuple[str, KbValue]] = [
        ("Host/scanned", 1),
        ("Ports/tcp/80", 1),
        ("Ports/tcp/22", 1),
        ("Host/udp_scanned", 1),
    ]
    assert run(source, kb=kb)[0] == b"100\n22\n"


def test_host_identity_builtins() -> None:
    source = b"""
        display(get_host_ip(), " ", get_host_name(), " ", max_index(get_host_names()), "\\n");
        display(this_host(), " ", islocalhost(), islocalnet(), TARGET_IS_IPV6(), "\\n");
        display(typeof(this_host_name()), "\\n");
    """
    assert run(source)[0] == b"127.0.0.1 127.0.0.1 1\n127.0.0.1 110\nstring\n"
    named = b'names = get_host_names(); display(get_host_name(), " ", names[0]);'
    assert run(named, names=("lab.ixion.test",))[0] == b"lab.ixion.test lab.ixion.test"


def test_resolve_target_accepts_addresses_and_names() -> None:
    assert resolve_target("127.0.0.1").names == ()
    assert resolve_target("localhost").address in ("127.0.0.1", "::1")


def test_http_requests_are_built_as_c_builds_them() -> None:
    agent = b"Mozilla/5.0 [en] (X11, U; OpenVAS-VT 23.50.20)"
    out, _ = run(b'display(http_get(item: "/a", port: 8080));', names=("www.test",))
    assert out == (
        b"GET /a HTTP/1.1\r\nConnection: Close\r\nHost: www.test:8080\r\nPragma: no-cache\r\n"
        b"Cache-Control: no-cache\r\nUser-Agent: " + agent + b"\r\nAccept: image/gif, "
        b"image/x-xbitmap, image/jpeg, image/pjpeg, image/png, */*\r\nAccept-Language: en\r\n"
        b"Accept-Charset: iso-8859-1,*,utf-8\r\n\r\n"
    )
    post = b'display(http_post(item: "/f", port: 80, data: "a=1"));'
    out, _ = run(post, kb=[("http/80", 10), ("http/auth", b"Authorization: Basic eA==")])
    assert out == b"POST /f HTTP/1.0\r\nAuthorization: Basic eA==\r\nContent-Length: 3\r\n\r\na=1"
    out, _ = run(
        b'display(http_head(item: "/", port: 443));',
        preferences={"HTTP User-Agent": b"ixion-test"},
    )
    assert b"\r\nHost: 127.0.0.1\r\n" in out
    assert b"\r\nUser-Agent: ixion-test\r\n" in out
    assert run(b"display(cgibin());")[0] == b"/cgi-bin:/scripts"
    assert b"usage: http_*" in run(b'http_get(item: "/");')[0]


def test_ftp_login_and_passive_port() -> None:
    with FtpService(anonymous=True) as ftp:
        source = b"""
            soc = open_sock_tcp(%d);
            display(ftp_log_in(socket: soc, user: "anonymous", pass: "a@b.c"), "\\n");
            display(ftp_get_pasv_port(socket: soc) > 0, "\\n");
            close(soc);
            soc = open_sock_tcp(%d);
            display(ftp_log_in(socket: soc, user: "nobody", pass: "wrong"), "\\n");
        """ % (ftp.port, ftp.port)
        assert run(source)[0] == b"1\n1\n0\n"


def test_telnet_init_refuses_options_and_returns_the_banner() -> None:
    iac_do_echo, iac_will_sga = b"\xff\xfd\x01", b"\xff\xfb\x03"
    with BannerService(iac_do_echo + iac_will_sga + b"Welcome\r\n") as telnet:
        source = b"soc = open_sock_tcp(%d); display(telnet_init(soc));" % telnet.port
        assert run(source)[0] == b"Welcome\r\n"


def test_smtp_banner_with_recv_line() -> None:
    with SmtpService() as smtp:
        source = (
            b"""
            soc = open_sock_tcp(%d);
            line = recv_line(socket: soc, length: 512);
            display(substr(line, 0, 2), "\\n");
            send(socket: soc, data: 'QUIT\\r\\n');
            display(substr(recv_line(socket: soc, length: 512), 0, 2), "\\n");
        """
            % smtp.port
        )
        assert run(source)[0] == b"220\n221\n"


def test_denial_checks_the_remembered_port_again(http: HttpService) -> None:
    source = b"start_denial(); display(end_denial());"
    kb: list[tuple[str, KbValue]] = [("Host/scanned", 1), (f"Ports/tcp/{http.port}", 1)]
    assert run(source, kb=kb)[0] == b"1"


def test_denial_sees_a_port_that_stopped_answering() -> None:
    with HttpService() as service:
        port = service.port
        kb: list[tuple[str, KbValue]] = [("Host/scanned", 1), (f"Ports/tcp/{port}", 1)]
        service_ref = [service]

        # start_denial runs while the service is up; a user function stops it in between.
        source = b"start_denial(); stop(); display(end_denial());"
        reports: list[Report] = []
        transcript = Transcript()
        from ixion.nasl.builtins import standard_library

        def stop(call: Call) -> None:
            service_ref[0].stop()

        library = {**standard_library(), "stop": stop}
        Interpreter(
            kb=MemoryKB(kb),
            host=TargetHost("127.0.0.1", on_report=reports.append),
            builtins=library,
            output=transcript.output,
        ).run(parse(source))
    assert bytes(transcript.data) == b"0"


def test_reports_reach_the_host_with_port_and_protocol() -> None:
    source = b"""
        security_hole(80, data: "hole");
        security_warning(port: 443, data: "warn");
        security_note(port: 53, proto: "udp", data: "note");
        security_message(port: 22, data: "alarm");
        log_message(data: "log");
        error_message(port: 1, data: "err");
    """
    _, reports = run(source)
    assert reports == [
        Report("hole", 80, "tcp", b"hole"),
        Report("warning", 443, "tcp", b"warn"),
        Report("note", 53, "udp", b"note"),
        Report("hole", 22, "tcp", b"alarm"),
        Report("log", 0, "tcp", b"log"),
        Report("error", 1, "tcp", b"err"),
    ]


def test_glue_builtins_read_the_run_settings() -> None:
    source = b"""
        display(get_preference("cgi_path"), " ", safe_checks(), " ", isnull(get_script_oid()));
        display(" [", vendor_version(), "] ", isnull(scanner_status(current: 1, total: 2)));
    """
    assert run(source, preferences={"cgi_path": b"/x"})[0] == b"/x 1 1 [] 1"
    prefs = {"safe_checks": b"no", "vendor_version": b"V"}
    assert run(source, preferences=prefs)[0] == b" 0 1 [V] 1"
    oid = Interpreter(script_oid=b"1.3.6.1.4.1.25623.1.0.1")
    transcript = Transcript()
    oid.output = transcript.output
    oid.run(parse(b"display(get_script_oid());"))
    assert bytes(transcript.data) == b"1.3.6.1.4.1.25623.1.0.1"


def test_without_a_host_network_builtins_warn_and_return_null() -> None:
    transcript = Transcript()
    source = b"display(isnull(open_sock_tcp(80)), isnull(get_host_ip()));"
    Interpreter(output=transcript.output, diagnostics=transcript.diagnostic).run(
        parse(source), source=source
    )
    assert bytes(transcript.data).endswith(b"11")
    assert b"no target host in this run" in transcript.data
