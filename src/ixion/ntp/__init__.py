"""The Nessus Transfer Protocol (NTP/1.0-1.2 and OTP/1.0), without I/O.
It imports nothing else of ixion: the server and the client both drive it.

Bytes in, messages out; messages in, bytes out. Nothing here touches a socket, a clock or an
event loop: ``ixiond`` and the ``ixion`` client wrap it with asyncio, tests feed it bytes.

* :class:`Session` — one end of a connection: ``receive_data``, ``next_message``, ``send``,
  checked against the transition table of :mod:`ixion.ntp.state`.
* :class:`ClientStreamDecoder` / :class:`ServerStreamDecoder` — read one direction of a
  conversation on its own (what ``ixion ntp-decode`` uses).
* :func:`encode_client_message` / :func:`encode_server_message` — the wire form of a message;
  :func:`encode_server_chunks` — the same bytes in chunks, for long blocks.
* The messages themselves (:mod:`~ixion.ntp.client_messages`,
  :mod:`~ixion.ntp.server_messages`), the values inside them (:mod:`~ixion.ntp.records`),
  :class:`Features`, the caps of :mod:`~ixion.ntp.limits` and the errors of
  :mod:`~ixion.ntp.errors`.
"""

from ixion.ntp.client_codec import ClientPhase, ClientStreamDecoder, encode_client_message
from ixion.ntp.client_messages import *  # noqa: F403
from ixion.ntp.client_messages import __all__ as _client_all
from ixion.ntp.decoder import NEED_DATA, NeedData
from ixion.ntp.errors import LimitExceeded, LocalProtocolError, NtpError, RemoteProtocolError
from ixion.ntp.features import KNOWN_EXTENSIONS, Features, Version
from ixion.ntp.messages import ConnectionClosed, Message, Preferences, Rules, Unrecognized
from ixion.ntp.plugin_line import PluginBatch, PluginLine
from ixion.ntp.records import (
    Category,
    Certificate,
    Dependency,
    Md5Entry,
    PluginRecord,
    PortRef,
    SessionEntry,
)
from ixion.ntp.server_codec import encode_server_chunks, encode_server_message
from ixion.ntp.server_decoder import PluginSink, ServerPhase, ServerStreamDecoder
from ixion.ntp.server_messages import *  # noqa: F403
from ixion.ntp.server_messages import __all__ as _server_all
from ixion.ntp.session import Session
from ixion.ntp.state import Role, State
from ixion.ntp.text import report_text

__all__ = [
    "KNOWN_EXTENSIONS",
    "NEED_DATA",
    "Category",
    "Certificate",
    "ClientPhase",
    "ClientStreamDecoder",
    "ConnectionClosed",
    "Dependency",
    "Features",
    "LimitExceeded",
    "LocalProtocolError",
    "Md5Entry",
    "Message",
    "NeedData",
    "NtpError",
    "PluginBatch",
    "PluginLine",
    "PluginRecord",
    "PluginSink",
    "PortRef",
    "Preferences",
    "RemoteProtocolError",
    "Role",
    "Rules",
    "ServerPhase",
    "ServerStreamDecoder",
    "Session",
    "SessionEntry",
    "State",
    "Unrecognized",
    "Version",
    "encode_client_message",
    "encode_server_chunks",
    "encode_server_message",
    "report_text",
    *_client_all,
    *_server_all,
]
