"""The target rules language: which addresses a user may scan (spec §7.3).

Rules come from three places: the administrator's global file (``nessusd.rules``), the user's
``auth/rules``, and any RULES block the client sends after login. Each text parses into a
:class:`RuleFile`, which may still say ``client_ip``. :func:`merge_at_login` combines the global
and user files and puts the client's address in place of ``client_ip``, giving a
:class:`RuleSet`. Only a RuleSet answers :meth:`RuleSet.allows` (one address) and
:meth:`RuleSet.classify` (a range at once). Everything here is immutable:
:meth:`RuleSet.tighten` returns a new set and leaves the old one alone.

The two files are read differently, as nessusd read them. In the global file ``deny`` means
``reject``, and a line that cannot be read is skipped with a warning (a bad mask stops the
load, as it stopped nessusd). In a user file or a RULES block every verb other than ``accept``
means ``reject``.

Where ixion differs from nessusd 2.2.5 on purpose:

* **IPv6** addresses and masks are accepted. A rule applies only to addresses of its own
  family: a negated IPv6 rule says nothing about IPv4 targets. IPv4-mapped IPv6 addresses
  (``::ffff:a.b.c.d``, what a dual-stack socket reports) are treated as IPv4.
* **User-file addresses are normalised** to the network address, as global ones always were.
  nessusd did not do this, so ``accept 192.0.2.5/24`` in a user file never matched anything,
  and ``client_ip`` only worked as ``/32``. In ixion ``client_ip/24`` means the client's /24.
* **A bad line in a user file or a RULES block is a** :class:`RuleError` that names the line.
  nessusd's server process exited and the connection dropped without a word (spec §10.19).
* **Addresses are written in full**: a dotted quad or an IPv6 address, with the mask in bits.
  The short forms ``inet_aton`` also took (``127.1``, ``0x7f000001``, octal ``0177.0.0.1``)
  are refused, because they do not mean what they appear to mean. Words stay case-sensitive,
  as in nessusd.
* **Safe by default.** :data:`RECOMMENDED_GLOBAL_RULES` ends in ``default reject``, and a global
  file with no ``default`` line means reject. nessusd wrote ``default accept`` into a missing
  file, and took a missing ``default`` line as accept, so a fresh install let every user scan
  the whole Internet. A scanner that opens nothing until the administrator names a range is
  the safer way to start.
* In a RULES block every ``default reject`` line counts; nessusd kept only the last default
  line, so ``default reject`` followed by ``default accept`` tightened nothing.
* ``#`` starts a comment anywhere on a line, not only at its start, and a last line without a
  newline is read whole (nessusd's user-file reader cut its last character off).
"""

from __future__ import annotations

import dataclasses
import enum
import ipaddress
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final, TypeAlias

from ixion.server.verdict_map import Stretch, VerdictMap

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from pathlib import Path

__all__ = [
    "RECOMMENDED_GLOBAL_RULES",
    "Action",
    "Address",
    "ClientIp",
    "Network",
    "Rule",
    "RuleError",
    "RuleFile",
    "RuleSet",
    "Stretch",
    "Tightening",
    "create_global_rules",
    "load_global_rules",
    "merge_at_login",
    "parse_global_rules",
    "parse_user_rules",
]

Address: TypeAlias = ipaddress.IPv4Address | ipaddress.IPv6Address
Network: TypeAlias = ipaddress.IPv4Network | ipaddress.IPv6Network

#: What :func:`create_global_rules` writes unless told otherwise.
RECOMMENDED_GLOBAL_RULES: Final = """\
#
# ixion target rules: which addresses users may scan.
#
# One rule per line; the first rule that matches a target decides:
#
#   accept|reject [!]address[/bits]     IPv4 or IPv6; "!" matches every address outside
#   default accept|reject               what applies when no rule matches
#
# "client_ip" stands for the address of the connecting client ("accept client_ip/24").
# Each user's auth/rules adds rules of its own: its rejects come before these rules, its
# accepts after them, and either file can make the default reject.
#
# Nothing may be scanned until you open a range, for example:
#
#   accept 192.0.2.0/24
#   accept 2001:db8::/32
#
default reject
"""


