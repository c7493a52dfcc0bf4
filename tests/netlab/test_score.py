"""The scorer on a hand-written NBE report, and the ground truth's own consistency.

These need no lab: they run everywhere.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from ixion.reports.nbe import read_nbe
from tests.netlab._nmap import nmap_argv, read_nmap_xml
from tests.netlab._score import parse_port_field, score_results
from tests.netlab._score_cli import format_score, threshold_failures
from tests.netlab._truth import load_truth

ROOT = Path(__file__).resolve().parents[2]

# ixion's anonymous-FTP finding as it words it today: it mentions uploading and writable
# directories, and must still not count as the writable-directory weakness.
IXION_ANONYMOUS_FTP = (
    "Anonymous FTP login is allowed on this server: the login 'anonymous' with the password "
    "'ixion@example.com' was accepted (reply 230).\\n\\nAnyone can read the files it shares, "
    "and upload files to any directory it lets anonymous users write to. Unless this is meant "
    "to be a public archive, disable anonymous access; if it is, make sure it holds only "
    "public files and that nothing is writable.\\n\\nThe server's greeting:\\n\\n220 FTP"
)
# Texts are escaped as ixion's NBE writer escapes them (a newline is backslash-n).
W, H = "results|198.18.0|198.18.0.10", "results|198.18.0|198.18.0.20"
REPORT = "\n".join(
    [
        "timestamps||198.18.0.10|host_start|Mon Dec  7 06:00:00 2026|",
        f"{W}|ftp (21/tcp)",
        f"{W}|ftp (21/tcp)|90000004|Security Warning|{IXION_ANONYMOUS_FTP}",
        f"{W}|https (443/tcp)|90000008|Security Warning|The certificate expired on "
        "2026-11-07 (30 days ago).\\nThe certificate is self-signed: nobody vouches for it.",
        f"{W}|www (80/tcp)|1.3.6.1.4.1.25623.1.0.1|Security Note|Directory listing is "
        "enabled on:\\n/files/",
        f"{W}|http-alt (8080/tcp)",
        f"{W}|redis (6379/tcp)|1.3.6.1.4.1.25623.1.0.105291|Security Hole|",
        f"{W}|ssh (22/tcp)|12345|Security Hole|Installed version: 9.2p1\\nFixed version: 9.3p1",
        f"{W}|snmp (161/udp)|23456|Security Hole|The agent answered to the community:\\npublic",
        f"{W}|ssh (22/tcp)|34567|Security Warning|Root login over SSH is permitted.",
        f"{W}|general/tcp|45678|Log Message|TCP timestamps are on.",
        "timestamps||198.18.0.10|host_end|Mon Dec  7 06:01:00 2026|",
        f"{H}|domain (53/udp)|56789|Security Warning|The DNS server answers recursive queries.",
        f"{H}|www (80/tcp)",
        f"{H}|unknown (9999/tcp)",
        "results|198.18.0|198.18.0.99|www (80/tcp)|1|Security Hole|A host the lab lacks.",
        "",
    ]
)


@pytest.fixture
def report(tmp_path: Path) -> Path:
    path = tmp_path / "report.nbe"
    path.write_text(REPORT)
    return path


def test_scores_of_the_hand_written_report(report: Path) -> None:
    score = score_results(read_nbe(report.read_bytes()), load_truth())
    weak, hardened = score.hosts
    assert sorted(weak.found) == [
        "ftp-anonymous",
        "redis-no-auth",  # by its plugin id: the text is empty
        "snmp-public",
        "tls-expired",
        "tls-self-signed",
    ]
    assert (len(weak.found), weak.expected) == (5, 26)
    assert [check.id for check in weak.notes_only] == ["http-dir-listing"]
    assert [(check.id, found) for check, found in weak.credentialed] == [("ssh-root-login", True)]
    assert [check.id for check, _ in weak.negatives_hit] == ["no-version-only-hole"]
    assert [claim.plugin_id for claim in weak.false_positives] == ["12345"]
    assert weak.ports_found == [
        "tcp/21",
        "tcp/22",
        "tcp/80",
        "udp/161",
        "tcp/443",
        "tcp/6379",
        "tcp/8080",
    ]
    assert weak.names["tcp/8080"] == "http-alt"
    assert weak.names_agreeing(weak.names) == 6
    assert weak.udp_found == ["udp/161"]
    assert [check.id for check, _ in hardened.negatives_hit] == ["dns-recursion"]
    assert len(hardened.false_positives) == 1
    assert hardened.phantom_ports == ["tcp/9999"]
    assert (hardened.names_agreeing(hardened.names), hardened.udp_found) == (2, ["udp/53"])
    assert (score.found, score.expected, score.false_positives) == (5, 26, 3)
    assert [claim.host for claim in score.strangers] == ["198.18.0.99"]
    with_notes = score_results(read_nbe(report.read_bytes()), load_truth(), notes=True)
    assert with_notes.found == 6


def test_thresholds(report: Path) -> None:
    score = score_results(read_nbe(report.read_bytes()), load_truth())
    assert threshold_failures(score, 0.19, 3) == []
    assert threshold_failures(score, 20, None) == ["recall 0.19 < required 0.20"]
    assert threshold_failures(score, None, 2) == ["false positives 3 > allowed 2"]
    text = format_score(score)
    assert "total: recall 5/26 (19 %), negative controls hit 2, false positives 3" in text
    assert "tcp/8080 http-alt (expected http)" in text


def test_score_command_exit_codes(report: Path) -> None:
    def run(*options: str) -> subprocess.CompletedProcess[str]:
        argv = [sys.executable, "-m", "tests.netlab", "score", str(report), *options]
        return subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, check=False)

    assert run("--require-recall", "0.19", "--max-fp", "3").returncode == 0
    failed = run("--require-recall", "0.5")
    assert failed.returncode == 1
    assert "FAILED: recall 0.19 < required 0.50" in failed.stdout


def test_port_fields() -> None:
    assert parse_port_field("www (80/tcp)") == ("www", "tcp/80")
    assert parse_port_field("general/udp") == (None, "general/udp")
    with pytest.raises(ValueError, match="unreadable"):
        parse_port_field("80/tcp")


def test_ground_truth_is_complete() -> None:
    truth = load_truth()
    weak, hardened = truth.hosts["weak"], truth.hosts["hardened"]
    assert len(weak.remote_weaknesses()) >= 17
    assert {w.id for w in weak.weaknesses} <= {n.id for n in hardened.negatives}
    assert {"udp/53", "udp/161", "udp/11211"} <= set(weak.ports)
    assert "tcp/11211" in hardened.closed


# One sample wording per weakness, in ixion's future style (not copied from any feed): each
# must match its own weakness and no other weakness on the same place.
SAMPLES = {
    "http-dir-listing": ("tcp/80", "Directory listing is enabled at /files/."),
    "http-put": ("tcp/80", "The PUT method is allowed: a test file was uploaded to /uploads/."),
    "http-trace": ("tcp/8080", "The web server answers TRACE requests (cross-site tracing)."),
    "tls-expired": ("tcp/443", "The certificate expired 30 days ago."),
    "tls-self-signed": ("tcp/443", "The certificate is self-signed."),
    "tls-1.0": ("tcp/443", "The service accepts TLS 1.0."),
    "tls-1.1": ("tcp/443", "The service accepts TLSv1.1."),
    "tls-weak-ciphers": ("tcp/443", "Weak cipher suites accepted: TLS_RSA_WITH_NULL_SHA."),
    "ftp-anonymous": ("tcp/21", "Anonymous FTP login is allowed."),
    "ftp-writable": ("tcp/21", "The directory /upload is world-writable: a file was stored."),
    "ftp-cleartext": ("tcp/21", "Logins are sent in clear text: the server offers no AUTH TLS."),
    "smtp-open-relay": ("tcp/25", "The server is an open relay."),
    "smtp-vrfy": ("tcp/25", "The server answers VRFY requests."),
    "ssh-password-auth": ("tcp/22", "The SSH server accepts password authentication."),
    "ssh-root-login": ("tcp/22", "Root login over SSH is permitted."),
    "ssh-weak-kex": ("tcp/22", "Weak key exchange algorithms: diffie-hellman-group1-sha1."),
    "ssh-weak-ciphers": ("tcp/22", "Weak encryption algorithms: 3des-cbc, aes128-cbc."),
    "ssh-weak-macs": ("tcp/22", "Weak MAC algorithms: hmac-md5."),
    "ssh-weak-host-key": ("tcp/22", "Weak host key algorithm offered: ssh-rsa."),
    "redis-no-auth": ("tcp/6379", "Redis answers commands without authentication."),
    "memcached-open-tcp": ("tcp/11211", "memcached is reachable without authentication."),
    "memcached-udp-amplification": ("udp/11211", "memcached on UDP allows amplification."),
    "dns-axfr": ("tcp/53", "The server allows a zone transfer (AXFR) of lab.test."),
    "dns-recursion": ("udp/53", "The server performs recursion for anyone."),
    "snmp-public": ("udp/161", "The SNMP agent accepts the community 'public'."),
    "postgresql-trust": ("tcp/5432", "Logged in as postgres without a password."),
    "mysql-empty-password": ("tcp/3306", "Logged in as root with an empty password."),
}


def test_every_weakness_has_a_sample_that_matches_it_alone() -> None:
    weak = load_truth().hosts["weak"]
    assert set(SAMPLES) == {w.id for w in weak.weaknesses}
    for check in weak.weaknesses:
        place, text = SAMPLES[check.id]
        matching = [w.id for w in weak.weaknesses if w.matches(place, text, None)]
        assert matching == [check.id], (check.id, text)
    ixion_ftp = IXION_ANONYMOUS_FTP.replace("\\n", "\n")
    assert [w.id for w in weak.weaknesses if w.matches("tcp/21", ixion_ftp, None)] == [
        "ftp-anonymous"
    ]


# Texts near a weakness that must not count as finding it: advice, or a refusal quoted.
NOT_FINDING = [
    ("ssh-root-login", "tcp/22", "The list does not tell whether root may log in."),
    ("ssh-root-login", "tcp/22", "Set PermitRootLogin prohibit-password or no."),
    ("ssh-root-login", "tcp/22", "Root login is not permitted."),
    ("redis-no-auth", "tcp/6379", "PING was refused: -NOAUTH Authentication required."),
    ("postgresql-trust", "tcp/5432", "See https://www.postgresql.org/docs/auth-trust.html"),
    ("mysql-empty-password", "tcp/3306", "It was not possible to login as root."),
    ("ftp-writable", "tcp/21", "Make sure that nothing is writable."),
]


@pytest.mark.parametrize(("check_id", "place", "text"), NOT_FINDING)
def test_nearby_texts_do_not_count(check_id: str, place: str, text: str) -> None:
    weak = load_truth().hosts["weak"]
    check = next(w for w in weak.weaknesses if w.id == check_id)
    assert not check.matches(place, text, None)


NMAP_XML = """<?xml version="1.0"?>
<nmaprun><host><address addr="198.18.0.10" addrtype="ipv4"/><ports>
<port protocol="tcp" portid="443"><state state="open"/>
<service name="http" tunnel="ssl" product="nginx"/></port>
<port protocol="udp" portid="161"><state state="open"/><service name="snmp"/></port>
<port protocol="tcp" portid="81"><state state="closed"/></port>
</ports></host></nmaprun>
"""


def test_nmap_xml_and_command_line(tmp_path: Path) -> None:
    path = tmp_path / "nmap.xml"
    path.write_text(NMAP_XML)
    ports = read_nmap_xml(path)["198.18.0.10"]
    assert (ports["tcp/443"].name, ports["tcp/443"].tunnel) == ("http", "ssl")
    assert ports["tcp/81"].state == "closed"
    score = score_results(read_nbe(b""), load_truth(), nmap=read_nmap_xml(path))
    assert score.hosts[0].nmap_names == {"tcp/443": "https", "udp/161": "snmp"}
    argv = nmap_argv(load_truth(), path)
    assert argv[-2:] == ["198.18.0.10", "198.18.0.20"]
    ports_arg = argv[argv.index("-p") + 1].split(",")
    assert "T:443" in ports_arg
    assert "U:161" in ports_arg
    assert "T:1" not in ports_arg
