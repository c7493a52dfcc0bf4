"""What the daemon fuzzer sends: hypothesis strategies for the bytes of an NTP conversation up
to the login, the pieces hostile fields are made of, and real conversations mutated.

They reach each stage of ixiond's reading (spec §1.3-§1.5): garbage before the banner; banners
with odd versions and words; hostile user and password lines; and real client conversations
(``shared/spec/transcripts``) with bytes spliced in, cut out or cut off. What follows a good
login is in :mod:`tests.server.fuzz_orders`.

Sizes cluster at the caps of :mod:`ixion.ntp.limits` (one under, at, one over), where parsers
break; long inputs are a repeated byte, so that hypothesis draws a count, not a megabyte.

Safety: a mutation may turn a transcript's target into anything, which is why ``fuzz_cases``
filters every input through the daemon's own parser, and the daemon runs under ``fuzz_guard``.
"""

from __future__ import annotations

from typing import Final

from hypothesis import strategies as st

from ixion.ntp import KNOWN_EXTENSIONS
from ixion.ntp.limits import (
    MAX_BANNER_LINE,
    MAX_COMMAND_LINE,
    MAX_LOGIN_LINE,
    MAX_RULE_LINE,
    MAX_SIZE_LINE,
)
from tests.transcripts import all_transcripts

__all__ = [
    "FUZZ_PASSWORD",
    "FUZZ_USER",
    "LOGIN_LINES",
    "VERSION_ORDER",
    "banners",
    "garbage_before_banner",
    "hostile_text",
    "login_lines",
    "overlong",
    "transcript_mutations",
    "tricky_bytes",
]

#: The account the fuzzer logs in with: the one of the captured transcripts.
FUZZ_USER: Final = "tester"
FUZZ_PASSWORD: Final = "testpass"
#: Its user and password lines, and the order whose answer shows a login worked.
LOGIN_LINES: Final = f"{FUZZ_USER}\n{FUZZ_PASSWORD}\n".encode()
VERSION_ORDER: Final = b"CLIENT <|> NESSUS_VERSION <|> CLIENT\n"


# --- pieces ----------------------------------------------------------------------------------

#: Bytes that sit on the protocol's delimiters and decoders: separators, line ends, NUL, bytes
#: that are not UTF-8 (a lone continuation byte, a truncated sequence, an encoded surrogate).
TRICKY: Final = (
    *(b"\x00", b"\r", b"\n", b"\r\n", b"\t", b" ", b"\xff", b"\x80", b"\xc3", b"\xed\xa0\x80"),
    *("é".encode(), "\U0001f980".encode(), b"<|>", b" <|> ", b"<|> CLIENT", b"CLIENT <|> "),
    *(b"SERVER <|> ", b"< NTP/1.2 >", b"..", b"/", b"../../etc/passwd", b"%s%n", b"\x1b[2J"),
    *(b"-1", b"0", b"18446744073709551617", b"0x20", b"1e3", b"NaN"),
)
#: The caps every stage's lines are read under (spec §1.3).
CAPS: Final = (MAX_BANNER_LINE, MAX_LOGIN_LINE, MAX_COMMAND_LINE, MAX_RULE_LINE, MAX_SIZE_LINE)


def tricky_bytes(max_pieces: int = 6) -> st.SearchStrategy[bytes]:
    piece = st.one_of(
        st.sampled_from(TRICKY),
        st.binary(max_size=12),
        st.text(max_size=8).map(lambda text: text.encode("utf-8", "surrogatepass")),
    )
    return st.lists(piece, max_size=max_pieces).map(b"".join)


def overlong(caps: tuple[int, ...] = CAPS) -> st.SearchStrategy[bytes]:
    """One byte repeated to just under, at, or over a cap, or to well past the read size."""
    return st.builds(
        lambda fill, cap, extra: fill * max(cap + extra, 0),
        st.sampled_from((b"A", b"\xff", b"\x00", b"<", b" ", b"9")),
        st.sampled_from(caps),
        st.sampled_from((-1, 0, 1, 2, 1024, 66_000)),
    )


def hostile_text() -> st.SearchStrategy[bytes]:
    return st.one_of(tricky_bytes(), overlong())


# --- stage 1: before the banner --------------------------------------------------------------

_FOREIGN_OPENINGS: Final = (
    b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
    b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 40,  # a TLS ClientHello start
    b"SSH-2.0-OpenSSH_9.6\r\n",
    b"TestThis\r\n",
    b"< OTP/1.0 >\n",
    b"\n",
    b"\r\n",
)


