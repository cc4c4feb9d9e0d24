"""Retries around SDK calls, as facts of the SDK model (`SdkModel.retries`).

A retry multiplies the SDK's own attempts (max_retries + 1), so the rules (ANT301-ANT303), the
swallowed-error rule (a retry's `continue` is not swallowing) and the inventory (worst-case
requests) all need the same answer to "which retries wrap this call, how many attempts, on
which errors". It is computed here once per module.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, TypeVar

import libcst as cst

from auditor.analysis.infer import FunctionRef
from auditor.analysis.tree import child_nodes, own_nodes
from auditor.analysis.values import Known
from auditor.sdk.facts import Caught, CallSite, Retry

if TYPE_CHECKING:
    from auditor.sdk.model import SdkModel

# decorator qualified name -> library
RETRY_DECORATORS = {
    "tenacity.retry": "tenacity",
    "backoff.on_exception": "backoff",
    "retrying.retry": "retrying",
    "stamina.retry": "stamina",
}
RETRY_ITERATORS = {"tenacity.Retrying": "tenacity", "tenacity.AsyncRetrying": "tenacity"}
STAMINA_DEFAULT_ATTEMPTS = 10

_Node = TypeVar("_Node", bound=cst.CSTNode)
_SCOPE_BOUNDARIES = (cst.FunctionDef, cst.ClassDef, cst.Lambda)


def find_retries(model: SdkModel) -> list[Retry]:
    """Only loops and functions that contain an SDK call site can retry one."""
    loops: dict[cst.For | cst.While, None] = {}  # ordered sets
    functions: dict[cst.FunctionDef, None] = {}
    for site in model.call_sites_anywhere():
        for ancestor in model.ancestors(site.node):
            if isinstance(ancestor, (cst.For, cst.While)):
                loops[ancestor] = None
            elif isinstance(ancestor, cst.FunctionDef):
                functions[ancestor] = None
                break
    found: list[Retry] = []
    for loop in loops:
        retry = _iterator_retry(model, loop) or _loop_retry(model, loop)
        if retry is not None:
            found.append(retry)
    for function in functions:
        found.extend(_recursion_retries(model, function))
        found.extend(_decorator_retries(model, function))
    return found


# -- loops ---------------------------------------------------------------------------------------


def _loop_retry(model: SdkModel, loop: cst.For | cst.While) -> Retry | None:
    """A loop that re-issues an SDK call after catching its error, and leaves on success."""
    for statement in _own_statements(loop.body, cst.Try):
        sites = model.call_sites(statement.body)
        if not sites:
            continue
        handlers = [h for h in statement.handlers if _catches_call_errors(model, h) and _goes_round(h)]
        if not handlers or not _success_leaves(model, loop, statement):
            continue
        if _request_varies(model, loop, sites):
            continue  # work items, fallbacks, a growing conversation: not the same request again
        retried_on = tuple(c for h in handlers for c in model.caught(h))
        attempts, unbounded = _loop_bound(model, loop)
        return Retry("loop", loop, tuple(sites), retried_on, attempts, unbounded, tuple(handlers))
    return None


def _own_statements(node: cst.CSTNode, kind: type[_Node] | tuple[type[_Node], ...]) -> Iterator[_Node]:
    """Nodes of `kind` inside `node`, not inside nested loops, functions or classes."""
    return (n for n in own_nodes(node, (cst.For, cst.While)) if isinstance(n, kind))


def _catches_call_errors(model: SdkModel, handler: cst.ExceptHandler | cst.ExceptStarHandler) -> bool:
    return any(c.kind in ("sdk", "builtin", "bare") for c in model.caught(handler))


def _goes_round(handler: cst.ExceptHandler | cst.ExceptStarHandler) -> bool:
    """No unconditional raise, return or break at the handler's top level."""
    body = handler.body.body if isinstance(handler.body, cst.IndentedBlock) else [handler.body]
    for statement in body:
        if isinstance(statement, cst.SimpleStatementLine):
            if any(isinstance(small, (cst.Raise, cst.Return, cst.Break)) for small in statement.body):
                return False
    return True


