"""The one pass over a module: scopes, name bindings, classes, and the calls, loops and tries
later questions start from. It walks with an explicit stack, so deep expressions cannot hit
Python's recursion limit here."""

from __future__ import annotations

from dataclasses import dataclass, field
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal, TypeGuard

import libcst as cst

from auditor.analysis.tree import all_params, child_nodes, decorator_name, dotted

if TYPE_CHECKING:
    from auditor.analysis.module import ModuleFacts


@dataclass(eq=False)
class Binding:
    """One way a name gets its value. `value` is evaluated in `scope`."""

    kind: Literal["assign", "import", "param", "def", "class", "with", "annotation", "unknown"]
    scope: Scope
    node: cst.CSTNode
    value: cst.BaseExpression | None = None
    qualname: str | None = None  # imports
    annotation: cst.BaseExpression | None = None


@dataclass(eq=False)
class ClassInfo:
    node: cst.ClassDef
    scope: Scope  # the class body's scope
    # attribute -> bindings from `self.attr = ...` in any method and `attr = ...` in the class body
    attributes: dict[str, list[Binding]] = field(default_factory=dict)
    methods: dict[str, cst.FunctionDef] = field(default_factory=dict)


@dataclass(eq=False)
class Scope:
    kind: Literal["module", "class", "function"]
    node: cst.CSTNode
    parent: Scope | None
    bindings: dict[str, list[Binding]] = field(default_factory=dict)
    declared_global: set[str] = field(default_factory=set)
    # For a method: the class it belongs to and the name of its first parameter (`self`/`cls`).
    owner: ClassInfo | None = None
    self_name: str | None = None
    # `d["key"] = value` and `d.update(...)` on local names, for `**d` resolution.
    item_writes: dict[str, list[tuple[cst.BaseExpression | None, cst.BaseExpression]]] = field(
        default_factory=dict
    )

    def bind(self, name: str, binding: Binding) -> None:
        self.bindings.setdefault(name, []).append(binding)


