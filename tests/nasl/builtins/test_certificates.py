"""``cert_open``/``cert_query``/``cert_close`` on certificates fetched from real TLS servers.

Each script opens a TLS socket to a server of the test's own on 127.0.0.1, takes the
certificate with ``socket_get_cert()`` and prints what ``cert_query`` answers; the expected
values are computed here from the certificate the server was given.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.nasl.builtins.test_network import run
from tests.nasl.builtins.tls_lab import (
    Issued,
    ca_signed,
    expired_self_signed,
    https_server,
    make_ca,
    server_context,
    weak_rsa,
)

if TYPE_CHECKING:
    from pathlib import Path

QUERIES = b"""
soc = open_sock_tcp(%d, transport: ENCAPS_TLScustom);
cert = socket_get_cert(socket: soc);
close(soc);
id = cert_open(cert);
foreach c (make_list("serial", "issuer", "subject", "not-before", "not-after", "fpr-sha-256",
                     "fpr-sha-1", "algorithm-name", "signature-algorithm-name",
                     "public-key-algorithm-name", "key-size"))
  display(c, "=", cert_query(id, c), "\\n");
for (i = 1; alt = cert_query(id, "subject", idx: i); i++) display("alt", i, "=", alt, "\\n");
foreach h (cert_query(id, "hostnames")) display("hostname=", h, "\\n");
display("image=", hexstr(cert_query(id, "image")), "\\n");
# display() un-escapes "..." strings (as C does), so the raw subject goes out in hex.
display("raw-subject=", hexstr(cert_query(id, "subject")), "\\n");
display("modulus=", hexstr(cert_query(id, "modulus")), "\\n");
display("exponent=", hexstr(cert_query(id, "exponent")), "\\n");
display("all=", typeof(cert_query(id, "all")), "\\n");
cert_close(id);
display("closed=", typeof(cert_query(id, "serial")), "\\n");
"""


def query(chain: list[Issued], tmp_path: Path) -> dict[str, list[str]]:
    """What the query script prints for the server presenting ``chain``: key -> values."""
    with https_server(server_context(chain, tmp_path)) as port:
        out, _ = run(QUERIES % port)
    answers: dict[str, list[str]] = {}
    for line in out.decode().splitlines():
        if "=" in line and not line.startswith("!!"):
            key, value = line.split("=", 1)
            answers.setdefault(key, []).append(value)
    return answers


def fingerprints(issued: Issued) -> tuple[str, str]:
    return (
        hashlib.sha256(issued.der).hexdigest().upper(),
        hashlib.sha1(issued.der).hexdigest().upper(),  # what the feed asks for
    )


def test_an_expired_self_signed_certificate(tmp_path: Path) -> None:
    issued = expired_self_signed()
    got = query([issued], tmp_path)
    sha256, sha1 = fingerprints(issued)
    name = "O=Ixion,CN=expired.ixion.test"
    assert got["serial"] == ["00C0FFEE"]  # the DER integer's bytes: its top bit needs a 00
    assert got["issuer"] == got["subject"] == [name]  # what the self-signed check compares
    assert got["not-before"] == [f"{issued.cert.not_valid_before_utc:%Y%m%dT%H%M%S}"]
    assert got["not-after"] == [f"{issued.cert.not_valid_after_utc:%Y%m%dT%H%M%S}"]
    assert got["fpr-sha-256"] == [sha256]
    assert got["fpr-sha-1"] == [sha1]
    assert got["algorithm-name"] == got["signature-algorithm-name"] == ["ecdsa-with-SHA256"]
    assert got["public-key-algorithm-name"] == ["EC/ECDSA"]
    assert got["key-size"] == ["256"]
    assert "alt1" not in got
    assert got["hostname"] == ["expired.ixion.test"]
    assert got["image"] == [issued.der.hex()]
    assert got["modulus"] == got["exponent"] == [""]  # not an RSA key
    assert got["all"] == got["closed"] == ["undef"]


def test_a_ca_signed_certificate_with_alt_names(tmp_path: Path) -> None:
    ca = make_ca()
    leaf = ca_signed(ca)
    got = query([leaf, ca], tmp_path)
    assert got["serial"] == ["008F00000000000001"]
    # RFC 2253 escapes the comma in the value.
    assert bytes.fromhex(got["raw-subject"][0]) == b"CN=www.ixion.test,O=Ixion\\, Inc."
    assert got["issuer"] == ["CN=Ixion Test CA,O=Ixion Tests,C=DE"]
    # libksba's forms: S-expressions for DNS names and URIs, <mailbox>, no IP addresses.
    assert [got[f"alt{i}"][0] for i in range(1, 5)] == [
        "(dns-name www.ixion.test)",
        "(dns-name *.cdn.ixion.test)",
        "<admin@ixion.test>",
        "(uri https://ixion.test/)",
    ]
    assert "alt5" not in got
    assert got["hostname"] == ["www.ixion.test", "www.ixion.test", "*.cdn.ixion.test"]
    assert got["fpr-sha-256"] == [fingerprints(leaf)[0]]


def test_a_weak_rsa_key(tmp_path: Path) -> None:
    issued = weak_rsa()
    got = query([issued], tmp_path)
    assert isinstance(issued.key, rsa.RSAPrivateKey)
    numbers = issued.key.public_key().public_numbers()
    assert got["public-key-algorithm-name"] == ["RSA"]  # gb_ssl_tls_rsa_key_*.nasl match this
    assert got["key-size"] == ["1024"]
    assert got["algorithm-name"] == ["sha256WithRSAEncryption"]
    assert got["serial"] == ["7F"]
    # The modulus as the DER integer holds it: a 00 before its set top bit.
    assert got["modulus"] == ["00" + format(numbers.n, "0256x")]
    assert got["exponent"] == ["010001"]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (b'display(cert_open("not a certificate"));', "warning: t.nasl:1: cert_open: not a DER"),
        (b"display(cert_query(42, 'serial'));", "warning: t.nasl:1: cert_query: 42 is not"),
        (b"cert_close(7);", "warning: t.nasl:1: cert_close: 7 is not an open certificate"),
    ],
)
def test_misuse_warns_and_returns_null(source: bytes, expected: str) -> None:
    from tests.nasl.harness import run_source

    assert run_source(source, "t.nasl").decode().startswith(f"!! {expected}")


def test_cert_open_takes_pem_and_answers_unknown_commands_with_null(tmp_path: Path) -> None:
    from tests.nasl.harness import run_source

    issued = weak_rsa()
    pem = issued.pem.decode().replace("\n", "\\n")
    source = (
        f"id = cert_open('{pem}');\n"
        'display(cert_query(id, "subject"), "\\n");\n'
        'display(typeof(cert_query(id, "colour")), "\\n");\n'
    ).encode()
    out = run_source(source, "t.nasl").decode()
    assert out == (
        "CN=weak.ixion.test\n!! warning: t.nasl:3: cert_query: unknown command b'colour'\nundef\n"
    )
