"""The user store: nessusd's users directory, read and written compatibly (spec §1.5, §7.1).

One directory per login, as nessus-adduser made it (spec §7.2)::

    <users>/<name>/            0755
        auth/                  0700
            hash               "<hex md5(seed + password)> <seed>", or ixion's "$scrypt$..."
            password           the password in clear (nessus-adduser without an md5 tool)
            dname              certificate subject DNs, one per line
            rules              the user's rules (spec §7.3); must exist, may be empty
        plugins/               0755, the user's own plugins

:meth:`UserStore.authenticate` follows nessusd's ``check_user`` step by step, so users made
by nessus-adduser log in unchanged. Users made by :meth:`UserStore.add_user` get a scrypt hash
(:mod:`ixion.server.password_hashes` has both forms). Two things differ from nessusd on
purpose: every attempt costs one scrypt, whether the name exists or not, so the time of the
answer names no user; and a file that exists but cannot be read (EMFILE at the descriptor
limit, EACCES, EIO) raises :class:`OSError` instead of passing for a wrong password.

Files are read at every login, as nessusd read them, so the administrator can edit a user while
the daemon runs. A new user is built under a hidden name and renamed into place, so a login
never sees half a user; names starting with ``.`` are therefore not given to new users, and
:meth:`UserStore.list_users` skips them. Everything is synchronous pathlib code: the daemon
calls it from a worker thread.

Names and passwords arrive as text decoded from the wire with UTF-8 and ``surrogateescape``
(``ixion.ntp.text``); encoding them back gives the bytes the client sent, which is what a legacy
MD5 hash covers.
"""

from __future__ import annotations

import hmac
import os
import secrets
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final

from ixion.server.password_hashes import (
    DEFAULT_COST,
    HashCheck,
    ScryptCost,
    check_hash,
    scrypt_line,
    spend_scrypt,
)
from ixion.server.rules import RuleFile, parse_user_rules

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = ["MAX_NAME_BYTES", "ScryptCost", "User", "UserError", "UserStore"]

#: nessusd's NESSUS_MAX_USERNAME_LEN: a login name is shorter than this many bytes (§1.5).
MAX_NAME_BYTES: Final = 32


class UserError(Exception):
    """A user cannot be added or removed; the message says why."""


@dataclass(frozen=True, slots=True, kw_only=True)
class User:
    """Someone who logged in."""

    name: str
    #: The user's ``auth/rules``, to merge with the global rules (spec §7.3).
    rules: RuleFile


