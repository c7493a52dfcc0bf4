"""The memory budget (``Limits.max_memory``) and the loop-stopping limits, end to end.

Memory-hungry scripts must end with the memory error at their own line, long before they
could hurt the test process: each case runs with a 64 MiB budget and checks that the
process's peak resident set stayed within budget plus a bounded overshoot. The loops at
the end must all be stopped, by the step budget and by the deadline alike.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import resource
import threading
import time
import weakref
from typing import Final

import pytest

from ixion.nasl.builtins import standard_library
from ixion.nasl.interpreter import Interpreter
from ixion.nasl.runtime.kb import MemoryKB
from ixion.nasl.runtime.limits import (
    Limits,
    _Statm,
    resident_after_trim,
    resident_bytes,
    stop_watching,
    watch_memory,
)
from ixion.nasl.runtime.run import Call
from ixion.nasl.runtime.values import Value
from ixion.nasl.syntax.errors import NaslRuntimeError
from ixion.nasl.syntax.parser import parse
from tests.nasl.harness import FakeClock

MiB: Final = 1024 * 1024
BUDGET: Final = 64 * MiB
#: Strings may grow past max_string's default here, so that the memory budget is what
#: stops them.
HUNGRY: Final = Limits(max_memory=BUDGET, max_string=1024 * MiB)


def _peak() -> int:
    """The process's highest resident set so far, in bytes (Linux counts in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


@pytest.fixture(autouse=True)
def _honest_baseline() -> None:
    """Give freed heap back to the system, and restart the peak: each case on its own.

    Otherwise memory an earlier case freed, but glibc kept, is reused without the
    resident set growing: allowed (the budget bounds the process's growth), but it makes
    a case slower and its peak check meaningless.
    """
    gc.collect()
    resident_after_trim()
    with contextlib.suppress(OSError), open("/proc/self/clear_refs", "wb") as refs:
        refs.write(b"5")  # Linux: the peak resident set starts again from now


def _run(source: bytes, limits: Limits, **options: object) -> Interpreter:
    interpreter = Interpreter(limits=limits, **options)  # type: ignore[arg-type]
    interpreter.run(parse(source, "t.nasl"), source=source)
    return interpreter


@pytest.mark.parametrize(
    ("source", "overshoot"),
    [
        pytest.param(
            b"s = crap(length: 8000000); a = make_list(); i = 0;\n"
            b"while (1) { a[i] = s + i; i++; }\n",
            16 * MiB,
            id="new-string-per-iteration",
        ),
        pytest.param(
            b"s = crap(length: 8000000); a = make_list(); n = 0;\n"
            b"function grow() { a[n] = s + n; n++; } grow() x 100000;\n",
            16 * MiB,
            id="repeated-call",
        ),
        pytest.param(
            # The one value being made is the overshoot: 64 MiB from two of 32 MiB.
            b"s = crap(length: 1000000);\nwhile (1) s = s + s;\n",
            80 * MiB,
            id="string-doubling",
        ),
        pytest.param(
            # No string is made: the watcher thread sees the copies.
            b'a = split(crap(length: 200000, data: "x,"), sep: ",", keep: FALSE); j = 0;\n'
            b"while (1) { b[j] = a; j++; }\n",
            32 * MiB,
            id="array-copies",
        ),
        pytest.param(
            # Each round doubles the leaves: a = [a, a], copied deeply.
            b'a = split(crap(length: 2000, data: "x,"), sep: ",", keep: FALSE);\n'
            b"while (1) { l = NULL; l[0] = a; l[1] = a; a = l; }\n",
            32 * MiB,
            id="nested-arrays",
        ),
    ],
)
def test_a_memory_hungry_script_ends_at_its_line(source: bytes, overshoot: int) -> None:
    baseline, peak_before = resident_bytes(), _peak()
    assert baseline is not None
    message = rf"memory budget exhausted.*\(max_memory={BUDGET}\)"
    with pytest.raises(NaslRuntimeError, match=message) as err:
        _run(source, HUNGRY)
    assert err.value.line == 2
    assert _peak() <= max(peak_before, baseline + BUDGET + overshoot)


def test_kb_writes_in_a_loop_count_against_the_budget() -> None:
    # hexstr() makes a string-typed value, which the KB keeps as a copy of its own.
    source = (
        b"s = hexstr(crap(4000000)); i = 0;\n"
        b'while (1) { set_kb_item(name: "k" + i, value: s); i++; }'
    )
    kb = MemoryKB()
    baseline, peak_before = resident_bytes(), _peak()
    assert baseline is not None
    with pytest.raises(NaslRuntimeError, match="memory budget exhausted") as err:
        _run(source, HUNGRY, kb=kb)
    assert err.value.line == 2
    assert kb.get_values("k0")
    assert _peak() <= max(peak_before, baseline + BUDGET + 16 * MiB)


