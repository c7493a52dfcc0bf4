"""Certificate built-ins: ``cert_open``, ``cert_query``, ``cert_close`` (C's ``nasl_cert.c``).

A script gets a certificate's bytes (``socket_get_cert()``, a KB item, ``base64_decode``),
opens it into a numbered object, asks it questions, and closes it. The feed's certificate
checks (``gb_ssl_tls_cert_details.nasl`` and the expired, self-signed, weak-key... checks
built on what it stores) depend on the exact form of each answer, so they follow OpenVAS:

* ``cert_open(data)``: DER, else PEM; an integer id (from 1), or NULL when it is not a
  certificate.
* ``cert_query(id, command, idx:)``: ``serial`` (upper-case hex of the DER integer, a
  leading ``00`` kept), ``issuer``/``subject`` (RFC 2253; ``subject`` with ``idx`` >= 1 the
  idx-th subjectAltName, :func:`~ixion.nasl.builtins.x509_names.alt_name`), ``not-before``/
  ``not-after`` (UTC, ``20280929T143520``), ``hostnames`` (array: the subject's CN, then every
  DNS subjectAltName), ``fpr-sha-256``/``fpr-sha-1`` (upper-case hex over the DER),
  ``image`` (the DER), ``algorithm-name``/``signature-algorithm-name``,
  ``public-key-algorithm-name``, ``modulus``/``exponent`` (RSA, big-endian, as the DER
  integer holds them), ``key-size`` (bits). ``all`` is NULL, as in OpenVAS, which never
  wrote it. An unknown command or id warns and returns NULL.
* ``cert_close(id)``; 0 does nothing.

Objects belong to the run that opened them and go with it; a run holds at most
:data:`MAX_OPEN` at once, so that a script looping over ``cert_open`` without closing
cannot grow without bound.
"""

from __future__ import annotations

import hashlib
import threading
import weakref
from typing import TYPE_CHECKING, Final

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from ixion.nasl.builtins import x509_names
from ixion.nasl.runtime.values import NaslArray, NaslString, Value

if TYPE_CHECKING:
    from collections.abc import Callable

    from ixion.nasl.runtime.run import Call, Runtime

__all__ = ["FUNCTIONS", "MAX_OPEN"]

#: Certificate objects one run may hold open at once.
MAX_OPEN: Final = 1024


class _Objects:
    """One run's open certificates, by id."""

    def __init__(self) -> None:
        self.open: dict[int, x509.Certificate] = {}
        self.last = 0


_TABLES: weakref.WeakKeyDictionary[Runtime, _Objects] = weakref.WeakKeyDictionary()
#: Runs of several scripts share the process (the engine's threads): one table at a time.
_LOCK: Final = threading.Lock()


def _objects(rt: Runtime) -> _Objects:
    with _LOCK:
        table = _TABLES.get(rt)
        if table is None:
            table = _TABLES[rt] = _Objects()
        return table


def _parse(data: bytes) -> x509.Certificate | None:
    for load in (x509.load_der_x509_certificate, x509.load_pem_x509_certificate):
        try:
            return load(data)
        except ValueError:
            continue
    return None


def _cert_open(call: Call) -> Value:
    data = call.text(0)
    if not data:
        call.warn("cert_open: no certificate passed")
        return None
    cert = _parse(data)
    if cert is None:
        call.warn("cert_open: not a DER or PEM certificate")
        return None
    table = _objects(call.rt)
    if len(table.open) >= MAX_OPEN:
        call.warn(f"cert_open: too many open certificates (at most {MAX_OPEN})")
        return None
    table.last += 1
    table.open[table.last] = cert
    return table.last


def _cert_close(call: Call) -> Value:
    handle = call.integer(0, -1)
    if handle == 0:
        return None
    if _objects(call.rt).open.pop(handle, None) is None:
        call.warn(f"cert_close: {handle} is not an open certificate")
    return None


def _text(value: str) -> NaslString:
    return NaslString(value.encode("utf-8", "surrogateescape"))


