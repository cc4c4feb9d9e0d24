"""The SDK model: the one place rules, the inventory and live-check read a module's SDK facts.

It is a facade over the layers: the module's structure and values (auditor.analysis), the SDK's
clients plugged into the inference (sdk.inference), and one component per kind of fact: calls
(sdk.calls), handlers (sdk.handlers), settings in force (sdk.settings), retries (sdk.retries)
and the worst case (sdk.worst_case). Every answer is worked out on demand and memoised, so a
module without SDK calls pays only for the first pass.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from functools import cached_property

import libcst as cst
from libcst.metadata import CodeRange

from auditor.analysis.evaluate import Arguments
from auditor.analysis.external import External
from auditor.analysis.infer import Value
from auditor.analysis.module import ModuleFacts
from auditor.analysis.scopes import Binding, ClassInfo, Scope
from auditor.analysis.values import Known, Unknown
from auditor.config import SdkSettings
from auditor.sdk import worst_case as costs
from auditor.sdk.calls import Calls
from auditor.sdk.facts import CallSite, Caught, ClientConfig, ClientSet, RemoteCall, Retry, SdkCall, Setting, WorstCase
from auditor.sdk.handlers import Handlers
from auditor.sdk.inference import SdkInference
from auditor.sdk.settings import SettingsInForce
from auditor.sdk.versions import CURRENT, release

Handler = cst.ExceptHandler | cst.ExceptStarHandler


class SdkModel:
    """Facts about one module's use of the SDK, computed once and shared by every rule."""

    def __init__(
        self,
        module: cst.Module,
        path: str = "<module>",
        sdk: SdkSettings | None = None,
        retry_decorators: Sequence[str] = (),
        sdk_version: str = CURRENT,
        external: External | None = None,
        facts: ModuleFacts | None = None,
    ) -> None:
        self.facts = facts if facts is not None else ModuleFacts(module, path)
        self.sdk_version = sdk_version
        self.release = release(sdk_version)  # the facts of the SDK version the project targets
        self.inference = SdkInference(self.facts, sdk or SdkSettings(), self.release, external)
        self.external = external
        self.evaluator = self.inference.evaluator
        self.retry_decorators = tuple(retry_decorators)
        self.generation = Calls(self)
        self.handling = Handlers(self)
        self.settings = SettingsInForce(self)

    # -- the module ----------------------------------------------------------------------------

    @property
    def path(self) -> str:
        return self.facts.path

    @property
    def module(self) -> cst.Module:
        return self.facts.module

    @property
    def calls(self) -> list[cst.Call]:
        return self.facts.calls

    @property
    def tries(self) -> list[cst.Try | cst.TryStar]:
        return self.facts.tries

    @property
    def loops(self) -> list[cst.For | cst.While]:
        return self.facts.loops

    @property
    def functions(self) -> list[cst.FunctionDef]:
        return self.facts.functions

    @property
    def scopes(self) -> dict[cst.CSTNode, Scope]:
        return self.facts.scopes

    @property
    def classes(self) -> dict[cst.ClassDef, ClassInfo]:
        return self.facts.classes

    @property
    def parents(self) -> dict[cst.CSTNode, cst.CSTNode]:
        return self.facts.parents

    @property
    def module_scope(self) -> Scope:
        return self.facts.module_scope

    def position(self, node: cst.CSTNode) -> CodeRange:
        return self.facts.position(node)

    def line(self, node: cst.CSTNode) -> int:
        return self.facts.line(node)

    def code(self, node: cst.CSTNode) -> str:
        return self.facts.code(node)

    def ancestors(self, node: cst.CSTNode) -> Iterator[cst.CSTNode]:
        return self.facts.ancestors(node)

    def scope_of(self, node: cst.CSTNode) -> Scope:
        return self.facts.scope_of(node)

    def enclosing_function(self, node: cst.CSTNode) -> cst.FunctionDef | None:
        return self.facts.enclosing_function(node)

    def function_name(self, node: cst.CSTNode) -> str:
        return self.facts.function_name(node)

    def lookup(self, name: str, scope: Scope) -> list[Binding]:
        return self.facts.lookup(name, scope)

    def calls_inside(self, node: cst.CSTNode) -> list[cst.Call]:
        return self.facts.calls_inside(node)

    # -- values --------------------------------------------------------------------------------

    def infer(self, expr: cst.BaseExpression) -> Value | None:
        return self.inference.infer(expr)

    def qualified_name(self, expr: cst.BaseExpression) -> str | None:
        return self.inference.qualified_name(expr)

    def evaluate(self, expr: cst.BaseExpression, depth: int = 0) -> Known | Unknown:
        return self.evaluator.evaluate(expr, depth)

    def arguments(self, call: cst.Call) -> Arguments:
        return self.evaluator.arguments(call)

    # -- clients and calls ---------------------------------------------------------------------

    def client(self, expr: cst.BaseExpression) -> ClientSet | None:
        return self.inference.client(expr)

    @cached_property
    def client_configs(self) -> list[ClientConfig]:
        """Every client construction and derivation in the module, in source order."""
        for call in self.facts.calls:
            self.inference.infer(call)
        configs = self.inference.configs
        return [configs[call] for call in self.facts.calls if call in configs]

    @property
    def sdk_calls(self) -> list[SdkCall]:
        """Every generation call through a recognised client, in source order: what rules judge."""
        return self.generation.sdk_calls

    @property
    def remote_calls(self) -> list[RemoteCall]:
        return self.generation.remote_calls

    @property
    def unresolved_calls(self) -> list[SdkCall]:
        return self.generation.unresolved_calls

    def streamed(self, call: SdkCall) -> bool | None:
        return self.generation.streamed(call)

    def non_streamed(self, threshold: int) -> Iterator[tuple[SdkCall, Known]]:
        return self.generation.non_streamed(threshold)

    def max_tokens(self, call: SdkCall) -> Known | Unknown:
        return self.generation.max_tokens(call)

    def model_name(self, call: SdkCall) -> str | None:
        return self.generation.model_name(call)

    def is_async(self, call: SdkCall) -> bool:
        return self.generation.is_async(call)

    def call_sites(self, node: cst.CSTNode) -> list[CallSite]:
        return self.generation.call_sites(node)

    def call_sites_anywhere(self) -> list[CallSite]:
        return self.generation.call_sites_anywhere()

    # -- exceptions ----------------------------------------------------------------------------

    def caught(self, handler: Handler) -> list[Caught]:
        return self.handling.caught(handler)

    def caught_in(self, expr: cst.BaseExpression, depth: int = 0) -> list[Caught]:
        return self.handling.caught_in(expr, depth)

    def shadows(self, handler: Handler) -> list[tuple[Caught, tuple[cst.CSTNode, Caught] | None]]:
        return self.handling.shadows(handler)

    def unreachable(self, handler: Handler) -> bool:
        return self.handling.unreachable(handler)

    def handlers_around(self, node: cst.CSTNode) -> list[tuple[Handler, list[Caught]]]:
        return self.handling.handlers_around(node)

    def catches_sdk_errors(self, handler: Handler) -> bool:
        return self.handling.catches_sdk_errors(handler)

    # -- retries -------------------------------------------------------------------------------

    @cached_property
    def retries(self) -> list[Retry]:
        """Every retry around SDK calls: hand-rolled loops, recursion, decorators, tenacity loops."""
        from auditor.sdk.retries import find_retries

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

    def sdk_retries_off(self, retry: Retry) -> bool:
        from auditor.sdk.retries import sdk_retries_off

        return sdk_retries_off(self, retry)

    def sdk_attempts_under(self, retry: Retry) -> int | None:
        from auditor.sdk.retries import sdk_attempts_under

        return sdk_attempts_under(self, retry)

    # -- settings in force and the worst case ----------------------------------------------------

    def client_timeout(self, config: ClientConfig) -> Setting:
        return self.settings.client_timeout(config)

    def client_max_retries(self, config: ClientConfig) -> Setting:
        return self.settings.client_max_retries(config)

    def call_timeout(self, call: SdkCall) -> Setting | None:
        return self.settings.call_timeout(call)

    def settings_in_force(self, call: SdkCall) -> tuple[Setting, Setting]:
        return self.settings.settings_in_force(call)

    def sdk_attempts(self, call: SdkCall) -> int | None:
        return self.settings.sdk_attempts(call)

    def constructions_without(self, config: ClientConfig, keyword: str) -> list[ClientConfig]:
        return self.settings.constructions_without(config, keyword)

    def written_here(self, config: ClientConfig, keyword: str) -> bool:
        return self.settings.written_here(config, keyword)

    def worst_case(self, call: SdkCall) -> WorstCase:
        return costs.worst_case(self, call)

    def refusal(self, call: SdkCall) -> costs.Refusal | None:
        return costs.refusal(self, call)

    def refused_by_newer_sdk(self, call: SdkCall) -> costs.Refusal | None:
        """What the newest SDK would refuse of a call the target version sends (an SDK from
        before the guard): None when the target refuses it too, or nothing would."""
        if self.release.refuses_long_nonstreamed:
            return None
        return costs.refusal(self, call, release())