def _success_leaves(model: SdkModel, loop: cst.For | cst.While, statement: cst.Try | cst.TryStar) -> bool:
    """A break/return after the call (in the try body, its else, or after the try in the
    loop body), or a `while not done` flag set on success."""
    for part in (statement.body, statement.orelse):
        if part is not None and any(True for _ in _own_statements(part, (cst.Break, cst.Return))):
            return True
    body = loop.body.body if isinstance(loop.body, cst.IndentedBlock) else []
    after = False
    for item in body:
        if item is statement:
            after = True
        elif after and any(True for _ in _own_statements(item, (cst.Break, cst.Return))):
            return True
        elif after and isinstance(item, cst.SimpleStatementLine):
            if any(isinstance(small, (cst.Break, cst.Return)) for small in item.body):
                return True
    if isinstance(loop, cst.While):
        flag = _negated_flag(loop.test)
        if flag is not None:
            parts = [p for p in (statement.body, statement.orelse) if p is not None]
            return any(_assigns(part, flag) for part in parts)
    return False


def _negated_flag(test: cst.BaseExpression) -> str | None:
    """The name a loop waits on: `while not done:`, `while result is None:`, `while result == None`."""
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        if isinstance(test.expression, cst.Name):
            return test.expression.value
    if isinstance(test, cst.Comparison) and isinstance(test.left, cst.Name) and len(test.comparisons) == 1:
        target = test.comparisons[0]
        if isinstance(target.operator, (cst.Is, cst.Equal)) and isinstance(target.comparator, cst.Name) and target.comparator.value == "None":
            return test.left.value
    return None


def _assigns(node: cst.CSTNode, name: str) -> bool:
    for assign in _own_statements(node, cst.Assign):
        for target in assign.targets:
            if isinstance(target.target, cst.Name) and target.target.value == name:
                return True
    return False


_MUTATORS = frozenset({"append", "extend", "insert", "pop", "popleft", "update", "add", "remove", "clear", "setdefault", "discard"})


def _request_varies(model: SdkModel, loop: cst.For | cst.While, sites: list[CallSite]) -> bool:
    """Does each turn send a different request? Then the loop walks through work items or
    fallbacks (or an agent's growing conversation), not a retry: the loop variable (unless it
    counts attempts), or a name rebound from it or mutated in the loop, feeds the call."""
    varying: set[str] = set()
    counter = isinstance(loop, cst.For) and isinstance(loop.iter, cst.Call) and (
        model.qualified_name(loop.iter.func) in ("builtins.range", "itertools.count")
    )
    if isinstance(loop, cst.For) and not counter:
        varying |= {n.value for n in _names(loop.target)}
    assignments: list[tuple[set[str], set[str]]] = []  # (targets, names in the value)
    for node in own_nodes(loop.body):
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value in _MUTATORS:
            if isinstance(node.func.value, cst.Name):
                varying.add(node.func.value.value)
        elif isinstance(node, cst.AugAssign) and isinstance(node.target, cst.Name):
            varying.add(node.target.value)
        elif isinstance(node, (cst.Assign, cst.AnnAssign)) and node.value is not None:
            targets: Sequence[cst.AssignTarget | cst.AnnAssign] = node.targets if isinstance(node, cst.Assign) else [node]
            for target in targets:
                if isinstance(target.target, cst.Subscript) and isinstance(target.target.value, cst.Name):
                    varying.add(target.target.value.value)  # `params["model"] = ...`
            bound = {n.value for t in targets for n in _names(t.target) if isinstance(t.target, (cst.Name, cst.Tuple, cst.List))}
            assignments.append((bound, {n.value for n in _names(node.value)}))
    changed = True
    while changed:
        changed = False
        for names, used in assignments:
            if used & varying and not names <= varying:
                varying |= names
                changed = True
    fed = {n.value for site in sites for arg in site.node.args for n in _names(arg.value)}
    return bool(fed & varying)


def _is_name(expr: cst.BaseExpression | None, name: str) -> bool:
    return isinstance(expr, cst.Name) and expr.value == name


