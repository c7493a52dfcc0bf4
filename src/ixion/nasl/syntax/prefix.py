"""Parsing only the part of a script that describes it (nasl.md §6.3).

Loading the plugin list needs the statements up to and including the first top-level
``if (description)``, never the check itself, which is most of a script's tokens in the
classic feed and everything after the tags in the current one. Two savings:

* the parser stops after that statement (a subclass of the real parser, so every rule and
  every error message is the same);
* the lexer, which reads a whole file at once, is given a cut of the source: up to the
  end of the first ``exit(0); }`` after ``if (description)``. The cut is safe: it falls
  at a line end, and tokens other than strings never span lines. A cut inside a string
  leaves it unterminated, an error; a cut inside the block leaves it unclosed, an error;
  a ``description`` found in a comment or a string makes the cut parse end without the
  block. In all three cases the whole file is parsed again, so the answer (and any error
  message) is always the one the whole file gives.
"""

from __future__ import annotations

import re
from typing import Final

from ixion.nasl.syntax import ast
from ixion.nasl.syntax.ast import Pos
from ixion.nasl.syntax.errors import NaslSyntaxError
from ixion.nasl.syntax.parser import _Parser
from ixion.nasl.syntax.tokens import EOF

__all__ = ["NoDescriptionBlock", "is_description_block", "parse_description"]

_DESCRIPTION: Final = re.compile(rb"\bif\s*\(\s*description\s*\)")
_BLOCK_END: Final = re.compile(rb"\bexit\s*\(\s*0\s*\)\s*;\s*\}[^\n]*")


class NoDescriptionBlock(LookupError):
    """The script has no top-level ``if (description)`` statement."""


def parse_description(source: bytes, filename: str = "<script>") -> ast.Program:
    """The statements of ``source`` up to and including its first ``if (description)``.

    Raises:
        NaslSyntaxError: the part that must be parsed does not parse.
        NoDescriptionBlock: there is no such statement at the top level.
    """
    cut = _cut(source)
    if cut is not None:
        try:
            program = _PrefixParser(source[:cut], filename).prefix()
        except NaslSyntaxError:
            program = None
        if program is not None:
            return program
    program = _PrefixParser(source, filename).prefix()
    if program is None:
        raise NoDescriptionBlock(f"{filename}: no top-level 'if (description)' block")
    return program


def is_description_block(statement: ast.Statement) -> bool:
    """``if (description) ...``: the condition is the bare variable, as every plugin has it."""
    return (
        isinstance(statement, ast.If)
        and isinstance(statement.condition, ast.Variable)
        and statement.condition.name == "description"
    )


def _cut(source: bytes) -> int | None:
    found = _DESCRIPTION.search(source)
    if found is None:
        return None
    end = _BLOCK_END.search(source, found.end())
    return None if end is None else end.end()


class _PrefixParser(_Parser):
    __slots__ = ()

    def prefix(self) -> ast.Program | None:
        """Statements up to the description block; None if the tokens end before it."""
        body: list[ast.Statement] = []
        kinds = self._kinds
        while kinds[self._index] != EOF:
            if kinds[self._index] == "function":
                body.append(self._function())
                continue
            statement = self.statement()
            body.append(statement)
            if is_description_block(statement):
                return ast.Program(Pos(1, 1), self._tokens.filename, tuple(body))
        return None
