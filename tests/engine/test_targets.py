"""The TARGET string: its forms, CIDR reading, errors, laziness, deduplication, order (§7.4)."""

from __future__ import annotations

import itertools
import time
from collections import Counter
from ipaddress import IPv4Address, IPv6Address

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ixion.engine.target_blocks import (
    Address,
    AddressRange,
    OctetRanges,
    Target,
    network_hosts,
)
from ixion.engine.targets import TargetError, TooManyTargets, hosts_in, parse_targets


def names(text: str, *, unique: bool = True, interleave: bool = False) -> list[str]:
    hosts = parse_targets(text).hosts(unique=unique, interleave=interleave)
    return [target.name for target in hosts]


def reason(text: str) -> str:
    with pytest.raises(TargetError) as caught:
        parse_targets(text)
    return caught.value.reason


# --- the forms of an item ----------------------------------------------------------------------


def test_an_ipv4_address_is_one_target_named_by_its_address() -> None:
    spec = parse_targets("192.0.2.7")
    assert list(spec) == [Target(name="192.0.2.7", address=IPv4Address("192.0.2.7"))]
    assert spec.count() == 1


def test_a_host_name_is_yielded_unresolved_and_lowercased_as_nessusd_did() -> None:
    assert list(parse_targets("WWW.Example.COM")) == [Target(name="www.example.com")]
    assert list(parse_targets("localhost.")) == [Target(name="localhost.")]


@pytest.mark.parametrize("text", ["2001:db8::7", "[2001:db8::7]", "2001:DB8:0:0::7"])
def test_an_ipv6_address_is_read_with_or_without_brackets(text: str) -> None:
    assert list(parse_targets(text)) == [
        Target(name="2001:db8::7", address=IPv6Address("2001:db8::7"))
    ]


def test_an_ipv6_address_keeps_its_zone_index() -> None:
    (target,) = parse_targets("2001:db8::7%eth0")
    assert target.name == "2001:db8::7%eth0"
    assert target.address == IPv6Address("2001:db8::7%eth0")


def test_a_quoted_name_is_taken_literally_without_range_parsing() -> None:
    assert list(parse_targets("'198.18.0.1-5'")) == [Target(name="198.18.0.1-5")]
    assert list(parse_targets("'Odd_Host!'")) == [Target(name="odd_host!")]


def test_a_name_with_its_address_in_brackets_needs_no_dns() -> None:
    assert list(parse_targets("WWW[192.0.2.7], mail[2001:db8::25]")) == [
        Target(name="www", address=IPv4Address("192.0.2.7")),
        Target(name="mail", address=IPv6Address("2001:db8::25")),
    ]


@pytest.mark.parametrize("text", ["gateway.example/24", "gateway.example/255.255.255.0"])
def test_a_host_name_with_a_prefix_stands_for_its_network_until_resolved(text: str) -> None:
    spec = parse_targets(text)
    assert list(spec) == [Target(name="gateway.example", prefix=24)]
    assert spec.count() == 254


def test_a_host_name_with_a_slash_thirty_two_is_just_the_host() -> None:
    assert list(parse_targets("gateway.example/32")) == [Target(name="gateway.example")]


def test_the_engine_expands_a_network_given_by_name_once_it_resolves() -> None:
    (target,) = parse_targets("gateway.example/30")
    assert target.prefix is not None
    hosts = network_hosts(IPv4Address("192.0.2.6"), target.prefix)
    assert hosts == AddressRange(first=IPv4Address("192.0.2.5"), last=IPv4Address("192.0.2.6"))


# --- separators --------------------------------------------------------------------------------


def test_items_are_split_on_commas_and_semicolons_and_trimmed() -> None:
    assert names(" 192.0.2.1 ,192.0.2.2;  192.0.2.3 ; www.example ") == [
        "192.0.2.1",
        "192.0.2.2",
        "192.0.2.3",
        "www.example",
    ]


def test_a_newline_joined_list_reads_like_a_comma_separated_one() -> None:
    assert names("192.0.2.1\n192.0.2.2\r\nwww.example,\n192.0.2.4\n") == [
        "192.0.2.1",
        "192.0.2.2",
        "www.example",
        "192.0.2.4",
    ]


