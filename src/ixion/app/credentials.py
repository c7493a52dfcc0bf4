"""``--credentials FILE``: accounts for authenticated checks, and any plugin preference, in TOML.

Authenticated checks (a package inventory over SSH, then the advisories that compare its
versions) read their account from plugin preferences, the "SSH Authorization" ones every
NTP client sets (``ssh_authorization_init.nasl`` puts them in the KB, the feed's login
code reads them there). A file keeps secrets off the command line, where ``ps`` and the
shell's history would show them::

    [ssh]
    user = "scanner"
    password = "..."                      # or a key, with its passphrase if it has one:
    private_key = "~/.ssh/id_ed25519"
    passphrase = "..."
    privilege_user = "root"               # optional: su/sudo after the login
    privilege_password = "..."

    [preferences]                         # any plugin preference, by its full name
    "TLS certificate information and validity[file]:Trusted CA certificates (PEM)" = "ca.pem"

A ``[file]`` preference names a local file; the scan reads it where it is (the daemon would
have been sent a copy). Relative paths are read from the credentials file's directory.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

__all__ = ["SSH_PLUGIN", "Credentials", "CredentialsError", "read_credentials"]

#: The feed's plugin whose preferences hold the SSH account (its ``script_name``).
SSH_PLUGIN: Final = "SSH Authorization"
#: ``[ssh]`` key -> (preference type, label) as ``ssh_authorization_init.nasl`` declares them.
_SSH_PREFERENCES: Final = {
    "user": ("entry", "SSH login name:"),
    "password": ("password", "SSH password (unsafe!):"),
    "private_key": ("file", "SSH private key:"),
    "passphrase": ("password", "SSH key passphrase:"),
    "privilege_user": ("entry", "SSH privilege login name:"),
    "privilege_password": ("password", "SSH privilege password:"),
}


class CredentialsError(ValueError):
    """A credentials file that cannot be used; the message names the file and the problem."""


@dataclass(frozen=True, slots=True)
class Credentials:
    """Preferences to set for the scan, and the local files ``[file]`` ones name."""

    preferences: tuple[tuple[str, str], ...] = ()
    #: What a ``[file]`` preference says -> the file to read (the job's attached files).
    files: dict[str, str] = field(default_factory=dict)


def read_credentials(path: Path) -> Credentials:
    """The preferences a credentials file sets.

    Raises:
        CredentialsError: the file is unreadable, not TOML, has an unknown table or key, a
            value that is not text, an SSH account without a user, or names a file that is
            not there.
    """
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CredentialsError(f"{path}: {exc.strerror}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise CredentialsError(f"{path}: not a TOML file: {exc}") from None
    unknown = set(data) - {"ssh", "preferences"}
    if unknown:
        raise CredentialsError(f"{path}: unknown table(s) {', '.join(sorted(unknown))}")
    items: list[tuple[str, str]] = []
    ssh = _table(path, data, "ssh")
    if ssh:
        items.extend(_ssh_preferences(path, ssh))
    for name, value in _table(path, data, "preferences").items():
        items.append((name, _text(path, f"preferences.{name!r}", value)))
    files = {}
    for name, value in items:
        if "[file]:" in name and value:
            local = (path.parent / Path(value).expanduser()).resolve()
            if not local.is_file():
                raise CredentialsError(f"{path}: {name}: {value}: no such file")
            files[value] = str(local)
    return Credentials(tuple(items), files)


def _ssh_preferences(path: Path, ssh: dict[str, Any]) -> list[tuple[str, str]]:
    unknown = set(ssh) - set(_SSH_PREFERENCES)
    if unknown:
        raise CredentialsError(f"{path}: [ssh] has unknown key(s) {', '.join(sorted(unknown))}")
    if "user" not in ssh:
        raise CredentialsError(f"{path}: [ssh] needs a user")
    if "password" not in ssh and "private_key" not in ssh:
        raise CredentialsError(f"{path}: [ssh] needs a password or a private_key")
    return [
        (f"{SSH_PLUGIN}[{kind}]:{label}", _text(path, f"ssh.{key}", ssh[key]))
        for key, (kind, label) in _SSH_PREFERENCES.items()
        if key in ssh
    ]


def _table(path: Path, data: dict[str, Any], name: str) -> dict[str, Any]:
    table = data.get(name, {})
    if not isinstance(table, dict):
        raise CredentialsError(f"{path}: {name} must be a table ([{name}])")
    return table


def _text(path: Path, where: str, value: object) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise CredentialsError(f"{path}: {where} must be text")
    text = str(value)
    if "\n" in text or "\r" in text:
        raise CredentialsError(f"{path}: {where} must be on one line")
    return text