class Action(enum.Enum):
    """What a rule, or the default, says about a target."""

    ACCEPT = "accept"
    REJECT = "reject"


class RuleError(ValueError):
    """A rules text has a line that cannot be read; the message names the line."""

    def __init__(self, reason: str, *, source: str, lineno: int, line: str) -> None:
        super().__init__(f"{source}, line {lineno}: {reason}: {line.strip()!r}")
        self.reason = reason
        self.source = source
        self.lineno = lineno
        self.line = line


@dataclass(frozen=True, slots=True)
class ClientIp:
    """The ``client_ip`` keyword: the connecting client's network, known only at login."""

    #: ``None`` for the client's address alone (/32 or /128).
    prefixlen: int | None = None

    def bind(self, client: Address) -> Network:
        """The client's network. A mask longer than the client's address means the host alone.

        ``client_ip/64`` is written for IPv6 clients; for an IPv4 client the /32 is the only
        reading that does not widen a ``reject !client_ip/64``.
        """
        bits: int = client.max_prefixlen
        if self.prefixlen is not None:
            bits = min(self.prefixlen, bits)
        return ipaddress.ip_network((client, bits), strict=False)

    def __str__(self) -> str:
        return "client_ip" if self.prefixlen is None else f"client_ip/{self.prefixlen}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Rule:
    """One ``accept`` or ``reject`` line."""

    action: Action
    target: Network | ClientIp
    #: ``!``: the rule matches every address of its family outside the network.
    negated: bool = False

    def matches(self, address: Address) -> bool:
        if isinstance(self.target, ClientIp):
            raise ValueError(f"{self} is not bound to a client address")
        if address.version != self.target.version:
            return False
        return (address in self.target) != self.negated

    def bind(self, client: Address) -> Rule:
        """The rule with ``client_ip`` replaced by the client's network."""
        if isinstance(self.target, ClientIp):
            return dataclasses.replace(self, target=self.target.bind(client))
        return self

    def __str__(self) -> str:
        return f"{self.action.value} {'!' if self.negated else ''}{self.target}"


