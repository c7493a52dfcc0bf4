"""The target rules language: parsing, merging at login, client RULES, evaluation (spec §7.3)."""

from __future__ import annotations

import dataclasses
import itertools
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network
from typing import TYPE_CHECKING

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ixion.server.rules import (
    RECOMMENDED_GLOBAL_RULES,
    Action,
    ClientIp,
    Rule,
    RuleError,
    RuleFile,
    RuleSet,
    Stretch,
    create_global_rules,
    load_global_rules,
    merge_at_login,
    parse_global_rules,
    parse_user_rules,
)
from ixion.server.verdict_map import allowed_by_both

if TYPE_CHECKING:
    from pathlib import Path

CLIENT = IPv4Address("198.18.0.7")


def rule_texts(rules: RuleFile | RuleSet) -> list[str]:
    return [str(rule) for rule in rules.rules]


def login(global_text: str, user_text: str = "", client: str = "198.18.0.7") -> RuleSet:
    global_rules, skipped = parse_global_rules(global_text)
    assert skipped == ()
    return merge_at_login(global_rules, parse_user_rules(user_text), client)


# --- reading a user file ---------------------------------------------------------------------


def test_a_user_file_reads_into_rules_in_order_and_its_default() -> None:
    rules = parse_user_rules(
        "accept 192.0.2.0/24\nreject 198.18.0.0/15\naccept 2001:db8::/32\ndefault reject\n"
    )
    assert rules == RuleFile(
        rules=(
            Rule(action=Action.ACCEPT, target=IPv4Network("192.0.2.0/24")),
            Rule(action=Action.REJECT, target=IPv4Network("198.18.0.0/15")),
            Rule(action=Action.ACCEPT, target=IPv6Network("2001:db8::/32")),
        ),
        default=Action.REJECT,
    )


def test_blank_lines_comments_and_surrounding_whitespace_are_ignored() -> None:
    text = "# my rules\n\n   \t# indented comment\n \taccept\t192.0.2.0/24  # lab\r\n\n"
    assert rule_texts(parse_user_rules(text)) == ["accept 192.0.2.0/24"]


def test_an_empty_user_file_has_no_rules_and_no_opinion_on_the_default() -> None:
    assert parse_user_rules("") == RuleFile(rules=(), default=None)


@pytest.mark.parametrize("verb", ["reject", "deny", "acept", "ACCEPT", "allow"])
def test_in_a_user_file_every_verb_but_accept_means_reject(verb: str) -> None:
    assert rule_texts(parse_user_rules(f"{verb} 192.0.2.0/24")) == ["reject 192.0.2.0/24"]


@pytest.mark.parametrize(
    ("line", "default"),
    [
        ("default accept", Action.ACCEPT),
        ("default reject", Action.REJECT),
        ("default deny", Action.REJECT),
        ("default yes", Action.REJECT),
    ],
)
def test_in_a_user_file_every_default_but_accept_means_reject(line: str, default: Action) -> None:
    assert parse_user_rules(line).default is default


def test_the_last_default_line_of_a_text_wins() -> None:
    assert parse_user_rules("default reject\ndefault accept").default is Action.ACCEPT


def test_user_file_addresses_are_normalised_to_their_network_unlike_nessusd() -> None:
    # nessusd compared the masked target with 192.0.2.5 itself, so this rule never matched.
    rules = login("default reject", "accept 192.0.2.5/24")
    assert rule_texts(rules) == ["accept 192.0.2.0/24"]
    assert rules.allows("192.0.2.200") is True


def test_an_address_without_a_mask_is_a_single_host() -> None:
    rules = parse_user_rules("accept 192.0.2.9\naccept 2001:db8::9")
    assert rule_texts(rules) == ["accept 192.0.2.9/32", "accept 2001:db8::9/128"]


