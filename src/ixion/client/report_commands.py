"""``ixion report``: report files converted and read offline, with no server.

``convert`` is nessus' ``-i IN -o OUT`` under a name that says what it does, with the same
rules for telling formats from file names (:mod:`ixion.client.report_files`); ``show`` prints
a report in the terminal (:mod:`ixion.client.report_view`).
"""

from __future__ import annotations

import sys
from typing import NoReturn

import click

from ixion.client.report_files import (
    STANDARD_STREAM,
    ReportFileError,
    convert_report,
    input_format,
    read_report,
)
from ixion.client.report_view import MAX_SHOWN_CHARS, MAX_SHOWN_LINES, make_console, show_results
from ixion.reports.formats import report_formats

__all__ = ["report"]


def _readable() -> str:
    return ", ".join(f.name for f in report_formats().values() if f.read is not None)


def _fail(exc: Exception) -> NoReturn:
    click.echo(f"ixion report: {exc}", err=True)
    sys.exit(1)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def report() -> None:
    """Convert report files and read them in the terminal; no server needed.

    A file's format comes from its extension (.nbe, .nsr, .txt, .xml, .json, .jsonl,
    .sarif, .csv...) unless an option names it; - is standard input or output, in NBE.

    \b
    Examples:
      ixion report convert scan.nbe scan.json
      ixion report show scan.nbe
    """


@report.command()
@click.argument("source", metavar="IN")
@click.argument("target", metavar="OUT")
@click.option(
    "--from",
    "source_format",
    metavar="FORMAT",
    help=f"Read IN as this format ({_readable()}); default: by its extension.",
)
@click.option(
    "--to",
    "target_format",
    metavar="FORMAT",
    help=f"Write OUT in this format ({', '.join(report_formats())}); default: by its "
    "extension, nsr for a name without one.",
)
def convert(source: str, target: str, source_format: str | None, target_format: str | None) -> None:
    """Read the report IN and write it to OUT in another format.

    IN can be a report ixion reads back (NBE, NSR, JSON, JSON Lines); OUT any format ixion
    writes. OUT is replaced if it exists. Like nessus -i IN -o OUT, which ixion -i IN -o OUT
    also does.

    \b
    Examples:
      ixion report convert scan.nbe scan.sarif
      ixion report convert scan.json scan.nbe
      ixion report convert --to csv scan.nbe - | head
      ixion report convert --from jsonl live.log report.txt
    """
    try:
        convert_report(source, target, source_format=source_format, target_format=target_format)
    except ReportFileError as exc:
        _fail(exc)


@report.command()
@click.argument("file")
@click.option(
    "--from",
    "source_format",
    metavar="FORMAT",
    help=f"Read FILE as this format ({_readable()}); default: by its extension.",
)
@click.option("--summary", is_flag=True, help="Only the headline and the table of hosts.")
@click.option(
    "--full",
    is_flag=True,
    help=f"Show whole texts (otherwise cut at {MAX_SHOWN_LINES} lines or "
    f"{MAX_SHOWN_CHARS} characters).",
)
def show(file: str, source_format: str | None, summary: bool, full: bool) -> None:
    """Print the report FILE: a table of hosts with their findings counted by severity,
    then every finding, most severe first.

    Colours on a terminal unless NO_COLOR is set; plain text when the output is a pipe or
    a file. What the scanned hosts sent is shown escaped, never interpreted by the terminal.

    \b
    Examples:
      ixion report show scan.nbe
      ixion report show --summary scan.json
      ixion report show scan.nbe | grep -A3 '^HOLE'
      ixion -q -c scan.rc localhost 1241 alice secret targets - | ixion report show -
    """
    try:
        results = read_report(file, input_format(file, source_format))
    except ReportFileError as exc:
        _fail(exc)
    title = "standard input" if file == STANDARD_STREAM else file
    show_results(results, make_console(), title=title, summary_only=summary, full=full)
