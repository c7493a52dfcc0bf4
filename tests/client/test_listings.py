"""What the client prints of a whole feed, built column by column, against the plain way.

``ixion -q -p``'s lines, ``ixion plugins list --json``'s objects and the tab-separated rows of
``ixion plugins list`` are each made in C over a run of plugins; they must be, byte for byte,
what escaping each field and ``json.dumps`` of each plugin give, tricky texts included.
"""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from ixion.client.plugin_catalog import listed_facts
from ixion.client.plugin_json import listed_json
from ixion.client.plugin_lines import listing_lines
from ixion.client.plugin_store import PluginStore
from ixion.client.server_output import _cell, _plain_lines
from ixion.ntp import LocalProtocolError, PluginBatch, PluginList, encode_server_message
from ixion.ntp.features import Features
from ixion.ntp.plugin_line import PluginLineReader, plugin_line
from ixion.reports.nbe import escape_text
from tests.ntp import strategies as s

#: Every optional plugin field on the wire.
_FEATURES = Features(
    extensions=frozenset(
        {"plugins_version", "plugins_cve_id", "plugins_bugtraq_id", "plugins_xrefs"}
    )
)
#: Characters the escapes care about, often.
_TRICKY = st.sampled_from(["\\", "\r", ";", "|", '"', "\t", "\x01", "é", "\\n", "<|>", ", "])


@st.composite
def batches(draw: st.DrawFn) -> PluginBatch:
    records = draw(st.lists(s.plugin_records(_FEATURES), max_size=8))
    texts = [plugin_line(record, _FEATURES) for record in records]
    # A few raw bytes that only the escapes deal with, put into random fields.
    for index, text in enumerate(texts):
        fields = text.split(" <|> ")
        for _ in range(draw(st.integers(0, 2))):
            field = draw(st.sampled_from([0, 1, 3, 4, 5, 6, 7]))
            fields[field] += draw(_TRICKY) if field else "x"
        candidate = " <|> ".join(fields)
        try:
            PluginLineReader(_FEATURES).read(candidate)
        except LocalProtocolError:
            continue
        texts[index] = candidate
    return PluginLineReader(_FEATURES).read_batch(texts)


@settings(max_examples=120, deadline=None)
@given(batches())
def test_the_listing_is_each_field_escaped_and_joined(batch: PluginBatch) -> None:
    expected = "".join(
        "|".join(
            escape_text(field)
            for field in (
                line.id,
                line.family,
                line.name,
                line.category.value,
                line.copyright,
                line.summary,
                line.version,
                ", ".join(line.cve),
                ", ".join(line.bid),
                ", ".join(line.xref),
                line.description,
            )
        )
        + "\n"
        for line in batch.lines()
    )
    assert listing_lines(batch) == expected


def _store_of(batch: PluginBatch) -> PluginStore:
    store = PluginStore(descriptions=False, references=False)
    store.add(batch)
    return store


@settings(max_examples=120, deadline=None)
@given(batches())
def test_the_json_of_a_run_is_json_dumps_of_each_plugin(batch: PluginBatch) -> None:
    store = _store_of(batch)
    expected = ",\n".join(json.dumps(listed_facts(e), ensure_ascii=False) for e in store)
    assert listed_json(store.columns()) == expected
    assert [json.loads(text) for text in expected.split(",\n") if text] == [
        listed_facts(entry) for entry in store
    ]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(s.lines(4), s.lines(4), s.free_texts(4)), max_size=6))
def test_plain_rows_are_each_cell_cleaned(rows: list[tuple[str, str, str]]) -> None:
    expected = "".join("\t".join(map(_cell, row)) + "\n" for row in rows)
    assert _plain_lines(rows) == expected


def test_a_run_read_from_the_wire_lists_as_the_store_lists_it() -> None:
    from tests.ntp.server_samples import BANNER_CHECK, TCP_SCANNER

    data = encode_server_message(PluginList(plugins=(BANNER_CHECK, TCP_SCANNER)), _FEATURES)
    texts = data.decode().split("\n")[1:-2]
    batch = PluginLineReader(_FEATURES).read_batch(texts)
    assert listing_lines(batch).splitlines()[0] == (
        "90002|General|Peers HTTP banner check|infos|Public domain test plugin|"
        "HTTP banner grabber|$Revision: 1.0 $|CVE-1999-0001|1||"
        "Reads the Server: banner of a web server.\\n\\nRisk factor : Low"
    )
    assert json.loads("[" + listed_json(_store_of(batch).columns()) + "]")[1] == {
        "id": "90001",
        "name": "Peers tiny TCP scanner",
        "family": "Port scanners",
        "category": "scanner",
        "summary": "tiny connect() scanner",
        "cve": [],
        "bid": [],
    }