def test_empty_items_are_ignored() -> None:
    assert names(",192.0.2.1,, ,;192.0.2.2,") == ["192.0.2.1", "192.0.2.2"]


@pytest.mark.parametrize("text", ["", "   ", " , ;\n"])
def test_an_empty_target_list_is_an_error(text: str) -> None:
    with pytest.raises(TargetError) as caught:
        parse_targets(text)
    assert str(caught.value) == "no target given"
    assert caught.value.item is None


# --- CIDR (§10.33: the network's hosts) --------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "first", "last", "count"),
    [
        ("192.0.2.0/24", "192.0.2.1", "192.0.2.254", 254),
        ("192.0.2.77/24", "192.0.2.1", "192.0.2.254", 254),
        ("192.0.2.64/255.255.255.192", "192.0.2.65", "192.0.2.126", 62),
        ("192.0.2.8/30", "192.0.2.9", "192.0.2.10", 2),
        ("192.0.2.7/31", "192.0.2.6", "192.0.2.7", 2),
        ("192.0.2.7/32", "192.0.2.7", "192.0.2.7", 1),
        ("198.18.200.1/15", "198.18.0.1", "198.19.255.254", 2**17 - 2),
        ("2001:db8::/126", "2001:db8::", "2001:db8::3", 4),
        ("[2001:db8::5]/127", "2001:db8::4", "2001:db8::5", 2),
        ("2001:db8::5/128", "2001:db8::5", "2001:db8::5", 1),
    ],
)
def test_a_cidr_is_the_hosts_of_the_network_around_the_address(
    text: str, first: str, last: str, count: int
) -> None:
    spec = parse_targets(text)
    (block,) = spec.blocks
    assert isinstance(block, AddressRange)
    assert (str(block.first), str(block.last)) == (first, last)
    assert spec.count() == count


def test_an_ipv4_slash_thirty_skips_network_and_broadcast() -> None:
    assert names("192.0.2.8/30") == ["192.0.2.9", "192.0.2.10"]


def test_an_ipv4_slash_thirty_one_keeps_both_addresses() -> None:
    assert names("192.0.2.9/31") == ["192.0.2.8", "192.0.2.9"]


def test_an_ipv6_slash_126_is_all_four_addresses() -> None:
    assert names("2001:db8::1/126") == ["2001:db8::", "2001:db8::1", "2001:db8::2", "2001:db8::3"]


def test_slash_zero_is_counted_without_iterating() -> None:
    assert parse_targets("198.18.0.0/0").count() == 2**32 - 2
    assert parse_targets("2001:db8::/0").count() == 2**128
    first = itertools.islice(parse_targets("198.18.0.0/0"), 2)
    assert [target.name for target in first] == ["0.0.0.1", "0.0.0.2"]


def test_a_slash_eight_and_an_ipv6_slash_64_are_iterated_lazily() -> None:
    spec = parse_targets("127.0.0.0/8, 2001:db8::/64")
    assert spec.count() == 2**24 - 2 + 2**64
    first = [target.name for target in itertools.islice(spec, 3)]
    assert first == ["127.0.0.1", "127.0.0.2", "127.0.0.3"]


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("192.0.2.0/33", "the prefix /33 is longer than an address (32 bits)"),
        ("2001:db8::/129", "the prefix /129 is longer than an address (128 bits)"),
        ("192.0.2.0/255.0.255.0", "the netmask 255.0.255.0 is not ones followed by zeros"),
        ("192.0.2.0/", "'' is not a prefix length"),
        ("192.0.2.0/2x", "'2x' is not a prefix length"),
        ("www.example/1000", "'1000' is not a prefix length"),
        ("192.0.2.1-5/24", "a range cannot also have a /prefix"),
        ("2001:db8::%eth0/64", "a zone index (%) fits a single address, not a range"),
    ],
)
def test_a_bad_prefix_is_an_error(text: str, why: str) -> None:
    assert reason(text) == why


# --- ranges ------------------------------------------------------------------------------------


def test_an_address_range_is_inclusive_and_crosses_octet_boundaries() -> None:
    assert names("198.18.0.254-198.18.1.2") == [
        "198.18.0.254",
        "198.18.0.255",
        "198.18.1.0",
        "198.18.1.1",
        "198.18.1.2",
    ]


