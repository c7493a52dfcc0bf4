"""The built-in registry, the argument helper, and the built-ins' odd corners.

The compliance cases show the built-ins at work; these tests pin the usage errors and
limits, one snippet each, in the cases' transcript format (display output, ``!!`` lines).
"""

from __future__ import annotations

import pytest

from ixion.nasl.builtins import FAMILIES, standard_library
from ixion.nasl.description import functions as description
from ixion.nasl.runtime.kb import KbValue, KnowledgeBase, MemoryKB
from ixion.nasl.runtime.limits import Limits
from ixion.nasl.runtime.run import Call
from ixion.nasl.runtime.values import NaslArray, NaslString
from tests.nasl.harness import run_source

#: nasl.md §6.2's T1 language library, plus defined_func, exit and the KB family.
T1 = (
    "isnull",
    "typeof",
    "make_list",
    "make_array",
    "keys",
    "max_index",
    "sort",
    "int",
    "string",
    "raw_string",
    "strcat",
    "strlen",
    "substr",
    "insstr",
    "ord",
    "hex",
    "hexstr",
    "tolower",
    "toupper",
    "chomp",
    "crap",
    "split",
    "stridx",
    "strstr",
    "str_replace",
    "display",
    "ereg",
    "egrep",
    "ereg_replace",
    "eregmatch",
    "match",
    "rand",
    "sleep",
    "usleep",
    "unixtime",
    "gettimeofday",
    "localtime",
    "mktime",
    "defined_func",
    "exit",
    "get_kb_item",
    "get_kb_list",
    "set_kb_item",
    "replace_kb_item",
    "get_kb_fresh_item",
)


#: nasl.md §6.2's T1 report/glue and network/HTTP/host/hash built-ins, and the deny-stubs.
T1_HOST = (
    *("security_hole", "security_message", "security_warning", "security_note"),
    *("log_message", "error_message", "get_preference", "safe_checks", "get_script_oid"),
    *("vendor_version", "scanner_status", "open_sock_tcp", "open_priv_sock_tcp"),
    *("open_sock_udp", "open_priv_sock_udp", "send", "recv", "recv_line", "close"),
    *("socket_get_error", "get_source_port", "this_host", "get_port_state"),
    *("get_tcp_port_state", "get_udp_port_state", "get_port_transport", "get_host_open_port"),
    *("get_host_ip", "get_host_name", "get_host_names", "this_host_name", "islocalhost"),
    *("islocalnet", "TARGET_IS_IPV6", "http_get", "http_head", "http_post", "http_put"),
    *("http_delete", "http_open_socket", "http_close_socket", "cgibin", "telnet_init"),
    *("ftp_log_in", "ftp_get_pasv_port", "start_denial", "end_denial", "MD4", "MD5"),
    *("SHA1", "SHA256", "HMAC_MD5", "HMAC_SHA1", "HMAC_SHA256", "gzip", "gunzip"),
    *("pread", "fread", "fwrite", "unlink", "file_stat", "file_open", "file_close"),
    *("file_read", "file_write", "file_seek", "find_in_path", "get_tmp_dir"),
)

#: Beyond T1: the SSH session built-ins ssh_detect.nasl reaches (tests/nasl/ssh/test_ssh.py),
#: and ssh_func.inc's ssh_cmd() (tests/nasl/ssh/test_ssh_exec.py).
SSH = (
    *("ssh_connect", "ssh_disconnect", "ssh_session_id_from_sock", "ssh_get_sock"),
    *("ssh_set_login", "ssh_userauth", "ssh_get_issue_banner", "ssh_get_server_banner"),
    *("ssh_get_host_key", "ssh_get_auth_methods", "ssh_request_exec"),
    *("ssh_shell_open", "ssh_shell_read", "ssh_shell_write", "ssh_shell_close"),
)

