"""Plugins from scripts: description mode over a folder, its cache, and the plugin metadata.
It may use everything below it in ``ixion.nasl`` and the plugin vocabulary.
"""
