"""The settings in force for a client and a call, in the SDK's order (per call, then the client,
then what it derives from, then the SDK's default), each with where it came from: `timeout=`
(seconds, None, a Timeout object, an http client's own) and `max_retries=`."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import libcst as cst

from auditor.analysis.evaluate import Arguments
from auditor.analysis.values import SDK_DEFAULT, Known, Source, Unknown, is_number
from auditor.sdk import table
from auditor.sdk.facts import ClientConfig, ClientSet, SdkCall, Setting, unknown_setting

if TYPE_CHECKING:
    from auditor.sdk.model import SdkModel


class SettingsInForce:
    def __init__(self, model: SdkModel) -> None:
        self.facts = model.facts
        self.inference = model.inference
        self.evaluator = model.evaluator

    def timeout_of(self, expr: cst.BaseExpression) -> Setting:
        """A `timeout=` value: seconds, None (disabled), or not known."""
        value = self.evaluator.evaluate(expr)
        if expr in self.evaluator.synthetic:  # from another module's helper: nothing here to point at
            if isinstance(value, Known) and (value.value is None or is_number(value.value)):
                return Setting(None if value.value is None else float(value.value), value.source, True, value.certain)
            return unknown_setting(value.reason if isinstance(value, Unknown) else "not a number")
        if isinstance(value, Known):
            if value.value is None:
                return Setting(None, value.source, True, value.certain, expr)
            if isinstance(value.value, (int, float)) and is_number(value.value):
                return Setting(float(value.value), value.source, True, value.certain, expr)
            return unknown_setting("not a number", expr)
        if isinstance(expr, cst.Call) and self.inference.qualified_name(expr.func) in table.TIMEOUT_CLASSES:
            return self._timeout_object(expr)
        if isinstance(expr, cst.Name):
            bindings = self.facts.lookup(expr.value, self.facts.scope_of(expr))
            if len(bindings) == 1 and bindings[0].kind == "assign" and bindings[0].value is not None:
                inner = self.timeout_of(bindings[0].value)
                if inner.known:
                    return Setting(inner.value, Source("constant", expr.value), True, inner.certain, expr)
        if isinstance(expr, cst.Attribute) and self.inference.qualified_name(expr) == f"{table.SDK_MODULE}.DEFAULT_TIMEOUT":
            return Setting(table.DEFAULT_TIMEOUT_SECONDS, Source("sdk-constant", "anthropic.DEFAULT_TIMEOUT"), True, node=expr)
        return unknown_setting(value.reason if isinstance(value, Unknown) else "unknown", expr)

    def _timeout_object(self, call: cst.Call) -> Setting:
        """`httpx.Timeout(60, connect=5)`: the read timeout is what bounds waiting for the model."""
        positional = [a.value for a in call.args if a.keyword is None and not a.star]
        keywords = {a.keyword.value: a.value for a in call.args if a.keyword is not None}
        if any(a.star for a in call.args):
            return unknown_setting("Timeout(**...)", call)
        read_expr = keywords.get("read", keywords.get("timeout", positional[0] if positional else None))
        if read_expr is None:
            return unknown_setting("Timeout() without a read timeout", call)
        read = self.evaluator.evaluate(read_expr)
        if isinstance(read, Known) and (read.value is None or (isinstance(read.value, (int, float)) and is_number(read.value))):
            value = None if read.value is None else float(read.value)
            return Setting(value, Source("timeout-object", self.facts.code(call)), True, read.certain, call)
        return unknown_setting("Timeout with a value that is not a constant", call)

    def given(self, arguments: Arguments, keyword: str) -> bool | None:
        """`Arguments.given`, where passing the SDK's own "not given" (`NOT_GIVEN`, `NotGiven()`,
        `omit`) counts as not passing it: the SDK then applies what it would without it."""
        given = arguments.given(keyword)
        if given and all(self._not_given(expr) for expr in arguments.expressions(keyword)):
            return False
        return given

    def _not_given(self, expr: cst.BaseExpression) -> bool:
        from auditor.sdk.inference import sdk_export

        func = expr.func if isinstance(expr, cst.Call) and not expr.args else expr
        name = self.inference.qualified_name(func)
        return name is not None and sdk_export(name) in table.NOT_GIVEN_NAMES

    def client_timeout(self, config: ClientConfig) -> Setting:
        """The timeout a client was built with, falling back as the SDK does."""
        if config.external is not None:
            return config.external.timeout
        given = self.given(config.arguments, "timeout")
        if given:
            return self._single_setting(config.arguments, "timeout", self.timeout_of)
        if given is None:
            return unknown_setting("may be passed through **kwargs", config.node)
        if config.parent is not None:
            return self.clients_setting(config.parent, self.client_timeout)
        http_client = config.arguments.given("http_client")
        if http_client:
            return self._http_client_timeout(config.arguments.expressions("http_client"))
        if http_client is None:
            return unknown_setting("http_client may be passed through **kwargs", config.node)
        return Setting(table.DEFAULT_TIMEOUT_SECONDS, SDK_DEFAULT)

    def _http_client_timeout(self, expressions: list[cst.BaseExpression]) -> Setting:
        if len(expressions) != 1 or not isinstance(expressions[0], cst.Call):
            return unknown_setting("http_client is not built here")
        call = expressions[0]
        name = self.inference.qualified_name(call.func)
        if name not in table.HTTP_CLIENT_CLASSES:
            return unknown_setting("http_client is not a known http client", call)
        arguments = self.evaluator.arguments(call)
        if arguments.given("timeout"):
            setting = self._single_setting(arguments, "timeout", self.timeout_of)
            # The SDK keeps its own default when the http client's equals httpx's (5 s).
            if not (setting.known and setting.value == table.HTTPX_DEFAULT_TIMEOUT_SECONDS and name.startswith("httpx")):
                source = Source("http-client", inner=setting.source) if setting.known else setting.source
                return Setting(setting.value, source, setting.known, setting.certain, setting.node)
        return Setting(table.DEFAULT_TIMEOUT_SECONDS, SDK_DEFAULT)

    def client_max_retries(self, config: ClientConfig) -> Setting:
        if config.external is not None:
            return config.external.max_retries
        given = self.given(config.arguments, "max_retries")
        if given:
            return self._single_setting(config.arguments, "max_retries", self._retries_of)
        if given is None:
            return unknown_setting("may be passed through **kwargs", config.node)
        if config.parent is not None:
            return self.clients_setting(config.parent, self.client_max_retries)
        return Setting(table.DEFAULT_MAX_RETRIES, SDK_DEFAULT)

    def _retries_of(self, expr: cst.BaseExpression) -> Setting:
        value = self.evaluator.evaluate(expr)
        node = None if expr in self.evaluator.synthetic else expr
        if isinstance(value, Known) and isinstance(value.value, int) and not isinstance(value.value, bool):
            return Setting(value.value, value.source, True, value.certain, node)
        return unknown_setting(value.reason if isinstance(value, Unknown) else "not an integer", node)

    def _single_setting(self, arguments: Arguments, name: str, read: Callable[[cst.BaseExpression], Setting]) -> Setting:
        expressions = arguments.expressions(name)
        settings = [read(expr) for expr in expressions]
        if len(settings) == 1:
            return settings[0]
        if all(s.known for s in settings) and len({s.value for s in settings}) == 1:
            return settings[0]
        return unknown_setting(f"{name} takes several values", expressions[0])

    def clients_setting(self, parent: ClientSet, read: Callable[[ClientConfig], Setting]) -> Setting:
        if not parent.complete or not parent.configs:
            return unknown_setting("the client is not known")
        settings = [read(config) for config in parent.configs]
        unknown = [s for s in settings if not s.known]
        if unknown:
            return unknown[0]
        if len({s.value for s in settings}) == 1:
            return settings[0]
        return unknown_setting("the clients it may be differ")

    def settings_in_force(self, call: SdkCall) -> tuple[Setting, Setting]:
        """(timeout, max_retries) for one call, in the SDK's order: per call, client, default."""
        timeout = self.call_timeout(call)
        if timeout is None:
            timeout = self.clients_setting(call.clients, self.client_timeout)
        return timeout, self.clients_setting(call.clients, self.client_max_retries)

    def sdk_attempts(self, call: SdkCall) -> int | None:
        """Requests the SDK itself may send for one call: max_retries + 1, when known."""
        _, retries = self.settings_in_force(call)
        return retries.value + 1 if retries.known and isinstance(retries.value, int) else None

    def constructions_without(self, config: ClientConfig, keyword: str) -> list[ClientConfig]:
        """The constructions behind `config` reached through derivations that never set `keyword`.

        `client.with_options(max_retries=0)` sets max_retries but not timeout: a call through it
        still waits with the timeout of the `Anthropic(...)` it derives from."""
        if config.external is not None:
            return [config]
        if self.given(config.arguments, keyword) is not False:
            return []
        if config.parent is None:
            return [config]
        return [root for parent in config.parent.configs for root in self.constructions_without(parent, keyword)]

    def call_timeout(self, call: SdkCall) -> Setting | None:
        """The per-call `timeout=`, or None when the call passes none (provably)."""
        given = self.given(call.arguments, "timeout")
        if given is False:
            return None
        if given is None:
            return unknown_setting("may be passed through **kwargs", call.node)
        return self._single_setting(call.arguments, "timeout", self.timeout_of)

    def written_here(self, config: ClientConfig, keyword: str) -> bool:
        """Was `keyword` given to this construction (directly or through `**kwargs` a helper
        builds), rather than inherited from the client it derives from? An inherited None is
        reported once, where it was written."""
        if config.external is not None:
            return False  # reported in the module that wrote it
        return config.parent is None or self.given(config.arguments, keyword) is True
