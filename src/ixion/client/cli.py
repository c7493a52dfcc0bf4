"""The ``ixion`` command line.

``ixion -q ...`` is the batch client, argument for argument the ``nessus -q`` of Nessus 2.2
(spec §9.1), so scripts written for it keep working; so is ``ixion -i IN -o OUT``, its report
conversion. Everything else is a subcommand.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import click
from click.shell_completion import get_completion_class

from ixion import __version__
from ixion.client.batch import (
    BatchError,
    BatchScan,
    list_sessions,
    read_attachments,
    read_targets,
    tls_context,
)
from ixion.client.batch import run_batch_scan as _run_batch_scan
from ixion.client.connection import ClientConnection, ConnectionFailed, ServerOffer
from ixion.client.ntp_decode import decode_stream
from ixion.client.plugin_lines import PluginListing
from ixion.client.preferences import PluginChoices
from ixion.client.rcfile import DEFAULT_RCFILE, RcFile, RcFileError, parse_rcfile
from ixion.client.report_commands import report
from ixion.client.report_files import (
    ReportFileError,
    convert_report,
    output_format,
    write_report,
)
from ixion.client.server_commands import plugins, sessions
from ixion.client.server_output import pipe_may_close
from ixion.ntp import Features, RemoteProtocolError
from ixion.plugin_api.selection import SelectionError
from ixion.reports.formats import report_formats

if TYPE_CHECKING:
    from collections.abc import Sequence

    from ixion.ntp import PluginBatch, PluginSink, SessionEntry

__all__ = ["batch", "cli", "handles_alone", "main"]

#: Where click's shell completion finds its instruction for a program named ``ixion``.
_COMPLETE_VARIABLE = "_IXION_COMPLETE"


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point: the batch client for ``-q`` (or ``-i``), else the subcommands."""
    args = list(sys.argv[1:] if argv is None else argv)
    command = batch if _wants_batch(args or _words_being_completed()) else cli
    command.main(args, prog_name="ixion")


def handles_alone(args: Sequence[str]) -> bool:
    """Whether the line goes to the batch client or to a command of the client's own, so
    that the commands other packages add to :data:`cli` need not even be imported."""
    return bool(args) and (args[0] in cli.commands or _wants_batch(list(args)))


def _words_being_completed() -> list[str]:
    """The words before the cursor when a shell asks for completions, else none.

    The shell runs ``ixion`` with no arguments and the line in its environment
    (``_IXION_COMPLETE``, ``COMP_WORDS``): the line, not the empty argv, tells whether the
    batch client's options or the subcommands are wanted. click reads the line as it will.
    """
    shell, _, action = os.environ.get(_COMPLETE_VARIABLE, "").partition("_")
    shell_class = get_completion_class(shell) if action == "complete" else None
    if shell_class is None:
        return []
    words, _incomplete = shell_class(cli, {}, "ixion", _COMPLETE_VARIABLE).get_completion_args()
    return words


def _wants_batch(args: list[str]) -> bool:
    if args and args[0] in cli.commands:  # a subcommand's own options are its own
        return False
    for arg in args:
        if arg == "--":
            return False
        # nessus converts with -i IN -o OUT, -q or not (spec §9.1).
        if arg.startswith("-") and not arg.startswith("--") and ("q" in arg[1:] or arg[1:2] == "i"):
            return True
    return False


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="ixion")
def cli() -> None:
    """ixion: a network vulnerability scanner speaking the Nessus Transfer Protocol.

    Batch scans: ixion -q [-V] [-x] [-T TYPE] [-c RCFILE] HOST PORT USER PASSWORD
    TARGETS-FILE RESULT-FILE; report conversion: ixion -i IN -o OUT [-T TYPE]
    (see ixion -q --help).

    \b
    Examples:
      ixion scan 192.0.2.10 -o report.html
      ixion -q -c scan.rc localhost 1241 alice secret targets.txt report.nbe
      ixion report show report.nbe
      ixion scan --help
    """


cli.add_command(report)
cli.add_command(plugins)
cli.add_command(sessions)


