"""The SDK model: the one place where facts about a module's use of the Anthropic SDK live.

One visitor pass records scopes, name bindings (imports, assignments, parameters, `self.x`
attributes), parents and calls. Everything else is answered lazily and memoised on demand:
"is this expression an SDK client, built with which timeout and max_retries?", "is this call a
generation call, streamed or not, with what max_tokens?", "which SDK exceptions does this
`except` name?". Rules and the inventory read these answers; neither walks the tree to
rediscover them. When a fact cannot be proved the answer is "unknown", and rules stay silent.

This costs one plain traversal instead of libcst's ScopeProvider and QualifiedNameProvider,
which measured at 6.5-10x the parse on SDK-heavy code.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal, Union

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider

from auditor import sdk_table as table
from auditor.config import SdkSettings

# ---------------------------------------------------------------------------------------------
# Scopes and bindings


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


# ---------------------------------------------------------------------------------------------
# Values the inference can prove


@dataclass(frozen=True)
class QName:
    """A reference to something imported: a module, class or function, by qualified name."""

    name: str


@dataclass(frozen=True)
class FunctionRef:
    node: cst.FunctionDef


@dataclass(frozen=True)
class ClientSet:
    """An SDK client. `configs` are the constructions it may come from; `complete` says whether
    those are all of them (False: some path is unknown, e.g. a parameter or `client or X()`)."""

    configs: tuple[ClientConfig, ...]
    complete: bool

    def merge(self, other: ClientSet) -> ClientSet:
        configs = self.configs + tuple(c for c in other.configs if c not in self.configs)
        return ClientSet(configs, self.complete and other.complete)


@dataclass(frozen=True)
class Resource:
    """An attribute path under a client: `client.beta.messages.with_raw_response`."""

    clients: ClientSet
    path: tuple[str, ...]


@dataclass(frozen=True)
class TupleValue:
    items: tuple[cst.BaseExpression, ...]


Value = Union[QName, FunctionRef, ClientSet, Resource, TupleValue]


@dataclass(eq=False)
class Retry:
    """A retry around SDK calls, as the code wrote it.

    kind: "loop" (for/while with try/except), "recursion" (a handler that calls its function
    again), "decorator" (tenacity, backoff, retrying, stamina, declared names, or a retry
    decorator defined in this module), "iterator" (`for attempt in tenacity.Retrying(...)`).
    """

    kind: Literal["loop", "recursion", "decorator", "iterator"]
    node: cst.CSTNode = field(repr=False)  # the loop, the recursive call or the decorator expression
    sites: tuple[CallSite, ...]
    # What it retries on: the classes its handlers or its `retry=` filter name; `None` = any error.
    retried_on: tuple[Caught, ...] | None
    attempts: int | None  # attempts the retry makes, when provable
    unbounded: bool = False  # `while True`, a decorator without a stop
    handlers: tuple[cst.CSTNode, ...] = field(default=(), repr=False)
    library: str = ""

    @property
    def sdk_calls(self) -> tuple[SdkCall, ...]:
        return tuple(call for site in self.sites for call in site.targets)


class LazyLine(str):
    """`constant X on line N`, with N worked out only when the text is shown. A line number costs
    a position pass over the whole module, which most modules (no findings) never need. The
    string compares as its label ("constant X"); str() and f-strings give the full text."""

    def __new__(cls, label: str, model: SdkModel, node: cst.CSTNode) -> LazyLine:
        text = super().__new__(cls, label)
        text._model = model  # type: ignore[attr-defined]
        text._node = node  # type: ignore[attr-defined]
        return text

    def __str__(self) -> str:
        return f"{str.__str__(self)} on line {self._model.line(self._node)}"  # type: ignore[attr-defined]

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)


@dataclass(frozen=True)
class Known:
    """A value proved from the code, and where it came from ("literal", "constant X on line 3").

    `certain` is False when the value is a default that the environment or a caller may change
    (`int(os.environ.get("N", "8192"))`, a parameter's default).
    """

    value: object
    source: str
    certain: bool = True
    node: cst.CSTNode | None = field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class Unknown:
    reason: str


ABSENT = Unknown("not given")  # a sentinel for an argument the call does not pass


def is_absent(value: Known | Unknown) -> bool:
    return value is ABSENT


# ---------------------------------------------------------------------------------------------
# Clients and calls


@dataclass(frozen=True)
class Setting:
    """A timeout or max_retries in force, and where it came from."""

    value: object  # float seconds, None (disabled), int retries; meaningless when not known
    source: str
    known: bool = True
    certain: bool = True
    node: cst.CSTNode | None = field(default=None, repr=False, compare=False)


@dataclass(eq=False)
class ClientConfig:
    """One client construction (`Anthropic(...)`) or derivation (`client.with_options(...)`)."""

    node: cst.Call = field(repr=False)
    class_name: str
    is_async: bool | None
    parent: ClientSet | None  # for with_options/copy
    arguments: Arguments = field(repr=False)

    @property
    def derived(self) -> bool:
        return self.parent is not None


@dataclass(eq=False)
class SdkCall:
    """A generation call: `client.messages.create(...)` and its relatives."""

    node: cst.Call = field(repr=False)
    operation: str  # "messages.create", "beta.messages.stream", "completions.create"
    clients: ClientSet
    arguments: Arguments = field(repr=False)
    resolved: bool = True  # False: shaped like a generation call, client unknown

    @property
    def method(self) -> str:
        return self.operation.rsplit(".", 1)[-1]


@dataclass(frozen=True)
class CallSite:
    """A call that makes SDK generation calls: the call itself, or a helper that does."""

    node: cst.Call = field(repr=False)
    targets: tuple[SdkCall, ...]  # the generation calls reached (empty for a declared wrapper)
    via: str | None  # "helper()" or the wrapper's name; None for a direct call


@dataclass(frozen=True)
class WorstCase:
    """Worst case of one call: requests sent, and seconds blocked (non-streamed calls only).
    A None figure comes with the reason it cannot be given."""

    requests: int | None
    requests_unbounded: bool
    requests_reason: str
    seconds: float | None
    seconds_unbounded: bool
    seconds_reason: str


@dataclass(eq=False)
class Arguments:
    """A call's keyword arguments, with `**dict` literals and their item writes folded in."""

    model: SdkModel
    call: cst.Call
    keywords: dict[str, list[cst.BaseExpression]]
    # False when a `**kwargs` could not be resolved: any keyword may be hiding in it.
    complete: bool

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
        values = [self.model.evaluate(expr) for expr in self.keywords[name]]
        if len(values) == 1:
            return values[0]
        known = [v for v in values if isinstance(v, Known)]
        if len(known) != len(values) or len({repr(v.value) for v in known}) != 1:
            return Unknown(f"{name} takes several values")
        return known[0]


@dataclass(frozen=True)
class Caught:
    """One class an `except` clause names, as far as the SDK is concerned.

    kind: "sdk" (an SDK exception, `name` its canonical class name), "builtin" (`Exception` or
    `BaseException`), "bare" (a bare `except:`), "other" (anything else, known or not).
    """

    kind: Literal["sdk", "builtin", "bare", "other"]
    name: str
    node: cst.CSTNode = field(repr=False, compare=False)

    def catches(self, other: Caught) -> bool:
        """Would this clause catch everything `other` names (so a later `other` never runs)?"""
        if other.kind == "other" or self.kind == "other":
            return False
        if self.kind == "bare" or self.name == "BaseException":
            return True
        if other.kind == "bare":
            return False
        if self.name == "Exception":
            return other.name != "BaseException"
        return other.kind == "sdk" and self.name in table.exception_ancestors(other.name)


# ---------------------------------------------------------------------------------------------
# The first pass


# Fields that never hold anything the model needs: white space, punctuation, brackets.
_TRIVIA_FIELDS = frozenset(
    {
        "lpar", "rpar", "comma", "dot", "equal", "semicolon", "colon", "header", "footer",
        "leading_lines", "lines_after_decorators", "trailing_whitespace", "newline", "lbracket",
        "rbracket", "lbrace", "rbrace", "operator", "whitespace_after_at", "asynchronous",
    }
)
_CHILD_FIELDS: dict[type, tuple[str, ...]] = {}


def child_nodes(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """A node's children that can matter, read straight from its dataclass fields.

    libcst's own visitor protocol rebuilds every node as it walks (it serves transformers too)
    and costs several times this plain walk, which is all a read-only analysis needs."""
    names = _CHILD_FIELDS.get(type(node))
    if names is None:
        names = tuple(
            f.name
            for f in dataclasses.fields(node)  # type: ignore[arg-type]
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
    boundaries = (cst.FunctionDef, cst.ClassDef, cst.Lambda, *stop)
    stack = list(child_nodes(node))
    while stack:
        current = stack.pop()
        yield current
        if not isinstance(current, boundaries):
            stack.extend(child_nodes(current))


class _Collector:
    """Records parents, scopes, bindings, calls, loops and tries in one traversal."""

    def __init__(self, model: SdkModel) -> None:
        self.model = model
        self.scopes: list[Scope] = []
        self.classes: list[ClassInfo | None] = []

    def run(self, module: cst.Module) -> None:
        """A depth-first walk with an explicit stack: no recursion limit on deep expressions."""
        parents = self.model.parents
        handlers = _VISIT
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
            scope = self.model.module_scope
        scope.bind(name, binding)

    # -- scopes ----------------------------------------------------------------------------------

    def visit_module(self, node: cst.Module) -> None:
        scope = Scope("module", node, None)
        self.model.module_scope = scope
        self.model.scopes[node] = scope
        self.scopes.append(scope)

    def visit_class(self, node: cst.ClassDef) -> None:
        self._bind(node.name.value, Binding("class", self.scope, node))
        scope = Scope("class", node, self.scope)
        info = ClassInfo(node, scope)
        self.model.classes[node] = info
        self.model.scopes[node] = scope
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
            if params and not any(_decorator_name(d) == "staticmethod" for d in node.decorators):
                scope.self_name = params[0].name.value
        self.model.scopes[node] = scope
        self.model.functions.append(node)
        self.scopes.append(scope)
        for param in _all_params(node.params):
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
            dotted = _dotted(alias.name)
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                self._bind(alias.asname.name.value, Binding("import", self.scope, node, qualname=dotted))
            else:
                top = dotted.split(".")[0]
                self._bind(top, Binding("import", self.scope, node, qualname=top))

    def visit_import_from(self, node: cst.ImportFrom) -> None:
        if isinstance(node.names, cst.ImportStar):
            return
        prefix = "." * len(node.relative) + (_dotted(node.module) if node.module else "")
        for alias in node.names:
            name = _dotted(alias.name)
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
                    node.target,  # type: ignore[arg-type]
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
        self.model.calls.append(node)
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
                    writes.append((cst.SimpleString(repr(arg.keyword.value)), arg.value))
                else:
                    writes.append((None, arg.value))  # unknown keys

    def visit_try(self, node: cst.Try | cst.TryStar) -> None:
        self.model.tries.append(node)

    def visit_loop(self, node: cst.For | cst.While) -> None:
        self.model.loops.append(node)
        if isinstance(node, cst.For):
            self.visit_for(node)

    # -- helpers ---------------------------------------------------------------------------------

    def _self_attribute(self, target: cst.BaseExpression) -> bool:
        scope = self.scope
        return (
            isinstance(target, cst.Attribute)
            and isinstance(target.value, cst.Name)
            and scope.self_name is not None
            and target.value.value == scope.self_name
            and scope.owner is not None
        )

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
                target,  # type: ignore[arg-type]
                Binding(binding_kind, self.scope, node, value=value, annotation=annotation),
            )
        elif isinstance(target, cst.Subscript) and isinstance(target.value, cst.Name):
            key: cst.BaseExpression | None = None
            if len(target.slice) == 1 and isinstance(target.slice[0].slice, cst.Index):
                key = target.slice[0].slice.value
            writes = self.scope.item_writes.setdefault(target.value.value, [])
            writes.append((key, value if value is not None else cst.Name("__unknown__")))


_VISIT = {
    cst.Module: _Collector.visit_module,
    cst.ClassDef: _Collector.visit_class,
    cst.FunctionDef: _Collector.visit_function,
    cst.Global: _Collector.visit_global,
    cst.Import: _Collector.visit_import,
    cst.ImportFrom: _Collector.visit_import_from,
    cst.Assign: _Collector.visit_assign,
    cst.AnnAssign: _Collector.visit_ann_assign,
    cst.AugAssign: _Collector.visit_aug_assign,
    cst.NamedExpr: _Collector.visit_named_expr,
    cst.For: _Collector.visit_loop,
    cst.While: _Collector.visit_loop,
    cst.With: _Collector.visit_with,
    cst.ExceptHandler: _Collector.visit_except_handler,
    cst.ExceptStarHandler: _Collector.visit_except_handler,
    cst.CompFor: _Collector.visit_comp_for,
    cst.MatchAs: _Collector.visit_match_capture,
    cst.MatchStar: _Collector.visit_match_capture,
    cst.MatchMapping: _Collector.visit_match_capture,
    cst.Call: _Collector.visit_call,
    cst.Try: _Collector.visit_try,
    cst.TryStar: _Collector.visit_try,
}


def _all_params(params: cst.Parameters) -> Iterator[cst.Param]:
    yield from params.posonly_params
    yield from params.params
    if isinstance(params.star_arg, cst.Param):
        yield params.star_arg
    yield from params.kwonly_params
    if params.star_kwarg is not None:
        yield params.star_kwarg


def _dotted(node: cst.BaseExpression) -> str:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return f"{_dotted(node.value)}.{node.attr.value}"
    return ""


def _decorator_name(decorator: cst.Decorator) -> str:
    expr = decorator.decorator
    if isinstance(expr, cst.Call):
        expr = expr.func
    return _dotted(expr)


# ---------------------------------------------------------------------------------------------
# The model


_ENV_GETTERS = frozenset({"os.environ.get", "os.getenv"})
_NUMBER_CASTS = frozenset({"builtins.int", "builtins.float"})
_SDK_PREFIXES = (f"{table.SDK_MODULE}.", f"{table.SDK_MODULE}._exceptions.", f"{table.SDK_MODULE}._client.")


class SdkModel:
    """Facts about one module's use of the SDK, computed once and shared by every rule."""

    def __init__(
        self,
        module: cst.Module,
        path: str = "<module>",
        sdk: SdkSettings | None = None,
        retry_decorators: Sequence[str] = (),
    ) -> None:
        self.module = module
        self.path = path
        self.sdk_settings = sdk or SdkSettings()
        self.retry_decorators = tuple(retry_decorators)
        self.parents: dict[cst.CSTNode, cst.CSTNode] = {}
        self.scopes: dict[cst.CSTNode, Scope] = {}
        self.classes: dict[cst.ClassDef, ClassInfo] = {}
        self.functions: list[cst.FunctionDef] = []
        self.calls: list[cst.Call] = []
        self.tries: list[cst.Try | cst.TryStar] = []
        self.loops: list[cst.For | cst.While] = []
        self.module_scope: Scope
        self._values: dict[cst.CSTNode, Value | None] = {}
        self._configs: dict[cst.Call, ClientConfig] = {}
        self._in_progress: set[cst.CSTNode] = set()
        self._tested_names: dict[cst.FunctionDef, set[str]] = {}
        _Collector(self).run(module)

    # -- positions and structure ------------------------------------------------------------------

    @cached_property
    def _positions(self) -> dict[cst.CSTNode, CodeRange]:
        # Computed only when a finding needs a position: most modules have none.
        wrapper = MetadataWrapper(self.module, unsafe_skip_copy=True)
        return dict(wrapper.resolve(PositionProvider))

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

    # -- names ---------------------------------------------------------------------------------

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

    def client_class(self, qualname: str) -> tuple[str, bool | None] | None:
        """(class name, is_async) when `qualname` names an SDK client class or a declared one."""
        name = sdk_export(qualname)
        if name in table.CLIENT_CLASSES:
            return name, table.CLIENT_CLASSES[name]
        if qualname in self.sdk_settings.client_classes:
            return qualname.rsplit(".", 1)[-1], None
        return None

    def qualified_name(self, expr: cst.BaseExpression) -> str | None:
        """`anthropic.RateLimitError` for `E` after `from anthropic import RateLimitError as E`."""
        value = self.infer(expr)
        return value.name if isinstance(value, QName) else None

    # -- inference -------------------------------------------------------------------------------

    def infer(self, expr: cst.BaseExpression) -> Value | None:
        """What an expression is, as far as the SDK is concerned; None when unknown."""
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
            return _union([self.infer(expr.body), self.infer(expr.orelse)], strict=True)
        if isinstance(expr, cst.BooleanOperation):
            left, right = self.infer(expr.left), self.infer(expr.right)
            merged = _union([left, right], strict=False)
            if isinstance(merged, ClientSet) and (left is None or right is None):
                return ClientSet(merged.configs, False)
            return merged
        if isinstance(expr, (cst.Tuple, cst.List)):
            return TupleValue(tuple(e.value for e in expr.elements))
        return None

    def _infer_name(self, expr: cst.Name) -> Value | None:
        if expr.value in ("None", "True", "False"):
            return None
        bindings = self.lookup(expr.value, self.scope_of(expr))
        if not bindings:
            return QName(f"builtins.{expr.value}")
        return self._infer_bindings(bindings)

    def _infer_bindings(self, bindings: Sequence[Binding]) -> Value | None:
        values: list[Value | None] = []
        for binding in bindings:
            if isinstance(binding.value, cst.Name) and binding.value.value == "None":
                continue  # `client = None` before a lazy `client = Anthropic()`
            values.append(self._infer_binding(binding))
        if not values:
            return None
        return _union(values, strict=False)

    def _infer_binding(self, binding: Binding) -> Value | None:
        if binding.kind == "import":
            return QName(binding.qualname or "")
        if binding.kind == "def":
            return FunctionRef(binding.node)  # type: ignore[arg-type]
        if binding.kind in ("assign", "with") and binding.value is not None:
            return self.infer(binding.value)
        if binding.annotation is not None:
            return self._from_annotation(binding.annotation)
        return None

    def _from_annotation(self, annotation: cst.BaseExpression) -> Value | None:
        """A parameter or attribute annotated with a client class is a client of unknown settings."""
        candidates = [annotation]
        if isinstance(annotation, cst.BinaryOperation):  # `Anthropic | None`
            candidates = [annotation.left, annotation.right]
        for candidate in candidates:
            value = self.infer(candidate)
            if isinstance(value, QName) and self.client_class(value.name) is not None:
                return ClientSet((), False)
        return None

    def _infer_attribute(self, expr: cst.Attribute) -> Value | None:
        attr = expr.attr.value
        owner = self._attribute_owner(expr)
        if owner is not None:
            bindings = self._class_attribute(owner, attr)
            if bindings:
                return self._infer_bindings(bindings)
            method = self._class_method(owner, attr)
            return FunctionRef(method) if method is not None else None
        base = self.infer(expr.value)
        if isinstance(base, QName):
            return QName(f"{base.name}.{attr}")
        if isinstance(base, ClientSet):
            return Resource(base, (attr,))
        if isinstance(base, Resource):
            return Resource(base.clients, (*base.path, attr))
        return None

    def _attribute_owner(self, expr: cst.Attribute) -> ClassInfo | None:
        """The class whose attribute `self.x`, `cls.x` or `ClassName.x` names, if in this module."""
        if not isinstance(expr.value, cst.Name):
            return None
        scope = self.scope_of(expr)
        while scope.kind != "function" and scope.parent is not None and scope.kind != "module":
            scope = scope.parent
        if scope.kind == "function" and scope.self_name == expr.value.value and scope.owner:
            return scope.owner
        bindings = self.lookup(expr.value.value, scope)
        if len(bindings) == 1 and bindings[0].kind == "class":
            return self.classes.get(bindings[0].node)  # type: ignore[arg-type]
        return None

    def _class_attribute(self, info: ClassInfo, attr: str, depth: int = 0) -> list[Binding]:
        found = list(info.attributes.get(attr, []))
        if depth < 5:
            for base in self._local_bases(info):
                found += self._class_attribute(base, attr, depth + 1)
        return found

    def _class_method(self, info: ClassInfo, name: str, depth: int = 0) -> cst.FunctionDef | None:
        if name in info.methods:
            return info.methods[name]
        if depth < 5:
            for base in self._local_bases(info):
                method = self._class_method(base, name, depth + 1)
                if method is not None:
                    return method
        return None

    def _local_bases(self, info: ClassInfo) -> list[ClassInfo]:
        bases = []
        for arg in info.node.bases:
            if isinstance(arg.value, cst.Name):
                for binding in self.lookup(arg.value.value, info.scope.parent or self.module_scope):
                    if binding.kind == "class" and binding.node in self.classes:
                        bases.append(self.classes[binding.node])  # type: ignore[index]
        return bases

    def _infer_call(self, call: cst.Call) -> Value | None:
        func = self.infer(call.func)
        if isinstance(func, QName):
            if self.client_class(func.name) is not None:
                return ClientSet((self._client_config(call, func.name, None),), True)
            if func.name in self.sdk_settings.client_factories:
                return ClientSet((), False)
            return None
        if isinstance(func, Resource) and len(func.path) == 1 and func.path[0] in table.CLIENT_DERIVERS:
            parent = func.clients
            return ClientSet((self._client_config(call, None, parent),), True)
        if isinstance(func, FunctionRef):
            return self._function_result(func.node)
        return None

    def _function_result(self, function: cst.FunctionDef) -> Value | None:
        """What a small factory returns: the union of its `return` values."""
        if function in self._in_progress:
            return None
        self._in_progress.add(function)
        try:
            returns = [node.value for node in self._returns(function)]
            if not returns or any(value is None for value in returns):
                return None
            return _union([self.infer(value) for value in returns if value is not None], strict=False)
        finally:
            self._in_progress.discard(function)

    def _returns(self, function: cst.FunctionDef) -> list[cst.Return]:
        return [node for node in own_nodes(function.body) if isinstance(node, cst.Return)]

    def _client_config(self, call: cst.Call, qualname: str | None, parent: ClientSet | None) -> ClientConfig:
        config = self._configs.get(call)
        if config is None:
            if parent is not None:
                names = {c.class_name for c in parent.configs}
                class_name = names.pop() if len(names) == 1 else "client"
                asyncs = {c.is_async for c in parent.configs}
                is_async = asyncs.pop() if len(asyncs) == 1 and parent.complete else None
            else:
                assert qualname is not None
                class_name, is_async = self.client_class(qualname) or (qualname, None)
            config = ClientConfig(call, class_name, is_async, parent, self.arguments(call))
            self._configs[call] = config
        return config

    # -- constant evaluation ---------------------------------------------------------------------

    def evaluate(self, expr: cst.BaseExpression, depth: int = 0) -> Known | Unknown:
        """The constant value of an expression, with where it came from, or Unknown."""
        if depth > 8:
            return Unknown("too deep")
        if isinstance(expr, cst.Integer):
            return Known(int(expr.value.replace("_", ""), 0), "literal", node=expr)
        if isinstance(expr, cst.Float):
            return Known(float(expr.value.replace("_", "")), "literal", node=expr)
        if isinstance(expr, cst.Name):
            if expr.value in ("None", "True", "False"):
                return Known({"None": None, "True": True, "False": False}[expr.value], "literal", node=expr)
            return self._evaluate_name(expr, depth)
        if isinstance(expr, (cst.SimpleString, cst.ConcatenatedString)):
            text = expr.evaluated_value
            if isinstance(text, str):
                return Known(text, "literal", node=expr)
            return Unknown("bytes")
        if isinstance(expr, cst.UnaryOperation) and isinstance(expr.operator, cst.Minus):
            inner = self.evaluate(expr.expression, depth + 1)
            if isinstance(inner, Known) and _is_number(inner.value):
                return Known(-inner.value, inner.source, inner.certain, expr)  # type: ignore[operator]
            return Unknown("not a number")
        if isinstance(expr, cst.BinaryOperation):
            return self._evaluate_binary(expr, depth)
        if isinstance(expr, cst.Attribute):
            owner = self._attribute_owner(expr)
            if owner is not None:
                bindings = self._class_attribute(owner, expr.attr.value)
                return self._evaluate_bindings(bindings, f"constant {self.code(expr)}", depth)
            return Unknown(f"{self.code(expr)} is not a constant of this module")
        if isinstance(expr, cst.Call):
            return self._evaluate_call(expr, depth)
        return Unknown("not a constant")

    def _evaluate_name(self, expr: cst.Name, depth: int) -> Known | Unknown:
        scope = self.scope_of(expr)
        bindings = self.lookup(expr.value, scope)
        if len(bindings) == 1 and bindings[0].kind == "param":
            param = bindings[0]
            if param.value is None:
                return Unknown(f"parameter {expr.value} has no default")
            function = self.enclosing_function(param.node)
            if function is not None and self._tests_name(function, expr.value):
                # `if timeout is not None: ...`, `x if timeout else y`, `assert timeout`: the code
                # looks at the value before using it, so the default proves nothing here.
                return Unknown(f"parameter {expr.value} is checked before use")
            default = self.evaluate(param.value, depth + 1)
            if isinstance(default, Known):
                owner = self._function_name(param.node)
                return Known(default.value, f"default of parameter {expr.value}{owner}", False, param.value)
            return default
        return self._evaluate_bindings(bindings, f"constant {expr.value}", depth)

    def _tests_name(self, function: cst.FunctionDef, name: str) -> bool:
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

    def _function_name(self, param: cst.CSTNode) -> str:
        function = self.enclosing_function(param)
        return f" of {function.name.value}()" if function is not None else ""

    def _evaluate_bindings(self, bindings: Sequence[Binding], label: str, depth: int) -> Known | Unknown:
        """A name is a constant when it is bound exactly once, to a constant expression."""
        if len(bindings) != 1:
            return Unknown("assigned more than once" if bindings else "not defined here")
        binding = bindings[0]
        if binding.kind == "import":
            origin = (binding.qualname or "").rsplit(".", 1)[0] or binding.qualname
            return Unknown(f"{label.split()[-1]} is imported from {origin}")
        if binding.kind == "param":
            return Unknown(f"{label.split()[-1]} is a parameter")
        if binding.kind != "assign" or binding.value is None:
            return Unknown(f"{label} is not a simple assignment")
        inner = self.evaluate(binding.value, depth + 1)
        if not isinstance(inner, Known):
            return inner
        source = LazyLine(label, self, binding.node) if inner.source == "literal" else inner.source
        return Known(inner.value, source, inner.certain, binding.value)

    def _evaluate_binary(self, expr: cst.BinaryOperation, depth: int) -> Known | Unknown:
        left = self.evaluate(expr.left, depth + 1)
        right = self.evaluate(expr.right, depth + 1)
        if not (isinstance(left, Known) and isinstance(right, Known)):
            return Unknown("an operand is not a constant")
        if not (_is_number(left.value) and _is_number(right.value)):
            return Unknown("not arithmetic on numbers")
        a, b = left.value, right.value
        op = expr.operator
        try:
            if isinstance(op, cst.Add):
                value = a + b  # type: ignore[operator]
            elif isinstance(op, cst.Subtract):
                value = a - b  # type: ignore[operator]
            elif isinstance(op, cst.Multiply):
                value = a * b  # type: ignore[operator]
            elif isinstance(op, cst.Divide):
                value = a / b  # type: ignore[operator]
            elif isinstance(op, cst.FloorDivide):
                value = a // b  # type: ignore[operator]
            elif isinstance(op, cst.Power) and abs(b) < 64:  # type: ignore[arg-type]
                value = a**b  # type: ignore[operator]
            elif isinstance(op, cst.LeftShift) and isinstance(a, int) and isinstance(b, int) and 0 <= b < 64:
                value = a << b
            else:
                return Unknown("unsupported operator")
        except (ZeroDivisionError, OverflowError):
            return Unknown("arithmetic error")
        sources = [s.source for s in (left, right) if s.source != "literal"]
        source = sources[0] if len(sources) == 1 else ("literal" if not sources else "arithmetic on constants")
        return Known(value, source, left.certain and right.certain, expr)

    def _evaluate_call(self, call: cst.Call, depth: int) -> Known | Unknown:
        """`int(os.environ.get("N", "8192"))`: the default, marked uncertain."""
        name = self.qualified_name(call.func)
        positional = [arg.value for arg in call.args if arg.keyword is None and not arg.star]
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
                return Known(default.value, f"default of environment variable {variable.value}", False, call)
            return Unknown("environment variable without a constant default")
        return Unknown("a call")

    # -- arguments ---------------------------------------------------------------------------------

    def arguments(self, call: cst.Call) -> Arguments:
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
        return Arguments(self, call, keywords, complete)

    def _dict_items(self, expr: cst.BaseExpression) -> tuple[list[tuple[str, cst.BaseExpression]], bool] | None:
        """The items of a dict literal (or a local name bound once to one, plus its item writes)."""
        writes: list[tuple[cst.BaseExpression | None, cst.BaseExpression]] = []
        if isinstance(expr, cst.Name):
            scope = self.scope_of(expr)
            bindings = self.lookup(expr.value, scope)
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

    def _literal_dict(self, expr: cst.BaseExpression) -> tuple[list[tuple[str, cst.BaseExpression]], bool] | None:
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
        if isinstance(expr, cst.Call) and self.qualified_name(expr.func) == "builtins.dict":
            for arg in expr.args:
                if arg.keyword is not None:
                    items.append((arg.keyword.value, arg.value))
                else:
                    complete = False
            return items, complete
        return None

    # -- clients ---------------------------------------------------------------------------------

    def client(self, expr: cst.BaseExpression) -> ClientSet | None:
        value = self.infer(expr)
        return value if isinstance(value, ClientSet) else None

    @cached_property
    def client_configs(self) -> list[ClientConfig]:
        """Every client construction and derivation in the module, in source order."""
        for call in self.calls:
            self.infer(call)
        seen = {id(c.node) for c in self._configs.values()}
        return [self._configs[call] for call in self.calls if id(call) in seen]

    # -- generation calls ------------------------------------------------------------------------

    @cached_property
    def _generation_calls(self) -> tuple[list[SdkCall], list[SdkCall]]:
        resolved, unresolved = [], []
        imports_sdk = self._imports_sdk()
        for call in self.calls:
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
        while isinstance(expr, cst.Attribute) and expr.attr.value in ("beta", "messages", "completions", *table.RESPONSE_WRAPPERS):
            expr = expr.value
        if isinstance(expr, cst.Name):
            bindings = self.lookup(expr.value, self.scope_of(expr))
            return bool(bindings) and all(b.kind == "param" for b in bindings)
        if isinstance(expr, cst.Attribute):
            owner = self._attribute_owner(expr)
            if owner is None:
                return False
            bindings = self._class_attribute(owner, expr.attr.value)
            return bool(bindings) and all(
                b.kind == "assign" and isinstance(b.value, cst.Name) and self._passed_in(b.value) for b in bindings
            )
        return False

    def _imports_sdk(self) -> bool:
        return any(
            b.kind == "import" and (b.qualname or "").split(".")[0] == table.SDK_MODULE
            for scope in self.scopes.values()
            for bindings in scope.bindings.values()
            for b in bindings
        )

    def _as_sdk_call(self, call: cst.Call, imports_sdk: bool) -> SdkCall | None:
        func = call.func
        if not (isinstance(func, cst.Attribute) and func.attr.value in table.GENERATION_METHODS):
            return None
        resource = self.infer(func.value)
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
        return SdkCall(call, operation, clients, self.arguments(call), resolved=isinstance(resource, Resource))

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
        if isinstance(value, Known) and not _is_number(value.value):
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
        return isinstance(self.parents.get(call.node), cst.Await)

    # -- exceptions ------------------------------------------------------------------------------

    def caught(self, handler: cst.ExceptHandler | cst.ExceptStarHandler) -> list[Caught]:
        """The classes an `except` clause names, member by member for a tuple."""
        if handler.type is None:
            return [Caught("bare", "", handler)]
        return self.caught_in(handler.type)

    def caught_in(self, expr: cst.BaseExpression, depth: int = 0) -> list[Caught]:
        """The exception classes an expression names (a class, a tuple, a name bound to one)."""
        value = self.infer(expr)
        if isinstance(value, TupleValue) and depth < 3:
            return [c for item in value.items for c in self.caught_in(item, depth + 1)]
        if isinstance(value, QName):
            name = sdk_export(value.name)
            if name in table.EXCEPTION_PARENTS:
                return [Caught("sdk", table.canonical_exception(name), expr)]
            if value.name in ("builtins.Exception", "builtins.BaseException"):
                return [Caught("builtin", value.name.split(".")[1], expr)]
            return [Caught("other", value.name, expr)]
        return [Caught("other", self.code(expr), expr)]

    def shadows(self, handler: cst.ExceptHandler | cst.ExceptStarHandler) -> list[tuple[Caught, tuple[cst.CSTNode, Caught] | None]]:
        """Each class the clause names, with the earlier clause of the same `try` (and the class
        in it) that catches it first, or None when this clause is the first to catch it."""
        statement = self.parents.get(handler)
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

    # -- where SDK calls happen ----------------------------------------------------------------

    @cached_property
    def _sites(self) -> dict[cst.Call, CallSite]:
        """Every call that makes a generation call: directly, through a declared wrapper, or
        through functions of this module that do (followed three calls deep)."""
        sites = {call.node: CallSite(call.node, (call,), None) for call in self.sdk_calls}
        order = self._call_order
        if self.sdk_settings.wrappers:
            for call in self.calls:
                if call not in sites and self._is_wrapper_call(call):
                    sites[call] = CallSite(call, (), self.code(call.func))
        local_names = {function.name.value for function in self.functions}
        for _ in range(3):
            reaching: dict[cst.FunctionDef, list[CallSite]] = {}
            for site in sites.values():
                function = self.enclosing_function(site.node)
                if function is not None:
                    reaching.setdefault(function, []).append(site)
            added = False
            for call in self.calls:
                if call in sites or _last_name(call.func) not in local_names:
                    continue
                target = self.infer(call.func)
                if isinstance(target, FunctionRef) and target.node in reaching:
                    inner = reaching[target.node]
                    if self.enclosing_function(call) is target.node:
                        continue  # recursion: the function's own sites already count
                    targets = tuple(t for site in inner for t in site.targets)
                    sites[call] = CallSite(call, targets, f"{target.node.name.value}()")
                    added = True
            if not added:
                break
        return dict(sorted(sites.items(), key=lambda item: order[item[0]]))

    @cached_property
    def _call_order(self) -> dict[cst.Call, int]:
        return {call: index for index, call in enumerate(self.calls)}

    def call_sites_anywhere(self) -> list[CallSite]:
        return list(self._sites.values())

    @cached_property
    def _sites_by_container(self) -> dict[cst.CSTNode, list[CallSite]]:
        """Each node -> the call sites under it in the same scope, built in one pass over the
        sites, so that asking for the sites of every `try` and loop stays linear."""
        index: dict[cst.CSTNode, list[CallSite]] = {}
        for site in self._sites.values():  # in source order
            for ancestor in self.ancestors(site.node):
                index.setdefault(ancestor, []).append(site)
                if isinstance(ancestor, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
                    break
        return index

    def call_sites(self, node: cst.CSTNode) -> list[CallSite]:
        """The call sites (see `_sites`) inside `node`, not counting nested functions."""
        return list(self._sites_by_container.get(node, ()))

    def _is_wrapper_call(self, call: cst.Call) -> bool:
        if not self.sdk_settings.wrappers:
            return False
        return self.qualified_name(call.func) in self.sdk_settings.wrappers

    def calls_inside(self, node: cst.CSTNode) -> list[cst.Call]:
        """Calls in `node`'s subtree, not counting the bodies of nested functions and classes."""
        calls = [n for n in own_nodes(node) if isinstance(n, cst.Call)]
        if isinstance(node, cst.Call):
            calls.append(node)
        order = self._call_order
        return sorted(calls, key=lambda call: order.get(call, 0))

    def function_name(self, node: cst.CSTNode) -> str:
        """`Agent.reply` for a node in a method, `ask` in a function, `<module>` at the top."""
        names = []
        for ancestor in self.ancestors(node):
            if isinstance(ancestor, (cst.FunctionDef, cst.ClassDef)):
                names.append(ancestor.name.value)
        return ".".join(reversed(names)) if names else "<module>"

    def handlers_around(self, node: cst.CSTNode) -> list[tuple[cst.ExceptHandler | cst.ExceptStarHandler, list[Caught]]]:
        """The `except` clauses, innermost first, that catch SDK errors raised at `node` in the
        same function: they name an SDK class, `Exception`, `BaseException`, or nothing."""
        found = []
        current: cst.CSTNode = node
        for ancestor in self.ancestors(node):
            if isinstance(ancestor, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
                break
            if isinstance(ancestor, (cst.Try, cst.TryStar)) and current is ancestor.body:
                for handler in ancestor.handlers:
                    caught = self.caught(handler)
                    if any(c.kind != "other" for c in caught):
                        found.append((handler, caught))
            current = ancestor
        return found

    # -- retries -------------------------------------------------------------------------------

    @cached_property
    def retries(self) -> list[Retry]:
        """Every retry around SDK calls: hand-rolled loops, recursion, decorators, tenacity loops."""
        from auditor.sdk_retries import find_retries

        return find_retries(self)

    @cached_property
    def _retries_by_call(self) -> dict[SdkCall, list[Retry]]:
        index: dict[SdkCall, list[Retry]] = {}
        for retry in self.retries:
            for call in dict.fromkeys(retry.sdk_calls):
                index.setdefault(call, []).append(retry)
        return index

    def retries_around(self, call: SdkCall) -> list[Retry]:
        return list(self._retries_by_call.get(call, ()))

    @cached_property
    def _retry_handlers(self) -> set[cst.CSTNode]:
        return {handler for retry in self.retries for handler in retry.handlers}

    def is_retry_handler(self, handler: cst.CSTNode) -> bool:
        return handler in self._retry_handlers

    # -- settings in force -----------------------------------------------------------------------

    def timeout_of(self, expr: cst.BaseExpression) -> Setting:
        """A `timeout=` value: seconds, None (disabled), or not known."""
        value = self.evaluate(expr)
        if isinstance(value, Known):
            if value.value is None:
                return Setting(None, value.source, True, value.certain, expr)
            if _is_number(value.value):
                return Setting(float(value.value), value.source, True, value.certain, expr)  # type: ignore[arg-type]
            return Setting(None, "not a number", False, node=expr)
        if isinstance(expr, cst.Call) and self.qualified_name(expr.func) in table.TIMEOUT_CLASSES:
            return self._timeout_object(expr)
        if isinstance(expr, cst.Name):
            bindings = self.lookup(expr.value, self.scope_of(expr))
            if len(bindings) == 1 and bindings[0].kind == "assign" and bindings[0].value is not None:
                inner = self.timeout_of(bindings[0].value)
                if inner.known:
                    return Setting(inner.value, f"constant {expr.value}", True, inner.certain, expr)
        if isinstance(expr, cst.Attribute) and self.qualified_name(expr) == f"{table.SDK_MODULE}.DEFAULT_TIMEOUT":
            return Setting(table.DEFAULT_TIMEOUT_SECONDS, "anthropic.DEFAULT_TIMEOUT", True, node=expr)
        return Setting(None, value.reason if isinstance(value, Unknown) else "unknown", False, node=expr)

    def _timeout_object(self, call: cst.Call) -> Setting:
        """`httpx.Timeout(60, connect=5)`: the read timeout is what bounds waiting for the model."""
        positional = [a.value for a in call.args if a.keyword is None and not a.star]
        keywords = {a.keyword.value: a.value for a in call.args if a.keyword is not None}
        if any(a.star for a in call.args):
            return Setting(None, "Timeout(**...)", False, node=call)
        read_expr = keywords.get("read", keywords.get("timeout", positional[0] if positional else None))
        if read_expr is None:
            return Setting(None, "Timeout() without a read timeout", False, node=call)
        read = self.evaluate(read_expr)
        if isinstance(read, Known) and (read.value is None or _is_number(read.value)):
            value = None if read.value is None else float(read.value)  # type: ignore[arg-type]
            return Setting(value, self.code(call), True, read.certain, call)
        return Setting(None, "Timeout with a value that is not a constant", False, node=call)

    def client_timeout(self, config: ClientConfig) -> Setting:
        """The timeout a client was built with, falling back as the SDK does."""
        given = config.arguments.given("timeout")
        if given:
            return self._single_setting(config.arguments, "timeout", self.timeout_of)
        if given is None:
            return Setting(None, "may be passed through **kwargs", False, node=config.node)
        if config.parent is not None:
            return self._clients_setting(config.parent, self.client_timeout)
        http_client = config.arguments.given("http_client")
        if http_client:
            return self._http_client_timeout(config.arguments.expressions("http_client"))
        if http_client is None:
            return Setting(None, "http_client may be passed through **kwargs", False, node=config.node)
        return Setting(table.DEFAULT_TIMEOUT_SECONDS, "SDK default", True, node=None)

    def _http_client_timeout(self, expressions: list[cst.BaseExpression]) -> Setting:
        if len(expressions) != 1 or not isinstance(expressions[0], cst.Call):
            return Setting(None, "http_client is not built here", False)
        call = expressions[0]
        name = self.qualified_name(call.func)
        if name not in table.HTTP_CLIENT_CLASSES:
            return Setting(None, "http_client is not a known http client", False, node=call)
        arguments = self.arguments(call)
        if arguments.given("timeout"):
            setting = self._single_setting(arguments, "timeout", self.timeout_of)
            # The SDK keeps its own default when the http client's equals httpx's (5 s).
            if not (setting.known and setting.value == table.HTTPX_DEFAULT_TIMEOUT_SECONDS and name.startswith("httpx")):
                return Setting(setting.value, f"http_client {setting.source}", setting.known, setting.certain, setting.node)
        return Setting(table.DEFAULT_TIMEOUT_SECONDS, "SDK default", True)

    def client_max_retries(self, config: ClientConfig) -> Setting:
        given = config.arguments.given("max_retries")
        if given:
            return self._single_setting(config.arguments, "max_retries", self._retries_of)
        if given is None:
            return Setting(None, "may be passed through **kwargs", False, node=config.node)
        if config.parent is not None:
            return self._clients_setting(config.parent, self.client_max_retries)
        return Setting(table.DEFAULT_MAX_RETRIES, "SDK default", True)

    def _retries_of(self, expr: cst.BaseExpression) -> Setting:
        value = self.evaluate(expr)
        if isinstance(value, Known) and isinstance(value.value, int) and not isinstance(value.value, bool):
            return Setting(value.value, value.source, True, value.certain, expr)
        return Setting(None, value.reason if isinstance(value, Unknown) else "not an integer", False, node=expr)

    def _single_setting(self, arguments: Arguments, name: str, read) -> Setting:  # type: ignore[no-untyped-def]
        expressions = arguments.expressions(name)
        settings = [read(expr) for expr in expressions]
        if len(settings) == 1:
            return settings[0]
        if all(s.known for s in settings) and len({s.value for s in settings}) == 1:
            return settings[0]
        return Setting(None, f"{name} takes several values", False, node=expressions[0])

    def _clients_setting(self, parent: ClientSet, read) -> Setting:  # type: ignore[no-untyped-def]
        if not parent.complete or not parent.configs:
            return Setting(None, "the client is not known", False)
        settings = [read(config) for config in parent.configs]
        unknown = [s for s in settings if not s.known]
        if unknown:
            return unknown[0]
        if len({s.value for s in settings}) == 1:
            return settings[0]
        return Setting(None, "the clients it may be differ", False)

    def settings_in_force(self, call: SdkCall) -> tuple[Setting, Setting]:
        """(timeout, max_retries) for one call, in the SDK's order: per call, client, default."""
        timeout = self.call_timeout(call)
        if timeout is None:
            timeout = self._clients_setting(call.clients, self.client_timeout)
        return timeout, self._clients_setting(call.clients, self.client_max_retries)

    def sdk_attempts(self, call: SdkCall) -> int | None:
        """Requests the SDK itself may send for one call: max_retries + 1, when known."""
        _, retries = self.settings_in_force(call)
        return int(retries.value) + 1 if retries.known else None  # type: ignore[call-overload]

    def worst_case(self, call: SdkCall) -> WorstCase:
        """Requests one call can send, and for a non-streamed call how long it can block, with
        every enclosing retry (loop, decorator, recursion) multiplying the SDK's attempts."""
        timeout, _ = self.settings_in_force(call)
        sdk_attempts = self.sdk_attempts(call)
        retries = self.retries_around(call)
        multiplier: int | None = 1
        unbounded = any(r.unbounded for r in retries)
        for retry in retries:
            if retry.attempts is None or multiplier is None:
                multiplier = None
            else:
                multiplier *= retry.attempts
        if unbounded:
            requests: int | None = None
            why = "an enclosing retry has no bound"
        elif sdk_attempts is None or multiplier is None:
            requests = None
            why = "max_retries is not known" if sdk_attempts is None else "a retry's bound is not known"
        else:
            requests, why = sdk_attempts * multiplier, ""
        streamed = self.streamed(call)
        if streamed:
            return WorstCase(requests, unbounded, why, None, False, "streamed: the timeout bounds each pause, not the whole answer")
        if timeout.known and timeout.value is None:
            return WorstCase(requests, unbounded, why, None, True, "no timeout: a request can block forever")
        if unbounded:
            return WorstCase(requests, True, why, None, True, why)
        if streamed is None:
            return WorstCase(requests, unbounded, why, None, False, "whether the call streams is not known")
        if not timeout.known or requests is None or sdk_attempts is None or multiplier is None:
            reason = "the timeout is not known" if not timeout.known else why
            return WorstCase(requests, unbounded, why, None, False, reason)
        backoff = multiplier * table.sdk_backoff(sdk_attempts - 1)
        return WorstCase(requests, False, "", requests * float(timeout.value) + backoff, False, "")  # type: ignore[arg-type]

    def constructions_without(self, config: ClientConfig, keyword: str) -> list[ClientConfig]:
        """The constructions behind `config` reached through derivations that never set `keyword`.

        `client.with_options(max_retries=0)` sets max_retries but not timeout: a call through it
        still waits with the timeout of the `Anthropic(...)` it derives from."""
        if config.arguments.given(keyword) is not False:
            return []
        if config.parent is None:
            return [config]
        return [root for parent in config.parent.configs for root in self.constructions_without(parent, keyword)]

    def call_timeout(self, call: SdkCall) -> Setting | None:
        """The per-call `timeout=`, or None when the call passes none (provably)."""
        given = call.arguments.given("timeout")
        if given is False:
            return None
        if given is None:
            return Setting(None, "may be passed through **kwargs", False, node=call.node)
        return self._single_setting(call.arguments, "timeout", self.timeout_of)


def _attribute_path(expr: cst.BaseExpression) -> tuple[str, ...]:
    """("beta", "messages") for `whatever.beta.messages`: the resource part of an unresolved call."""
    names: list[str] = []
    while isinstance(expr, cst.Attribute) and expr.attr.value in ("beta", "messages", "completions", *table.RESPONSE_WRAPPERS):
        names.append(expr.attr.value)
        expr = expr.value
    return tuple(reversed(names))


def _last_name(expr: cst.BaseExpression) -> str | None:
    if isinstance(expr, cst.Name):
        return expr.value
    if isinstance(expr, cst.Attribute):
        return expr.attr.value
    return None


def sdk_export(qualname: str) -> str | None:
    """`RateLimitError` for `anthropic.RateLimitError`, `anthropic._exceptions.RateLimitError`,
    `anthropic.lib.bedrock.AnthropicBedrock`...: the SDK re-exports everything at the top."""
    if not qualname.startswith(f"{table.SDK_MODULE}."):
        return None
    return qualname.rsplit(".", 1)[-1]



def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _union(values: Sequence[Value | None], strict: bool) -> Value | None:
    """Merge what several bindings or branches say. Clients merge (incomplete if some path is
    unknown, unless `strict`); other values must agree exactly."""
    clients = [v for v in values if isinstance(v, ClientSet)]
    if clients:
        merged = clients[0]
        for other in clients[1:]:
            merged = merged.merge(other)
        if len(clients) != len(values):
            if strict and any(v is not None for v in values if not isinstance(v, ClientSet)):
                return None
            merged = ClientSet(merged.configs, False)
        return merged
    resources = [v for v in values if isinstance(v, Resource)]
    if resources and len(resources) == len(values):
        paths = {r.path for r in resources}
        if len(paths) == 1:
            merged_clients = resources[0].clients
            for other in resources[1:]:
                merged_clients = merged_clients.merge(other.clients)
            return Resource(merged_clients, resources[0].path)
        if all(tuple(x for x in p if x != "beta") == ("messages",) for p in paths):
            # `client.beta.messages if beta else client.messages`: both generate the same way.
            merged_clients = resources[0].clients
            for other in resources[1:]:
                merged_clients = merged_clients.merge(other.clients)
            return Resource(merged_clients, ("messages",))
        return None
    if values and all(v == values[0] for v in values) and values[0] is not None:
        return values[0]
    return None

