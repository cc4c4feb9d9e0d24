"""ANT303's fix: drop a non-transient error class from the tuple a retry names it in.

Only a tuple written in the retry itself (`except (A, B):`, `retry_if_exception_type((A, B))`,
`on=(A, B)`) is edited: a tuple bound to a name may serve other code too. When the classes
left would all be non-transient, or none would be left, there is no fix: removing the retry is
a decision, not an edit. A tuple left with one class becomes that class. Each fix replaces the whole tuple, so two
classes of one tuple are dropped in two rounds, the second seeing the first's result.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from auditor.findings import Fix
from auditor.fix.edits import replace_node, without_item
from auditor.sdk.table import non_transient_base

if TYPE_CHECKING:
    import libcst as cst

    from auditor.sdk.facts import Caught, Retry
    from auditor.sdk.model import SdkModel


def drop_class_fix(model: SdkModel, retry: Retry, caught: Caught) -> Fix | None:
    import libcst as cst

    element = model.parents.get(caught.node)
    container = model.parents.get(element) if element is not None else None
    if not isinstance(element, cst.Element) or not isinstance(container, cst.Tuple) or not container.lpar:
        return None
    owners = {id(retry.node), *(id(handler) for handler in retry.handlers)}
    if not any(id(ancestor) in owners for ancestor in model.ancestors(container)):
        return None  # the tuple is bound elsewhere, not written in the retry
    elements = list(container.elements)
    if all(_non_transient(model, e) for e in elements):
        return None
    message = f"Remove `{model.code(caught.node)}` from the retried errors"
    index = next(i for i, e in enumerate(elements) if e is element)
    remaining = [e for e in elements if e is not element]
    if len(remaining) == 1:
        return _collapse(model, container, remaining[0], message)
    kept = without_item(elements, index)
    if kept is None:
        return None
    return Fix(message, (replace_node(model, container, container.with_changes(elements=kept), whole=True),), safe=True)


def _non_transient(model: SdkModel, element: cst.BaseElement) -> bool:
    caught = model.caught_in(element.value, 0)
    return bool(caught) and all(c.kind == "sdk" and non_transient_base(c.name) is not None for c in caught)


def _collapse(model: SdkModel, container: cst.Tuple, remaining: cst.BaseElement, message: str) -> Fix | None:
    """`(A, B)` with A dropped becomes `B`; None if a comment would go, or for `(*errors,)`."""
    import libcst as cst

    if isinstance(remaining, cst.StarredElement):
        return None
    if model.code(container).count("#") != model.code(remaining.value).count("#"):
        return None
    value = remaining.value
    parent = model.parents.get(container)
    if isinstance(parent, (cst.ExceptHandler, cst.ExceptStarHandler)) and not parent.whitespace_after_except.value:
        value = value.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])  # `except(B):`
    return Fix(message, (replace_node(model, container, value, whole=True),), safe=True)
