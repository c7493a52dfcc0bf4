"""TLS socket built-ins (C's ``nasl_socket.c``): what a TLS connection negotiated, and
STARTTLS.

* ``socket_negotiate_ssl(socket:, transport:)`` starts TLS on an open clear socket (after a
  protocol's STARTTLS); ``transport`` is an ``ENCAPS_*`` number, ``ENCAPS_TLScustom`` (any
  version) by default. The socket keeps its number; when the handshake fails it is closed
  and the answer is NULL, as OpenVAS does.
* ``socket_get_cert(socket:)``: the server's certificate, DER; ``get_sock_info(soc,
  "tls-cert")`` the whole chain it sent.
* ``socket_get_ssl_version(socket:)``: GnuTLS' protocol number (SSL 3.0 is 1, TLS 1.0 2, ...
  TLS 1.3 5); ``socket_get_ssl_ciphersuite(socket:)``: the suite's IANA number (0xC02F);
  ``socket_get_ssl_session_id(socket:)``: the session id, NULL when empty.
* ``socket_check_ssl_safe_renegotiation(socket:)``: 1 when the server's hello offered secure
  renegotiation (RFC 5746), 0 when not (always for TLS 1.3, which has no renegotiation),
  NULL when unknown.
* ``socket_cert_verify(socket:)``: 0 when the chain leads to an authority the machine
  trusts, else GnuTLS' status bits (:mod:`ixion.nasl.builtins.trust`).
* ``get_sock_info(soc, keyword, asstring:)``: ``encaps``, ``tls-proto``, ``tls-kx``,
  ``tls-certtype``, ``tls-cipher``, ``tls-mac``, ``tls-comp``, ``tls-auth`` in GnuTLS' words
  (``"n/a"`` on a clear socket), ``tls-cert``.

Where ixion differs: ``socket_ssl_do_handshake`` (a renegotiation on the open connection) is
not defined, because Python's ``ssl`` cannot renegotiate; the feed's renegotiation checks ask
``defined_func()`` first and stop. SSLv2 and SSLv3 cannot be negotiated (OpenSSL 3 has
neither). ``encaps`` reports the version negotiated (``ENCAPS_TLSv12``...), not the one
asked for.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Final

from ixion.nasl.builtins import trust
from ixion.nasl.builtins.network import ENCAPS_IP, remaining, socket_of, transport_for
from ixion.nasl.network.host import ConnectionRefused
from ixion.nasl.runtime.values import NaslArray, NaslString, Value

if TYPE_CHECKING:
    from collections.abc import Callable

    from ixion.nasl.network.host import TlsInfo
    from ixion.nasl.runtime.run import Call

__all__ = ["FUNCTIONS"]

ENCAPS_TLSCUSTOM: Final = 9
#: Seconds a STARTTLS handshake may take.
HANDSHAKE_TIMEOUT: Final = 10
#: OpenSSL's version names -> (GnuTLS' protocol number, its name, the ``ENCAPS_*`` number).
_VERSIONS: Final = {
    "SSLv3": (1, "SSL3.0", 4),
    "TLSv1": (2, "TLS1.0", 5),
    "TLSv1.1": (3, "TLS1.1", 6),
    "TLSv1.2": (4, "TLS1.2", 7),
    "TLSv1.3": (5, "TLS1.3", 8),
}
_ENCAPS_NAMES: Final = {
    0: "AUTO",
    1: "IP",
    2: "SSLv23",
    3: "SSLv2",
    4: "SSLv3",
    5: "TLSv1",
    6: "TLSv11",
    7: "TLSv12",
    8: "TLSv13",
    9: "TLScustom",
}
#: OpenSSL's names of ciphers where GnuTLS' are not simply the same in capitals.
_CIPHERS: Final = {"des-ede3-cbc": "3DES-CBC", "rc4": "ARCFOUR-128", "null": "NULL"}


def _tls(call: Call) -> TlsInfo | None:
    """The TLS state of the ``socket:`` argument; None (NULL) for a clear or unknown one."""
    sock = socket_of(call, "socket")
    return None if sock is None else sock.connection.tls_info()


def _negotiate(call: Call) -> Value:
    handle = call.integer("socket", -1)
    sock = socket_of(call, "socket")
    if sock is None:
        return None
    encaps = call.integer("transport", ENCAPS_TLSCUSTOM)
    transport = transport_for(ENCAPS_TLSCUSTOM if encaps == -1 else encaps)
    if transport is None or transport == "clear":
        call.warn(f"socket_negotiate_ssl: cannot negotiate transport {encaps}")
        return None
    if sock.udp or sock.connection.tls_info() is not None:
        call.warn(f"socket_negotiate_ssl: {handle} is not a clear TCP socket")
        return None
    try:
        sock.connection.start_tls(transport, remaining(call, HANDSHAKE_TIMEOUT))
    except ConnectionRefused:
        call.rt.connections.close(handle)
        call.rt.check_deadline()
        return None
    return handle


def _cert(call: Call) -> Value:
    info = _tls(call)
    return info.chain[0] if info is not None and info.chain else None


def _version(call: Call) -> Value:
    info = _tls(call)
    known = None if info is None else _VERSIONS.get(info.version)
    return None if known is None else known[0]


def _ciphersuite(call: Call) -> Value:
    info = _tls(call)
    return None if info is None else info.cipher_id


def _session_id(call: Call) -> Value:
    info = _tls(call)
    return info.session_id if info is not None and info.session_id else None


def _safe_renegotiation(call: Call) -> Value:
    info = _tls(call)
    if info is None or info.secure_renegotiation is None:
        return None
    return int(info.secure_renegotiation and info.version != "TLSv1.3")


def _cert_verify(call: Call) -> Value:
    info = _tls(call)
    if info is None or not info.chain:
        return None
    now = datetime.datetime.fromtimestamp(
        call.rt.observe(call.rt.services.clock.time), datetime.UTC
    )
    try:
        return trust.verify_chain(info.chain, now)
    except ValueError as error:
        call.warn(f"socket_cert_verify: {error}")
        return None


def _key_exchange(info: TlsInfo) -> str:
    """GnuTLS' name of the key exchange: ``ECDHE-RSA``, ``DHE-DSS``, ``RSA``, ``ANON-DH``."""
    kx = info.key_exchange.removeprefix("kx-").upper()
    auth = info.authentication.removeprefix("auth-").upper()
    if kx in ("", "ANY"):  # TLS 1.3: always an ephemeral elliptic-curve exchange here
        kx = "ECDHE"
    if auth == "NULL":
        return f"ANON-{kx.removesuffix('E')}"
    if kx in ("RSA", "PSK") or auth in ("", "ANY"):
        return kx
    return f"{kx}-{auth}"


