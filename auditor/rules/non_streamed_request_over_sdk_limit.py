from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from auditor.findings import Severity
from auditor.rule import Report, Rule
from auditor.rules.wording import long_request

if TYPE_CHECKING:
    from auditor.sdk.model import SdkModel


class NonStreamedRequestOverSdkLimit(Rule):
    """A non-streamed call the SDK itself will refuse at run time.

    ## What it does
    Reports a non-streamed `messages.create`/`messages.parse` (and their `beta` twins) whose
    max_tokens is above 21,333, or above the model's own limit in the SDK's
    `MODEL_NONSTREAMING_TOKENS` table, made with the SDK's default timeout: no `timeout=` on the
    call and a client built without one. Under those conditions the SDK raises `ValueError`
    ("Streaming is required for operations that may take longer than 10 minutes") before it
    sends anything.

    A per-call timeout or a non-default client timeout switches the SDK's guard off; such calls
    are reported by ANT101 instead. So are all calls when the project targets an SDK older than
    0.47.0 (`target-sdk-version`, or the version its lock file or requirements pin), which has no
    guard, and the per-model limits apply from 0.52.0 on, as that version's table lists them.

    ## Why is this bad?
    The call fails every time, at run time, often only on the code path that asks for a long
    answer (a report, a batch job) and so only in production.

    ## Example
    ```python
    client = anthropic.Anthropic()
    client.messages.create(model=MODEL, max_tokens=32_000, messages=messages)
    ```

    Use instead:
    ```python
    with client.messages.stream(model=MODEL, max_tokens=32_000, messages=messages) as stream:
        message = stream.get_final_message()
    ```

    ## Fix safety
    The fix is unsafe (applied with `--unsafe-fixes`), and the same as ANT101's: a
    `messages.create` statement becomes `with ....stream(...) as stream:` and
    `stream.get_final_message()`, `stream=False` dropped. Errors then arrive as the stream
    reads; a call inside a larger expression or through `with_raw_response` has no fix.
    """

    code = "ANT102"
    name = "non-streamed-request-over-sdk-limit"
    severity = Severity.ERROR
    summary = (
        "A non-streamed call the SDK itself will refuse before sending (above 21,333 tokens, or the"
        " model's own limit) with no timeout of its own"
    )
    fix_safety = "unsafe"

    def check(self, model: SdkModel) -> Iterator[Report]:
        from auditor.fix.ant10x_stream import stream_fix

        # The SDK's limit is far above any sensible threshold: look at every non-streamed call.

        for call, tokens in model.non_streamed(0):
            refused = model.refusal(call)
            if refused is not None:
                message, advice = long_request(model, call, tokens, refused)
                yield Report(call.node, message, stream_fix(model, call), advice)
