"""Net-SNMP's snmpd on 161/udp, read-only, with only its own configuration (``-C``).

Weak host: the community ``public``, as shipped by many devices. Hardened host: a long
random community (the lab's secret ``snmp_community``), so guessing gets nothing.
"""

from __future__ import annotations

from tests.netlab._daemon import Daemon, HostSetup, Probe

__all__ = ["prepare_snmpd"]


def prepare_snmpd(setup: HostSetup) -> list[Daemon]:
    root = setup.dir("snmpd", owner="Debian-snmp", mode=0o750)
    community = "public" if setup.host.weak else setup.secrets["snmp_community"]
    conf = root / "snmpd.conf"
    conf.write_text(
        "\n".join(
            [
                "agentAddress udp:0.0.0.0:161",
                f"rocommunity {community} default",
                f"sysName {setup.host.fqdn}",
                "sysLocation ixion netlab",
                "sysContact hostmaster@lab.test",
                "sysServices 72",
            ]
        )
        + "\n"
    )
    conf.chmod(0o640)
    argv = (
        "/usr/sbin/snmpd",
        "-f",
        "-C",
        "-c",
        str(conf),
        "-Le",
        "-p",
        f"{root}/snmpd.pid",
        "-u",
        "Debian-snmp",
        "-g",
        "Debian-snmp",
        "-I",
        "-smux,mteTrigger,mteTriggerConf",
    )
    env = {"SNMP_PERSISTENT_DIR": str(root), "MIBS": ""}
    probes = (Probe("udp", 161, "snmp", community=community),)
    return [Daemon("snmpd", argv, probes, setup.log("snmpd"), env=env)]
