"""Redis on 6379 and memcached on 11211.

Redis: on the weak host no password and protected mode off, so anyone may run any
command; on the hardened host ``requirepass`` with the lab's random password.

memcached: on the weak host open on TCP and UDP (UDP, off by default since 1.5.6, is what
makes it a reflection amplifier); on the hardened host bound to the namespace's loopback
with UDP off, so it is not reachable from the lab network at all.
"""

from __future__ import annotations

from tests.netlab._daemon import Daemon, HostSetup, Probe, chown

__all__ = ["prepare_memcached", "prepare_redis"]


def prepare_redis(setup: HostSetup) -> list[Daemon]:
    root = setup.dir("redis", owner="redis", mode=0o750)
    lines = [
        "bind 0.0.0.0",
        "port 6379",
        "daemonize no",
        'logfile ""',
        f"dir {root}",
        f"pidfile {root}/redis.pid",
        'save ""',
        "appendonly no",
    ]
    if setup.host.weak:
        lines += ["protected-mode no"]
    else:
        lines += ["protected-mode yes", f"requirepass {setup.secrets['redis_password']}"]
    conf = root / "redis.conf"
    conf.write_text("\n".join(lines) + "\n")
    conf.chmod(0o600)
    chown(conf, "redis")
    argv = ("/usr/bin/redis-server", str(conf))
    probes = (Probe("tcp", 6379),)
    return [Daemon("redis", argv, probes, setup.log("redis"), user="redis")]


def prepare_memcached(setup: HostSetup) -> list[Daemon]:
    common = ("/usr/bin/memcached", "-u", "memcache", "-m", "16", "-c", "128", "-p", "11211")
    if setup.host.weak:
        argv = (*common, "-l", "0.0.0.0", "-U", "11211")
        probes: tuple[Probe, ...] = (Probe("tcp", 11211), Probe("udp", 11211, "memcached"))
    else:
        argv = (*common, "-l", "127.0.0.1", "-U", "0")
        probes = (Probe("tcp", 11211, "inside"),)
    return [Daemon("memcached", argv, probes, setup.log("memcached"))]
