"""NASL's syntax: tokens, the lexer, the Pratt parser and the immutable tree it builds.
It may use nothing else of ixion: source bytes in, :mod:`~ixion.nasl.syntax.ast` out.
"""