@dataclass(frozen=True, slots=True)
class UserStore:
    """The users directory (nessusd's ``NESSUSD_LOGINS``)."""

    directory: Path
    #: Work factors for hashes written by :meth:`add_user`.
    cost: ScryptCost = DEFAULT_COST

    def authenticate(self, name: str, password: str, client_dn: str | None = None) -> User | None:
        """The user if the login is good, else ``None``: nessusd's ``check_user`` (spec §1.5).

        A DN listed in ``auth/dname`` stands in for the password, but the password must still
        be non-empty. Whatever the outcome, the call does the work of one scrypt: the user's
        own check, or a throw-away one at :attr:`cost` when none ran (an unknown or impossible
        name, an MD5 or clear-text password, a DN, a file that could not be read). So an
        unknown name and a user made by ``ixion-adduser`` (whose hash has :attr:`cost`) take
        the same time to refuse. A scrypt hash of another cost takes its own time; ixion
        writes none, and padding it would cost such a user two hashes at every login.

        Raises :class:`~ixion.server.rules.RuleError` when the credentials are right but
        ``auth/rules`` has a bad line (the daemon refuses that login and logs why), and
        :class:`OSError` when a file exists but cannot be read now: that is no wrong password.
        """
        hashed = False
        try:
            auth, hashed = self._credentials(name, password, client_dn)
        finally:
            if not hashed:
                spend_scrypt(self.cost)
        if auth is None:
            return None
        rules = _read_present(auth / "rules")
        if rules is None:  # it must exist, even empty; nessusd refused the login without it
            return None
        text = rules.decode("utf-8", "surrogateescape")
        return User(name=name, rules=parse_user_rules(text, source=str(auth / "rules")))

    def _credentials(
        self, name: str, password: str, client_dn: str | None
    ) -> tuple[Path | None, bool]:
        """The user's ``auth`` directory if the credentials are good, and whether a scrypt ran."""
        if not _is_login_name(name) or not password:
            return None, False
        auth = self.directory / name / "auth"
        try:
            secret = _wire_bytes(password)
            dn = _wire_bytes(client_dn) if client_dn else None
        except UnicodeEncodeError:
            return None, False
        if dn is not None and _dn_listed(auth, dn):
            return auth, False
        check = _password_check(auth, secret)
        return (auth if check.matches else None), check.hashed

    def rules_of(self, name: str) -> RuleFile | None:
        """An existing user's rules, without a login (a detached scan resumed at start)."""
        text = _read(self.directory / name / "auth" / "rules") if _is_login_name(name) else None
        if text is None:
            return None
        return parse_user_rules(text.decode("utf-8", "surrogateescape"), source=f"{name}'s rules")

    def add_user(
        self,
        name: str,
        *,
        password: str | None = None,
        dns: Iterable[str] = (),
        rules_text: str = "",
    ) -> None:
        """Create a user as nessus-adduser would, with a scrypt hash instead of MD5.

        Raises :class:`UserError` for a bad or existing name, no way to log in, or a password or
        DN that no client could present; :class:`~ixion.server.rules.RuleError` for bad rules.
        Nothing is written unless everything is valid.
        """
        _check_new_name(name)
        dn_lines = [_new_dn(dn) + b"\n" for dn in dns]
        if password is None and not dn_lines:
            raise UserError(f"user {name!r} needs a password or a certificate DN to log in")
        secret = None if password is None else _new_password(password)
        files = {"rules": _rules_file(rules_text)}
        if dn_lines:
            files["dname"] = b"".join(dn_lines)
        target = self.directory / name
        if os.path.lexists(target):
            raise UserError(f"user {name!r} already exists")
        if secret is not None:  # last, because it is the slow part
            files["hash"] = scrypt_line(secret, self.cost)
        self.directory.mkdir(parents=True, exist_ok=True)
        _install(self.directory, target, files)

    def remove_user(self, name: str) -> None:
        """Delete the user's directory, as nessus-rmuser did; a login never sees it half gone."""
        target = self.directory / name
        if not _is_login_name(name) or not target.is_dir():
            raise UserError(f"no user {name!r}")
        doomed = self.directory / f".removed-{secrets.token_hex(8)}"
        target.rename(doomed)
        if doomed.is_symlink():
            doomed.unlink()
        else:
            shutil.rmtree(doomed)

    def list_users(self) -> tuple[str, ...]:
        """The logins, sorted: directories with a valid name and an ``auth`` directory."""
        try:
            entries = list(self.directory.iterdir())
        except FileNotFoundError:
            return ()
        return tuple(
            sorted(
                entry.name
                for entry in entries
                if not entry.name.startswith(".")
                and _is_login_name(entry.name)
                and (entry / "auth").is_dir()
            )
        )


# --- names, passwords and DNs ----------------------------------------------------------------


def _wire_bytes(text: str) -> bytes:
    """The bytes the client sent for this text (see ``ixion.ntp.text.decode_bytes``)."""
    return text.encode("utf-8", "surrogateescape")


def _is_login_name(name: str) -> bool:
    """nessusd's test (shorter than 32 bytes, no ``..``, no ``/``), plus what names no
    directory: the empty name, ``.`` and NUL."""
    try:
        size = len(_wire_bytes(name))
    except UnicodeEncodeError:
        return False
    forbidden = ".." in name or "/" in name or "\0" in name or name == "."
    return 0 < size < MAX_NAME_BYTES and not forbidden


def _check_new_name(name: str) -> None:
    # Stricter than a login: names starting with "." are ixion's work directories, and
    # control characters in a name would end up in log lines.
    if not _is_login_name(name) or name.startswith(".") or not name.isprintable():
        raise UserError(
            f"bad user name {name!r}: 1 to {MAX_NAME_BYTES - 1} bytes of printable text, "
            "no '/' or '..', not starting with '.'"
        )


