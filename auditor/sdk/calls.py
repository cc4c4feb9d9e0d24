"""Generation calls and where they happen: `client.messages.create(...)` and its relatives through
a recognised client; calls shaped like them through a client passed in from outside
("unresolved": listed, never judged); whether each streams, its max_tokens and model; and the
call sites, direct or through a helper of this module or a declared wrapper."""

from __future__ import annotations

from collections.abc import Iterator
from functools import cached_property
from typing import TYPE_CHECKING

import libcst as cst

from auditor.analysis.tree import last_name
from auditor.analysis.values import Known, Unknown, is_absent, is_number
from auditor.analysis.infer import FunctionRef, Partial
from auditor.sdk import table
from auditor.sdk.facts import CallSite, ClientSet, RemoteCall, Resource, SdkCall

if TYPE_CHECKING:
    from auditor.sdk.model import SdkModel


# Decorators that never retry: a function under one of these is not asked about.
_NOT_RETRIES = frozenset({"staticmethod", "classmethod", "property", "abstractmethod", "override", "cached_property", "wraps"})
# The attribute names between a client and a generation method: `x.beta.prompt_caching.messages`.
_RESOURCE_NAMES = frozenset({"beta", "prompt_caching", "messages", "completions", *table.RESPONSE_WRAPPERS})


