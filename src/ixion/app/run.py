"""One ``ixion scan`` from options to exit status: load, scan, report, judge.

:mod:`ixion.app.command` reads the command line into a :class:`ScanRequest`; this module
runs it. Plugins load first (with a feed that can take a while, and a Ctrl-C then simply
ends the command), then the plugin terms are checked against them, the report files are
opened, and the embedded scan (:mod:`ixion.app.embedded`) runs with its progress shown. The
results, partial if the scan was interrupted, are written to every report, and the exit
status says how it went (:class:`~ixion.app.request.ExitStatus`).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from typing import TYPE_CHECKING

import click

from ixion.app.embedded import EmbeddedScan, ScanFailed, run_embedded
from ixion.app.outputs import OutputError, Reports
from ixion.app.plain import QuietDisplay
from ixion.app.progress import ScanProgress
from ixion.app.reporting import conclude, host_failures, make_display, scan_logging
from ixion.app.request import ExitStatus
from ixion.app.scope import scope_rules
from ixion.app.setup import (
    cache_dir,
    load_scan_plugins,
    nasl_cache_for,
    plugin_facts,
    rate_preferences,
    scan_table,
)
from ixion.plugin_api.selection import SelectionError, parse_terms
from ixion.reports.results import ScanResults
from ixion.server.config import ConfigError, Locations
from ixion.server.plugin_choice import enabled_ids

if TYPE_CHECKING:
    from collections.abc import Sequence

    from ixion.app.reporting import Display
    from ixion.app.request import ScanRequest
    from ixion.engine.loader import Plugins
    from ixion.plugin_api.metadata import PluginInfo
    from ixion.reports.results import Event

__all__ = ["run_request"]

log = logging.getLogger(__name__)


def run_request(request: ScanRequest) -> ExitStatus:
    """Run the scan the request describes; the exit status (usage errors raise click's)."""
    try:
        if not request.quiet and request.choices.plugins_dir is not None:
            click.echo(f"ixion: loading plugins from {request.choices.plugins_dir}", err=True)
        plugins = load_scan_plugins(request.choices.plugins_dir, cache_dir())
        return _scan(request, plugins)
    except KeyboardInterrupt:  # before the scan took over Ctrl-C: nothing was found yet
        click.echo("ixion: interrupted", err=True)
        return ExitStatus.INTERRUPTED


def _scan(request: ScanRequest, plugins: Plugins) -> ExitStatus:
    infos = [plugin.info for plugin in plugins.all]
    enabled = _enabled(request.choices.plugin_terms, infos)
    scan = _embedded_scan(request, plugins)
    names = {info.id: info.name for info in infos}
    by_id = {str(info.id): info for info in infos}
    try:
        reports = Reports(request.outputs, plugin_facts(i for i in infos if i.id in enabled))
    except OutputError as exc:
        raise click.UsageError(str(exc)) from None
    # The display reads the progress and the progress tells the display: made in that
    # order, the progress reaches the display through this name.
    display: Display = QuietDisplay()
    progress = ScanProgress(
        hosts_expected=request.host_count,
        plugin_name=lambda plugin_id: names.get(plugin_id, str(plugin_id)),
        tell=lambda host, text: display.tell(host, text),
    )
    display = make_display(request, progress, _header(request, scan, len(enabled)))

    def result(event: Event) -> None:
        reports.add(event)  # first: what the screen says is in the files already
        progress.record(event)

    display.start()
    try:
        with scan_logging(request, display):
            outcome = asyncio.run(
                run_embedded(
                    scan,
                    on_result=result,
                    on_engine_event=progress.observe,
                    on_host_stopped=progress.stopping,
                    warn=display.warn,
                )
            )
    except ScanFailed as exc:
        reports.close()
        click.echo(f"ixion: the scan failed: {exc}", err=True)
        return ExitStatus.SCAN_ERROR
    except Exception as exc:  # a bug: say so, and exit as a failed scan, not as findings
        reports.close()
        log.exception("the scan failed")
        click.echo(f"ixion: internal error: {exc!r}", err=True)
        return ExitStatus.SCAN_ERROR
    finally:
        display.stop()
    named = {f.plugin_id for f in outcome.results.findings if f.plugin_id is not None}
    facts = plugin_facts(by_id[i] for i in sorted(named) if i in by_id)
    results = ScanResults(events=outcome.results.events, plugins=tuple(facts))
    failures = host_failures(outcome.errors)
    return conclude(
        request, reports, display, results, interrupted=outcome.interrupted, failures=failures
    )


def _enabled(terms: Sequence[str], infos: Sequence[PluginInfo]) -> frozenset[int]:
    """The ids the terms select, which must be some.

    Raises:
        click.BadParameter: a term is not one ixion reads, or the terms select nothing.
    """
    try:
        parse_terms(terms)
    except SelectionError as exc:
        raise click.BadParameter(str(exc), param_hint="--plugins") from None
    enabled = enabled_ids(terms, infos)
    if not enabled:
        raise click.BadParameter(f"{' '.join(terms)} selects no plugin", param_hint="--plugins")
    return enabled


def _embedded_scan(request: ScanRequest, plugins: Plugins) -> EmbeddedScan:
    cache = cache_dir()
    extra: list[tuple[str, str]] = []
    if request.max_rate is not None:
        extra.extend(rate_preferences(request.max_rate, (p.info for p in plugins.all)))
    extra.extend(request.extra)
    choices = dataclasses.replace(
        request.choices, preferences=(*request.choices.preferences, *extra)
    )
    # Nothing is written there: the daemon's defaults name paths under it.
    locations = Locations(config_file=cache / "ixiond.conf", state_dir=cache)
    try:
        table, settings = scan_table(choices, locations)
    except ConfigError as exc:
        raise click.BadParameter(str(exc), param_hint="--set") from None
    preload = None
    if choices.plugins_dir is not None:
        preload = (choices.plugins_dir, nasl_cache_for(choices.plugins_dir, cache))
    return EmbeddedScan(
        targets=request.targets,
        settings=settings,
        table=table,
        plugins=plugins,
        rules=scope_rules(),
        files=choices.files,
        preload=preload,
        host_timeout=request.host_timeout,
    )


def _header(request: ScanRequest, scan: EmbeddedScan, plugin_count: int) -> list[str]:
    settings = scan.settings
    hosts = "1 host" if request.host_count == 1 else f"{request.host_count} hosts"
    terms = ";".join(request.choices.plugin_terms)
    safety = "safe checks" if settings.safe_checks else "UNSAFE checks allowed"
    at_once = f"{settings.max_checks} checks at once"
    if request.host_count > 1:
        at_once = f"{min(settings.max_hosts, request.host_count)} hosts and {at_once}"
    return [
        f"scanning {request.targets} ({hosts}), ports {settings.port_range}",
        f"{plugin_count} plugins ({terms}), {safety}, min QoD {settings.min_qod}, {at_once}",
    ]
