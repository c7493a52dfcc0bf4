"""SSH built-ins (C's ``nasl_ssh.c``): sessions, authentication, banners, host key.

ixion speaks SSH itself (:mod:`ixion.nasl.ssh.wire`) where OpenVAS links libssh; what a
script sees follows C:

* ``ssh_connect(socket:, port:, keytype:, csciphers:, scciphers:, timeout:)`` returns a
  session id (9001 and up), 0 when the connection or the handshake failed, NULL on a bad
  argument or a full table (10 sessions). Given a ``socket`` that fails, the id is still
  remembered for that socket, as C does, and ``ssh_session_id_from_sock`` finds it; closing
  the socket ends its session (C's close hook). Without ``socket``, the port is ``port:``,
  else the KB's ``Services/ssh``, else 22.
* ``ssh_userauth(id, login:, password:, privatekey:, passphrase:)``: 0 on success, -1 on
  failure. The methods are asked once with a ``none`` request; then, as C does, the
  password is tried (``password``, then ``keyboard-interactive``, answering the first
  prompt that does not echo), and after it the private key (``publickey``,
  :mod:`ixion.nasl.ssh.auth`), each only if the server offers the method. C tries the
  password first to stay compatible with the older NASL SSH code; a failed method falls
  through to the next. Without any of the three named arguments, the KB items
  ``Secret/SSH/password``, ``Secret/SSH/privatekey`` and ``Secret/SSH/passphrase`` are
  used. A private key that does not load (bad text, wrong or missing passphrase,
  unsupported type) gives a warning and is not tried.
* ``ssh_get_auth_methods(id)``: the methods in libssh's order (``none,password,publickey,
  hostbased,keyboard-interactive``); every method when the server did not answer the
  ``none`` request, as libssh assumes. ``ssh_get_issue_banner`` asks the methods first,
  since a server sends its banner before its first authentication answer.
* ``ssh_set_login``, ``ssh_get_server_banner``, ``ssh_get_host_key`` (the key blob),
  ``ssh_get_sock``, ``ssh_disconnect``.
* ``ssh_request_exec(id, cmd:, stdout:, stderr:)`` runs ``cmd`` on a channel of its own
  (:mod:`ixion.nasl.ssh.channel`) and returns its output: stdout when neither ``stdout``
  nor ``stderr`` is given; the stream(s) given as 1 otherwise, stderr before stdout when
  both are (C reads stderr to its end first); stdout then stderr when both are given as 0
  (C's compatibility mode); an empty string when only one is given, as 0. A command that
  goes quiet for the session's timeout returns what it wrote so far. NULL, with a
  warning, for an unknown session, no ``cmd``, a session not logged in, a server that
  refuses the channel or the command, or a broken connection.
* ``ssh_shell_open``, ``ssh_shell_read``, ``ssh_shell_write``, ``ssh_shell_close``: the
  interactive shell, in :mod:`.ssh_shell` (a family of its own, on these sessions).

Where ixion differs: no user set gives ``root`` (libssh takes the local user's name);
``ssh_request_exec`` asks for no pseudo-terminal (C does, which makes a real sshd merge
stderr into stdout and end lines with CR LF) and keeps at most ``max_string`` bytes of
output; a private key that does not load is a warning (C says so only when verbose);
SFTP is not implemented.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from ixion.nasl.builtins.network import ENCAPS_IP, connect, socket_of
from ixion.nasl.ssh.auth import KeyLoadError, auth_publickey, load_key
from ixion.nasl.ssh.channel import ExecResult, channels
from ixion.nasl.ssh.wire import SshClient, SshError, SshSession

if TYPE_CHECKING:
    from collections.abc import Callable

    from ixion.nasl.runtime.run import Call, Runtime
    from ixion.nasl.runtime.values import Value

__all__ = ["FUNCTIONS", "session_named"]

#: libssh's ``SSH_AUTH_METHOD_*`` bits, in the order ``ssh_get_auth_methods`` lists them.
_METHODS: Final = (
    ("none", 1),
    ("password", 2),
    ("publickey", 4),
    ("hostbased", 8),
    ("keyboard-interactive", 16),
)
_ALL_METHODS: Final = 31
_MAX_SESSIONS: Final = 10
#: Seconds libssh waits by default.
_TIMEOUT: Final = 10
_DEFAULT_USER: Final = b"root"


def _limit(rt: Runtime) -> Callable[[float], float]:
    def limit(seconds: float) -> float:
        """Each wait, cut to the script's deadline; past it the session fails at once."""
        if rt.deadline is None:
            return seconds
        left = rt.deadline - rt.services.clock.monotonic()
        if left <= 0:
            raise SshError("the script's deadline passed")
        return min(seconds, left)

    return limit


