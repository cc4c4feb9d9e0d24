from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from auditor.findings import Severity
from auditor.rule import Report, Rule
from auditor.rules.wording import long_request

if TYPE_CHECKING:
    from auditor.sdk.model import SdkModel


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

    When the SDK itself will refuse the call, ANT102 reports it instead. With a
    `target-sdk-version` older than 0.47.0, which has no such guard, a call newer SDKs refuse is
    reported here: that SDK sends it and waits up to its timeout on every attempt.

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
    summary = (
        "A non-streamed generation call whose max_tokens is at or above `max-tokens-threshold` "
        "(default 4096)"
    )
    options = ("max-tokens-threshold",)
    fix_safety = "unsafe"

    def check(self, model: SdkModel) -> Iterator[Report]:
        from auditor.fix.ant10x_stream import stream_fix

        for call, tokens in model.non_streamed(self.settings.max_tokens_threshold):
            if model.refusal(call) is None:
                later = model.refused_by_newer_sdk(call)
                message, advice = long_request(model, call, tokens, None, later)
                yield Report(call.node, message, stream_fix(model, call), advice)
