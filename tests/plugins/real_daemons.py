"""Real Debian daemons (nginx, Apache, vsftpd) on 127.0.0.1, for the TLS, HTTP and FTP checks.

Each runs in the foreground from a configuration written into a directory of its own, on
ports picked here (bound to 127.0.0.1 port 0 by the kernel, then handed to the daemon), and is
stopped by its PID. A daemon is ready when it is still running and its ports accept
connections: one that failed to bind exits, so a port that answers is its own, and the tests
scan nothing else.

Certificates are made with ``cryptography``: a CA and a server certificate it signs (the
hardened configuration), and an expired self-signed one (the weak configuration).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from ixion.engine.job import HostJob, ScanSettings
from ixion.plugin_api.kb import KnowledgeBase
from ixion.plugin_api.ports import parse_port_range
from tests.lab import LOOPBACK

from .helpers import FAST, Outcome, run_async

DAY = datetime.timedelta(days=1)
#: The preference of tls_certificate naming a PEM file of CAs to trust.
TRUSTED_CAS = "TLS certificate information and validity[file]:Trusted CA certificates (PEM)"
#: The weak TLS suites the netlab's weak nginx offers: ECDHE and CBC ones usable with TLS 1.0,
#: and two broken ones (``NULL-SHA``: no encryption, ``AECDH-AES128-SHA``: no authentication).
WEAK_CIPHERS = (
    "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-SHA:AES128-SHA:"
    "AECDH-AES128-SHA:NULL-SHA:@SECLEVEL=0"
)
STRONG_CIPHERS = "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384"


def free_ports(count: int) -> list[int]:
    """Ports the kernel says are free now, for a daemon to bind next."""
    with contextlib.ExitStack() as stack:
        sockets = [stack.enter_context(socket.socket()) for _ in range(count)]
        for sock in sockets:
            sock.bind((LOOPBACK, 0))
        return [sock.getsockname()[1] for sock in sockets]


def scratch(prefix: str) -> Path:
    """A directory others can read (the daemons' unprivileged workers serve files from it)."""
    path = Path(tempfile.mkdtemp(prefix=f"ixion-{prefix}-"))
    path.chmod(0o755)
    return path


def scan(
    ports: Iterable[int],
    names: Iterable[str],
    *,
    host: str = LOOPBACK,
    address: str = LOOPBACK,
    ca_file: Path | None = None,
    kb: KnowledgeBase | None = None,
    preferences: Mapping[str, str] | None = None,
) -> Outcome:
    """Run ``names`` in order against ``address`` (named ``host``, as a user would have
    written the target) on ``ports``; with ``ca_file``, tls_certificate trusts that CA."""
    preferences = {**FAST, **(preferences or {})}
    files = {}
    if ca_file is not None:
        preferences[TRUSTED_CAS] = "ca.pem"
        files["ca.pem"] = str(ca_file)
    job = HostJob(
        host=host,
        address=address,
        origins=(),
        enabled=frozenset(),
        settings=ScanSettings(
            port_range=parse_port_range(",".join(map(str, ports))), read_timeout=3.0
        ),
        preferences=preferences,
        files=files,
    )
    return asyncio.run(run_async(job, names, kb))


# --- certificates ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pki:
    """PEM files: a CA, a certificate it signed for ``names``, an expired self-signed one."""

    ca: Path
    signed: tuple[Path, Path]
    expired: tuple[Path, Path]


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def _write(
    directory: Path, stem: str, cert: x509.Certificate, key: rsa.RSAPrivateKey
) -> tuple[Path, Path]:
    cert_file, key_file = directory / f"{stem}.pem", directory / f"{stem}.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


def make_pki(directory: Path, names: tuple[str, ...] = ("www.ixion.test",)) -> Pki:
    now = datetime.datetime.now(datetime.UTC)
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("ixion test CA"))
        .issuer_name(_name("ixion test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - DAY)
        .not_valid_after(now + 30 * DAY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    ca_file, _ = _write(directory, "ca", ca, ca_key)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    san = x509.SubjectAlternativeName([x509.DNSName(name) for name in names])
    signed = (
        x509.CertificateBuilder()
        .subject_name(_name(names[0]))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - DAY)
        .not_valid_after(now + 30 * DAY)
        .add_extension(san, critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    expired = (
        x509.CertificateBuilder()
        .subject_name(_name(names[0]))
        .issuer_name(_name(names[0]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - 400 * DAY)
        .not_valid_after(now - 30 * DAY)
        .add_extension(san, critical=False)
        .sign(key, hashes.SHA256())
    )
    return Pki(
        ca_file,
        _write(directory, "signed", signed, key),
        _write(directory, "expired", expired, key),
    )


# --- running a daemon --------------------------------------------------------------------------


@dataclass
class Running:
    """A daemon we started: its process and the ports it serves, by role."""

    name: str
    process: subprocess.Popen[bytes]
    ports: dict[str, int]
    directory: Path
    log: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _answers(port: int) -> bool:
    try:
        with socket.create_connection((LOOPBACK, port), timeout=0.5):
            return True
    except OSError:
        return False


@contextlib.contextmanager
def running(
    name: str, argv: list[str], ports: dict[str, int], directory: Path, timeout: float = 15.0
) -> Iterator[Running]:
    """Start ``argv``, wait until every port answers, stop it (by PID) afterwards."""
    log = directory / f"{name}.log"
    with log.open("ab") as out:
        process = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, cwd=directory
        )
    daemon = Running(name, process, ports, directory, log)
    try:
        deadline = time.monotonic() + timeout
        while not all(_answers(port) for port in ports.values()):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    f"{name} did not start: {log.read_text(errors='replace')[-2000:]}"
                )
            time.sleep(0.05)
        yield daemon
    finally:
        daemon.stop()
        shutil.rmtree(directory, ignore_errors=True)


# --- nginx -------------------------------------------------------------------------------------

_INDEX = '<html><body><a href="/files/">files</a> <a href="/uploads/">uploads</a></body></html>\n'


def _docroot(directory: Path) -> Path:
    www = directory / "www"
    (www / "files").mkdir(parents=True)
    (www / "uploads").mkdir()
    (www / "index.html").write_text(_INDEX)
    (www / "files" / "readme.txt").write_text("Test files. Nothing here is real.\n")
    return www


@contextlib.contextmanager
def nginx(*, weak: bool, pki: Pki) -> Iterator[Running]:
    """nginx on a plain and a TLS port, configured as the netlab's weak or hardened host."""
    directory = scratch("nginx")
    www = _docroot(directory)
    http, https = free_ports(2)
    if weak:
        cert, key = pki.expired
        tls = f'ssl_protocols TLSv1 TLSv1.1 TLSv1.2; ssl_ciphers "{WEAK_CIPHERS}";'
        locations = """
        location /files/ { autoindex on; }
        location /uploads/ { autoindex on; dav_methods PUT DELETE; create_full_put_path on; }"""
    else:
        cert, key = pki.signed
        tls = f'ssl_protocols TLSv1.2 TLSv1.3; ssl_ciphers "{STRONG_CIPHERS}";'
        locations = """
        location /files/ { autoindex off; }
        location /uploads/ { limit_except GET HEAD { deny all; } }"""
    temp = " ".join(
        f"{kind}_temp_path {directory}/{kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    conf = directory / "nginx.conf"
    conf.write_text(f"""
daemon off;
master_process off;
worker_processes 1;
pid {directory}/nginx.pid;
error_log {directory}/error.log notice;
events {{ worker_connections 64; }}
http {{
    access_log off;
    {temp}
    types {{ text/html html; text/plain txt; }}
    default_type application/octet-stream;
    server_tokens {"on" if weak else "off"};
    server {{
        listen {LOOPBACK}:{http};
        listen {LOOPBACK}:{https} ssl;
        root {www};
        ssl_certificate {cert};
        ssl_certificate_key {key};
        {tls}{locations}
    }}
}}
""")
    argv = ["/usr/sbin/nginx", "-p", str(directory), "-c", str(conf)]
    with running("nginx", argv, {"http": http, "https": https}, directory) as daemon:
        yield daemon


# --- Apache ------------------------------------------------------------------------------------


@contextlib.contextmanager
def apache(*, trace: bool) -> Iterator[Running]:
    """Apache with few modules on one port; ``TraceEnable`` as asked, no listing, no DAV."""
    directory = scratch("apache")
    www = _docroot(directory)
    (port,) = free_ports(1)
    modules = "/usr/lib/apache2/modules"
    conf = directory / "apache2.conf"
    conf.write_text(f"""
ServerRoot "{directory}"
ServerName localhost
Listen {LOOPBACK}:{port}
LoadModule mpm_event_module {modules}/mod_mpm_event.so
LoadModule authz_core_module {modules}/mod_authz_core.so
LoadModule dir_module {modules}/mod_dir.so
PidFile {directory}/apache2.pid
DefaultRuntimeDir {directory}
Mutex file:{directory} default
ErrorLog {directory}/error.log
User www-data
Group www-data
DocumentRoot "{www}"
<Directory />
    Require all granted
    Options None
</Directory>
TraceEnable {"On" if trace else "Off"}
""")
    argv = ["/usr/sbin/apache2", "-f", str(conf), "-DFOREGROUND"]
    with running("apache", argv, {"http": port}, directory) as daemon:
        yield daemon


# --- vsftpd ------------------------------------------------------------------------------------


@contextlib.contextmanager
def vsftpd(*, anonymous: bool, writable: bool = False, delete: bool = False) -> Iterator[Running]:
    """vsftpd on one port: anonymous or not; ``writable``: ``/upload`` takes anonymous
    uploads (as the netlab's weak host), ``delete``: and lets them be deleted."""
    directory = scratch("vsftpd")
    empty = directory / "empty"
    empty.mkdir(mode=0o755)
    anon = directory / "anon"
    anon.mkdir(mode=0o755)
    (anon / "welcome.txt").write_text("Public test files.\n")
    upload = anon / "upload"
    upload.mkdir()
    upload.chmod(0o777 if writable else 0o755)
    (port,) = free_ports(1)
    lines = [
        "listen=YES",
        "listen_ipv6=NO",
        f"listen_address={LOOPBACK}",
        f"listen_port={port}",
        "background=NO",
        "seccomp_sandbox=NO",
        f"secure_chroot_dir={empty}",
        "ftpd_banner=ixion test FTP",
        "pasv_enable=YES",
        "connect_from_port_20=NO",
        f"vsftpd_log_file={directory}/vsftpd.log",
    ]
    if anonymous:
        lines += [
            "anonymous_enable=YES",
            "no_anon_password=YES",
            f"anon_root={anon}",
            "local_enable=NO",
            f"write_enable={'YES' if writable else 'NO'}",
            f"anon_upload_enable={'YES' if writable else 'NO'}",
            f"anon_other_write_enable={'YES' if delete else 'NO'}",
            "anon_umask=022",
        ]
    else:
        (directory / "nobody").write_text("")
        lines += [
            "anonymous_enable=NO",
            "local_enable=YES",
            "write_enable=NO",
            "pam_service_name=vsftpd",
            "userlist_enable=YES",
            "userlist_deny=NO",
            f"userlist_file={directory / 'nobody'}",
        ]
    conf = directory / "vsftpd.conf"
    conf.write_text("\n".join(lines) + "\n")
    conf.chmod(0o600)
    with running("vsftpd", ["/usr/sbin/vsftpd", str(conf)], {"ftp": port}, directory) as daemon:
        yield daemon
