"""The plugin choice sent to ixiond in words: it must select exactly what the ids would."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from ixion.client.preferences import compact_plugin_set, plugin_set
from ixion.client.rcfile import parse_rcfile
from ixion.ntp import Category, PluginRecord
from ixion.plugin_api.metadata import Category as PluginCategory
from ixion.plugin_api.metadata import PluginInfo
from ixion.server.plugin_choice import enabled_ids

#: Families a plugin may have, with the awkward ones: case twins, outer spaces, a semicolon.
FAMILIES = ("Web Servers", "web servers", "FTP", " padded ", "semi;colon", "General")


def record(plugin_id: str, family: str, category: Category = Category.ATTACK) -> PluginRecord:
    return PluginRecord(
        id=plugin_id,
        name=f"plugin {plugin_id}",
        category=category,
        copyright="",
        description="",
        summary="",
        family=family,
    )


def info(plugin: PluginRecord) -> PluginInfo:
    return PluginInfo(
        id=int(plugin.id),
        filename=f"{plugin.id}.nasl",
        name=plugin.name,
        family=plugin.family,
        category=PluginCategory[plugin.category.name],
        summary="s",
        description="d",
    )


def selected_by_ixiond(value: str, plugins: list[PluginRecord]) -> set[str]:
    return {str(i) for i in enabled_ids(value.split(";"), [info(p) for p in plugins])}


@st.composite
def feeds(draw: st.DrawFn) -> tuple[list[PluginRecord], set[str]]:
    count = draw(st.integers(1, 60))
    plugins = [record(str(1000 + n), draw(st.sampled_from(FAMILIES))) for n in range(count)]
    enabled = draw(st.sets(st.sampled_from([p.id for p in plugins])))
    return plugins, enabled


@settings(max_examples=400, deadline=None)
@given(feeds())
def test_ixiond_selects_exactly_the_enabled_plugins(
    feed: tuple[list[PluginRecord], set[str]],
) -> None:
    plugins, enabled = feed
    value = compact_plugin_set(enabled, plugins)
    if not enabled:
        assert value == "0"
        assert selected_by_ixiond(value, plugins) == set()
    else:
        assert selected_by_ixiond(value, plugins) == enabled


def test_a_whole_feed_goes_as_one_word() -> None:
    feed = [record(str(n), f"family {n % 40}") for n in range(1, 136_001)]
    rc = parse_rcfile("begin(PLUGIN_SET)\n all = yes\nend(PLUGIN_SET)\n")
    # Without SCANNER_SET entries scanners stay off; there are none here.
    assert plugin_set(rc, feed, terms=True) == "all;"
    assert len(plugin_set(rc, feed)) > 800_000  # what a classic nessusd is sent


def test_a_family_with_a_few_left_out_goes_as_the_family_and_exclusions() -> None:
    feed = [record(str(n), "Web Servers") for n in range(1, 101)]
    feed += [record(str(n), "FTP") for n in range(101, 111)]
    rc = parse_rcfile(
        "begin(PLUGIN_SET)\n family:Web Servers = yes\n 7 = no\n family:FTP = no\n 105 = yes\n"
        "end(PLUGIN_SET)\n"
    )
    value = plugin_set(rc, feed, terms=True)
    assert value == "family:Web Servers;!7;105;"
    assert selected_by_ixiond(value, feed) == {str(n) for n in range(1, 101) if n != 7} | {"105"}
