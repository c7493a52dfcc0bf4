"""The HTTP built-ins (nasl.md §3, C's ``nasl_http.c``): they build requests, nothing more.

``http_get/head/post/put/delete(item:, port:, data:)`` return the request text; sending it
and parsing the answer is NASL code (``http_func.inc``, ``http_keepalive.inc``). The text is
C's, byte for byte:

* ``http/<port>`` in the KB says which version the server speaks: ``10`` (or anything but
  ``11`` above 0) gives a bare ``METHOD item HTTP/1.0`` line; unset or ``11`` gives
  HTTP/1.1 with a fixed set of headers, ``Host`` first after ``Connection``. The ``Host``
  header omits the port for 80 and 443, which some servers (IIS/OWA) answer with 404.
* the ``User-Agent`` is the ``HTTP User-Agent`` preference, else built from
  ``vendor_version``, else C's default naming the OpenVAS release ixion follows;
* an ``Authorization``-style line from ``/tmp/http/auth/<port>`` or ``http/auth`` follows;
* with ``data`` a ``Content-Length`` and the body end the request, else an empty line.

C builds the text with C strings, so ``item`` and ``data`` end at their first NUL byte.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from ixion.nasl.builtins.network import CONNECT_TIMEOUT, ENCAPS_AUTO, connect, host_of
from ixion.nasl.runtime.predefined import OPENVAS_VERSION
from ixion.nasl.runtime.values import Value, c_string

if TYPE_CHECKING:
    from collections.abc import Callable

    from ixion.nasl.runtime.run import Call

__all__ = ["FUNCTIONS", "user_agent"]

_ACCEPT: Final = b"image/gif, image/x-xbitmap, image/jpeg, image/pjpeg, image/png, */*"
_CGI_PATH: Final = b"/cgi-bin:/scripts"


def _kb_text(call: Call, name: str) -> bytes | None:
    for value in reversed(call.rt.kb_values(name)):
        if isinstance(value, bytes):
            return value
    return None


def _kb_int(call: Call, name: str) -> int:
    for value in reversed(call.rt.kb_values(name)):
        return value if isinstance(value, int) else int(value) if value.isdigit() else 0
    return 0


def user_agent(call: Call) -> bytes:
    preferences = call.rt.services.preferences
    agent = preferences.get("HTTP User-Agent", b"").strip()
    if agent:
        return agent
    vendor = preferences.get("vendor_version", b"")
    return b"Mozilla/5.0 [en] (X11, U; %s)" % (vendor or b"OpenVAS-VT " + OPENVAS_VERSION)


def _request(method: bytes) -> Callable[[Call], Value]:
    def request(call: Call) -> Value:
        item, data, port = call.text("item"), call.text("data"), call.integer("port", -1)
        if item is None or port < 0:
            call.warn("usage: http_*(port: <port>, item: <item> [, data: <data>])")
            return None
        if not 0 < port <= 65535:
            call.warn(f"http_*: invalid port {port}")
            return None
        version = _kb_int(call, f"http/{port}")
        if version <= 0 or version == 11:
            host = host_of(call)
            if host is None:
                return None
            name = (host.names[0] if host.names else host.address).encode()
            host_header = name if port in (80, 443) else b"%s:%d" % (name, port)
            text = (
                b"%s %s HTTP/1.1\r\nConnection: Close\r\nHost: %s\r\nPragma: no-cache\r\n"
                b"Cache-Control: no-cache\r\nUser-Agent: %s\r\nAccept: %s\r\n"
                b"Accept-Language: en\r\nAccept-Charset: iso-8859-1,*,utf-8\r\n"
            ) % (method, c_string(item), host_header, user_agent(call), _ACCEPT)
        else:
            text = b"%s %s HTTP/1.0\r\n" % (method, c_string(item))
        auth = _kb_text(call, f"/tmp/http/auth/{port}") or _kb_text(call, "http/auth")
        if auth is not None:
            text += c_string(auth) + b"\r\n"
        if data is None:
            return text + b"\r\n"
        body = c_string(data)
        return text + b"Content-Length: %d\r\n\r\n" % len(body) + body

    return request


def _http_open_socket(call: Call) -> Value:
    return connect(call, call.integer(0, -1), CONNECT_TIMEOUT, ENCAPS_AUTO)


def _http_close_socket(call: Call) -> Value:
    handle = call.integer(0, -1)
    if not call.rt.connections.close(handle):
        call.warn(f"http_close_socket: {handle} is not an open socket")
    return None


def _cgibin(call: Call) -> Value:
    return call.rt.services.preferences.get("cgi_path") or _CGI_PATH


FUNCTIONS: Final[dict[str, Callable[[Call], Value]]] = {
    "http_get": _request(b"GET"),
    "http_head": _request(b"HEAD"),
    "http_post": _request(b"POST"),
    "http_put": _request(b"PUT"),
    "http_delete": _request(b"DELETE"),
    "http_open_socket": _http_open_socket,
    "http_close_socket": _http_close_socket,
    "cgibin": _cgibin,
}
