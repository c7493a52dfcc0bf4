"""Caps on every read, in bytes (lines are counted without their ``\\n``).

A scanner daemon faces whatever connects to it, so no read may grow without bound. Where
nessusd 2.2.5 had a fixed buffer (spec §1.3) we keep its size: a real client never sent more,
and nessusd silently split or truncated longer lines where we refuse them with
:class:`~ixion.ntp.errors.LimitExceeded`. Where nessusd had no limit we chose one generous
enough for every real use we know of, and say why next to it.
"""

from __future__ import annotations

from typing import Final

KiB: Final = 1024
MiB: Final = 1024 * KiB

# --- lines a client sends (nessusd's buffer sizes, spec §1.3) --------------------------------

#: ``< NTP/1.2 >< words... >``; nessusd reads it into a 1024-byte buffer.
MAX_BANNER_LINE: Final = 1023
#: Answers to ``User : `` and ``Password : ``.
MAX_LOGIN_LINE: Final = 254
#: An ordinary ``CLIENT <|> ...`` command line, and the lines of the md5-caching loop.
MAX_COMMAND_LINE: Final = 2047
#: One ``name <|> value`` line inside a client PREFERENCES block. nessusd read 65534 bytes,
#: but ``plugin_set`` lists every enabled plugin: with a whole feed (about 136,000 plugins, ids
#: of up to ten digits) that is over a megabyte, so a line may be as long as a plugin list of
#: :data:`MAX_SERVER_BLOCK_LINES` ids can be; the block as a whole is capped below.
MAX_PREFERENCE_LINE: Final = 12 * MiB
#: One rule inside a client RULES block.
MAX_RULE_LINE: Final = 4095
#: The size line of LONG_ATTACK and the header lines of ATTACHED_FILE / ATTACHED_PLUGIN.
MAX_SIZE_LINE: Final = 16383

# --- blocks and payloads a client sends (nessusd had no limit) -------------------------------

#: Lines in one client PREFERENCES or RULES block. The reference client sends one line per
#: server and plugin preference: a few thousand with a full community feed loaded.
MAX_CLIENT_BLOCK_LINES: Final = 100_000
#: Bytes in one client PREFERENCES or RULES block, lines together: one whole-feed plugin_set
#: and the preferences of every plugin fit several times over.
MAX_CLIENT_BLOCK_BYTES: Final = 32 * MiB
#: LONG_ATTACK payload. 16 MiB holds about a million comma-separated addresses.
MAX_TARGETS_SIZE: Final = 16 * MiB
#: ATTACHED_FILE payload (certificates, key files, wordlists for plugin preferences).
MAX_ATTACHED_FILE_SIZE: Final = 64 * MiB
#: ATTACHED_PLUGIN payload. nessusd refused (and desynchronised on) more than 5 MiB; we read up
#: to this cap so that a refused upload can still be consumed and answered PLUGIN_DENIED.
MAX_ATTACHED_PLUGIN_SIZE: Final = 64 * MiB

# --- what a server sends (read by our client) ------------------------------------------------

#: The server's ``< NTP/1.2 >`` reply; 12 bytes in practice, a Tenable proxy echoes more.
MAX_VERSION_REPLY_LINE: Final = 1023
#: Any line from a server. The reference client used 1 MiB for PLUGIN_LIST lines and 16 KiB for
#: scan results; nessusd itself put no limit on report texts, so we take the larger one for all.
MAX_SERVER_LINE: Final = 1 * MiB
#: Lines in one server block. A full community feed has about 140 000 plugins, each one line of
#: PLUGIN_LIST, PLUGINS_MD5 and possibly PLUGINS_DEPENDENCIES.
MAX_SERVER_BLOCK_LINES: Final = 1_000_000

#: E002 lists rejected hosts on one line; nessusd stopped at about 4000 bytes and added ``...``.
E002_TEXT_CAP: Final = 4000
