"""Values that appear inside messages: categories, ports, plugin records, list entries.

Each one validates itself on construction, so an encoder never meets an impossible value.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from typing import Final

from ixion.ntp.errors import LocalProtocolError
from ixion.ntp.text import SEP, check_field, check_word

__all__ = [
    "Category",
    "Certificate",
    "Dependency",
    "Md5Entry",
    "PluginRecord",
    "PortRef",
    "SessionEntry",
    "parse_int",
]

#: More digits than any port, count or size ixion accepts; also keeps int() away from
#: Python's 4300-digit conversion limit on hostile input.
_MAX_DIGITS: Final = 12


def parse_int(text: str, what: str, *, low: int = 0, high: int = 2**63 - 1) -> int:
    """A decimal integer within [low, high], as the peer wrote it."""
    if not (0 < len(text) <= _MAX_DIGITS) or not text.isascii() or not text.isdigit():
        raise LocalProtocolError(f"{what} is not a number: {text[:40]!r}")
    value = int(text)
    if not low <= value <= high:
        raise LocalProtocolError(f"{what} {value} is out of range [{low}, {high}]")
    return value


class Category(enum.Enum):
    """Plugin categories in scheduling order (spec §6.3), with their PLUGIN_LIST words."""

    INIT = "init"
    SCANNER = "scanner"
    SETTINGS = "settings"
    GATHER_INFO = "infos"
    ATTACK = "attack"
    MIXED_ATTACK = "mixed"
    DESTRUCTIVE_ATTACK = "destructive_attack"
    DENIAL = "denial"
    KILL_HOST = "kill_host"
    FLOOD = "flood"
    END = "end"
    #: What nessusd sends for a category number out of range.
    UNKNOWN = "unknown"

    @classmethod
    def from_wire(cls, word: str) -> Category:
        # A dict lookup: Enum's own call costs a microsecond, once per plugin of a 136k feed.
        category = _CATEGORY_WORDS.get(word)
        if category is None:
            raise LocalProtocolError(f"unknown plugin category {word!r}")
        return category


#: Each category by its PLUGIN_LIST word.
_CATEGORY_WORDS: Final[dict[str, Category]] = {category.value: category for category in Category}


_PORT_RE: Final = re.compile(r"(.+) \(([0-9]{1,5})/([^\s/()]+)\)")
_GENERAL_RE: Final = re.compile(r"general/([^\s/()]+)")


@dataclass(frozen=True, slots=True, kw_only=True)
class PortRef:
    """Where a result was found: ``ssh (22/tcp)``, or ``general/tcp`` for the host as a whole.

    ``service=None`` with ``number=0`` is ``general/<protocol>``; ``service=None`` with a port
    number is a port whose name nobody told us (the NTP/1.0 forms carry only the number).
    """

    service: str | None
    number: int
    protocol: str = "tcp"

    def __post_init__(self) -> None:
        check_word("port protocol", self.protocol)
        if "/" in self.protocol or "(" in self.protocol or ")" in self.protocol:
            raise LocalProtocolError(f"bad port protocol {self.protocol!r}")
        if not 0 <= self.number <= 65535:
            raise LocalProtocolError(f"port number {self.number} out of range")
        if self.service is not None:
            check_field("service name", self.service)
            if not self.service:
                raise LocalProtocolError("empty service name")

    @classmethod
    def general(cls, protocol: str = "tcp") -> PortRef:
        return cls(service=None, number=0, protocol=protocol)

    @property
    def is_general(self) -> bool:
        return self.service is None and self.number == 0

    def __str__(self) -> str:
        if self.is_general:
            return f"general/{self.protocol}"
        return f"{self.service or 'unknown'} ({self.number}/{self.protocol})"

    @classmethod
    def parse(cls, text: str) -> PortRef:
        """Read the NTP/1.1+ port field (spec §3.5)."""
        if match := _GENERAL_RE.fullmatch(text):
            return cls.general(match.group(1))
        if match := _PORT_RE.fullmatch(text):
            number = parse_int(match.group(2), "port number", high=65535)
            return cls(service=match.group(1), number=number, protocol=match.group(3))
        raise LocalProtocolError(f"unreadable port field {text[:80]!r}")


def _fields_are_clean(joined: str, count: int) -> bool:
    """Whether ``count`` texts joined by newlines would each pass :func:`check_field`.

    One pass of C-level searches over all of them instead of four per field: a PluginRecord
    is built for each of a whole feed's 136,000 plugins on each side. A newline can only stand
    between two texts, so ``"\\n<|> "`` finds any text after the first that starts with half
    a separator. Never true for a text that fails; when False, the exact checks say which.
    """
    return not (
        joined.count("\n") != count - 1
        or SEP in joined
        or joined.startswith("<|> ")
        or joined.endswith(" <|>")
        or "\n<|> " in joined
        or " <|>\n" in joined
    )


def _check_list(what: str, values: tuple[str, ...]) -> None:
    if not values:
        return
    # The wire field alone tells: ", " can neither overlap itself nor straddle an entry's edge,
    # so the count is exactly the joints when no entry holds one; an entry's half separator
    # shows as " <|>, " (one within, ", <|> " holds the separator itself).
    wire = ", ".join(values)
    if (
        all(values)
        and wire.count(", ") == len(values) - 1
        and "\n" not in wire
        and SEP not in wire
        and not wire.startswith("<|> ")
        and not wire.endswith(" <|>")
        and " <|>, " not in wire
    ):
        return
    for value in values:
        check_field(what, value)
        if not value or ", " in value:
            raise LocalProtocolError(f"bad {what} entry {value!r}")
    # The joined field too: ``("a", "<|>")`` travels as ``a, <|>``, which ends in a separator.
    check_field(f"{what} list", ", ".join(values))


#: The one-line texts of a plugin record, in the order ``__post_init__`` checks them.
_PLUGIN_TEXTS: Final = ("name", "copyright", "summary", "family", "version", "sign_keys", "tags")


def _is_word(text: str) -> bool:
    """:func:`check_word`'s test in two C calls (``split()`` splits at what ``isspace`` is)."""
    return text.split() == [text] and "<|>" not in text


