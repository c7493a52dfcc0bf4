"""One end of an NTP connection, without I/O: bytes in, messages out, messages in, bytes out.

    session = Session(Role.SERVER)
    session.receive_data(data)          # whatever recv() returned; b"" when the peer closed
    while (msg := session.next_message()) is not NEED_DATA:
        ...                             # act on msg
        transport.write(session.send(reply))

A server writes a long block (PLUGIN_LIST, the md5 list...) with :meth:`Session.send_chunks`
instead, a chunk at a time, so that it never holds the whole encoded block.

The session keeps the negotiated :class:`~ixion.ntp.features.Features` up to date (from the
banner and from the client's PREFERENCES, whichever side we are) and checks every message in
both directions against the transition table of :mod:`ixion.ntp.state`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ixion.ntp import client_messages as cm
from ixion.ntp import server_messages as sm
from ixion.ntp.client_codec import ClientStreamDecoder, encode_client_message
from ixion.ntp.decoder import NEED_DATA, NeedData, StreamDecoder
from ixion.ntp.errors import LocalProtocolError, RemoteProtocolError
from ixion.ntp.features import KNOWN_EXTENSIONS, Features
from ixion.ntp.messages import Message, Preferences
from ixion.ntp.server_codec import CHUNK_SIZE, encode_server_chunks, encode_server_message
from ixion.ntp.server_decoder import ServerStreamDecoder
from ixion.ntp.state import ConnectionState, Role, State

if TYPE_CHECKING:
    from collections.abc import Iterator

    from ixion.ntp.server_decoder import PluginSink

__all__ = ["Session"]


class Session:
    """The protocol state of one connection, seen from ``role``."""

    def __init__(
        self,
        role: Role,
        *,
        features: Features | None = None,
        plugin_sink: PluginSink | None = None,
        keep_dependencies: bool = True,
    ) -> None:
        """``plugin_sink`` and ``keep_dependencies``, a client's: what to do with a long
        PLUGIN_LIST and PLUGINS_DEPENDENCIES (:class:`~ixion.ntp.ServerStreamDecoder`)."""
        self.role = role
        #: What the peers agreed on so far. A client passes the extension words it will send
        #: in its banner; a server learns everything from the client.
        self.features = features or Features()
        self._decoder: StreamDecoder
        if role is Role.SERVER:
            self._decoder = ClientStreamDecoder(features=self.features)
        else:
            self._decoder = ServerStreamDecoder(
                self.features, plugin_sink=plugin_sink, keep_dependencies=keep_dependencies
            )
        self._state = ConnectionState()
        self._error: RemoteProtocolError | None = None

    @property
    def our_state(self) -> State:
        return self._state.states[self.role]

    @property
    def their_state(self) -> State:
        return self._state.states[self.role.peer]

    @property
    def offset(self) -> int:
        """Bytes of the peer's stream the decoder has taken so far; right after
        :meth:`next_message` returned a message, where that message ends."""
        return self._decoder.offset

    def receive_data(self, data: bytes) -> None:
        """Buffer bytes from the peer (``b""``: the peer closed its side)."""
        self._decoder.receive_data(data)

    def next_message(self) -> Message | NeedData:
        """The peer's next message, or NEED_DATA.

        Raises:
            RemoteProtocolError: the peer broke the protocol; the connection cannot go on.
                Any other exception is a bug.
        """
        if self._error is not None:
            raise self._error
        msg = self._decoder.next_message()
        if msg is NEED_DATA:
            return msg
        try:
            self._account(self.role.peer, msg)
        except LocalProtocolError as exc:
            self._error = exc.to_remote(self._decoder.message_start)
            raise self._error from None
        return msg

    def send(self, msg: Message) -> bytes:
        """The bytes to write for ``msg``; ``b""`` if the negotiated features leave it out.

        Raises:
            LocalProtocolError: ``msg`` may not be sent now, or not to this peer.
        """
        # Encode first: a message that cannot be written must not move the state or features.
        if self.role is Role.SERVER:
            data = encode_server_message(msg, self.features)
        else:
            data = encode_client_message(msg, self.features)
        self._account(self.role, msg)
        return data

    def send_chunks(self, msg: Message, *, chunk_size: int = CHUNK_SIZE) -> Iterator[bytes]:
        """The bytes of :meth:`send`, as a run of chunks of about ``chunk_size`` bytes (server).

        The session moves on at once, exactly as :meth:`send` would: the caller must write
        every chunk, in order, before anything else. Each chunk is encoded only when asked
        for, so a 200 MB PLUGIN_LIST is never held whole.

        Raises:
            LocalProtocolError: ``msg`` may not be sent now, or not to this peer; nothing has
                moved then. Also from a chunk whose text has no UTF-8 form.
        """
        if self.role is not Role.SERVER:
            raise LocalProtocolError("only a server sends in chunks")
        chunks = encode_server_chunks(msg, self.features, chunk_size=chunk_size)
        self._account(self.role, msg)
        return chunks

    def _account(self, sender: Role, msg: Message) -> None:
        """Move the state machine, then learn what ``msg`` tells about the features."""
        features = self._features_after(sender, msg)
        self._state.process(sender, msg, features)
        self.features = features
        if isinstance(self._decoder, ServerStreamDecoder):
            self._decoder.features = self.features

    def _features_after(self, sender: Role, msg: Message) -> Features:
        if isinstance(msg, cm.Banner):
            return Features(
                version=msg.version, extensions=frozenset(msg.extensions) & KNOWN_EXTENSIONS
            )
        if isinstance(msg, Preferences) and sender is Role.CLIENT:
            return self.features.with_client_preferences(msg.items)
        if isinstance(msg, sm.VersionReply) and msg.version is not self.features.version:
            raise LocalProtocolError(
                f"server answered {msg.version.value} to {self.features.version.value}"
            )
        return self.features
