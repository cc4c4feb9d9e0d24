"""Questions about one module's structure, answered from the one pass (auditor.analysis.scopes):
positions, parents, scopes and what a name is bound to, classes with their attributes, methods
and bases in this module."""

from __future__ import annotations

from collections.abc import Iterator
from functools import cached_property

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider

from auditor.analysis.scopes import Binding, ClassInfo, Collector, Scope
from auditor.analysis.tree import own_nodes


class ModuleFacts:
    """The structure of one parsed module."""

    def __init__(self, module: cst.Module, path: str = "<module>") -> None:
        self.module = module
        self.path = path
        self.parents: dict[cst.CSTNode, cst.CSTNode] = {}
        self.scopes: dict[cst.CSTNode, Scope] = {}
        self.classes: dict[cst.ClassDef, ClassInfo] = {}
        self.functions: list[cst.FunctionDef] = []
        self.calls: list[cst.Call] = []
        self.tries: list[cst.Try | cst.TryStar] = []
        self.loops: list[cst.For | cst.While] = []
        self.module_scope: Scope
        self._tested_names: dict[cst.FunctionDef, set[str]] = {}
        Collector(self).run(module)

    @cached_property
    def _positions(self) -> dict[cst.CSTNode, CodeRange]:
        # Computed only when a finding needs a position: most modules have none.
        wrapper = MetadataWrapper(self.module, unsafe_skip_copy=True)
        return dict(wrapper.resolve(PositionProvider))

    def located(self, node: cst.CSTNode) -> bool:
        """Is `node` in this module's text? (Placeholders the analysis makes up are not.)"""
        return node in self._positions

    def position(self, node: cst.CSTNode) -> CodeRange:
        return self._positions[node]

    def line(self, node: cst.CSTNode) -> int:
        return self._positions[node].start.line

    def code(self, node: cst.CSTNode) -> str:
        return self.module.code_for_node(node)

    def ancestors(self, node: cst.CSTNode) -> Iterator[cst.CSTNode]:
        parent = self.parents.get(node)
        while parent is not None:
            yield parent
            parent = self.parents.get(parent)

    def scope_of(self, node: cst.CSTNode) -> Scope:
        for ancestor in self.ancestors(node):
            scope = self.scopes.get(ancestor)
            if scope is not None:
                # A function's parameters, decorators and returns annotation belong to the outside.
                if isinstance(ancestor, cst.FunctionDef) and not self._inside_body(node, ancestor):
                    continue
                return scope
        return self.module_scope

    def _inside_body(self, node: cst.CSTNode, function: cst.FunctionDef) -> bool:
        current = node
        for ancestor in self.ancestors(node):
            if ancestor is function:
                return current is function.body
            current = ancestor
        return False

    def enclosing_function(self, node: cst.CSTNode) -> cst.FunctionDef | None:
        for ancestor in self.ancestors(node):
            if isinstance(ancestor, cst.FunctionDef):
                return ancestor
        return None

    def lookup(self, name: str, scope: Scope) -> list[Binding]:
        """The bindings a name can refer to from `scope`, following Python's LEGB rule."""
        current: Scope | None = scope
        first = True
        while current is not None:
            if current.kind != "class" or first:
                if name in current.declared_global:
                    current = self.module_scope
                bindings = current.bindings.get(name)
                if bindings:
                    return bindings
            first = False
            current = current.parent
        return []

    def attribute_owner(self, expr: cst.Attribute) -> ClassInfo | None:
        """The class whose attribute `self.x`, `cls.x` or `ClassName.x` names, if in this module."""
        if not isinstance(expr.value, cst.Name):
            return None
        scope = self.scope_of(expr)
        while scope.kind != "function" and scope.parent is not None and scope.kind != "module":
            scope = scope.parent
        name = expr.value.value
        # `self` in a function nested in a method is the method's `self` (a closure), unless the
        # nested function binds the name itself.
        method: Scope | None = scope
        while method is not None and method.kind == "function" and method.self_name != name and name not in method.bindings:
            method = method.parent
        if method is not None and method.kind == "function" and method.self_name == name and method.owner:
            return method.owner
        bindings = self.lookup(name, scope)
        if len(bindings) == 1 and bindings[0].kind == "class" and isinstance(bindings[0].node, cst.ClassDef):
            return self.classes.get(bindings[0].node)
        return None

    def class_attribute(self, info: ClassInfo, attr: str, depth: int = 0) -> list[Binding]:
        found = list(info.attributes.get(attr, []))
        if depth < 5:
            for base in self._local_bases(info):
                found += self.class_attribute(base, attr, depth + 1)
        return found

    def class_method(self, info: ClassInfo, name: str, depth: int = 0) -> cst.FunctionDef | None:
        if name in info.methods:
            return info.methods[name]
        if depth < 5:
            for base in self._local_bases(info):
                method = self.class_method(base, name, depth + 1)
                if method is not None:
                    return method
        return None

    def _local_bases(self, info: ClassInfo) -> list[ClassInfo]:
        bases = []
        for arg in info.node.bases:
            if isinstance(arg.value, cst.Name):
                for binding in self.lookup(arg.value.value, info.scope.parent or self.module_scope):
                    if binding.kind == "class" and isinstance(binding.node, cst.ClassDef) and binding.node in self.classes:
                        bases.append(self.classes[binding.node])
        return bases

    def returns(self, function: cst.FunctionDef) -> list[cst.Return]:
        return [node for node in own_nodes(function.body) if isinstance(node, cst.Return)]

    def tests_name(self, function: cst.FunctionDef, name: str) -> bool:
        """Does a condition in the function (if, elif, while, assert, a conditional expression,
        `and`/`or`) mention `name`?"""
        tests = self._tested_names.get(function)
        if tests is None:
            tests = set()
            for node in own_nodes(function.body):
                condition = None
                if isinstance(node, (cst.If, cst.While, cst.IfExp)):
                    condition = node.test
                elif isinstance(node, cst.Assert):
                    condition = node.test
                elif isinstance(node, cst.BooleanOperation):
                    condition = node
                if condition is not None:
                    tests.update(n.value for n in own_nodes(condition) if isinstance(n, cst.Name))
                    if isinstance(condition, cst.Name):
                        tests.add(condition.value)
            self._tested_names[function] = tests
        return name in tests

    def owner_class(self, function: cst.FunctionDef) -> ClassInfo | None:
        """The class a method belongs to (None for a plain function)."""
        scope = self.scopes.get(function)
        return scope.owner if scope is not None else None

    def passed(self, call: cst.Call, bound: bool, param: cst.Param) -> cst.BaseExpression | None:
        """What this call passes for `param` explicitly: by name, or by position with no `*args`
        before it. `bound`: the call supplies the first parameter itself (`obj.method()`,
        `Class()` for `__init__`)."""
        named = next((a.value for a in call.args if a.keyword is not None and a.keyword.value == param.name.value), None)
        function = self.enclosing_function(param)
        if named is not None or function is None:
            return named
        names = [*function.params.posonly_params, *function.params.params][1 if bound else 0 :]
        index = next((i for i, p in enumerate(names) if p is param), None)
        plain = [a for a in call.args if a.keyword is None]
        if index is None or index >= len(plain) or any(a.star for a in plain[: index + 1]):
            return None
        return plain[index].value

    def arguments_for(self, param: cst.Param, callers: list[tuple[cst.Call, bool]]) -> list[cst.BaseExpression]:
        """What each of `callers` passes for `param` (its default when a call passes nothing).
        A call whose arguments cannot be matched (`*args`, `**kwargs`) contributes nothing."""
        found = []
        for call, bound in callers:
            value = self.passed(call, bound, param)
            if value is None and not any(a.star for a in call.args):
                value = param.default
            if value is not None:
                found.append(value)
        return found

    def parameter_owner(self, param: cst.CSTNode) -> str:
        """The name of the function a parameter belongs to ("" at the top level)."""
        function = self.enclosing_function(param)
        return function.name.value if function is not None else ""

    @cached_property
    def call_order(self) -> dict[cst.Call, int]:
        return {call: index for index, call in enumerate(self.calls)}

    def calls_inside(self, node: cst.CSTNode) -> list[cst.Call]:
        """Calls in `node`'s subtree, not counting the bodies of nested functions and classes."""
        calls = [n for n in own_nodes(node) if isinstance(n, cst.Call)]
        if isinstance(node, cst.Call):
            calls.append(node)
        order = self.call_order
        return sorted(calls, key=lambda call: order.get(call, 0))

    def function_name(self, node: cst.CSTNode) -> str:
        """`Agent.reply` for a node in a method, `ask` in a function, `<module>` at the top."""
        names = []
        for ancestor in self.ancestors(node):
            if isinstance(ancestor, (cst.FunctionDef, cst.ClassDef)):
                names.append(ancestor.name.value)
        return ".".join(reversed(names)) if names else "<module>"
