"""The quick checks of a plugin record and a dependency line refuse what the field-by-field
checks refuse, with the same complaint, and nothing else.

Every plugin of a whole feed is checked on each side (136,000 a login), so the records check
all their one-line texts in one pass; the field-by-field checks, as written before, are the
reference here.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from ixion.ntp.errors import LocalProtocolError
from ixion.ntp.records import Category, Dependency, PluginRecord
from ixion.ntp.text import check_field, check_word
from tests.ntp import strategies as s

_TEXTS = ("name", "copyright", "summary", "family", "version", "sign_keys", "tags")
_LISTS = (("cve", "CVE"), ("bid", "BID"), ("xref", "xref"))

#: Values at the edges of the rules: separators, halves of them, line ends, empty entries.
_EDGES = st.sampled_from(
    ["", " ", "a", "<|>", "<|> a", "a <|>", " <|> ", "a <|> b", "a\nb", "\n", ", ", "a, b", "é"]
)
_VALUES = st.one_of(_EDGES, s.texts(6))


def _reference_list(what: str, values: tuple[str, ...]) -> None:
    for value in values:
        check_field(what, value)
        if not value or ", " in value:
            raise LocalProtocolError(f"bad {what} entry {value!r}")
    check_field(f"{what} list", ", ".join(values))


def _reference_record(fields: dict[str, object]) -> None:
    check_word("plugin id", str(fields["id"]))
    for what in _TEXTS:
        check_field(f"plugin {what}", str(fields[what]))
    for name, what in _LISTS:
        value = fields[name]
        assert isinstance(value, tuple)
        _reference_list(what, value)


def _outcome(check: object) -> str:
    try:
        check() if callable(check) else None
    except LocalProtocolError as exc:
        return exc.message
    return "accepted"


@st.composite
def record_fields(draw: st.DrawFn) -> dict[str, object]:
    fields: dict[str, object] = {
        "id": draw(st.one_of(_EDGES, s.words(), st.just("9 0"), st.just("a\tb"))),
        "category": Category.ATTACK,
        "description": draw(s.texts()),
    }
    for name in _TEXTS:
        fields[name] = draw(st.one_of(s.fields(), _VALUES))
    for name, _ in _LISTS:
        fields[name] = tuple(draw(st.lists(st.one_of(s.fields(4), _VALUES), max_size=3)))
    return fields


@settings(max_examples=2000, deadline=None)
@given(record_fields())
def test_a_plugin_record_refuses_what_the_field_checks_refuse(fields: dict[str, object]) -> None:
    expected = _outcome(lambda: _reference_record(fields))
    assert _outcome(lambda: PluginRecord(**fields)) == expected  # type: ignore[arg-type]


def _reference_dependency(name: str, needed: tuple[str, ...]) -> None:
    for value in (name, *needed):
        check_field("dependency name", value)
        if not value:
            raise LocalProtocolError("empty plugin name in PLUGINS_DEPENDENCIES")


@settings(max_examples=1000, deadline=None)
@given(_VALUES, st.lists(_VALUES, max_size=3).map(tuple))
def test_a_dependency_refuses_what_the_field_checks_refuse(
    name: str, needed: tuple[str, ...]
) -> None:
    expected = _outcome(lambda: _reference_dependency(name, needed))
    assert _outcome(lambda: Dependency(name=name, dependencies=needed)) == expected


def test_an_unknown_category_word_is_named() -> None:
    assert Category.from_wire("infos") is Category.GATHER_INFO
    assert _outcome(lambda: Category.from_wire("ACT_ATTACK")) == (
        "unknown plugin category 'ACT_ATTACK'"
    )
