"""What the daemon fuzzer sends once logged in: hypothesis strategies for orders (spec §2,
§3.9, §3.10) that are well formed with hostile fields, cut short, or mis-sized.

Safety: target lists are literal addresses in ranges the fuzzed user's rules refuse, or names
under ``.invalid`` (RFC 6761), which never resolve (and the fuzzed daemon looks up no name).
"""

from __future__ import annotations

from typing import Final

from hypothesis import strategies as st

from ixion.ntp.limits import MAX_SIZE_LINE
from tests.server.fuzz_inputs import (
    LOGIN_LINES,
    VERSION_ORDER,
    hostile_text,
    overlong,
    tricky_bytes,
)

__all__ = ["after_login", "targets"]


# --- targets (safety: refused literal addresses, or names that never resolve) ----------------

_TARGET_ITEMS: Final = (
    "198.18.0.1",
    "198.19.255.254",
    "127.0.0.1",
    "127.0.0.2",
    "192.0.2.1",
    "198.18.0.0/24",
    "198.18.0.0/20",
    "192.0.2.0/30",
    "198.18.1-2.1-3",
    "198.18.0.1-198.18.0.9",
    "2001:db8::1",
    "2001:db8::/120",
    "::1",
    "::ffff:198.18.0.1",
    "host.invalid",
    "host.invalid/30",
    # Items the daemon must refuse as malformed.
    *("999.1.1.1", "1.2.3", "198.18.0.0/", "198.18.0.0/33", "::/129", "-", "/", ""),
)


def targets() -> st.SearchStrategy[bytes]:
    item = st.one_of(st.sampled_from(_TARGET_ITEMS).map(str.encode), tricky_bytes(3))
    separator = st.sampled_from((b",", b";", b" ", b", ", b"\n", b",,"))
    return st.builds(
        lambda items, sep: sep.join(items), st.lists(item, min_size=1, max_size=6), separator
    )


# --- stage 4: orders after a good login (spec §2, §3.9, §3.10) -------------------------------

_VERBS: Final = (
    "NESSUS_VERSION",
    "OPENVAS_VERSION",
    "PLUGIN_INFO",
    "CERTIFICATES",
    "NEW_ATTACK",
    "STOP_ATTACK",
    "STOP_WHOLE_TEST",
    "PAUSE_WHOLE_TEST",
    "RESUME_WHOLE_TEST",
    "SESSIONS_LIST",
    "SESSION_DELETE",
    "SESSION_RESTORE",
    "DETACHED_SESSIONS_LIST",
    "STOP_DETACHED",
    "DETACHED_STOP",
    "HUP_FATHER",
    "QUIT",
    "BYE",
    "PONG",
    "COMPLETE_LIST",
    "SEND_PLUGINS_MD5",
    "GO ON",
)
_PREFERENCE_NAMES: Final = (
    "ntp_keep_communication_alive",
    "ntp_opt_show_end",
    "ntp_short_status",
    "ntp_escape_crlf",
    "ntp_client_accepts_notes",
    "plugin_set",
    "max_hosts",
    "max_checks",
    "port_range",
    "save_session",
    "detached_scan",
    "continuous_scan",
    "delay_between_scan_loops",
    "detached_scan_email_address",
    "reverse_lookup",
    "host_expansion",
    "plugins_timeout",
    "state_dir",
    "plugins_folder",
    "timeout.10330",
    "peers_banner[entry]:Pref",
)
_FIELD: Final = st.one_of(
    st.sampled_from((b"90001", b"-1", b"0", b"20250101-120000", b"3598", b"198.18.0.1")),
    hostile_text(),
)


def command() -> st.SearchStrategy[bytes]:
    verb = st.one_of(st.sampled_from(_VERBS).map(str.encode), tricky_bytes(2))
    trailer = st.sampled_from((b" <|> CLIENT\n", b"\n", b" <|> CLIENT\r\n", b" <|> SERVER\n"))
    return st.builds(
        lambda verb, fields, trailer: b" <|> ".join((b"CLIENT", verb, *fields)) + trailer,
        verb,
        st.lists(_FIELD, max_size=4),
        trailer,
    )


def attack() -> st.SearchStrategy[bytes]:
    new = targets().map(lambda hosts: b"CLIENT <|> NEW_ATTACK <|> " + hosts + b" <|> CLIENT\n")
    legacy = st.builds(
        lambda plugins, ports, hosts: b" <|> ".join(
            (b"CLIENT <|> NEW_ATTACK", plugins, b"5", b"no", ports, hosts, b"CLIENT\n")
        ),
        st.sampled_from((b"-1", b"0", b"1;39", b"")),
        st.sampled_from((b"1-1024", b"default", b"0", b"-", b"65536", b"1-2-3")),
        targets(),
    )
    return st.one_of(new, legacy)