def test_an_ipv6_range_is_inclusive() -> None:
    assert names("2001:db8::ff-2001:db8::101") == ["2001:db8::ff", "2001:db8::100", "2001:db8::101"]


def test_a_last_octet_range_is_an_octet_range() -> None:
    spec = parse_targets("192.0.2.1-4")
    assert spec.blocks == (OctetRanges(octets=((192, 192), (0, 0), (2, 2), (1, 4))),)
    assert names("192.0.2.1-4") == ["192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4"]


def test_octet_ranges_vary_the_last_octet_fastest() -> None:
    assert names("198.18-19.0.1-2") == ["198.18.0.1", "198.18.0.2", "198.19.0.1", "198.19.0.2"]
    assert parse_targets("198.18.0-3.1-254").count() == 4 * 254


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("192.0.2.9-192.0.2.1", "the range goes backwards: 192.0.2.1 comes before 192.0.2.9"),
        ("192.0.2.9-1", "the octet range 9-1 goes backwards"),
        ("198.19-18.0.1", "the octet range 19-18 goes backwards"),
        (
            "2001:db8::9-2001:db8::1",
            "the range goes backwards: 2001:db8::1 comes before 2001:db8::9",
        ),
    ],
)
def test_a_reversed_range_is_an_error(text: str, why: str) -> None:
    assert reason(text) == why


def test_a_range_cannot_go_from_one_family_to_the_other() -> None:
    with pytest.raises(ValueError, match="from one address family to the other"):
        AddressRange(first=IPv4Address("192.0.2.1"), last=IPv6Address("2001:db8::1"))
    assert "is not an IPv6 address" in reason("192.0.2.1-2001:db8::1")


# --- errors a user can make --------------------------------------------------------------------


def test_an_error_names_the_item_and_where_it_starts() -> None:
    with pytest.raises(TargetError) as caught:
        parse_targets("192.0.2.1, foo!bar, 192.0.2.2")
    error = caught.value
    assert (error.item, error.index, error.position) == ("foo!bar", 2, 12)
    assert str(error) == (
        "bad target 'foo!bar' (item 2, at character 12): "
        "'!' cannot appear in a host name (quote the name to keep it)"
    )


def test_the_position_counts_characters_across_lines() -> None:
    with pytest.raises(TargetError) as caught:
        parse_targets("192.0.2.1\n\n  192.0.2.256\n")
    assert (caught.value.index, caught.value.position) == (2, 14)


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("192.0.2.256", "octet 256 is above 255"),
        ("192.0.2", "'192.0.2' is not an IPv4 address (four numbers separated by dots)"),
        ("192.0.2.1.5", "'192.0.2.1.5' is not an IPv4 address (four numbers separated by dots)"),
        ("192..2.1", "an octet is missing"),
        ("192.0.2.01", "the leading zero of 01 is ambiguous (octal or decimal?)"),
        ("192.0.2.1-5-7", "'5-7' is not an octet (0 to 255)"),
        ("192.0.2.1-1000", "'1000' is not an octet (0 to 255)"),
        ("198.18.0-1", "expected four octets or octet ranges, like 192.0.2.1-20"),
        ("two words", "a target cannot contain spaces"),
        ("'unterminated", "expected one name between single quotes, like 'my-host'"),
        ("''", "expected one name between single quotes, like 'my-host'"),
        ("'it's'", "expected one name between single quotes, like 'my-host'"),
        ("'\x07'", "a quoted name cannot contain control characters"),
        ("www[192.0.2.1", "expected a name with its address in brackets, like www[192.0.2.1]"),
        ("www[]", "expected a name with its address in brackets, like www[192.0.2.1]"),
        ("www[192.0.2]", "'192.0.2' is not an IPv4 address (four numbers separated by dots)"),
        ("[192.0.2.1]", "expected an IPv6 address in brackets, like [2001:db8::1]"),
        ("[2001:db8::1", "expected an IPv6 address in brackets, like [2001:db8::1]"),
        ("-www.example", "'-www.example' is not a host name: empty label, long label or end dash"),
        ("www..example", "'www..example' is not a host name: empty label, long label or end dash"),
        ("bücher.example", "'ü' cannot appear in a host name (quote the name to keep it)"),
        (
            "a" * 64 + ".example",
            f"'{'a' * 64}.example' is not a host name: " + ("empty label, long label or end dash"),
        ),
        ("a." * 127, "a host name has at most 253 characters"),
    ],
)
def test_garbage_is_an_error_that_says_what_is_wrong(text: str, why: str) -> None:
    assert reason(text) == why