def _new_password(password: str) -> bytes:
    # The server strips the line end from the answer to "Password : " (§1.5), so a password
    # with a CR or LF could never be typed, and an empty one is always refused.
    if not password or "\n" in password or "\r" in password:
        raise UserError("a password must be non-empty and have no line breaks")
    try:
        return _wire_bytes(password)
    except UnicodeEncodeError:
        raise UserError("the password is not valid text") from None


def _new_dn(dn: str) -> bytes:
    if not dn or not dn.isprintable():
        raise UserError(f"bad certificate DN {dn!r}: one non-empty line of printable text")
    return _wire_bytes(dn)


def _rules_file(text: str) -> bytes:
    parse_user_rules(text, source="new user rules")  # refuse bad rules before writing anything
    # nessusd chopped the last character of every line, newline or not, so the last line
    # must end in one for a nessusd to read the same rules.
    if text and not text.endswith("\n"):
        text += "\n"
    try:
        return _wire_bytes(text)
    except UnicodeEncodeError:
        raise UserError("the rules are not valid text") from None


# --- checking a login ------------------------------------------------------------------------


def _read(path: Path) -> bytes | None:
    """The file's bytes, or ``None`` where nessusd's ``fopen`` would have failed."""
    try:
        return path.read_bytes()
    except OSError:
        return None


def _read_present(path: Path) -> bytes | None:
    """The file's bytes, or ``None`` if it does not exist; any other failure raises.

    A login must not pass a file it could not read for a missing one: at the descriptor limit
    that turned right passwords into bad logins (issue 15).
    """
    try:
        return path.read_bytes()
    except (FileNotFoundError, NotADirectoryError):
        return None


def _dn_listed(auth: Path, dn: bytes) -> bool:
    """One line of ``auth/dname`` equals the DN exactly (only the LF is stripped, §1.5).

    OpenSSL wrote the e-mail attribute ``Email`` up to 0.9.6 (what nessus-adduser put in
    ``auth/dname``) and ``emailAddress`` since; both spellings name the same subject.
    """
    listed = _read_present(auth / "dname")
    if listed is None:
        return False
    wanted = _canonical_dn(dn)
    return any(_canonical_dn(line) == wanted for line in listed.split(b"\n"))


def _canonical_dn(dn: bytes) -> bytes:
    return dn.replace(b"/Email=", b"/emailAddress=")


def _password_check(auth: Path, password: bytes) -> HashCheck:
    """``auth/hash`` if it exists, else ``auth/password``, else no login (§1.5 steps 4-6)."""
    stored_hash = _read_present(auth / "hash")
    if stored_hash is not None:
        return check_hash(stored_hash, password)
    clear = _read_present(auth / "password")
    if clear is None:
        return HashCheck(False)
    # fgets then "minus its last character": the first line's LF, or a real character when
    # the file has no LF at all.
    end = clear.find(b"\n")
    first_line = clear if end < 0 else clear[: end + 1]
    return HashCheck(hmac.compare_digest(first_line[:-1], password))


# --- writing a user --------------------------------------------------------------------------


def _install(directory: Path, target: Path, files: dict[str, bytes]) -> None:
    """Build the user under a hidden name, then rename it into place in one step."""
    work = Path(tempfile.mkdtemp(prefix=".new-", dir=directory))
    try:
        _fill(work, files)
        try:
            work.rename(target)
        except OSError as exc:
            if os.path.lexists(target):  # someone else created it since we looked
                raise UserError(f"user {target.name!r} already exists") from exc
            raise
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise


def _fill(work: Path, files: dict[str, bytes]) -> None:
    auth, plugins = work / "auth", work / "plugins"
    auth.mkdir()
    plugins.mkdir()
    for name, data in files.items():
        _write_private(auth / name, data)
    # Explicit modes: the umask must neither loosen auth/ nor tighten the rest (§7.1).
    auth.chmod(0o700)
    plugins.chmod(0o755)
    work.chmod(0o755)


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as file:
        os.fchmod(fd, 0o600)
        file.write(data)
        file.flush()
        os.fsync(fd)
