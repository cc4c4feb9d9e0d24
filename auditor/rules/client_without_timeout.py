from __future__ import annotations

import math
from collections.abc import Iterator
from typing import TYPE_CHECKING

from auditor.findings import Severity
from auditor.rule import Report, Rule
from auditor.rules.wording import attempts_wait, format_seconds, guard_version, plural
from auditor.analysis.values import Known
from auditor.sdk.table import DEFAULT_TIMEOUT_SECONDS, nonstreaming_estimate
from auditor.sdk.versions import show_version

if TYPE_CHECKING:
    from auditor.sdk.facts import ClientConfig, RemoteCall, SdkCall, WorstCase
    from auditor.sdk.model import SdkModel


class ClientWithoutTimeout(Rule):
    """An SDK client built without `timeout=` while a call through it sets none either.

    ## What it does
    Reports an `Anthropic(...)` (or `AsyncAnthropic`, `AnthropicBedrock`, `AnthropicVertex`, ...)
    construction that passes no `timeout=` and no `http_client=` with a timeout of its own, when
    at least one generation call that goes through that client passes no `timeout=` either.

    ## Why is this bad?
    The SDK's default timeout is 600 seconds per attempt, and it retries twice by default: one
    request whose connection stalls can hold a worker for up to 30 minutes. Most services want
    an answer, or an error they can handle, within a minute or two.

    A client without a timeout is fine when every call through it sets its own
    (`timeout=20` on each call, or `client.with_options(timeout=20)`): this rule only fires when
    it sees a call that really runs with the default. A client built in another module of the
    project (a factory in `utils.py`, a module-level client) is reported where it enters this
    module, naming where it is built; a client handed to another module's helper that calls
    through it without a timeout is reported here too. A client whose calls auditor cannot see
    (outside the project, or passed to code it cannot follow) is not reported.

    ## Example
    ```python
    client = anthropic.Anthropic()
    client.messages.create(model=MODEL, max_tokens=1024, messages=messages)
    ```

    Use instead:
    ```python
    client = anthropic.Anthropic(timeout=60.0)
    client.messages.create(model=MODEL, max_tokens=1024, messages=messages)
    ```

    ## Fix safety
    The fix is unsafe (applied with `--unsafe-fixes`): it adds `timeout=` with `fix-timeout`
    (600 s by default, the SDK's own default), or with the SDK's own estimate for the largest
    non-streamed max_tokens sent through the client when that is longer. With a timeout of
    its own the client no longer gets the SDK's refusal of very long non-streamed calls
    (ANT102), and a lower `fix-timeout` makes slow requests fail sooner. Only the SDK's own
    client classes get the fix.

    ## Options
    - `fix-timeout` (default 600.0): the seconds the fix writes.

    ## References
    - Anthropic Python SDK, "Timeouts": `timeout=` on the client, `with_options`, or per request.
    """

    code = "ANT401"
    name = "client-without-timeout"
    severity = Severity.WARNING
    summary = "An SDK client built without `timeout=` while a call through it sets none either"
    options = ("fix-timeout",)
    fix_safety = "unsafe"

    def check(self, model: SdkModel) -> Iterator[Report]:
        from auditor.fix.ant40x_timeout import add_timeout_fix

        first_call: dict[ClientConfig, SdkCall] = {}
        for call in model.sdk_calls:
            if model.call_timeout(call) is not None:
                continue  # the call sets its own timeout (or may, through **kwargs)
            for config in call.clients.configs:
                for root in model.constructions_without(config, "timeout"):
                    first_call.setdefault(root, call)
        # A client handed to a helper of another module that calls through it with no timeout.
        first_remote: dict[ClientConfig, RemoteCall] = {}
        for remote in model.remote_calls:
            if remote.untimed:
                for config in remote.clients.configs:
                    for root in model.constructions_without(config, "timeout"):
                        if root not in first_call:
                            first_remote.setdefault(root, remote)
        for config, remote in first_remote.items():
            if model.client_timeout(config).sdk_default and model.facts.located(config.node):
                yield Report(
                    config.node,
                    f"{_name(config)} and the call through {remote.via} on line {model.line(remote.node)} ({remote.where}) "
                    f"set no timeout: each attempt can wait {format_seconds(DEFAULT_TIMEOUT_SECONDS)} (the SDK default)",
                    add_timeout_fix(model, config, self.settings.fix_timeout),
                    f"Pass timeout= to the client, e.g. {config.class_name}(timeout=60.0), or to every call",
                )
        for config, call in first_call.items():
            if not model.client_timeout(config).sdk_default:
                continue
            # A client another module builds is reported where it enters this module (the call
            # of its factory), or at the call when it is imported ready-made.
            node = config.node if model.facts.located(config.node) else call.node
            yield Report(
                node,
                f"{_name(config)} and the call on line {model.line(call.node)} set no timeout: {_in_all(model.worst_case(call))}",
                add_timeout_fix(model, config, self.settings.fix_timeout),
                _advice(model, config, call),
            )


