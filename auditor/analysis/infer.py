"""What an expression refers to: an imported name, a function of this module, a tuple of
expressions. Memoised, and safe against cycles (`a = b; b = a`).

The sdk layer subclasses `Inference` and adds its own values (clients and their resources)
through four hooks: what a call returns, what an attribute of a value is, what an annotation
promises, and how several possible values merge.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import libcst as cst

from auditor.analysis.external import External
from auditor.analysis.module import ModuleFacts
from auditor.analysis.scopes import Binding, ClassInfo
from auditor.analysis.tree import all_params


@dataclass(frozen=True)
class QName:
    """A reference to something imported: a module, class or function, by qualified name."""

    name: str


@dataclass(frozen=True)
class FunctionRef:
    node: cst.FunctionDef


@dataclass(frozen=True)
class TupleValue:
    items: tuple[cst.BaseExpression, ...]


@dataclass(frozen=True)
class ClassRef:
    """A class of this module."""

    info: ClassInfo


@dataclass(frozen=True)
class Instance:
    """An instance of a class of this module: built by `call` (None: an annotation promises it)."""

    info: ClassInfo
    call: cst.Call | None


@dataclass(frozen=True)
class Partial:
    """`functools.partial(target, ...)`: calling it calls `target` with `call`'s keywords too."""

    target: object
    call: cst.Call


@dataclass(frozen=True)
class ImportedCall:
    """What calling a function or class of another module of the project gives (`call`), or
    what an annotation with such a class promises (`call` None). Worked out only when asked
    about (an attribute read, a client's resource), so that merely calling a helper costs
    nothing."""

    qualname: str
    call: cst.Call | None


# QName, FunctionRef, TupleValue, ClassRef, Instance, Partial, ImportedCall, or a value a
# subclass adds.
Value = object