@dataclass(frozen=True, slots=True, kw_only=True)
class RuleFile:
    """What one rules text says, in its order; may still say ``client_ip``."""

    rules: tuple[Rule, ...] = ()
    #: The last ``default`` line, or ``None`` when the text has none.
    default: Action | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Tightening:
    """The result of a client RULES block."""

    rules: RuleSet
    #: Lines that asked for more rights and were dropped, as normalised rule text with
    #: ``client_ip`` as the client wrote it; the server logs them ("attempted to gain more
    #: rights", spec §7.3).
    ignored: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class RuleSet:
    """The rules of one logged-in user, in evaluation order, with ``client_ip`` bound."""

    rules: tuple[Rule, ...]
    default: Action
    #: The client the set was bound for; a RULES block's ``client_ip`` means this address.
    client: Address
    #: What :meth:`classify` reads, made when it is first called.
    _verdicts: list[VerdictMap] = field(default_factory=list, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for rule in self.rules:
            if isinstance(rule.target, ClientIp):
                raise ValueError(f"{rule} is not bound to a client address")

    def allows(self, target: Address | str) -> bool:
        """The user may scan this address: the first matching rule decides, else the default."""
        address = _plain_address(target)
        for rule in self.rules:
            if rule.matches(address):
                return rule.action is Action.ACCEPT
        return self.default is Action.ACCEPT

    def classify(self, first: Address, last: Address) -> tuple[Stretch, ...]:
        """``first`` to ``last`` cut where :meth:`allows` changes its verdict, in order; the
        cost is the rules', whatever the size of the range (:mod:`~ixion.server.verdict_map`)."""
        if not self._verdicts:
            judged = [
                (rule.target, rule.negated, rule.action is Action.ACCEPT)
                for rule in self.rules
                if not isinstance(rule.target, ClientIp)  # none is: see __post_init__
            ]
            self._verdicts.append(VerdictMap(judged, default=self.default is Action.ACCEPT))
        return self._verdicts[0].classify(first, last)

    def tighten(self, lines: Iterable[str], *, source: str = "client RULES") -> Tightening:
        """Apply a client RULES block, which can only take rights away (spec §7.3, §10.20).

        Reject rules go in front of the current rules, in the order sent, and
        ``default reject`` makes the default reject. Accept rules and ``default accept`` are
        ignored and reported. The block applies whole or not at all: a bad line raises
        :class:`RuleError` and the set stays as it was.
        """
        rejects: list[Rule] = []
        ignored: list[str] = []
        default = self.default
        for item in _parse_user_lines(lines, source):
            if item is Action.REJECT:
                default = Action.REJECT
            elif item is Action.ACCEPT:
                ignored.append("default accept")
            elif item.action is Action.REJECT:
                rejects.append(item.bind(self.client))
            else:
                ignored.append(str(item))
        tightened = RuleSet(rules=(*rejects, *self.rules), default=default, client=self.client)
        return Tightening(rules=tightened, ignored=tuple(ignored))


def merge_at_login(global_rules: RuleFile, user_rules: RuleFile, client: Address | str) -> RuleSet:
    """The rules a user works under: user rejects, global rules, user accepts, then default.

    The default is reject if either file says so (spec §7.3); a global file with no
    ``default`` line counts as reject. A user's accepts come after the global rules, so they
    can widen a global ``default reject`` but not an explicit global ``reject`` (§10.20).
    """
    address = _plain_address(client)
    user_rejects = [rule for rule in user_rules.rules if rule.action is Action.REJECT]
    user_accepts = [rule for rule in user_rules.rules if rule.action is Action.ACCEPT]
    ordered = (*user_rejects, *global_rules.rules, *user_accepts)
    global_default = Action.REJECT if global_rules.default is None else global_rules.default
    user_default = user_rules.default
    default = Action.REJECT if Action.REJECT in (global_default, user_default) else Action.ACCEPT
    return RuleSet(
        rules=tuple(rule.bind(address) for rule in ordered), default=default, client=address
    )


# --- parsing ---------------------------------------------------------------------------------


class _BadLine(Exception):
    """A line that cannot be read; the callers add where it was."""


class _BadMask(_BadLine):
    """A mask out of range, which stops the load of even the global file."""


def parse_global_rules(
    text: str, *, source: str = "global rules"
) -> tuple[RuleFile, tuple[RuleError, ...]]:
    """The global file, and one :class:`RuleError` per line skipped, for the log.

    Verbs are ``accept``, ``reject`` and ``deny``; a line with another verb or a bad address
    is skipped, as nessusd skipped it. A bad mask raises :class:`RuleError`, where nessusd
    exited.
    """
    items: list[Rule | Action] = []
    skipped: list[RuleError] = []
    for lineno, line in enumerate(text.split("\n"), start=1):
        try:
            item = _parse_line(line, _global_word)
        except _BadMask as exc:
            raise RuleError(str(exc), source=source, lineno=lineno, line=line) from None
        except _BadLine as exc:
            skipped.append(RuleError(str(exc), source=source, lineno=lineno, line=line))
            continue
        if item is not None:
            items.append(item)
    return _rule_file(items), tuple(skipped)


def parse_user_rules(text: str, *, source: str = "user rules") -> RuleFile:
    """A user's ``auth/rules``: every verb but ``accept`` means reject; any bad line raises."""
    return _rule_file(_parse_user_lines(text.split("\n"), source))


def _parse_user_lines(lines: Iterable[str], source: str) -> list[Rule | Action]:
    items: list[Rule | Action] = []
    for lineno, line in enumerate(lines, start=1):
        try:
            item = _parse_line(line, _user_word)
        except _BadLine as exc:
            raise RuleError(str(exc), source=source, lineno=lineno, line=line) from None
        if item is not None:
            items.append(item)
    return items


def _rule_file(items: Iterable[Rule | Action]) -> RuleFile:
    rules: list[Rule] = []
    default: Action | None = None
    for item in items:
        if isinstance(item, Action):
            default = item
        else:
            rules.append(item)
    return RuleFile(rules=tuple(rules), default=default)


def _parse_line(line: str, word: Callable[[str], Action]) -> Rule | Action | None:
    """A rule, the Action of a ``default`` line, or ``None`` for a blank or comment line."""
    words = line.split("#", 1)[0].split()
    if not words:
        return None
    verb, *arguments = words
    if verb == "default":
        if len(arguments) != 1:
            raise _BadLine("expected 'default accept' or 'default reject'")
        return word(arguments[0])
    if len(arguments) != 1:
        raise _BadLine("expected a verb and one address")
    action = word(verb)  # first, as nessusd: an unknown verb is skipped even with a bad mask
    negated, target = _parse_target(arguments[0])
    return Rule(action=action, target=target, negated=negated)


def _global_word(word: str) -> Action:
    try:
        return _GLOBAL_WORDS[word]
    except KeyError:
        raise _BadLine(f"unknown word {word!r}; expected accept, reject or deny") from None


_GLOBAL_WORDS: Final = {"accept": Action.ACCEPT, "reject": Action.REJECT, "deny": Action.REJECT}


def _user_word(word: str) -> Action:
    # nessusd's users_add_rule: only "accept" accepts; any other word can only take away.
    return Action.ACCEPT if word == "accept" else Action.REJECT


def _parse_target(text: str) -> tuple[bool, Network | ClientIp]:
    """``[!]address[/bits]`` or ``[!]client_ip[/bits]``."""
    negated = text.startswith("!")
    address_text, slash, bits_text = text.removeprefix("!").partition("/")
    if address_text == "client_ip":
        # The family is not known until login, so any IPv6 length is allowed.
        return negated, ClientIp(_prefixlen(bits_text, 128) if slash else None)
    address = _rule_address(address_text)
    bits = _prefixlen(bits_text, address.max_prefixlen) if slash else address.max_prefixlen
    # strict=False: the host bits are cleared, so 192.0.2.5/24 means 192.0.2.0/24.
    return negated, ipaddress.ip_network((address, bits), strict=False)


def _rule_address(text: str) -> Address:
    if "%" in text:
        raise _BadLine(f"{text!r} has an IPv6 zone; rules take plain addresses")
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        raise _BadLine(f"{text!r} is not an IP address or client_ip") from None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        raise _BadLine(f"{text!r} is an IPv4-mapped address; write {address.ipv4_mapped}")
    return address


def _prefixlen(text: str, most: int) -> int:
    if not (0 < len(text) <= 3 and text.isascii() and text.isdigit()) or int(text) > most:
        raise _BadMask(f"mask {text!r} is not a number of bits from 0 to {most}")
    return int(text)


def _plain_address(value: Address | str) -> Address:
    """An address to compare with rules: parsed, and IPv4 if it is IPv4-mapped."""
    address = ipaddress.ip_address(value) if isinstance(value, str) else value
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


# --- the global file -------------------------------------------------------------------------


def create_global_rules(path: Path, text: str = RECOMMENDED_GLOBAL_RULES) -> bool:
    """Write ``text`` to ``path`` if no file is there; ``True`` if this call created it.

    The daemon calls it at start-up, before :func:`load_global_rules`. nessusd wrote
    ``default accept`` here; ixion's recommended text rejects until a range is opened.
    """
    try:
        with path.open("x", encoding="utf-8") as file:
            file.write(text)
    except FileExistsError:
        return False
    return True


def load_global_rules(path: Path) -> tuple[RuleFile, tuple[RuleError, ...]]:
    """Read and parse the global file; see :func:`parse_global_rules`."""
    text = path.read_text(encoding="utf-8", errors="surrogateescape")
    return parse_global_rules(text, source=str(path))
