"""Digest, HMAC and zlib built-ins, against published test vectors."""

from __future__ import annotations

import gzip
import zlib

import pytest

from ixion.nasl.builtins.hashes import md4
from ixion.nasl.runtime.limits import Limits
from tests.nasl.harness import run_source


@pytest.mark.parametrize(
    ("data", "digest"),
    [  # RFC 1320 appendix A.5
        (b"", "31d6cfe0d16ae931b73c59d7e0c089c0"),
        (b"abc", "a448017aaf21d8525fc10ae87aa6729d"),
        (b"message digest", "d9130a8164549fe818874806e1c7014b"),
        (b"1234567890" * 8, "e33b4ddc9c38f2199c3e7b164fcc0536"),
    ],
)
def test_md4_matches_rfc_1320(data: bytes, digest: str) -> None:
    assert md4(data).hex() == digest


def test_digest_builtins_return_raw_digests() -> None:
    source = b"""
        display(hexstr(MD4("abc")), "\\n", hexstr(MD5("abc")), "\\n", hexstr(SHA1("abc")), "\\n");
        display(hexstr(SHA256("abc")), "\\n", isnull(MD5()), "\\n");
        display(hexstr(HMAC_MD5(key: "key", data: "The quick brown fox jumps over the lazy dog")));
        display("\\n", hexstr(HMAC_SHA1(key: "", data: "")), "\\n");
        display(strlen(HMAC_SHA256(key: "k", data: "d")), "\\n");
    """
    assert run_source(source) == (
        b"a448017aaf21d8525fc10ae87aa6729d\n900150983cd24fb0d6963f7d28e17f72\n"
        b"a9993e364706816aba3e25717850c26c9cd0d89d\n"
        b"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\n1\n"
        b"80070713463e7749b90c2dc24911e275\nfbdb1d1b18aa6c08324b7d64b71fb76370690e1d\n32\n"
    )


def test_gzip_and_gunzip_round_trip_in_both_formats() -> None:
    source = b"""
        z = gzip(data: "hello hello hello");
        g = gzip(data: "hello", headformat: "gzip");
        display(gunzip(data: z), " ", gunzip(data: g), " ", hexstr(substr(g, 0, 1)));
        display(" ", isnull(gunzip(data: "not compressed")));
    """
    assert run_source(source) == b"hello hello hello hello 1f8b 1"


def test_gunzip_reads_streams_python_wrote_and_stops_at_the_string_limit() -> None:
    packed = gzip.compress(b"x" * 1000)
    source = b"display(strlen(gunzip(data: raw_string(%s))));" % b", ".join(
        str(byte).encode() for byte in packed
    )
    assert run_source(source) == b"1000"
    assert zlib.decompress(zlib.compress(b"ok")) == b"ok"
    assert b"too long" in run_source(source, limits=Limits(max_string=100))