def test_negation_and_client_ip_are_read_with_their_masks() -> None:
    rules = parse_user_rules("reject !client_ip/24\naccept client_ip\nreject !2001:db8::/48")
    assert rules.rules == (
        Rule(action=Action.REJECT, target=ClientIp(24), negated=True),
        Rule(action=Action.ACCEPT, target=ClientIp(None)),
        Rule(action=Action.REJECT, target=IPv6Network("2001:db8::/48"), negated=True),
    )
    assert rule_texts(rules) == [
        "reject !client_ip/24",
        "accept client_ip",
        "reject !2001:db8::/48",
    ]


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("accept n:*", "'n:*' is not an IP address or client_ip"),
        ("accept host.example", "'host.example' is not an IP address or client_ip"),
        # inet_aton's short, hex and octal forms (127.0.0.1 all three) are refused.
        ("accept 127.1", "'127.1' is not an IP address or client_ip"),
        ("accept 0x7f000001", "'0x7f000001' is not an IP address or client_ip"),
        ("accept 0177.0.0.1", "'0177.0.0.1' is not an IP address or client_ip"),
        ("accept !", "'' is not an IP address or client_ip"),
        (
            "accept 2001:db8::1%eth0",
            "'2001:db8::1%eth0' has an IPv6 zone; rules take plain addresses",
        ),
        (
            "accept ::ffff:192.0.2.1",
            "'::ffff:192.0.2.1' is an IPv4-mapped address; write 192.0.2.1",
        ),
        ("accept 192.0.2.0/33", "mask '33' is not a number of bits from 0 to 32"),
        ("accept 2001:db8::/129", "mask '129' is not a number of bits from 0 to 128"),
        ("accept client_ip/129", "mask '129' is not a number of bits from 0 to 128"),
        ("accept 192.0.2.0/", "mask '' is not a number of bits from 0 to 32"),
        ("accept 192.0.2.0/+24", "mask '+24' is not a number of bits from 0 to 32"),
        ("accept 192.0.2.0/0024", "mask '0024' is not a number of bits from 0 to 32"),
        (
            "accept 192.0.2.0/\u0662\u0664",
            "mask '\u0662\u0664' is not a number of bits from 0 to 32",
        ),
        (
            "accept 192.0.2.0/255.255.255.0",
            "mask '255.255.255.0' is not a number of bits from 0 to 32",
        ),
        ("accept", "expected a verb and one address"),
        ("accept 192.0.2.0 /24", "expected a verb and one address"),
        ("default", "expected 'default accept' or 'default reject'"),
        ("default reject now", "expected 'default accept' or 'default reject'"),
    ],
)
def test_a_bad_user_line_is_a_rule_error_naming_the_line(line: str, reason: str) -> None:
    with pytest.raises(RuleError) as caught:
        parse_user_rules(f"# alice\naccept 192.0.2.0/24\n  {line}\n", source="users/alice")
    assert caught.value.reason == reason
    assert caught.value.lineno == 3
    assert caught.value.line == f"  {line}"
    assert str(caught.value) == f"users/alice, line 3: {reason}: {line!r}"


# --- reading the global file -----------------------------------------------------------------


def test_deny_means_reject_in_the_global_file() -> None:
    rules, skipped = parse_global_rules("deny 198.18.0.0/15\naccept 192.0.2.0/24\ndefault deny")
    assert rule_texts(rules) == ["reject 198.18.0.0/15", "accept 192.0.2.0/24"]
    assert rules.default is Action.REJECT
    assert skipped == ()


def test_a_global_line_that_cannot_be_read_is_skipped_with_a_warning() -> None:
    text = "accept n:*\nallow 192.0.2.0/24\nreject\ndefault maybe\naccept 127.0.0.0/8\n"
    rules, skipped = parse_global_rules(text, source="ixiond.rules")
    assert rule_texts(rules) == ["accept 127.0.0.0/8"]
    assert rules.default is None
    assert [str(warning) for warning in skipped] == [
        "ixiond.rules, line 1: 'n:*' is not an IP address or client_ip: 'accept n:*'",
        "ixiond.rules, line 2: unknown word 'allow'; expected accept, reject or deny: "
        "'allow 192.0.2.0/24'",
        "ixiond.rules, line 3: expected a verb and one address: 'reject'",
        "ixiond.rules, line 4: unknown word 'maybe'; expected accept, reject or deny: "
        "'default maybe'",
    ]


def test_a_bad_mask_stops_the_load_of_the_global_file_as_it_stopped_nessusd() -> None:
    with pytest.raises(RuleError) as caught:
        parse_global_rules("default accept\nreject 192.0.2.0/40\n", source="ixiond.rules")
    assert str(caught.value) == (
        "ixiond.rules, line 2: mask '40' is not a number of bits from 0 to 32: "
        "'reject 192.0.2.0/40'"
    )


def test_a_global_line_with_an_unknown_verb_is_skipped_before_its_mask_is_read() -> None:
    rules, skipped = parse_global_rules("allow 192.0.2.0/40")
    assert rules.rules == ()
    assert [warning.lineno for warning in skipped] == [1]


