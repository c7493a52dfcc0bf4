"""Checking a server's certificates against the machine's trust store (``socket_cert_verify``).

OpenVAS asks GnuTLS to verify the chain the server sent against the system's trusted
authorities, with no host name check, and passes on GnuTLS' status bits: 0 when the chain
holds, else a positive number. ixion verifies with ``cryptography``'s X.509 path builder
under the Web PKI rules for the authorities and none for the server's own certificate (its
key usages are the server's business), and answers with the same bits: ``INVALID`` always,
plus ``SIGNER_NOT_FOUND``, ``EXPIRED`` or ``NOT_ACTIVATED`` when that is why.

The trust store is the PEM bundle OpenSSL would use (``$SSL_CERT_FILE``, else the usual
places of Debian, Fedora, SUSE and Alpine), read once per process.
"""

from __future__ import annotations

import functools
import os
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Final

from cryptography import x509
from cryptography.x509 import verification

if TYPE_CHECKING:
    import datetime
    from collections.abc import Sequence

__all__ = ["NOT_TRUSTED", "verify_chain"]

#: GnuTLS' ``gnutls_certificate_status_t`` bits that ixion reports.
INVALID: Final = 1 << 1
SIGNER_NOT_FOUND: Final = 1 << 6
NOT_ACTIVATED: Final = 1 << 9
EXPIRED: Final = 1 << 10
#: What an unverifiable chain reports when no more precise reason is known.
NOT_TRUSTED: Final = INVALID | SIGNER_NOT_FOUND

_BUNDLES: Final = (
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/ca-bundle.pem",
    "/etc/ssl/cert.pem",
)


@functools.cache
def _anchors() -> verification.Store | None:
    """The machine's trusted authorities; None when it has none."""
    names = [os.environ.get("SSL_CERT_FILE", ""), *_BUNDLES]
    for name in filter(None, names):
        try:
            with warnings.catch_warnings():  # old authorities' odd serials: not our finding
                warnings.simplefilter("ignore")
                certificates = x509.load_pem_x509_certificates(Path(name).read_bytes())
        except (OSError, ValueError):
            continue
        if certificates:
            return verification.Store(certificates)
    return None


def verify_chain(chain: Sequence[bytes], now: datetime.datetime) -> int:
    """0 when ``chain`` (DER, the server's own first) leads to a trusted authority at
    ``now``; else GnuTLS-style status bits saying why not.

    Raises:
        ValueError: the chain is empty or not made of certificates, or there is no trust
            store to verify against.
    """
    anchors = _anchors()
    if anchors is None:
        raise ValueError("no trust store on this machine")
    if not chain:
        raise ValueError("no certificate")
    leaf, *rest = (x509.load_der_x509_certificate(der) for der in chain)
    builder = (
        verification.PolicyBuilder()
        .store(anchors)
        .time(now)
        .extension_policies(
            ca_policy=verification.ExtensionPolicy.webpki_defaults_ca(),
            ee_policy=verification.ExtensionPolicy.permit_all(),
        )
    )
    try:
        builder.build_client_verifier().verify(leaf, rest)
    except verification.VerificationError:
        pass
    else:
        return 0
    if now > leaf.not_valid_after_utc:
        return INVALID | EXPIRED
    if now < leaf.not_valid_before_utc:
        return INVALID | NOT_ACTIVATED
    return NOT_TRUSTED
