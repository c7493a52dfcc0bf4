"""Fake servers for protocols the lab has no real server for: just enough of each to answer
the first message a client sends, written from the protocols' specifications.

Each is a :data:`~tests.lab._scripted.Script` for :class:`~tests.lab.ScriptedService`
(``ScriptedService(redis)``; ``tls=True`` for the TLS-wrapped variants), or a greeting for
:func:`~tests.lab._scripted.greet`. :class:`NginxLikeHttpsService` is HTTPS the way nginx
serves it: clear HTTP on its port gets a 400 page that says HTTPS was expected.
"""

from __future__ import annotations

import socket
import socketserver
import ssl
import struct
from typing import Final

from ._scripted import ScriptedService, read_exactly, read_lines


def _mysql_packet(payload: bytes) -> bytes:
    """A MySQL packet: 3-byte little-endian length, sequence number 0, payload."""
    return len(payload).to_bytes(3, "little") + b"\0" + payload


#: A MariaDB server's handshake (protocol 10): version, connection id, salt, capabilities,
#: character set, status, the rest of the salt and the authentication plugin.
MYSQL_GREETING: Final = _mysql_packet(
    b"\x0a5.5.5-10.11.6-MariaDB-0+deb12u1\0"
    + struct.pack("<I", 42)
    + b"ixionlab\0"
    + struct.pack("<HBHH", 0xF7FE, 8, 2, 0x81FF)
    + b"\x15"
    + b"\0" * 10
    + b"ixion-lab-12\0"
    + b"mysql_native_password\0"
)
#: What a MySQL server says at once to a host its grants do not know (error 1130).
MYSQL_REFUSED: Final = _mysql_packet(
    b"\xff" + struct.pack("<H", 1130) + b"Host '127.0.0.1' is not allowed to connect to this "
    b"MariaDB server"
)
VNC_GREETING: Final = b"RFB 003.008\n"


def redis(sock: socket.socket) -> None:
    """Redis's inline commands: PING answers +PONG; GET with the request line's arguments
    is the wrong number of them; anything else is unknown."""
    for line in read_lines(sock):
        command = (line.split() or [b""])[0].upper()
        if command == b"PING":
            sock.sendall(b"+PONG\r\n")
        elif command == b"GET":
            sock.sendall(b"-ERR wrong number of arguments for 'get' command\r\n")
        else:
            sock.sendall(b"-ERR unknown command '" + command[:32] + b"'\r\n")


def redis_locked(sock: socket.socket) -> None:
    """Redis with ``requirepass``: every command before AUTH is refused."""
    for _ in read_lines(sock):
        sock.sendall(b"-NOAUTH Authentication required.\r\n")


def memcached(sock: socket.socket) -> None:
    """memcached's text protocol: ``version`` answers; other words are errors."""
    for line in read_lines(sock):
        sock.sendall(b"VERSION 1.6.18\r\n" if line == b"version" else b"ERROR\r\n")


def postgres(sock: socket.socket) -> None:
    """A PostgreSQL server that refuses every client: to a v3.0 StartupMessage it answers an
    ErrorResponse (severity, SQLSTATE 28000, message); to an SSLRequest, 'N'."""
    head = read_exactly(sock, 8)
    if len(head) < 8:
        return
    length, code = struct.unpack(">II", head)
    if code == 80877103:  # SSLRequest
        sock.sendall(b"N")
        return
    if code != 3 << 16 or not 8 <= length <= 10000:
        return  # not a startup packet: hang up, as the real server does
    read_exactly(sock, length - 8)
    fields = b'SFATAL\0VFATAL\0C28000\0Mno pg_hba.conf entry for host "127.0.0.1"\0\0'
    sock.sendall(b"E" + struct.pack(">I", len(fields) + 4) + fields)


def ldap(sock: socket.socket) -> None:
    """An LDAP server that accepts an anonymous bind: LDAPMessage 1, BindResponse with
    resultCode success, empty matchedDN and diagnosticMessage."""
    if sock.recv(4096).startswith(b"\x30"):
        sock.sendall(bytes.fromhex("30 0c 02 01 01 61 07 0a 01 00 04 00 04 00"))


def rdp(sock: socket.socket) -> None:
    """An RDP server: an X.224 Connection Confirm with an RDP Negotiation Response that
    selects TLS."""
    if sock.recv(4096).startswith(b"\x03\x00"):
        sock.sendall(bytes.fromhex("03 00 00 13  0e d0 00 00 12 34 00  02 00 08 00 01 00 00 00"))


def smb(sock: socket.socket) -> None:
    """An SMB server: an SMB2 header flagged as a response to NEGOTIATE (status success),
    and the start of a NEGOTIATE response naming dialect 3.0.2."""
    request = sock.recv(4096)
    if len(request) < 8 or request[4:8] != b"\xfeSMB":
        return
    header = b"\xfeSMB" + struct.pack("<HHIHHIIQIIQ16s", 64, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, b"")
    body = struct.pack("<HHH", 65, 1, 0x0302) + b"\0" * 58
    message = header + body
    sock.sendall(b"\0" + len(message).to_bytes(3, "big") + message)


def dns(sock: socket.socket) -> None:
    """A DNS server over TCP that answers every query REFUSED, echoing its question."""
    while len(prefix := read_exactly(sock, 2)) == 2:
        query = read_exactly(sock, int.from_bytes(prefix, "big"))
        if len(query) < 12:
            return
        answer = query[:2] + struct.pack(">HHHHH", 0x8005, 1, 0, 0, 0) + query[12:]
        sock.sendall(len(answer).to_bytes(2, "big") + answer)


_TLS_400: Final = (
    b"<html>\r\n<head><title>400 The plain HTTP request was sent to HTTPS port</title></head>"
    b"\r\n<body>\r\n<center><h1>400 Bad Request</h1></center>\r\n<center>The plain HTTP request"
    b" was sent to HTTPS port</center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)


def _http_response(status: bytes, body: bytes) -> bytes:
    return (
        b"HTTP/1.1 " + status + b"\r\nServer: nginx\r\nContent-Type: text/html\r\n"
        b"Content-Length: " + str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n" + body
    )


class NginxLikeHttpsService(ScriptedService):
    """HTTPS as nginx serves it: a TLS handshake gets a page, clear HTTP a 400 that says the
    port wants HTTPS (nginx's error 497), and the connection closed."""

    name = "nginx-like-https"

    def __init__(self) -> None:
        super().__init__(self._serve)
        self._context: ssl.SSLContext | None = None

    def _make_server(self) -> socketserver.TCPServer:
        self._context = self.tls_context()
        return super()._make_server()

    def _serve(self, sock: socket.socket) -> None:
        assert self._context is not None
        if sock.recv(1, socket.MSG_PEEK) == b"\x16":  # a TLS handshake record
            with self._context.wrap_socket(sock, server_side=True) as tls:
                tls.recv(4096)
                tls.sendall(_http_response(b"200 OK", b"<html>ixion lab</html>\r\n"))
            return
        sock.recv(4096)
        sock.sendall(_http_response(b"400 Bad Request", _TLS_400))
