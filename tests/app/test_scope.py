"""The targets on the command line are the scope, within the daemon's safety limits."""

from __future__ import annotations

import pytest

from ixion.app.scope import DEFAULT_MAX_TARGETS, ScopeError, check_targets, scope_rules


@pytest.mark.parametrize(
    ("target", "reason"),
    [
        ("0.0.0.0", "'this network'"),
        ("0.1.2.3", "'this network'"),
        ("224.0.0.1", "multicast"),
        ("239.255.255.250", "multicast"),
        ("255.255.255.255", "limited broadcast"),
        ("240.0.0.1", "reserved"),
        ("::", "unspecified"),
        ("ff02::1", "multicast"),
        ("[ff02::fb]", "multicast"),
        ("224.0.0.5-224.0.0.5", "multicast"),
    ],
)
def test_a_target_that_is_not_one_host_is_refused_before_scanning(target: str, reason: str) -> None:
    with pytest.raises(ScopeError, match=reason):
        check_targets(f"127.0.0.1,{target}", max_targets=10)


def test_hosts_of_a_range_that_are_not_hosts_are_refused_one_by_one() -> None:
    """A range is the user's to give; the hosts in it that are not hosts never get a job."""
    spec = check_targets("223.255.255.254-224.0.0.2", max_targets=10)
    rules = scope_rules()
    verdicts = {str(t.address): rules.allows(str(t.address)) for t in spec.hosts()}
    assert verdicts == {
        "223.255.255.254": True,
        "223.255.255.255": True,
        "224.0.0.0": False,
        "224.0.0.1": False,
        "224.0.0.2": False,
    }
    assert rules.allows("::ffff:224.0.0.1") is False  # an IPv4-mapped multicast too
    assert rules.allows("127.0.0.1")
    assert rules.allows("2001:db8::1")


def test_more_hosts_than_the_cap_need_max_targets() -> None:
    assert DEFAULT_MAX_TARGETS == 4096
    assert check_targets("10.1.0.0/20", max_targets=DEFAULT_MAX_TARGETS).count() == 4094
    with pytest.raises(ScopeError, match=r"16777214 hosts, more than 4096: give --max-targets"):
        check_targets("10.0.0.0/8", max_targets=DEFAULT_MAX_TARGETS)
    assert check_targets("10.0.0.0/8", max_targets=16777214).count() == 16777214
    with pytest.raises(ScopeError, match="3 hosts, more than 2"):
        check_targets("192.0.2.1,192.0.2.2,www.example.org", max_targets=2)


def test_names_and_bad_items_are_read_as_ixiond_reads_them() -> None:
    assert [t.name for t in check_targets("Localhost", max_targets=1).hosts()] == ["localhost"]
    with pytest.raises(ScopeError, match="cannot contain spaces"):
        check_targets("a b", max_targets=5)
    with pytest.raises(ScopeError, match="no target given"):
        check_targets(",,", max_targets=5)