def _names(node: cst.CSTNode) -> Iterator[cst.Name]:
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, cst.Name):
            yield current
        stack.extend(child_nodes(current))


def _loop_bound(model: SdkModel, loop: cst.For | cst.While) -> tuple[int | None, bool]:
    """(attempts, unbounded) when the loop says: `range(n)`, `while True`, `while i < n`."""
    if isinstance(loop, cst.For):
        if isinstance(loop.iter, cst.Call):
            name = model.qualified_name(loop.iter.func)
            if name == "itertools.count":
                return None, True
            if name == "builtins.range":
                values = [model.evaluate(arg.value) for arg in loop.iter.args]
                numbers = [v.value for v in values if isinstance(v, Known) and isinstance(v.value, int)]
                if len(numbers) == len(values):
                    if len(numbers) == 1:
                        return max(numbers[0], 0), False
                    if len(numbers) == 2:
                        return max(numbers[1] - numbers[0], 0), False
        return None, False
    test = loop.test
    constant = model.evaluate(test)
    if isinstance(constant, Known) and constant.value in (True, 1):
        return None, True
    if _negated_flag(test) is not None:
        return None, True  # `while not done:` / `while result is None:` ends only on success
    if isinstance(test, cst.Comparison) and len(test.comparisons) == 1 and isinstance(test.left, cst.Name):
        target = test.comparisons[0]
        limit = model.evaluate(target.comparator)
        start = _initial_value(model, test.left)
        if isinstance(limit, Known) and isinstance(limit.value, int) and start is not None:
            if isinstance(target.operator, cst.LessThan):
                return max(limit.value - start, 0), False
            if isinstance(target.operator, cst.LessThanEqual):
                return max(limit.value - start + 1, 0), False
    return None, False


def _initial_value(model: SdkModel, name: cst.Name) -> int | None:
    """`attempts = 0` before a loop that counts up with `attempts += 1`."""
    bindings = model.lookup(name.value, model.scope_of(name))
    starts = [b for b in bindings if b.kind == "assign" and b.value is not None]
    counters = [b for b in bindings if isinstance(b.node, cst.AugAssign)]
    if len(starts) != 1 or len(counters) != 1 or len(bindings) != 2:
        return None
    step, start = counters[0].node, starts[0].value
    if not isinstance(step, cst.AugAssign) or start is None:
        return None
    if not (isinstance(step.operator, cst.AddAssign) and isinstance(step.value, cst.Integer) and step.value.value == "1"):
        return None
    value = model.evaluate(start)
    return value.value if isinstance(value, Known) and isinstance(value.value, int) else None


# -- recursion -----------------------------------------------------------------------------------


def _recursion_retries(model: SdkModel, function: cst.FunctionDef) -> Iterator[Retry]:
    """A function whose handler calls the function itself: a retry by recursion."""
    for statement in _own_statements(function.body, cst.Try):
        sites = model.call_sites(statement.body)
        if not sites:
            continue
        for handler in statement.handlers:
            if not _catches_call_errors(model, handler):
                continue
            for call in model.calls_inside(handler):
                target = model.infer(call.func)
                if isinstance(target, FunctionRef) and target.node is function and _resends(model, function, call, sites):
                    yield Retry("recursion", call, tuple(sites), tuple(model.caught(handler)), None, False, (handler,))
                    break


def _resends(model: SdkModel, function: cst.FunctionDef, call: cst.Call, sites: list[CallSite]) -> bool:
    """Does the recursive call pass on, unchanged, every parameter the SDK call uses? Splitting
    a prompt that was too long (`summarize(text[:half])`) sends a different request."""
    params = [p.name.value for p in (*function.params.posonly_params, *function.params.params)]
    if isinstance(call.func, cst.Attribute) and params:
        params = params[1:]  # self.method(...): `self` is not passed explicitly
    passed: dict[str, cst.BaseExpression] = {}
    for index, arg in enumerate(call.args):
        if arg.star:
            return False
        if arg.keyword is not None:
            passed[arg.keyword.value] = arg.value
        elif index < len(params):
            passed[params[index]] = arg.value
    used = {n.value for site in sites for arg in site.node.args for n in _names(arg.value)} & set(params)
    return all(_is_name(passed.get(name), name) for name in used)


