"""Plugin selection terms: what each names, how they combine, the scan configurations."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ixion.plugin_api.metadata import UNSAFE_CATEGORIES, Category
from ixion.plugin_api.selection import (
    SelectionError,
    TermKind,
    category_named,
    parse_selection,
    parse_terms,
    scan_configs,
)

#: (id, family, category) of a small feed.
PLUGINS = [
    (10335, "Port scanners", "SCANNER"),
    (10180, "Port scanners", "SCANNER"),
    (11, "FTP", "ATTACK"),
    (12, "FTP", "GATHER_INFO"),
    (13, "Web Servers", "MIXED_ATTACK"),
    (14, "Denial of Service", "DENIAL"),
    (15, "Web Servers", "DESTRUCTIVE_ATTACK"),
]


def chosen(*items: str) -> list[int]:
    selection = parse_selection(items)
    return [pid for pid, family, category in PLUGINS if selection.runs(pid, family, category)]


def test_ids_name_plugins_and_nothing_else() -> None:
    assert chosen("10335", " 11 ", "") == [10335, 11]
    assert chosen("0") == []


def test_all_family_and_category() -> None:
    assert chosen("all") == [pid for pid, _, _ in PLUGINS]
    assert chosen("family:ftp") == [11, 12]  # families are matched without case
    assert chosen("family:Web Servers", "category:scanner") == [10335, 10180, 13, 15]
    assert chosen("category:infos") == [12]  # NTP's word for gather_info
    assert chosen("category:ACT_MIXED_ATTACK") == [13]


def test_exclusions_win_and_alone_start_from_everything() -> None:
    assert chosen("all", "!family:FTP") == [10335, 10180, 13, 14, 15]
    assert chosen("!category:scanner", "!14") == [11, 12, 13, 15]
    assert chosen("family:FTP", "!11") == [12]


def test_full_and_fast_leaves_out_the_dangerous_categories() -> None:
    assert chosen("config:full-and-fast") == [10335, 10180, 11, 12, 13]
    assert chosen("config:Full-And-Fast", "!category:scanner") == [11, 12, 13]
    assert chosen("config:discovery") == [10335, 10180, 12]
    assert chosen("config:everything") == [pid for pid, _, _ in PLUGINS]


def test_every_shipped_configuration_reads_and_says_what_it_is() -> None:
    configs = scan_configs()
    assert {"full-and-fast", "discovery", "everything"} <= set(configs)
    for config in configs.values():
        assert config.description
        assert config.terms
    dangerous = {t.value for t in configs["full-and-fast"].terms if t.exclude}
    assert dangerous == {category.name for category in UNSAFE_CATEGORIES}


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ("category:fast", "no category 'fast'"),
        ("config:nope", "no scan configuration 'nope' (one of: discovery, everything"),
        ("family:", "is not a plugin id"),
        ("12a", "is not a plugin id"),
        ("colour:red", "is not a plugin id"),
    ],
)
def test_a_term_ixion_cannot_read_is_an_error_that_says_why(item: str, message: str) -> None:
    with pytest.raises(SelectionError, match=message.replace("(", r"\(")):
        parse_selection([item])


def test_a_configuration_cannot_name_another() -> None:
    with pytest.raises(SelectionError):
        parse_terms(["config:discovery"], configs_allowed=False)


@given(st.sampled_from(list(Category)), st.sampled_from(["act_", "ACT_", ""]))
def test_every_category_is_named_by_its_name(category: Category, prefix: str) -> None:
    assert category_named(prefix + category.name.lower()) is category
    [term] = parse_terms([f"category:{prefix}{category.name}"])
    assert (term.kind, term.value) == (TermKind.CATEGORY, category.name)


@given(st.lists(st.sampled_from([p[0] for p in PLUGINS]), unique=True, min_size=1))
def test_a_list_of_ids_selects_exactly_those(ids: list[int]) -> None:
    """(No item at all is every plugin, as an empty plugin_set is.)"""
    assert set(chosen(*map(str, ids))) == set(ids)


def test_no_item_at_all_is_every_plugin() -> None:
    assert chosen() == chosen("all")
