"""An attack's plugins: ids as classic clients send them, and ixion's terms."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from ixion.engine.loader import load_all
from ixion.plugin_api.metadata import Category, PluginInfo
from ixion.server.plugin_choice import enabled_ids


def info(plugin_id: int, family: str, category: Category) -> PluginInfo:
    return PluginInfo(
        id=plugin_id,
        filename=f"p{plugin_id}.nasl",
        name=f"plugin {plugin_id}",
        family=family,
        category=category,
        summary="s",
        description="d",
    )


PLUGINS = (
    info(10335, "Port scanners", Category.SCANNER),
    info(10180, "Port scanners", Category.SCANNER),
    info(21, "FTP", Category.ATTACK),
    info(22, "Denial of Service", Category.DENIAL),
)


@pytest.mark.parametrize(
    ("plugin_set", "expected"),
    [
        ((), {10335, 10180, 21, 22}),  # empty: every plugin (spec §3.10)
        (("-1", "21"), {10335, 10180, 21, 22}),
        (("21", "10335", "999"), {21, 10335}),  # an id nobody has is no plugin
        (("0",), set()),
        (("config:full-and-fast",), {10335, 10180, 21}),
        (("family:port scanners", "!10180"), {10335}),
    ],
)
def test_the_plugin_set_enables(plugin_set: tuple[str, ...], expected: set[int]) -> None:
    assert enabled_ids(plugin_set, PLUGINS) == expected


def test_a_term_ixiond_cannot_read_is_left_out_and_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="ixion.server.plugin_choice"):
        assert enabled_ids(("21", "category:fast"), PLUGINS) == {21}
        assert enabled_ids(("config:nope",), PLUGINS) == frozenset()
    assert [r.getMessage() for r in caplog.records] == [
        "plugin_set: no category 'fast' (one of: init, scanner, settings, gather_info, attack,"
        " mixed_attack, destructive_attack, denial, kill_host, flood, end); left out",
        "plugin_set: no scan configuration 'nope' (one of: discovery, everything,"
        " full-and-fast); left out",
    ]


def test_the_built_in_ping_and_tcp_scanner_carry_the_classic_ids(tmp_path: Path) -> None:
    """A classic client's rc file enables 10180 and 10335 among the scanners."""
    plugins = {p.info.id: p.info for p in load_all(tmp_path, None).all}
    assert plugins[10180].filename == "tcp_ping.py"
    assert plugins[10335].filename == "tcp_scanner.py"
