"""The error tree of ``ixion.ntp.errors``: what each error says, to us and to the peer."""

from __future__ import annotations

import pytest

from ixion.ntp.errors import LimitExceeded, LocalProtocolError, NtpError, RemoteProtocolError


def test_ntp_error_itself_cannot_be_raised() -> None:
    with pytest.raises(TypeError, match="NtpError is abstract; raise one of its subclasses"):
        NtpError("anything")


def test_error_without_offset_reads_as_its_message() -> None:
    error = RemoteProtocolError("bad short status 's:x:h:1:2'")
    assert str(error) == "bad short status 's:x:h:1:2'"
    assert error.message == "bad short status 's:x:h:1:2'"
    assert error.offset is None


def test_error_with_offset_names_the_byte_where_it_happened() -> None:
    error = LimitExceeded("command line longer than 2047 bytes", offset=12)
    assert str(error) == "command line longer than 2047 bytes (at byte 12)"
    assert error.offset == 12


def test_offset_zero_is_still_shown() -> None:
    assert str(RemoteProtocolError("not a version reply", offset=0)) == (
        "not a version reply (at byte 0)"
    )


def test_local_error_blamed_on_the_peer_keeps_its_message_and_takes_the_offset() -> None:
    local = LocalProtocolError("missing argument")
    remote = local.to_remote(42)
    assert type(remote) is RemoteProtocolError
    assert remote.message == "missing argument"
    assert remote.offset == 42
    assert str(remote) == "missing argument (at byte 42)"


def test_local_error_blamed_on_the_peer_may_have_no_offset() -> None:
    remote = LocalProtocolError("missing argument", offset=3).to_remote(None)
    assert remote.offset is None
    assert str(remote) == "missing argument"


def test_each_error_carries_a_short_hint_for_the_peer() -> None:
    assert NtpError.error_hint == "Protocol error"
    assert LocalProtocolError("x").error_hint == "Protocol error"
    assert RemoteProtocolError("x").error_hint == "Invalid request"
    assert LimitExceeded("x").error_hint == "Request too large"


def test_limit_exceeded_is_a_remote_protocol_error() -> None:
    with pytest.raises(RemoteProtocolError) as caught:
        raise LimitExceeded("block longer than 100000 lines", offset=7)
    assert isinstance(caught.value, NtpError)
    assert not isinstance(caught.value, LocalProtocolError)


def test_local_and_remote_errors_are_distinct_branches() -> None:
    assert not issubclass(LocalProtocolError, RemoteProtocolError)
    assert not issubclass(RemoteProtocolError, LocalProtocolError)
    assert issubclass(LocalProtocolError, NtpError)
    assert issubclass(NtpError, Exception)


def test_offset_is_keyword_only() -> None:
    with pytest.raises(TypeError):
        RemoteProtocolError("x", 3)  # type: ignore[call-arg]