@dataclass(frozen=True, slots=True, kw_only=True)
class PluginRecord:
    """One plugin as PLUGIN_LIST and PLUGIN_INFO describe it (spec §3.2).

    Which optional fields reach the wire depends on the negotiated extensions; the record
    always holds them all.
    """

    id: str
    name: str
    category: Category
    copyright: str
    #: Free text; newlines become ``;`` on the wire.
    description: str
    summary: str
    family: str
    version: str = "?"
    cve: tuple[str, ...] = ()
    bid: tuple[str, ...] = ()
    #: ``NAME:value`` references.
    xref: tuple[str, ...] = ()
    #: OTP only: signing key fingerprints (``NOSIGNKEYS`` when empty).
    sign_keys: str = ""
    #: OTP only: ``name=value|...`` script tags (``NOTAG`` when empty).
    tags: str = ""

    def __post_init__(self) -> None:
        if not _is_word(self.id):
            check_word("plugin id", self.id)
        texts = (
            self.name,
            self.copyright,
            self.summary,
            self.family,
            self.version,
            self.sign_keys,
            self.tags,
        )
        if not _fields_are_clean("\n".join(texts), len(texts)):
            # One of them fails: the loop ends in a raise.
            for what in _PLUGIN_TEXTS:  # pragma: no branch
                check_field(f"plugin {what}", getattr(self, what))
        _check_list("CVE", self.cve)
        _check_list("BID", self.bid)
        _check_list("xref", self.xref)


@dataclass(frozen=True, slots=True, kw_only=True)
class Dependency:
    """A PLUGINS_DEPENDENCIES line: a plugin's name and the names it depends on."""

    name: str
    dependencies: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        values = (self.name, *self.dependencies)
        if all(values) and _fields_are_clean("\n".join(values), len(values)):
            return
        # One of them fails: the loop ends in a raise.
        for value in values:  # pragma: no branch
            check_field("dependency name", value)
            if not value:
                raise LocalProtocolError("empty plugin name in PLUGINS_DEPENDENCIES")


@dataclass(frozen=True, slots=True, kw_only=True)
class Md5Entry:
    """A detailed PLUGINS_MD5 line: plugin id (or file name with md5_by_name) and its MD5."""

    key: str
    md5: str

    def __post_init__(self) -> None:
        check_field("PLUGINS_MD5 key", self.key)
        check_word("md5", self.md5)
        if not self.key:
            raise LocalProtocolError(f"bad PLUGINS_MD5 key {self.key!r}")


_SESSION_ID_RE: Final = re.compile(r"[0-9-]+")


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionEntry:
    """A SESSIONS_LIST or DETACHED_SESSIONS_LIST line: ``<id> <targets>``."""

    id: str
    targets: str

    def __post_init__(self) -> None:
        check_word("session id", self.id)
        check_field("session targets", self.targets)


@dataclass(frozen=True, slots=True, kw_only=True)
class Certificate:
    """An OTP CERTIFICATES line (spec §11)."""

    fingerprint: str
    owner: str
    trusted: bool
    key_length: int
    #: PEM text; newlines become ``;`` on the wire.
    public_key: str

    def __post_init__(self) -> None:
        check_word("certificate fingerprint", self.fingerprint)
        check_field("certificate owner", self.owner)
        check_field("public key", self.public_key.replace("\n", ";"))
        if not 0 <= self.key_length < 2**31:
            raise LocalProtocolError(f"bad key length {self.key_length}")


def is_session_id(text: str, *, detached: bool) -> bool:
    """Session ids are ``YYYYmmdd-HHMMSS``; detached ones are pids (spec §3.9)."""
    if detached:
        return text.isascii() and text.isdigit()
    return _SESSION_ID_RE.fullmatch(text) is not None
