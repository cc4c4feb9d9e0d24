"""What `except` clauses catch, as far as the SDK is concerned: which SDK classes a clause names
(through aliases and tuples), which earlier clause of the same `try` catches them first, and
which clauses around a call would catch its errors."""

from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from auditor.analysis.infer import QName, TupleValue
from auditor.sdk.facts import Caught
from auditor.sdk.inference import sdk_export

if TYPE_CHECKING:
    from auditor.sdk.model import SdkModel


class Handlers:
    def __init__(self, model: SdkModel) -> None:
        self.model = model
        self.facts = model.facts
        self.inference = model.inference

    def caught(self, handler: cst.ExceptHandler | cst.ExceptStarHandler) -> list[Caught]:
        """The classes an `except` clause names, member by member for a tuple."""
        if handler.type is None:
            return [Caught("bare", "", handler)]
        return self.caught_in(handler.type)

    def caught_in(self, expr: cst.BaseExpression, depth: int = 0) -> list[Caught]:
        """The exception classes an expression names (a class, a tuple, a name bound to one)."""
        value = self.inference.infer(expr)
        if isinstance(value, TupleValue) and depth < 3:
            return [c for item in value.items for c in self.caught_in(item, depth + 1)]
        if isinstance(value, QName):
            name = sdk_export(value.name)
            sdk = self.model.release
            if name is not None and name in sdk.exception_parents:  # a name the target version lacks is not the SDK's
                canonical = sdk.canonical_exception(name)
                return [Caught("sdk", canonical, expr, tuple(sdk.exception_ancestors(canonical)))]
            if value.name in ("builtins.Exception", "builtins.BaseException"):
                return [Caught("builtin", value.name.split(".")[1], expr)]
            return [Caught("other", value.name, expr)]
        return [Caught("other", self.facts.code(expr), expr)]

    def shadows(self, handler: cst.ExceptHandler | cst.ExceptStarHandler) -> list[tuple[Caught, tuple[cst.CSTNode, Caught] | None]]:
        """Each class the clause names, with the earlier clause of the same `try` (and the class
        in it) that catches it first, or None when this clause is the first to catch it."""
        statement = self.facts.parents.get(handler)
        earlier = []
        for other in getattr(statement, "handlers", ()):
            if other is handler:
                break
            earlier.append((other, self.caught(other)))
        result = []
        for member in self.caught(handler):
            first = next(((clause, c) for clause, classes in earlier for c in classes if c.catches(member)), None)
            result.append((member, first))
        return result

    def unreachable(self, handler: cst.ExceptHandler | cst.ExceptStarHandler) -> bool:
        """Every class the clause names is caught by an earlier clause: its body never runs."""
        shadows = self.shadows(handler)
        return bool(shadows) and all(by is not None for _, by in shadows)

    def handlers_around(self, node: cst.CSTNode) -> list[tuple[cst.ExceptHandler | cst.ExceptStarHandler, list[Caught]]]:
        """The `except` clauses, innermost first, that catch SDK errors raised at `node` in the
        same function: they name an SDK class, `Exception`, `BaseException`, or nothing."""
        found = []
        current: cst.CSTNode = node
        for ancestor in self.facts.ancestors(node):
            if isinstance(ancestor, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
                break
            if isinstance(ancestor, (cst.Try, cst.TryStar)) and current is ancestor.body:
                for handler in ancestor.handlers:
                    caught = self.caught(handler)
                    if any(c.kind != "other" for c in caught):
                        found.append((handler, caught))
            current = ancestor
        return found

    def catches_sdk_errors(self, handler: cst.ExceptHandler | cst.ExceptStarHandler) -> bool:
        """Does this clause catch SDK errors? It names an SDK class, or it is a catch-all
        (`Exception`, `BaseException`, bare) on a `try` whose body makes an SDK call."""
        caught = self.caught(handler)
        if any(c.kind == "sdk" for c in caught):
            return True
        if not any(c.kind in ("builtin", "bare") for c in caught):
            return False
        statement = self.facts.parents.get(handler)
        return statement is not None and bool(self.model.call_sites(getattr(statement, "body", statement)))
