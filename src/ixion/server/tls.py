"""ixiond's TLS: the server context built from the conf, and the client's DN (spec §1.2, §1.5).

TLS is implicit, as in nessusd: the handshake starts as soon as TCP connects (§1.2). What the
context does follows nessusd's ``main_loop`` key by key, except where 2005's protocols are gone:

* ``ssl_version`` (compared case-insensitively) says the *oldest* protocol accepted; see
  :data:`MINIMUM_TLS_VERSIONS`. nessusd's words ``SSLv2``, ``SSLv3``, ``SSLv23`` and ``TLSv1``
  all mean TLS 1.2 or newer: SSL 2 and 3 no longer exist in OpenSSL, and TLS 1.0 is what a
  2005 conf wrote by default, not a wish for it (the recorded runs used ``SSLv23`` and
  negotiated TLS 1.3, transcripts/README.md). Only an explicit ``TLSv1.0`` or ``TLSv1.1``
  lowers the minimum, for a client too old for TLS 1.2; OpenSSL 3 then also needs
  ``@SECLEVEL=0``, which is added to the cipher list.
* ``cert_file``, ``key_file`` and ``ca_file`` must exist (nessusd exited without them); the
  error names the key and the path. ``pem_password`` decrypts ``key_file``; a key that needs a
  passphrase and has none is an error, never a prompt on the terminal.
* A client certificate is always requested and, when sent, verified against ``ca_file``
  (``CERT_OPTIONAL``, nessusd's ``SSL_VERIFY_PEER``); ``force_pubkey_auth`` (anything but empty
  or ``no``, already read by :class:`~ixion.server.option_types.Truth`) makes it required
  (``CERT_REQUIRED``, ``SSL_VERIFY_FAIL_IF_NO_PEER_CERT``).
* ``ssl_cipher_list`` is an OpenSSL cipher string for TLS 1.2 and older (TLS 1.3 suites are
  all strong). nessusd's shortcuts named RC4, DES and IDEA suites OpenSSL no longer has; they
  are kept as today's equivalent (:data:`CIPHER_SHORTCUTS`). A string OpenSSL cannot use stops
  the daemon instead of being logged and ignored.

The client's DN is OpenSSL's ``X509_NAME_oneline`` form, which nessusd compared with the lines
of ``auth/dname``: ``/C=FR/ST=Paris/O=Lab/CN=alice/emailAddress=alice@lab``. The e-mail
attribute's short name was ``Email`` up to OpenSSL 0.9.6 and is ``emailAddress`` since 0.9.7;
nessus-adduser still wrote ``/Email=`` (§7.2), so both spellings are in users' files.
:func:`peer_dn` gives today's spelling and :func:`canonical_dn` maps either to it, for
comparing a presented DN with a stored one.
"""

from __future__ import annotations

import ssl
import warnings
from typing import TYPE_CHECKING, Final

from cryptography import x509

from ixion.server.config import ConfigError

if TYPE_CHECKING:
    from pathlib import Path

    from ixion.server.options import Settings

__all__ = [
    "CIPHER_SHORTCUTS",
    "MINIMUM_TLS_VERSIONS",
    "canonical_dn",
    "minimum_tls_version",
    "peer_dn",
    "server_context",
    "x509_oneline",
]

#: ``ssl_version`` words, lowercased, and the oldest protocol each accepts; ``NONE`` is
#: plaintext and has no entry.
MINIMUM_TLS_VERSIONS: Final[dict[str, ssl.TLSVersion]] = {
    "sslv2": ssl.TLSVersion.TLSv1_2,
    "sslv3": ssl.TLSVersion.TLSv1_2,
    "sslv23": ssl.TLSVersion.TLSv1_2,
    "tlsv1": ssl.TLSVersion.TLSv1_2,
    "tlsv1.0": ssl.TLSVersion.TLSv1,
    "tlsv1.1": ssl.TLSVersion.TLSv1_1,
    "tlsv1.2": ssl.TLSVersion.TLSv1_2,
    "tlsv1.3": ssl.TLSVersion.TLSv1_3,
}

#: nessusd's ``ssl_cipher_list`` shortcuts (compared exactly, as nessusd did) and what they
#: mean now. ``noexp`` removed export suites, which OpenSSL dropped long ago; ``strong`` kept
#: 3DES/RC4/IDEA-class suites, now HIGH; ``edh`` kept ephemeral Diffie-Hellman only.
CIPHER_SHORTCUTS: Final[dict[str, str]] = {
    "noexp": "DEFAULT",
    "strong": "HIGH:!aNULL",
    "edh": "ECDHE:DHE:!aNULL",
}

