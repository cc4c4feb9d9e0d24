"""SDK clients, plugged into the generic inference: `Anthropic(...)` and its relatives build a
client, `client.with_options(...)` derives one, `client.beta.messages` is a resource of it, an
annotation `client: Anthropic` promises one of unknown settings, and a declared factory returns
one. Several possible clients merge into a set that says whether it is complete."""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst

from auditor.analysis.evaluate import Evaluator
from auditor.analysis.external import Entry, External, constant
from auditor.analysis.infer import ImportedCall, Inference, QName, Value
from auditor.analysis.module import ModuleFacts
from auditor.analysis.values import Known, Source, is_number
from auditor.config import SdkSettings
from auditor.sdk import table
from auditor.sdk.facts import ClientConfig, ClientSet, ExternalClient, Resource, Setting, unknown_setting
from auditor.sdk.versions import Release, release


def sdk_export(qualname: str) -> str | None:
    """`RateLimitError` for `anthropic.RateLimitError`, `anthropic._exceptions.RateLimitError`,
    `anthropic.lib.bedrock.AnthropicBedrock`...: the SDK re-exports everything at the top."""
    if not qualname.startswith(f"{table.SDK_MODULE}."):
        return None
    return qualname.rsplit(".", 1)[-1]


class SdkInference(Inference):
    def __init__(self, facts: ModuleFacts, sdk_settings: SdkSettings, sdk: Release | None = None, external: External | None = None) -> None:
        super().__init__(facts, external)
        self.sdk_settings = sdk_settings
        self.sdk = sdk or release()
        self.evaluator = Evaluator(facts, self)
        self.configs: dict[cst.Call, ClientConfig] = {}
        self._imported: dict[QName | ImportedCall, ClientSet | None] = {}

    def client_class(self, qualname: str) -> tuple[str, bool | None] | None:
        """(class name, is_async) when `qualname` names a client class of the target SDK version
        or a declared one."""
        name = sdk_export(qualname)
        if name is not None and name in self.sdk.client_classes:
            return name, self.sdk.client_classes[name]
        if qualname in self.sdk_settings.client_classes:
            return qualname.rsplit(".", 1)[-1], None
        return None

    def client(self, expr: cst.BaseExpression) -> ClientSet | None:
        value = self.infer(expr)
        return value if isinstance(value, ClientSet) else None

    # -- the hooks -----------------------------------------------------------------------------

    def call_result(self, call: cst.Call, func: Value | None) -> Value | None:
        if isinstance(func, QName):
            if self.client_class(func.name) is not None:
                return ClientSet((self._client_config(call, func.name, None),), True)
            if func.name in self.sdk_settings.client_factories:
                return ClientSet((), False)
            return None
        if isinstance(func, Resource) and len(func.path) == 1 and func.path[0] in table.CLIENT_DERIVERS:
            return ClientSet((self._client_config(call, None, func.clients),), True)
        return None

    def member(self, base: Value, attr: str) -> Value | None:
        if isinstance(base, (QName, ImportedCall)):
            clients = self.imported_client(base) if attr in table.CLIENT_ENTRY_ATTRIBUTES else None
            return Resource(clients, (attr,)) if clients is not None else None
        if isinstance(base, ClientSet):
            return Resource(base, (attr,))
        if isinstance(base, Resource):
            return Resource(base.clients, (*base.path, attr))
        return None

    def annotated(self, annotation: Value | None) -> Value | None:
        if isinstance(annotation, QName) and self.client_class(annotation.name) is not None:
            return ClientSet((), False)
        return None

    def union(self, values: Sequence[Value | None], strict: bool) -> Value | None:
        """Clients merge (incomplete if some path is unknown, unless `strict`); resources merge
        when their paths agree; anything else must agree exactly."""
        if any(isinstance(v, (ClientSet, Resource)) for v in values):
            values = [self._maybe_client(v) for v in values]
        clients = [v for v in values if isinstance(v, ClientSet)]
        if clients:
            merged = _merge_all(clients)
            if len(clients) != len(values):
                if strict and any(v is not None for v in values if not isinstance(v, ClientSet)):
                    return None
                merged = ClientSet(merged.configs, False)
            return merged
        resources = [v for v in values if isinstance(v, Resource)]
        unknown = len(values) - len(resources)
        if resources and (unknown == 0 or (not strict and all(v is None for v in values if not isinstance(v, Resource)))):
            paths = {r.path for r in resources}
            merged_clients = _merge_all([r.clients for r in resources])
            if unknown:  # some path gives something unknown: the clients are not all known
                merged_clients = ClientSet(merged_clients.configs, False)
            if len(paths) == 1:
                return Resource(merged_clients, resources[0].path)
            if all(tuple(x for x in p if x != "beta") == ("messages",) for p in paths):
                # `client.beta.messages if beta else client.messages`: both generate the same way.
                return Resource(merged_clients, ("messages",))
            return None
        return super().union(values, strict)

    def _maybe_client(self, value: Value | None) -> Value | None:
        """An imported client among clients (`client or default_client`) is that client."""
        if isinstance(value, (QName, ImportedCall)):
            return self.imported_client(value) or value
        return value

    def imported_client(self, value: QName | ImportedCall) -> ClientSet | None:
        """A client another module of the project builds: a module-level client it exports
        (`clients.default`), or what its factory returns (`make_client(...)`)."""
        if value not in self._imported:
            self._imported[value] = self._read_imported_client(value)
        return self._imported[value]

    @property
    def imports_clients(self) -> bool:
        """Has this module been found to use a client another module builds?"""
        return any(clients is not None for clients in self._imported.values())

    def _read_imported_client(self, value: QName | ImportedCall) -> ClientSet | None:
        factory = isinstance(value, ImportedCall)
        qualname = value.qualname if isinstance(value, ImportedCall) else value.name
        if self.external is None or not self.in_project(qualname):
            return None
        entry = self.external.entry(qualname)
        if entry is None or entry.get("kind") != ("factory" if factory else "client"):
            return None
        call = value.call if isinstance(value, ImportedCall) else None
        client = ExternalClient(
            entry["label"], entry["where"], self._imported_setting(entry["timeout"], call), self._imported_setting(entry["max_retries"], call)
        )
        node = call if call is not None else cst.Call(cst.Name(qualname.rsplit(".", 1)[-1]))  # a placeholder
        arguments = self.evaluator.arguments(cst.Call(cst.Name("_")))
        config = ClientConfig(node, entry["class"], entry["async"], None, arguments, client)
        return ClientSet((config,), True)

    def _imported_setting(self, raw: Entry, call: cst.Call | None) -> Setting:
        """A setting as the other module's summary gives it; a factory's parameter default is
        replaced by what this call passes for the parameter."""
        param = raw.get("param")
        if param and call is not None:
            if any(arg.star for arg in call.args):
                return unknown_setting(f"{param} may be passed through *args or **kwargs", call)
            passed = [a.value for a in call.args if a.keyword is not None and a.keyword.value == param]
            positional = [a.value for a in call.args if a.keyword is None]
            index = raw.get("index")
            if not passed and isinstance(index, int) and index < len(positional):
                passed = [positional[index]]
            if passed:
                return self._passed_setting(passed[0])
        reference = raw.get("ref")
        if reference and self.external is not None:  # `timeout=settings.TIMEOUT` in the other module
            value = constant(self.external.entry(reference))
            if value is not None and (value.value is None or is_number(value.value)):
                return Setting(value.value, value.source, True, value.certain)
        source = Source(raw["source"]["kind"], raw["source"]["name"], raw["source"]["owner"], where=raw["where"])
        return Setting(raw["value"], source, raw["known"], raw["certain"])

    def _passed_setting(self, expr: cst.BaseExpression) -> Setting:
        value = self.evaluator.evaluate(expr)
        if not isinstance(value, Known) or not (value.value is None or isinstance(value.value, (int, float))):
            return unknown_setting("passed a value that is not a constant", expr)
        number = value.value
        if isinstance(number, bool):
            return unknown_setting("not a number", expr)
        return Setting(number, value.source, True, value.certain, expr)

    def _client_config(self, call: cst.Call, qualname: str | None, parent: ClientSet | None) -> ClientConfig:
        config = self.configs.get(call)
        if config is None:
            if parent is not None:
                names = {c.class_name for c in parent.configs}
                class_name = names.pop() if len(names) == 1 else "client"
                asyncs = {c.is_async for c in parent.configs}
                is_async = asyncs.pop() if len(asyncs) == 1 and parent.complete else None
            else:
                assert qualname is not None
                class_name, is_async = self.client_class(qualname) or (qualname, None)
            config = ClientConfig(call, class_name, is_async, parent, self.evaluator.arguments(call))
            self.configs[call] = config
        return config


def _merge_all(sets: list[ClientSet]) -> ClientSet:
    merged = sets[0]
    for other in sets[1:]:
        merged = merged.merge(other)
    return merged
