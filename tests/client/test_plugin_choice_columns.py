"""Choosing from a whole plugin list at once decides each plugin as deciding it alone does.

:meth:`PluginChoices.chosen` works column by column (each family and category pair decided
once, the id entries looked up over all ids together), and from a client's plugin store
without making an entry per plugin; the plugin-by-plugin :meth:`PluginChoices.enabled` is
the reference.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from ixion.client.plugin_store import PluginStore
from ixion.client.preferences import PluginChoices, compact_plugin_set, plugin_set
from ixion.client.rcfile import PLUGIN_SET, SCANNER_SET, RcFile, RcSection
from ixion.ntp import Category, PluginList, PluginRecord, ServerPhase, ServerStreamDecoder
from ixion.ntp import encode_server_message as encode
from tests.ntp.server_samples import REFERENCE

_FAMILIES = ("Web Servers", "web servers", "DNS", "Misc; odd", " Spaced ")
_IDS = st.one_of(st.integers(1, 40).map(str), st.just("1.3.6.1.4.1.25623.1.0.7"))


@st.composite
def feeds(draw: st.DrawFn) -> list[PluginRecord]:
    return [
        PluginRecord(
            id=draw(_IDS),
            name="p",
            category=draw(st.sampled_from(Category)),
            copyright="",
            description="",
            summary="",
            family=draw(st.sampled_from(_FAMILIES)),
        )
        for _ in range(draw(st.integers(0, 30)))
    ]


_ENTRIES = st.one_of(
    st.integers(1, 40).map(str),
    st.integers(1, 40).map(lambda n: f"!{n}"),
    st.sampled_from(_FAMILIES).map(lambda f: f"family:{f.strip()}"),
    st.sampled_from(["attack", "scanner", "infos", "denial", "settings"]).map(
        lambda c: f"category:{c}"
    ),
    st.sampled_from(["all", "!all", "config:discovery", "config:full-and-fast"]),
)


@st.composite
def rc_files(draw: st.DrawFn) -> RcFile:
    sections = [
        RcSection(
            name=name, items=tuple(draw(st.lists(st.tuples(_ENTRIES, st.booleans()), max_size=5)))
        )
        for name in (SCANNER_SET, PLUGIN_SET)
    ]
    return RcFile(sections=tuple(sections))


def _store_of(plugins: list[PluginRecord]) -> PluginStore:
    store = PluginStore(descriptions=False, references=False)
    decoder = ServerStreamDecoder(REFERENCE, start=ServerPhase.MESSAGES, plugin_sink=store.add)
    decoder.receive_data(encode(PluginList(plugins=tuple(plugins)), REFERENCE))
    assert decoder.next_message() == PluginList()
    return store


@settings(max_examples=400, deadline=None)
@given(feeds(), rc_files())
def test_choosing_a_whole_list_decides_each_plugin_as_alone(
    plugins: list[PluginRecord], rc: RcFile
) -> None:
    choices = PluginChoices(rc)
    expected = (
        [p.id for p in plugins if choices.enabled(p) and p.category is not Category.SCANNER],
        [p.id for p in plugins if choices.enabled(p) and p.category is Category.SCANNER],
    )
    assert choices.chosen(plugins) == expected
    store = _store_of(plugins)
    assert PluginChoices(rc).chosen(store) == expected
    assert plugin_set(rc, store) == plugin_set(rc, plugins)
    assert plugin_set(rc, store, terms=True) == plugin_set(rc, plugins, terms=True)
    enabled = {*expected[0], *expected[1]}
    assert compact_plugin_set(enabled, store) == compact_plugin_set(enabled, plugins)