#: OpenSSL 3 refuses TLS 1.0 and 1.1 (their MD5-SHA1 signatures) above security level 0.
_LEGACY_SECURITY_LEVEL: Final = "@SECLEVEL=0"

#: OpenSSL's short names (``OBJ_nid2sn``) of the attributes certificates carry; any other
#: attribute is written as its dotted OID, as ``X509_NAME_oneline`` does.
_SHORT_NAMES: Final[dict[str, str]] = {
    "2.5.4.3": "CN",
    "2.5.4.4": "SN",
    "2.5.4.5": "serialNumber",
    "2.5.4.6": "C",
    "2.5.4.7": "L",
    "2.5.4.8": "ST",
    "2.5.4.9": "street",
    "2.5.4.10": "O",
    "2.5.4.11": "OU",
    "2.5.4.12": "title",
    "2.5.4.13": "description",
    "2.5.4.15": "businessCategory",
    "2.5.4.17": "postalCode",
    "2.5.4.41": "name",
    "2.5.4.42": "GN",
    "2.5.4.43": "initials",
    "2.5.4.44": "generationQualifier",
    "2.5.4.45": "x500UniqueIdentifier",
    "2.5.4.46": "dnQualifier",
    "2.5.4.65": "pseudonym",
    "2.5.4.97": "organizationIdentifier",
    "0.9.2342.19200300.100.1.1": "UID",
    "0.9.2342.19200300.100.1.25": "DC",
    "1.2.840.113549.1.9.1": "emailAddress",
    "1.2.840.113549.1.9.2": "unstructuredName",
    "1.3.6.1.4.1.311.60.2.1.1": "jurisdictionL",
    "1.3.6.1.4.1.311.60.2.1.2": "jurisdictionST",
    "1.3.6.1.4.1.311.60.2.1.3": "jurisdictionC",
}

#: ASN.1 string types whose characters take more than one byte each, by tag number: OpenSSL
#: writes their raw bytes, escaped, so ``A`` in a BMPString is ``\\x00A``.
_WIDE_STRING_CODECS: Final[dict[int, str]] = {30: "utf-16-be", 28: "utf-32-be"}

_EMAIL_SPELLINGS: Final = ("/Email=", "/emailAddress=")


def minimum_tls_version(ssl_version: str) -> ssl.TLSVersion | None:
    """The oldest protocol an ``ssl_version`` word accepts; None for ``NONE`` (plaintext).

    Raises:
        ConfigError: a word not in :data:`MINIMUM_TLS_VERSIONS` (the conf loader already
            replaces such a value with ``TLSv1``, so only a hand-made Settings gets here).
    """
    word = ssl_version.lower()
    if word == "none":
        return None
    try:
        return MINIMUM_TLS_VERSIONS[word]
    except KeyError:
        known = ", ".join(("NONE", *MINIMUM_TLS_VERSIONS))
        raise ConfigError(f"ssl_version = {ssl_version}: not one of {known}") from None


def server_context(settings: Settings) -> ssl.SSLContext | None:
    """The context every connection's handshake uses; None when ``ssl_version`` is ``NONE``.

    Raises:
        ConfigError: naming the key, when a file is missing or unusable, the key's
            passphrase is wrong or missing, or OpenSSL refuses ``ssl_cipher_list``.
    """
    minimum = minimum_tls_version(settings.ssl_version)
    if minimum is None:
        return None
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    with warnings.catch_warnings():
        # Python deprecates TLS 1.0 and 1.1; the administrator asked for them by name.
        warnings.simplefilter("ignore", DeprecationWarning)
        context.minimum_version = minimum
    _set_ciphers(context, settings.ssl_cipher_list, legacy=minimum < ssl.TLSVersion.TLSv1_2)
    _load_server_certificate(context, settings)
    _load_client_ca(context, settings.ca_file)
    context.verify_mode = ssl.CERT_REQUIRED if settings.force_pubkey_auth else ssl.CERT_OPTIONAL
    return context


