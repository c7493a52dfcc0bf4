"""Accounts for authenticated checks, from a TOML file, as the preferences the checks read."""

from __future__ import annotations

from pathlib import Path

import pytest

from ixion.app.credentials import CredentialsError, read_credentials


def test_an_ssh_password_becomes_the_ssh_authorization_preferences(tmp_path: Path) -> None:
    path = tmp_path / "creds.toml"
    path.write_text('[ssh]\nuser = "scanner"\npassword = "s3cret = yes"\n')
    found = read_credentials(path)
    assert found.preferences == (
        ("SSH Authorization[entry]:SSH login name:", "scanner"),
        ("SSH Authorization[password]:SSH password (unsafe!):", "s3cret = yes"),
    )
    assert found.files == {}


def test_a_key_file_is_read_from_beside_the_credentials_file(tmp_path: Path) -> None:
    (tmp_path / "keys").mkdir()
    key = tmp_path / "keys" / "id_ed25519"
    key.write_text("-----BEGIN OPENSSH PRIVATE KEY-----\n")
    path = tmp_path / "creds.toml"
    path.write_text(
        '[ssh]\nuser = "root"\nprivate_key = "keys/id_ed25519"\npassphrase = "phrase"\n'
        "privilege_user = 'admin'\n"
        "[preferences]\n"
        '"TLS certificate information and validity[file]:Trusted CA certificates (PEM)" = '
        '"keys/id_ed25519"\n'
        '"UDP scanner[entry]:Packets per second" = 50\n'
    )
    found = read_credentials(path)
    assert dict(found.preferences) == {
        "SSH Authorization[entry]:SSH login name:": "root",
        "SSH Authorization[file]:SSH private key:": "keys/id_ed25519",
        "SSH Authorization[password]:SSH key passphrase:": "phrase",
        "SSH Authorization[entry]:SSH privilege login name:": "admin",
        "TLS certificate information and validity[file]:Trusted CA certificates (PEM)": (
            "keys/id_ed25519"
        ),
        "UDP scanner[entry]:Packets per second": "50",
    }
    # What a [file] preference says -> the file a check's script_get_preference_file_content reads.
    assert found.files == {"keys/id_ed25519": str(key)}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[ssh]\npassword = "x"\n', "needs a user"),
        ('[ssh]\nuser = "x"\n', "needs a password or a private_key"),
        ('[ssh]\nuser = "x"\npassword = "y"\nport = 22\n', "unknown key"),
        ('[smb]\nuser = "x"\n', "unknown table"),
        ('[ssh]\nuser = "x"\nprivate_key = "nowhere"\n', "nowhere: no such file"),
        ('[ssh]\nuser = true\npassword = "y"\n', "ssh.user must be text"),
        ('[ssh]\nuser = "x"\npassword = """a\nb"""\n', "must be on one line"),
        ("ssh = 1\n", "ssh must be a table"),
        ("[ssh\n", "not a TOML file"),
    ],
)
def test_a_file_that_cannot_be_used_says_why(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "creds.toml"
    path.write_text(text)
    with pytest.raises(CredentialsError, match=message):
        read_credentials(path)