class Calls:
    def __init__(self, model: SdkModel) -> None:
        self.model = model
        self.facts = model.facts
        self.inference = model.inference
        self.evaluator = model.evaluator

    @cached_property
    def _generation_calls(self) -> tuple[list[SdkCall], list[SdkCall]]:
        resolved: list[SdkCall] = []
        unresolved: list[SdkCall] = []
        imports_sdk = self._imports_sdk()
        for call in self.facts.calls:
            sdk_call = self._as_sdk_call(call, imports_sdk)
            if sdk_call is not None:
                (resolved if sdk_call.resolved else unresolved).append(sdk_call)
        return resolved, unresolved

    @property
    def sdk_calls(self) -> list[SdkCall]:
        """Every generation call through a recognised client, in source order: what rules judge."""
        return self._generation_calls[0]

    @property
    def unresolved_calls(self) -> list[SdkCall]:
        """Calls shaped like generation calls (`x.messages.create(...)`) in a module that uses the
        SDK, whose client cannot be resolved (a parameter, another module's object). The
        inventory lists them as "unresolved"; no rule judges them."""
        return self._generation_calls[1]

    def _passed_in(self, expr: cst.BaseExpression) -> bool:
        """Is the object under `x.messages` something handed in from outside (a parameter, or an
        attribute set from one), rather than a known object of another library?"""
        while isinstance(expr, cst.Attribute) and expr.attr.value in _RESOURCE_NAMES:
            expr = expr.value
        if isinstance(expr, cst.Name):
            bindings = self.facts.lookup(expr.value, self.facts.scope_of(expr))
            return bool(bindings) and all(b.kind == "param" for b in bindings)
        if isinstance(expr, cst.Attribute):
            owner = self.facts.attribute_owner(expr)
            if owner is None:
                return False
            bindings = self.facts.class_attribute(owner, expr.attr.value)
            return bool(bindings) and all(
                b.kind == "assign" and isinstance(b.value, cst.Name) and self._passed_in(b.value) for b in bindings
            )
        return False

    def _imports_sdk(self) -> bool:
        return any(
            b.kind == "import" and (b.qualname or "").split(".")[0] == table.SDK_MODULE
            for scope in self.facts.scopes.values()
            for bindings in scope.bindings.values()
            for b in bindings
        )

    def _as_sdk_call(self, call: cst.Call, imports_sdk: bool) -> SdkCall | None:
        func = call.func
        if isinstance(func, cst.Name):
            return self._through_reference(call, func)
        if not (isinstance(func, cst.Attribute) and func.attr.value in table.GENERATION_METHODS):
            return None
        resource = self.inference.infer(func.value)
        if isinstance(resource, Resource):
            clients, path = resource.clients, resource.path
        elif resource is None and imports_sdk and self._passed_in(func.value):
            clients, path = ClientSet((), False), _attribute_path(func.value)
        else:
            return None
        path = tuple(p for p in path if p not in table.RESPONSE_WRAPPERS)
        if path not in table.GENERATION_RESOURCES:
            return None
        method = func.attr.value
        if path == ("completions",) and method != "create":
            return None
        operation = ".".join((*path, method))
        return SdkCall(call, operation, clients, self.evaluator.arguments(call), resolved=isinstance(resource, Resource))

    def _through_reference(self, call: cst.Call, func: cst.Name) -> SdkCall | None:
        """`fn(**kwargs)` where `fn` is `client.messages.create` handed over as a callable: a
        wrapper that calls the SDK method it was given (often to retry it)."""
        target = self.inference.infer(func)
        arguments = self.evaluator.arguments(call)
        if isinstance(target, Partial):  # `ask = partial(client.messages.create, model=M)`; `ask(...)`
            bound = self.evaluator.arguments(target.call)
            arguments = bound.merged(arguments)
            target = target.target
        if not (isinstance(target, Resource) and target.path and target.path[-1] in table.GENERATION_METHODS):
            return None
        path = tuple(p for p in target.path[:-1] if p not in table.RESPONSE_WRAPPERS)
        method = target.path[-1]
        if path not in table.GENERATION_RESOURCES or (path == ("completions",) and method != "create"):
            return None
        return SdkCall(call, ".".join((*path, method)), target.clients, arguments)

    def non_streamed(self, threshold: int) -> Iterator[tuple[SdkCall, Known]]:
        """Generation calls proved not to stream, whose max_tokens is a number at or above
        `threshold` (certainly, or as a default that "may be")."""
        for call in self.sdk_calls:
            if self.streamed(call) is not False:
                continue
            tokens = self.max_tokens(call)
            if isinstance(tokens, Known) and isinstance(tokens.value, (int, float)) and tokens.value >= threshold:
                yield call, tokens

    def streamed(self, call: SdkCall) -> bool | None:
        """True for `messages.stream` and `stream=True`, False when provably not, else None."""
        if call.method == "stream":
            return True
        if call.method == "parse":
            return False  # `parse` has no stream parameter: it always waits for the whole answer
        value = call.arguments.constant("stream")
        if is_absent(value):
            return False
        if isinstance(value, Known) and isinstance(value.value, bool) and value.certain:
            return value.value
        return None

    def max_tokens(self, call: SdkCall) -> Known | Unknown:
        keyword = "max_tokens_to_sample" if call.operation.startswith("completions") else "max_tokens"
        value = call.arguments.constant(keyword)
        if isinstance(value, Known) and not is_number(value.value):
            return Unknown(f"{keyword} is not a number")
        return value

    def model_name(self, call: SdkCall) -> str | None:
        value = call.arguments.constant("model")
        return value.value if isinstance(value, Known) and isinstance(value.value, str) else None

    def is_async(self, call: SdkCall) -> bool:
        """Is this call made through an async client (or awaited)?"""
        kinds = {config.is_async for config in call.clients.configs}
        if len(kinds) == 1 and None not in kinds:
            return bool(kinds.pop())
        return isinstance(self.facts.parents.get(call.node), cst.Await)

    @cached_property
    def sites(self) -> dict[cst.Call, CallSite]:
        """Every call that makes a generation call: directly, through a declared wrapper, or
        through functions of this module that do (followed three calls deep)."""
        sites = {call.node: CallSite(call.node, (call,), None) for call in self.sdk_calls}
        order = self.facts.call_order
        if self.inference.sdk_settings.wrappers:
            for call in self.facts.calls:
                if call not in sites and self._is_wrapper_call(call):
                    sites[call] = CallSite(call, (), self.facts.code(call.func))
        if self.inference.external is not None:
            for call in self.facts.calls:
                if call not in sites and self._may_be_retried(call):
                    where = self._project_helper(call)
                    if where is not None:
                        sites[call] = CallSite(call, (), f"{last_name(call.func)}()", where)
        local_names = {function.name.value for function in self.facts.functions}
        for _ in range(3):
            reaching: dict[cst.FunctionDef, list[CallSite]] = {}
            for site in sites.values():
                function = self.facts.enclosing_function(site.node)
                if function is not None:
                    reaching.setdefault(function, []).append(site)
            added = False
            for call in self.facts.calls:
                if call in sites or last_name(call.func) not in local_names:
                    continue
                target = self.inference.infer(call.func)
                if isinstance(target, FunctionRef) and target.node in reaching:
                    inner = reaching[target.node]
                    if self.facts.enclosing_function(call) is target.node:
                        continue  # recursion: the function's own sites already count
                    targets = tuple(t for site in inner for t in site.targets)
                    sites[call] = CallSite(call, targets, f"{target.node.name.value}()")
                    added = True
            if not added:
                break
        return dict(sorted(sites.items(), key=lambda item: order[item[0]]))

    def call_sites_anywhere(self) -> list[CallSite]:
        return list(self.sites.values())

    @cached_property
    def _sites_by_container(self) -> dict[cst.CSTNode, list[CallSite]]:
        """Each node -> the call sites under it in the same scope, built in one pass over the
        sites, so that asking for the sites of every `try` and loop stays linear."""
        index: dict[cst.CSTNode, list[CallSite]] = {}
        for site in self.sites.values():  # in source order
            for ancestor in self.facts.ancestors(site.node):
                index.setdefault(ancestor, []).append(site)
                if isinstance(ancestor, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
                    break
        return index

    def call_sites(self, node: cst.CSTNode) -> list[CallSite]:
        """The call sites (see `_sites`) inside `node`, not counting nested functions."""
        return list(self._sites_by_container.get(node, ()))

    @cached_property
    def remote_calls(self) -> list[RemoteCall]:
        """Calls that hand a client of this module to a function of another module of the
        project that makes generation calls through it (`ask(client, question)`). Another
        module is asked only about calls that pass a client."""
        external = self.inference.external
        found: list[RemoteCall] = []
        if external is None or not (self.model.client_configs or self.inference.imports_clients):
            return found  # no client here to hand to anyone
        for call in self.facts.calls:
            if not any(isinstance(arg.value, (cst.Name, cst.Attribute)) for arg in call.args):
                continue
            name = self.inference.qualified_name(call.func)
            if name is None or not self.inference.in_project(name):
                continue
            passed = {index: self.inference.client(arg.value) for index, arg in enumerate(call.args) if not arg.star}
            if not any(passed.values()):
                continue
            entry = external.entry(name)
            if entry is None or entry.get("kind") != "sdk-helper":
                continue
            for param, facts in entry["clients"].items():
                clients = self._argument_client(call, param, facts["index"], passed)
                if clients is not None:
                    found.append(RemoteCall(call, clients, f"{last_name(call.func)}()", str(entry["where"]), bool(facts["untimed"])))
        return found

    def _argument_client(self, call: cst.Call, param: str, index: int | None, passed: dict[int, ClientSet | None]) -> ClientSet | None:
        for position, arg in enumerate(call.args):
            if arg.keyword is not None and arg.keyword.value == param:
                return passed.get(position)
        positional = [position for position, arg in enumerate(call.args) if arg.keyword is None and not arg.star]
        if index is not None and index < len(positional) and not any(arg.star for arg in call.args):
            return passed.get(positional[index])
        return None

    def _may_be_retried(self, call: cst.Call) -> bool:
        """Only a call under a `try` in a loop, or in a decorated function, can be retried:
        only there is it worth asking another module what the function called does."""
        in_try = False
        for ancestor in self.facts.ancestors(call):
            if isinstance(ancestor, (cst.Try, cst.TryStar)):
                in_try = True
            elif isinstance(ancestor, (cst.For, cst.While)) and in_try:
                return True
            elif isinstance(ancestor, (cst.FunctionDef, cst.Lambda, cst.ClassDef)):
                return isinstance(ancestor, cst.FunctionDef) and any(last_name(d.decorator) not in _NOT_RETRIES for d in ancestor.decorators)
        return False

    def _project_helper(self, call: cst.Call) -> str | None:
        """Where the function called is defined (`app/helpers.py:12`) when it is a function of
        another module of the project that makes generation calls."""
        external = self.inference.external
        name = self.inference.qualified_name(call.func)
        if external is None or name is None or not self.inference.in_project(name):
            return None
        entry = external.entry(name)
        if entry is None or entry.get("kind") != "sdk-helper":
            return None
        return str(entry["where"])

    def _is_wrapper_call(self, call: cst.Call) -> bool:
        if not self.inference.sdk_settings.wrappers:
            return False
        return self.inference.qualified_name(call.func) in self.inference.sdk_settings.wrappers


def generation_root(call: cst.Call) -> cst.Name | None:
    """`client` in `client.messages.create(...)` / `client.beta.messages.stream(...)`: the name a
    generation call is made through, whatever it holds."""
    func = call.func
    if not (isinstance(func, cst.Attribute) and func.attr.value in table.GENERATION_METHODS):
        return None
    expr = func.value
    path = []
    while isinstance(expr, cst.Attribute) and expr.attr.value in _RESOURCE_NAMES:
        if expr.attr.value not in table.RESPONSE_WRAPPERS:
            path.append(expr.attr.value)
        expr = expr.value
    if tuple(reversed(path)) not in table.GENERATION_RESOURCES or not isinstance(expr, cst.Name):
        return None
    return expr


def _attribute_path(expr: cst.BaseExpression) -> tuple[str, ...]:
    """("beta", "messages") for `whatever.beta.messages`: the resource part of an unresolved call."""
    names: list[str] = []
    while isinstance(expr, cst.Attribute) and expr.attr.value in _RESOURCE_NAMES:
        names.append(expr.attr.value)
        expr = expr.value
    return tuple(reversed(names))
