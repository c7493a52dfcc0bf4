"""vsftpd on 21.

Weak host: anonymous login (any password), and ``/upload`` world-writable with anonymous
upload and mkdir allowed; no TLS, so any login crosses the network in clear text.
Hardened host: no anonymous login, logins only over TLS (``AUTH TLS`` with the CA-signed
certificate), and a user list that admits nobody, so no real account of this machine can
log in either.
"""

from __future__ import annotations

from tests.netlab._daemon import Daemon, HostSetup, Probe

__all__ = ["PASSIVE_PORTS", "prepare_vsftpd"]

#: Passive data ports, inside the host's namespace.
PASSIVE_PORTS = (30000, 30019)


def prepare_vsftpd(setup: HostSetup) -> list[Daemon]:
    root = setup.dir("vsftpd")
    empty = setup.dir("vsftpd/empty")
    common = [
        "listen=YES",
        "listen_ipv6=NO",
        "background=NO",
        "seccomp_sandbox=NO",
        f"secure_chroot_dir={empty}",
        f"ftpd_banner=ixion netlab FTP ({setup.host.fqdn})",
        "pasv_enable=YES",
        f"pasv_min_port={PASSIVE_PORTS[0]}",
        f"pasv_max_port={PASSIVE_PORTS[1]}",
        "xferlog_enable=YES",
        f"vsftpd_log_file={root}/vsftpd.log",
        "hide_ids=YES",
        "connect_from_port_20=NO",
    ]
    if setup.host.weak:
        anon = setup.dir("vsftpd/anon", mode=0o755)
        (anon / "welcome.txt").write_text("Public lab files.\n")
        setup.dir("vsftpd/anon/upload", mode=0o777)
        specific = [
            "anonymous_enable=YES",
            "no_anon_password=YES",
            f"anon_root={anon}",
            "local_enable=NO",
            "write_enable=YES",
            "anon_upload_enable=YES",
            "anon_mkdir_write_enable=YES",
            "anon_umask=022",
        ]
    else:
        nobody = root / "allowed-users"
        nobody.write_text("")
        specific = [
            "anonymous_enable=NO",
            "local_enable=YES",
            "write_enable=NO",
            "pam_service_name=vsftpd",
            "userlist_enable=YES",
            "userlist_deny=NO",
            f"userlist_file={nobody}",
            "ssl_enable=YES",
            f"rsa_cert_file={setup.tls.cert}",
            f"rsa_private_key_file={setup.tls.key}",
            "force_local_logins_ssl=YES",
            "force_local_data_ssl=YES",
            "ssl_sslv2=NO",
            "ssl_sslv3=NO",
            "ssl_ciphers=ECDHE+AESGCM:ECDHE+CHACHA20:!aNULL:!ECDSA",
        ]
    conf = root / "vsftpd.conf"
    conf.write_text("\n".join(common + specific) + "\n")
    conf.chmod(0o600)
    argv = ("/usr/sbin/vsftpd", str(conf))
    return [Daemon("vsftpd", argv, (Probe("tcp", 21),), setup.log("vsftpd"))]
