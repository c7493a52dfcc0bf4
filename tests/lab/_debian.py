"""SSH into a pretend Debian 12 host: one account, and the commands a package inventory runs.

Authenticated checks ("local security checks") log in over SSH and read the system: its
release (``/etc/debian_version``), its kernel (``uname``), its installed packages (``dpkg
-l``, ``dpkg-query``). This service answers exactly those from a table built from the
packages it is given, so a test decides what is installed, and which advisories apply.
Nothing runs: any other command gets ``not found`` on stderr and exit status 127, as from
``sh``. An interactive session (what the feed's ``ssh_cmd(pty: TRUE)`` opens for ``uname``)
gets a prompt, and each line it writes is answered the same way. Commands may come wrapped
as ``/bin/sh -c '...'`` with leading ``NAME=value;`` assignments (what the feed's
``ssh_cmd()`` sends); the command inside is what counts.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Final

import asyncssh

from ._ssh import SshService

if TYPE_CHECKING:
    from collections.abc import Mapping

USER: Final = "auditor"
PASSWORD: Final = "lab-audit-pass"
RELEASE: Final = "12.5"
KERNEL: Final = "Linux lab 6.1.0-18-amd64 #1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 x86_64 GNU/Linux"
PROMPT: Final = b"auditor@lab:~$ "
_WRAPPED: Final = re.compile(r"^/bin/sh -c '(.*)'$", re.DOTALL)
_ASSIGNMENTS: Final = re.compile(r"^(?:\s*[A-Za-z_][A-Za-z0-9_]*=[^;\s]*\s*;)*\s*")


class _Account(asyncssh.SSHServer):
    """The one account, by password or by the key the service was given."""

    def __init__(self, key: asyncssh.SSHKey | None) -> None:
        self._key = key

    def begin_auth(self, username: str) -> bool:
        return True

    def password_auth_supported(self) -> bool:
        return True

    def validate_password(self, username: str, password: str) -> bool:
        return (username, password) == (USER, PASSWORD)

    def public_key_auth_supported(self) -> bool:
        return self._key is not None

    def validate_public_key(self, username: str, key: asyncssh.SSHKey) -> bool:
        return username == USER and self._key is not None and key == self._key


def _dpkg_list(packages: Mapping[str, str]) -> str:
    """``dpkg -l`` as Debian 12 prints it (columns as wide as the names)."""
    name_width = max(map(len, packages), default=4) + 1
    version_width = max(map(len, packages.values()), default=7) + 1
    lines = [
        "Desired=Unknown/Install/Remove/Purge/Hold",
        "| Status=Not/Inst/Conf-files/Unpacked/halF-conf/Half-inst/trig-aWait/Trig-pend",
        "|/ Err?=(none)/Reinst-required (Status,Err: uppercase=bad)",
        f"||/ {'Name':<{name_width}}{'Version':<{version_width}}Architecture Description",
        f"+++-{'=' * (name_width - 1)}-{'=' * (version_width - 1)}-============-============",
    ]
    for name, version in sorted(packages.items()):
        lines.append(f"ii  {name:<{name_width}}{version:<{version_width}}amd64        {name}")
    return "\n".join(lines) + "\n"


def answers(packages: Mapping[str, str]) -> dict[str, str]:
    """What each known command prints on stdout."""
    query = "".join(f"{n}##{v}##install ok installed##\n" for n, v in sorted(packages.items()))
    return {
        "cat /etc/debian_version": RELEASE + "\n",
        "uname -a": KERNEL + "\n",
        "uname": "Linux\n",
        "dpkg --no-pager -l": _dpkg_list(packages),
        "COLUMNS=600 dpkg -l": _dpkg_list(packages),
        "dpkg-query": query,  # any -W --showformat: Package##Version##Status##
    }


def command_of(line: str) -> str:
    """The command inside ``/bin/sh -c '...'``, without leading assignments."""
    wrapped = _WRAPPED.match(line)
    inner = wrapped.group(1) if wrapped else line
    return _ASSIGNMENTS.sub("", inner, count=1).strip()


class DebianHostService(SshService):
    """asyncssh as a Debian 12.5 host with ``packages`` (name -> version) installed;
    ``key`` (OpenSSH public key text), if given, lets the account in too."""

    name = "ssh-debian"

    def __init__(self, packages: Mapping[str, str], key: bytes | None = None) -> None:
        super().__init__()
        self._answers = answers(packages)
        self._key = None if key is None else asyncssh.import_public_key(key)
        #: Every command asked, in order (what the checks ran).
        self.commands: list[str] = []

    def _listen_options(self) -> dict[str, object]:
        return {
            "server_factory": lambda: _Account(self._key),
            "process_factory": self._run,
            "encoding": None,
        }

    async def _run(self, process: asyncssh.SSHServerProcess[bytes]) -> None:
        if process.command is not None:
            status = self._answer(process, process.command)
            process.exit(status)
            return
        # An interactive shell: a prompt, then each line answered as a command. On a
        # terminal the line typed comes back first, as a tty echoes it.
        echo = process.get_terminal_type() is not None
        process.stdout.write(PROMPT)
        try:
            async for line in process.stdin:
                typed = line.decode(errors="replace").strip()
                if echo:
                    process.stdout.write(line.rstrip(b"\r\n") + b"\n")
                if typed == "exit":
                    break
                if typed:
                    self._answer(process, typed)
                process.stdout.write(PROMPT)
        except asyncssh.BreakReceived:
            pass
        process.exit(0)

    def _answer(self, process: asyncssh.SSHServerProcess[bytes], line: str) -> int:
        """Write what ``line`` prints; its exit status."""
        command = command_of(line)
        self.commands.append(command)
        key = "dpkg-query" if command.startswith("dpkg-query -W") else command
        output = self._answers.get(key)
        if output is None:
            process.stderr.write(f"sh: 1: {command.split(' ', 1)[0]}: not found\n".encode())
            return 127
        process.stdout.write(output.encode())
        return 0
