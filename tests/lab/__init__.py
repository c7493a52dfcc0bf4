"""Real services on 127.0.0.1 for ixion's plugins to scan: the tests' lab and the demo's.

Every service binds port 0, so the kernel picks a free port and nothing ever collides with
programs already listening on this machine; tests scan only the ports these services report
(and ports :func:`reserved_closed_ports` holds), never a range of somebody else's ports.

* :class:`HttpService`: ``http.server`` serving a temporary directory; with ``tls=`` it is
  HTTPS. :func:`expired_self_signed_cert` makes the certificate the lab's HTTPS uses: both
  expired and self-signed, so that ``tls_certificate`` has both things to find.
* :class:`SmtpService`: aiosmtpd, which accepts no recipient (nothing is ever delivered).
* :class:`MailRelay`: aiosmtpd as the relay ixiond mails through, keeping every message.
* :class:`FtpService`: pyftpdlib, read-only, with an anonymous user or only a named one.
* :class:`SshService`: asyncssh with a fresh host key; no login succeeds.
* :class:`DebianHostService`: asyncssh as a Debian 12 host one account may log in to, answering
  the commands of a package inventory for the packages a test gives it.
* :class:`BannerService`: says one fixed thing on connect, for protocols without a real
  server here (POP3, IMAP, SSH-1, an unknown service).
* :class:`ScriptedService`: runs a short script per client, in clear or through TLS: fakes of
  protocols with no server here (``protocols``: Redis, memcached, PostgreSQL, MySQL, LDAP,
  RDP, SMB, DNS, VNC; :class:`NginxLikeHttpsService`) and misbehaving services
  (``scripted``: resets, floods, garbage, greetings dripped a byte at a time, an echo).
* :class:`RealDaemon`: one of Debian's own servers (redis-server, memcached, nginx,
  PostgreSQL, MariaDB) started on a free loopback port, when it is installed.

Each service is a context manager (``with FtpService() as ftp: ftp.port``); :class:`Lab`
starts a set of them. ``python -m tests.lab`` (from the project root) starts the default lab,
prints ``{"http": port, ...}`` as one JSON line and runs until stdin closes or SIGTERM.

The package's modules are private, one per kind of server; import from here.
"""

from . import _protocols as protocols
from . import _scripted as scripted
from ._banner import BannerService
from ._base import IDLE_TIMEOUT as IDLE_TIMEOUT  # importable as before, though not in __all__
from ._base import LAB_HOSTNAME as LAB_HOSTNAME
from ._base import LOOPBACK, Service
from ._certs import expired_self_signed_cert
from ._daemons import RealDaemon
from ._debian import DebianHostService
from ._ftp import FtpService
from ._http import HttpService, HttpsService
from ._lab import Lab, default_services, main, reserved_closed_ports
from ._protocols import NginxLikeHttpsService
from ._scripted import ScriptedService
from ._smtp import MailRelay, SmtpService
from ._ssh import SshService

__all__ = [
    "LOOPBACK",
    "BannerService",
    "DebianHostService",
    "FtpService",
    "HttpService",
    "HttpsService",
    "Lab",
    "MailRelay",
    "NginxLikeHttpsService",
    "RealDaemon",
    "ScriptedService",
    "Service",
    "SmtpService",
    "SshService",
    "default_services",
    "expired_self_signed_cert",
    "main",
    "protocols",
    "reserved_closed_ports",
    "scripted",
]
