"""The HTML report (``-T html``): one self-contained page to read, filter and print.

The page is rendered from ``templates/report.html.j2`` with its stylesheet and script
inlined, and an inline SVG bar chart of the findings by severity. It loads nothing: a
Content-Security-Policy ``<meta>`` denies every fetch (``default-src 'none'``) and allows
only the page's own ``<style>`` and ``<script>``, by their SHA-256 hashes, so even markup
that got past escaping could run no script. Links (CVE records, http(s) references) are
navigation the reader chooses, not fetches.

Every text a scanned host could have chosen (banners, host names, ports, plugin facts) is
in the page as escaped text, never as markup:

* the template environment autoescapes and is strict about undefined names;
* its ``finalize`` hook sees every value printed, and turns characters HTML cannot show
  into visible stand-ins: C0 controls and DEL become their Unicode control pictures
  (``NUL`` shows as U+2400), C1 controls and lone surrogates (bytes that were not UTF-8)
  become U+FFFD; TAB, LF and CR stay;
* the script takes its data from ``data-*`` attributes that hold only numbers and severity
  names, so no report text is ever parsed as script or JSON;
* a reference becomes a link only when it is an http(s) URL or a CVE id.

Filtering and sorting work on the rendered findings; without script the page shows all of
them expanded, which is also what it prints (``@media print``). The same results always
give the same bytes: nothing depends on the clock or on the order of a set.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import re
from importlib import resources
from typing import TYPE_CHECKING, Final

import jinja2
from markupsafe import Markup

from ixion import __version__
from ixion.reports.html_view import (
    RANKED,
    SORT_KEYS,
    bars,
    finding_families,
    finding_views,
    host_views,
    hosts_with_findings,
)
from ixion.reports.results import TimestampKind

if TYPE_CHECKING:
    from ixion.reports.results import ScanResults

__all__ = ["shown", "write_html"]

_TEMPLATES: Final = "templates"
_TEMPLATE: Final = "report.html.j2"
_STYLESHEET: Final = "report.css"
_SCRIPT: Final = "report.js"

#: What an HTML page cannot show as itself: C0 controls but TAB, LF and CR (HTML's parser
#: drops NUL, the others are parse errors that render as nothing), DEL, C1 controls; and lone
#: surrogates, which have no UTF-8 form at all.
_UNSHOWABLE: Final = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_CONTROL_PICTURES: Final = 0x2400
_DELETE_PICTURE: Final = "\u2421"
_REPLACEMENT: Final = "\ufffd"


def write_html(results: ScanResults) -> bytes:
    """The HTML report for these results: a UTF-8 page that fetches nothing."""
    stylesheet, script = _asset(_STYLESHEET), _asset(_SCRIPT)
    hosts = hosts_with_findings(results)
    families = finding_families(results)
    counts = [results.count(severity) for severity in RANKED]
    starts = [t.when for t in results.timestamps if t.kind is TimestampKind.SCAN_START]
    ends = [t.when for t in results.timestamps if t.kind is TimestampKind.SCAN_END]
    host_rows = host_views(results)
    page = (
        _environment()
        .get_template(_TEMPLATE)
        .render(
            version=__version__,
            csp=_content_security_policy(stylesheet, script),
            # The package's own files, checked by _asset: markup, not text to escape.
            stylesheet=Markup(stylesheet),
            script=Markup(script),
            bars=bars(counts),
            total=sum(counts),
            # The first start and the last end: a restored session may repeat them.
            started=starts[0] if starts else None,
            ended=ends[-1] if ends else None,
            host_rows=host_rows,
            open_ports=sum(len(row.open_ports) for row in host_rows),
            rejected=results.rejected_hosts,
            hosts=hosts,
            families=families,
            sort_keys=SORT_KEYS.items(),
            findings=finding_views(results, hosts, families),
        )
    )
    return page.encode("utf-8")


def shown(value: object) -> object:
    """A value as the page prints it: text with every unshowable character made visible.

    The environment's ``finalize`` hook, so it sees every ``{{ }}`` value before escaping;
    markup the writer itself made (:class:`Markup`) is left alone.
    """
    if isinstance(value, str) and not isinstance(value, Markup):
        return _UNSHOWABLE.sub(_stand_in, value)
    return value


def _stand_in(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x20:
        return chr(_CONTROL_PICTURES + code)
    return _DELETE_PICTURE if code == 0x7F else _REPLACEMENT


@functools.cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("ixion.reports", _TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        finalize=shown,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


@functools.cache
def _asset(name: str) -> str:
    """A stylesheet or script shipped beside the template, to be inlined as it is."""
    text = resources.files(__package__ or "ixion.reports").joinpath(_TEMPLATES, name)
    content = text.read_text(encoding="utf-8")
    # Inlined raw: anything that could close its element would end it early.
    if re.search("</(script|style)", content, re.IGNORECASE):
        raise AssertionError(f"{name} must not contain a closing tag")
    return content


def _content_security_policy(stylesheet: str, script: str) -> str:
    """No fetch of any kind; only the page's own stylesheet and script, by their hashes."""

    def source(text: str) -> str:
        digest = hashlib.sha256(text.encode("utf-8")).digest()
        return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"

    return (
        f"default-src 'none'; style-src {source(stylesheet)}; script-src {source(script)}; "
        "base-uri 'none'; form-action 'none'"
    )