def test_an_ipv6_error_carries_the_reason_ipaddress_gives() -> None:
    assert reason("2001:db8::g") == (
        "'2001:db8::g' is not an IPv6 address (Only hex digits permitted in 'g' in '2001:db8::g')"
    )


def test_a_long_item_is_shortened_in_the_message() -> None:
    with pytest.raises(TargetError) as caught:
        parse_targets("x!" * 100)
    assert str(caught.value).startswith(f"bad target '{'x!' * 28}x...' (item 1,")
    assert caught.value.item == "x!" * 100


def test_max_hosts_refuses_targets_that_add_up_to_too_many_hosts() -> None:
    text = "192.0.2.0/24, 198.51.100.0/24"
    assert parse_targets(text, max_hosts=508).count() == 508
    with pytest.raises(TooManyTargets) as caught:
        parse_targets(text, max_hosts=300)
    assert str(caught.value) == (
        "bad target '198.51.100.0/24' (item 2, at character 15): "
        "the targets make 508 hosts up to here, more than the 300 allowed"
    )
    assert (caught.value.count, caught.value.limit) == (508, 300)


def test_max_hosts_refuses_an_ipv6_slash_64_before_any_host_is_made() -> None:
    with pytest.raises(TargetError, match="more than the 65536 allowed"):
        parse_targets("2001:db8::/64", max_hosts=65536)


def test_values_built_by_code_are_checked_too() -> None:
    with pytest.raises(ValueError, match="a target needs a name"):
        Target(name="")
    with pytest.raises(ValueError, match="bad network prefix /33"):
        Target(name="www.example", prefix=33)
    with pytest.raises(ValueError, match="bad network prefix /24"):
        Target(name="www", address=IPv4Address("192.0.2.1"), prefix=24)
    with pytest.raises(ValueError, match="bad octet range 3-1"):
        OctetRanges(octets=((192, 192), (0, 0), (2, 2), (3, 1)))


# --- deduplication -----------------------------------------------------------------------------


def test_the_same_address_listed_twice_is_scanned_once() -> None:
    assert names("192.0.2.1, 192.0.2.1") == ["192.0.2.1"]
    assert names("192.0.2.1, 192.0.2.1", unique=False) == ["192.0.2.1", "192.0.2.1"]
    assert parse_targets("192.0.2.1, 192.0.2.1").count() == 2


def test_an_address_inside_an_earlier_range_is_skipped() -> None:
    assert names("192.0.2.0/29, 192.0.2.3") == [f"192.0.2.{host}" for host in range(1, 7)]


def test_a_range_skips_what_earlier_items_already_yielded() -> None:
    assert names("192.0.2.3, 192.0.2.1-192.0.2.4, 192.0.2.0/29") == [
        "192.0.2.3",
        "192.0.2.1",
        "192.0.2.2",
        "192.0.2.4",
        "192.0.2.5",
        "192.0.2.6",
    ]


def test_ranges_that_touch_merge_in_what_has_been_seen() -> None:
    text = "192.0.2.1-192.0.2.3, 192.0.2.7-192.0.2.9, 192.0.2.4-192.0.2.6, 192.0.2.0/28"
    assert names(text)[9:] == [f"192.0.2.{host}" for host in range(10, 15)]


def test_octet_ranges_take_part_in_deduplication() -> None:
    assert names("198.18-19.0.1, 198.19.0.1, 198.18.0.0-198.18.0.2") == [
        "198.18.0.1",
        "198.19.0.1",
        "198.18.0.0",
        "198.18.0.2",
    ]


def test_the_first_listing_of_an_address_keeps_its_name() -> None:
    assert names("www[192.0.2.1], 192.0.2.1") == ["www"]
    assert names("192.0.2.1, www[192.0.2.1]") == ["192.0.2.1"]


def test_names_are_deduplicated_by_spelling_only() -> None:
    spec = parse_targets("WWW.example, www.example, www.example/24, 192.0.2.1")
    assert list(spec) == [
        Target(name="www.example"),
        Target(name="www.example", prefix=24),
        Target(name="192.0.2.1", address=IPv4Address("192.0.2.1")),
    ]


