"""Where a server is, which account to use there, and one conversation with it: shared by
``ixion scan --server``, ``ixion plugins`` and ``ixion sessions``.

A server is named ``[tls://|tcp://]HOST[:PORT]`` (TLS unless ``tcp://``, port 1241 unless
given). The account comes from ``--credentials-file`` (TOML ``user`` and ``password``) or
``$IXION_USER`` / ``$IXION_PASSWORD``, never from the command line, where any user of the
machine could read it in the process list.
"""

from __future__ import annotations

import asyncio
import enum
import functools
import os
import re
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Final, NoReturn, TypeVar

import click

from ixion.client.batch import BatchError, tls_context
from ixion.client.connection import ClientConnection, ConnectionFailed, LoginFailed
from ixion.client.plugin_store import PluginStore
from ixion.client.rcfile import RcFile

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Mapping

    from ixion.client.connection import ServerOffer
    from ixion.client.rcfile import RcValue

__all__ = [
    "DEFAULT_PORT",
    "LoginError",
    "OrderFailed",
    "ServerAccount",
    "ServerExit",
    "fail",
    "parse_server",
    "read_login",
    "server_account",
    "talk",
    "with_server",
]

_T = TypeVar("_T")

#: IANA's port for nessus, where ixiond and nessusd listen unless told otherwise.
DEFAULT_PORT: Final = 1241
_URL: Final = re.compile(
    r"(?:(?P<scheme>[a-z]+)://)?(?P<host>\[[^\]]+\]|[^:/\[\]]+)(?::(?P<port>[0-9]{1,5}))?/?"
)
#: ``scheme`` -> whether the connection uses TLS.
_SCHEMES: Final = {None: True, "ixion": True, "ntp": True, "tls": True, "tcp": False}


class LoginError(ValueError):
    """No usable account; the message says where it was looked for."""


def parse_server(url: str) -> tuple[str, int, bool]:
    """``[tls|tcp://]HOST[:PORT]`` -> host, port, TLS (``tcp://``: plain text).

    Raises:
        ValueError: not such an address.
    """
    match = _URL.fullmatch(url.strip())
    if match is None or match["scheme"] not in _SCHEMES:
        raise ValueError(f"{url!r} is not [tls://|tcp://]HOST[:PORT]")
    port = int(match["port"]) if match["port"] else DEFAULT_PORT
    if not 0 < port < 65536:
        raise ValueError(f"{url!r}: port {port} is not a port")
    return match["host"].strip("[]"), port, _SCHEMES[match["scheme"]]


def read_login(path: Path | None, environ: Mapping[str, str]) -> tuple[str, str]:
    """The account: from the file if given, else from ``$IXION_USER`` and ``$IXION_PASSWORD``.

    Raises:
        LoginError: the file is unreadable or lacks a user or password, or neither it nor
            the environment gives an account.
    """
    if path is None:
        user, password = environ.get("IXION_USER"), environ.get("IXION_PASSWORD")
        if not user or password is None:
            raise LoginError(
                "--server needs an account: --credentials-file FILE, or IXION_USER and "
                "IXION_PASSWORD in the environment"
            )
        return user, password
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise LoginError(f"{path}: {exc}") from None
    user, password = data.get("user"), data.get("password")
    if not isinstance(user, str) or not user or not isinstance(password, str):
        raise LoginError(f'{path}: needs user = "..." and password = "..."')
    return user, password


class ServerExit(enum.IntEnum):
    """What ``ixion plugins`` and ``ixion sessions`` exit with."""

    OK = 0
    NOT_FOUND = 1
    USAGE = 2
    LOGIN = 3
    UNREACHABLE = 4


@dataclass(frozen=True, slots=True)
class ServerAccount:
    """A server to talk to and the account to use there."""

    url: str
    host: str
    port: int
    user: str
    password: str = field(repr=False)
    #: What ``ixion -q`` would read for the connection: plain text, or TLS with a CA.
    rc: RcFile


class OrderFailed(Exception):
    """What was asked of the server cannot be done; ``status`` is the exit status it means."""

    def __init__(self, status: ServerExit, message: str) -> None:
        super().__init__(message)
        self.status = status


def fail(status: ServerExit, message: str) -> NoReturn:
    """End the command: ``message`` on standard error under the command's name, ``status``."""
    context = click.get_current_context(silent=True)
    name = context.command_path if context is not None else "ixion"
    click.echo(f"{name}: {message}", err=True)
    sys.exit(status)


def server_account(
    url: str, credentials_file: Path | None, server_ca: Path | None
) -> ServerAccount:
    """The account and address a command line names (the account never on the line itself)."""
    try:
        host, port, tls = parse_server(url)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="SERVER") from None
    try:
        user, password = read_login(credentials_file, os.environ)
    except LoginError as exc:
        fail(ServerExit.LOGIN, str(exc).replace("--server needs", "the server needs"))
    options: list[tuple[str, RcValue]] = []
    if not tls:
        options.append(("ssl_version", "NONE"))
    if server_ca is not None:
        options.append(("trusted_ca", str(server_ca)))
    return ServerAccount(url, host, port, user, password, RcFile(options=tuple(options)))


def with_server(command: Callable[..., None]) -> Callable[..., None]:
    """SERVER, --credentials-file and --server-ca, handed to ``command`` as ``server``."""

    @functools.wraps(command)
    def run(
        server_url: str, credentials_file: Path | None, server_ca: Path | None, **kwargs: object
    ) -> None:
        command(server=server_account(server_url, credentials_file, server_ca), **kwargs)

    options = (
        click.argument("server_url", metavar="SERVER"),
        click.option(
            "--credentials-file",
            type=click.Path(dir_okay=False, path_type=Path),
            help="TOML file with the account (user, password); default: IXION_USER and "
            "IXION_PASSWORD.",
        ),
        click.option(
            "--server-ca",
            type=click.Path(exists=True, dir_okay=False, path_type=Path),
            help="The CA that signed the server's certificate (default: the system's).",
        ),
    )
    for option in reversed(options):
        run = option(run)
    return run


def talk(
    server: ServerAccount,
    work: Callable[[ClientConnection, ServerOffer], Awaitable[_T]],
    *,
    plugins: PluginStore | None = None,
) -> _T:
    """Log in, do ``work``, log out; a failure on the way ends the command with its status.

    ``plugins``: the store the offer's PLUGIN_LIST goes to; by default one of the plugins'
    short fields alone (sessions have no use for the list at all, listings none for texts).
    """
    if plugins is None:
        plugins = PluginStore(descriptions=False, references=False)

    async def session() -> _T:
        connection = await ClientConnection.open(
            server.host,
            server.port,
            ssl_context=tls_context(server.rc, verify=True),
            plugins=plugins,
            keep_dependencies=False,
        )
        try:
            offer = await connection.login(server.user, server.password)
            return await work(connection, offer)
        finally:
            await connection.close()

    try:
        return asyncio.run(session())
    except LoginFailed:
        fail(ServerExit.LOGIN, f"{server.url}: the server refused the login of {server.user}")
    except ConnectionFailed as exc:
        fail(ServerExit.UNREACHABLE, f"{server.url}: {exc}")
    except (OSError, ValueError) as exc:  # a CA file that is no CA, for one
        fail(ServerExit.UNREACHABLE, f"{server.url}: {exc}")
    except OrderFailed as exc:
        fail(exc.status, str(exc))
    except BatchError as exc:
        fail(ServerExit.NOT_FOUND, f"{server.url}: {str(exc).removeprefix('server error: ')}")
