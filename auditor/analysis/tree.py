"""Walking libcst trees cheaply: a node's children straight from its dataclass fields.

libcst's own visitor protocol rebuilds every node as it walks (it serves transformers too) and
costs several times this plain walk, which is all a read-only analysis needs.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import libcst as cst

# Fields that never hold anything the analysis needs: white space, punctuation, brackets.
_TRIVIA_FIELDS = frozenset(
    {
        "lpar", "rpar", "comma", "dot", "equal", "semicolon", "colon", "header", "footer",
        "leading_lines", "lines_after_decorators", "trailing_whitespace", "newline", "lbracket",
        "rbracket", "lbrace", "rbrace", "operator", "whitespace_after_at", "asynchronous",
    }
)
_CHILD_FIELDS: dict[type, tuple[str, ...]] = {}
SCOPE_BOUNDARIES = (cst.FunctionDef, cst.ClassDef, cst.Lambda)


def child_nodes(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """A node's children that can matter, in source order."""
    names = _CHILD_FIELDS.get(type(node))
    if names is None:
        names = tuple(
            f.name
            for f in dataclasses.fields(node)
            if f.name not in _TRIVIA_FIELDS and not f.name.startswith("whitespace")
        )
        _CHILD_FIELDS[type(node)] = names
    for name in names:
        value = getattr(node, name)
        if isinstance(value, cst.CSTNode):
            yield value
        elif isinstance(value, (list, tuple)):
            for item in value:
                if isinstance(item, cst.CSTNode):
                    yield item


def own_nodes(node: cst.CSTNode, stop: tuple[type, ...] = ()) -> Iterator[cst.CSTNode]:
    """Nodes under `node` in its own scope: nested functions, classes and lambdas (and any
    `stop` types) are yielded but not entered."""
    boundaries = (*SCOPE_BOUNDARIES, *stop)
    stack = list(child_nodes(node))
    while stack:
        current = stack.pop()
        yield current
        if not isinstance(current, boundaries):
            stack.extend(child_nodes(current))


def all_params(params: cst.Parameters) -> Iterator[cst.Param]:
    yield from params.posonly_params
    yield from params.params
    if isinstance(params.star_arg, cst.Param):
        yield params.star_arg
    yield from params.kwonly_params
    if params.star_kwarg is not None:
        yield params.star_kwarg


def dotted(node: cst.BaseExpression) -> str:
    """`a.b.c` for a dotted name, "" for anything else."""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return f"{dotted(node.value)}.{node.attr.value}"
    return ""


def decorator_name(decorator: cst.Decorator) -> str:
    expr = decorator.decorator
    if isinstance(expr, cst.Call):
        expr = expr.func
    return dotted(expr)


def last_name(expr: cst.BaseExpression) -> str | None:
    if isinstance(expr, cst.Name):
        return expr.value
    if isinstance(expr, cst.Attribute):
        return expr.attr.value
    return None
