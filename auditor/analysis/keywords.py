"""`**kwargs` folded into a call's keyword arguments: dict literals, a local dict filled key by
key, `self.request_kwargs` set in `__init__` branches, what a helper of this module returns, and
what a helper of another module of the project returns (as stand-in nodes with their values).
"""

from __future__ import annotations

from collections.abc import Callable

import libcst as cst

from auditor.analysis.external import constant
from auditor.analysis.infer import FunctionRef, Inference, QName
from auditor.analysis.module import ModuleFacts
from auditor.analysis.values import Known, Unknown

# The items of a dict (key, value expression), and whether every key is known.
Items = tuple[list[tuple[str, cst.BaseExpression]], bool]


class Keywords:
    def __init__(self, facts: ModuleFacts, inference: Inference, evaluate: Callable[[cst.BaseExpression], Known | Unknown]) -> None:
        self.facts = facts
        self.inference = inference
        self.evaluate = evaluate
        self._building: set[cst.FunctionDef] = set()
        # Stand-ins for values another module's helper puts in a `**kwargs` dict: nodes made up
        # here (never in the module's text), each with the value it stands for.
        self.synthetic: dict[cst.CSTNode, Known | Unknown] = {}
        self._imported: dict[str, Items | None] = {}

    def fold(self, call: cst.Call) -> tuple[dict[str, list[cst.BaseExpression]], bool]:
        """A call's keyword arguments by name, and whether they are all known."""
        keywords: dict[str, list[cst.BaseExpression]] = {}
        complete = True
        for arg in call.args:
            if arg.keyword is not None:
                keywords.setdefault(arg.keyword.value, []).append(arg.value)
            elif arg.star == "**":
                folded = self._dict_items(arg.value)
                if folded is None:
                    complete = False
                    continue
                items, items_complete = folded
                complete = complete and items_complete
                for key, value in items:
                    keywords.setdefault(key, []).append(value)
        return keywords, complete

    def _dict_items(self, expr: cst.BaseExpression) -> Items | None:
        """The items of a dict literal, of a local name bound once to one (plus its item
        writes), or of what a function of this module returns (`**self._request(...)`)."""
        if isinstance(expr, cst.Call):
            target = self.inference.infer(expr.func)
            if isinstance(target, QName) and self.inference.in_project(target.name):
                return self._items_from(target.name)
            return self.returned_items(target.node) if isinstance(target, FunctionRef) else None
        if isinstance(expr, cst.Attribute):  # `**self.request_kwargs`, set in `__init__` (in branches)
            owner = self.facts.attribute_owner(expr)
            if owner is None:
                return None
            bindings = self.facts.class_attribute(owner, expr.attr.value)
            if not bindings or any(b.kind != "assign" or b.value is None for b in bindings):
                return None
            return _same_keys([self._literal_dict(b.value) for b in bindings if b.value is not None])
        writes: list[tuple[cst.BaseExpression | None, cst.BaseExpression]] = []
        if isinstance(expr, cst.Name):
            scope = self.facts.scope_of(expr)
            bindings = self.facts.lookup(expr.value, scope)
            if len(bindings) != 1 or bindings[0].kind != "assign" or bindings[0].value is None:
                return None
            writes = bindings[0].scope.item_writes.get(expr.value, [])
            expr = bindings[0].value
        base = self._literal_dict(expr)
        if base is None:
            return None
        items, complete = base
        for key_expr, value in writes:
            key = self.evaluate(key_expr) if key_expr is not None else None
            if isinstance(key, Known) and isinstance(key.value, str):
                items.append((key.value, value))
            else:
                complete = False
        return items, complete

    def _items_from(self, qualname: str) -> Items | None:
        """The keyword arguments a helper of another module of the project returns
        (`**build_request(prompt)`), each value a stand-in node (see `synthetic`)."""
        if qualname not in self._imported:
            external = self.inference.external
            entry = external.entry(qualname) if external is not None else None
            found = None
            if external is not None and entry is not None and entry.get("kind") == "kwargs":
                items: list[tuple[str, cst.BaseExpression]] = []
                for key, raw in entry["items"].items():
                    node = cst.Ellipsis()
                    if raw.get("kind") == "alias":  # the helper passes a constant of a third module
                        raw = external.entry(raw["target"])
                    self.synthetic[node] = constant(raw) or Unknown(f"{key} is computed in {entry['where']}")
                    items.append((key, node))
                found = (items, bool(entry["complete"]))
            self._imported[qualname] = found
        found = self._imported[qualname]
        return (list(found[0]), found[1]) if found is not None else None

    def returned_items(self, function: cst.FunctionDef) -> Items | None:
        """A helper that builds keyword arguments: every `return` gives the same keys (else
        which keys are passed depends on the path, and nothing is proved)."""
        if function in self._building:
            return None
        self._building.add(function)
        try:
            found = [self._dict_items(node.value) if node.value is not None else None for node in self.facts.returns(function)]
        finally:
            self._building.discard(function)
        return _same_keys(found)

    def _literal_dict(self, expr: cst.BaseExpression) -> Items | None:
        items: list[tuple[str, cst.BaseExpression]] = []
        complete = True
        if isinstance(expr, cst.Dict):
            for element in expr.elements:
                if isinstance(element, cst.DictElement):
                    key = self.evaluate(element.key)
                    if isinstance(key, Known) and isinstance(key.value, str):
                        items.append((key.value, element.value))
                        continue
                complete = False
            return items, complete
        if isinstance(expr, cst.Call) and self.inference.qualified_name(expr.func) == "builtins.dict":
            for arg in expr.args:
                if arg.keyword is not None:
                    items.append((arg.keyword.value, arg.value))
                else:
                    complete = False
            return items, complete
        return None


def _same_keys(found: list[Items | None]) -> Items | None:
    """Several dicts one of which is passed (the returns of a helper, the branches that set an
    attribute): proved only when every one has the same keys; a key's values are then all of
    theirs (`Arguments.constant` says "takes several values" when they differ)."""
    if not found or any(items is None for items in found):
        return None
    results = [items for items in found if items is not None]
    if len({frozenset(key for key, _ in items) for items, _ in results}) != 1:
        return None
    return [item for items, _ in results for item in items], all(complete for _, complete in results)
