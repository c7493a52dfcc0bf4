"""``install``: the Debian packages of the lab, without starting any of their daemons.

Debian's maintainer scripts start a package's daemon through ``invoke-rc.d``, which first
asks ``/usr/sbin/policy-rc.d``: exit status 101 means "not allowed". When that file does not
exist, it is written (exiting 101) *before* anything is installed, and left in place: a
daemon that started outside the lab's namespaces would listen on this machine's real
interfaces, and the lab's own ports would clash with it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Final

__all__ = ["PACKAGES", "POLICY_RC_D", "install", "missing_packages"]

#: Daemons, then the command-line clients the tests and ``nmap`` use.
PACKAGES: Final = (
    "iproute2",
    "procps",
    "util-linux",
    "openssl",
    "nginx-light",
    "apache2",
    "vsftpd",
    "postfix",
    "openssh-server",
    "openssh-client",
    "redis-server",
    "redis-tools",
    "memcached",
    "bind9",
    "bind9-dnsutils",
    "snmpd",
    "snmp",
    "postgresql",
    "mariadb-server",
    "mariadb-client",
    "nmap",
)
POLICY_RC_D: Final = Path("/usr/sbin/policy-rc.d")
_POLICY: Final = (
    "#!/bin/sh\n# ixion netlab: no daemon starts outside the lab's namespaces.\nexit 101\n"
)


def missing_packages() -> list[str]:
    """The packages of :data:`PACKAGES` that are not installed."""
    done = subprocess.run(
        ["dpkg-query", "-W", "-f=${Package} ${db:Status-Abbrev}\n", *PACKAGES],
        capture_output=True,
        text=True,
        check=False,
    )
    installed = {
        line.split()[0] for line in done.stdout.splitlines() if line.split()[1:2] == ["ii"]
    }
    return [package for package in PACKAGES if package not in installed]


def _apt(*args: str) -> None:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "-q", "-y", *args], env=env, check=True, stdout=subprocess.DEVNULL)


def install() -> int:
    """Install what is missing; 0 on success (also when nothing was missing)."""
    missing = missing_packages()
    if not missing:
        print("netlab: every package is installed")
        return 0
    if os.geteuid() != 0:
        print(f"netlab: missing {' '.join(missing)}; installing needs root", file=sys.stderr)
        return 2
    if not POLICY_RC_D.exists():
        POLICY_RC_D.write_text(_POLICY)
        POLICY_RC_D.chmod(0o755)
        print(f"netlab: wrote {POLICY_RC_D} (exit 101): packages may not start daemons")
    verdict = subprocess.run([str(POLICY_RC_D), "nginx", "start"], check=False).returncode
    if verdict != 101:
        print(
            f"netlab: {POLICY_RC_D} allows starting daemons (exit {verdict}, not 101); "
            "refusing to install packages that would start outside the lab",
            file=sys.stderr,
        )
        return 2
    print(f"netlab: installing {' '.join(missing)}", flush=True)
    try:
        _apt("update", "-qq")
        _apt("install", "--no-install-recommends", *missing)
    except subprocess.CalledProcessError as exc:
        print(f"netlab: apt-get failed: {exc}", file=sys.stderr)
        return 1
    still = missing_packages()
    if still:
        print(f"netlab: still missing after apt-get: {' '.join(still)}", file=sys.stderr)
        return 1
    return 0
