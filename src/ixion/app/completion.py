"""``ixion completion SHELL``: the script that lets bash, zsh or fish complete ixion's words.

The script is click's own (what ``_IXION_COMPLETE=bash_source ixion`` prints); this command
only saves users from knowing that variable. When the shell then asks for completions it
runs ``ixion`` with ``_IXION_COMPLETE`` set and the line in ``COMP_WORDS``, which
:func:`ixion.client.cli.main` sends to the batch client or to the group as it would the
line itself.
"""

from __future__ import annotations

from typing import Final

import click
from click.shell_completion import get_completion_class

__all__ = ["completion"]

SHELLS: Final = ("bash", "zsh", "fish")


def complete_variable(program: str) -> str:
    """The environment variable click's completion answers to, as click names it."""
    return "_" + program.replace("-", "_").replace(".", "_").upper() + "_COMPLETE"


@click.command("completion")
@click.argument("shell", type=click.Choice(SHELLS))
@click.pass_context
def completion(ctx: click.Context, shell: str) -> None:
    """Print the script that makes SHELL complete ixion's commands, options and choices.

    Install it once, then start a new shell. The other commands complete the same way
    through click's variable, e.g. eval "$(_IXIOND_COMPLETE=bash_source ixiond)".

    \b
    Examples:
      ixion completion bash > ~/.local/share/bash-completion/completions/ixion
      ixion completion zsh > ~/.zfunc/_ixion   # with fpath+=(~/.zfunc) before compinit
      ixion completion fish > ~/.config/fish/completions/ixion.fish
      eval "$(ixion completion bash)"           # this shell only
    """
    root = ctx.find_root()
    program = root.info_name or "ixion"
    shell_class = get_completion_class(shell)
    assert shell_class is not None  # SHELLS are click's own
    script = shell_class(root.command, {}, program, complete_variable(program)).source()
    click.echo(script)
