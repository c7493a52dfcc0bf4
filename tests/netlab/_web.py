"""nginx on 80 and 443, and Apache on 8080 (for TRACE, which nginx always refuses).

Weak host: ``/files/`` lists its directory, ``/uploads/`` takes WebDAV PUT (and DELETE,
MKCOL), HTTPS offers TLS 1.0, 1.1 and 1.2 with weak suites (no encryption: ``NULL-SHA``;
no authentication: ``AECDH-AES128-SHA``; ``@SECLEVEL=0`` lets Debian's OpenSSL 3 offer
them) and shows its expired self-signed certificate; Apache answers TRACE. Hardened host:
the same pages without listing or PUT, TLS 1.2 and 1.3 with ECDHE and AEAD suites only, a
CA-signed certificate, HSTS, no version in the banner, and TRACE refused.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from tests.netlab._daemon import Daemon, HostSetup, Probe

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["WEAK_TLS_CIPHERS", "prepare_apache", "prepare_nginx"]

#: The weak host's suites: ECDHE for TLS 1.2, CBC ones TLS 1.0 and 1.1 can use, and two
#: broken ones (no encryption, no server authentication).
WEAK_TLS_CIPHERS: Final = (
    "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-SHA:AES128-SHA:"
    "AECDH-AES128-SHA:NULL-SHA:@SECLEVEL=0"
)
STRONG_TLS_CIPHERS: Final = (
    "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-CHACHA20-POLY1305"
)

_INDEX: Final = """<!doctype html>
<html><head><title>{fqdn}</title></head>
<body><h1>ixion netlab: {fqdn}</h1>
<ul><li><a href="/files/">files</a></li><li><a href="/uploads/">uploads</a></li></ul>
</body></html>
"""


def _docroot(setup: HostSetup) -> Path:
    """The pages both web servers serve: an index, ``files/`` and ``uploads/``."""
    www = setup.dir("www")
    (www / "index.html").write_text(_INDEX.format(fqdn=setup.host.fqdn))
    files = setup.dir("www/files")
    (files / "readme.txt").write_text("Lab files. Nothing here is real.\n")
    (files / "db-backup-2024.sql").write_text("-- lab placeholder, no data\n")
    setup.dir("www/uploads", owner="www-data")
    return www


def prepare_nginx(setup: HostSetup) -> list[Daemon]:
    host, root = setup.host, setup.dir("nginx")
    www = _docroot(setup)
    for temp in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        setup.dir(f"nginx/{temp}", owner="www-data", mode=0o700)
    if host.weak:
        tls = f"""
        ssl_protocols TLSv1 TLSv1.1 TLSv1.2;
        ssl_ciphers "{WEAK_TLS_CIPHERS}";
        ssl_prefer_server_ciphers off;"""
        locations = """
        location /files/ { autoindex on; }
        location /uploads/ {
            autoindex on;
            dav_methods PUT DELETE MKCOL;
            create_full_put_path on;
            dav_access user:rw group:rw all:r;
            client_max_body_size 1m;
        }"""
        tokens = "on"
    else:
        tls = f"""
        ssl_protocols TLSv1.2 TLSv1.3;
        ssl_ciphers "{STRONG_TLS_CIPHERS}";
        ssl_prefer_server_ciphers on;
        add_header Strict-Transport-Security "max-age=31536000" always;"""
        locations = """
        location /files/ { autoindex off; }
        location /uploads/ { limit_except GET HEAD { deny all; } }"""
        tokens = "off"
    conf = root / "nginx.conf"
    conf.write_text(f"""
user www-data;
worker_processes 1;
pid {root}/nginx.pid;
error_log stderr notice;
events {{ worker_connections 256; }}
http {{
    access_log {root}/access.log;
    client_body_temp_path {root}/body;
    proxy_temp_path {root}/proxy;
    fastcgi_temp_path {root}/fastcgi;
    uwsgi_temp_path {root}/uwsgi;
    scgi_temp_path {root}/scgi;
    types {{ text/html html; text/plain txt sql; }}
    default_type application/octet-stream;
    server_tokens {tokens};
    server {{
        listen 80;
        listen 443 ssl;
        server_name {host.fqdn};
        root {www};
        ssl_certificate {setup.tls.cert};
        ssl_certificate_key {setup.tls.key};{tls}{locations}
    }}
}}
""")
    argv = ("/usr/sbin/nginx", "-p", str(root), "-c", str(conf), "-g", "daemon off;")
    probes = (Probe("tcp", 80), Probe("tcp", 443))
    return [Daemon("nginx", argv, probes, setup.log("nginx"))]


def prepare_apache(setup: HostSetup) -> list[Daemon]:
    """Apache on 8080, minimal modules; ``TraceEnable`` is the difference between hosts."""
    host, root = setup.host, setup.dir("apache")
    www = _docroot(setup)
    run = setup.dir("apache/run", owner="www-data")
    modules = "/usr/lib/apache2/modules"
    conf = root / "apache2.conf"
    conf.write_text(f"""
ServerRoot "{root}"
ServerName {host.fqdn}
Listen 0.0.0.0:8080
LoadModule mpm_event_module {modules}/mod_mpm_event.so
LoadModule authz_core_module {modules}/mod_authz_core.so
LoadModule mime_module {modules}/mod_mime.so
LoadModule dir_module {modules}/mod_dir.so
PidFile {run}/apache2.pid
DefaultRuntimeDir {run}
Mutex file:{run} default
ErrorLog /dev/stderr
LogLevel warn
User www-data
Group www-data
TypesConfig /etc/mime.types
DirectoryIndex index.html
DocumentRoot "{www}"
<Directory />
    Require all granted
    Options None
</Directory>
TraceEnable {"On" if host.weak else "Off"}
ServerTokens {"Full" if host.weak else "Prod"}
ServerSignature Off
""")
    argv = ("/usr/sbin/apache2", "-f", str(conf), "-DFOREGROUND")
    return [Daemon("apache", argv, (Probe("tcp", 8080),), setup.log("apache"))]