class Collector:
    """Records parents, scopes, bindings, calls, loops and tries in one traversal."""

    def __init__(self, facts: ModuleFacts) -> None:
        self.facts = facts
        self.scopes: list[Scope] = []
        self.classes: list[ClassInfo | None] = []

    def run(self, module: cst.Module) -> None:
        """A depth-first walk with an explicit stack: no recursion limit on deep expressions."""
        parents = self.facts.parents
        handlers = VISIT
        scoped = (cst.Module, cst.FunctionDef, cst.ClassDef)
        stack: list[tuple[cst.CSTNode, bool]] = [(module, False)]
        while stack:
            node, leaving = stack.pop()
            if leaving:
                self.scopes.pop()
                if isinstance(node, cst.ClassDef):
                    self.classes.pop()
                continue
            handler = handlers.get(type(node))
            if handler is not None:
                handler(self, node)
            if isinstance(node, scoped):
                stack.append((node, True))
            children = list(child_nodes(node))
            for child in reversed(children):
                parents[child] = node
                stack.append((child, False))

    @property
    def scope(self) -> Scope:
        return self.scopes[-1]

    def _bind(self, name: str, binding: Binding) -> None:
        scope = self.scope
        if name in scope.declared_global:
            scope = self.facts.module_scope
        scope.bind(name, binding)

    # -- scopes ----------------------------------------------------------------------------------

    def visit_module(self, node: cst.Module) -> None:
        scope = Scope("module", node, None)
        self.facts.module_scope = scope
        self.facts.scopes[node] = scope
        self.scopes.append(scope)

    def visit_class(self, node: cst.ClassDef) -> None:
        self._bind(node.name.value, Binding("class", self.scope, node))
        scope = Scope("class", node, self.scope)
        info = ClassInfo(node, scope)
        self.facts.classes[node] = info
        self.facts.scopes[node] = scope
        self.scopes.append(scope)
        self.classes.append(info)

    def visit_function(self, node: cst.FunctionDef) -> None:
        outer = self.scope
        self._bind(node.name.value, Binding("def", outer, node))
        scope = Scope("function", node, outer)
        if outer.kind == "class" and self.classes and self.classes[-1] is not None:
            owner = self.classes[-1]
            owner.methods.setdefault(node.name.value, node)
            scope.owner = owner
            params = [*node.params.posonly_params, *node.params.params]
            if params and not any(decorator_name(d) == "staticmethod" for d in node.decorators):
                scope.self_name = params[0].name.value
        self.facts.scopes[node] = scope
        self.facts.functions.append(node)
        self.scopes.append(scope)
        for param in all_params(node.params):
            scope.bind(
                param.name.value,
                Binding(
                    "param",
                    outer,  # a default is evaluated where the function is defined
                    param,
                    value=param.default,
                    annotation=param.annotation.annotation if param.annotation else None,
                ),
            )

    # -- bindings --------------------------------------------------------------------------------

    def visit_global(self, node: cst.Global) -> None:
        self.scope.declared_global.update(item.name.value for item in node.names)

    def visit_import(self, node: cst.Import) -> None:
        for alias in node.names:
            name = dotted(alias.name)
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                self._bind(alias.asname.name.value, Binding("import", self.scope, node, qualname=name))
            else:
                top = name.split(".")[0]
                self._bind(top, Binding("import", self.scope, node, qualname=top))

    def visit_import_from(self, node: cst.ImportFrom) -> None:
        if isinstance(node.names, cst.ImportStar):
            return
        prefix = "." * len(node.relative) + (dotted(node.module) if node.module else "")
        for alias in node.names:
            name = dotted(alias.name)
            local = alias.asname.name.value if alias.asname and isinstance(alias.asname.name, cst.Name) else name
            qualname = f"{prefix}.{name}" if prefix and not prefix.endswith(".") else f"{prefix}{name}"
            self._bind(local, Binding("import", self.scope, node, qualname=qualname))

    def visit_assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self._assign_target(target.target, node.value, node)

    def visit_ann_assign(self, node: cst.AnnAssign) -> None:
        if node.value is None:
            if isinstance(node.target, cst.Name):
                self._bind(
                    node.target.value,
                    Binding("annotation", self.scope, node, annotation=node.annotation.annotation),
                )
            elif self._self_attribute(node.target):
                self._bind_attribute(
                    node.target,
                    Binding("annotation", self.scope, node, annotation=node.annotation.annotation),
                )
            return
        self._assign_target(node.target, node.value, node, node.annotation.annotation)

    def visit_aug_assign(self, node: cst.AugAssign) -> None:
        self._assign_target(node.target, None, node)

    def visit_named_expr(self, node: cst.NamedExpr) -> None:
        self._assign_target(node.target, node.value, node)

    def visit_for(self, node: cst.For) -> None:
        self._assign_target(node.target, None, node)

    def visit_with(self, node: cst.With) -> None:
        for item in node.items:
            if item.asname is not None:
                target = item.asname.name
                # `with Anthropic() as client`: the client's __enter__ returns the client itself.
                value = item.item if isinstance(target, cst.Name) else None
                self._assign_target(target, value, node, kind="with")

    def visit_except_handler(self, node: cst.ExceptHandler | cst.ExceptStarHandler) -> None:
        if node.name is not None:
            self._assign_target(node.name.name, None, node)

    def visit_comp_for(self, node: cst.CompFor) -> None:
        self._assign_target(node.target, None, node)

    def visit_match_capture(self, node: cst.MatchAs | cst.MatchStar | cst.MatchMapping) -> None:
        """`case {"max_tokens": mt}:` binds `mt` to something only the run time knows."""
        name = node.rest if isinstance(node, cst.MatchMapping) else node.name
        if isinstance(name, cst.Name):
            self._bind(name.value, Binding("unknown", self.scope, node))

    def visit_call(self, node: cst.Call) -> None:
        self.facts.calls.append(node)
        # `params.update(key=value)` on a local dict: remembered for `**params`.
        func = node.func
        if (
            isinstance(func, cst.Attribute)
            and func.attr.value == "update"
            and isinstance(func.value, cst.Name)
        ):
            writes = self.scope.item_writes.setdefault(func.value.value, [])
            for arg in node.args:
                if arg.keyword is not None:
                    writes.append((cst.SimpleString(repr(arg.keyword.value)), self._written(arg.value, node)))
                else:
                    writes.append((None, arg.value))  # unknown keys

    def visit_try(self, node: cst.Try | cst.TryStar) -> None:
        self.facts.tries.append(node)

    def visit_loop(self, node: cst.For | cst.While) -> None:
        self.facts.loops.append(node)
        if isinstance(node, cst.For):
            self.visit_for(node)

    # -- helpers ---------------------------------------------------------------------------------

    def _self_attribute(self, target: cst.BaseExpression) -> TypeGuard[cst.Attribute]:
        scope = self.scope
        return (
            isinstance(target, cst.Attribute)
            and isinstance(target.value, cst.Name)
            and scope.self_name is not None
            and target.value.value == scope.self_name
            and scope.owner is not None
        )

    def _written(self, value: cst.BaseExpression | None, node: cst.CSTNode) -> cst.BaseExpression:
        """What an item write puts in a dict, for `**d`: unknown when not given, and "guarded"
        when written under `if <that value> is not None:` (or any test of it): then the key is
        absent exactly when the value would have been None, which proves nothing about None."""
        if value is None:
            return cst.Name(UNKNOWN_VALUE)
        code = self.facts.module.code_for_node(value)
        for ancestor in _ancestors(self.facts.parents, node):
            if isinstance(ancestor, (cst.If, cst.IfExp, cst.While)) and code in self.facts.module.code_for_node(ancestor.test):
                return cst.Name(GUARDED_VALUE)
            if isinstance(ancestor, (cst.FunctionDef, cst.ClassDef)):
                break
        return value

    def _bind_attribute(self, target: cst.Attribute, binding: Binding) -> None:
        owner = self.scope.owner
        assert owner is not None
        owner.attributes.setdefault(target.attr.value, []).append(binding)

    def _assign_target(
        self,
        target: cst.BaseExpression,
        value: cst.BaseExpression | None,
        node: cst.CSTNode,
        annotation: cst.BaseExpression | None = None,
        kind: Literal["assign", "with"] = "assign",
    ) -> None:
        if isinstance(target, cst.Name):
            binding_kind = kind if value is not None else "unknown"
            binding = Binding(binding_kind, self.scope, node, value=value, annotation=annotation)
            self._bind(target.value, binding)
            if self.scope.kind == "class" and self.classes and self.classes[-1] is not None:
                self.classes[-1].attributes.setdefault(target.value, []).append(binding)
        elif isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self._assign_target(element.value, None, node)
        elif isinstance(target, cst.StarredElement):
            self._assign_target(target.value, None, node)
        elif self._self_attribute(target):
            binding_kind = kind if value is not None else "unknown"
            self._bind_attribute(
                target,
                Binding(binding_kind, self.scope, node, value=value, annotation=annotation),
            )
        elif isinstance(target, cst.Subscript) and isinstance(target.value, cst.Name):
            key: cst.BaseExpression | None = None
            if len(target.slice) == 1 and isinstance(target.slice[0].slice, cst.Index):
                key = target.slice[0].slice.value
            writes = self.scope.item_writes.setdefault(target.value.value, [])
            writes.append((key, self._written(value, node)))


