"""Statements: one handler per node type, looked up in :data:`STATEMENTS`.

As C's ``nasl_exec`` (nasl.md §2.4): ``repeat`` runs its body at least once; ``continue`` in
a ``for`` still runs the step; ``foreach`` walks a snapshot of the array's values, in
:class:`~ixion.nasl.runtime.values.NaslArray` order, and does nothing for a non-array; ``f() x n``
calls ``f`` ``n`` times; a ``function`` definition registers the function when it runs,
and a second definition of a name (or of a built-in's) is reported and ignored; an
``include`` runs the file's statements where it stands, in the current context.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from ixion.nasl.runtime.context import UserFunction
from ixion.nasl.runtime.control import BreakLoop, ContinueLoop, ReturnValue
from ixion.nasl.runtime.includes import IncludeNotFound
from ixion.nasl.runtime.operators import to_int
from ixion.nasl.runtime.values import NaslArray, OperandError, copy_value, truthy, type_name
from ixion.nasl.syntax import ast

if TYPE_CHECKING:
    from collections.abc import Callable

    from ixion.nasl.runtime.run import Runtime
    from ixion.nasl.runtime.values import Value

__all__ = ["STATEMENTS"]


def _expression(rt: Runtime, node: ast.ExprStatement) -> None:
    rt.evaluate(node.expr)


def _block(rt: Runtime, node: ast.Block) -> None:
    for statement in node.body:
        rt.execute(statement)


def _if(rt: Runtime, node: ast.If) -> None:
    if truthy(rt.evaluate(node.condition)):
        rt.execute(node.then)
    elif node.otherwise is not None:
        rt.execute(node.otherwise)


def _loop_body(rt: Runtime, body: ast.Statement) -> bool:
    """Run one iteration; False when it ended with ``break``."""
    try:
        rt.execute(body)
    except BreakLoop:
        return False
    except ContinueLoop:
        pass
    return True


def _while(rt: Runtime, node: ast.While) -> None:
    while truthy(rt.evaluate(node.condition)) and _loop_body(rt, node.body):
        pass


def _for(rt: Runtime, node: ast.For) -> None:
    if node.init is not None:
        rt.execute(node.init)
    while node.condition is None or truthy(rt.evaluate(node.condition)):
        if not _loop_body(rt, node.body):
            return
        if node.step is not None:
            rt.execute(node.step)


def _repeat(rt: Runtime, node: ast.Repeat) -> None:
    while _loop_body(rt, node.body) and not truthy(rt.evaluate(node.until)):
        pass


def _foreach(rt: Runtime, node: ast.Foreach) -> None:
    scope = rt.ctx.slot(node.name)  # C finds the loop variable before the array
    iterable = rt.evaluate(node.iterable)
    if not isinstance(iterable, NaslArray):
        if iterable is not None and not isinstance(node.iterable, ast.Variable):
            rt.warn(f"foreach over {type_name(iterable)}, not an array", node.pos)
        return
    for value in list(iterable.values()):
        scope[node.name] = copy_value(value)
        if not _loop_body(rt, node.body):
            return


def _repeat_call(rt: Runtime, node: ast.RepeatCall) -> None:
    try:
        count = to_int(rt.evaluate(node.count), lambda message: rt.warn(message, node.pos))
    except OperandError as err:
        raise rt.error(str(err), node.pos) from None
    for _ in range(count):
        rt.evaluate(node.call)


def _return(rt: Runtime, node: ast.Return) -> None:
    raise ReturnValue(None if node.value is None else rt.evaluate(node.value))


def _break(rt: Runtime, node: ast.Break) -> None:
    raise BreakLoop


def _continue(rt: Runtime, node: ast.Continue) -> None:
    raise ContinueLoop


def _local_var(rt: Runtime, node: ast.LocalVar) -> None:
    _declare(rt, rt.ctx.vars, node.names)


def _global_var(rt: Runtime, node: ast.GlobalVar) -> None:
    _declare(rt, rt.root.vars, node.names)


def _declare(
    rt: Runtime, scope: dict[str, Value], names: tuple[tuple[str, ast.Expr | None], ...]
) -> None:
    """Declare in ``scope``; a name it already has keeps its value (C ignores it)."""
    for name, initial in names:
        scope.setdefault(name, None)
        if initial is not None:
            scope[name] = copy_value(rt.evaluate(initial))


def _include(rt: Runtime, node: ast.Include) -> None:
    services = rt.services
    try:
        program, source = services.includes.load(node.path, services.script_directory)
    except (IncludeNotFound, OSError) as err:
        raise rt.error(f"cannot include {node.path.decode('latin-1')!r}: {err}", node.pos) from None
    services.sources.setdefault(program.filename, source)
    including = rt.file
    rt.file = program.filename
    try:
        for statement in program.body:
            rt.execute(statement)
    finally:
        rt.file = including


def _function(rt: Runtime, node: ast.FunctionDef) -> None:
    if rt.function_exists(node.name):
        rt.report_error(f"function '{node.name}' is already defined", node.pos)
        return
    rt.ctx.define_function(UserFunction(node.name, node.body, rt.file))


STATEMENTS: Final[dict[type, Callable[[Runtime, Any], None]]] = {
    ast.ExprStatement: _expression,
    ast.Empty: lambda rt, node: None,
    ast.Block: _block,
    ast.If: _if,
    ast.While: _while,
    ast.For: _for,
    ast.Repeat: _repeat,
    ast.Foreach: _foreach,
    ast.RepeatCall: _repeat_call,
    ast.Return: _return,
    ast.Break: _break,
    ast.Continue: _continue,
    ast.LocalVar: _local_var,
    ast.GlobalVar: _global_var,
    ast.Include: _include,
    ast.FunctionDef: _function,
}
