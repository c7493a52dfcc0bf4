"""TLS cipher suites by their IANA numbers: the weak ones a scanner asks about, and why.

Debian's OpenSSL 3 can no longer offer RC4, DES, triple DES or export suites, so it cannot ask
a server whether it still accepts them; :mod:`ixion.plugins._tls_hello` offers them by number
instead. The numbers and names are the IANA "TLS Cipher Suites" registry's; what is wrong
with each suite follows from its name (:func:`weaknesses`), so the table holds no judgement
of its own. PSK, SRP and Kerberos suites are left out: a server picks them only for a client
that holds a pre-shared key or a ticket, which a scanner does not.
"""

from __future__ import annotations

import functools
import re
import ssl
from types import MappingProxyType
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["COMMON_SUITES", "WEAK_SUITES", "openssl_names", "suite_name", "weaknesses"]

#: Weak suites a server might still pick: no encryption, export grade, single or triple DES,
#: RC4, RC2, and key exchanges that authenticate nobody (``anon``).
WEAK_SUITES: Final = MappingProxyType(
    {
        0x0001: "TLS_RSA_WITH_NULL_MD5",
        0x0002: "TLS_RSA_WITH_NULL_SHA",
        0x0003: "TLS_RSA_EXPORT_WITH_RC4_40_MD5",
        0x0004: "TLS_RSA_WITH_RC4_128_MD5",
        0x0005: "TLS_RSA_WITH_RC4_128_SHA",
        0x0006: "TLS_RSA_EXPORT_WITH_RC2_CBC_40_MD5",
        0x0008: "TLS_RSA_EXPORT_WITH_DES40_CBC_SHA",
        0x0009: "TLS_RSA_WITH_DES_CBC_SHA",
        0x000A: "TLS_RSA_WITH_3DES_EDE_CBC_SHA",
        0x000B: "TLS_DH_DSS_EXPORT_WITH_DES40_CBC_SHA",
        0x000C: "TLS_DH_DSS_WITH_DES_CBC_SHA",
        0x000D: "TLS_DH_DSS_WITH_3DES_EDE_CBC_SHA",
        0x000E: "TLS_DH_RSA_EXPORT_WITH_DES40_CBC_SHA",
        0x000F: "TLS_DH_RSA_WITH_DES_CBC_SHA",
        0x0010: "TLS_DH_RSA_WITH_3DES_EDE_CBC_SHA",
        0x0011: "TLS_DHE_DSS_EXPORT_WITH_DES40_CBC_SHA",
        0x0012: "TLS_DHE_DSS_WITH_DES_CBC_SHA",
        0x0013: "TLS_DHE_DSS_WITH_3DES_EDE_CBC_SHA",
        0x0014: "TLS_DHE_RSA_EXPORT_WITH_DES40_CBC_SHA",
        0x0015: "TLS_DHE_RSA_WITH_DES_CBC_SHA",
        0x0016: "TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA",
        0x0017: "TLS_DH_anon_EXPORT_WITH_RC4_40_MD5",
        0x0018: "TLS_DH_anon_WITH_RC4_128_MD5",
        0x0019: "TLS_DH_anon_EXPORT_WITH_DES40_CBC_SHA",
        0x001A: "TLS_DH_anon_WITH_DES_CBC_SHA",
        0x001B: "TLS_DH_anon_WITH_3DES_EDE_CBC_SHA",
        0x0034: "TLS_DH_anon_WITH_AES_128_CBC_SHA",
        0x003A: "TLS_DH_anon_WITH_AES_256_CBC_SHA",
        0x003B: "TLS_RSA_WITH_NULL_SHA256",
        0x0046: "TLS_DH_anon_WITH_CAMELLIA_128_CBC_SHA",
        0x006C: "TLS_DH_anon_WITH_AES_128_CBC_SHA256",
        0x006D: "TLS_DH_anon_WITH_AES_256_CBC_SHA256",
        0x0089: "TLS_DH_anon_WITH_CAMELLIA_256_CBC_SHA",
        0x009B: "TLS_DH_anon_WITH_SEED_CBC_SHA",
        0x00A6: "TLS_DH_anon_WITH_AES_128_GCM_SHA256",
        0x00A7: "TLS_DH_anon_WITH_AES_256_GCM_SHA384",
        0x00BF: "TLS_DH_anon_WITH_CAMELLIA_128_CBC_SHA256",
        0x00C5: "TLS_DH_anon_WITH_CAMELLIA_256_CBC_SHA256",
        0xC001: "TLS_ECDH_ECDSA_WITH_NULL_SHA",
        0xC002: "TLS_ECDH_ECDSA_WITH_RC4_128_SHA",
        0xC003: "TLS_ECDH_ECDSA_WITH_3DES_EDE_CBC_SHA",
        0xC006: "TLS_ECDHE_ECDSA_WITH_NULL_SHA",
        0xC007: "TLS_ECDHE_ECDSA_WITH_RC4_128_SHA",
        0xC008: "TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA",
        0xC00B: "TLS_ECDH_RSA_WITH_NULL_SHA",
        0xC00C: "TLS_ECDH_RSA_WITH_RC4_128_SHA",
        0xC00D: "TLS_ECDH_RSA_WITH_3DES_EDE_CBC_SHA",
        0xC010: "TLS_ECDHE_RSA_WITH_NULL_SHA",
        0xC011: "TLS_ECDHE_RSA_WITH_RC4_128_SHA",
        0xC012: "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA",
        0xC015: "TLS_ECDH_anon_WITH_NULL_SHA",
        0xC016: "TLS_ECDH_anon_WITH_RC4_128_SHA",
        0xC017: "TLS_ECDH_anon_WITH_3DES_EDE_CBC_SHA",
        0xC018: "TLS_ECDH_anon_WITH_AES_128_CBC_SHA",
        0xC019: "TLS_ECDH_anon_WITH_AES_256_CBC_SHA",
    }
)

