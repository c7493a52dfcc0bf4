"""Results a hostile or broken target could make a scanner report, for every writer's tests.

A banner is whatever the scanned host sent: markup, script, terminal escapes, NUL bytes,
the separators of every format, spreadsheet formulas, bytes that are not UTF-8 (read from
NBE as lone surrogates) and texts far larger than any real plugin writes.
"""

from __future__ import annotations

from ixion.reports import (
    Finding,
    HostsRejected,
    OpenPort,
    ScanResults,
    Severity,
    Timestamp,
    TimestampKind,
)
from ixion.reports.results import PluginFacts

WHEN = "Sun Nov  6 10:15:30 2005"
SCRIPT = "<script>alert('x')</script>"
#: Every C0 control but LF, DEL, and a few C1 controls and separators Python splits at.
CONTROLS = "".join(chr(c) for c in range(0x20) if c != 0x0A) + "\x7f\x85\x9b\u2028\u2029"
NOT_UTF8 = "caf\udce9 \udcff"
_LINE = f"{SCRIPT}|;\\n\t=1+1 {CONTROLS}\r\n"
#: A text of a mebibyte, of lines with every troublesome character.
HUGE_TEXT = (_LINE * ((1 << 20) // len(_LINE) + 1))[: 1 << 20] + "\n"

HOSTILE_TEXT = (
    f"{SCRIPT}\n<img src=x onerror=alert(1)> & &amp; \"quoted\" 'single'\n"
    f"a|b||c ; semicolons; \\n is not a newline\r\nCRLF above\n{CONTROLS}\n"
    "\x1b[31mred\x1b[0m NUL:\x00 end\n"
    '=HYPERLINK("http://evil.invalid","x")\n'
    "\nCVE : CVE-2024-0001, CVE-2024-0002\nBID : 1, 2\n"
    "Other references : URL:http://a.invalid/?q=<b>&x=1, CWE:79\n"
    "Quality of detection: 80% (remote_banner)\n"
)

#: Safe for NBE (which cannot carry ``|`` outside texts), so it round-trips everywhere.
HOSTILE_RESULTS = ScanResults(
    events=(
        Timestamp(kind=TimestampKind.SCAN_START, when=WHEN),
        Timestamp(kind=TimestampKind.HOST_START, when=WHEN, host=SCRIPT),
        OpenPort(host=SCRIPT, port="<b>http</b> (80/tcp)"),
        Finding(
            host=SCRIPT,
            port="<b>http</b> (80/tcp)",
            severity=Severity.HOLE,
            text=HOSTILE_TEXT,
            plugin_id="10330",
        ),
        Finding(host=SCRIPT, port="general/icmp", severity=Severity.WARNING, text=HUGE_TEXT),
        Finding(
            host="=cmd",
            port="=SUM(A1:A9) (1/tcp)",
            severity=Severity.NOTE,
            text=f"-2+3 {NOT_UTF8}\n",
            plugin_id="@import",
        ),
        Finding(host="h\udcf4te", port="22", severity=Severity.LOG, text="", plugin_id="2"),
        Finding(host="2001:db8::5", port="snmp (161/udp)", severity=Severity.DEBUG, text="\n"),
        HostsRejected(hosts=("10.0.0.9", f"{SCRIPT}2"), truncated=True),
        Timestamp(kind=TimestampKind.HOST_INTERRUPTED, when=WHEN, host=SCRIPT),
    ),
    plugins=(
        PluginFacts(
            id="10330",
            name=f"Services {SCRIPT}",
            family="=Service detection",
            category="infos",
            summary="Find <what> is listening",
            cve=("CVE-2024-0001",),
            xrefs=("URL:http://a.invalid/?q=<b>",),
            solution=f"Upgrade.\n{SCRIPT}",
        ),
        PluginFacts(id="99", name="not named by any finding"),
    ),
)
