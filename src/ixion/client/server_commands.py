"""``ixion plugins`` and ``ixion sessions``: what a server offers and keeps, asked over NTP.

Each command logs in to an ixiond or a nessusd, asks, prints and logs out; the plugins are
the PLUGIN_LIST every login brings, the sessions the SESSIONS_LIST and SESSION_DELETE orders
of spec §8 (and the detached scans of §4.7). The account is read as ``ixion scan --server``
reads it (:mod:`ixion.client.server_access`), never from the command line.

Exit status, for scripts:

* 0: done;
* 1: no such plugin, session or detached scan, or the report could not be written;
* 2: the command line is wrong (click's status), including a server address that is not one;
* 3: no account given, or the server refused it;
* 4: the server could not be reached, or the connection broke.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Final

import click

from ixion.client.batch import BatchError, BatchScan, list_sessions, run_batch_scan
from ixion.client.connection import ConnectionFailed, LoginFailed
from ixion.client.plugin_catalog import matching, plugin_facts, search, split_tags
from ixion.client.plugin_json import listed_json
from ixion.client.plugin_store import PluginStore
from ixion.client.report_files import ReportFileError, output_format, write_report
from ixion.client.report_view import make_console, show_results
from ixion.client.server_access import (
    OrderFailed,
    ServerAccount,
    ServerExit,
    fail,
    talk,
    with_server,
)
from ixion.client.server_output import print_facts, print_json, print_json_array, print_rows
from ixion.ntp import Category, SessionDelete

if TYPE_CHECKING:
    from collections.abc import Iterable

    from ixion.client.connection import ClientConnection, ServerOffer
    from ixion.client.plugin_store import PluginEntry
    from ixion.ntp import SessionEntry

__all__ = ["plugins", "sessions"]

_CONTEXT: Final = {"help_option_names": ["-h", "--help"]}
_ACCOUNT_HELP: Final = """
    SERVER is [tls://|tcp://]HOST[:PORT] (TLS and port 1241 unless told otherwise). The
    account comes from --credentials-file (TOML: user = "...", password = "...") or from
    IXION_USER and IXION_PASSWORD, never from the command line.

    Exit status: 0 done, 1 no such name (or the report could not be written), 2 usage,
    3 no account or the server refused it, 4 the server unreachable.
"""


def _plugin_list(server: ServerAccount, *, texts: bool = False) -> PluginStore:
    """The server's plugins: short entries, and with ``texts`` each one's long texts on disk
    until asked for (a listing never reads them)."""
    store = PluginStore(descriptions=texts, references=texts)

    async def plugins_of(_: ClientConnection, offer: ServerOffer) -> PluginStore:
        return offer.plugins if offer.plugins is not None else PluginStore()

    return talk(server, plugins_of, plugins=store)


_json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
_LISTED: Final = ("id", "family", "category", "name")
#: Plugins turned into JSON at a time.
_JSON_RUN: Final = 4096


def _print_plugins(found: PluginStore | Iterable[PluginEntry], as_json: bool, title: str) -> None:
    """The plugins of a whole store, or those found in it, by columns (no entry made for
    each plugin of a whole feed listed)."""
    if isinstance(found, PluginStore):
        columns = found.columns()
    else:
        entries = list(found)
        columns = tuple(zip(*entries, strict=True)) if entries else ((),) * 9
    if as_json:
        chunks = (
            [column[start : start + _JSON_RUN] for column in columns]
            for start in range(0, len(columns[0]), _JSON_RUN)
        )
        print_json_array(map(listed_json, chunks))
        return
    ids, names, words, families = columns[:4]
    print_rows(_LISTED, zip(ids, families, words, names, strict=True), title=title)


@click.group(context_settings=_CONTEXT)
def plugins() -> None:
    """The plugins a server offers: list them, search them, show one.

    \b
    Examples:
      IXION_USER=alice IXION_PASSWORD=... ixion plugins list tcp://localhost:1241
      ixion plugins search --credentials-file alice.toml localhost openssh
      ixion plugins show --credentials-file alice.toml localhost 10330 --json
    """


_FAMILY = click.option("--family", metavar="FAMILY", help="Only this family (any case).")
_CATEGORY = click.option(
    "--category",
    type=click.Choice([c.value for c in Category], case_sensitive=False),
    help="Only this category.",
)


@plugins.command("list", context_settings=_CONTEXT, epilog=_ACCOUNT_HELP)
@with_server
@_FAMILY
@_CATEGORY
@_json_option
def list_plugins(
    server: ServerAccount, family: str | None, category: str | None, as_json: bool
) -> None:
    """List the plugins of SERVER: id, family, category and name.

    A table on a terminal; one tab-separated line per plugin in a pipe; --json for a JSON
    array (with summaries and CVE and BID ids).

    \b
    Examples:
      ixion plugins list tcp://localhost:1241
      ixion plugins list --family 'Web Servers' --category attack localhost
      ixion plugins list localhost | cut -f1,4 | grep -i apache
    """
    store = _plugin_list(server)
    whole = family is None and category is None
    found = store if whole else matching(store, family=family, category=category)
    _print_plugins(found, as_json, f"Plugins of {server.url}")


@plugins.command("search", context_settings=_CONTEXT, epilog=_ACCOUNT_HELP)
@with_server
@click.argument("text", required=False)
@click.option("--cve", metavar="CVE-YYYY-NNNN", help="Only plugins that list this CVE id.")
@_FAMILY
@_CATEGORY
@_json_option
def search_plugins(
    server: ServerAccount,
    text: str | None,
    cve: str | None,
    family: str | None,
    category: str | None,
    as_json: bool,
) -> None:
    """Find the plugins of SERVER whose name, summary, family, CVE or BID ids contain TEXT
    (any case); --cve CVE-... for the plugins that list exactly that CVE.

    \b
    Examples:
      ixion plugins search localhost 'ssh server'
      ixion plugins search --cve CVE-2014-0160 localhost
      ixion plugins search --json localhost heartbleed | jq -r '.[].id'
    """
    if not text and cve is None:
        raise click.UsageError("search needs TEXT or --cve")
    listed = matching(_plugin_list(server), family=family, category=category)
    _print_plugins(search(listed, text, cve=cve), as_json, f"Plugins of {server.url}")


@plugins.command("show", context_settings=_CONTEXT, epilog=_ACCOUNT_HELP)
@with_server
@click.argument("plugin_id", metavar="ID")
@_json_option
def show_plugin(server: ServerAccount, plugin_id: str, as_json: bool) -> None:
    """Everything SERVER says about the plugin ID: summary, description, CVE, BID and other
    references, and the script tags (solution, qod_type...) of servers that send them.

    \b
    Examples:
      ixion plugins show localhost 10330
      ixion plugins show --json localhost 10330 | jq -r .description
    """
    found = _plugin_list(server, texts=True).find(plugin_id)
    if found is None:
        fail(ServerExit.NOT_FOUND, f"{server.url} has no plugin {plugin_id}")
    if as_json:
        print_json(plugin_facts(found))
        return
    facts = [
        ("id", found.id),
        ("name", found.name),
        ("family", found.family),
        ("category", found.category.value),
        ("version", found.version),
        ("copyright", found.copyright),
        ("summary", found.summary),
        ("cve", ", ".join(found.cve)),
        ("bid", ", ".join(found.bid)),
        ("xref", ", ".join(found.xref)),
        *((f"tag {name}", value) for name, value in split_tags(found.tags).items()),
        ("description", found.description),
    ]
    print_facts(facts, title=f"Plugin {found.id} of {server.url}")


@click.group(context_settings=_CONTEXT)
def sessions() -> None:
    """The saved sessions and detached scans a server keeps for the account.

    \b
    Examples:
      ixion sessions list --credentials-file alice.toml tcp://localhost:1241
      ixion sessions restore localhost 20240501-101500 -o scan.html
      ixion sessions delete localhost 20240501-101500
      ixion sessions list --detached localhost
      ixion sessions stop localhost 3
    """


async def _entries(
    connection: ClientConnection, *, detached: bool = False, stop: str | None = None
) -> tuple[SessionEntry, ...]:
    return await list_sessions(connection, detached=detached, stop=stop)


def _print_entries(entries: tuple[SessionEntry, ...], as_json: bool, detached: bool) -> None:
    key = "scan" if detached else "session"
    if as_json:
        print_json([{key: e.id, "targets": e.targets} for e in entries])
        return
    rows = ((e.id, e.targets) for e in entries)
    print_rows((key, "targets"), rows, title="Detached scans" if detached else "Saved sessions")


@sessions.command("list", context_settings=_CONTEXT, epilog=_ACCOUNT_HELP)
@with_server
@click.option("--detached", is_flag=True, help="The detached scans running, not the sessions.")
@_json_option
def list_saved(server: ServerAccount, detached: bool, as_json: bool) -> None:
    """List the saved sessions of SERVER (name and targets), or its detached scans.

    \b
    Examples:
      ixion sessions list localhost
      ixion sessions list --detached --json localhost
    """

    async def listing(connection: ClientConnection, _: ServerOffer) -> tuple[SessionEntry, ...]:
        return await _entries(connection, detached=detached)

    _print_entries(talk(server, listing), as_json, detached)


def _check_saved(server: ServerAccount, name: str) -> None:
    async def check(connection: ClientConnection, _: ServerOffer) -> None:
        if name not in {entry.id for entry in await _entries(connection)}:
            raise OrderFailed(ServerExit.NOT_FOUND, f"{server.url} has no saved session {name}")

    talk(server, check)


@sessions.command("restore", context_settings=_CONTEXT, epilog=_ACCOUNT_HELP)
@with_server
@click.argument("name")
@click.option(
    "-o",
    "--output",
    metavar="FILE",
    help="Write the report here, in the format its extension names (.nbe, .html, .json, "
    ".sarif...; - is NBE on standard output). Default: show it in the terminal.",
)
@click.option("--format", "format_name", metavar="FORMAT", help="Write FILE in this format.")
def restore(server: ServerAccount, name: str, output: str | None, format_name: str | None) -> None:
    """Have SERVER replay the saved session NAME and report it (nothing is scanned again).

    \b
    Examples:
      ixion sessions restore localhost 20240501-101500
      ixion sessions restore localhost 20240501-101500 -o scan.html
      ixion sessions restore localhost 20240501-101500 -o - | ixion report show -
    """
    try:
        report_format = output_format(output, format_name) if output is not None else None
    except ReportFileError as exc:
        raise click.BadParameter(str(exc), param_hint="-o/--format") from None
    _check_saved(server, name)  # SESSION_RESTORE of no session is an ERROR amid the results
    scan = BatchScan(
        host=server.host,
        port=server.port,
        user=server.user,
        password=server.password,
        targets="",
        rc=server.rc,
        session=name,
    )

    try:
        results = asyncio.run(run_batch_scan(scan))
    except LoginFailed:
        fail(ServerExit.LOGIN, f"{server.url}: the server refused the login of {server.user}")
    except (ConnectionFailed, BatchError, OSError) as exc:
        fail(ServerExit.UNREACHABLE, f"{server.url}: {exc}")
    if output is None or report_format is None:
        show_results(results, make_console(), title=f"session {name} of {server.url}")
        return
    try:
        write_report(results, report_format, output)
    except (ReportFileError, OSError) as exc:
        fail(ServerExit.NOT_FOUND, str(exc))


@sessions.command("delete", context_settings=_CONTEXT, epilog=_ACCOUNT_HELP)
@with_server
@click.argument("name")
def delete(server: ServerAccount, name: str) -> None:
    """Delete the saved session NAME from SERVER.

    \b
    Examples:
      ixion sessions delete localhost 20240501-101500
    """

    async def remove(connection: ClientConnection, _: ServerOffer) -> None:
        # ixiond answers a deletion only when it fails; the listing after it says which.
        await connection.send(SessionDelete(session_id=name))
        if name in {entry.id for entry in await _entries(connection)}:
            raise OrderFailed(ServerExit.NOT_FOUND, f"{server.url} kept session {name}")

    talk(server, remove)


@sessions.command("stop", context_settings=_CONTEXT, epilog=_ACCOUNT_HELP)
@with_server
@click.argument("number", type=click.IntRange(min=0))
def stop(server: ServerAccount, number: int) -> None:
    """Stop the detached scan NUMBER (as sessions list --detached numbers them).

    \b
    Examples:
      ixion sessions stop localhost 3
    """

    async def end(connection: ClientConnection, _: ServerOffer) -> None:
        await _entries(connection, detached=True, stop=str(number))

    talk(server, end)
