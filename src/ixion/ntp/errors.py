"""Errors raised by the protocol layer.

The whole tree::

    NtpError                    base; never raised directly
    ├── LocalProtocolError      we asked for something the protocol forbids
    │                           (an invalid message, a message sent in the wrong state)
    └── RemoteProtocolError     the peer sent bytes the protocol does not allow
        └── LimitExceeded       a read went past one of the caps in ``ixion.ntp.limits``

Rules, in the manner of h11: code inside ``ixion.ntp`` raises :class:`LocalProtocolError`
(message constructors cannot know who is building them); the one entry point for peer bytes,
``next_message()``, turns it into :class:`RemoteProtocolError`. Any other exception escaping
``next_message()`` is a bug in ixion.

Every error carries ``error_hint``, the text a server may put in an ``ERROR`` reply before it
closes the connection: short and free of internal details, because it goes to the peer.
"""

from __future__ import annotations

__all__ = ["LimitExceeded", "LocalProtocolError", "NtpError", "RemoteProtocolError"]


class NtpError(Exception):
    """Base of every protocol error; abstract."""

    #: Text suitable for ``SERVER <|> ERROR <|> ... <|> SERVER``.
    error_hint: str = "Protocol error"

    def __init__(self, message: str, *, offset: int | None = None) -> None:
        if type(self) is NtpError:
            raise TypeError("NtpError is abstract; raise one of its subclasses")
        super().__init__(message)
        self.message = message
        #: Byte offset in the peer's stream where the offending message begins, if known.
        self.offset = offset

    def __str__(self) -> str:
        if self.offset is None:
            return self.message
        return f"{self.message} (at byte {self.offset})"


class LocalProtocolError(NtpError):
    """We tried to build or send something the protocol does not allow."""

    def to_remote(self, offset: int | None) -> RemoteProtocolError:
        """The same complaint, blamed on the peer (used where peer bytes are parsed)."""
        return RemoteProtocolError(self.message, offset=offset)


class RemoteProtocolError(NtpError):
    """The peer sent something the protocol does not allow; the connection cannot go on."""

    error_hint = "Invalid request"


class LimitExceeded(RemoteProtocolError):
    """The peer sent a line, block or payload larger than the cap for that read."""

    error_hint = "Request too large"