def test_a_script_using_a_few_megabytes_is_not_affected() -> None:
    output = bytearray()
    source = (
        b"s = crap(length: 1000000); a = make_list();\n"
        b"for (i = 0; i < 4; i++) a[i] = s + i;\n"
        b"b = a; t = strcat(b[0], b[1], b[2]); display(strlen(t), ' ', max_index(b));"
    )
    _run(source, Limits(max_memory=BUDGET), output=output.extend)
    assert output == b"3000003 4"


def test_the_default_budget_is_512_mib() -> None:
    assert Limits().max_memory == 512 * MiB


def test_memory_error_anywhere_becomes_a_nasl_error() -> None:
    def hog(call: Call) -> Value:
        raise MemoryError

    with pytest.raises(NaslRuntimeError, match="out of memory") as err:
        _run(b"x = 1;\nhog();", Limits(), builtins={**standard_library(), "hog": hog})
    assert err.value.line == 2


def test_the_resident_set_is_read_and_none_where_it_cannot_be() -> None:
    resident = resident_bytes()
    assert resident is not None
    assert 1 * MiB < resident < 64 * 1024 * MiB
    missing = _Statm("/nonexistent/statm")
    assert missing.read() is None
    assert missing.read() is None  # and it does not try again


class _Watched:
    """A run for the watcher thread that only notes the resident set it is told."""

    allocated = 0

    def __init__(self) -> None:
        self.seen = threading.Event()
        self.resident = 0

    def memory_alarm(self, resident: int) -> None:
        self.resident = resident
        self.seen.set()


def test_the_watcher_thread_alarms_a_watched_run() -> None:
    watched = _Watched()
    watch_memory(watched)
    assert watched.seen.wait(5)
    assert watched.resident > 0


def test_the_watcher_thread_lets_a_finished_run_go() -> None:
    # A run the watcher still held would keep its values (up to its budget) alive, and
    # raise the next run's baseline by as much.
    watched = _Watched()
    watch_memory(watched)
    assert watched.seen.wait(5)
    stop_watching(watched)
    gone = weakref.ref(watched)
    del watched
    deadline = time.monotonic() + 5
    while gone() is not None and time.monotonic() < deadline:
        time.sleep(0.01)  # the watcher may be in the middle of one round
    assert gone() is None


class TickingClock(FakeClock):
    """A clock that moves a second each time the interpreter looks at it."""

    def monotonic(self) -> float:
        self.elapsed += 1
        return self.elapsed


LOOPS: Final = {
    "while": b"while (1);",
    "for": b"for (;1;) {}",  # C's grammar wants the condition
    "repeat": b"repeat ; until 0;",
    "call-in-loop": b"function f() { return 1; } while (1) f();",
    "sleep-only": b"while (1) sleep(1);",
    "recursion": b"function f() { f(); } f();",
    "recursion-in-loop": b"function f() { while (1) f(); } f();",
}


@pytest.mark.parametrize("name", LOOPS)
def test_a_looping_script_is_stopped_by_the_step_budget(name: str) -> None:
    clock = FakeClock()  # sleeps go by without waiting
    limits = Limits(max_steps=100, timeout=None)
    with pytest.raises(NaslRuntimeError, match=r"step budget exhausted \(max_steps=100\)") as err:
        _run(LOOPS[name], limits, clock=clock)
    assert err.value.line == 1


@pytest.mark.parametrize("name", [n for n in LOOPS if "recursion" not in n])
def test_a_looping_script_is_stopped_by_the_deadline(name: str) -> None:
    limits = Limits(timeout=5)
    with pytest.raises(NaslRuntimeError, match=r"deadline passed \(timeout=5s\)") as err:
        _run(LOOPS[name], limits, clock=TickingClock())
    assert err.value.line == 1


@pytest.mark.parametrize("name", ["recursion", "recursion-in-loop"])
def test_unbounded_recursion_is_stopped_by_the_call_depth(name: str) -> None:
    limits = dataclasses.replace(Limits(), max_call_depth=50)
    with pytest.raises(NaslRuntimeError, match=r"calls nested too deep \(max_call_depth=50\)"):
        _run(LOOPS[name], limits)


def test_a_neighbour_that_allocates_nothing_is_not_blamed() -> None:
    # Two scripts in threads of one process, as the engine runs them: the hoarder ends at
    # its line for the memory budget, the busy loop beside it runs on to its own step limit.
    hoarder = (
        b"s = crap(length: 4000000); a = make_list(); i = 0;\nwhile (1) { a[i] = s + i; i++; }\n"
    )
    looper = b"i = 0;\nwhile (1) { i++; }\n"
    outcomes: dict[str, str] = {}

    def run(name: str, source: bytes, limits: Limits) -> None:
        try:
            _run(source, limits)
        except NaslRuntimeError as err:
            outcomes[name] = str(err).splitlines()[0]

    busy = threading.Thread(
        target=run, args=("looper", looper, Limits(max_memory=BUDGET, max_steps=3_000_000))
    )
    busy.start()
    run("hoarder", hoarder, HUNGRY)
    busy.join(60)
    assert "t.nasl:2:" in outcomes["hoarder"]
    assert "memory budget exhausted" in outcomes["hoarder"]
    assert "step budget exhausted" in outcomes["looper"]