@cli.command("ntp-decode")
@click.option(
    "--side",
    type=click.Choice(["server", "client"]),
    required=True,
    help="Which peer sent the bytes in FILE.",
)
@click.option(
    "--features",
    default="",
    metavar='"WORD ..."',
    help=(
        "For a server stream decoded alone: the client's banner extension words "
        "(plugins_version, plugins_cve_id, ...) and the report options it sent "
        "(ntp_escape_crlf, ntp_client_accepts_notes, ntp_short_status). "
        "The version comes from the stream itself."
    ),
)
@click.argument("file", type=click.File("rb"))
def ntp_decode(side: str, features: str, file: BinaryIO) -> None:
    """Decode one direction of a captured NTP conversation into JSON lines.

    FILE holds the raw bytes one peer sent (- for standard input). One JSON object is
    printed per message, in order. On a malformed stream the messages decoded so far are
    printed, then an error naming the byte offset, and the exit status is 1.

    \b
    Examples:
      ixion ntp-decode --side server server-bytes.bin
      ixion ntp-decode --side client - < client-bytes.bin | grep PREFERENCES
      ixion ntp-decode --side server --features "plugins_version" server-bytes.bin
    """
    try:
        decode_stream(side, Features.from_words(features.split()), file, sys.stdout)
    except RemoteProtocolError as exc:
        sys.stdout.flush()
        where = "" if exc.offset is None else f" at byte {exc.offset}"
        click.echo(f"ixion ntp-decode: malformed {side} stream{where}: {exc.message}", err=True)
        sys.exit(1)


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-q", "batch_mode", is_flag=True, help="Batch mode (required but for -i/-o).")
@click.option("-V", "verbose", is_flag=True, help="Print progress lines while scanning.")
@click.option("-x", "no_verify", is_flag=True, help="Do not check the server's certificate.")
@click.option(
    "-T",
    "report_type",
    metavar="TYPE",
    help=f"Report type: {', '.join(report_formats())} (default: the result file's extension, "
    "nsr without one).",
)
@click.option("-c", "rc_path", metavar="RCFILE", help="The rc file (default ~/.nessusrc).")
@click.option("-p", "list_plugins", is_flag=True, help="List the server's plugins and exit.")
@click.option("-P", "list_preferences", is_flag=True, help="List its preferences and exit.")
@click.option("-s", "list_saved", is_flag=True, help="List the saved sessions and exit.")
@click.option("--detached", is_flag=True, help="With -s: list the detached scans instead.")
@click.option(
    "--stop-detached", metavar="NUMBER", help="With -s --detached: stop that detached scan first."
)
@click.option("-R", "session", metavar="SESSION", help="Restore a saved session and report it.")
@click.option("-i", "in_report", metavar="IN", help="Convert this report (.nbe, .nsr, .json...).")
@click.option(
    "-o", "out_report", metavar="OUT", help="With -i: write it here (type by -T or name)."
)
@click.argument("args", nargs=-1)
def batch(
    batch_mode: bool,
    verbose: bool,
    no_verify: bool,
    report_type: str | None,
    rc_path: str | None,
    list_plugins: bool,
    list_preferences: bool,
    list_saved: bool,
    detached: bool,
    stop_detached: str | None,
    session: str | None,
    in_report: str | None,
    out_report: str | None,
    args: tuple[str, ...],
) -> None:
    """HOST PORT USER PASSWORD TARGETS-FILE RESULT-FILE: scan, then write the report.

    With -p, -P or -s only HOST PORT USER PASSWORD; with -R SESSION, HOST PORT USER PASSWORD
    RESULT-FILE. RESULT-FILE - writes NBE to standard output. With -i IN -o OUT, no server:
    convert a saved report (-q optional, as with nessus).

    \b
    Examples:
      ixion -q -c scan.rc localhost 1241 alice secret targets.txt report.nbe
      ixion -q -T json localhost 1241 alice secret targets.txt report
      ixion -q -i report.nbe -o report.sarif
    """
    listing = list_plugins or list_preferences or list_saved
    try:
        if in_report is not None or out_report is not None:
            _convert(in_report, out_report, report_type, args)
            return
        if not batch_mode:
            raise BatchError("a scan needs -q (see ixion -q --help)")
        rc = _load_rc(rc_path)
        count = 4 if listing else 5 if session is not None else 6
        host, port, user, password, *rest = _check_args(args, count)
        server = (host, port, user, password, rc, not no_verify)
        if list_saved:
            entries = asyncio.run(_sessions(*server, detached=detached, stop=stop_detached))
            for entry in entries:
                click.echo(f"{entry.id} {entry.targets}")
            return
        if list_plugins:
            _print_plugins(*server)
            return
        if list_preferences:
            # The plugin list goes by unkept: -P prints the preferences alone.
            _print_preferences(asyncio.run(_offer(*server, plugins=_unkept)))
            return
        targets_file, result_file = rest if session is None else ("", rest[0])
        report_format = output_format(result_file, report_type)
        scan = BatchScan(
            host=host,
            port=port,
            user=user,
            password=password,
            targets=read_targets(Path(targets_file)) if session is None else "",
            rc=rc,
            attachments=read_attachments(rc),
            verbose=verbose,
            verify_certificate=not no_verify,
            session=session,
        )
        results = asyncio.run(_run_batch_scan(scan))
        write_report(results, report_format, result_file)
    except (
        BatchError,
        ConnectionFailed,
        RcFileError,
        ReportFileError,
        OSError,
        UnicodeError,
    ) as exc:
        click.echo(f"ixion: {exc}", err=True)
        sys.exit(1)


