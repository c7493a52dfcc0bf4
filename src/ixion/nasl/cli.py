"""``ixion-nasl``: run NASL scripts from the command line, as ``openvas-nasl`` does.

``ixion-nasl [-t HOST] [-k KEY=VALUE]... [-i DIR]... [-T] [-X] SCRIPT...`` runs each
script (``description`` FALSE, ``COMMAND_LINE`` TRUE) against HOST (default 127.0.0.1) with
a KB preset by ``-k``. What a script displays goes to standard output, byte for byte, and
so do its findings, one line each (``[HOLE] port 80/tcp: text``); warnings, errors and
the ``-T`` trace go to standard error with ``file:line``. The scripts share one KB, so a
later script sees what an earlier one set, as plugins of one scan do.

``--parse-only DIR`` parses every ``.nasl`` and ``.inc`` file under DIR and prints each
syntax error with its place, then a count; the exit status is 1 if any file failed.

``-D`` (``--describe``) runs only each script's description part
(:mod:`ixion.nasl.catalog.describe`, as the daemon does to list plugins) and prints what it
recorded, one block per script, every field shown (``-`` when the script set nothing) so
that an author sees what is missing as well as what is there; plus the NTP id ixion gives
the script. A script that cannot be described, or whose metadata the engine would refuse,
gets its reason on standard error (``file:line:col: message``), and the exit status is 1.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Final

import click

from ixion.nasl.catalog.describe import Describer, DescriptionError
from ixion.nasl.catalog.plugin_info import plugin_id, to_plugin_info
from ixion.nasl.interpreter import Interpreter
from ixion.nasl.network.sockets import resolve_target
from ixion.nasl.runtime.includes import Includes
from ixion.nasl.runtime.kb import KbValue, MemoryKB
from ixion.nasl.runtime.predefined import CONSTANTS
from ixion.nasl.syntax.errors import NaslError, NaslSyntaxError
from ixion.nasl.syntax.parser import parse

if TYPE_CHECKING:
    from collections.abc import Sequence

    from ixion.nasl.description.metadata import NaslMetadata
    from ixion.nasl.network.host import Report
    from ixion.nasl.runtime.diagnostics import Diagnostic
    from ixion.nasl.syntax import ast

__all__ = ["cli", "describe_block", "kb_item", "main"]

_TAGS = {
    "hole": "HOLE",
    "warning": "WARNING",
    "note": "NOTE",
    "log": "LOG",
    "error": "ERROR",
}


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the ``ixion-nasl`` script."""
    cli.main(list(sys.argv[1:] if argv is None else argv), prog_name="ixion-nasl")