def test_global_addresses_are_normalised_and_client_ip_is_allowed() -> None:
    rules, _ = parse_global_rules("accept 192.0.2.77/25\naccept client_ip/24")
    assert rule_texts(rules) == ["accept 192.0.2.0/25", "accept client_ip/24"]


# --- client_ip -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "client", "bound"),
    [
        ("accept client_ip", "198.18.3.4", "accept 198.18.3.4/32"),
        ("accept client_ip/24", "198.18.3.4", "accept 198.18.3.0/24"),
        ("reject !client_ip/16", "198.18.3.4", "reject !198.18.0.0/16"),
        ("accept client_ip", "2001:db8:1:2::5", "accept 2001:db8:1:2::5/128"),
        ("accept client_ip/64", "2001:db8:1:2::5", "accept 2001:db8:1:2::/64"),
        # A mask longer than an IPv4 address means the host alone.
        ("accept client_ip/64", "198.18.3.4", "accept 198.18.3.4/32"),
    ],
)
def test_client_ip_becomes_the_clients_network_at_login(rule: str, client: str, bound: str) -> None:
    rules = login("default reject", rule, client=client)
    assert rule_texts(rules) == [bound]


def test_an_ipv4_mapped_client_address_counts_as_ipv4() -> None:
    rules = login("default reject", "accept client_ip/24", client="::ffff:198.18.3.4")
    assert rules.client == IPv4Address("198.18.3.4")
    assert rule_texts(rules) == ["accept 198.18.3.0/24"]


def test_an_unbound_client_ip_rule_cannot_be_evaluated() -> None:
    rule = Rule(action=Action.ACCEPT, target=ClientIp(24))
    with pytest.raises(ValueError, match=r"^accept client_ip/24 is not bound to a client address$"):
        rule.matches(CLIENT)
    with pytest.raises(ValueError, match=r"^accept client_ip/24 is not bound"):
        RuleSet(rules=(rule,), default=Action.REJECT, client=CLIENT)


# --- merging at login ------------------------------------------------------------------------


def test_login_puts_user_rejects_first_then_global_rules_then_user_accepts() -> None:
    rules = login(
        "reject 192.0.2.128/25\naccept 192.0.2.0/24\ndefault accept",
        "accept 127.0.0.0/8\nreject 192.0.2.64/26\naccept 2001:db8::/32\nreject client_ip",
    )
    assert rule_texts(rules) == [
        "reject 192.0.2.64/26",
        "reject 198.18.0.7/32",
        "reject 192.0.2.128/25",
        "accept 192.0.2.0/24",
        "accept 127.0.0.0/8",
        "accept 2001:db8::/32",
    ]


@pytest.mark.parametrize(
    ("global_default", "user_default", "merged"),
    [
        ("default accept", "", Action.ACCEPT),
        ("default accept", "default accept", Action.ACCEPT),
        ("default accept", "default reject", Action.REJECT),
        ("default reject", "default accept", Action.REJECT),
        ("default reject", "", Action.REJECT),
        # ixion: a global file without a default line means reject (nessusd: accept).
        ("", "", Action.REJECT),
        ("", "default accept", Action.REJECT),
    ],
)
def test_the_default_is_reject_when_either_file_says_reject(
    global_default: str, user_default: str, merged: Action
) -> None:
    assert login(global_default, user_default).default is merged


def test_a_user_accept_widens_a_global_default_reject_but_not_a_global_reject() -> None:
    rules = login("reject 192.0.2.128/25\ndefault reject", "accept 192.0.2.0/24")
    assert rules.allows("192.0.2.1") is True
    assert rules.allows("192.0.2.200") is False
    assert rules.allows("198.18.0.1") is False


def test_a_user_reject_narrows_a_global_accept() -> None:
    rules = login("accept 198.18.0.0/15", "reject 198.18.0.0/24")
    assert rules.allows("198.18.0.9") is False
    assert rules.allows("198.18.1.9") is True


# --- evaluation ------------------------------------------------------------------------------


def test_the_first_matching_rule_decides() -> None:
    rules = login("reject 192.0.2.5\naccept 192.0.2.0/24\nreject 192.0.2.0/24\ndefault reject")
    assert rules.allows("192.0.2.5") is False
    assert rules.allows("192.0.2.6") is True


