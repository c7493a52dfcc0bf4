"""``ixion-adduser`` and ``ixion-rmuser``: nessus-adduser and nessus-rmuser for ixiond (spec §7.2).

Both find the users directory as the daemon does, from the ``users`` key of the conf file given
with ``-c`` (or the default one), which follows ``state_dir`` when unset, and change it through
:class:`~ixion.server.users.UserStore`. Users are read at every login, so the daemon needs no
restart. nessus-adduser ran ``nessusd -s`` to find that directory, which created a missing conf
file; these tools read the file if it is there and otherwise use the built-in values, which
give the same directory, so an admin tool never writes a conf file as a side effect.

``ixion-adduser NAME`` asks nessus-adduser's questions: password or certificate, the password
twice or the parts of the certificate's DN, rules until end of file, then ``Is that ok ?``.
An end of file at that question means the default, yes, as the shell script's ``read`` did,
so the questions can also be answered from a pipe. Any of ``--password-stdin``, ``--dn``,
``--rule`` or ``--rules-file`` asks nothing instead, for scripts. An existing login is refused
before any question; nothing is written unless the name, password, DNs and rules are all
valid.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Final

import click

from ixion.server.config import (
    ConfigError,
    ConfTable,
    default_locations,
    read_config,
    resolve_settings,
)
from ixion.server.rules import RuleError, parse_user_rules
from ixion.server.users import UserError, UserStore

__all__ = ["adduser", "rmuser", "user_store"]

#: nessus-adduser's questions for a certificate's subject, in the order of the DN it builds.
DN_PARTS: Final = (
    ("C", "Country (two letter code)"),
    ("ST", "State or province name"),
    ("L", "Location (e.g. town)"),
    ("O", "Organization"),
    ("OU", "Organizational unit"),
    ("CN", "Common name"),
    ("Email", "e-Mail"),
)

_RULES_HELP: Final = """\
User rules
----------
ixiond has a rules system which allows you to restrict the hosts that NAME may test.
For instance, you may want NAME to be able to scan only their own host.

