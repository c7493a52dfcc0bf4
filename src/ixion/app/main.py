"""The ``ixion`` command: the client's commands, with ``scan`` added.

The client (:mod:`ixion.client.cli`) owns ``ixion``'s group and its batch mode: ``ixion -q``
is ``nessus -q`` argument for argument, chosen by a short option holding ``q`` anywhere on
the line. ``ixion scan`` must not fall into that net (``ixion scan HOST -q`` is a quiet scan,
not a batch scan), so a line whose first word is an app command goes to the group directly,
and every other line goes to the client's own entry point exactly as before. The client may
not import the engine; this package may, so ``scan`` is added here, to the same group object,
and ``ixion --help`` lists it with the rest.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Final

from ixion.client import cli as client_cli

if TYPE_CHECKING:
    from collections.abc import Sequence

    import click

__all__ = ["APP_COMMANDS", "ixion_group", "main"]

#: The names of the commands this package adds to the client's group.
APP_COMMANDS: Final = ("scan", "man", "completion")


def _app_commands() -> tuple[click.Command, ...]:
    """The commands themselves, imported when a line needs them: ``scan`` brings the engine
    and the server with it, half a second that ``ixion -q`` and ``ixion plugins`` would pay
    for nothing (issue 14 gives each 2 s of CPU with a whole feed)."""
    from ixion.app.command import scan
    from ixion.app.completion import completion
    from ixion.app.manpages import man

    return (scan, man, completion)


def ixion_group() -> click.Group:
    """The client's group with the app's commands added (once, however often called)."""
    group = client_cli.cli
    for command in _app_commands():
        if command.name not in group.commands:
            group.add_command(command)
    return group


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of ``ixion``: an app command, else whatever the client makes of the line."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in APP_COMMANDS:
        ixion_group().main(args, prog_name="ixion")
    else:
        if not client_cli.handles_alone(args):  # --help and completion list them
            ixion_group()
        client_cli.main(args)


if __name__ == "__main__":
    main()
