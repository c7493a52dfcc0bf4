"""PostgreSQL on 5432 and MariaDB on 3306, each with a fresh data directory per host.

PostgreSQL (``initdb`` and ``postgres`` as the ``postgres`` account): on the weak host
``trust`` for every address, so any user name logs in without a password; on the hardened
host ``scram-sha-256`` with the lab's random password for ``postgres``, and TLS.

MariaDB (``mariadb-install-db``, then ``mariadbd --user=mysql``): on the weak host an
``--init-file`` creates ``'root'@'%'`` with an empty password at every start; the hardened
host keeps the installer's accounts, which only log in through the local socket.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Final

from tests.netlab._daemon import Daemon, HostSetup, Probe, chown
from tests.netlab._netns import as_user

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["postgres_bin", "prepare_mariadb", "prepare_postgres"]

_MARIADB_SIZES: Final = ("--innodb-buffer-pool-size=16M", "--innodb-log-file-size=4M")


def postgres_bin() -> Path:
    """The newest installed PostgreSQL's ``bin`` directory."""
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/postgres"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    if not found:
        raise FileNotFoundError("no PostgreSQL server in /usr/lib/postgresql (run: lab install)")
    return found[-1].parent


def _run(argv: Sequence[str], log: Path, user: str | None = None) -> None:
    """A set-up command whose output goes to the daemon's log; its failure stops ``up``."""
    with log.open("ab") as out:
        subprocess.run(as_user(argv, user), stdout=out, stderr=subprocess.STDOUT, check=True)


def prepare_postgres(setup: HostSetup) -> list[Daemon]:
    root = setup.dir("postgresql", owner="postgres", mode=0o755)
    sock = setup.dir("postgresql/sock", owner="postgres", mode=0o755)
    data, log, bindir = root / "data", setup.log("postgresql"), postgres_bin()
    initdb = [
        str(bindir / "initdb"),
        f"--pgdata={data}",
        "--username=postgres",
        "--encoding=UTF8",
        "--locale=C",
        "--no-sync",
        "--no-instructions",
    ]
    if setup.host.weak:
        initdb.append("--auth=trust")
    else:
        pwfile = root / "pwfile"
        pwfile.write_text(setup.secrets["postgres_password"] + "\n")
        chown(pwfile, "postgres")
        initdb += ["--auth-host=scram-sha-256", "--auth-local=peer", f"--pwfile={pwfile}"]
    _run(initdb, log, user="postgres")
    options = {
        "listen_addresses": "0.0.0.0",
        "port": "5432",
        "unix_socket_directories": str(sock),
        "max_connections": "20",
        "shared_buffers": "16MB",
        "fsync": "off",
        "synchronous_commit": "off",
        "full_page_writes": "off",
    }
    if setup.host.weak:
        hba = "local all all trust\nhost all all 0.0.0.0/0 trust\n"
    else:
        pwfile.unlink()
        hba = "local all all peer\nhost all all 0.0.0.0/0 scram-sha-256\n"
        for name, source in (("server.crt", setup.tls.cert), ("server.key", setup.tls.key)):
            shutil.copyfile(source, data / name)
            (data / name).chmod(0o600)
            chown(data / name, "postgres")
        options |= {"ssl": "on", "ssl_min_protocol_version": "TLSv1.2"}
    (data / "pg_hba.conf").write_text(hba)
    argv = [str(bindir / "postgres"), "-D", str(data)]
    for name, value in options.items():
        argv += ["-c", f"{name}={value}"]
    probes = (Probe("tcp", 5432),)
    return [Daemon("postgresql", tuple(argv), probes, log, user="postgres")]


def prepare_mariadb(setup: HostSetup) -> list[Daemon]:
    root = setup.dir("mariadb", owner="mysql", mode=0o755)
    # Each host's own temporary directory: two bootstraps sharing /tmp at once collide on
    # their temporary tables ("Unknown table 'mysql.tmp_proxies_priv'") now and then.
    tmp = setup.dir("mariadb/tmp", owner="mysql", mode=0o700)
    data, log = root / "data", setup.log("mariadb")
    install = [
        "/usr/bin/mariadb-install-db",
        "--no-defaults",
        "--user=mysql",
        f"--datadir={data}",
        f"--tmpdir={tmp}",
        "--auth-root-authentication-method=socket",
        "--skip-test-db",
        *_MARIADB_SIZES,
    ]
    _run(install, log)
    argv = [
        "/usr/sbin/mariadbd",
        "--no-defaults",
        "--user=mysql",
        f"--datadir={data}",
        f"--tmpdir={tmp}",
        f"--socket={root}/mysqld.sock",
        f"--pid-file={root}/mysqld.pid",
        "--port=3306",
        "--bind-address=0.0.0.0",
        "--skip-name-resolve",
        *_MARIADB_SIZES,
    ]
    if setup.host.weak:
        init = root / "init.sql"
        init.write_text(
            "CREATE USER IF NOT EXISTS 'root'@'%' IDENTIFIED BY '';\n"
            "GRANT ALL PRIVILEGES ON *.* TO 'root'@'%' WITH GRANT OPTION;\n"
        )
        init.chmod(0o644)
        argv.append(f"--init-file={init}")
    return [Daemon("mariadb", tuple(argv), (Probe("tcp", 3306),), log)]
