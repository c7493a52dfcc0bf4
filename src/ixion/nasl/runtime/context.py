"""Variable contexts and NASL's dynamic scoping (nasl.md §2.4, ``nasl/nasl_var.c``).

A call creates a context whose parent is the *caller's* context, not the one where the
function was written, and a name is looked up by climbing that chain to the script's root.
Assigning to a name found nowhere creates it in the current context, so a function's
unknown names are its locals. Blocks are not scopes.

Two C details are kept because plugins can observe them:

* Reading a name that exists nowhere creates it, undef, in the current context (C's
  ``get_var_ref_by_name``): a later assignment from a deeper call then lands there.
* A function's parameters are not declared when it is called; only the arguments actually
  passed become locals. A parameter left out is therefore read from the caller's context
  if some enclosing context has that name, and is undef otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ixion.nasl.runtime.values import Value
    from ixion.nasl.syntax import ast

__all__ = ["Context", "UserFunction"]


@dataclass(frozen=True, slots=True)
class UserFunction:
    """A ``function`` definition that has executed, and the file it came from."""

    name: str
    body: ast.Block
    filename: str


class Context:
    """The variables of the script's top level or of one function call."""

    __slots__ = ("anon", "functions", "is_function", "parent", "vars")

    def __init__(
        self,
        parent: Context | None = None,
        *,
        is_function: bool = False,
        anon: list[Value] | None = None,
    ) -> None:
        self.parent = parent
        self.is_function = is_function
        self.vars: dict[str, Value] = {}
        #: The call's positional arguments, read through ``_FCT_ANON_ARGS``.
        self.anon: list[Value] = anon if anon is not None else []
        #: Functions whose definition executed in this context (C keeps them per context).
        self.functions: dict[str, UserFunction] | None = None

    def scope_of(self, name: str) -> dict[str, Value] | None:
        """The variables of the nearest context, climbing, that has ``name``."""
        ctx: Context | None = self
        while ctx is not None:
            if name in ctx.vars:
                return ctx.vars
            ctx = ctx.parent
        return None

    def read(self, name: str) -> Value:
        scope = self.scope_of(name)
        if scope is None:
            self.vars[name] = None
            return None
        return scope[name]

    def slot(self, name: str) -> dict[str, Value]:
        """Where an assignment to ``name`` goes: where it exists, else here."""
        scope = self.scope_of(name)
        if scope is None:
            self.vars[name] = None
            return self.vars
        return scope

    def function_context(self) -> Context | None:
        """The nearest function call's context (for ``_FCT_ANON_ARGS``)."""
        ctx: Context | None = self
        while ctx is not None and not ctx.is_function:
            ctx = ctx.parent
        return ctx

    def find_function(self, name: str) -> UserFunction | None:
        ctx: Context | None = self
        while ctx is not None:
            if ctx.functions is not None and name in ctx.functions:
                return ctx.functions[name]
            ctx = ctx.parent
        return None

    def define_function(self, function: UserFunction) -> None:
        if self.functions is None:
            self.functions = {}
        self.functions[function.name] = function
