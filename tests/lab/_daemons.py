"""Debian's own servers, started for a test on 127.0.0.1 and stopped by their PID.

Fakes show that each rule works; the real daemons show that the rules fit what real servers
say. :class:`RealDaemon` starts one (``redis``, ``memcached``, ``nginx-http``, ``nginx-https``,
``postgresql``, ``mariadb``) in a scratch directory, on a port the kernel just gave us, when
its program is installed (:meth:`RealDaemon.missing` says what is not).

Safety: before anyone connects, the port must be listened on by the very process we started
(its socket is among that process's descriptors), so a program that took the port in the
meantime is never probed.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import time
from pathlib import Path
from typing import ClassVar, Final

from ._base import LOOPBACK, Service
from ._certs import expired_self_signed_cert

#: Seconds a daemon may take to listen (MariaDB and PostgreSQL first build a data directory).
START_TIMEOUT: Final = 60.0
_PG_BIN: Final = Path("/usr/lib/postgresql")

_NGINX_CONF: Final = """daemon off;
master_process off;
pid {dir}/nginx.pid;
error_log {dir}/error.log;
events {{ worker_connections 64; }}
http {{
  access_log off;
  client_body_temp_path {dir}/body;
  proxy_temp_path {dir}/proxy;
  fastcgi_temp_path {dir}/fastcgi;
  uwsgi_temp_path {dir}/uwsgi;
  scgi_temp_path {dir}/scgi;
  server {{
    listen {address}:{port}{ssl};
    {certificate}
    location / {{ return 200 "ixion lab\\n"; }}
  }}
}}
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        port: int = sock.getsockname()[1]
        return port


def _program(name: str) -> str | None:
    """Where ``name`` is installed: on PATH, or in the sbin directories a user's PATH lacks."""
    return shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/bin:/sbin:/bin")


def _postgres_bin() -> Path | None:
    found = sorted(_PG_BIN.glob("*/bin/postgres"))
    return found[-1].parent if found else None


def _listening_inode(port: int) -> int | None:
    """The inode of the socket listening on 127.0.0.1:``port``, from ``/proc/net/tcp``."""
    wanted = f"0100007F:{port:04X}"
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[1] == wanted and fields[3] == "0A":  # 0A: LISTEN
            return int(fields[9])
    return None


def _holds(pid: int, inode: int) -> bool:
    try:
        links = [os.readlink(fd) for fd in Path(f"/proc/{pid}/fd").iterdir()]
    except OSError:
        return False
    return f"socket:[{inode}]" in links


class RealDaemon(Service):
    """A Debian server on 127.0.0.1:``port``, until :meth:`stop` ends it by its PID."""

    name = "daemon"

    PROGRAMS: ClassVar[dict[str, str]] = {
        "redis": "redis-server",
        "memcached": "memcached",
        "nginx-http": "nginx",
        "nginx-https": "nginx",
        "postgresql": "postgres",
        "mariadb": "mariadbd",
    }

    def __init__(self, kind: str) -> None:
        super().__init__()
        if kind not in self.PROGRAMS:
            raise ValueError(f"no such daemon: {kind}")
        self.kind = kind
        self._process: subprocess.Popen[bytes] | None = None

    @classmethod
    def missing(cls, kind: str) -> str | None:
        """Why ``kind`` cannot run here (its program is not installed), or None."""
        if kind == "postgresql":
            return None if _postgres_bin() else "PostgreSQL is not installed"
        program = cls.PROGRAMS[kind]
        return None if _program(program) else f"{program} is not installed"

    def start(self) -> None:
        if (why := self.missing(self.kind)) is not None:
            raise RuntimeError(why)
        self.port = _free_port()
        command, user = self._prepare(self._scratch())
        command[0] = _program(command[0]) or command[0]
        log = (self._scratch() / "daemon.log").open("wb")
        self._process = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=log, stderr=log, user=user
        )
        log.close()
        try:
            self._wait_listening()
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        super().stop()

    def _wait_listening(self) -> None:
        assert self._process is not None
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                log = (self._scratch() / "daemon.log").read_text(errors="replace")
                raise RuntimeError(f"{self.kind} exited: {log[-2000:]}")
            inode = _listening_inode(self.port)
            if inode is not None and _holds(self._process.pid, inode):
                return
            time.sleep(0.1)
        raise RuntimeError(f"{self.kind} did not listen on port {self.port}")

    def _prepare(self, scratch: Path) -> tuple[list[str], str | None]:
        """The command line (and the user to run it as), after any setup it needs."""
        port = str(self.port)
        if self.kind == "redis":
            return [
                "redis-server", "--port", port, "--bind", LOOPBACK, "--save", "",
                "--appendonly", "no", "--daemonize", "no", "--dir", str(scratch),
            ], None  # fmt: skip
        if self.kind == "memcached":
            return ["memcached", "-l", LOOPBACK, "-p", port, "-U", "0", "-u", "nobody"], None
        if self.kind.startswith("nginx"):
            return self._nginx(scratch, tls=self.kind == "nginx-https"), None
        if self.kind == "postgresql":
            return self._postgres(scratch), "postgres"
        return self._mariadb(scratch), None

    def _nginx(self, scratch: Path, *, tls: bool) -> list[str]:
        certificate = ""
        if tls:
            cert, key = expired_self_signed_cert(scratch)
            certificate = f"ssl_certificate {cert}; ssl_certificate_key {key};"
        conf = scratch / "nginx.conf"
        conf.write_text(
            _NGINX_CONF.format(
                dir=scratch,
                address=LOOPBACK,
                port=self.port,
                ssl=" ssl" if tls else "",
                certificate=certificate,
            )
        )
        return ["nginx", "-c", str(conf), "-e", str(scratch / "error.log")]

    def _postgres(self, scratch: Path) -> list[str]:
        """initdb as the postgres user (the server refuses to run as root), trust locally."""
        bindir = _postgres_bin()
        assert bindir is not None
        account = pwd.getpwnam("postgres")
        os.chown(scratch, account.pw_uid, account.pw_gid)
        data = scratch / "data"
        subprocess.run(
            [str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres", "-N"],
            check=True,
            capture_output=True,
            user="postgres",
        )
        return [
            str(bindir / "postgres"), "-D", str(data), "-p", str(self.port),
            "-k", str(scratch), "-c", f"listen_addresses={LOOPBACK}",
        ]  # fmt: skip

    def _mariadb(self, scratch: Path) -> list[str]:
        account = pwd.getpwnam("mysql")
        os.chown(scratch, account.pw_uid, account.pw_gid)
        data = scratch / "data"
        subprocess.run(
            [
                "mariadb-install-db", "--no-defaults", f"--datadir={data}", "--user=mysql",
                "--auth-root-authentication-method=normal", "--skip-test-db",
            ],
            check=True,
            capture_output=True,
        )  # fmt: skip
        return [
            "mariadbd", "--no-defaults", f"--datadir={data}", f"--port={self.port}",
            f"--bind-address={LOOPBACK}", f"--socket={scratch / 'mysql.sock'}", "--user=mysql",
            f"--pid-file={scratch / 'mariadbd.pid'}", "--skip-log-bin",
        ]  # fmt: skip
