"""The plugin vocabulary: what a check is (metadata, categories, preferences), what it receives.
It imports nothing else of ixion; the engine, the Python plugins and NASL all build on it.

* :mod:`~ixion.plugin_api.metadata` — :class:`PluginInfo`, :class:`Category`, preferences.
* :mod:`~ixion.plugin_api.qod` — :class:`Qod`, how sure a finding is (quality of detection).
* :mod:`~ixion.plugin_api.plugin` — a loaded :class:`Plugin` and its ``run`` coroutine.
* :mod:`~ixion.plugin_api.context` — the :class:`PluginContext` a check runs with, its streams.
* :mod:`~ixion.plugin_api.kb` — the host's knowledge base, through which plugins talk.
* :mod:`~ixion.plugin_api.ports` — port ranges (``port_range``) and the services database.
* :mod:`~ixion.plugin_api.service_names` — how a detected service is named, and kept in the KB.
* :mod:`~ixion.plugin_api.tls` — TLS as a scanner speaks it (any certificate, old versions).
"""
