from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from auditor.findings import Severity
from auditor.rule import Report, Rule
from auditor.rules.wording import RETRY_HELP, retry_message

if TYPE_CHECKING:
    from auditor.sdk.model import SdkModel


class RetryDecoratorOnSdkCall(Rule):
    """A retry decorator (tenacity, backoff, retrying, stamina, ...) on a function that makes SDK calls.

    ## What it does
    Reports `@retry`/`@tenacity.retry(...)`, `@backoff.on_exception(...)`, `@retrying.retry`,
    `@stamina.retry(...)`, names listed in `retry-decorators`, and retry decorators defined in
    the same module (a wrapper that loops around `func(*args)` in try/except), when the
    decorated function makes an SDK generation call; and the iterator form
    `for attempt in tenacity.Retrying(...)` / `AsyncRetrying`.

    Not reported: a client proved to have `max_retries=0` (the decorator is then the only retry),
    a function that catches every exception itself (the decorator never sees one), and a
    decorated async generator (tenacity does not retry those).

    ## Why is this bad?
    The SDK already retries transient errors (`max_retries`, default 2). Every attempt of the
    decorator runs the SDK's whole retry sequence again: `stop_after_attempt(5)` over a default
    client sends up to 15 requests, and tenacity without `stop=` retries forever.

    ## Example
    ```python
    @retry(stop=stop_after_attempt(5), wait=wait_exponential())
    def ask(question):
        return client.messages.create(...)
    ```

    Use instead:
    ```python
    client = anthropic.Anthropic(max_retries=5)

    def ask(question):
        return client.messages.create(...)
    ```

    ## Options
    - `retry-decorators`: qualified names of your own retry decorators.
    """

    code = "ANT302"
    name = "retry-decorator-on-sdk-call"
    severity = Severity.WARNING
    summary = (
        "A retry decorator (tenacity, backoff, retrying, stamina, your own) or `tenacity.Retrying` "
        "loop around SDK calls"
    )
    options = ("retry-decorators",)

    def check(self, model: SdkModel) -> Iterator[Report]:
        for retry in model.retries:
            if retry.kind in ("decorator", "iterator") and not model.sdk_retries_off(retry):
                yield Report(retry.node, retry_message(model, retry), help=RETRY_HELP)