def _name(config: ClientConfig) -> str:
    """`Anthropic()`, or for a client built elsewhere `make_client() (Anthropic(), app/clients.py:8)`."""
    if config.external is None:
        return f"{config.class_name}()"
    return f"{config.external.label} ({config.class_name}(), {config.external.where})"


def _advice(model: SdkModel, config: ClientConfig, call: SdkCall) -> str:
    """A timeout that fits the call: above how long a long non-streamed answer can take (a
    shorter one turns it into timeouts and re-generations), or stream first. From 0.47.0 on that
    is the SDK's own estimate; older SDKs make none, so the figure is told as the rate newer
    ones assume."""
    example = 60
    tokens = model.max_tokens(call) if model.streamed(call) is False else None
    if isinstance(tokens, Known) and isinstance(tokens.value, (int, float)):
        estimate = nonstreaming_estimate(tokens.value)
        size = f"max_tokens={tokens.value:,}"
        if model.release.refuses_long_nonstreamed:
            expects = f"the SDK expects {size} to take up to {format_seconds(estimate)} unstreamed"
            above = f"the SDK's estimate of {format_seconds(estimate)} for {size}"
        else:
            rate = f"SDK {show_version(model.release.version)} makes no estimate; {guard_version()} and later assume 128,000 tokens an hour"
            expects = f"{size} can take up to {format_seconds(estimate)} unstreamed: {rate}"
            above = f"{format_seconds(estimate)}, what {size} can take unstreamed ({rate})"
        if estimate > DEFAULT_TIMEOUT_SECONDS:
            return f"Stream the call on line {model.line(call.node)} first ({expects}), then pass timeout= to the client"
        if estimate >= example:
            example = (math.floor(estimate / 30) + 1) * 30  # the next half minute above the estimate
            client = f"{config.class_name}(timeout={example:.1f})" if config.external is None else f"timeout={example:.1f} where it is built ({config.external.where})"
            return f"Pass timeout= to the client above {above}, e.g. {client}, or stream the call"
    if config.external is not None:
        return f"Pass timeout= where the client is built ({config.external.where}), e.g. timeout={example:.1f}, or to every call"
    return f"Pass timeout= to the client, e.g. {config.class_name}(timeout={example:.1f}), or to every call"


def _in_all(worst: WorstCase) -> str:
    """What the call can wait in all, as the inventory counts it: every attempt (the SDK's, and
    any enclosing retry's) plus the SDK's backoff between them."""
    if worst.seconds is not None and worst.requests:
        return attempts_wait(DEFAULT_TIMEOUT_SECONDS, worst.requests, worst.seconds, " (SDK default)")
    each = f"each attempt can wait {format_seconds(DEFAULT_TIMEOUT_SECONDS)} (the SDK default)"
    return f"{each}, over up to {plural(worst.requests, 'attempt')}" if worst.requests else each