def test_deduplication_stays_lazy_over_a_slash_eight() -> None:
    spec = parse_targets("127.0.0.1, 127.0.0.0/8, 127.0.0.0/8")
    first = [target.name for target in itertools.islice(spec, 3)]
    assert first == ["127.0.0.1", "127.0.0.2", "127.0.0.3"]


# --- slice_network_addresses (§5.2) ------------------------------------------------------------


def test_interleaving_visits_the_slices_of_a_range_in_turn() -> None:
    assert names("192.0.2.0/28", interleave=True) == [
        f"192.0.2.{host}" for host in (1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 4, 8, 12)
    ]


def test_interleaving_a_slash_sixteen_moves_to_another_slash_24_at_each_host() -> None:
    spec = parse_targets("198.18.0.0/16")
    first = [target.name for target in itertools.islice(spec.hosts(interleave=True), 3)]
    assert first == ["198.18.0.1", "198.18.1.1", "198.18.2.1"]


def test_interleaving_applies_to_octet_ranges_and_leaves_single_hosts_alone() -> None:
    assert names("www.example, 198.18-19.0.1-2", interleave=True) == [
        "www.example",
        "198.18.0.1",
        "198.19.0.1",
        "198.18.0.2",
        "198.19.0.2",
    ]


def test_interleaving_a_huge_range_is_lazy() -> None:
    spec = parse_targets("2001:db8::/64")
    first = [target.name for target in itertools.islice(spec.hosts(interleave=True), 2)]
    assert first == ["2001:db8::", "2001:db8::1:0:0"]


# --- properties --------------------------------------------------------------------------------

#: 198.18.0.0/23: two /24s of the lab range, small enough for items to overlap often.
LAB_START = int(IPv4Address("198.18.0.0"))
LAB_SIZE = 512

lab_offsets = st.integers(0, LAB_SIZE - 1)


def lab(offset: int) -> IPv4Address:
    return IPv4Address(LAB_START + offset)


@st.composite
def lab_ranges(draw: st.DrawFn) -> str:
    first, last = sorted((draw(lab_offsets), draw(lab_offsets)))
    return f"{lab(first)}-{lab(last)}"


@st.composite
def lab_octet_ranges(draw: st.DrawFn) -> str:
    third_low, third_high = sorted(draw(st.lists(st.integers(0, 1), min_size=2, max_size=2)))
    low, high = sorted(draw(st.lists(st.integers(0, 255), min_size=2, max_size=2)))
    third = str(third_low) if third_low == third_high else f"{third_low}-{third_high}"
    return f"198.18.{third}.{low}-{high}"


lab_items = st.one_of(
    lab_offsets.map(lambda offset: str(lab(offset))),
    st.builds(lambda offset, prefix: f"{lab(offset)}/{prefix}", lab_offsets, st.integers(23, 32)),
    lab_ranges(),
    lab_octet_ranges(),
    st.builds(lambda low, size: f"2001:db8::{low:x}/{128 - size}", lab_offsets, st.integers(0, 8)),
)
any_items = st.one_of(lab_items, st.sampled_from(["www.example", "mail.example/29"]))


def first_listings(targets: list[Target]) -> list[Target]:
    kept: dict[Address | str, Target] = {}
    for target in targets:
        kept.setdefault(target.address or f"{target.name}/{target.prefix}", target)
    return list(kept.values())


@settings(max_examples=60, deadline=None)
@given(st.lists(any_items, min_size=1, max_size=5))
def test_count_is_what_iteration_yields_without_iterating(items: list[str]) -> None:
    spec = parse_targets(", ".join(items))
    assert spec.count() == sum(target.count() for target in spec.hosts(unique=False))


@settings(max_examples=60, deadline=None)
@given(st.lists(lab_items, min_size=1, max_size=5))
def test_count_of_addresses_is_the_length_of_the_iteration(items: list[str]) -> None:
    spec = parse_targets(";".join(items))
    assert spec.count() == len(list(spec.hosts(unique=False)))


