from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from auditor.findings import Severity
from auditor.rule import Report, Rule
from auditor.rules.wording import RETRY_HELP, retry_message

if TYPE_CHECKING:
    from auditor.sdk.model import SdkModel


class HandRolledRetryLoop(Rule):
    """A loop that re-issues an SDK call after catching its error, on top of the SDK's retries.

    ## What it does
    Reports a `for`/`while` loop whose body makes an SDK generation call inside a `try` (directly,
    or through a helper function of the same module), whose handler catches an error that call
    can raise (an SDK class, `Exception`, `BaseException` or a bare `except`) and lets the loop
    go round again, and which leaves the loop on success (`break`, `return`, or a
    `while not done` flag). Also a function whose handler calls the function itself.

    Not reported: loops over work items (the loop variable feeds the request, and the handler
    moves on to the next item), loops that re-send only after a validation error of the model's
    output (a `ValueError`, not an API error), polling and agent loops, and loops around a
    client proved to have `max_retries=0`, where the loop is the only retry.

    ## Why is this bad?
    The SDK already retries connection errors, timeouts, 408, 409, 429 and 5xx with exponential
    backoff (`max_retries`, default 2). A loop of your own multiplies the attempts: three loop
    attempts over a default client send up to nine requests into a rate limit that is already
    refusing them, and a `while True` loop never stops.

    ## Example
    ```python
    for attempt in range(5):
        try:
            return client.messages.create(...)
        except anthropic.RateLimitError:
            time.sleep(2 ** attempt)
    ```

    Use instead:
    ```python
    client = anthropic.Anthropic(max_retries=5)  # or client.with_options(max_retries=5)
    return client.messages.create(...)
    ```
    Keep your own logic for application-level decisions, such as falling back to another model.
    """

    code = "ANT301"
    name = "hand-rolled-retry-loop"
    severity = Severity.WARNING
    summary = (
        "A loop (or recursion) that re-issues an SDK call after catching its error, on top of the "
        "SDK's own retries"
    )

    def check(self, model: SdkModel) -> Iterator[Report]:
        for retry in model.retries:
            if retry.kind in ("loop", "recursion") and not model.sdk_retries_off(retry):
                yield Report(retry.node, retry_message(model, retry), help=RETRY_HELP)
