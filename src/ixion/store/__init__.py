"""The store: the system of record of what scans produce, one SQLite database in ``state_dir``.
It imports nothing else of ixion: it keeps sessions, saved KBs, detached scans and mail as data.

* :mod:`~ixion.store.database` — opening the database: WAL, the schema, one daemon at a time.
* :mod:`~ixion.store.sessions` — saved sessions: target, options, every message, finished hosts
  and plugins (spec §8.1, §8.2).
* :mod:`~ixion.store.kbs` — saved knowledge bases with nessusd's rules (spec §8.3), and the
  reader of a nessusd 2.2.5 ``users/<user>/kbs/<host>`` file.
* :mod:`~ixion.store.detached` — detached and continuous scans (spec §4.7).
* :mod:`~ixion.store.outbox` — mail waiting to be delivered (spec §8.4).

Names that come from clients (a session name, a detached scan's number) are looked up as
values in a table, keyed by the user: they never become paths, and no user reads another's.
"""
