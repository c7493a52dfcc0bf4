"""FTP, SMTP and SSH on both hosts answer as configured."""

from __future__ import annotations

import ftplib
import io
import smtplib
import ssl
import subprocess
import uuid

import pytest

from tests.netlab.fixture import NetLab


def test_ftp_anonymous_upload_on_weak(netlab: NetLab) -> None:
    name = f"probe-{uuid.uuid4().hex}.txt"
    with ftplib.FTP(netlab.weak, timeout=5) as ftp:
        assert ftp.login().startswith("230")
        ftp.cwd("upload")
        assert ftp.storbinary(f"STOR {name}", io.BytesIO(b"lab")).startswith("226")
        assert name in ftp.nlst()


def test_ftp_hardened_refuses_anonymous_and_requires_tls(netlab: NetLab) -> None:
    with ftplib.FTP(netlab.hardened, timeout=5) as ftp, pytest.raises(ftplib.error_perm):
        ftp.login()
    context = ssl.create_default_context(cafile=str(netlab.ca_file))
    with ftplib.FTP_TLS(netlab.hardened, timeout=5, context=context) as ftps:
        assert ftps.auth().startswith("234")  # the certificate verified, for the IP too
    with ftplib.FTP(netlab.weak, timeout=5) as plain, pytest.raises(ftplib.error_perm):
        plain.sendcmd("AUTH TLS")


def test_smtp_weak_relays_and_verifies(netlab: NetLab) -> None:
    with smtplib.SMTP(netlab.weak, 25, timeout=5) as smtp:
        smtp.ehlo("scanner.lab.test")
        assert smtp.verify("root")[0] == 252
        assert smtp.mail("someone@example.com")[0] == 250
        assert smtp.rcpt("someone-else@example.org")[0] == 250


def test_smtp_hardened_refuses_relay_and_vrfy(netlab: NetLab) -> None:
    with smtplib.SMTP(netlab.hardened, 25, timeout=5) as smtp:
        smtp.ehlo("scanner.lab.test")
        assert smtp.has_extn("starttls")
        assert smtp.verify("root")[0] == 502
        assert smtp.mail("someone@example.com")[0] == 250
        code, text = smtp.rcpt("someone-else@example.org")
        assert code == 554
        assert b"Relay access denied" in text


def _ssh(address: str, *options: str) -> str:
    """What an unauthenticating ssh client is told (its last line of stderr)."""
    argv = [
        "ssh",
        "-o", "BatchMode=yes",
        "-o", "StrictHostKeyChecking=no",
        "-o", "UserKnownHostsFile=/dev/null",
        "-o", "PreferredAuthentications=none",
        "-o", "ConnectTimeout=5",
        *options,
        f"root@{address}",
        "true",
    ]  # fmt: skip
    done = subprocess.run(argv, capture_output=True, text=True, timeout=20, check=False)
    assert done.returncode != 0
    return done.stderr.strip().splitlines()[-1]


def test_ssh_methods(netlab: NetLab) -> None:
    assert _ssh(netlab.weak).endswith("Permission denied (publickey,password).")
    assert _ssh(netlab.hardened).endswith("Permission denied (publickey).")


@pytest.mark.parametrize(
    "options",
    [
        ("KexAlgorithms=diffie-hellman-group1-sha1",),
        ("Ciphers=3des-cbc",),
        ("Ciphers=aes128-ctr", "MACs=hmac-md5"),  # an AEAD cipher would negotiate no MAC
        ("HostKeyAlgorithms=ssh-rsa",),
    ],
    ids=lambda options: options[-1],
)
def test_ssh_old_algorithms_on_weak_only(netlab: NetLab, options: tuple[str, ...]) -> None:
    argv = [word for option in options for word in ("-o", option)]
    assert "Permission denied" in _ssh(netlab.weak, *argv)
    assert "no matching" in _ssh(netlab.hardened, *argv)