# -- decorators and tenacity iterators ------------------------------------------------------------


def _decorator_retries(model: SdkModel, function: cst.FunctionDef) -> Iterator[Retry]:
    for decorator in function.decorators:
        expr = decorator.decorator
        func = expr.func if isinstance(expr, cst.Call) else expr
        library = _retry_library(model, func)
        if library is None:
            continue
        sites = model.call_sites(function.body)
        if not sites or _is_async_generator(function) or _swallows_everything(model, sites):
            continue
        call = expr if isinstance(expr, cst.Call) else None
        retried_on, attempts, unbounded = _policy(model, library, call)
        yield Retry("decorator", expr, tuple(sites), retried_on, attempts, unbounded, library=library, any_error=_any_error(library, call))


def _retry_library(model: SdkModel, func: cst.BaseExpression) -> str | None:
    name = model.qualified_name(func)
    if name in RETRY_DECORATORS:
        return RETRY_DECORATORS[name]
    if name is not None and name in model.retry_decorators:
        return "configured"
    target = model.infer(func)
    if isinstance(target, FunctionRef) and is_retry_decorator(model, target.node):
        return "local"
    if name is not None and model.external is not None and model.inference.in_project(name):
        entry = model.external.entry(name)
        if entry is not None and entry.get("kind") == "retry-decorator":
            return "project"
    return None


def is_retry_decorator(model: SdkModel, decorator: cst.FunctionDef) -> bool:
    """A decorator of this module that loops around `func(*args)` in try/except (what the
    module's summary exports as a retry decorator)."""
    for loop in model.loops:
        if decorator not in model.ancestors(loop):
            continue
        for statement in _own_statements(loop.body, cst.Try):
            names = [c.func for c in model.calls_inside(statement.body) if isinstance(c.func, cst.Name)]
            wraps = [name for name in names if _is_parameter(model, name)]
            handlers = [h for h in statement.handlers if _catches_call_errors(model, h) and _goes_round(h)]
            if wraps and handlers:
                return True
    return False


def _is_parameter(model: SdkModel, name: cst.Name) -> bool:
    """`func` in `func(*args)`: the decorated function, a parameter of an enclosing function."""
    bindings = model.lookup(name.value, model.scope_of(name))
    return bool(bindings) and all(b.kind == "param" for b in bindings)


def _is_async_generator(function: cst.FunctionDef) -> bool:
    """tenacity cannot retry an async generator: the decorator is inert there."""
    return function.asynchronous is not None and any(isinstance(n, cst.Yield) for n in own_nodes(function.body))


def _swallows_everything(model: SdkModel, sites: list[CallSite]) -> bool:
    """Every SDK call sits in a try whose catch-all handler does not re-raise: the decorator
    never sees an exception, so it never retries."""
    for site in sites:
        guarded = False
        for ancestor in model.ancestors(site.node):
            if isinstance(ancestor, _SCOPE_BOUNDARIES):
                break
            if isinstance(ancestor, cst.Try) and _catch_all_without_raise(model, ancestor):
                guarded = True
                break
        if not guarded:
            return False
    return True


def _catch_all_without_raise(model: SdkModel, statement: cst.Try) -> bool:
    for handler in statement.handlers:
        if any(c.kind == "bare" or c.name in ("Exception", "BaseException") for c in model.caught(handler)):
            return not any(True for _ in _own_statements(handler.body, cst.Raise))
    return False


def _iterator_retry(model: SdkModel, loop: cst.For | cst.While) -> Retry | None:
    """`for attempt in tenacity.Retrying(...): with attempt: ...`"""
    if not (isinstance(loop, cst.For) and isinstance(loop.iter, cst.Call)):
        return None
    name = model.qualified_name(loop.iter.func)
    if name not in RETRY_ITERATORS:
        return None
    sites = model.call_sites(loop.body)
    if not sites:
        return None
    retried_on, attempts, unbounded = _policy(model, "tenacity", loop.iter)
    return Retry("iterator", loop, tuple(sites), retried_on, attempts, unbounded, library="tenacity", any_error=_any_error("tenacity", loop.iter))