@settings(max_examples=60, deadline=None)
@given(st.lists(any_items, min_size=1, max_size=5), st.booleans())
def test_unique_iteration_keeps_the_first_listing_of_each_host(
    items: list[str], interleave: bool
) -> None:
    spec = parse_targets(",".join(items))
    every = list(spec.hosts(unique=False, interleave=interleave))
    assert list(spec.hosts(interleave=interleave)) == first_listings(every)


@settings(max_examples=60, deadline=None)
@given(st.lists(lab_items, min_size=1, max_size=3))
def test_interleaving_is_a_reordering_of_the_same_hosts(items: list[str]) -> None:
    spec = parse_targets(",".join(items))
    plain = list(spec.hosts(unique=False))
    interleaved = list(spec.hosts(unique=False, interleave=True))
    assert Counter(interleaved) == Counter(plain)


@settings(max_examples=60, deadline=None)
@given(lab_offsets, st.integers(23, 32))
def test_a_block_contains_exactly_the_addresses_it_yields(offset: int, prefix: int) -> None:
    for text in (f"{lab(offset)}/{prefix}", "198.18.0-1.250-255"):
        (block,) = parse_targets(text).blocks
        assert isinstance(block, AddressRange | OctetRanges)
        yielded = {target.address for target in parse_targets(text)}
        window = (lab(n) for n in range(LAB_SIZE))
        assert {address for address in window if address in block} == yielded
        assert IPv6Address("2001:db8::1") not in block
        assert "198.18.0.1" not in block


@settings(max_examples=200, deadline=None)
@given(st.one_of(lab_ranges(), lab_octet_ranges()), st.integers(-8, LAB_SIZE + 8))
def test_count_below_is_the_number_of_hosts_before_an_address(item: str, offset: int) -> None:
    (block,) = parse_targets(item).blocks
    assert isinstance(block, AddressRange | OctetRanges)
    address = IPv4Address(LAB_START + offset)
    hosts = [target.address for target in parse_targets(item)]
    assert block.count_below(address) == sum(int(h) < int(address) for h in hosts if h)


@pytest.mark.parametrize(
    ("block", "text"),
    [
        (network_hosts(IPv4Address("0.0.0.0"), 0), "0.0.0.0/0"),
        (network_hosts(IPv4Address("198.18.0.9"), 31), "198.18.0.8/31"),
        (network_hosts(IPv6Address("::"), 0), "::/0"),
        (AddressRange(first=IPv4Address("198.18.0.0"), last=IPv4Address("198.18.0.255")), None),
        (AddressRange(first=IPv6Address("::1"), last=IPv6Address("::1")), "::1"),
        (OctetRanges(octets=((198, 198), (18, 19), (0, 255), (1, 254))), "198.18-19.0-255.1-254"),
    ],
)
def test_a_block_reads_as_an_item_that_stands_for_it(
    block: AddressRange | OctetRanges, text: str | None
) -> None:
    """What E002 calls a refused block: a CIDR where the block is one, else a range."""
    assert str(block) == (text or f"{block.first}-{block.last}")
    (parsed,) = parse_targets(str(block)).blocks
    assert parsed == block or (block.count() == 1 and parsed.count() == 1)


def test_a_long_list_of_one_host_patterns_is_remembered_as_spans() -> None:
    """``192.0.2.1-1`` is an octet pattern of one host; sixty thousand of them must not
    make each repeat check a walk through all the earlier ones."""
    text = ",".join(f"10.{n >> 8}.{n & 255}.1-1" for n in range(60000))
    spec = parse_targets(text + ",10.0.0.1-2")
    start = time.perf_counter()
    hosts = [target.name for target in spec.hosts()]
    assert hosts[-1] == "10.0.0.2"
    assert len(hosts) == 60001
    assert time.perf_counter() - start < 5.0


@pytest.mark.parametrize("interleave", [False, True])
def test_hosts_in_keeps_the_order_of_the_whole_block(interleave: bool) -> None:
    (block,) = parse_targets("192.0.2.0/28").blocks
    assert isinstance(block, AddressRange)
    whole = list(hosts_in(block, [(0, block.count())], interleave=interleave))
    kept = list(hosts_in(block, [(1, 4), (9, 12)], interleave=interleave))
    indices = {*range(1, 4), *range(9, 12)}
    assert kept == [t for t in whole if t.address and int(t.address) - int(block.first) in indices]
