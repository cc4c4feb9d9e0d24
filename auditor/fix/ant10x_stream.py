"""The ANT101/ANT102 fix: turn a non-streamed `messages.create` statement into a stream.

    x = client.messages.create(...)            with client.messages.stream(...) as stream:
                                         ->        x = stream.get_final_message()

and `async with ...` / `await stream.get_final_message()` for an awaited call. Only a call that
is a whole statement's value (`x = ...`, `x: T = ...`, `return ...`, or the call alone) on a
line of its own is rewritten; a call inside a larger expression, `with_raw_response`,
`messages.parse` and the legacy `completions.create` have no fix, since no rewrite of those
keeps their meaning. `stream=False` is dropped (`.stream()` takes no `stream` argument).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from auditor.findings import Fix
from auditor.fix.edits import replace_node, without_item

if TYPE_CHECKING:
    import libcst as cst

    from auditor.sdk.facts import SdkCall
    from auditor.sdk.model import SdkModel

_NAMES = ("stream", "message_stream", "response_stream")


def stream_fix(model: SdkModel, call: SdkCall) -> Fix | None:
    import libcst as cst

    node = call.node
    func = node.func
    if call.operation not in ("messages.create", "beta.messages.create"):
        return None
    if not (isinstance(func, cst.Attribute) and isinstance(func.value, cst.Attribute) and func.value.attr.value == "messages"):
        return None  # `with_raw_response.create` and other shapes
    parent = model.parents.get(node)
    awaited = isinstance(parent, cst.Await)
    value: cst.BaseExpression = parent if isinstance(parent, cst.Await) else node
    statement = model.parents.get(value)
    if statement is None or not _statement_of(statement, value) or not _own_line(model, statement):
        return None
    kinds = {config.is_async for config in call.clients.configs}
    if not awaited and kinds != {False}:
        return None  # an async client's un-awaited call returns a coroutine: leave it
    args = _without_stream(model, call)
    name = _free_name(model)
    if args is None or name is None:
        return None
    line = model.parents[statement]
    assert isinstance(line, cst.SimpleStatementLine) and isinstance(statement, cst.BaseSmallStatement)
    stream_call = node.with_changes(func=func.with_changes(attr=cst.Name("stream")), args=args)
    getter = cst.parse_expression(f"{'await ' if awaited else ''}{name}.get_final_message()")
    inner = line.with_changes(body=[statement.with_changes(value=getter)], leading_lines=())
    block = cst.With(
        items=[cst.WithItem(stream_call, asname=cst.AsName(cst.Name(name)))],
        body=cst.IndentedBlock([inner]),
        asynchronous=cst.Asynchronous() if awaited else None,
        leading_lines=line.leading_lines,
    )
    where = "async with" if awaited else "with"
    message = f"Stream it: `{where} ....stream(...) as {name}:` and `{'await ' if awaited else ''}{name}.get_final_message()`"
    return Fix(message, (replace_node(model, line, block),), safe=False)


def _statement_of(statement: cst.CSTNode | None, value: cst.BaseExpression) -> bool:
    """Is `value` the whole value of a plain statement (no semicolon after it)?"""
    import libcst as cst

    if not isinstance(statement, (cst.Assign, cst.AnnAssign, cst.Return, cst.Expr)) or statement.value is not value:
        return False
    return not isinstance(statement.semicolon, cst.Semicolon)


def _own_line(model: SdkModel, statement: cst.CSTNode) -> bool:
    """The statement is alone on its line, in a block that can take another indented line."""
    import libcst as cst

    line = model.parents.get(statement)
    block = model.parents.get(line) if line is not None else None
    return isinstance(line, cst.SimpleStatementLine) and len(line.body) == 1 and isinstance(block, (cst.IndentedBlock, cst.Module))


def _without_stream(model: SdkModel, call: SdkCall) -> list[cst.Arg] | None:
    """The arguments without `stream=`; None when `stream` may come from a `**dict`, or a
    comment would be lost."""
    import libcst as cst

    args: list[cst.CSTNode] = list(call.node.args)
    direct = [arg for arg in call.node.args if arg.keyword is not None and arg.keyword.value == "stream"]
    if len(direct) != len(call.arguments.expressions("stream")):
        return None
    for arg in direct:
        index = next(i for i, a in enumerate(args) if a is arg)
        kept = without_item([a for a in args if isinstance(a, cst.Arg)], index)
        if kept is None:
            return None
        args = kept
    return [a for a in args if isinstance(a, cst.Arg)]


def _free_name(model: SdkModel) -> str | None:
    """A name for the stream that nothing in the module uses, so nothing is shadowed."""
    import libcst as cst

    used = {
        node.value
        for node, parent in model.parents.items()
        if isinstance(node, cst.Name)
        and not (isinstance(parent, cst.Arg) and parent.keyword is node)
        and not (isinstance(parent, cst.Attribute) and parent.attr is node)
    }
    return next((name for name in _NAMES if name not in used), None)
