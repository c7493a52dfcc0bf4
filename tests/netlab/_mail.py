"""Postfix on 25: one instance per host, with its own configuration, queue and data.

``postfix -c DIR check`` creates the instance's queue directories, then its ``master``
runs in the foreground (``-d``) with ``-c DIR``. Every transport is ``discard``: a relayed
message is accepted and dropped, never delivered, and with no route out of the namespace
and DNS turned off for delivery nothing could leave anyway.

Weak host: an open relay (``mynetworks`` is everyone) that answers VRFY. Hardened host:
relaying only for its own loopback, VRFY disabled, STARTTLS with the CA-signed certificate.
"""

from __future__ import annotations

import subprocess
from typing import Final

from tests.netlab._daemon import Daemon, HostSetup, Probe

__all__ = ["prepare_postfix"]

_MASTER_CF: Final = """\
smtp      inet  n       -       n       -       -       smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
"""


def prepare_postfix(setup: HostSetup) -> list[Daemon]:
    host = setup.host
    conf = setup.dir("postfix/conf")
    queue = setup.dir("postfix/queue")
    data = setup.dir("postfix/data", owner="postfix", mode=0o700)
    lines = [
        "compatibility_level = 3.6",
        f"queue_directory = {queue}",
        f"data_directory = {data}",
        "mail_owner = postfix",
        "setgid_group = postdrop",
        f"myhostname = {host.fqdn}",
        "mydomain = lab.test",
        "inet_interfaces = all",
        "inet_protocols = ipv4",
        "maillog_file = /dev/stdout",
        "alias_maps =",
        "alias_database =",
        "smtp_dns_support_level = disabled",
        "default_transport = discard:ixion netlab delivers nothing",
        "relay_transport = discard:ixion netlab delivers nothing",
        "local_transport = discard:ixion netlab delivers nothing",
        "virtual_transport = discard:ixion netlab delivers nothing",
        "smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination",
    ]
    if host.weak:
        lines += ["mynetworks = 0.0.0.0/0", "disable_vrfy_command = no"]
    else:
        lines += [
            "mynetworks = 127.0.0.0/8",
            "disable_vrfy_command = yes",
            f"smtpd_tls_cert_file = {setup.tls.cert}",
            f"smtpd_tls_key_file = {setup.tls.key}",
            "smtpd_tls_security_level = may",
            "smtpd_tls_protocols = >=TLSv1.2",
            "smtpd_tls_mandatory_protocols = >=TLSv1.2",
        ]
    (conf / "main.cf").write_text("\n".join(lines) + "\n")
    (conf / "master.cf").write_text(_MASTER_CF)
    log = setup.log("postfix")
    with log.open("ab") as out:
        subprocess.run(
            ["/usr/sbin/postfix", "-c", str(conf), "check"],
            stdout=out,
            stderr=subprocess.STDOUT,
            check=True,
        )
    argv = ("/usr/lib/postfix/sbin/master", "-c", str(conf), "-d")
    return [Daemon("postfix", argv, (Probe("tcp", 25),), log)]