def _any_error(library: str, call: cst.BaseExpression | None) -> bool:
    """tenacity and retrying retry on every exception unless told otherwise."""
    keywords = {a.keyword.value for a in call.args if a.keyword is not None} if isinstance(call, cst.Call) else set()
    if library == "tenacity":
        return "retry" not in keywords
    if library == "retrying":
        return not keywords & {"retry_on_exception", "retry_on_result"}
    return False


def _policy(model: SdkModel, library: str, call: cst.Call | None) -> tuple[tuple[Caught, ...] | None, int | None, bool]:
    """(errors retried on, attempts, unbounded) from a retry decorator's arguments."""
    keywords = {a.keyword.value: a.value for a in (call.args if call else ()) if a.keyword is not None}
    positional = [a.value for a in (call.args if call else ()) if a.keyword is None and not a.star]
    if library == "tenacity":
        retried_on = _tenacity_filter(model, keywords.get("retry"))
        if "stop" not in keywords:
            return retried_on, None, True  # tenacity's default is stop_never
        return retried_on, _tenacity_stop(model, keywords["stop"]), False
    if library == "backoff":
        retried_on = tuple(model.caught_in(positional[1], 0)) if len(positional) > 1 else None
        if "max_tries" not in keywords:
            return retried_on, None, "max_time" not in keywords
        return retried_on, _int(model, keywords["max_tries"]), False
    if library == "retrying":
        if "stop_max_attempt_number" in keywords:
            return None, _int(model, keywords["stop_max_attempt_number"]), False
        return None, None, "stop_max_delay" not in keywords and "stop" not in keywords
    if library == "stamina":
        on = keywords.get("on")
        retried_on = tuple(model.caught_in(on, 0)) if on is not None else None
        attempts = _int(model, keywords["attempts"]) if "attempts" in keywords else STAMINA_DEFAULT_ATTEMPTS
        return retried_on, attempts, False
    return None, None, False


def _tenacity_filter(model: SdkModel, expr: cst.BaseExpression | None) -> tuple[Caught, ...] | None:
    if isinstance(expr, cst.Call) and model.qualified_name(expr.func) == "tenacity.retry_if_exception_type":
        classes = [a.value for a in expr.args if a.keyword is None]
        return tuple(c for value in classes for c in model.caught_in(value, 0)) if classes else None
    if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.BitOr):
        left, right = _tenacity_filter(model, expr.left), _tenacity_filter(model, expr.right)
        if left is not None and right is not None:
            return left + right
    return None


def _tenacity_stop(model: SdkModel, expr: cst.BaseExpression) -> int | None:
    if isinstance(expr, cst.Call) and model.qualified_name(expr.func) == "tenacity.stop_after_attempt" and expr.args:
        return _int(model, expr.args[0].value)
    if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.BitOr):
        bounds = [b for b in (_tenacity_stop(model, expr.left), _tenacity_stop(model, expr.right)) if b is not None]
        return min(bounds) if bounds else None
    return None


def _int(model: SdkModel, expr: cst.BaseExpression) -> int | None:
    value = model.evaluate(expr)
    return value.value if isinstance(value, Known) and isinstance(value.value, int) else None


def sdk_retries_off(model: SdkModel, retry: Retry) -> bool:
    """True when every call the retry wraps goes through a client proved to have max_retries=0:
    then the retry is the only one, and nothing is multiplied."""
    calls = retry.sdk_calls
    if not calls or len(calls) != sum(len(site.targets) or 1 for site in retry.sites):
        return False
    return all(model.sdk_attempts(call) == 1 for call in calls)


def sdk_attempts_under(model: SdkModel, retry: Retry) -> int | None:
    """The SDK's own attempts for every call the retry wraps, when they all agree."""
    attempts = {model.sdk_attempts(call) for call in retry.sdk_calls}
    return attempts.pop() if len(attempts) == 1 else None
