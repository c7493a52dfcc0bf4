"""ixion's netlab: real Debian daemons in network namespaces, and a ground truth to score by.

Two lab hosts, ``weak`` (198.18.0.10) and ``hardened`` (198.18.0.20), each a network
namespace joined to the bridge ``ixlab0`` (198.18.0.1/24) in the root namespace, run the
same real daemons (nginx, Apache, vsftpd, Postfix, OpenSSH, Redis, memcached, BIND, snmpd,
PostgreSQL, MariaDB): badly configured on one, well on the other. ``ground_truth.toml``
says what a scan should find and must not report; ``score`` measures a report against it.

``python -m tests.netlab up|down|status|scan|nmap|score|install`` (``scripts/lab``); the
pytest fixture is :mod:`tests.netlab.fixture`. Modules are private, one per concern: the
network (``_netns``), each group of daemons (``_web``, ``_ftp``, ``_mail``, ``_ssh``,
``_kv``, ``_dns``, ``_snmp``, ``_sql``), their orchestration (``_lab``), and scoring
(``_truth``, ``_score``, ``_names``, ``_nmap``).
"""