#: Sound suites that servers of every era accept, offered with the weak ones when the only
#: question is which protocol version a server speaks.
COMMON_SUITES: Final = MappingProxyType(
    {
        0x002F: "TLS_RSA_WITH_AES_128_CBC_SHA",
        0x0033: "TLS_DHE_RSA_WITH_AES_128_CBC_SHA",
        0x0035: "TLS_RSA_WITH_AES_256_CBC_SHA",
        0x0039: "TLS_DHE_RSA_WITH_AES_256_CBC_SHA",
        0x003C: "TLS_RSA_WITH_AES_128_CBC_SHA256",
        0x009C: "TLS_RSA_WITH_AES_128_GCM_SHA256",
        0x009D: "TLS_RSA_WITH_AES_256_GCM_SHA384",
        0x009E: "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256",
        0xC009: "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
        0xC00A: "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
        0xC013: "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
        0xC014: "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
        0xC02B: "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
        0xC02C: "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
        0xC02F: "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
        0xC030: "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
        0xCCA8: "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
        0xCCA9: "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
    }
)

#: (pattern in the name, what it means), in the order a report lists them.
_FLAWS: Final = (
    (re.compile(r"_WITH_NULL_"), "no encryption"),
    (re.compile(r"_anon_"), "no server authentication"),
    (re.compile(r"EXPORT"), "export grade"),
    (re.compile(r"_WITH_DES_|DES40"), "single DES"),
    (re.compile(r"3DES"), "triple DES"),
    (re.compile(r"_RC4_"), "RC4"),
    (re.compile(r"_RC2_"), "RC2"),
)


def weaknesses(name: str) -> list[str]:
    """What is wrong with the suite named ``name`` (IANA spelling); empty for a sound one."""
    return [what for pattern, what in _FLAWS if pattern.search(name)]


def suite_name(number: int) -> str:
    """The IANA name of a suite number, or ``0xNNNN`` for one this module does not list."""
    return WEAK_SUITES.get(number) or COMMON_SUITES.get(number) or f"0x{number:04X}"


@functools.cache
def openssl_names() -> Mapping[int, str]:
    """OpenSSL's names (``NULL-SHA``) of the suites the OpenSSL here knows, by number."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.set_ciphers("ALL:COMPLEMENTOFALL:@SECLEVEL=0")
    return MappingProxyType({c["id"] & 0xFFFF: c["name"] for c in context.get_ciphers()})