Enter the rules for this user, and hit ctrl-D once you are done:
(the user can have an empty rules set)"""

_CONFIG_OPTION = click.option(
    "-c",
    "config_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="ixiond's configuration file (default: the one ixiond reads).",
)


class _Refused(Exception):
    """The administrator answered no."""


def user_store(config_file: Path | None) -> UserStore:
    """The users directory ixiond would use with this conf file (None: the default one)."""
    locations = default_locations()
    path = config_file or locations.config_file
    table = read_config(path) if os.path.lexists(path) else ConfTable(path=path)
    return UserStore(resolve_settings(table, locations).settings.users)


# --- ixion-adduser ---------------------------------------------------------------------------


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@_CONFIG_OPTION
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from the first line of standard input; ask nothing.",
)
@click.option(
    "--dn",
    "dns",
    multiple=True,
    metavar="DN",
    help="Certificate subject that logs in (repeatable).",
)
@click.option("--rule", "rules", multiple=True, metavar="RULE", help="A rule line (repeatable).")
@click.option(
    "--rules-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Read the user's rules from this file (before any --rule).",
)
@click.argument("name")
def adduser(
    config_file: Path | None,
    password_stdin: bool,
    dns: tuple[str, ...],
    rules: tuple[str, ...],
    rules_file: Path | None,
    name: str,
) -> None:
    """Add the ixiond user NAME, asking questions unless given the answers as options.

    \b
    Examples:
      ixion-adduser alice                       asks for the password and the rules
      echo "$PASSWORD" | ixion-adduser --password-stdin --rule 'default deny' bob
      ixion-adduser --dn '/C=FR/O=Example/CN=carol' --rules-file carol.rules carol
    """
    try:
        store = user_store(config_file)
        if os.path.lexists(store.directory / name):
            raise UserError(f"user {name!r} already exists")
        if password_stdin or dns or rules or rules_file:
            _add_quietly(store, name, password_stdin, dns, rules, rules_file)
        else:
            _add_interactively(store, name)
    except _Refused:
        click.echo(f"ixion-adduser: user {name!r} not added", err=True)
        sys.exit(1)
    except (ConfigError, UserError, RuleError) as exc:
        click.echo(f"ixion-adduser: {exc}", err=True)
        sys.exit(1)
    except OSError as exc:
        click.echo(f"ixion-adduser: {exc.filename}: {exc.strerror}", err=True)
        sys.exit(1)
    click.echo(f"user {name} added.")


def _add_quietly(
    store: UserStore,
    name: str,
    password_stdin: bool,
    dns: tuple[str, ...],
    rules: tuple[str, ...],
    rules_file: Path | None,
) -> None:
    if not password_stdin and not dns:
        raise UserError("give --password-stdin or --dn: the user needs a way to log in")
    password = _password_from_stdin() if password_stdin else None
    text = "" if rules_file is None else rules_file.read_text(encoding="utf-8")
    if text and not text.endswith("\n"):
        text += "\n"
    text += "".join(f"{rule}\n" for rule in rules)
    store.add_user(name, password=password, dns=dns, rules_text=text)


def _password_from_stdin() -> str:
    """The first line of standard input, without its line end."""
    line = sys.stdin.readline()
    password = line.removesuffix("\n").removesuffix("\r")
    if not password:
        raise UserError("no password on standard input")
    return password


def _add_interactively(store: UserStore, name: str) -> None:
    auth = click.prompt(
        "Authentication (pass/cert)", default="pass", type=click.Choice(["pass", "cert"])
    )
    password: str | None = None
    dns: tuple[str, ...] = ()
    if auth == "pass":
        password = click.prompt(
            "Login password", hide_input=True, confirmation_prompt="Login password (again)"
        )
    else:
        dns = (_ask_dn(),)
    click.echo(_RULES_HELP.replace("NAME", name))
    rules_text = sys.stdin.read()
    parse_user_rules(rules_text, source="the rules typed")  # refuse before asking "ok ?"
    click.echo(_summary(name, password is not None, dns, rules_text))
    if not _confirmed():
        raise _Refused
    store.add_user(name, password=password, dns=dns, rules_text=rules_text)


def _ask_dn() -> str:
    click.echo("Please enter the User Distinguished Name (empty parts are left out):")
    parts = ((key, click.prompt(label, default="", show_default=False)) for key, label in DN_PARTS)
    dn = "".join(f"/{key}={value.strip()}" for key, value in parts if value.strip())
    if not dn:
        raise UserError("a certificate DN needs at least one non-empty part")
    return dn


def _summary(name: str, by_password: bool, dns: tuple[str, ...], rules_text: str) -> str:
    auth = "password" if by_password else f"certificate {', '.join(dns)}"
    rules = rules_text.rstrip("\n") or "(none)"
    return (
        f"\nLogin             : {name}\nAuthentication    : {auth}\nRules             :\n{rules}\n"
    )


def _confirmed() -> bool:
    """``Is that ok ? (y/n) [y]``; an end of file is the default, as in nessus-adduser."""
    click.echo("Is that ok ? (y/n) [y] ", nl=False)
    answer = sys.stdin.readline().strip().lower()
    return answer in ("", "y", "yes")


# --- ixion-rmuser ----------------------------------------------------------------------------


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@_CONFIG_OPTION
@click.argument("name")
def rmuser(config_file: Path | None, name: str) -> None:
    """Remove the ixiond user NAME and everything in their directory.

    \b
    Examples:
      ixion-rmuser alice
      ixion-rmuser -c /etc/ixion/ixiond.conf bob
    """
    try:
        user_store(config_file).remove_user(name)
    except (ConfigError, UserError) as exc:
        click.echo(f"ixion-rmuser: {exc}", err=True)
        sys.exit(1)
    except OSError as exc:
        click.echo(f"ixion-rmuser: {exc.filename}: {exc.strerror}", err=True)
        sys.exit(1)
    click.echo(f"user {name} removed.")