def _set_ciphers(context: ssl.SSLContext, cipher_list: str | None, *, legacy: bool) -> None:
    ciphers = CIPHER_SHORTCUTS.get(cipher_list or "", cipher_list or "")
    if legacy and "@SECLEVEL" not in ciphers:
        ciphers = f"{ciphers or 'DEFAULT'}:{_LEGACY_SECURITY_LEVEL}"
    if not ciphers:
        return
    try:
        context.set_ciphers(ciphers)
    except ssl.SSLError:
        raise ConfigError(
            f"ssl_cipher_list = {cipher_list}: OpenSSL accepts no cipher in {ciphers!r}"
        ) from None


def _require_file(key: str, path: Path) -> None:
    if not path.is_file():
        raise ConfigError(f"{key} = {path}: no such file; ixion-mkcert makes one")


def _load_server_certificate(context: ssl.SSLContext, settings: Settings) -> None:
    _require_file("cert_file", settings.cert_file)
    _require_file("key_file", settings.key_file)
    # A callback, even for no passphrase: OpenSSL would otherwise ask on the terminal.
    passphrase = settings.pem_password or ""
    try:
        context.load_cert_chain(settings.cert_file, settings.key_file, lambda: passphrase)
    except ssl.SSLError as exc:
        raise ConfigError(
            f"cert_file = {settings.cert_file}, key_file = {settings.key_file}: cannot load "
            f"them ({exc.reason or exc}): not PEM, a key not matching the certificate, or a "
            "wrong or missing pem_password"
        ) from None
    except OSError as exc:
        raise ConfigError(f"cert_file/key_file: {exc.filename}: {exc.strerror}") from None


def _load_client_ca(context: ssl.SSLContext, ca_file: Path) -> None:
    _require_file("ca_file", ca_file)
    try:
        context.load_verify_locations(cafile=ca_file)
    except ssl.SSLError as exc:
        raise ConfigError(f"ca_file = {ca_file}: no certificate in it ({exc.reason})") from None
    except OSError as exc:
        raise ConfigError(f"ca_file = {ca_file}: {exc.strerror}") from None


# --- the client's DN -------------------------------------------------------------------------


def peer_dn(ssl_object: ssl.SSLObject | ssl.SSLSocket | None) -> str | None:
    """The client certificate's subject as nessusd saw it, or None without one (§1.2, §1.5).

    ``ssl_object`` is what ``writer.get_extra_info("ssl_object")`` gives: None on a plaintext
    connection. The certificate was verified against ``ca_file`` during the handshake. A
    certificate with an empty subject gives None, as nessusd's empty DN meant no certificate.
    nessusd cut a subject longer than 255 characters at the last whole attribute; this one is
    never cut, so two certificates that differ only after the cut stay two users.
    """
    if ssl_object is None:
        return None
    der = ssl_object.getpeercert(binary_form=True)
    if not der:
        return None
    try:
        certificate = x509.load_der_x509_certificate(der)
    except ValueError:  # OpenSSL took it, cryptography is stricter: no DN, the password decides
        return None
    return x509_oneline(certificate.subject) or None


def x509_oneline(name: x509.Name) -> str:
    """``name`` in OpenSSL's ``X509_NAME_oneline`` form: ``/C=FR/O=Lab/CN=alice``.

    Attributes come in certificate order, each as ``/<short name>=<value>``; bytes of the
    value outside printable ASCII are written ``\\xHH`` (upper-case hex), and ``/`` or ``=``
    inside a value are not escaped, exactly as OpenSSL does.
    """
    return "".join(
        f"/{_short_name(attribute.oid)}={_escaped(_value_bytes(attribute))}" for attribute in name
    )


def canonical_dn(dn: str) -> str:
    """``dn`` with the e-mail attribute spelt ``emailAddress``, whichever OpenSSL wrote it.

    Two DNs name the same subject when their canonical forms are equal: a line nessus-adduser
    wrote as ``.../CN=alice/Email=a@lab`` matches the presented ``.../emailAddress=a@lab``.
    """
    old, new = _EMAIL_SPELLINGS
    return dn.replace(old, new)


def _short_name(oid: x509.ObjectIdentifier) -> str:
    return _SHORT_NAMES.get(oid.dotted_string, oid.dotted_string)


def _value_bytes(attribute: x509.NameAttribute[str | bytes]) -> bytes:
    value = attribute.value
    if isinstance(value, bytes):
        return value
    # cryptography decoded the value; encode it back as the certificate held it.
    codec = _WIDE_STRING_CODECS.get(attribute._type.value, "utf-8")
    return value.encode(codec)


def _escaped(raw: bytes) -> str:
    return "".join(chr(byte) if 0x20 <= byte <= 0x7E else f"\\x{byte:02X}" for byte in raw)
