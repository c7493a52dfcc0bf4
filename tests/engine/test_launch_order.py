"""LaunchOrder: plan order, dependencies first, clashes set aside, cycles forced."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from ixion.engine.launch_order import LaunchOrder
from ixion.engine.schedule import Phase, Planned
from ixion.plugin_api.metadata import Category, PluginInfo


def planned(name: str, *after: str) -> Planned:
    info = PluginInfo(
        id=abs(hash(name)) % 1_000_000 + 1,
        filename=name,
        name=name,
        family="test",
        category=Category.GATHER_INFO,
        summary="s",
        description="d",
    )
    return Planned(info=info, phase=Phase.CHECKS, silent=False, skip=False, after=after)


def name_of(chosen: Planned | None) -> str | None:
    return None if chosen is None else chosen.info.filename


def names(order: LaunchOrder, *, finish: bool = True) -> list[str]:
    """Launch everything ready, each finishing at once; force when nothing is ready."""
    launched: list[str] = []
    while order:
        chosen = order.next_ready(lambda _: True) or order.force_next()
        assert chosen is not None
        launched.append(chosen.info.filename)
        if finish:
            order.finished(chosen.info.filename)
    return launched


def test_plan_order_when_nothing_depends() -> None:
    order = LaunchOrder([planned("a"), planned("b"), planned("c")], ())
    assert names(order) == ["a", "b", "c"]
    assert len(order) == 0
    assert order.next_ready(lambda _: True) is None
    assert order.force_next() is None


def test_a_dependent_waits_for_its_dependency_then_keeps_its_place() -> None:
    order = LaunchOrder([planned("x", "b"), planned("b"), planned("c")], ())
    first = order.next_ready(lambda _: True)
    assert name_of(first) == "b"
    order.finished("b")
    # x is earlier in the plan than c: once ready, it goes first.
    assert [name_of(order.next_ready(lambda _: True)) for _ in range(2)] == ["x", "c"]


def test_done_before_the_phase_counts() -> None:
    order = LaunchOrder([planned("x", "earlier-phase")], {"earlier-phase"})
    chosen = order.next_ready(lambda _: True)
    assert name_of(chosen) == "x"


def test_a_dependency_that_never_finishes_here_is_forced_in_order() -> None:
    order = LaunchOrder([planned("a", "missing"), planned("b", "a")], ())
    assert order.next_ready(lambda _: True) is None
    assert names(order) == ["a", "b"]


def test_a_cycle_is_forced_in_plan_order() -> None:
    order = LaunchOrder([planned("a", "b"), planned("b", "a"), planned("c")], ())
    assert names(order) == ["c", "a", "b"]


def test_a_refused_plugin_is_set_aside_until_retried() -> None:
    order = LaunchOrder([planned("a"), planned("b")], ())
    refuse_a = lambda p: p.info.filename != "a"  # noqa: E731
    chosen = order.next_ready(refuse_a)
    assert name_of(chosen) == "b"
    assert order.next_ready(lambda _: True) is None  # a is aside, not lost
    assert len(order) == 1
    order.retry_set_aside()
    chosen = order.next_ready(lambda _: True)
    assert name_of(chosen) == "a"


def test_a_forced_plugin_is_not_launched_again_when_ready() -> None:
    order = LaunchOrder([planned("a", "b"), planned("b")], ())
    refuse_all = lambda _: False  # noqa: E731
    assert order.next_ready(refuse_all) is None
    forced = order.force_next()
    assert name_of(forced) == "a"
    order.retry_set_aside()
    order.finished("b")
    assert names(order) == ["b"]


@st.composite
def plans(draw: st.DrawFn) -> list[Planned]:
    count = draw(st.integers(0, 30))
    result = []
    for index in range(count):
        deps = draw(st.lists(st.integers(0, count + 2), max_size=4))
        result.append(planned(f"p{index}", *(f"p{dep}" for dep in deps)))
    return result


@settings(max_examples=300, deadline=None)
@given(plans())
def test_every_plugin_runs_once_and_after_its_dependencies_unless_forced(
    plan: list[Planned],
) -> None:
    order = LaunchOrder(plan, ())
    in_phase = {p.info.filename for p in plan}
    done: set[str] = set()
    launched: list[str] = []
    while order:
        chosen = order.next_ready(lambda _: True)
        if chosen is not None:
            missing = [d for d in chosen.after if d not in done]
            assert not missing, (chosen.info.filename, missing)
        else:
            chosen = order.force_next()
            assert chosen is not None
            # Forced only when no waiting plugin had all its dependencies done.
            waiting = in_phase - done - {chosen.info.filename} - set(launched)
            for other in plan:
                if other.info.filename in waiting:
                    assert any(d not in done for d in other.after)
        launched.append(chosen.info.filename)
        done.add(chosen.info.filename)
        order.finished(chosen.info.filename)
    assert sorted(launched) == sorted(in_phase)
    assert len(launched) == len(plan)


def test_a_whole_feed_is_ordered_in_one_pass() -> None:
    """135,000 plugins where each depends on the one before: linear, not quadratic (the
    quadratic order took minutes; this finishes well inside pytest's own timeout)."""
    chain = [planned("p0"), *(planned(f"p{i}", f"p{i - 1}") for i in range(1, 135_000))]
    order = LaunchOrder(list(reversed(chain)), ())
    assert len(names(order)) == 135_000
