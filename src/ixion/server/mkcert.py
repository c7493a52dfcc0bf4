"""``ixion-mkcert``: a CA, ixiond's certificate and client certificates (spec §1.2, §1.5).

nessus-mkcert made a CA and a server certificate with the ``openssl`` tool and appended
``cert_file``, ``key_file`` and ``ca_file`` to nessusd.conf; nessus-mkcert-client made client
certificates whose DN went into a user's ``auth/dname``. This command does both with
``cryptography``, so no ``openssl`` binary and no interactive questions are needed. It is the
command line only: the certificates are :mod:`ixion.server.certificates`, the files and the
conf lines :mod:`ixion.server.tlsfiles`.

* The files go to ``<state_dir>/tls/`` unless ``--dir`` says otherwise; with ``-c CONFIG``
  ``state_dir`` is read from that file and its three TLS lines are set.
* The server certificate names ``--host``, by default this machine's name.
* Each client's DN is printed for ``ixion-adduser --dn``.
"""

from __future__ import annotations

import socket
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ixion.server.certificates import CA_DAYS, DAYS, KeyType, server_names
from ixion.server.config import ConfigError, default_locations, load_config, resolve_settings
from ixion.server.tlsfiles import Issued, MkcertError, Plan, make_certificates, update_config

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["main"]


def _state_dir(config: Path | None) -> Path:
    """``state_dir`` from the conf file (made with the defaults if absent, as ixiond does)."""
    locations = default_locations()
    if config is None:
        return locations.state_dir
    try:
        table = load_config(config, locations)
        return resolve_settings(table, locations).settings.state_dir
    except ConfigError as exc:
        raise MkcertError(str(exc)) from None


def _report(issued: Issued, plan: Plan, config: Path | None) -> None:
    verb = {True: "made", False: "kept"}
    click.echo(f"CA certificate ({verb[issued.ca_created]}): {issued.ca_file}")
    click.echo(
        f"server certificate ({verb[issued.server_created]}): {issued.cert_file}"
        f" for {', '.join(server_names(plan.host))}"
    )
    click.echo(f"server key: {issued.key_file}")
    for client in issued.clients:
        click.echo(f"client {client.name}: {client.cert_file}, key {client.key_file}")
        click.echo(f"client {client.name} DN: {client.dn}")
    if config is not None:
        click.echo(f"{config}: cert_file, key_file and ca_file set")
    else:
        click.echo("add to ixiond.conf (or run again with -c CONFIG):")
        for name, value in issued.conf_lines().items():
            click.echo(f"  {name} = {value}")


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "-c",
    "--config",
    type=click.Path(dir_okay=False, path_type=Path),
    help="ixiond.conf to read state_dir from and to point at the new files.",
)
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where the files go (default: <state_dir>/tls).",
)
@click.option("--host", help="Server host name (default: this machine's name).")
@click.option(
    "--client",
    "clients",
    multiple=True,
    metavar="NAME",
    help="Also make a client certificate for NAME; repeatable.",
)
@click.option(
    "--key-type",
    type=click.Choice([kind.value for kind in KeyType]),
    default=KeyType.EC.value,
    show_default=True,
    help="ec: ECDSA P-256; rsa: RSA 3072.",
)
@click.option("--ca-days", type=int, default=CA_DAYS, show_default=True, help="CA lifetime.")
@click.option(
    "--days", type=int, default=DAYS, show_default=True, help="Server and client lifetime."
)
@click.option("--force", is_flag=True, help="Remake the server and existing client files.")
@click.option("--new-ca", is_flag=True, help="Make a new CA even if one is there.")
def main(
    config: Path | None,
    directory: Path | None,
    host: str | None,
    clients: Sequence[str],
    key_type: str,
    ca_days: int,
    days: int,
    force: bool,
    new_ca: bool,
) -> None:
    """Make the TLS files of ixiond: a CA, the server's certificate and client certificates.

    A CA already in the directory is used again. Each client's DN is printed for
    ixion-adduser --dn.

    \b
    Examples:
      ixion-mkcert -c /etc/ixion/ixiond.conf --host scanner.example.org
      ixion-mkcert --dir ./tls --client alice --client bob --key-type rsa
      ixion-mkcert -c /etc/ixion/ixiond.conf --force --days 90
    """
    try:
        plan = Plan(
            directory=(directory or _state_dir(config) / "tls").absolute(),
            host=host or socket.gethostname(),
            clients=tuple(clients),
            key_type=KeyType(key_type),
            ca_days=ca_days,
            days=days,
            force=force,
            new_ca=new_ca,
        )
        issued = make_certificates(plan)
        if config is not None:
            update_config(config, issued)
    except MkcertError as exc:
        raise click.ClickException(str(exc)) from None
    _report(issued, plan, config)