def _convert(
    in_report: str | None, out_report: str | None, report_type: str | None, args: tuple[str, ...]
) -> None:
    """nessus' ``-i IN -o OUT [-T TYPE]``: a report converted offline (spec §9.1)."""
    if in_report is None or out_report is None:
        raise BatchError("-i and -o go together: ixion -q -i IN -o OUT [-T TYPE]")
    if args:
        raise BatchError(f"-i/-o take no other arguments, got {len(args)}")
    convert_report(in_report, out_report, target_format=report_type)


def _check_args(args: tuple[str, ...], count: int) -> tuple[str, int, str, str, *tuple[str, ...]]:
    if len(args) != count:
        raise BatchError(f"expected {count} arguments, got {len(args)} (see ixion -q --help)")
    try:
        port = int(args[1])
    except ValueError:
        raise BatchError(f"bad port {args[1]!r}") from None
    return (args[0], port, args[2], args[3], *args[4:])


def _load_rc(path: str | None) -> RcFile:
    """``-c`` if given, else ``$NESSUSHOME/.nessusrc`` or ``~/.nessusrc`` if present."""
    if path is None:
        home = Path(os.environ.get("NESSUSHOME") or Path.home())
        default = home / ".nessusrc"
        if not default.exists():
            return DEFAULT_RCFILE
        path = str(default)
    rc = parse_rcfile(Path(path).read_text(encoding="utf-8"))
    try:
        PluginChoices(rc)
    except SelectionError as exc:
        raise BatchError(f"{path}: {exc}") from None
    return rc


async def _offer(
    host: str,
    port: int,
    user: str,
    password: str,
    rc: RcFile,
    verify: bool,
    plugins: PluginSink | None = None,
) -> ServerOffer:
    connection = await ClientConnection.open(
        host,
        port,
        ssl_context=tls_context(rc, verify=verify),
        plugins=plugins,
        keep_dependencies=False,
    )
    try:
        return await connection.login(user, password)
    finally:
        await connection.close()


async def _sessions(
    host: str,
    port: int,
    user: str,
    password: str,
    rc: RcFile,
    verify: bool,
    *,
    detached: bool,
    stop: str | None,
) -> tuple[SessionEntry, ...]:
    connection = await ClientConnection.open(
        host,
        port,
        ssl_context=tls_context(rc, verify=verify),
        plugins=_unkept,
        keep_dependencies=False,
    )
    try:
        await connection.login(user, password)
        return await list_sessions(connection, detached=detached, stop=stop)
    finally:
        await connection.close()


def _print_plugins(
    host: str, port: int, user: str, password: str, rc: RcFile, verify: bool
) -> None:
    """``-p``: one line per plugin, written as the server's PLUGIN_LIST arrives (spec §9.1)."""
    listing = PluginListing(sys.stdout.buffer)
    with pipe_may_close():
        asyncio.run(_offer(host, port, user, password, rc, verify, plugins=listing))
        sys.stdout.flush()


def _unkept(batch: PluginBatch) -> None:
    """A plugin sink that keeps nothing."""


def _print_preferences(offer: ServerOffer) -> None:
    """``-P``: ``name = value`` per server preference (spec §9.1)."""
    items = offer.preferences.items if offer.preferences is not None else ()
    with pipe_may_close():
        sys.stdout.write("".join(f"{name} = {value}\n" for name, value in items))
        sys.stdout.flush()
