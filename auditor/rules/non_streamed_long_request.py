from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from auditor.findings import Severity
from auditor.rule import Report, Rule
from auditor.sdk_table import MODEL_NONSTREAMING_TOKENS, NONSTREAMING_TOKEN_LIMIT, RESPONSE_WRAPPERS

if TYPE_CHECKING:
    from auditor.sdk import Known, SdkCall, SdkModel


class NonStreamedLongRequest(Rule):
    """A generation call without streaming whose max_tokens is at or above `max-tokens-threshold`.

    ## What it does
    Reports `messages.create`, `messages.parse`, `beta.messages.create/parse` and the legacy
    `completions.create` (`max_tokens_to_sample`) made without streaming, when max_tokens is at
    or above the threshold (4096 by default). max_tokens is followed through constants,
    arithmetic (`8 * 1024`), class constants, `**params` dict literals and a parameter's default;
    `int(os.environ.get("MAX_TOKENS", "8192"))` counts with its default ("may be").
    `stream=True` and `messages.stream(...)` are streamed; `stream=<variable>` cannot be proved
    either way and is left alone.

    When the SDK itself will refuse the call, ANT102 reports it instead.

    ## Why is this bad?
    A non-streamed request holds one HTTP response open until the whole answer is generated.
    Long answers take minutes: they run into the client's timeout, into proxies and load
    balancers that drop idle connections, and then into the SDK's retries, which start the
    whole generation again. Streaming keeps bytes flowing, and the timeout then bounds each
    pause instead of the whole answer.

    ## Example
    ```python
    message = client.messages.create(model=MODEL, max_tokens=16_000, messages=messages)
    ```

    Use instead:
    ```python
    with client.messages.stream(model=MODEL, max_tokens=16_000, messages=messages) as stream:
        message = stream.get_final_message()
    ```

    ## Fix safety
    The fix is unsafe (applied with `--unsafe-fixes`): it rewrites a `messages.create` call
    that is a whole statement (`x = ...`, `return ...`, `x = await ...`) into
    `with ....stream(...) as stream:` and `stream.get_final_message()` (`async with` and
    `await` for an awaited call), dropping `stream=False`. The result is the same message, but
    errors now arrive as the stream reads, and a test double of `create` no longer applies.
    A call inside a larger expression, through `with_raw_response`, `messages.parse` and
    legacy `completions.create` have no fix.

    ## Options
    - `max-tokens-threshold` (default 4096).
    """

    code = "ANT101"
    name = "non-streamed-long-request"
    severity = Severity.WARNING
    summary = "A non-streamed generation call with a large max_tokens"
    options = ("max-tokens-threshold",)
    fix_safety = "unsafe"

    def check(self, model: SdkModel) -> Iterator[Report]:
        from auditor.fix.ant10x_stream import stream_fix

        for call, tokens in long_non_streamed_calls(model, self.settings.max_tokens_threshold):
            if not refused_by_sdk(model, call, tokens):
                yield Report(call.node, message(model, call, tokens, refused=False), stream_fix(model, call))


def long_non_streamed_calls(model: SdkModel, threshold: int) -> Iterator[tuple[SdkCall, Known]]:
    """Calls provably not streamed whose max_tokens provably reaches the threshold."""
    from auditor.sdk import Known

    for call in model.sdk_calls:
        if call.method == "stream" or model.streamed(call) is not False:
            continue
        tokens = model.max_tokens(call)
        if isinstance(tokens, Known) and tokens.value >= threshold:  # type: ignore[operator]
            yield call, tokens


def refused_by_sdk(model: SdkModel, call: SdkCall, tokens: Known) -> bool:
    """Will the SDK raise ValueError before sending? Only with the default timeout in force,
    which must be proved: no per-call timeout and every possible client on the default."""
    if call.operation.startswith("completions") or model.call_timeout(call) is not None:
        return False
    if not call.clients.complete or not call.clients.configs:
        return False
    for config in call.clients.configs:
        timeout = model.client_timeout(config)
        if not (timeout.known and timeout.source == "SDK default"):
            return False
    limit = MODEL_NONSTREAMING_TOKENS.get(model.model_name(call) or "", NONSTREAMING_TOKEN_LIMIT)
    return tokens.value > min(limit, NONSTREAMING_TOKEN_LIMIT)  # type: ignore[operator]


def message(model: SdkModel, call: SdkCall, tokens: Known, refused: bool) -> str:
    keyword = "max_tokens_to_sample" if call.operation.startswith("completions") else "max_tokens"
    origin = "" if tokens.source == "literal" else f" ({tokens.source})"
    value = f"{keyword}={tokens.value:,}" if tokens.certain else f"{keyword} may be {tokens.value:,}"
    if refused:
        name = model.model_name(call)
        limit = MODEL_NONSTREAMING_TOKENS.get(name or "")
        why = (
            f"above the {limit:,} that {name} allows without streaming"
            if limit is not None and tokens.value <= NONSTREAMING_TOKEN_LIMIT  # type: ignore[operator]
            else f"above the {NONSTREAMING_TOKEN_LIMIT:,} the SDK allows without streaming at its default timeout"
        )
        problem = f"{value}{origin} without streaming: {why}, so the SDK raises ValueError before sending"
    else:
        problem = f"{value}{origin} without streaming: a long answer can run past the HTTP timeout and be retried from scratch"
    return f"{problem}. Stream it: {stream_fix(model, call)}"


def stream_fix(model: SdkModel, call: SdkCall) -> str:
    import libcst as cst

    if call.operation.startswith("completions"):
        return "pass `stream=True` and read the events (legacy completions have no `.stream()` helper), or move to `messages.stream(...)`"
    resource = call.node.func.value  # type: ignore[attr-defined]
    while isinstance(resource, cst.Attribute) and resource.attr.value in RESPONSE_WRAPPERS:
        resource = resource.value  # `.with_raw_response` has no stream helper: stream the resource itself
    target = model.code(resource)
    if model.is_async(call):
        return f"`async with {target}.stream(...) as stream: message = await stream.get_final_message()`"
    return f"`with {target}.stream(...) as stream: message = stream.get_final_message()`"
