"""What the two peers agreed on: protocol version, extension words, report options.

One frozen value, handed to the codec; never global state. It is built from the client's
banner (spec §1.4) and then refined by the client's PREFERENCES (spec §3.10), because three of
those preferences change how the server encodes results.
"""

from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = ["KNOWN_EXTENSIONS", "Features", "Version"]


class Version(enum.Enum):
    """A protocol version, as written between ``< `` and `` >`` in the banner."""

    NTP_1_0 = "NTP/1.0"
    NTP_1_1 = "NTP/1.1"
    NTP_1_2 = "NTP/1.2"
    #: OpenVAS' fork (spec §11): NTP/1.2 grammar, OIDs as plugin ids, md5 loop always on.
    OTP_1_0 = "OTP/1.0"

    @property
    def banner(self) -> str:
        """The 11 characters nessusd compares: ``< NTP/1.2 >``."""
        return f"< {self.value} >"


#: Extension words nessusd 2.2.5 recognises in the banner (spec §1.4); others are ignored.
KNOWN_EXTENSIONS: Final = frozenset(
    {
        "md5_caching",
        "md5_by_name",
        "plugins_version",
        "plugins_cve_id",
        "plugins_bugtraq_id",
        "plugins_xrefs",
        "timestamps",
        "dns",
        "dependencies",
        "fast_login",
    }
)

#: Client preference names that change the encoding of results (spec §3.10, §10.6).
REPORT_OPTION_WORDS: Final = frozenset(
    {
        "ntp_escape_crlf",
        "ntp_client_accepts_notes",
        "ntp_short_status",
        "ntp_keep_communication_alive",
    }
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Features:
    """The negotiated behaviour of one connection."""

    version: Version = Version.NTP_1_2
    #: Extension words from the banner that nessusd recognises.
    extensions: frozenset[str] = frozenset()
    #: ``ntp_escape_crlf`` was sent (any value): report texts use backslash escapes, else ``;``.
    escape_crlf: bool = False
    #: ``ntp_client_accepts_notes`` is ``yes``: NOTE is sent as NOTE, else as INFO.
    accepts_notes: bool = False
    #: ``ntp_short_status`` is ``yes``: STATUS is sent as ``s:a:host:cur:max``.
    short_status: bool = False
    #: ``ntp_keep_communication_alive`` was sent (any value): after BYE the connection goes on.
    keep_alive: bool = False

    @classmethod
    def from_words(cls, words: Iterable[str], *, version: Version = Version.NTP_1_2) -> Features:
        """Features from a list of words: extension words and the four report options.

        Unknown words are ignored, as nessusd ignores unknown extension words.
        """
        words = set(words)
        return cls(
            version=version,
            extensions=frozenset(words & KNOWN_EXTENSIONS),
            escape_crlf="ntp_escape_crlf" in words,
            accepts_notes="ntp_client_accepts_notes" in words,
            short_status="ntp_short_status" in words,
            keep_alive="ntp_keep_communication_alive" in words,
        )

    @property
    def is_otp(self) -> bool:
        return self.version is Version.OTP_1_0

    @property
    def md5_caching(self) -> bool:
        """Login goes through the md5-caching loop (spec §4.2; always on in OTP)."""
        return self.is_otp or "md5_caching" in self.extensions

    @property
    def backslash_escapes(self) -> bool:
        """Report texts are backslash-escaped (OTP always escapes, spec §11)."""
        return self.is_otp or self.escape_crlf

    @property
    def has_plugin_ids_in_reports(self) -> bool:
        """NTP/1.2 and OTP append the plugin id to HOLE/INFO/NOTE."""
        return self.version in (Version.NTP_1_2, Version.OTP_1_0)

    def has(self, extension: str) -> bool:
        """The extension was negotiated (OTP implies the plugin-list ones, spec §11)."""
        if self.is_otp and extension in _OTP_IMPLIED:
            return True
        return extension in self.extensions

    def with_client_preferences(self, items: Iterable[tuple[str, str]]) -> Features:
        """The features after the client sent these preferences, with nessusd's truth tests.

        ``ntp_escape_crlf`` and ``ntp_keep_communication_alive`` count when present with any
        value (even ``no``); the other two need exactly ``yes`` (spec §10.6). Preferences
        accumulate over a connection, so a later block only changes the names it mentions.
        """
        escape_crlf, keep_alive = self.escape_crlf, self.keep_alive
        accepts_notes, short_status = self.accepts_notes, self.short_status
        for name, value in items:
            if name == "ntp_escape_crlf":
                escape_crlf = True
            elif name == "ntp_keep_communication_alive":
                keep_alive = True
            elif name == "ntp_client_accepts_notes":
                accepts_notes = value == "yes"
            elif name == "ntp_short_status":
                short_status = value == "yes"
        return dataclasses.replace(
            self,
            escape_crlf=escape_crlf,
            keep_alive=keep_alive,
            accepts_notes=accepts_notes,
            short_status=short_status,
        )


_OTP_IMPLIED: Final = frozenset(
    {
        "plugins_version",
        "plugins_cve_id",
        "plugins_bugtraq_id",
        "plugins_xrefs",
        "dependencies",
        "timestamps",
    }
)
