"""``ixion scan``: a scan with no set-up, on an embedded engine, and the ``ixion`` entry point.
The edge of the house: it composes the engine, the server's scan, the reports and the client;
nothing else in ixion imports it.

* :mod:`~ixion.app.main` — the ``ixion`` command: the client's group with ``scan`` added.
* :mod:`~ixion.app.command` — ``ixion scan``'s options, exit codes and the run from start to
  end.
* :mod:`~ixion.app.ports` — nmap's ``-p`` syntax read into a ``port_range``, and the default
  ports.
* :mod:`~ixion.app.scope` — the targets as the whole scope, within the daemon's safety limits.
* :mod:`~ixion.app.credentials` — a TOML file of accounts, as the preferences checks read.
* :mod:`~ixion.app.setup` — the daemon's generated settings changed by the options, the
  plugins loaded, their facts for reports.
* :mod:`~ixion.app.embedded` — ixiond's scan (:class:`~ixion.server.attack.Attack`) run in
  this process tree, its messages collected as the batch client collects them.
* :mod:`~ixion.app.progress` — what the scan is doing, host by host; :mod:`~ixion.app.live`
  and :mod:`~ixion.app.plain` show it on a terminal or as lines.
* :mod:`~ixion.app.outputs` — the report files, JSON Lines streamed while scanning.
"""