def test_a_target_no_rule_matches_gets_the_default() -> None:
    assert login("accept 192.0.2.0/24\ndefault reject").allows("198.18.0.1") is False
    assert login("reject 192.0.2.0/24\ndefault accept").allows("198.18.0.1") is True


def test_a_negated_rule_matches_every_address_outside_its_network() -> None:
    rules = login("reject !198.18.0.0/15\ndefault accept")
    assert rules.allows("198.19.255.254") is True
    assert rules.allows("198.20.0.1") is False
    assert rules.allows("127.0.0.1") is False


def test_a_rule_speaks_only_for_its_own_address_family() -> None:
    rules = login("reject !2001:db8::/32\nreject 0.0.0.0/0\naccept ::/0\ndefault accept")
    # The negated IPv6 rule does not catch IPv4 targets, nor the IPv4 /0 IPv6 targets.
    assert rules.allows("2001:db8::1") is True
    assert rules.allows("2001:db9::1") is False
    assert rules.allows("192.0.2.1") is False


def test_a_zero_bit_mask_matches_its_whole_family() -> None:
    rules = login("accept 0.0.0.0/0\ndefault reject")
    assert rules.allows("127.0.0.1") is True
    assert rules.allows("2001:db8::1") is False


def test_an_ipv4_mapped_target_is_judged_as_ipv4() -> None:
    rules = login("accept 192.0.2.0/24\ndefault reject")
    assert rules.allows("::ffff:192.0.2.1") is True
    assert rules.allows(IPv6Address("::ffff:198.18.0.1")) is False


def test_allows_takes_text_or_address_objects() -> None:
    rules = login("accept 2001:db8::/32\ndefault reject")
    assert rules.allows(ip_address("2001:db8::77")) is True
    assert rules.allows("2001:db8::77") is True
    with pytest.raises(ValueError, match="does not appear to be an IPv4 or IPv6 address"):
        rules.allows("host.example")


# --- client RULES (spec §7.3, §10.20) --------------------------------------------------------


def test_client_rejects_go_in_front_in_the_order_sent() -> None:
    rules = login("accept 192.0.2.0/24\ndefault reject")
    result = rules.tighten(["reject 192.0.2.1", "# note", "", "deny 192.0.2.2"])
    assert rule_texts(result.rules) == [
        "reject 192.0.2.1/32",
        "reject 192.0.2.2/32",
        "accept 192.0.2.0/24",
    ]
    assert result.ignored == ()
    assert result.rules.allows("192.0.2.2") is False
    assert result.rules.allows("192.0.2.3") is True


def test_client_accepts_and_default_accept_are_ignored_and_reported() -> None:
    rules = login("accept 192.0.2.0/24\ndefault reject")
    result = rules.tighten(["accept 198.18.0.0/15", "default accept", "accept client_ip"])
    assert result.rules == rules
    assert result.ignored == ("accept 198.18.0.0/15", "default accept", "accept client_ip")
    assert result.rules.allows("198.18.0.1") is False


def test_a_client_default_reject_is_honoured_wherever_it_stands() -> None:
    rules = login("default accept")
    result = rules.tighten(["default reject", "default accept"])
    assert result.rules.default is Action.REJECT
    assert result.ignored == ("default accept",)
    assert result.rules.allows("192.0.2.1") is False


def test_client_ip_in_client_rules_is_the_logged_in_clients_address() -> None:
    rules = login("default accept", client="2001:db8:5::9")
    result = rules.tighten(["reject !client_ip/48"])
    assert rule_texts(result.rules) == ["reject !2001:db8:5::/48"]
    assert result.rules.allows("2001:db8:5:1::1") is True
    assert result.rules.allows("2001:db8:6::1") is False


def test_client_rules_accumulate_over_a_kept_alive_connection() -> None:
    rules = login("accept 198.18.0.0/15\ndefault reject")
    first = rules.tighten(["reject 198.18.1.0/24"]).rules
    second = first.tighten(["reject 198.18.2.0/24"]).rules
    assert rule_texts(second) == [
        "reject 198.18.2.0/24",
        "reject 198.18.1.0/24",
        "accept 198.18.0.0/15",
    ]
    assert [second.allows(f"198.18.{n}.1") for n in range(4)] == [True, False, False, True]


