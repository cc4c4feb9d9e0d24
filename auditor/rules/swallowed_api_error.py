from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from auditor.findings import Severity
from auditor.rule import Report, Rule

if TYPE_CHECKING:
    import libcst as cst

    from auditor.sdk.model import SdkModel


class SwallowedApiError(Rule):
    """A handler that catches SDK errors around an SDK call and does nothing with them.

    ## What it does
    Reports an `except` clause that catches SDK errors (it names an SDK class, or `Exception`,
    `BaseException` or nothing at all while its `try` body makes an SDK call) and whose body is
    only `pass`, `...`, `continue`, `return` or `return None`: no logging, no re-raise, no
    fallback value, no use of the exception.

    ## Why is this bad?
    The failure disappears. Callers get `None` (or nothing happens), no log line says why, and an
    outage, an expired key or a rate limit looks like "the model returned nothing". Dashboards
    stay green while every request fails.

    A handler that logs, re-raises, returns a fallback value or records the error is fine, and
    so is a retry loop's `continue` (ANT301 judges those loops).

    ## Example
    ```python
    try:
        message = client.messages.create(...)
    except anthropic.APIError:
        pass
    ```

    Use instead:
    ```python
    try:
        message = client.messages.create(...)
    except anthropic.APIError:
        log.exception("summary failed; showing the ticket without one")
        return None
    ```
    """

    code = "ANT202"
    name = "swallowed-api-error"
    severity = Severity.WARNING
    summary = "A handler that catches SDK errors around an SDK call and does nothing with them"

    def check(self, model: SdkModel) -> Iterator[Report]:
        for statement in model.tries:
            for handler in statement.handlers:
                if not _does_nothing(handler) or model.unreachable(handler):
                    continue  # an unreachable handler is ANT201's finding, not a swallow
                if model.catches_sdk_errors(handler) and not model.is_retry_handler(handler):
                    what = "bare `except:`" if handler.type is None else f"`except {model.code(handler.type)}`"
                    yield Report(
                        handler.type or handler,
                        f"{what} swallows SDK errors, so an outage or a rate limit looks like an empty answer",
                        help="Nothing is logged, re-raised or returned: log the error (log.exception(...)) "
                        "and re-raise it or return an explicit fallback",
                    )


def _does_nothing(handler: cst.ExceptHandler | cst.ExceptStarHandler) -> bool:
    import libcst as cst

    body = handler.body
    statements: list[cst.BaseStatement | cst.BaseSuite] = list(body.body) if isinstance(body, cst.IndentedBlock) else [body]
    for statement in statements:
        if not isinstance(statement, cst.SimpleStatementLine):
            return False
        for small in statement.body:
            if isinstance(small, (cst.Pass, cst.Continue)):
                continue
            if isinstance(small, cst.Expr) and isinstance(small.value, (cst.Ellipsis, cst.SimpleString)):
                continue
            if isinstance(small, cst.Return) and (
                small.value is None or (isinstance(small.value, cst.Name) and small.value.value == "None")
            ):
                continue
            return False
    return True
