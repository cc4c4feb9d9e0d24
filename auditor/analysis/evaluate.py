"""Constant values of expressions, with where each came from: literals, names bound once,
class constants, arithmetic, a parameter's default ("may be": callers can pass another),
`int(os.environ.get("N", "8192"))` ("may be": the environment can say otherwise). And a call's
keyword arguments, with `**dict` literals and their item writes folded in."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import libcst as cst

from auditor.analysis.external import constant
from auditor.analysis.infer import ClassRef, ImportedCall, Inference, Instance, QName
from auditor.analysis.keywords import Items, Keywords
from auditor.analysis.module import ModuleFacts
from auditor.analysis.scopes import Binding, ClassInfo
from auditor.analysis.values import ABSENT, LITERAL, Known, Source, Unknown, is_number

_ENV_GETTERS = frozenset({"os.environ.get", "os.getenv"})
_NUMBER_CASTS = frozenset({"builtins.int", "builtins.float"})
# Declarations of a class field whose `default=` is the field's default value.
_DEFAULT_FIRST = frozenset({"pydantic.Field", "pydantic.fields.Field"})
_FIELD_DECLARATIONS = _DEFAULT_FIRST | {"dataclasses.field", "attr.ib", "attr.attrib", "attr.field", "attrs.field"}


@dataclass(eq=False)
class Arguments:
    """A call's keyword arguments, with `**dict` literals and their item writes folded in."""

    evaluator: Evaluator
    call: cst.Call
    keywords: dict[str, list[cst.BaseExpression]]
    # False when a `**kwargs` could not be resolved: any keyword may be hiding in it.
    complete: bool

    def merged(self, later: Arguments) -> Arguments:
        """These keywords, overridden by `later`'s: what a call through `functools.partial` passes."""
        keywords = {**self.keywords, **later.keywords}
        return Arguments(self.evaluator, later.call, keywords, self.complete and later.complete)

    def expressions(self, name: str) -> list[cst.BaseExpression]:
        return self.keywords.get(name, [])

    def given(self, name: str) -> bool | None:
        """True if passed, False if provably not, None if a `**kwargs` might carry it."""
        if name in self.keywords:
            return True
        return False if self.complete else None

    def constant(self, name: str) -> Known | Unknown:
        """The keyword's value when every way it is passed resolves to the same constant."""
        given = self.given(name)
        if given is False:
            return ABSENT
        if given is None:
            return Unknown(f"{name} may be passed through **kwargs")
        values = [self.evaluator.evaluate(expr) for expr in self.keywords[name]]
        if len(values) == 1:
            return values[0]
        known = [v for v in values if isinstance(v, Known)]
        if len(known) != len(values) or len({repr(v.value) for v in known}) != 1:
            return Unknown(f"{name} takes several values")
        return known[0]


