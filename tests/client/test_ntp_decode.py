"""``ixion ntp-decode`` as a user runs it: real captures in, JSON lines out."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from ixion.client.cli import cli as main
from tests.transcripts import TRANSCRIPTS, load

SCAN = load(TRANSCRIPTS / "nessus225-client_vs_nessusd225_plain_scan.raw.txt")
#: What the nessus 2.2.5 client negotiated in that capture (banner words + preferences).
SCAN_FEATURES = (
    "plugins_cve_id plugins_version plugins_bugtraq_id plugins_xrefs timestamps dependencies "
    "ntp_escape_crlf ntp_client_accepts_notes ntp_short_status"
)


def _run(args: list[str], stdin: bytes | None = None) -> tuple[int, list[dict[str, object]], str]:
    result = CliRunner().invoke(main, ["ntp-decode", *args], input=stdin)
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    return result.exit_code, lines, result.stderr


def test_client_stream_prints_one_object_per_message(tmp_path: Path) -> None:
    capture = tmp_path / "client.bin"
    capture.write_bytes(SCAN.stream("C"))
    code, messages, _ = _run(["--side", "client", str(capture)])
    assert code == 0
    assert [m["type"] for m in messages] == [
        "BANNER",
        "USER",
        "PASSWORD",
        "SESSIONS_LIST",
        "PREFERENCES",
        "RULES",
        "LONG_ATTACK",
    ]
    assert messages[0]["extensions"] == SCAN_FEATURES.split()[:6]
    assert messages[1] == {"type": "USER", "name": "tester"}
    assert messages[-1] == {"type": "LONG_ATTACK", "targets": "127.0.0.1"}


def test_server_stream_decodes_with_the_clients_features(tmp_path: Path) -> None:
    capture = tmp_path / "server.bin"
    capture.write_bytes(SCAN.stream("S"))
    code, messages, _ = _run(["--side", "server", "--features", SCAN_FEATURES, str(capture)])
    assert code == 0
    types = [m["type"] for m in messages]
    assert types[:7] == [
        "VERSION",
        "USER_PROMPT",
        "PASSWORD_PROMPT",
        "PLUGIN_LIST",
        "PREFERENCES",
        "RULES",
        "PLUGINS_DEPENDENCIES",
    ]
    assert types[-1] == "BYE"
    assert {"HOLE", "INFO", "NOTE"} <= set(types)
    hole = next(m for m in messages if m["type"] == "HOLE")
    assert hole["port"] == {"service": "blackice-icecap", "number": 8081, "protocol": "tcp"}
    assert hole["plugin_id"] == "90002"
    assert (
        hole["text"] == "Test hole on 127.0.0.1\nRisk factor : High\nCVE : CVE-1999-0001\nBID : 1\n"
    )
    plugins = messages[3]["plugins"]
    assert isinstance(plugins, list)
    assert plugins[0]["cve"] == ["CVE-1999-0001"]


def test_standard_input_is_read_with_a_dash() -> None:
    code, messages, _ = _run(["--side", "client", "-"], stdin=SCAN.stream("C"))
    assert code == 0
    assert len(messages) == 7


def test_server_stream_without_its_features_fails_at_the_plugin_list(tmp_path: Path) -> None:
    capture = tmp_path / "server.bin"
    capture.write_bytes(SCAN.stream("S"))
    code, messages, err = _run(["--side", "server", str(capture)])
    assert code == 1
    assert [m["type"] for m in messages] == ["VERSION", "USER_PROMPT", "PASSWORD_PROMPT"]
    assert "at byte 30:" in err  # the PLUGIN_LIST header starts after 12 + 7 + 11 bytes
    assert "plugin line has 11 fields, expected 7" in err


def test_malformed_stream_prints_messages_then_the_offset(tmp_path: Path) -> None:
    good = b"< NTP/1.2 >\nalice\nsecret\nCLIENT <|> NESSUS_VERSION <|> CLIENT\n"
    bad = b"CLIENT <|> LONG_ATTACK <|>\nten\n"
    capture = tmp_path / "client.bin"
    capture.write_bytes(good + bad)
    code, messages, err = _run(["--side", "client", str(capture)])
    assert code == 1
    assert [m["type"] for m in messages] == ["BANNER", "USER", "PASSWORD", "NESSUS_VERSION"]
    assert f"malformed client stream at byte {len(good)}:" in err
    assert "LONG_ATTACK size is not a number" in err


def test_capture_cut_in_the_middle_of_a_message_is_an_error(tmp_path: Path) -> None:
    capture = tmp_path / "client.bin"
    capture.write_bytes(
        b"< NTP/1.2 >\nalice\nsecret\nCLIENT <|> PREFERENCES <|>\nmax_hosts <|> 3\n"
    )
    code, messages, err = _run(["--side", "client", str(capture)])
    assert code == 1
    assert len(messages) == 3
    assert "connection closed in the middle of PREFERENCES line" in err


def test_otp_server_stream_takes_its_version_from_the_stream(tmp_path: Path) -> None:
    otp = load(TRANSCRIPTS / "scripted-client_vs_openvassd302_tls_otp10_scan.raw.txt")
    capture = tmp_path / "server.bin"
    capture.write_bytes(otp.stream("S"))
    code, messages, _ = _run(["--side", "server", str(capture)])
    assert code == 0
    info = next(m for m in messages if m["type"] == "PLUGIN_INFO")
    assert info["plugin"]["id"] == "1.3.6.1.4.1.25623.1.0.90002"  # type: ignore[index]


def test_attachment_payload_is_shown_as_text(tmp_path: Path) -> None:
    capture = tmp_path / "client.bin"
    capture.write_bytes(
        b"< NTP/1.2 >\nalice\nsecret\n"
        b"CLIENT <|> ATTACHED_FILE\nname: /home/alice/cert.pem\ncontent: octet/stream\n"
        b"bytes: 5\nhello"
    )
    code, messages, _ = _run(["--side", "client", str(capture)])
    assert code == 0
    assert messages[-1] == {
        "type": "ATTACHED_FILE",
        "name": "/home/alice/cert.pem",
        "data": "hello",
        "content_type": "octet/stream",
    }