#: Beyond T1: the TLS socket, certificate and ISO time built-ins the feed's SSL/TLS family
#: reaches (tests/nasl/builtins/test_tls.py, test_certificates.py).
TLS = (
    *("socket_negotiate_ssl", "socket_get_cert", "socket_get_ssl_version", "get_sock_info"),
    *("socket_get_ssl_ciphersuite", "socket_get_ssl_session_id", "socket_cert_verify"),
    *("socket_check_ssl_safe_renegotiation", "cert_open", "cert_query", "cert_close"),
    *("isotime_now", "isotime_is_valid", "isotime_scan", "isotime_print", "isotime_add"),
)


def test_the_library_is_exactly_the_t1_builtins() -> None:
    # The description family (T0) is pinned by its own tests; here it is only accounted for.
    described = tuple(description.FUNCTIONS)
    assert sorted(standard_library()) == sorted(T1 + T1_HOST + SSH + TLS + described)


def test_no_two_families_define_the_same_name() -> None:
    assert sum(map(len, FAMILIES)) == len(standard_library())


W = "!! warning: t.nasl:1: "


def test_call_reads_arguments_the_c_way() -> None:
    call = Call(None, [5, NaslString(b"0x10"), NaslArray([1])], {"n": b"12abc"})  # type: ignore[arg-type]
    assert call[0] == 5
    assert call[7] is None
    assert call["missing"] is None
    assert call.integer(1, -1) == 0  # atol: decimal only
    assert call.integer("n", -1) == 12
    assert call.integer(2, -1) == -1
    assert call.integer(9, 42) == 42
    assert call.text(0) == b"5"
    assert call.text(2) == b"[ 0: 1 ]"
    assert call.text(9) is None
    assert call.size(0) == 0
    assert call.size("n") == 5


def test_memory_kb_is_a_knowledge_base_with_redis_ordering() -> None:
    kb: KnowledgeBase = MemoryKB([("a/1", 1), ("a/2", b"x"), ("a/1", 2)])
    kb.add("a/1", 1)
    assert kb.get_values("a/1") == (2, 1)
    assert list(kb.matching("a/*")) == [("a/1", 2), ("a/1", 1), ("a/2", b"x")]
    kb.replace("a/1", 3)
    assert kb.get_values("a/1") == (3,)
    assert kb.get_values("none") == ()


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (
            b"display(isnull(substr(NULL, 1)));",
            W + "substr: the string is undef\n1",
        ),
        (
            b'display(isnull(substr("abc")));',
            W + "substr: the start index is missing or negative\n1",
        ),
        (
            b'display(isnull(insstr("abc", "x", 5)));',
            W + "insstr: cannot insert after the end of the string\n1",
        ),
        (
            b'display(isnull(insstr("abc", "x")));',
            W + "usage: insstr(str1, str2, idx_start [,idx_end])\n1",
        ),
        (
            b'display(insstr("abcdef", "X", 3, 1));',
            W + "insstr: the first index 3 is greater than the second 1\nabcXcdef",
        ),
        (b"display(isnull(ord(NULL)));", W + "ord: the argument is undef\n1"),
        (
            b"display(isnull(hex(-1)), isnull(hexstr()), isnull(chomp()), isnull(tolower()));",
            "1111",
        ),
        (b"display(isnull(crap()));", W + "crap: invalid or missing length\n1"),
        (
            b"display(isnull(crap(3, length: 2)));",
            W + "crap: length given both by position and by name\n1",
        ),
        (
            b'display(isnull(crap(length: 2, data: "")));',
            W + "crap: empty data\n1",
        ),
        (
            b'display(isnull(split("a", sep: "")));',
            W + "split: empty separator\n1",
        ),
        (
            b'display(stridx("abc", "b", 9));',
            W + "usage: stridx(string, substring [, start])\n-1",
        ),
        (
            b'display(isnull(str_replace(string: "a", find: "")));',
            W + "str_replace: empty 'find' argument\n1",
        ),
        (
            b'display(isnull(str_replace(find: "a")));',
            W + "usage: str_replace(string: s, find: f, replace: r [,count: c])\n1",
        ),
        (
            b'display(isnull(match(string: "a")));',
            W + "match: parameter 'pattern' missing\n1",
        ),
        (
            b'display(isnull(ereg_replace(string: "a")));',
            W + "usage: ereg_replace(string:<string>, pattern:<pat>, replace:<replace>)\n1",
        ),
        (
            b'display(isnull(ereg(pattern: "a")), isnull(egrep(string: 1)), isnull(eregmatch()));',
            "111",
        ),
        (b'display(egrep(string: "", pattern: "("));', ""),
        (b"display(isnull(ereg_replace(pattern: 1, replace: 2)));", "1"),
        (
            b"x = raw_string(crap(40000)); display(strlen(x));",
            W + "raw_string: argument too long\n0",
        ),
        (
            b"display(isnull(defined_func()));",
            W + "defined_func: missing parameter\n1",
        ),
        (
            b"display(keys(1, make_list(5)));",
            W + "keys: argument #0 is not an array\n[ 0: 0 ]",
        ),
        (
            b'display(make_array(-1, "x"));',
            W + "make_array: negative index -1 skipped\n[  ]",
        ),
        (b"display(isnull(get_kb_item(NULL)), isnull(get_kb_fresh_item(NULL)));", "11"),
        (
            b"display(isnull(get_kb_list()));",
            W + "usage: get_kb_list(<NameOfItem>)\n1",
        ),
        (
            b'set_kb_item(value: 1); replace_kb_item(name: "n");',
            W + "set_kb_item: the name is undef\n" + W + "replace_kb_item(n): the value is undef\n",
        ),
        (b'display(sort("b", "a"), " ", max_index(_FCT_ANON_ARGS));', "[ 0: 'a', 1: 'b' ] 0"),
        (
            b"display(hexstr(raw_string(NULL, 65)), isnull(split(NULL)), isnull(strstr(NULL, 1)));",
            "4111",
        ),
        (b'display(stridx("abc", "c", 3), stridx("ab", "abc"));', "-1-1"),
        (
            b'l = eregmatch(string: "ab", pattern: "(x)?(a)", find_all: TRUE); display(l);',
            "[ 0: 'a' ]",
        ),
    ],
)
def test_builtin_corner(source: bytes, expected: str) -> None:
    assert run_source(source, "t.nasl").decode() == expected


