"""An embedded scan's settings are the daemon's generated defaults, changed by the options."""

from __future__ import annotations

from pathlib import Path

from ixion.app.setup import (
    ScanChoices,
    cache_dir,
    load_scan_plugins,
    nasl_cache_for,
    plugin_facts,
    rate_preferences,
    scan_table,
)
from ixion.server.config import Locations

LOCATIONS = Locations(config_file=Path("/nonexistent/ixiond.conf"), state_dir=Path("/nonexistent"))


def test_without_options_the_scan_has_ixiond_s_safety_defaults() -> None:
    table, settings = scan_table(ScanChoices(port_range="T:22,U:53"), LOCATIONS)
    assert settings.port_range == "T:22,U:53"
    assert settings.plugin_set == ("config:full-and-fast",)
    assert settings.safe_checks is True
    assert settings.default_credentials is False
    assert (settings.max_hosts, settings.max_checks) == (30, 10)
    assert (settings.plugins_timeout, settings.min_qod) == (320, 70)
    # The flags ixion's client sends, so the scan's messages are those a client collects.
    assert settings.ntp_opt_show_end is True
    assert settings.ntp_client_accepts_notes is True
    assert table.get("plugins_folder") == "/nonexistent/plugins"


def test_options_and_preferences_change_the_scan_within_the_daemon_s_caps() -> None:
    choices = ScanChoices(
        port_range="80",
        plugin_terms=("family:FTP", "!90000035"),
        safe_checks=False,
        max_hosts=4,
        max_checks=99,
        plugin_timeout=30,
        min_qod=0,
        preferences=(("UDP scanner[entry]:Packets per second", "10"), ("unscanned_closed", "yes")),
    )
    table, settings = scan_table(choices, LOCATIONS)
    assert settings.plugin_set == ("family:FTP", "!90000035")
    assert settings.safe_checks is False
    assert (settings.max_hosts, settings.max_checks) == (4, 31)  # nessusd's cap of 31 holds
    assert (settings.plugins_timeout, settings.min_qod) == (30, 0)
    assert settings.unscanned_closed is True
    assert table.as_mapping()["UDP scanner[entry]:Packets per second"] == "10"
    assert list(table.as_mapping()).count("safe_checks") == 1


def test_max_targets_is_the_scan_s_cap_on_addresses_as_far_as_ixiond_conf_goes() -> None:
    """The scan refuses targets past ``max_hosts_per_scan`` as ixiond does; what
    ``--max-targets`` let through must not then be refused by the scan."""
    caps = [
        scan_table(ScanChoices(port_range="80", max_targets=count), LOCATIONS)[1]
        for count in (None, 100_000, 10**15)
    ]
    assert [settings.max_hosts_per_scan for settings in caps] == [65536, 100_000, 10**12 - 1]


def test_max_rate_holds_both_port_scanners_of_the_built_in_plugins() -> None:
    infos = [plugin.info for plugin in load_scan_plugins(None, Path("/nonexistent")).all]
    assert dict(rate_preferences(50, infos)) == {
        "UDP scanner[entry]:Packets per second": "50",
        "TCP connect scanner[entry]:Maximum simultaneous connections": "50",
    }
    assert dict(rate_preferences(10**6, infos))["UDP scanner[entry]:Packets per second"] == "100000"
    facts = {facts.id: facts for facts in plugin_facts(infos)}
    assert len(facts) == len(infos)
    assert facts["10335"].category == "scanner"  # PLUGIN_LIST's words, as a client sees them
    assert facts["90000010"].category == "infos"


def test_the_cache_follows_xdg_and_gives_each_feed_its_own_file(tmp_path: Path) -> None:
    assert cache_dir({"XDG_CACHE_HOME": str(tmp_path)}) == tmp_path / "ixion"
    assert cache_dir({"XDG_CACHE_HOME": "relative"}) == Path.home() / ".cache" / "ixion"
    one, two = nasl_cache_for(tmp_path / "a", tmp_path), nasl_cache_for(tmp_path / "b", tmp_path)
    assert one != two
    assert one.parent == two.parent == tmp_path / "nasl"
    assert nasl_cache_for(tmp_path / "a" / ".." / "a", tmp_path) == one
