"""OpenSSH on 22: ``sshd -D -e -f CONF`` with its own host keys in the state directory.

Weak host: password authentication offered, root login permitted, and old algorithms
added to the defaults (SHA-1 and 1024-bit-group key exchange, CBC and 3DES ciphers, MD5
and truncated MACs, ``ssh-rsa`` host key signatures). Hardened host: public keys only, no
root, and only modern algorithms.

On both, ``AllowUsers`` names an account that does not exist: no real account of this
machine can log in through the lab, whatever the other settings say. The methods sshd
offers (what a scanner sees) do not depend on it.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Final

from tests.netlab._daemon import Daemon, HostSetup, Probe

__all__ = ["NOBODY", "prepare_sshd"]

#: The only account sshd would admit; it does not exist.
NOBODY: Final = "ixlab-nobody"
#: sshd's privilege separation directory, compiled in; it refuses to start without it.
PRIVSEP_DIR: Final = Path("/run/sshd")


def _host_key(directory: Path, kind: str) -> Path:
    key = directory / f"ssh_host_{kind}_key"
    bits = ["-b", "2048"] if kind == "rsa" else []
    argv = ["ssh-keygen", "-q", "-t", kind, *bits, "-N", "", "-C", "ixion netlab", "-f", str(key)]
    subprocess.run(argv, check=True, capture_output=True)
    return key


def prepare_sshd(setup: HostSetup) -> list[Daemon]:
    PRIVSEP_DIR.mkdir(mode=0o755, exist_ok=True)
    root = setup.dir("sshd", mode=0o700)
    kinds = ("ed25519", "rsa") if setup.host.weak else ("ed25519",)
    keys = [_host_key(root, kind) for kind in kinds]
    lines = [
        "Port 22",
        "AddressFamily inet",
        "ListenAddress 0.0.0.0",
        *(f"HostKey {key}" for key in keys),
        f"PidFile {root}/sshd.pid",
        f"AllowUsers {NOBODY}",
        "AuthorizedKeysFile none",
        "KbdInteractiveAuthentication no",
        "UsePAM yes",
        "PrintMotd no",
        "X11Forwarding no",
    ]
    if setup.host.weak:
        lines += [
            "PermitRootLogin yes",
            "PasswordAuthentication yes",
            "KexAlgorithms +diffie-hellman-group1-sha1,diffie-hellman-group14-sha1",
            "Ciphers +3des-cbc,aes128-cbc,aes256-cbc",
            "MACs +hmac-md5,hmac-md5-96,hmac-sha1-96",
            "HostKeyAlgorithms +ssh-rsa",
        ]
    else:
        lines += [
            "PermitRootLogin no",
            "PasswordAuthentication no",
            "AuthenticationMethods publickey",
            "KexAlgorithms curve25519-sha256,curve25519-sha256@libssh.org,"
            "sntrup761x25519-sha512@openssh.com",
            "Ciphers chacha20-poly1305@openssh.com,aes256-gcm@openssh.com,aes128-gcm@openssh.com",
            "MACs hmac-sha2-512-etm@openssh.com,hmac-sha2-256-etm@openssh.com",
            "HostKeyAlgorithms ssh-ed25519",
        ]
    conf = root / "sshd_config"
    conf.write_text("\n".join(lines) + "\n")
    argv = ("/usr/sbin/sshd", "-D", "-e", "-f", str(conf))
    return [Daemon("sshd", argv, (Probe("tcp", 22),), setup.log("sshd"))]
