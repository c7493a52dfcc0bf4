"""The knowledge base shared by a host's plugins: NASL threads write while others read."""

from __future__ import annotations

import gc
import sys
import threading
from collections.abc import Iterator

import pytest

from ixion.plugin_api.kb import KnowledgeBase


class _Yielder:
    """Garbage whose finalizer lets another thread run: what turns a dict copy into a
    place where a thread switch happens (a socket, a generator, a NASL value)."""

    def __del__(self) -> None:
        threading.Event().wait(0)


@pytest.fixture
def eager_switching() -> Iterator[None]:
    interval, thresholds = sys.getswitchinterval(), gc.get_threshold()
    sys.setswitchinterval(1e-6)
    gc.set_threshold(5, 1, 1)
    yield
    sys.setswitchinterval(interval)
    gc.set_threshold(*thresholds)


def write_a_lot(kb: KnowledgeBase, prefix: str, *, garbage: bool = False) -> None:
    """Adds, replaces and removes under ``prefix``: one thread's share of the test."""
    for n in range(9000):
        if garbage:
            cycle: list[object] = [_Yielder()]
            cycle.append(cycle)  # a cycle: only the collector frees it
        kb.add(f"{prefix}/{n % 50}", n)
        if n % 7 == 0:
            kb.replace(f"{prefix}/one", n)
        if n % 11 == 0:
            kb.remove(f"{prefix}/{(n + 1) % 50}")


@pytest.mark.parametrize("round_", range(4))
def test_reading_while_other_threads_write_never_fails(eager_switching: None, round_: int) -> None:
    """A race: each round catches the unlocked KB about one time in four."""
    kb = KnowledgeBase().journaled(lambda write: None)
    failures: list[BaseException] = []
    stop = threading.Event()

    def reader() -> None:
        try:
            while not stop.is_set():
                list(kb.matching("*"))
                kb.values("a/1")
                kb.get("b/2")
        except BaseException as exc:  # what the test is about
            failures.append(exc)

    readers = [threading.Thread(target=reader) for _ in range(2)]
    writers = [
        threading.Thread(target=write_a_lot, args=(kb, p), kwargs={"garbage": True}) for p in "abc"
    ]
    for thread in (*readers, *writers):
        thread.start()
    for thread in writers:
        thread.join()
    stop.set()
    for thread in readers:
        thread.join()
    assert failures == []
    alone = KnowledgeBase()
    for prefix in "abc":
        write_a_lot(alone, prefix)
    assert sorted(kb.matching("*"), key=repr) == sorted(alone.matching("*"), key=repr)
