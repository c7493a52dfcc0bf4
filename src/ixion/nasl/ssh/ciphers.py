"""Packet protection once NEWKEYS took effect, for :class:`~ixion.nasl.ssh.wire.SshClient`.

Each direction gets one :class:`PacketCipher`, which turns a whole plaintext packet
(``packet_length``, ``padding_length``, payload, padding) into what goes on the wire and
back. Reading happens in two steps, because the length must be known before the rest of
the packet can be read: :meth:`~PacketCipher.start` takes the first :attr:`head_size`
bytes and gives the length, :meth:`~PacketCipher.finish` takes the rest (tag included)
and gives the packet, or raises :class:`SshError` when it was tampered with.

* ``aes128/192/256-ctr`` with ``hmac-sha2-256/512`` or ``hmac-sha1`` (RFC 4344, 6668,
  4253): the MAC is over the sequence number and the plaintext; the length is encrypted.
* ``aes128-gcm@openssh.com`` and ``aes256-gcm@openssh.com`` (RFC 5647 §7, as OpenSSH
  names them): the length stays in clear as the associated data; the 12-byte nonce is a
  fixed 4-byte field and a 64-bit invocation counter, both from the derived IV, and the
  counter goes up by one with each packet (not the sequence number: they start apart).
* ``chacha20-poly1305@openssh.com`` (OpenSSH's PROTOCOL.chacha20poly1305): 64 bytes of
  key, of which the first 32 are K_2 (payload and Poly1305 key) and the last 32 K_1 (the
  length alone). Both ChaCha20 instances take the sequence number as their 64-bit nonce;
  K_2's first block at counter 0 yields the Poly1305 key, the payload starts at block 1,
  and the tag covers the encrypted length and the encrypted rest.

The AEAD ciphers authenticate by themselves: no MAC is negotiated for them (OpenSSH
ignores the MAC lists when such a cipher was chosen, and so does :func:`takes_mac`'s
caller; RFC 5647's own ``AEAD_AES_*_GCM`` names, which must be chosen as MAC too, are
offered neither by OpenSSH nor by ixion). Their padding leaves the 4-byte length field out
of the block count, as it is not part of the encrypted blocks: OpenSSH pads so for every
cipher with a tag, and refuses a packet padded otherwise.
"""

from __future__ import annotations

import hashlib
import hmac
import struct
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.poly1305 import Poly1305

from ixion.nasl.ssh.kex import SshError

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.ciphers import CipherContext

__all__ = ["CIPHERS", "MACS", "PacketCipher", "key_sizes", "new_cipher", "takes_mac"]

#: MAC name -> hash, best first (RFC 6668, 4253).
MACS: Final = {"hmac-sha2-256": "sha256", "hmac-sha2-512": "sha512", "hmac-sha1": "sha1"}
#: Bytes of an AEAD tag (GCM's and Poly1305's alike).
_TAG: Final = 16
_LENGTH: Final = struct.Struct(">I")


@dataclass(frozen=True, slots=True)
class _Spec:
    key_size: int
    iv_size: int
    #: Whether the cipher carries its own tag (and so takes no MAC).
    aead: bool


#: Cipher name -> what it needs, in the order ixion offers them: AEAD first, as OpenSSH does.
CIPHERS: Final = {
    "chacha20-poly1305@openssh.com": _Spec(64, 0, aead=True),
    "aes256-gcm@openssh.com": _Spec(32, 12, aead=True),
    "aes128-gcm@openssh.com": _Spec(16, 12, aead=True),
    "aes128-ctr": _Spec(16, 16, aead=False),
    "aes192-ctr": _Spec(24, 16, aead=False),
    "aes256-ctr": _Spec(32, 16, aead=False),
}


def takes_mac(cipher: str) -> bool:
    """Whether a MAC must be negotiated next to ``cipher`` (not for an AEAD cipher)."""
    return not CIPHERS[cipher].aead


def key_sizes(cipher: str, mac: str | None) -> tuple[int, int, int]:
    """Bytes of IV, encryption key and MAC key that ``cipher`` and ``mac`` take."""
    spec = CIPHERS[cipher]
    mac_size = 0 if mac is None else hashlib.new(MACS[mac]).digest_size
    return spec.iv_size, spec.key_size, mac_size


class PacketCipher:
    """One direction's protection; the base class is the interface."""

    #: Padding makes the covered part of the packet a multiple of this.
    block: int = 16
    #: Whether ``packet_length`` is left out of what the padding rounds up (AEAD ciphers).
    length_apart: bool = True
    #: Bytes :meth:`start` needs to learn the packet length.
    head_size: int = 4
    #: Bytes of MAC or tag after the packet.
    tag_size: int = _TAG

    def seal(self, seq: int, packet: bytes) -> bytes:
        """The wire form of ``packet``, the ``seq``-th one sent in this direction."""
        raise NotImplementedError

    def start(self, seq: int, head: bytes) -> int:
        """The packet length from the first :attr:`head_size` bytes of packet ``seq``."""
        raise NotImplementedError

    def finish(self, seq: int, head: bytes, rest: bytes) -> bytes:
        """The plaintext packet from its head and ``rest`` (tag last); SshError if forged."""
        raise NotImplementedError

    def _check_length(self, length: int) -> None:
        covered = length if self.length_apart else 4 + length
        if covered % self.block:
            raise SshError(f"bad packet length {length} (not a multiple of the block)")