def _cipher(info: TlsInfo) -> str:
    return _CIPHERS.get(info.symmetric, info.symmetric.upper())


def _mac(info: TlsInfo) -> str:
    return "AEAD" if info.aead else info.digest.upper().replace("-", "")


_DETAILS: Final[dict[bytes, Callable[[TlsInfo], str]]] = {
    b"tls-proto": lambda info: _VERSIONS.get(info.version, (0, "[?]"))[1],
    b"tls-kx": _key_exchange,
    b"tls-certtype": lambda info: "X.509" if info.chain else "",
    b"tls-cipher": _cipher,
    b"tls-mac": _mac,
    b"tls-comp": lambda info: "NULL",
    b"tls-auth": lambda info: "CERT" if info.chain else "ANON",
}


def _sock_info(call: Call) -> Value:
    sock = socket_of(call, 0)
    keyword = call.text(1)
    if sock is None or keyword is None:
        return None
    info = sock.connection.tls_info()
    if keyword == b"encaps":
        encaps = ENCAPS_IP if info is None else _VERSIONS.get(info.version, (0, "", 9))[2]
        if call.integer("asstring", 0):
            return NaslString(_ENCAPS_NAMES[encaps].encode())
        return encaps
    if keyword == b"tls-cert":
        return NaslArray(info.chain) if info is not None and info.chain else None
    detail = _DETAILS.get(keyword)
    if detail is None:
        call.warn(f"get_sock_info: unknown keyword {keyword!r}")
        return None
    return NaslString(b"n/a" if info is None else detail(info).encode())


FUNCTIONS: Final[dict[str, Callable[[Call], Value]]] = {
    "socket_negotiate_ssl": _negotiate,
    "socket_get_cert": _cert,
    "socket_get_ssl_version": _version,
    "socket_get_ssl_ciphersuite": _ciphersuite,
    "socket_get_ssl_session_id": _session_id,
    "socket_check_ssl_safe_renegotiation": _safe_renegotiation,
    "socket_cert_verify": _cert_verify,
    "get_sock_info": _sock_info,
}