def _integer_bytes(number: int) -> bytes:
    """``number`` as a DER INTEGER's content: big-endian, a leading zero when the top bit is
    set (so that it stays positive)."""
    return number.to_bytes(number.bit_length() // 8 + 1, "big", signed=True)


def _alt_names(cert: x509.Certificate) -> list[str]:
    try:
        extension = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except (x509.ExtensionNotFound, ValueError):
        return []
    return [text for name in extension.value if (text := x509_names.alt_name(name)) is not None]


def _subject(cert: x509.Certificate, idx: int) -> Value:
    if idx == 0:
        return _text(x509_names.distinguished_name(cert.subject))
    names = _alt_names(cert)
    return _text(names[idx - 1]) if 0 < idx <= len(names) else None


def _hostnames(cert: x509.Certificate) -> Value:
    found = NaslArray()
    common = cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    if common:  # the CN that RFC 2253 shows first: the last one in the certificate
        value = common[-1].value
        found.append(value if isinstance(value, bytes) else value.encode("utf-8"))
    try:
        extension = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except (x509.ExtensionNotFound, ValueError):
        return found
    for name in extension.value.get_values_for_type(x509.DNSName):
        found.append(name.encode("utf-8", "replace"))
    return found


def _rsa_part(cert: x509.Certificate, which: int) -> Value:
    numbers = x509_names.rsa_numbers(cert)
    return None if numbers is None else _integer_bytes(numbers[which])


def _key_algorithm(cert: x509.Certificate) -> Value:
    name = x509_names.key_algorithm(cert)
    return None if name is None else _text(name)


def _der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(Encoding.DER)


_QUERIES: Final[dict[bytes, Callable[[x509.Certificate, int], Value]]] = {
    b"serial": lambda cert, _: _text(_integer_bytes(cert.serial_number).hex().upper()),
    b"issuer": lambda cert, idx: (
        _text(x509_names.distinguished_name(cert.issuer)) if idx == 0 else None
    ),
    b"subject": _subject,
    b"not-before": lambda cert, _: _text(f"{cert.not_valid_before_utc:%Y%m%dT%H%M%S}"),
    b"not-after": lambda cert, _: _text(f"{cert.not_valid_after_utc:%Y%m%dT%H%M%S}"),
    b"all": lambda cert, _: None,
    b"hostnames": lambda cert, _: _hostnames(cert),
    b"fpr-sha-256": lambda cert, _: _text(hashlib.sha256(_der(cert)).hexdigest().upper()),
    b"fpr-sha-1": lambda cert, _: _text(hashlib.sha1(_der(cert)).hexdigest().upper()),
    b"image": lambda cert, _: _der(cert),
    b"algorithm-name": lambda cert, _: _text(x509_names.signature_algorithm(cert)),
    b"signature-algorithm-name": lambda cert, _: _text(x509_names.signature_algorithm(cert)),
    b"public-key-algorithm-name": lambda cert, _: _key_algorithm(cert),
    b"modulus": lambda cert, _: _rsa_part(cert, 0),
    b"exponent": lambda cert, _: _rsa_part(cert, 1),
    b"key-size": lambda cert, _: x509_names.key_bits(cert),
}


def _cert_query(call: Call) -> Value:
    handle = call.integer(0, -1)
    cert = _objects(call.rt).open.get(handle)
    if cert is None:
        call.warn(f"cert_query: {handle} is not an open certificate")
        return None
    command = call.text(1) or b""
    query = _QUERIES.get(command)
    if query is None:
        call.warn(f"cert_query: unknown command {command!r}")
        return None
    try:
        return query(cert, call.integer("idx", 0))
    except ValueError as error:  # a field cryptography cannot decode
        call.warn(f"cert_query: {command.decode('ascii', 'replace')}: {error}")
        return None


FUNCTIONS: Final[dict[str, Callable[[Call], Value]]] = {
    "cert_open": _cert_open,
    "cert_query": _cert_query,
    "cert_close": _cert_close,
}
