"""NASL, the Nessus Attack Scripting Language: ixion's own interpreter for community plugins.
It may use the plugin vocabulary (``ixion.plugin_api``), never the engine, server or client.

Sub-packages, lowest first: :mod:`~ixion.nasl.syntax` (lexer, parser, tree),
:mod:`~ixion.nasl.network` (the host's sockets), :mod:`~ixion.nasl.ssh` (the SSH client),
:mod:`~ixion.nasl.runtime` (the tree walker and its state), :mod:`~ixion.nasl.description`
(``script_*`` and the metadata record), :mod:`~ixion.nasl.builtins` (the library),
then :mod:`~ixion.nasl.interpreter` (the entry point), :mod:`~ixion.nasl.catalog` (scripts
described as plugins) and :mod:`~ixion.nasl.cli` (``ixion-nasl``) at the edge. See nasl.md.
"""
