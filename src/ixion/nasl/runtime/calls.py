"""Function calls: binding arguments, running user functions, dispatching built-ins.

As C's ``nasl_func_call`` (nasl.md §2.4): arguments are evaluated in the caller, left to
right; named ones become the callee's local variables and positional ones are reachable
only through ``_FCT_ANON_ARGS``; the callee's context hangs off the caller's (dynamic
scoping). A name given twice ends the call before the function runs. ``break`` and
``continue`` outside a loop leave the function. Calling an unknown function warns and
yields undef without evaluating the arguments.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ixion.nasl.runtime.context import Context
from ixion.nasl.runtime.control import BreakLoop, ContinueLoop, ReturnValue
from ixion.nasl.runtime.run import Call
from ixion.nasl.runtime.values import Value, copy_value

if TYPE_CHECKING:
    from ixion.nasl.runtime.context import UserFunction
    from ixion.nasl.runtime.run import Runtime
    from ixion.nasl.syntax import ast

__all__ = ["call", "invoke"]


def call(rt: Runtime, node: ast.Call) -> Value:
    """Evaluate ``name(args)``; every call is a step."""
    rt.tick(node.pos)
    builtin = rt.services.builtins.get(node.name)
    if builtin is not None:
        arguments = _arguments(rt, node)
        if arguments is None:
            return None
        rt.here = node.pos  # built-in warnings point at the call, not into its arguments
        return rt.check_value(builtin(Call(rt, *arguments)), node.pos)
    function = rt.ctx.find_function(node.name)
    if function is None:
        rt.warn(f"undefined function '{node.name}'", node.pos)
        return None
    arguments = _arguments(rt, node)
    if arguments is None:
        return None
    return invoke(rt, function, *arguments, pos=node.pos)


def _arguments(rt: Runtime, node: ast.Call) -> tuple[list[Value], dict[str, Value]] | None:
    positional: list[Value] = []
    named: dict[str, Value] = {}
    for argument in node.args:
        value = rt.evaluate(argument.value)
        if argument.name is None:
            positional.append(value)
        elif argument.name in named:
            rt.warn(f"argument '{argument.name}' given twice to {node.name}()", argument.pos)
            return None
        else:
            named[argument.name] = value
    return positional, named


def invoke(
    rt: Runtime,
    function: UserFunction,
    positional: list[Value],
    named: dict[str, Value],
    *,
    pos: ast.Pos,
) -> Value:
    """Run a user function in a new context below the current one."""
    limit = rt.services.limits.max_call_depth
    if rt.depth >= limit:
        raise rt.error(f"calls nested too deep (max_call_depth={limit})", pos)
    callee = Context(rt.ctx, is_function=True, anon=[copy_value(v) for v in positional])
    callee.vars.update((name, copy_value(value)) for name, value in named.items())
    caller, caller_file = rt.ctx, rt.file
    rt.ctx, rt.file = callee, function.filename
    rt.depth += 1
    try:
        rt.execute(function.body)
    except ReturnValue as returned:
        return returned.value
    except (BreakLoop, ContinueLoop):
        return None
    finally:
        rt.ctx, rt.file = caller, caller_file
        rt.depth -= 1
    return None
