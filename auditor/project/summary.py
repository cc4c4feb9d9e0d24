"""A module's summary: what other modules of the project can use of it, as plain JSON.

Computed from the same SDK model the rules read, in the worker that parsed the module, and
cached with its findings. It holds only what crosses a module boundary in real code:

- constants (`MAX_TOKENS = 8192`, `MODEL = "claude-..."`, `TIMEOUT = None`), with where they
  were defined and whether a user can override them (environment defaults);
- classes, with the class-level values of their fields (`Config.max_tokens`: "may be");
- clients built at module level (`client = Anthropic(timeout=None)`) and factories that return
  one (`def make_client(): return Anthropic()`), with the settings they are built with;
- retry decorators the module defines;
- names it imports, so that `from app.clients import make_client` in `app/__init__.py` is a
  re-export, and its `from x import *`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from functools import cached_property
from typing import Any

import libcst as cst

from auditor.analysis.scopes import Binding, ClassInfo
from auditor.analysis.tree import dotted
from auditor.analysis.values import Known, Source, is_number
from auditor.project.layout import absolute_name
from auditor.project.shape import Summary
from auditor.sdk.calls import generation_root
from auditor.sdk.facts import ClientConfig, ClientSet, Setting
from auditor.sdk.model import SdkModel
from auditor.sdk.retries import is_retry_decorator

MAX_TEXT = 200  # longer strings are not worth carrying (and are not model names)



def summarise(analysed: SdkModel, module: str | None, is_package: bool, shown: str, source: str) -> Summary:
    """The summary of one module (`shown`: its path relative to the project root).

    It is read from the module alone, never from other modules' summaries (a model of the same
    tree without the project): so a summary is valid exactly as long as its file is unchanged,
    import cycles need no special case, and what a module takes from another stays a reference
    (an alias, a setting's `ref`) that the module reading it follows through the project."""
    alone = SdkModel(
        analysed.module, analysed.path, analysed.inference.sdk_settings, analysed.retry_decorators, analysed.sdk_version, None, analysed.facts
    )
    return _Summariser(alone, module, is_package, shown, source).summary()


class _Summariser:
    def __init__(self, model: SdkModel, module: str | None, is_package: bool, shown: str, source: str) -> None:
        self.model = model
        self.module = module
        self.is_package = is_package
        self.shown = shown
        self.source = source

    def summary(self) -> Summary:
        exports: dict[str, Any] = {}
        for name, bindings in self.model.module_scope.bindings.items():
            if len(bindings) == 1:
                exports.update(self._exports(name, bindings[0]))
        stars = [self._absolute_module(node) for node in self.model.module.body if _is_star_import(node)]
        return {"exports": exports, "stars": [star for star in stars if star]}

    def _exports(self, name: str, binding: Binding) -> Iterator[tuple[str, Any]]:
        if binding.kind == "import" and binding.qualname:
            target = absolute_name(binding.qualname, self.module, self.is_package)
            if target:
                yield name, {"kind": "alias", "target": target}
        elif binding.kind == "assign" and binding.value is not None:
            reference = self._reference(binding.value)
            if reference is not None:  # `LIMIT = settings.MAX_TOKENS`: the other module's value
                yield name, {"kind": "alias", "target": reference}
                return
            entry = self._constant(name, binding.value, self.lines.get(("", name)))
            if entry is None:
                entry = self._client(name, binding.value)
            if entry is not None:
                yield name, entry
        elif binding.kind == "def" and isinstance(binding.node, cst.FunctionDef):
            entry = self._function(name, binding.node)
            if entry is not None:
                yield name, entry
        elif binding.kind == "class" and isinstance(binding.node, cst.ClassDef) and binding.node in self.model.classes:
            yield name, {"kind": "class"}
            yield from self._fields(name, self.model.classes[binding.node])

    def _constant(self, name: str, value: cst.BaseExpression, line: int | None, owner: str = "") -> dict[str, Any] | None:
        known = self.model.evaluate(value)
        if not isinstance(known, Known) or not _exportable(known.value):
            return None
        return self.constant_entry(known, name, line, owner)

    def constant_entry(self, known: Known, name: str, line: int | None, owner: str = "") -> dict[str, Any]:
        source = known.source
        if source.kind == "literal":
            source = Source("constant", name)
        elif source.kind == "constant" and line is None:  # a constant of this module, used in a helper
            line = self.lines.get(("", source.name))
        where = source.where or self._where(line)
        return {
            "kind": "constant",
            "value": known.value,
            "certain": known.certain,
            "where": where,
            "source": {"kind": source.kind, "name": source.name, "owner": source.owner or owner},
        }

    def _fields(self, class_name: str, info: ClassInfo) -> Iterator[tuple[str, Any]]:
        for attr, bindings in info.attributes.items():
            if not bindings or bindings[0].scope.kind != "class":
                continue
            known = self.model.evaluator.class_value(info, attr, f"{class_name}.{attr}")
            if isinstance(known, Known) and _exportable(known.value):
                yield f"{class_name}.{attr}", self.constant_entry(known, attr, self.lines.get((class_name, attr)), class_name)

    def _client(self, name: str, value: cst.BaseExpression) -> dict[str, Any] | None:
        clients = self.model.client(value)
        if clients is None or not clients.complete or not clients.configs:
            return None
        return self._client_entry("client", name, clients, None, self.lines.get(("", name)))

    def _function(self, name: str, function: cst.FunctionDef) -> dict[str, Any] | None:
        """A factory, a retry decorator or a helper that calls the SDK; each question is asked
        only of the functions that could be one (a summary is computed for every module)."""
        if self.builds_clients and any(isinstance(r.value, (cst.Call, cst.Name, cst.Attribute)) for r in self.model.facts.returns(function)):
            result = self.model.inference.function_result(function)
            if isinstance(result, ClientSet) and result.complete and result.configs:
                return self._client_entry("factory", f"{name}()", result, function, self.lines.get(("def", name)))
        if function in self.looping and is_retry_decorator(self.model, function):
            return {"kind": "retry-decorator", "where": self._where(self.lines.get(("def", name)))}
        if any(isinstance(r.value, (cst.Dict, cst.Call, cst.Name)) for r in self.model.facts.returns(function)):
            kwargs = self._keyword_arguments(function, self._where(self.lines.get(("def", name))))
            if kwargs is not None:
                return kwargs
        clients = self._client_parameters(function)
        if clients or (self.builds_clients and self.model.call_sites(function.body)):
            return {"kind": "sdk-helper", "where": self._where(self.lines.get(("def", name))), "clients": clients}
        return None

    def _keyword_arguments(self, function: cst.FunctionDef, where: str) -> dict[str, Any] | None:
        """A helper that returns the same keys on every path (`return {"model": MODEL,
        "max_tokens": 8192}`, or a dict filled key by key): the keys, with each value when it is
        one constant on every path."""
        found = self.model.evaluator.returned_items(function)
        if found is None or not found[0]:
            return None
        items, complete = found
        values: dict[str, list[Known | None]] = {}
        exported: dict[str, Any] = {}
        for key, expr in items:
            reference = self._reference(expr)
            if reference is not None and len([k for k, _ in items if k == key]) == 1:
                exported[key] = {"kind": "alias", "target": reference}  # `"max_tokens": MAX_TOKENS` imported
                continue
            known = self.model.evaluate(expr)
            values.setdefault(key, []).append(known if isinstance(known, Known) and _exportable(known.value) else None)
        for key, options in values.items():
            first = options[0]
            same = first is not None and all(o is not None and o.value == first.value and o.source == first.source for o in options)
            if not same or first is None:
                exported[key] = {"kind": "unknown"}
                continue
            # A literal in the dict is told as the helper's own; a constant by its own line.
            line = None if first.source.kind == "constant" else self.lines.get(("def", function.name.value))
            exported[key] = self.constant_entry(first, f"{key} in {function.name.value}()", line)
        return {"kind": "kwargs", "where": where, "items": exported, "complete": complete}

    @cached_property
    def builds_clients(self) -> bool:
        """Only a module that names the SDK (or a declared client class or factory) can build a
        client itself: the text says so before any inference is asked."""
        declared = self.model.inference.sdk_settings
        words = ["anthropic", *(name.rsplit(".", 1)[-1] for name in (*declared.client_classes, *declared.client_factories))]
        return any(word in self.source for word in words)

    @cached_property
    def looping(self) -> set[cst.FunctionDef]:
        """The module-level functions with a loop somewhere inside: the only retry decorators."""
        found = set()
        for loop in self.model.loops:
            outermost = None
            for ancestor in self.model.ancestors(loop):
                if isinstance(ancestor, cst.FunctionDef):
                    outermost = ancestor
            if outermost is not None:
                found.add(outermost)
        return found

    @cached_property
    def generation_calls(self) -> dict[cst.FunctionDef, list[tuple[cst.Call, cst.Name]]]:
        """Generation-shaped calls (`x.messages.create(...)`) by the function that holds them."""
        found: dict[cst.FunctionDef, list[tuple[cst.Call, cst.Name]]] = {}
        for call in self.model.calls:
            root = generation_root(call)
            function = self.model.enclosing_function(call) if root is not None else None
            if root is not None and function is not None:
                found.setdefault(function, []).append((call, root))
        return found

    def _client_parameters(self, function: cst.FunctionDef) -> dict[str, Any]:
        """The parameters the function makes generation calls through (`client.messages.create`
        on a parameter `client`), each with its position and whether some call through it
        provably sets no timeout: a caller's client then waits with its own timeout."""
        positional = [p.name.value for p in (*function.params.posonly_params, *function.params.params)]
        found: dict[str, Any] = {}
        for call, root in self.generation_calls.get(function, ()):
            bindings = self.model.lookup(root.value, self.model.scope_of(root))
            if len(bindings) != 1 or bindings[0].kind != "param" or self.model.enclosing_function(bindings[0].node) is not function:
                continue
            index = positional.index(root.value) if root.value in positional else None
            entry = found.setdefault(root.value, {"index": index, "untimed": False})
            entry["untimed"] = entry["untimed"] or self.model.arguments(call).given("timeout") is False
        return found

    def _client_entry(self, kind: str, label: str, clients: ClientSet, factory: cst.FunctionDef | None, line: int | None) -> dict[str, Any]:
        classes = {config.class_name for config in clients.configs}
        asyncs = {config.is_async for config in clients.configs}
        settings = self.model.settings
        entry: dict[str, Any] = {
            "kind": kind,
            "label": label,
            "class": classes.pop() if len(classes) == 1 else "client",
            "async": asyncs.pop() if len(asyncs) == 1 else None,
            "where": self._where(line),
        }
        for keyword, read in (("timeout", settings.client_timeout), ("max_retries", settings.client_max_retries)):
            setting = settings.clients_setting(clients, read)
            entry[keyword] = self._setting(setting, self._parameter(clients.configs, keyword, factory))
            expressions = clients.configs[0].arguments.expressions(keyword) if len(clients.configs) == 1 else []
            reference = self._reference(expressions[0]) if len(expressions) == 1 and not setting.known else None
            if reference is not None:  # `timeout=settings.TIMEOUT`: read where the client is used
                entry[keyword]["ref"] = reference
        return entry

    def _reference(self, expr: cst.BaseExpression) -> str | None:
        """The absolute name of what `expr` imports (`TIMEOUT`, `settings.TIMEOUT`), if anything."""
        if not isinstance(expr, (cst.Name, cst.Attribute)):
            return None
        named = self.model.qualified_name(expr)
        if named is None or named.startswith("builtins.") or named.split(".")[0] == "anthropic":
            return None
        return absolute_name(named, self.module, self.is_package)

    def _setting(self, setting: Setting, parameter: tuple[str, int | None] | None) -> dict[str, Any]:
        source = setting.source
        value = setting.value if setting.known and (setting.value is None or is_number(setting.value)) else None
        raw: dict[str, Any] = {
            "known": setting.known and (setting.value is None or is_number(setting.value)),
            "value": value,
            "certain": setting.certain,
            "where": source.where or (self._where(None) if source.kind not in ("sdk-default", "unknown") else ""),
            "source": {"kind": source.kind, "name": source.name, "owner": source.owner},
        }
        if parameter is not None:
            raw["param"], raw["index"] = parameter
        return raw

    def _parameter(self, configs: tuple[ClientConfig, ...], keyword: str, factory: cst.FunctionDef | None) -> tuple[str, int | None] | None:
        """The factory's parameter the client's `keyword` is passed from (`timeout=timeout`),
        with its position, so that a caller's own value can replace the default."""
        if factory is None or len(configs) != 1 or configs[0].external is not None:
            return None
        expressions = configs[0].arguments.expressions(keyword)
        if len(expressions) != 1 or not isinstance(expressions[0], cst.Name):
            return None
        name = expressions[0].value
        bindings = self.model.lookup(name, self.model.scope_of(expressions[0]))
        if len(bindings) != 1 or bindings[0].kind != "param" or self.model.enclosing_function(bindings[0].node) is not factory:
            return None
        params = list(factory.params.posonly_params) + list(factory.params.params)
        index = next((i for i, p in enumerate(params) if p.name.value == name), None)
        return name, index

    def _absolute_module(self, node: cst.BaseStatement | cst.BaseSmallStatement) -> str | None:
        assert isinstance(node, cst.SimpleStatementLine) and isinstance(node.body[0], cst.ImportFrom)
        statement = node.body[0]
        relative = "." * len(statement.relative) + (dotted(statement.module) if statement.module else "")
        return absolute_name(relative, self.module, self.is_package)

    def _where(self, line: int | None) -> str:
        return f"{self.shown}:{line}" if line is not None else self.shown

    @cached_property
    def lines(self) -> dict[tuple[str, str], int]:
        """Lines of module-level assignments (`("", name)`), functions (`("def", name)`) and
        class-level assignments (`(class, name)`), read from the text: a position pass over the
        whole tree would cost twice the parse, for a line number in a message."""
        found: dict[tuple[str, str], int] = {}
        line, offset, current_class = 1, 0, ""
        for match in _DEFINITION.finditer(self.source):
            line += self.source.count("\n", offset, match.start())
            offset = match.start()
            indent, keyword = match.group("indent"), match.group("keyword")
            name = match.group("name") or match.group("assigned")
            if keyword == "class" and not indent:
                current_class = name
            elif keyword in ("def", "async def") and not indent:
                found.setdefault(("def", name), line)
                current_class = ""
            elif not keyword and not indent:
                found.setdefault(("", name), line)
                current_class = ""
            elif not keyword and current_class:
                found.setdefault((current_class, name), line)
        return found


_DEFINITION = re.compile(
    r"^(?P<indent>[ \t]*)(?:(?P<keyword>class|def|async def)[ \t]+(?P<name>\w+)|(?P<assigned>\w+)[ \t]*(?::[^=\n]*)?=(?!=))",
    re.MULTILINE,
)


def _is_star_import(node: cst.CSTNode) -> bool:
    return (
        isinstance(node, cst.SimpleStatementLine)
        and len(node.body) == 1
        and isinstance(node.body[0], cst.ImportFrom)
        and isinstance(node.body[0].names, cst.ImportStar)
    )


def _exportable(value: object) -> bool:
    if value is None or isinstance(value, bool):
        return True
    if is_number(value):
        return math.isfinite(value)  # JSON has no NaN or infinity
    return isinstance(value, str) and len(value) <= MAX_TEXT