class Inference:
    def __init__(self, facts: ModuleFacts, external: External | None = None) -> None:
        self.facts = facts
        self.external = external
        self._values: dict[cst.CSTNode, Value | None] = {}
        self._in_progress: set[cst.CSTNode] = set()

    def infer(self, expr: cst.BaseExpression) -> Value | None:
        """What an expression is; None when unknown."""
        if expr in self._values:
            return self._values[expr]
        if expr in self._in_progress:
            return None
        self._in_progress.add(expr)
        try:
            result = self._infer(expr)
        finally:
            self._in_progress.discard(expr)
        self._values[expr] = result
        return result

    def qualified_name(self, expr: cst.BaseExpression) -> str | None:
        """`anthropic.RateLimitError` for `E` after `from anthropic import RateLimitError as E`."""
        value = self.infer(expr)
        return value.name if isinstance(value, QName) else None

    # -- hooks for the layers above --------------------------------------------------------------

    def call_result(self, call: cst.Call, func: Value | None) -> Value | None:
        """What calling `func` returns, beyond functions of this module."""
        return None

    def member(self, base: Value, attr: str) -> Value | None:
        """`base.attr` for a value this layer does not know (and, first, for a qualified name)."""
        return None

    def in_project(self, qualname: str) -> bool:
        return self.external is not None and self.external.in_project(qualname)

    def annotated(self, annotation: Value | None) -> Value | None:
        """What a name annotated with `annotation` (and not assigned) holds."""
        return None

    def union(self, values: Sequence[Value | None], strict: bool) -> Value | None:
        """What several bindings or branches say together: here, only a value they all agree on.
        `strict` (a conditional expression) forbids guessing past an unknown branch."""
        if values and all(v == values[0] for v in values) and values[0] is not None:
            return values[0]
        return None

    def either(self, left: Value | None, right: Value | None) -> Value | None:
        """`left or right`, `left and right`."""
        return self.union([left, right], strict=False)

    # -- the inference ---------------------------------------------------------------------------

    def _infer(self, expr: cst.BaseExpression) -> Value | None:
        if isinstance(expr, cst.Name):
            return self._infer_name(expr)
        if isinstance(expr, cst.Attribute):
            return self._infer_attribute(expr)
        if isinstance(expr, cst.Call):
            return self._infer_call(expr)
        if isinstance(expr, cst.Await):
            return self.infer(expr.expression)
        if isinstance(expr, cst.IfExp):
            return self.union([self.infer(expr.body), self.infer(expr.orelse)], strict=True)
        if isinstance(expr, cst.BooleanOperation):
            return self.either(self.infer(expr.left), self.infer(expr.right))
        if isinstance(expr, (cst.Tuple, cst.List)):
            return TupleValue(tuple(e.value for e in expr.elements))
        return None

    def _infer_name(self, expr: cst.Name) -> Value | None:
        if expr.value in ("None", "True", "False"):
            return None
        bindings = self.facts.lookup(expr.value, self.facts.scope_of(expr))
        if not bindings:
            return QName(f"builtins.{expr.value}")
        return self.infer_bindings(bindings)

    def infer_bindings(self, bindings: Sequence[Binding]) -> Value | None:
        values: list[Value | None] = []
        for binding in bindings:
            if isinstance(binding.value, cst.Name) and binding.value.value == "None":
                continue  # `client = None` before a lazy `client = Anthropic()`
            values.append(self._infer_binding(binding))
        if not values:
            return None
        return self.union(values, strict=False)

    def _infer_binding(self, binding: Binding) -> Value | None:
        if binding.kind == "import":
            return QName(binding.qualname or "")
        if binding.kind == "def" and isinstance(binding.node, cst.FunctionDef):
            return FunctionRef(binding.node)
        if binding.kind == "class" and isinstance(binding.node, cst.ClassDef) and binding.node in self.facts.classes:
            return ClassRef(self.facts.classes[binding.node])
        if binding.kind in ("assign", "with") and binding.value is not None:
            return self.infer(binding.value)
        if binding.kind == "param" and isinstance(binding.node, cst.Param):
            passed = self._passed(binding.node)
            if passed is not None:
                return passed
        if binding.annotation is not None:
            return self._from_annotation(binding.annotation)
        return None

    def _passed(self, param: cst.Param) -> Value | None:
        """What the calls of this module pass for a parameter, merged with "anything" for the
        callers elsewhere: a client handed to a helper is that client, but not only that one."""
        if param in self._in_progress:
            return None
        self._in_progress.add(param)
        try:
            values = [self.infer(arg) for arg in self.facts.arguments_for(param, self.callers(param))]
        finally:
            self._in_progress.discard(param)
        if not values:
            return None
        return self.union([*values, None], strict=False)

    def callers(self, param: cst.Param) -> list[tuple[cst.Call, bool]]:
        """The calls in this module of the function `param` belongs to, each with whether it
        binds the first parameter itself (`obj.method(...)`, `Class(...)` for `__init__`)."""
        function = self.facts.enclosing_function(param)
        if function is None:
            return []
        owner = self.facts.owner_class(function)
        found = []
        for call in self.facts.calls:
            target = self.infer(call.func)
            if isinstance(target, FunctionRef) and target.node is function:
                found.append((call, isinstance(call.func, cst.Attribute) and owner is not None and not _static(function)))
            elif isinstance(target, ClassRef) and function.name.value == "__init__" and self.facts.class_method(target.info, "__init__") is function:
                found.append((call, True))
        return found

    def _from_annotation(self, annotation: cst.BaseExpression) -> Value | None:
        candidates = [annotation]
        if isinstance(annotation, cst.BinaryOperation):  # `Anthropic | None`
            candidates = [annotation.left, annotation.right]
        for candidate in candidates:
            named = self.infer(candidate)
            if isinstance(named, ClassRef):
                return Instance(named.info, None)
            value = self.annotated(named)
            if value is not None:
                return value
            if isinstance(named, QName) and self.in_project(named.name):
                return ImportedCall(named.name, None)
        return None

    def _infer_attribute(self, expr: cst.Attribute) -> Value | None:
        attr = expr.attr.value
        owner = self.facts.attribute_owner(expr)
        if owner is not None:
            bindings = self.facts.class_attribute(owner, attr)
            if bindings:
                return self.infer_bindings(bindings)
            method = self.facts.class_method(owner, attr)
            return FunctionRef(method) if method is not None else None
        base = self.infer(expr.value)
        if isinstance(base, QName):
            return self.member(base, attr) or QName(f"{base.name}.{attr}")
        if isinstance(base, (Instance, ClassRef)):
            bindings = self.facts.class_attribute(base.info, attr)
            if bindings:
                return self.infer_bindings(bindings)
            method = self.facts.class_method(base.info, attr)
            return FunctionRef(method) if method is not None else None
        return self.member(base, attr) if base is not None else None

    def _infer_call(self, call: cst.Call) -> Value | None:
        func = self.infer(call.func)
        if isinstance(func, FunctionRef):
            return self.function_result(func.node)
        if isinstance(func, ClassRef):
            return Instance(func.info, call)
        if isinstance(func, QName) and func.name == "typing.cast" and len(call.args) == 2:
            return self.infer(call.args[1].value)  # `cast(Anthropic, client)` is the client
        if isinstance(func, QName) and func.name == "functools.partial" and call.args and not call.args[0].star:
            target = self.infer(call.args[0].value)
            return Partial(target, call) if target is not None else None
        if isinstance(func, QName) and func.name == "builtins.getattr" and len(call.args) == 2:
            return self._getattr(call.args[0].value, call.args[1].value)
        result = self.call_result(call, func)
        if result is None and isinstance(func, QName) and self.in_project(func.name):
            return ImportedCall(func.name, call)
        return result

    def _getattr(self, obj: cst.BaseExpression, name: cst.BaseExpression) -> Value | None:
        """`getattr(client, "messages")`, or with a name that holds one of a few literals."""
        names = self._literal_strings(name)
        base = self.infer(obj)
        if not names or base is None:
            return None
        values = [self.member(base, attr) if not isinstance(base, QName) else QName(f"{base.name}.{attr}") for attr in names]
        return self.union(values, strict=True)

    def _literal_strings(self, expr: cst.BaseExpression) -> list[str]:
        if isinstance(expr, cst.SimpleString):
            text = expr.evaluated_value
            return [text] if isinstance(text, str) else []
        if isinstance(expr, cst.Name):
            bindings = self.facts.lookup(expr.value, self.facts.scope_of(expr))
            found = []
            for binding in bindings:
                if binding.kind != "assign" or binding.value is None:
                    return []
                values = self._literal_strings(binding.value) if not isinstance(binding.value, cst.IfExp) else [
                    *self._literal_strings(binding.value.body), *self._literal_strings(binding.value.orelse)
                ]
                if not values:
                    return []
                found += values
            return sorted(set(found))
        return []

    def function_result(self, function: cst.FunctionDef) -> Value | None:
        """What a small factory returns: the union of its `return` values."""
        if function in self._in_progress:
            return None
        self._in_progress.add(function)
        try:
            returns = [node.value for node in self.facts.returns(function)]
            if not returns or any(value is None for value in returns):
                return None
            return self.union([self.infer(value) for value in returns if value is not None], strict=False)
        finally:
            self._in_progress.discard(function)


def _static(function: cst.FunctionDef) -> bool:
    return any(
        isinstance(d.decorator, cst.Name) and d.decorator.value == "staticmethod" for d in function.decorators
    )