def test_a_bad_client_rules_line_raises_and_nothing_of_the_block_applies() -> None:
    rules = login("accept 192.0.2.0/24\ndefault accept")
    with pytest.raises(RuleError) as caught:
        rules.tighten(["reject 192.0.2.1", "y:*.nessus.org;"])
    assert (
        str(caught.value)
        == "client RULES, line 2: expected a verb and one address: 'y:*.nessus.org;'"
    )
    assert rule_texts(rules) == ["accept 192.0.2.0/24"]


def test_rule_sets_are_immutable() -> None:
    rules = login("default reject")
    with pytest.raises(dataclasses.FrozenInstanceError):
        rules.default = Action.ACCEPT  # type: ignore[misc]
    assert isinstance(rules.rules, tuple)


# --- the global file on disk -----------------------------------------------------------------


def test_a_missing_global_file_is_created_with_the_recommended_text(tmp_path: Path) -> None:
    path = tmp_path / "ixiond.rules"
    assert create_global_rules(path) is True
    assert path.read_text() == RECOMMENDED_GLOBAL_RULES
    rules, skipped = load_global_rules(path)
    assert rules == RuleFile(rules=(), default=Action.REJECT)
    assert skipped == ()


def test_the_recommended_rules_let_nobody_scan_anything_until_a_range_is_opened() -> None:
    rules = login(RECOMMENDED_GLOBAL_RULES, "accept client_ip")
    assert rules.allows("198.18.0.7") is True
    assert rules.allows("198.18.0.8") is False
    assert rules.allows("2001:db8::1") is False


def test_an_existing_global_file_is_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "ixiond.rules"
    path.write_text("accept 192.0.2.0/24\n")
    assert create_global_rules(path) is False
    assert path.read_text() == "accept 192.0.2.0/24\n"


def test_the_text_of_a_new_global_file_can_be_chosen(tmp_path: Path) -> None:
    path = tmp_path / "nessusd.rules"
    assert create_global_rules(path, "default accept\n") is True
    assert load_global_rules(path)[0].default is Action.ACCEPT


def test_global_file_warnings_name_the_file(tmp_path: Path) -> None:
    path = tmp_path / "nessusd.rules"
    path.write_text("accept 192.0.2.0/24\naccept n:*\n")
    rules, skipped = load_global_rules(path)
    assert rule_texts(rules) == ["accept 192.0.2.0/24"]
    assert [str(warning) for warning in skipped] == [
        f"{path}, line 2: 'n:*' is not an IP address or client_ip: 'accept n:*'"
    ]


# --- judging a range at once (issue 15) ------------------------------------------------------

#: Where the rules and ranges of the properties below fall, each with 64 addresses above it:
#: ordinary addresses, both ends of each family, both edges of the IPv4-mapped addresses
#: (judged as IPv4), the mapped form of an ordinary IPv4 anchor, NAT64 and 6to4 forms.
IPV4_ANCHORS = (0xC000_0200, 0x7F00_0000, 0, (1 << 32) - 64)
IPV6_ANCHORS = (
    0x2001_0DB8 << 96,
    0,
    (1 << 128) - 64,
    (0xFFFF << 32) - 32,  # the mapped block begins half way
    (0x1_0000 << 32) - 32,  # and ends half way
    (0xFFFF << 32) + 0xC000_0200,
    (0x64_FF9B << 96) + 0xC000_0200,
    (0x2002_C000_0200 << 80),
)


def near(anchors: tuple[int, ...]) -> st.SearchStrategy[int]:
    return st.builds(
        lambda anchor, offset: anchor + offset, st.sampled_from(anchors), st.integers(0, 63)
    )


@st.composite
def networks(draw: st.DrawFn) -> IPv4Network | IPv6Network:
    address: IPv4Address | IPv6Address
    if draw(st.booleans()):
        address = IPv4Address(draw(near(IPV4_ANCHORS)))
    else:
        address = IPv6Address(draw(near(IPV6_ANCHORS)))
    width = address.max_prefixlen
    narrow = st.integers(width - 7, width)
    prefix = draw(st.one_of(narrow, narrow, narrow, st.integers(0, width)))
    return ip_network((address, prefix), strict=False)


@st.composite
def rule_sets(draw: st.DrawFn) -> RuleSet:
    rules = draw(
        st.lists(
            st.builds(
                lambda action, target, negated: Rule(action=action, target=target, negated=negated),
                st.sampled_from(Action),
                networks(),
                st.booleans(),
            ),
            max_size=8,
        )
    )
    return RuleSet(rules=tuple(rules), default=draw(st.sampled_from(Action)), client=CLIENT)


