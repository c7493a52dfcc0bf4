"""ISO time built-ins, as the feed's certificate expiry checks use them."""

from __future__ import annotations

import pytest

from tests.nasl.harness import FakeClock, run_source


def show(expression: str) -> str:
    """What ``display(typeof(x), ":", x)`` prints for ``expression``, at 2023-11-14 22:13:20."""
    source = f"x = {expression};\ndisplay(typeof(x), ':', x);\n".encode()
    return run_source(source, clock=FakeClock()).decode()


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("isotime_now()", "string:20231114T221320"),
        ('isotime_print("20280929T143520")', "string:2028-09-29 14:35:20"),
        ('isotime_print("2028-09-29")', "string:[none]"),
        ("isotime_print()", "string:[none]"),
        # A leap day plus a year rolls over into March, as C's Julian-day arithmetic does.
        ('isotime_add("20240229T120000", years: 1)', "string:20250301T120000"),
        ('isotime_add("20231114T221320", days: 30)', "string:20231214T221320"),
        ('isotime_add("20231231T235959", seconds: 2)', "string:20240101T000001"),
        (
            'isotime_add("20231114T221320", years: 1, days: 1, seconds: 3600)',
            "string:20241115T231320",
        ),
        ('isotime_add("20231114T221320")', "string:20231114T221320"),
        ('isotime_add("20231114T221320", days: -1)', "undef:"),
        ('isotime_add("99991231T000000", days: 1)', "undef:"),
        ('isotime_add("15000101T000000", days: 1)', "undef:"),  # before the Gregorian calendar
        ('isotime_add("2023-11-14", days: 1)', "undef:"),
        ('isotime_is_valid("20231114T221320")', "int:1"),
        ('isotime_is_valid("2023-11-14 22:13")', "int:1"),
        ('isotime_is_valid("2023-13-14")', "int:0"),
        ('isotime_is_valid("yesterday")', "int:0"),
        ('isotime_scan("2023-11-14 22:13:20")', "string:20231114T221320"),
        ('isotime_scan("20231114T221320, and more")', "string:20231114T221320"),
        # Only the parts given, as OpenVAS answers.
        ('isotime_scan("2023-11-14")', "string:20231114T"),
        ("isotime_scan('2023')", "undef:"),  # data shorter than 15 bytes
    ],
)
def test_isotime(expression: str, expected: str) -> None:
    assert show(expression) == expected


def test_iso_times_compare_as_strings_the_way_expiry_checks_do() -> None:
    # gb_ssl_tls_cert_expired.nasl: a certificate is expired when notAfter < isotime_now().
    source = b"""
    now = isotime_now();
    if ("20231114T221319" < now) display("expired ");
    if (!("20231114T221321" < now)) display("valid ");
    if (isotime_add(now, days: 60) > "20231230T000000") display("expires-within-60-days");
    """
    assert run_source(source, clock=FakeClock()) == b"expired valid expires-within-60-days"
