"""Hypothesis strategies for results records: any value the record accepts."""

from __future__ import annotations

from hypothesis import strategies as st

from ixion.reports import (
    Event,
    Finding,
    HostsRejected,
    OpenPort,
    Severity,
    Timestamp,
    TimestampKind,
)

# Any text, and the stand-ins NBE reading makes for bytes that are not UTF-8.
_TEXT = st.text(st.characters(codec="utf-8") | st.sampled_from(["\udc80", "\udcff", "\udce9"]))
_LINE = _TEXT.filter(lambda t: t and "\n" not in t and "\r" not in t)
_WORD = _TEXT.filter(lambda t: t != "" and not any(c.isspace() for c in t))
_PLUGIN_ID = st.none() | _WORD.filter(lambda w: w != "0")


@st.composite
def _timestamps(draw: st.DrawFn) -> Timestamp:
    kind = draw(st.sampled_from(TimestampKind))
    return Timestamp(kind=kind, when=draw(_LINE), host=draw(_WORD) if kind.names_host else None)


EVENTS: st.SearchStrategy[Event] = st.one_of(
    _timestamps(),
    st.builds(OpenPort, host=_WORD, port=_LINE),
    st.builds(
        Finding,
        host=_WORD,
        port=_LINE,
        severity=st.sampled_from(Severity),
        text=_TEXT,
        plugin_id=_PLUGIN_ID,
    ),
    st.builds(HostsRejected, hosts=st.lists(_WORD, max_size=3).map(tuple), truncated=st.booleans()),
)