def kb_item(text: str) -> tuple[str, KbValue]:
    """``KEY=VALUE`` as a KB item: an int when VALUE is all digits, else bytes."""
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise click.BadParameter(f"{text!r} is not KEY=VALUE", param_hint="-k")
    return name, int(value) if value.isdigit() else value.encode()


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-t", "target", default="127.0.0.1", metavar="HOST", help="The scanned host.")
@click.option("-k", "items", multiple=True, metavar="KEY=VALUE", help="Preset a KB item.")
@click.option(
    "-i",
    "include_dirs",
    multiple=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="A directory to look for include files in.",
)
@click.option("-T", "trace", is_flag=True, help="Trace each statement to standard error.")
@click.option("-X", "--trusted", is_flag=True, help="Allow file and command built-ins.")
@click.option(
    "-D", "--describe", is_flag=True, help="Only run the description part; print the metadata."
)
@click.option(
    "--parse-only",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Only parse every .nasl/.inc file under this directory.",
)
@click.argument("scripts", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
def cli(
    target: str,
    items: tuple[str, ...],
    include_dirs: tuple[Path, ...],
    trace: bool,
    trusted: bool,
    describe: bool,
    parse_only: Path | None,
    scripts: tuple[Path, ...],
) -> None:
    """Run NASL SCRIPTs against HOST.

    \b
    Examples:
      ixion-nasl -t 192.0.2.10 -i /var/lib/openvas/plugins http_version.nasl
      ixion-nasl -k Services/www=80 -T check.nasl
      ixion-nasl -D -i plugins plugins/ssh_detect.nasl
      ixion-nasl --parse-only /var/lib/openvas/plugins
    """
    if parse_only is not None:
        sys.exit(_check_parse(parse_only))
    if not scripts:
        raise click.UsageError("no script to run")
    if describe:
        sys.exit(_describe_all(scripts, include_dirs))
    kb = MemoryKB(kb_item(item) for item in items)
    out = sys.stdout.buffer
    try:
        host = resolve_target(target, on_report=lambda report: _print_report(out, report))
    except OSError as err:
        raise click.BadParameter(f"{target}: {err}", param_hint="-t") from None
    interpreter = Interpreter(
        kb=kb,
        host=host,
        includes=Includes(include_dirs),
        output=lambda data: _write(out, data),
        diagnostics=_print_diagnostic,
        trusted=trusted,
        trace=_print_trace if trace else None,
    )
    failed = sum(not _run(interpreter, script) for script in scripts)
    sys.exit(1 if failed else 0)


def _run(interpreter: Interpreter, script: Path) -> bool:
    """Run one script; False if it did not parse or failed."""
    source = script.read_bytes()
    try:
        program = parse(source, str(script))
        interpreter.run(program, source=source, directory=script.parent, command_line=True)
    except NaslError as err:
        click.echo(str(err), err=True)
        return False
    return True


def _check_parse(directory: Path) -> int:
    files = sorted(
        path for path in directory.rglob("*") if path.suffix in (".nasl", ".inc") and path.is_file()
    )
    errors = 0
    for path in files:
        try:
            parse(path.read_bytes(), str(path))
        except NaslSyntaxError as err:
            errors += 1
            click.echo(str(err))
    click.echo(f"{len(files)} files parsed, {errors} with errors")
    return 1 if errors else 0


def _describe_all(scripts: Sequence[Path], include_dirs: Sequence[Path]) -> int:
    """``-D``: a block per script on stdout, failures on stderr; 1 if any failed."""
    describer = Describer(include_dirs)
    failed = shown = 0
    for script in scripts:
        try:
            meta = describer.describe(script)
        except DescriptionError as err:
            click.echo(str(err), err=True)
            failed += 1
            continue
        if shown:
            click.echo()
        shown += 1
        click.echo(describe_block(str(script), meta))
        try:
            to_plugin_info(meta, script.name)
        except ValueError as err:
            click.echo(f"{script}: not usable as a plugin: {err}", err=True)
            failed += 1
    return 1 if failed else 0


#: ``ACT_*`` names by number, from the constants scripts use.
_CATEGORY_NAMES: Final = {
    number: name
    for name, number in CONSTANTS.items()
    if name.startswith("ACT_") and isinstance(number, int)
}
#: Width of the labels in a ``-D`` block.
_LABEL: Final = 22


def describe_block(filename: str, meta: NaslMetadata) -> str:
    """What ``-D`` prints for one script: its name, then a field a line, texts indented.

    Lists are comma-separated; preferences are one a line, ``name (type), default "..."``;
    tags one a line, in the script's order, a repeated tag as often as it was given.
    """
    lines = [f"{filename}:"]
    pad = " " * (2 + _LABEL)

    def field(label: str, value: str | tuple[object, ...]) -> None:
        text = value if isinstance(value, str) else ", ".join(map(str, value))
        body = (text.strip("\n") or "-").replace("\n", "\n" + pad)
        lines.append(f"  {label + ':':<{_LABEL - 1}} {body}" if label else pad + body)

    field("OID", meta.oid)
    field("script_id", "" if meta.id is None else str(meta.id))
    try:
        field("NTP id", str(plugin_id(meta)))
    except ValueError as err:
        field("NTP id", f"none ({err})")
    field("name", meta.name)
    field("family", meta.family)
    field("category", _category(meta.category))
    field("version", meta.version)
    field("copyright", meta.copyright)
    field("timeout", "default (plugins_timeout)" if meta.timeout is None else f"{meta.timeout} s")
    field("summary", meta.summary)
    field("description", meta.description)
    field("CVE", meta.cve)
    field("BID", meta.bid)
    field("xrefs", meta.xrefs)
    field("dependencies", meta.dependencies)
    field("required keys", meta.require_keys)
    field("mandatory keys", meta.mandatory_keys)
    field("excluded keys", meta.exclude_keys)
    field("required ports", meta.require_ports)
    field("required UDP ports", meta.require_udp_ports)
    preferences = [f'{p.name} ({p.type}), default "{p.value}"' for p in meta.preferences]
    field("preferences", preferences[0] if preferences else "")
    for text in preferences[1:]:
        field("", text)
    if not meta.tags:
        field("tags", "")
    else:
        lines.append("  tags:")
    for name, value in meta.tags:
        field(f"  {name}", value)
    return "\n".join(line.rstrip() for line in "\n".join(lines).split("\n"))


def _category(category: int | None) -> str:
    if category is None:
        return "none (the engine takes ACT_GATHER_INFO)"
    name = _CATEGORY_NAMES.get(category)
    return f"{name} ({category})" if name else f"{category} (unknown)"


def _write(out: BinaryIO, data: bytes) -> None:
    out.write(data)
    out.flush()


def _print_report(out: BinaryIO, report: Report) -> None:
    where = f"port {report.port}/{report.protocol}" if report.port else f"general/{report.protocol}"
    _write(out, f"[{_TAGS[report.kind]}] {where}: ".encode() + report.data + b"\n")


def _print_diagnostic(diagnostic: Diagnostic) -> None:
    click.echo(str(diagnostic), err=True)


def _print_trace(filename: str, pos: ast.Pos, text: str) -> None:
    click.echo(f"{filename}:{pos.line}: {text}", err=True)
