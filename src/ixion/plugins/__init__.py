"""ixion's built-in Python plugins: one module per plugin, each with ``INFO`` and ``run``.

See :mod:`ixion.engine.plugin` for the contract. Every module here whose name does not start
with ``_`` is loaded as a plugin.
"""
