"""NASL, the Nessus Attack Scripting Language: ixion's own interpreter for community plugins.

One module per phase: the lexer turns bytes into tokens, the parser tokens into the immutable
tree of :mod:`ixion.nasl.ast`, and the interpreter walks that tree. See nasl.md in the spec.
"""
