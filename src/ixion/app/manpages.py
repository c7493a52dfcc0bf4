"""``ixion man``: a man page for every command ixion installs, and for each of its subcommands.

The commands are the console scripts of ``[project.scripts]`` in pyproject.toml, imported
here by name (:data:`INSTALLED`), so that ``lint-imports`` sees what the manual depends on;
a test checks that the list and the installed entry points agree, so a new script cannot go
without its page. ``ixion`` itself is the group that is running, with the app's commands
already on it; ``ixion -q``, a command of its own behind ``ixion``'s dispatch, is added as
``ixion-batch``. :mod:`ixion.app.troff` writes each page.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Final

import click

from ixion import __version__
from ixion.app.troff import Page, render_page
from ixion.client.cli import batch
from ixion.nasl import cli as nasl_cli
from ixion.server import admin, daemon, mkcert

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = ["INSTALLED", "man", "manual_pages", "write_pages"]

#: The program the running group is; its page is made from that group, not an entry point.
PROGRAM: Final = "ixion"
#: What NAME says of ``ixion -q``, whose help opens with its argument list instead.
BATCH_SUMMARY: Final = "the batch client, ixion -q, argument for argument nessus -q"
#: Where a package's commands go in the manual: nessusd and its tools were in section 8,
#: the commands for whoever runs the daemon; everything else is a user's command.
_SYSTEM_PACKAGE: Final = "ixion.server."
#: Every console script but ``ixion``, by name: the click command behind it. ``ixion-nasl``'s
#: entry point is a plain function that names the program, so its page comes from the
#: command that function runs.
INSTALLED: Final[dict[str, click.Command]] = {
    "ixiond": daemon.main,
    "ixion-mkcert": mkcert.main,
    "ixion-adduser": admin.adduser,
    "ixion-rmuser": admin.rmuser,
    "ixion-nasl": nasl_cli.cli,
}


def manual_pages(root: click.Group) -> list[Page]:
    """Every page: ``root`` as ``ixion``, ``ixion -q``, the other installed commands, and
    every subcommand under each, sorted by name."""
    pages = [*_walk(_context(root, PROGRAM), PROGRAM, "1")]
    pages.append(Page("ixion-batch", "1", _context(batch, PROGRAM), BATCH_SUMMARY))
    for name, command in INSTALLED.items():
        section = "8" if _defined_in(command).startswith(_SYSTEM_PACKAGE) else "1"
        pages += _walk(_context(command, name), name, section)
    return sorted(pages, key=lambda page: page.name)


def _defined_in(command: click.Command) -> str:
    return getattr(command.callback, "__module__", "") or ""


def _context(
    command: click.Command, info_name: str, parent: click.Context | None = None
) -> click.Context:
    """A context as ``command.make_context`` would build it, settings included (``-h`` is
    a help option through them), but with no arguments parsed."""
    return click.Context(command, info_name=info_name, parent=parent, **command.context_settings)


def _walk(ctx: click.Context, name: str, section: str) -> Iterator[Page]:
    """The page of ``ctx``'s command, then those of its subcommands, depth first."""
    yield Page(name, section, ctx)
    command = ctx.command
    if isinstance(command, click.Group):
        for sub_name in command.list_commands(ctx):
            sub = command.get_command(ctx, sub_name)
            if sub is not None and not sub.hidden:
                sub_ctx = _context(sub, sub_name, parent=ctx)
                yield from _walk(sub_ctx, f"{name}-{sub_name}", section)


def write_pages(root: click.Group, directory: Path) -> list[Path]:
    """Every page, as ``directory/man<section>/<name>.<section>``: a tree MANPATH can name."""
    pages = manual_pages(root)
    written: list[Path] = []
    for page in pages:
        path = directory / f"man{page.section}" / f"{page.name}.{page.section}"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render_page(page, pages, __version__), encoding="ascii")
        written.append(path)
    return written


@click.command("man")
@click.option(
    "-o",
    "--output",
    "directory",
    required=True,
    metavar="DIR",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write the pages under DIR/man1 and DIR/man8 (made if missing).",
)
@click.pass_context
def man(ctx: click.Context, directory: Path) -> None:
    """Write the man pages of every ixion command and subcommand, made from their --help.

    One troff file per page (ixion-scan.1, ixiond.8, ...), with the synopsis, the options,
    the examples and the exit status --help gives. Existing pages are replaced; each file
    written is printed.

    \b
    Examples:
      ixion man --output ~/.local/share/man && man ixion-scan
      ixion man -o build/man && man -l build/man/man1/ixion-report-show.1
      sudo ixion man -o /usr/local/share/man && sudo mandb -q
    """
    root = ctx.find_root().command
    assert isinstance(root, click.Group)
    try:
        written = write_pages(root, directory)
    except OSError as exc:
        raise click.ClickException(f"{exc.filename}: {exc.strerror}") from None
    for path in written:
        click.echo(str(path))