def _size_line(payload: bytes) -> st.SearchStrategy[bytes]:
    """The announced size: right, smaller, larger, negative, huge, not a number."""
    n = len(payload)
    return st.one_of(
        st.sampled_from((n, n - 1, n + 1, 0, -1, -n, 2**31, 2**64 + 1, 16 * 2**20 + 1)).map(
            lambda size: str(size).encode()
        ),
        st.sampled_from((b"", b" ", b"+5", b"0x10", b"1e3", b"\xff", b"5 5", b"\xd9\xa5")),
        st.builds(lambda spice: str(n).encode() + spice, st.sampled_from((b" ", b"\r", b"\x00"))),
        overlong((MAX_SIZE_LINE,)),
    )


def long_attack() -> st.SearchStrategy[bytes]:
    return targets().flatmap(
        lambda hosts: _size_line(hosts).map(
            lambda size: b"CLIENT <|> LONG_ATTACK <|>\n" + size + b"\n" + hosts
        )
    )


def attachment() -> st.SearchStrategy[bytes]:
    name = st.one_of(
        st.sampled_from((b"fuzz.nasl", b"fuzz.inc", b"key.pem", b"plugin.nasl")),
        st.builds(bytes.__add__, tricky_bytes(3), st.sampled_from((b".nasl", b".inc", b""))),
    )
    payload = st.one_of(
        st.sampled_from((b"", b"exit(0);\n", b"if (description) {}\n")), tricky_bytes()
    )

    def message(
        verb: bytes, name: bytes, content: bytes, payload: bytes
    ) -> st.SearchStrategy[bytes]:
        return _size_line(payload).map(
            lambda size: (
                b"CLIENT <|> %s\nname: %s\n%s\nbytes: %s\n%s" % (verb, name, content, size, payload)
            )
        )

    return st.tuples(
        st.sampled_from((b"ATTACHED_FILE", b"ATTACHED_PLUGIN")),
        name,
        st.sampled_from((b"content: octet/stream", b"", b"bytes: 5", b"name: again")),
        payload,
    ).flatmap(lambda parts: message(*parts))


def block() -> st.SearchStrategy[bytes]:
    """A PREFERENCES or RULES block, perhaps without its end (the stream stops mid-block)."""
    preference = st.builds(
        lambda name, value: name + b" <|> " + value,
        st.one_of(st.sampled_from(_PREFERENCE_NAMES).map(str.encode), tricky_bytes(2)),
        st.one_of(st.sampled_from((b"yes", b"no", b"0", b"-1", b"")), _FIELD),
    )
    rule = st.one_of(
        st.sampled_from((b"accept 127.0.0.1", b"reject 0.0.0.0/0", b"default accept")),
        hostile_text(),
    )
    end = st.sampled_from((b"<|> CLIENT\n", b"x <|> CLIENT y\n", b""))
    return st.one_of(
        st.builds(
            lambda lines, end: (
                b"CLIENT <|> PREFERENCES <|>\n" + b"".join(x + b"\n" for x in lines) + end
            ),
            st.lists(preference, max_size=8),
            end,
        ),
        st.builds(
            lambda lines, end: b"CLIENT <|> RULES <|>\n" + b"".join(x + b"\n" for x in lines) + end,
            st.lists(rule, max_size=4),
            end,
        ),
    )


_GOODLOGIN_LINESS: Final = (
    b"< NTP/1.2 >< fast_login >\n" + LOGIN_LINES,
    b"< NTP/1.2 >\n" + LOGIN_LINES,
    b"< NTP/1.1 >\n" + LOGIN_LINES,
    b"< NTP/1.0 >\n" + LOGIN_LINES,
    b"< NTP/1.2 >< md5_caching plugins_version >\n" + LOGIN_LINES,
    b"< NTP/1.2 >< md5_caching fast_login >\n"
    + LOGIN_LINES
    + b"CLIENT <|> SEND_PLUGINS_MD5 <|> CLIENT\n",
)


def after_login() -> st.SearchStrategy[bytes]:
    """A good login, then orders: well-formed with hostile fields, cut short, or mis-sized."""
    order = st.one_of(
        command(),
        attack(),
        long_attack(),
        attachment(),
        block(),
        hostile_text(),
        st.just(VERSION_ORDER),
    )
    return st.builds(
        lambda login, orders: login + b"".join(orders),
        st.sampled_from(_GOODLOGIN_LINESS),
        st.lists(order, min_size=1, max_size=5),
    )
