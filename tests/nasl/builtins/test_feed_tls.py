"""The feed's own certificate checks, unchanged, run by a real ixiond against a TLS server of
the test's own: ``gb_ssl_tls_cert_expired.nasl`` and ``gb_ssl_tls_cert_self_signed.nasl``,
with their whole ``script_dependencies`` closure (service detection, SSL/TLS version and
cipher gathering, ``gb_ssl_tls_cert_details.nasl`` which reads the certificate with
``socket_get_cert()`` and ``cert_query()``), and ``gb_ssl_tls_rsa_key_2048bits.nasl``.

The feed is read from outside the repository, as ``tests/server/test_feed_scan.py`` does;
without it these tests are skipped, saying why.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Final

import pytest

from tests.nasl.builtins.tls_lab import expired_self_signed, https_server, server_context, weak_rsa
from tests.server.test_daemon import free_port, running
from tests.server.test_feed_scan import FEED, SCANNER, attack, feed_daemon, texts

if TYPE_CHECKING:
    from pathlib import Path

    from ixion.ntp import Message

CHECKS: Final = (
    "gb_ssl_tls_cert_expired.nasl",
    "gb_ssl_tls_cert_self_signed.nasl",
    "gb_ssl_tls_rsa_key_2048bits.nasl",
)

pytestmark = pytest.mark.skipif(
    not (FEED / "ssl_funcs.inc").is_file(),
    reason=f"no NASL feed snapshot at {FEED} (set IXION_NASL_FEED; see bench/extract_feed.py)",
)


def scan_tls(tmp_path: Path, port: int) -> tuple[dict[str, int], list[Message]]:
    """Scan 127.0.0.1's ``port`` with the checks and their closure: ids by file, messages."""
    config, ids = feed_daemon(tmp_path, CHECKS)
    items = (
        ("port_range", str(port)),
        ("plugin_set", ";".join(map(str, [SCANNER, *(ids[name] for name in CHECKS)]))),
        ("ntp_client_accepts_notes", "yes"),
    )
    daemon_port = free_port()
    with running(config, daemon_port):
        seen = asyncio.run(asyncio.wait_for(attack(daemon_port, items), 300))
    return ids, seen


@pytest.fixture(scope="module")
def expired_scan(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[int, dict[str, int], list[Message]]:
    tmp_path = tmp_path_factory.mktemp("feed_tls")
    with https_server(server_context([expired_self_signed()], tmp_path)) as port:
        ids, seen = scan_tls(tmp_path, port)
    return port, ids, seen


def test_the_expired_certificate_is_reported(
    expired_scan: tuple[int, dict[str, int], list[Message]],
) -> None:
    port, ids, seen = expired_scan
    text = texts(seen, ids["gb_ssl_tls_cert_expired.nasl"], port)
    assert "The certificate of the remote service expired on " in text, text
    # cert_summary() rebuilt from what cert_query() stored in the KB.
    assert "subject                         | O=Ixion,CN=expired.ixion.test" in text
    assert "subject alternative names (SAN) | None" in text


def test_the_self_signed_certificate_is_reported(
    expired_scan: tuple[int, dict[str, int], list[Message]],
) -> None:
    port, ids, seen = expired_scan
    text = texts(seen, ids["gb_ssl_tls_cert_self_signed.nasl"], port)
    assert "The certificate of the remote service is self signed." in text
    assert "issued by                       | O=Ixion,CN=expired.ixion.test" in text


def test_no_weak_rsa_finding_for_an_ec_key(
    expired_scan: tuple[int, dict[str, int], list[Message]],
) -> None:
    port, ids, seen = expired_scan
    assert texts(seen, ids["gb_ssl_tls_rsa_key_2048bits.nasl"], port) == ""


def test_a_1024_bit_rsa_key_is_reported_as_under_2048_bits(tmp_path: Path) -> None:
    with https_server(server_context([weak_rsa()], tmp_path)) as port:
        ids, seen = scan_tls(tmp_path, port)
    text = texts(seen, ids["gb_ssl_tls_rsa_key_2048bits.nasl"], port)
    assert "with a RSA key with less than 2048 bits" in text, text