class Evaluator:
    def __init__(self, facts: ModuleFacts, inference: Inference) -> None:
        self.facts = facts
        self.inference = inference
        self.keywords = Keywords(facts, inference, self.evaluate)
        self.synthetic = self.keywords.synthetic  # stand-in nodes and their values (see Keywords)

    def evaluate(self, expr: cst.BaseExpression, depth: int = 0) -> Known | Unknown:
        """The constant value of an expression, with where it came from, or Unknown."""
        if expr in self.synthetic:
            return self.synthetic[expr]
        if depth > 8:
            return Unknown("too deep")
        if isinstance(expr, cst.Integer):
            return Known(int(expr.value.replace("_", ""), 0), LITERAL, node=expr)
        if isinstance(expr, cst.Float):
            return Known(float(expr.value.replace("_", "")), LITERAL, node=expr)
        if isinstance(expr, cst.Name):
            if expr.value in ("None", "True", "False"):
                return Known({"None": None, "True": True, "False": False}[expr.value], LITERAL, node=expr)
            return self._evaluate_name(expr, depth)
        if isinstance(expr, (cst.SimpleString, cst.ConcatenatedString)):
            text = expr.evaluated_value
            if isinstance(text, str):
                return Known(text, LITERAL, node=expr)
            return Unknown("bytes")
        if isinstance(expr, cst.UnaryOperation) and isinstance(expr.operator, cst.Minus):
            inner = self.evaluate(expr.expression, depth + 1)
            number = inner.value if isinstance(inner, Known) else None
            if isinstance(inner, Known) and is_number(number):
                return Known(-number, inner.source, inner.certain, expr)
            return Unknown("not a number")
        if isinstance(expr, cst.BinaryOperation):
            return self._evaluate_binary(expr, depth)
        if isinstance(expr, cst.Attribute):
            return self._evaluate_attribute(expr, depth)
        if isinstance(expr, cst.Call):
            return self._evaluate_call(expr, depth)
        return Unknown("not a constant")

    def _evaluate_name(self, expr: cst.Name, depth: int) -> Known | Unknown:
        scope = self.facts.scope_of(expr)
        bindings = self.facts.lookup(expr.value, scope)
        if len(bindings) == 1 and bindings[0].kind == "param":
            param = bindings[0]
            if param.value is None:
                return Unknown(f"parameter {expr.value} has no default")
            function = self.facts.enclosing_function(param.node)
            if function is not None and self._callers_override(function, param.node):
                # A private helper whose callers here pass their own value: the default is not
                # what runs (and nothing outside is meant to call it).
                return Unknown(f"the callers of {function.name.value}() pass {expr.value}")
            if function is not None and self.facts.tests_name(function, expr.value):
                # `if timeout is not None: ...`, `x if timeout else y`, `assert timeout`: the code
                # looks at the value before using it, so the default proves nothing here.
                return Unknown(f"parameter {expr.value} is checked before use")
            default = self.evaluate(param.value, depth + 1)
            if isinstance(default, Known):
                source = Source("parameter-default", expr.value, self.facts.parameter_owner(param.node))
                return Known(default.value, source, False, param.value)
            return default
        return self._evaluate_bindings(bindings, expr.value, depth)

    def _evaluate_attribute(self, expr: cst.Attribute, depth: int) -> Known | Unknown:
        """`self.x`, `cls.x`, `Config.x`, `config.x` on an instance of a class of this module.
        A class-level value is a default anyone can override (an instance, a subclass, a
        constructor argument): it is a "may be", named as the default of its field."""
        attr = expr.attr.value
        owner = self.facts.attribute_owner(expr)
        if owner is None:
            base = self.inference.infer(expr.value)
            if isinstance(base, (QName, ImportedCall)):
                return self._imported_attribute(base, attr, depth)
            if not isinstance(base, (Instance, ClassRef)):
                return Unknown(f"{self.facts.code(expr)} is not a constant of this module")
            owner = base.info
            if isinstance(base, Instance) and base.call is not None:
                passed = self._passed_to_constructor(base.call, attr, owner.node.name.value, depth)
                if passed is not None:
                    return passed
        return self.class_value(owner, attr, self.facts.code(expr), depth)

    def class_value(self, owner: ClassInfo, attr: str, name: str, depth: int = 0) -> Known | Unknown:
        """An attribute of a class of this module, as a constant: a class-level value is the
        default of a field ("may be"); one assigned only in methods is an instance's own."""
        bindings = self.facts.class_attribute(owner, attr)
        value = self._evaluate_bindings(bindings, name, depth)
        if not isinstance(value, Known) or bindings[0].scope.kind != "class":
            return value
        kind: Literal["field-default", "class-attribute"] = "field-default" if bindings[0].annotation is not None else "class-attribute"
        line = functools.partial(self.facts.line, bindings[0].node)
        return Known(value.value, Source(kind, attr, owner.node.name.value, line=line), False, value.node)

    def _passed_to_constructor(self, call: cst.Call, attr: str, class_name: str, depth: int) -> Known | Unknown | None:
        """What `Config(max_tokens=...)` sets a field to; None when it passes nothing for it."""
        passed = [a.value for a in call.args if a.keyword is not None and a.keyword.value == attr]
        if passed:
            return self.evaluate(passed[0], depth + 1)
        if any(a.keyword is None for a in call.args):
            return Unknown(f"{attr} may be passed positionally to {class_name}()")
        return None

    def _imported_attribute(self, base: QName | ImportedCall, attr: str, depth: int) -> Known | Unknown:
        """`settings.MAX_TOKENS`, `Config.MAX_TOKENS`, `config.max_tokens` for a module or
        class of another module of the project."""
        if isinstance(base, ImportedCall) and base.call is not None:
            passed = self._passed_to_constructor(base.call, attr, base.qualname.rsplit(".", 1)[-1], depth)
            if passed is not None:
                return passed
        qualname = f"{base.name if isinstance(base, QName) else base.qualname}.{attr}"
        return self._imported(qualname) or Unknown(f"{qualname} is not a constant of the project")

    def _imported(self, qualname: str) -> Known | None:
        external = self.inference.external
        return constant(external.entry(qualname)) if external is not None else None

    def _evaluate_bindings(self, bindings: Sequence[Binding], name: str, depth: int) -> Known | Unknown:
        """A name is a constant when it is bound exactly once, to a constant expression."""
        if len(bindings) != 1:
            return Unknown("assigned more than once" if bindings else "not defined here")
        binding = bindings[0]
        if binding.kind == "import":
            imported = self._imported(binding.qualname or "")
            if imported is not None:
                return imported
            origin = (binding.qualname or "").rsplit(".", 1)[0] or binding.qualname
            return Unknown(f"{name} is imported from {origin}")
        if binding.kind == "param":
            return Unknown(f"{name} is a parameter")
        if binding.kind != "assign" or binding.value is None:
            return Unknown(f"constant {name} is not a simple assignment")
        inner = self.evaluate(binding.value, depth + 1)
        if not isinstance(inner, Known):
            return inner
        line = functools.partial(self.facts.line, binding.node)
        source = Source("constant", name, line=line) if inner.source.kind == "literal" else inner.source
        return Known(inner.value, source, inner.certain, binding.value)

    def _evaluate_binary(self, expr: cst.BinaryOperation, depth: int) -> Known | Unknown:
        left = self.evaluate(expr.left, depth + 1)
        right = self.evaluate(expr.right, depth + 1)
        if not (isinstance(left, Known) and isinstance(right, Known)):
            return Unknown("an operand is not a constant")
        a, b = left.value, right.value
        if not (is_number(a) and is_number(b)):
            return Unknown("not arithmetic on numbers")
        op = expr.operator
        try:
            if isinstance(op, cst.Add):
                value: int | float = a + b
            elif isinstance(op, cst.Subtract):
                value = a - b
            elif isinstance(op, cst.Multiply):
                value = a * b
            elif isinstance(op, cst.Divide):
                value = a / b
            elif isinstance(op, cst.FloorDivide):
                value = a // b
            elif isinstance(op, cst.Power) and abs(b) < 64:
                value = a**b
            elif isinstance(op, cst.LeftShift) and isinstance(a, int) and isinstance(b, int) and 0 <= b < 64:
                value = a << b
            else:
                return Unknown("unsupported operator")
        except (ZeroDivisionError, OverflowError):
            return Unknown("arithmetic error")
        sources = [s.source for s in (left, right) if s.source.kind != "literal"]
        source = sources[0] if len(sources) == 1 else (LITERAL if not sources else Source("arithmetic"))
        return Known(value, source, left.certain and right.certain, expr)

    def _evaluate_call(self, call: cst.Call, depth: int) -> Known | Unknown:
        """`int(os.environ.get("N", "8192"))`: the default, marked uncertain. A field's
        declared default (`Field(default=8192)`, `field(default=None)`, `attr.ib(default=30)`)."""
        name = self.inference.qualified_name(call.func)
        positional = [arg.value for arg in call.args if arg.keyword is None and not arg.star]
        if name in _FIELD_DECLARATIONS:
            defaults = [arg.value for arg in call.args if arg.keyword is not None and arg.keyword.value == "default"]
            if not defaults and name in _DEFAULT_FIRST and positional:
                defaults = positional[:1]  # pydantic's `Field(8192, ge=1)`
            return self.evaluate(defaults[0], depth + 1) if defaults else Unknown("a field without a default")
        if name in _NUMBER_CASTS and len(positional) == 1 and len(call.args) == 1:
            inner = self.evaluate(positional[0], depth + 1)
            if isinstance(inner, Known) and isinstance(inner.value, (str, int, float)):
                try:
                    number = int(inner.value) if name == "builtins.int" else float(inner.value)
                except ValueError:
                    return Unknown("not a number")
                return Known(number, inner.source, inner.certain, call)
            return inner if isinstance(inner, Unknown) else Unknown("not a number")
        if name in _ENV_GETTERS and len(positional) == 2:
            variable = self.evaluate(positional[0], depth + 1)
            default = self.evaluate(positional[1], depth + 1)
            if isinstance(default, Known) and isinstance(variable, Known):
                return Known(default.value, Source("environment-default", str(variable.value)), False, call)
            return Unknown("environment variable without a constant default")
        return Unknown("a call")

    def arguments(self, call: cst.Call) -> Arguments:
        """A call's keyword arguments, with `**dict` literals and helpers folded in."""
        keywords, complete = self.keywords.fold(call)
        return Arguments(self, call, keywords, complete)

    def returned_items(self, function: cst.FunctionDef) -> Items | None:
        return self.keywords.returned_items(function)

    def _callers_override(self, function: cst.FunctionDef, param: cst.CSTNode) -> bool:
        if not function.name.value.startswith("_") or function.name.value.startswith("__") or not isinstance(param, cst.Param):
            return False
        callers = self.inference.callers(param)
        return bool(callers) and all(self.facts.passed(call, bound, param) is not None for call, bound in callers)
