"""``ixion-nasl``: run NASL scripts from the command line, as ``openvas-nasl`` does.

``ixion-nasl [-t HOST] [-k KEY=VALUE]... [-i DIR]... [-T] [-X] SCRIPT...`` runs each
script (``description`` FALSE, ``COMMAND_LINE`` TRUE) against HOST (default 127.0.0.1) with
a KB preset by ``-k``. What a script displays goes to standard output, byte for byte, and
so do its findings, one line each (``[HOLE] port 80/tcp: text``); warnings, errors and
the ``-T`` trace go to standard error with ``file:line``. The scripts share one KB, so a
later script sees what an earlier one set, as plugins of one scan do.

``--parse-only DIR`` parses every ``.nasl`` and ``.inc`` file under DIR and prints each
syntax error with its place, then a count; the exit status is 1 if any file failed. The
description mode (``-D``) belongs to :mod:`ixion.nasl.description` and is not here yet.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import click

from .errors import NaslError, NaslSyntaxError
from .includes import Includes
from .interpreter import Interpreter
from .kb import KbValue, MemoryKB
from .parser import parse
from .sockets import resolve_target

if TYPE_CHECKING:
    from collections.abc import Sequence

    from . import ast
    from .diagnostics import Diagnostic
    from .host import Report

__all__ = ["cli", "kb_item", "main"]

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
    parse_only: Path | None,
    scripts: tuple[Path, ...],
) -> None:
    """Run NASL SCRIPTs against HOST."""
    if parse_only is not None:
        sys.exit(_check_parse(parse_only))
    if not scripts:
        raise click.UsageError("no script to run")
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