def test_kb_values_keep_their_bytes() -> None:
    kb = MemoryKB()
    run_source(
        b"set_kb_item(name: 'n', value: 'a\\0b'); set_kb_item(name: 'm', value: make_list(1));",
        kb=kb,
    )
    assert kb.get_values("n") == (b"a\0b",)
    assert kb.get_values("m") == (b"[ 0: 1 ]",)
    shown = b"l = get_kb_list('n'); display(hexstr(get_kb_item('n')), ' ', hexstr(l['n']));"
    assert run_source(shown, kb=kb) == b"610062 61"


def test_calendar_errors_are_warnings() -> None:
    transcript = run_source(b"display(isnull(localtime(99999999999999999)));", "t.nasl").decode()
    assert transcript.startswith(W + "localtime(99999999999999999, utc: 0): ")
    assert transcript.endswith("\n1")


def test_results_over_the_string_limit_are_refused_before_they_are_built() -> None:
    small = Limits(max_string=100)
    for source in (b"crap(101);", b'str_replace(string: crap(60), find: "X", replace: "YY");'):
        transcript = run_source(source, "t.nasl", limits=small).decode()
        assert transcript.startswith("!! fatal: t.nasl:1: a string of ")


def test_a_built_in_result_over_the_array_limit_ends_the_script() -> None:
    transcript = run_source(
        b'l = split(crap(data: "x,", length: 400), sep: ",");',
        "t.nasl",
        limits=Limits(max_array=100),
    )
    assert (
        transcript.decode()
        == "!! fatal: t.nasl:1: array of 200 elements is too large (max_array=100)\n"
    )


def test_kb_values_are_int_or_bytes() -> None:
    values: list[KbValue] = [1, b"x"]
    assert MemoryKB([("k", v) for v in values]).get_values("k") == (1, b"x")