def garbage_before_banner() -> st.SearchStrategy[bytes]:
    return st.one_of(
        st.sampled_from(_FOREIGN_OPENINGS), hostile_text(), st.binary(min_size=1, max_size=300)
    )


# --- stage 2: the banner (spec §1.4) ---------------------------------------------------------

_VERSIONS: Final = ("1.2", "1.1", "1.0", "9.9", "1.2.3", "", "1.", "2.2", "1.2 ", "01.2")
_WORDS: Final = (*sorted(KNOWN_EXTENSIONS), "is_proxy", "dns", "unknown_word", "GO ON")


def _banner_line(version: bytes, words: list[bytes], space: bytes, end: bytes) -> bytes:
    block = b"< " + space.join(words) + b" >" if words else b""
    return b"< NTP/" + version + b" >" + block + end


def banner_line() -> st.SearchStrategy[bytes]:
    word = st.one_of(st.sampled_from(_WORDS).map(str.encode), tricky_bytes(2))
    version = st.one_of(st.sampled_from(_VERSIONS).map(str.encode), tricky_bytes(2))
    return st.builds(
        _banner_line,
        version,
        st.lists(word, max_size=12),
        st.sampled_from((b" ", b"  ", b"\t", b"", b"<|>")),
        st.sampled_from((b"\n", b"\r\n", b"\x00\n", b"", b"\n\n")),
    )


def banners() -> st.SearchStrategy[bytes]:
    """A banner, good or odd, then perhaps a login and an order to see what it led to."""
    tail = st.sampled_from((b"", LOGIN_LINES, LOGIN_LINES + VERSION_ORDER))
    return st.builds(bytes.__add__, st.one_of(banner_line(), overlong()), tail)


# --- stage 3: user and password (spec §1.5) --------------------------------------------------


def _login_answer() -> st.SearchStrategy[bytes]:
    good = st.sampled_from((FUZZ_USER.encode(), FUZZ_PASSWORD.encode()))
    spiced = st.builds(
        lambda word, spice, at_end: word + spice if at_end else spice + word,
        good,
        st.sampled_from((b"\r", b"\x00", b"\xff", b" ", b"\r\r", b"/..")),
        st.booleans(),
    )
    return st.one_of(good, spiced, hostile_text(), st.just(b""))


def login_lines() -> st.SearchStrategy[bytes]:
    banner = st.sampled_from(
        (b"< NTP/1.2 >\n", b"< NTP/1.2 >< fast_login >\n", b"< NTP/1.1 >\n", b"< NTP/1.0 >\n")
    )
    line_end = st.sampled_from((b"\n", b"\r\n", b""))
    return st.builds(
        lambda banner, user, end1, password, end2, more: (
            banner + user + end1 + password + end2 + more
        ),
        banner,
        _login_answer(),
        line_end,
        _login_answer(),
        line_end,
        st.sampled_from((b"", VERSION_ORDER)),
    )


# --- stage 5: real conversations, mutated ----------------------------------------------------

#: What real clients sent nessusd, logged in as the fuzzed user (the rules transcript used another).
_CLIENT_STREAMS: Final = tuple(
    stream.replace(b"\nruled\nruledpass\n", b"\n" + LOGIN_LINES)
    for transcript in all_transcripts()
    if len(stream := transcript.stream("C")) > 20 and not transcript.is_otp
)


def _mutate(data: bytes, edits: list[tuple[int, int, int, bytes]]) -> bytes:
    for kind, where, length, spliced in edits:
        at = where % (len(data) + 1)
        if kind == 0:  # insert
            data = data[:at] + spliced + data[at:]
        elif kind == 1:  # replace
            data = data[:at] + spliced + data[at + len(spliced) :]
        elif kind == 2:  # delete
            data = data[:at] + data[at + length :]
        elif kind == 3:  # repeat a stretch
            data = data[:at] + data[at : at + length] * 3 + data[at:]
        else:  # cut the conversation off here
            data = data[:at]
    return data


def transcript_mutations() -> st.SearchStrategy[bytes]:
    edit = st.tuples(
        st.integers(0, 4), st.integers(0, 1 << 16), st.integers(1, 64), tricky_bytes(3)
    )
    return st.builds(
        _mutate, st.sampled_from(_CLIENT_STREAMS), st.lists(edit, min_size=1, max_size=4)
    )
