"""The ``ixion`` command line."""

from __future__ import annotations

import sys
from typing import BinaryIO

import click

from ixion import __version__
from ixion.ntp import Features, RemoteProtocolError

from .ntp_decode import decode_stream

__all__ = ["main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="ixion")
def main() -> None:
    """ixion: a network vulnerability scanner speaking the Nessus Transfer Protocol."""


@main.command("ntp-decode")
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
    """
    try:
        decode_stream(side, Features.from_words(features.split()), file, sys.stdout)
    except RemoteProtocolError as exc:
        sys.stdout.flush()
        where = "" if exc.offset is None else f" at byte {exc.offset}"
        click.echo(f"ixion ntp-decode: malformed {side} stream{where}: {exc.message}", err=True)
        sys.exit(1)
