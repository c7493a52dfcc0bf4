"""How OpenVAS spells the parts of an X.509 certificate (for ``cert_query``).

OpenVAS reads certificates with libksba and GnuTLS, and the feed's scripts compare what it
prints: distinguished names in RFC 2253 form, most specific part first
(``CN=www.example.com,O=Example,C=DE``); other subjectAltNames as libgcrypt's "advanced"
S-expressions (``(dns-name www.example.com)``) or ``<mailbox>``; signature algorithms by
their Wireshark names (``sha256WithRSAEncryption``, the dotted OID when unnamed); public-key
algorithms by GnuTLS' names (``RSA``, ``EC/ECDSA``), which ``gb_ssl_tls_rsa_key_*.nasl``
match with a regular expression.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Final

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa, x448, x25519

if TYPE_CHECKING:
    from cryptography.x509.general_name import GeneralName

__all__ = [
    "alt_name",
    "distinguished_name",
    "key_algorithm",
    "key_bits",
    "rsa_numbers",
    "signature_algorithm",
]

#: Attribute types by the short names libksba prints; any other shows as its dotted OID.
_ATTRIBUTES: Final = {
    "2.5.4.3": "CN",
    "2.5.4.4": "SN",
    "2.5.4.5": "SERIALNUMBER",
    "2.5.4.6": "C",
    "2.5.4.7": "L",
    "2.5.4.8": "ST",
    "2.5.4.9": "STREET",
    "2.5.4.10": "O",
    "2.5.4.11": "OU",
    "2.5.4.12": "T",
    "2.5.4.42": "GN",
    "2.5.4.43": "I",
    "0.9.2342.19200300.100.1.1": "UID",
    "0.9.2342.19200300.100.1.25": "DC",
    "1.2.840.113549.1.9.1": "EMail",
}

#: Signature (and a few key and digest) algorithm names, from the standards that define them.
_SIGNATURES: Final = {
    "1.2.840.113549.1.1.1": "rsaEncryption",
    "1.2.840.113549.1.1.2": "md2WithRSAEncryption",
    "1.2.840.113549.1.1.3": "md4WithRSAEncryption",
    "1.2.840.113549.1.1.4": "md5WithRSAEncryption",
    "1.2.840.113549.1.1.5": "sha1WithRSAEncryption",
    "1.2.840.113549.1.1.10": "id-RSASSA-PSS",
    "1.2.840.113549.1.1.11": "sha256WithRSAEncryption",
    "1.2.840.113549.1.1.12": "sha384WithRSAEncryption",
    "1.2.840.113549.1.1.13": "sha512WithRSAEncryption",
    "1.2.840.113549.1.1.14": "sha224WithRSAEncryption",
    "1.2.840.10040.4.1": "id-dsa",
    "1.2.840.10040.4.3": "id-dsa-with-sha1",
    "2.16.840.1.101.3.4.3.1": "id-dsa-with-sha224",
    "2.16.840.1.101.3.4.3.2": "id-dsa-with-sha256",
    "1.2.840.10045.2.1": "id-ecPublicKey",
    "1.2.840.10045.4.1": "ecdsa-with-SHA1",
    "1.2.840.10045.4.3.1": "ecdsa-with-SHA224",
    "1.2.840.10045.4.3.2": "ecdsa-with-SHA256",
    "1.2.840.10045.4.3.3": "ecdsa-with-SHA384",
    "1.2.840.10045.4.3.4": "ecdsa-with-SHA512",
    "1.3.101.112": "Ed25519",
    "1.3.101.113": "Ed448",
    "1.2.840.113549.2.2": "md2",
    "1.2.840.113549.2.4": "md4",
    "1.2.840.113549.2.5": "md5",
}

#: Public-key algorithms named by their OID alone (RSA-PSS; finite-field Diffie-Hellman,
#: which ``cryptography`` deprecates loading).
_KEY_OIDS: Final = {"1.2.840.113549.1.1.10": "RSA-PSS", "1.2.840.10046.2.1": "DH"}

#: The characters of a bare S-expression token (libgcrypt prints anything else quoted).
_TOKEN: Final = re.compile(rb"[A-Za-z\-./_:*+=][A-Za-z0-9\-./_:*+=]*")
_PRINTABLE: Final = re.compile(rb"[\x20-\x7e]*")
#: What RFC 2253 escapes with a backslash anywhere in a value.
_SPECIAL: Final = frozenset(',+"\\<>;=')


def _escape(value: str) -> str:
    out = []
    for position, char in enumerate(value):
        edge = (position == 0 and char in "# ") or (position == len(value) - 1 and char == " ")
        if char in _SPECIAL or edge:
            out.append("\\" + char)
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\{ord(char):02X}")
        else:
            out.append(char)
    return "".join(out)


def _attribute(attribute: x509.NameAttribute[str | bytes]) -> str:
    oid = attribute.oid.dotted_string
    value = attribute.value
    if isinstance(value, bytes):  # an X.500 unique identifier: shown as hex, as RFC 2253 says
        return f"{_ATTRIBUTES.get(oid, oid)}=#{value.hex().upper()}"
    return f"{_ATTRIBUTES.get(oid, oid)}={_escape(value)}"


def distinguished_name(name: x509.Name) -> str:
    """``name`` in RFC 2253 form: the last RDN first, parts of one RDN joined by ``+``."""
    return ",".join(
        "+".join(_attribute(attribute) for attribute in rdn) for rdn in reversed(name.rdns)
    )


def _sexp_atom(data: bytes) -> str:
    if _TOKEN.fullmatch(data):
        return data.decode("ascii")
    if _PRINTABLE.fullmatch(data):
        quoted = data.decode("ascii").replace("\\", "\\\\").replace('"', '\\"')
        return f'"{quoted}"'
    return f"#{data.hex().upper()}#"


def alt_name(name: GeneralName) -> str | None:
    """One subjectAltName as libksba gives it; None for the kinds it passes over."""
    if isinstance(name, x509.DNSName):
        return f"(dns-name {_sexp_atom(name.value.encode('utf-8', 'replace'))})"
    if isinstance(name, x509.RFC822Name):
        return f"<{name.value}>"
    if isinstance(name, x509.UniformResourceIdentifier):
        return f"(uri {_sexp_atom(name.value.encode('utf-8', 'replace'))})"
    if isinstance(name, x509.DirectoryName):
        return distinguished_name(name.value)
    return None


def signature_algorithm(cert: x509.Certificate) -> str:
    oid = cert.signature_algorithm_oid.dotted_string
    return _SIGNATURES.get(oid, oid)


def _public_key(cert: x509.Certificate) -> object | None:
    try:
        return cert.public_key()
    except (ValueError, UnsupportedAlgorithm):  # a key it does not know, or a broken one
        return None


def key_algorithm(cert: x509.Certificate) -> str | None:
    """The public key's algorithm as GnuTLS names it; None when unknown."""
    oid = cert.public_key_algorithm_oid.dotted_string
    if oid in _KEY_OIDS:  # kinds whose keys are not worth loading for their name
        return _KEY_OIDS[oid]
    key = _public_key(cert)
    names: tuple[tuple[type, str], ...] = (
        (rsa.RSAPublicKey, "RSA"),
        (dsa.DSAPublicKey, "DSA"),
        (ec.EllipticCurvePublicKey, "EC/ECDSA"),
        (ed25519.Ed25519PublicKey, "EdDSA (Ed25519)"),
        (ed448.Ed448PublicKey, "EdDSA (Ed448)"),
        (x25519.X25519PublicKey, "ECDH (X25519)"),
        (x448.X448PublicKey, "ECDH (X448)"),
    )
    for kind, name in names:
        if isinstance(key, kind):
            return name
    return None


def key_bits(cert: x509.Certificate) -> int:
    """The key's size in bits as GnuTLS counts it (RSA modulus, DSA prime, curve size); 0
    when unknown."""
    key = _public_key(cert)
    if isinstance(key, rsa.RSAPublicKey | dsa.DSAPublicKey):
        return key.key_size
    if isinstance(key, ec.EllipticCurvePublicKey):
        return key.curve.key_size
    if isinstance(key, ed25519.Ed25519PublicKey | x25519.X25519PublicKey):
        return 256
    if isinstance(key, ed448.Ed448PublicKey | x448.X448PublicKey):
        return 456
    return 0


def rsa_numbers(cert: x509.Certificate) -> tuple[int, int] | None:
    """The RSA key's modulus and exponent; None for another kind of key."""
    key = _public_key(cert)
    if not isinstance(key, rsa.RSAPublicKey):
        return None
    numbers = key.public_numbers()
    return numbers.n, numbers.e