@st.composite
def ranges(draw: st.DrawFn) -> tuple[IPv4Address, IPv4Address] | tuple[IPv6Address, IPv6Address]:
    length = draw(st.integers(0, 63))
    if draw(st.booleans()):
        first = draw(near(IPV4_ANCHORS))
        return IPv4Address(first), IPv4Address(min(first + length, (1 << 32) - 1))
    first = draw(near(IPV6_ANCHORS))
    return IPv6Address(first), IPv6Address(min(first + length, (1 << 128) - 1))


def verdicts(stretches: tuple[Stretch, ...]) -> list[bool]:
    return [stretch.allowed for stretch in stretches for _ in range(stretch.count())]


@settings(max_examples=400, deadline=None)
@given(rule_sets(), ranges())
def test_a_range_is_judged_as_each_of_its_addresses_would_be(
    rules: RuleSet, bounds: tuple[IPv4Address, IPv4Address] | tuple[IPv6Address, IPv6Address]
) -> None:
    first, last = bounds
    stretches = rules.classify(first, last)
    assert (stretches[0].first, stretches[-1].last) == (first, last)
    for before, after in itertools.pairwise(stretches):
        assert int(before.last) + 1 == int(after.first)
        assert before.allowed != after.allowed
    addresses = range(int(first), int(last) + 1)
    assert verdicts(stretches) == [rules.allows(type(first)(n)) for n in addresses]


@settings(max_examples=200, deadline=None)
@given(rule_sets(), rule_sets(), ranges())
def test_two_rule_sets_together_allow_what_both_allow(
    one: RuleSet,
    two: RuleSet,
    bounds: tuple[IPv4Address, IPv4Address] | tuple[IPv6Address, IPv6Address],
) -> None:
    first, last = bounds
    both = allowed_by_both(one.classify(first, last), two.classify(first, last))
    addresses = (type(first)(n) for n in range(int(first), int(last) + 1))
    assert verdicts(both) == [one.allows(a) and two.allows(a) for a in addresses]


def test_a_whole_family_is_judged_in_a_few_stretches_whatever_its_size() -> None:
    rules = login(
        "reject 127.0.0.0/8\naccept 192.0.2.0/24\naccept 2001:db8::/32\ndefault reject",
        "reject !client_ip/16",
    )
    everything = IPv6Address(0), IPv6Address((1 << 128) - 1)
    assert [(str(s.first), str(s.last), s.allowed) for s in rules.classify(*everything)] == [
        ("::", "2001:db7:ffff:ffff:ffff:ffff:ffff:ffff", False),
        ("2001:db8::", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", True),
        ("2001:db9::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", False),
    ]
    # 192.0.2.0/24 lies outside the client's /16, which the user's negated reject closes.
    assert rules.classify(IPv4Address(0), IPv4Address((1 << 32) - 1)) == (
        Stretch(first=IPv4Address(0), last=IPv4Address((1 << 32) - 1), allowed=False),
    )
    assert login("accept client_ip/16\ndefault reject").classify(
        IPv6Address("::ffff:198.18.0.0"), IPv6Address("::ffff:198.19.255.255")
    ) == (
        Stretch(
            first=IPv6Address("::ffff:198.18.0.0"),
            last=IPv6Address("::ffff:198.18.255.255"),
            allowed=True,
        ),
        Stretch(
            first=IPv6Address("::ffff:198.19.0.0"),
            last=IPv6Address("::ffff:198.19.255.255"),
            allowed=False,
        ),
    )


def test_a_range_across_two_families_or_backwards_is_not_a_range() -> None:
    rules = login("default accept")
    with pytest.raises(ValueError, match="not a range"):
        rules.classify(IPv4Address("192.0.2.9"), IPv4Address("192.0.2.1"))
    with pytest.raises(ValueError, match="not a range"):
        rules.classify(IPv4Address("192.0.2.1"), IPv6Address("::1"))


def test_the_judgement_of_ranges_is_made_once_and_does_not_change_the_rule_set() -> None:
    rules = login("accept 192.0.2.0/24\ndefault reject")
    twin = login("accept 192.0.2.0/24\ndefault reject")
    rules.classify(IPv4Address("192.0.2.0"), IPv4Address("192.0.2.9"))
    assert rules == twin
    assert hash(rules) == hash(twin)
    assert repr(rules) == repr(twin)
