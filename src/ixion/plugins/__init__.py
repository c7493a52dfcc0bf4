"""ixion's built-in Python plugins: one module per plugin, each with ``INFO`` and ``run``.
They may use the plugin vocabulary (``ixion.plugin_api``) only: they are checks, not engine.

See :mod:`ixion.plugin_api.plugin` for the contract. Every module here whose name does not start
with ``_`` is loaded as a plugin.
"""
