"""POSIX ERE: what glibc's regcomp accepts, matches as it would (nasl.md §2.7), and searches
that end in time."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ixion.nasl.interpreter import Interpreter
from ixion.nasl.runtime.limits import Limits
from ixion.nasl.runtime.regex import RegexError, RegexTimeout, compile_ere, search
from ixion.nasl.syntax.errors import NaslRuntimeError
from ixion.nasl.syntax.parser import parse


@pytest.mark.parametrize(
    ("pattern", "subject", "found"),
    [
        (rb"^[[:alpha:]]+$", b"Hello", True),
        (rb"^[[:alpha:]]+$", b"Hello1", False),
        (rb"[[:digit:][:space:]]", b"a b", True),
        (rb"[^[:alnum:]]", b"abc1", False),
        (rb"[[:punct:]]", b"a!", True),
        (rb"[[:xdigit:]]+$", b"zzCAFE", True),
        (rb"[]x]", b"]", True),
        (rb"[a-]", b"-", True),
        (rb"[\d]", b"\\", True),
        (rb"[\d]", b"5", False),
        (rb"\d", b"d", True),
        (rb"\.", b"a", False),
        (rb"a.b", b"a\nb", True),
        (rb"a$", b"a\n", False),
        (rb"\<word\>", b"a word here", True),
        (rb"\<word\>", b"swordfish", False),
        (rb"(ab|c)\1", b"abab", True),
        (rb"a{2,3}", b"aa", True),
        (rb"a{2}", b"ab", False),
        (rb"a**", b"", True),
        (rb"a+?", b"b", True),
        (rb"x)", b"x)", True),
        (rb"[[.-.]]", b"-", True),
        (rb"[[=e=]]", b"e", True),
        (b"a\0b", b"a", True),
    ],
)
def test_posix_semantics(pattern: bytes, subject: bytes, found: bool) -> None:
    assert (compile_ere(pattern).search(subject) is not None) is found


def test_icase_folds_classes_and_ranges() -> None:
    assert compile_ere(rb"^[a-c]+[[:upper:]]$", icase=True).search(b"ABCd")
    assert not compile_ere(rb"^[a-c]+$").search(b"ABC")


@pytest.mark.parametrize(
    "pattern",
    [
        *(rb"*a", rb"a|*b", rb"(*a)", rb"^*", rb"a{", rb"a{1", rb"a{3,2}", rb"a{99999}"),
        *(rb"[[:foo:]]", rb"[z-a]", rb"[abc", rb"[[.ab.]]", rb"[[:alpha:]", rb"(a", b"a\\"),
        rb"(a)\2",
    ],
)
def test_what_regcomp_rejects_is_an_error(pattern: bytes) -> None:
    with pytest.raises(RegexError):
        compile_ere(pattern)


plain = st.text(alphabet="abcXYZ019 _-,;:/=<>'\"", max_size=12).map(str.encode)


@given(plain)
def test_ordinary_characters_match_themselves(text: bytes) -> None:
    assert compile_ere(text).fullmatch(text)
    assert compile_ere(text, icase=True).fullmatch(text.swapcase())


#: Letters that make an escape mean something else than the letter (anchors, classes...).
SPECIAL_AFTER_BACKSLASH = "<>bBwWsS'123456789"


@given(plain)
def test_every_byte_escaped_is_that_byte(text: bytes) -> None:
    literal = bytes(c for c in text if chr(c) not in SPECIAL_AFTER_BACKSLASH)
    escaped = b"".join(b"\\" + bytes([c]) for c in literal)
    assert compile_ere(escaped).fullmatch(literal)


def _counted_while(action: Callable[[], object]) -> int:
    """How often another thread went round a loop while ``action`` ran."""
    ticks = 0
    running = threading.Event()
    running.set()

    def count() -> None:
        nonlocal ticks
        while running.is_set():
            ticks += 1

    counter = threading.Thread(target=count)
    counter.start()
    try:
        action()
    finally:
        running.clear()
        counter.join()
    return ticks


def test_a_search_past_its_time_ends_and_lets_other_threads_run() -> None:
    # (a|aa)+b backtracks exponentially on a run of a's: glibc would take ages as well.
    pattern = compile_ere(rb"(a|aa)+b")
    timings: list[float] = []

    def search_too_long() -> None:
        began = time.monotonic()
        with pytest.raises(RegexTimeout):
            search(pattern, b"a" * 60, timeout=0.5)
        timings.append(time.monotonic() - began)

    free = _counted_while(lambda: time.sleep(0.5))
    during = _counted_while(search_too_long)
    assert 0.4 < timings[0] < 5
    # Holding the GIL, the search would let the counter run a few percent of that.
    assert during > free / 4


def test_a_script_s_regex_ends_at_its_deadline() -> None:
    source = b'x = crap(data: "a", length: 60);\nif (ereg(pattern: "(a|aa)+b", string: x)) ;\n'
    began = time.monotonic()
    with pytest.raises(NaslRuntimeError, match=r"deadline passed \(timeout=1.0s\)") as err:
        Interpreter(limits=Limits(timeout=1.0)).run(parse(source, "t.nasl"), source=source)
    assert err.value.line == 2
    assert time.monotonic() - began < 10