class _CtrHmac(PacketCipher):
    """AES in counter mode, then HMAC over the sequence number and the plaintext."""

    length_apart = False
    head_size = 16

    def __init__(self, iv: bytes, key: bytes, mac: str, mac_key: bytes) -> None:
        self._ctr = Cipher(algorithms.AES(key), modes.CTR(iv)).encryptor()
        self._mac, self._mac_key = mac, mac_key
        self.tag_size = hashlib.new(mac).digest_size
        self._head = b""

    def _sign(self, seq: int, packet: bytes) -> bytes:
        return hmac.new(self._mac_key, _LENGTH.pack(seq) + packet, self._mac).digest()

    def seal(self, seq: int, packet: bytes) -> bytes:
        return self._ctr.update(packet) + self._sign(seq, packet)

    def start(self, seq: int, head: bytes) -> int:
        # The stream runs on: this block is decrypted once, and kept for finish().
        self._head = self._ctr.update(head)
        length: int = _LENGTH.unpack_from(self._head)[0]
        self._check_length(length)
        return length

    def finish(self, seq: int, head: bytes, rest: bytes) -> bytes:
        body, mac = rest[: len(rest) - self.tag_size], rest[len(rest) - self.tag_size :]
        packet = self._head + self._ctr.update(body)
        if not hmac.compare_digest(self._sign(seq, packet), mac):
            raise SshError("bad MAC on a packet from the server")
        return packet


class _AesGcm(PacketCipher):
    """AES-GCM, the length in clear as associated data (RFC 5647 §7.3)."""

    def __init__(self, iv: bytes, key: bytes) -> None:
        self._aead = AESGCM(key)
        self._fixed = iv[:4]
        self._counter: int = struct.unpack(">Q", iv[4:])[0]

    def _nonce(self) -> bytes:
        nonce = self._fixed + struct.pack(">Q", self._counter)
        self._counter = (self._counter + 1) & 0xFFFFFFFFFFFFFFFF
        return nonce

    def seal(self, seq: int, packet: bytes) -> bytes:
        return packet[:4] + self._aead.encrypt(self._nonce(), packet[4:], packet[:4])

    def start(self, seq: int, head: bytes) -> int:
        length: int = _LENGTH.unpack(head)[0]
        self._check_length(length)
        return length

    def finish(self, seq: int, head: bytes, rest: bytes) -> bytes:
        try:
            return head + self._aead.decrypt(self._nonce(), rest, head)
        except InvalidTag:
            raise SshError("bad authentication tag on a packet from the server") from None


class _ChaChaPoly(PacketCipher):
    """OpenSSH's ChaCha20 and Poly1305 construction (PROTOCOL.chacha20poly1305)."""

    block = 8

    def __init__(self, key: bytes) -> None:
        self._payload_key, self._length_key = key[:32], key[32:]

    @staticmethod
    def _stream(key: bytes, seq: int) -> Cipher[None]:
        # cryptography's 16-byte nonce is the 64-bit block counter (little-endian), then
        # the 64-bit nonce: here the sequence number, big-endian as the spec writes it.
        return Cipher(algorithms.ChaCha20(key, bytes(8) + struct.pack(">Q", seq)), None)

    def _length(self, seq: int, data: bytes) -> bytes:
        return self._stream(self._length_key, seq).encryptor().update(data)

    def _payload_stream(self, seq: int) -> tuple[bytes, CipherContext]:
        """The Poly1305 key (the start of K_2's block 0) and K_2's stream, at block 1."""
        stream = self._stream(self._payload_key, seq).encryptor()
        return stream.update(bytes(64))[:32], stream  # the rest of block 0 is thrown away

    def seal(self, seq: int, packet: bytes) -> bytes:
        poly_key, stream = self._payload_stream(seq)
        sealed = self._length(seq, packet[:4]) + stream.update(packet[4:])
        return sealed + Poly1305.generate_tag(poly_key, sealed)

    def start(self, seq: int, head: bytes) -> int:
        length: int = _LENGTH.unpack(self._length(seq, head))[0]
        self._check_length(length)
        return length

    def finish(self, seq: int, head: bytes, rest: bytes) -> bytes:
        body, tag = rest[:-_TAG], rest[-_TAG:]
        poly_key, stream = self._payload_stream(seq)
        try:
            Poly1305.verify_tag(poly_key, head + body, tag)
        except InvalidSignature:
            raise SshError("bad authentication tag on a packet from the server") from None
        return self._length(seq, head) + stream.update(body)


def new_cipher(cipher: str, mac: str | None, iv: bytes, key: bytes, mac_key: bytes) -> PacketCipher:
    """One direction's :class:`PacketCipher`; ``mac`` is None for an AEAD cipher."""
    if cipher == "chacha20-poly1305@openssh.com":
        return _ChaChaPoly(key)
    if cipher.endswith("-gcm@openssh.com"):
        return _AesGcm(iv, key)
    if mac is None:
        raise SshError(f"{cipher} needs a MAC")
    return _CtrHmac(iv, key, MACS[mac], mac_key)