def _names(text: bytes | None) -> list[str] | None:
    return text.decode("latin-1").split(",") if text else None


def _ssh_connect(call: Call) -> Value:
    table = call.rt.connections
    handle = call.integer("socket", 0)
    owns = not handle
    if handle and socket_of(call, "socket") is None:
        return None
    if len(table.ssh) >= _MAX_SESSIONS:
        return None
    timeout = call.integer("timeout", 0)
    timeout = timeout if timeout > 0 else _TIMEOUT
    if owns:
        port = call.integer("port", 0)
        if port <= 0:
            port = next(
                (v for v in call.rt.kb_values("Services/ssh") if isinstance(v, int) and v > 0), 22
            )
        opened = connect(call, port, timeout, ENCAPS_IP)
        if opened is None:
            return 0
        handle = opened
    sock = table.get(handle)
    assert sock is not None
    client: SshClient | None = SshClient(sock.connection, _limit(call.rt), timeout)
    assert client is not None
    try:
        client.handshake(
            _names(call.text("keytype")),
            _names(call.text("csciphers")),
            _names(call.text("scciphers")),
        )
    except SshError:
        call.rt.check_deadline()
        if owns:
            table.close(handle)
            return 0
        client = None
    table.ssh_last += 1
    session_id = table.ssh_last
    table.ssh[session_id] = SshSession(client, handle, owns)
    return session_id if client is not None else 0


def session_named(call: Call, name: str | None) -> tuple[int, SshSession] | None:
    """The session the first argument names; a warning (if ``name``) when there is none."""
    session_id = call.integer(0, -1)
    session = call.rt.connections.ssh.get(session_id)
    if session is None and name is not None:
        how = "Invalid" if session_id <= 0 else "Bad"
        call.warn(f"{how} SSH session id {session_id} passed to {name}")
    return None if session is None else (session_id, session)


def _ssh_disconnect(call: Call) -> Value:
    found = session_named(call, None)
    if found is not None:
        session_id, session = found
        del call.rt.connections.ssh[session_id]
        session.end()
        if session.owns_socket:
            call.rt.connections.close(session.socket)
    return None


def _ssh_session_id_from_sock(call: Call) -> Value:
    handle = call.integer(0, -1)
    for session_id, session in call.rt.connections.ssh.items():
        if session.socket == handle:
            return session_id
    return 0


def _ssh_get_sock(call: Call) -> Value:
    found = session_named(call, "ssh_get_sock")
    return -1 if found is None else found[1].socket


def _set_login(call: Call, session: SshSession) -> None:
    if session.user_set:
        return
    login = call.text("login")
    if login is None:
        login = next(
            (v for v in call.rt.kb_values("Secret/SSH/login") if isinstance(v, bytes)), None
        )
    if login:
        session.user = login
    session.user_set = True


def _ssh_set_login(call: Call) -> Value:
    found = session_named(call, "ssh_set_login")
    if found is not None:
        _set_login(call, found[1])
    return None


def _auth_methods(call: Call, session: SshSession) -> bool:
    """Ask the methods with a ``none`` request; True if that logged us in."""
    client, names = session.client, None
    if client is not None:
        try:
            names = client.auth_none(session.user or _DEFAULT_USER)
        except SshError:
            call.rt.check_deadline()
            names = []
        if names is None:
            session.methods = 0
            channels(client).logged_in = True
            return True
    bits = sum(bit for name, bit in _METHODS if name in (names or ()))
    session.methods = bits if names else _ALL_METHODS
    return False


def _kb_text(call: Call, name: str) -> bytes | None:
    return next((v for v in call.rt.kb_values(name) if isinstance(v, bytes)), None)


