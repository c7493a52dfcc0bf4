"""The KEXINIT reading under ssh_algorithms (``_ssh_kexinit``), on packets built here.

Any KEXINIT survives a round trip through a packet; every way a packet or message can be
wrong (cut short, too long, garbage, a field missing, a name-list that is not one) ends in
:class:`SshWireError`, with a message that says what, and in nothing else. The reading over a
real connection is tested with the check, in ``test_ssh_algorithms``.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ixion.plugins._ssh_kexinit import (
    MAX_PACKET,
    MSG_KEXINIT,
    NAME_LISTS,
    KexInit,
    SshWireError,
    encode_kexinit,
    frame_packet,
    packet_length,
    packet_payload,
    parse_identification,
    parse_kexinit,
)

#: A KEXINIT with something in every field but the last language list.
SAMPLE = KexInit(
    cookie=bytes(range(16)),
    kex_algorithms=(
        "curve25519-sha256",
        "diffie-hellman-group14-sha1",
        "kex-strict-s-v00@openssh.com",
    ),
    server_host_key_algorithms=("ssh-ed25519", "rsa-sha2-512", "ssh-rsa"),
    encryption_algorithms_client_to_server=("chacha20-poly1305@openssh.com", "aes128-cbc"),
    encryption_algorithms_server_to_client=("aes256-gcm@openssh.com",),
    mac_algorithms_client_to_server=("hmac-sha2-256-etm@openssh.com", "hmac-md5"),
    mac_algorithms_server_to_client=("umac-64@openssh.com",),
    compression_algorithms_client_to_server=("none", "zlib@openssh.com"),
    compression_algorithms_server_to_client=("none",),
    languages_client_to_server=("en-US",),
    first_kex_packet_follows=True,
)


def _payload_of(packet: bytes) -> bytes:
    assert packet_length(packet[:4]) == len(packet) - 4
    return packet_payload(packet[4:])


_names = st.text(
    st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters=","),
    min_size=1,
    max_size=64,
)
_lists = st.lists(_names, max_size=6).map(tuple)
_kexinits = st.builds(
    KexInit,
    cookie=st.binary(min_size=16, max_size=16),
    **dict.fromkeys(NAME_LISTS, _lists),
    first_kex_packet_follows=st.booleans(),
    reserved=st.integers(0, 2**32 - 1),
)


@given(_kexinits, st.sampled_from([8, 16]))
def test_any_kexinit_survives_a_round_trip_through_a_packet(kexinit: KexInit, block: int) -> None:
    packet = frame_packet(encode_kexinit(kexinit), block)
    assert len(packet) % block == 0
    assert parse_kexinit(_payload_of(packet)) == kexinit


def test_every_truncation_of_a_kexinit_is_a_wire_error_naming_the_field() -> None:
    payload = encode_kexinit(SAMPLE)
    assert parse_kexinit(payload) == SAMPLE
    for size in range(len(payload)):
        with pytest.raises(SshWireError, match="KEXINIT") as caught:
            parse_kexinit(payload[:size])
        if size:  # past the message number, the field cut short is named
            assert "ends inside" in str(caught.value)
    with pytest.raises(SshWireError, match="ends inside reserved"):
        parse_kexinit(payload[:-4])
    with pytest.raises(SshWireError, match="ends inside first_kex_packet_follows"):
        parse_kexinit(payload[:-5])


@given(st.binary(max_size=300), st.booleans())
def test_garbage_is_either_a_kexinit_or_a_wire_error(garbage: bytes, as_kexinit: bool) -> None:
    data = bytes([MSG_KEXINIT]) + garbage if as_kexinit else garbage
    try:
        kexinit = parse_kexinit(data)
    except SshWireError:
        return
    # What was accepted is what the bytes say: it encodes back to them (extensions aside).
    encoded = encode_kexinit(kexinit)
    assert data[: len(encoded)] == encoded


def _with_kex_list(names: bytes) -> bytes:
    """A KEXINIT whose first list is ``names`` as they are, the other nine empty."""
    payload = bytes([MSG_KEXINIT]) + bytes(16) + len(names).to_bytes(4, "big") + names
    return payload + bytes(4) * 9 + bytes(5)  # nine empty lists, the flag, reserved


@pytest.mark.parametrize(
    "names",
    [
        b"aes128-ctr,,aes256-ctr",  # an empty name
        b"aes128-ctr,",
        b"aes128\x1b[31m-ctr",  # a terminal escape
        "aes128-ctr,\u00e4es".encode(),
        b"a" * 65,  # longer than RFC 4251 §6 allows
        b"aes128 ctr",
    ],
)
def test_a_name_list_that_is_not_one_is_a_wire_error(names: bytes) -> None:
    assert parse_kexinit(_with_kex_list(b"aes128-ctr")).kex_algorithms == ("aes128-ctr",)
    with pytest.raises(SshWireError, match="kex_algorithms: not a list of algorithm names"):
        parse_kexinit(_with_kex_list(names))


def test_a_name_list_longer_than_its_packet_is_a_wire_error() -> None:
    payload = bytes([MSG_KEXINIT]) + bytes(16) + (2**31).to_bytes(4, "big") + b"aes128-ctr"
    with pytest.raises(SshWireError, match="ends inside kex_algorithms"):
        parse_kexinit(payload)


def test_another_message_is_not_a_kexinit() -> None:
    with pytest.raises(SshWireError, match="got message 21"):
        parse_kexinit(b"\x15")
    with pytest.raises(SshWireError, match="got message nothing"):
        parse_kexinit(b"")


@pytest.mark.parametrize(
    ("header", "error"),
    [
        (b"\xff\xff\xff\xff", "packet length 4294967295 is not between 6 and 35000"),
        (b"Prot", "starts with 'Prot'"),
        ((MAX_PACKET + 1).to_bytes(4, "big"), "packet length 35001"),
        (b"\x00\x00\x00\x05", "packet length 5"),
    ],
)
def test_packet_lengths_out_of_range_are_wire_errors(header: bytes, error: str) -> None:
    with pytest.raises(SshWireError, match=error):
        packet_length(header)
    assert packet_length(MAX_PACKET.to_bytes(4, "big")) == MAX_PACKET


@pytest.mark.parametrize("body", [b"", b"\x03" + bytes(10), b"\x08" + bytes(8), b"\x04abc"])
def test_padding_that_does_not_fit_is_a_wire_error(body: bytes) -> None:
    with pytest.raises(SshWireError, match="padding length"):
        packet_payload(body)


@pytest.mark.parametrize(
    "line", [b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u10\r\n", b"SSH-1.99-Cisco-1.25\n"]
)
def test_ssh2_identification_lines_are_taken(line: bytes) -> None:
    assert parse_identification(line) == line.decode().rstrip()


@pytest.mark.parametrize(
    ("line", "error"),
    [
        (b"SSH-1.5-OldSSH_1.2\r\n", "SSH-1 only"),
        (b"SSH-3.0-Future\r\n", "not an SSH-2 identification"),
        (b"SSH-\r\n", "not an SSH-2 identification"),
    ],
)
def test_other_identification_lines_are_wire_errors(line: bytes, error: str) -> None:
    with pytest.raises(SshWireError, match=error):
        parse_identification(line)
