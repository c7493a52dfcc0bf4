"""Which plugins a scan runs, said in a few words rather than 135,000 ids.

NTP's ``plugin_set`` lists the ids to run, ``;``-separated (spec §3.10); with a whole feed
loaded that is a line of about a megabyte, and an rc file that names every plugin. ixion also
reads *terms*, in ``plugin_set`` and as the keys of an rc file's PLUGIN_SET and SCANNER_SET:

* ``10335`` - one plugin, by id (what every client sends);
* ``all`` - every plugin; ``family:Web Servers`` - one family (case-insensitive);
* ``category:attack`` - one category (``attack``, ``act_attack`` and NTP's ``infos`` for
  ``gather_info`` all work);
* ``config:full-and-fast`` - a named scan configuration ixion ships (:func:`scan_configs`),
  itself made of terms;
* any term after ``!`` leaves out what it names: ``all;!category:denial``.

A plugin runs when an including term names it and no excluding one does; terms that only
exclude start from every plugin. Only ixiond reads terms: ixion's client sends a classic
nessusd the ids they stand for.
"""

from __future__ import annotations

import enum
import functools
import tomllib
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING, Final

from ixion.plugin_api.metadata import Category

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = [
    "ScanConfig",
    "Selection",
    "SelectionError",
    "Term",
    "TermKind",
    "category_named",
    "parse_selection",
    "scan_configs",
]

#: NTP's PLUGIN_LIST word for each category, where it is not the category's own name.
_WIRE_WORDS: Final = {"infos": Category.GATHER_INFO, "mixed": Category.MIXED_ATTACK}


class SelectionError(ValueError):
    """A term names no category or scan configuration ixion knows."""


class TermKind(enum.Enum):
    ID = "id"
    ALL = "all"
    FAMILY = "family"
    CATEGORY = "category"


@dataclass(frozen=True, slots=True)
class Term:
    """One term, with a scan configuration already replaced by its own terms."""

    kind: TermKind
    #: The id's digits, the family folded to lower case, or the category's name.
    value: str = ""
    exclude: bool = False


@dataclass(frozen=True, slots=True)
class ScanConfig:
    """A named selection shipped with ixion (``scan_configs/<name>.toml``)."""

    name: str
    description: str
    terms: tuple[Term, ...]


def category_named(word: str) -> Category:
    """The category ``word`` names: ``gather_info``, ``ACT_GATHER_INFO`` or NTP's ``infos``."""
    key = word.strip().lower().removeprefix("act_")
    if key in _WIRE_WORDS:
        return _WIRE_WORDS[key]
    try:
        return Category[key.upper()]
    except KeyError:
        names = ", ".join(c.name.lower() for c in Category)
        raise SelectionError(f"no category {word!r} (one of: {names})") from None


def _term(text: str, *, configs_allowed: bool) -> tuple[Term, ...]:
    exclude = text.startswith("!")
    body = text[1:].strip() if exclude else text
    kind, colon, value = body.partition(":")
    kind, value = kind.strip().lower(), value.strip()
    if body.isdigit():
        return (Term(TermKind.ID, str(int(body)), exclude),)
    if body.lower() == "all":
        return (Term(TermKind.ALL, exclude=exclude),)
    if colon and kind == "family" and value:
        return (Term(TermKind.FAMILY, value.casefold(), exclude),)
    if colon and kind == "category":
        return (Term(TermKind.CATEGORY, category_named(value).name, exclude),)
    if colon and kind == "config" and configs_allowed:
        config = scan_configs().get(value.lower())
        if config is None:
            raise SelectionError(
                f"no scan configuration {value!r} (one of: {', '.join(sorted(scan_configs()))})"
            )
        if not exclude:
            return config.terms
        return tuple(Term(t.kind, t.value, not t.exclude) for t in config.terms if not t.exclude)
    raise SelectionError(
        f"{text!r} is not a plugin id, 'all', 'family:NAME', 'category:NAME' or 'config:NAME'"
    )


def parse_terms(items: Iterable[str], *, configs_allowed: bool = True) -> tuple[Term, ...]:
    """The terms of ``items`` (blank items skipped). Raises :class:`SelectionError`."""
    terms: list[Term] = []
    for item in items:
        if item.strip():
            terms.extend(_term(item.strip(), configs_allowed=configs_allowed))
    return tuple(terms)


_KINDS: Final = (TermKind.ID, TermKind.FAMILY, TermKind.CATEGORY)


@dataclass(frozen=True, slots=True)
class _Names:
    """What the terms of one polarity name: ids, families, categories, or everything."""

    ids: frozenset[str]
    families: frozenset[str]
    categories: frozenset[str]
    everything: bool

    @classmethod
    def of(cls, terms: Iterable[Term]) -> _Names:
        terms = tuple(terms)
        ids, families, categories = (
            frozenset(t.value for t in terms if t.kind is kind) for kind in _KINDS
        )
        return cls(ids, families, categories, any(t.kind is TermKind.ALL for t in terms))

    def name(self, plugin_id: str, family: str, category: str) -> bool:
        return (
            self.everything
            or plugin_id in self.ids
            or family in self.families
            or category in self.categories
        )


@dataclass(frozen=True, slots=True)
class Selection:
    """A parsed ``plugin_set``: decides for each plugin whether it runs."""

    terms: tuple[Term, ...]
    _included: _Names
    _excluded: _Names

    @classmethod
    def of(cls, terms: tuple[Term, ...]) -> Selection:
        included = _Names.of(t for t in terms if not t.exclude)
        if not any(not t.exclude for t in terms):
            included = _Names(frozenset(), frozenset(), frozenset(), everything=True)
        return cls(terms, included, _Names.of(t for t in terms if t.exclude))

    def runs(self, plugin_id: int | str, family: str, category: str) -> bool:
        """Whether the plugin with this id, family and category (its name, e.g.
        ``GATHER_INFO``) is selected."""
        key = (str(plugin_id), family.casefold(), category)
        return self._included.name(*key) and not self._excluded.name(*key)


def parse_selection(items: Iterable[str]) -> Selection:
    """A ``plugin_set``'s items as a :class:`Selection`. Raises :class:`SelectionError`."""
    return Selection.of(parse_terms(items))


@functools.cache
def scan_configs() -> dict[str, ScanConfig]:
    """The scan configurations ixion ships, by name."""
    configs: dict[str, ScanConfig] = {}
    folder = resources.files(__package__ or "ixion.plugin_api").joinpath("scan_configs")
    for entry in folder.iterdir():
        if not entry.name.endswith(".toml"):
            continue
        data = tomllib.loads(entry.read_text(encoding="utf-8"))
        name = entry.name.removesuffix(".toml")
        items = [*data.get("include", []), *(f"!{t}" for t in data.get("exclude", []))]
        terms = parse_terms(items, configs_allowed=False)
        configs[name] = ScanConfig(name, str(data["description"]).strip(), terms)
    return configs