def _ssh_userauth(call: Call) -> Value:
    found = session_named(call, "ssh_userauth")
    if found is None:
        return None
    session = found[1]
    _set_login(call, session)
    password, key, phrase = call.text("password"), call.text("privatekey"), call.text("passphrase")
    if password is None and key is None and phrase is None:
        password = _kb_text(call, "Secret/SSH/password")
        key = _kb_text(call, "Secret/SSH/privatekey")
        phrase = _kb_text(call, "Secret/SSH/passphrase")
    if session.methods is None and _auth_methods(call, session):
        return 0
    methods, client = session.methods or 0, session.client
    user = session.user or _DEFAULT_USER
    if client is None:
        return -1
    attempts: list[tuple[int, Callable[[], bool]]] = []
    if password is not None:
        secret = password
        attempts.append((2, lambda: client.auth_password(user, secret)))
        attempts.append((16, lambda: client.auth_kbdint(user, secret)))
    if key:
        private_key = key

        def by_key() -> bool:
            """Loaded only now, as C does: no warning when the password let us in."""
            try:
                loaded = load_key(private_key, phrase)
            except KeyLoadError as error:
                call.warn(f"ssh_userauth: the private key is not used: {error}")
                return False
            return auth_publickey(client, user, loaded)

        attempts.append((4, by_key))
    for bit, attempt in attempts:
        if methods & bit:
            try:
                if attempt():
                    channels(client).logged_in = True
                    return 0
            except SshError:
                call.rt.check_deadline()
    return -1


def _asked_methods(call: Call, name: str) -> SshSession | None:
    """The session, once the server was asked which methods it takes (which is also when
    it shows its issue banner)."""
    found = session_named(call, name)
    if found is None:
        return None
    session = found[1]
    _set_login(call, session)
    if session.methods is None:
        _auth_methods(call, session)
    return session


def _ssh_get_issue_banner(call: Call) -> Value:
    session = _asked_methods(call, "ssh_get_issue_banner")
    if session is None or session.client is None:
        return None
    return session.client.issue_banner


def _ssh_get_server_banner(call: Call) -> Value:
    found = session_named(call, "ssh_get_server_banner")
    client = None if found is None else found[1].client
    return None if client is None else client.server_version


def _ssh_get_host_key(call: Call) -> Value:
    found = session_named(call, "ssh_get_host_key")
    client = None if found is None else found[1].client
    return None if client is None or not client.host_key else client.host_key


def _ssh_get_auth_methods(call: Call) -> Value:
    session = _asked_methods(call, "ssh_get_auth_methods")
    if session is None:
        return None
    methods = session.methods or 0
    return ",".join(name for name, bit in _METHODS if methods & bit).encode()


def _streams(result: ExecResult, stdout: int, stderr: int) -> bytes:
    """The output ``ssh_request_exec`` returns for its ``stdout``/``stderr`` arguments
    (-1: not given), chosen as C's ``nasl_ssh_request_exec`` chooses it."""
    if stdout == -1 and stderr == -1:
        return result.stdout
    if stdout == 0 and stderr == 0:
        return result.stdout + result.stderr
    return (result.stderr if stderr > 0 else b"") + (result.stdout if stdout > 0 else b"")


def _ssh_request_exec(call: Call) -> Value:
    found = session_named(call, "ssh_request_exec")
    if found is None:
        return None
    session_id, session = found
    command = call.text("cmd")
    if not command:
        call.warn("No command passed to ssh_request_exec")
        return None
    client = session.client
    if client is None or not channels(client).logged_in:
        call.warn(f"ssh_request_exec: SSH session {session_id} is not logged in")
        return None
    try:
        services = call.rt.services
        result = channels(client).execute(
            command, services.limits.max_string, services.clock.monotonic
        )
    except SshError as error:
        call.rt.check_deadline()
        call.warn(f"ssh_request_exec: {error}")
        return None
    if result.timed_out:
        call.warn(f"ssh_request_exec: no output for {client.timeout}s, the command is left")
    if result.truncated:
        call.warn("ssh_request_exec: the output passed max_string and was cut")
    output = _streams(result, call.integer("stdout", -1), call.integer("stderr", -1))
    return call.rt.check_string(output[: services.limits.max_string])


FUNCTIONS: Final[dict[str, Callable[[Call], Value]]] = {
    "ssh_connect": _ssh_connect,
    "ssh_disconnect": _ssh_disconnect,
    "ssh_session_id_from_sock": _ssh_session_id_from_sock,
    "ssh_get_sock": _ssh_get_sock,
    "ssh_set_login": _ssh_set_login,
    "ssh_userauth": _ssh_userauth,
    "ssh_get_issue_banner": _ssh_get_issue_banner,
    "ssh_get_server_banner": _ssh_get_server_banner,
    "ssh_get_host_key": _ssh_get_host_key,
    "ssh_get_auth_methods": _ssh_get_auth_methods,
    "ssh_request_exec": _ssh_request_exec,
}