UNKNOWN_VALUE = "__unknown__"
GUARDED_VALUE = "__written_only_when_tested__"


def _ancestors(parents: dict[cst.CSTNode, cst.CSTNode], node: cst.CSTNode) -> list[cst.CSTNode]:
    found = []
    current = parents.get(node)
    while current is not None:
        found.append(current)
        current = parents.get(current)
    return found


VISIT: dict[type[cst.CSTNode], Callable[[Collector, Any], None]] = {
    cst.Module: Collector.visit_module,
    cst.ClassDef: Collector.visit_class,
    cst.FunctionDef: Collector.visit_function,
    cst.Global: Collector.visit_global,
    cst.Import: Collector.visit_import,
    cst.ImportFrom: Collector.visit_import_from,
    cst.Assign: Collector.visit_assign,
    cst.AnnAssign: Collector.visit_ann_assign,
    cst.AugAssign: Collector.visit_aug_assign,
    cst.NamedExpr: Collector.visit_named_expr,
    cst.For: Collector.visit_loop,
    cst.While: Collector.visit_loop,
    cst.With: Collector.visit_with,
    cst.ExceptHandler: Collector.visit_except_handler,
    cst.ExceptStarHandler: Collector.visit_except_handler,
    cst.CompFor: Collector.visit_comp_for,
    cst.MatchAs: Collector.visit_match_capture,
    cst.MatchStar: Collector.visit_match_capture,
    cst.MatchMapping: Collector.visit_match_capture,
    cst.Call: Collector.visit_call,
    cst.Try: Collector.visit_try,
    cst.TryStar: Collector.visit_try,
}
