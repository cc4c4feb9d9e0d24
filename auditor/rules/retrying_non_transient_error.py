from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from auditor.findings import Severity
from auditor.rule import Report, Rule
from auditor.sdk.table import NON_TRANSIENT_STATUS, non_transient_base, non_transient_below

if TYPE_CHECKING:
    from auditor.sdk.model import SdkModel


class RetryingNonTransientError(Rule):
    """A retry (loop or decorator) on errors that can never succeed on a second try.

    ## What it does
    Reports an SDK exception class that a retry retries on when a second identical request
    cannot succeed: `BadRequestError` (400), `AuthenticationError` (401),
    `PermissionDeniedError` (403), `NotFoundError` (404), `UnprocessableEntityError` (422) and
    their subclasses. It looks at the handlers of hand-rolled retry loops (named alone or in a
    tuple), tenacity's `retry_if_exception_type(...)`, backoff's exception argument and
    stamina's `on=`.

    A retry on a class above them (`APIStatusError`, `APIError`, `Exception`, a bare `except:`)
    re-sends them too, and so does a tenacity or retrying decorator with no filter (they retry on
    every exception): those are reported with the list of errors they re-send in vain. A
    project's own retry decorator is judged only by what it names.

    ## Why is this bad?
    A malformed request, a wrong key, a missing permission or an unknown model fails again, the
    same way, every time: the retry only adds delay and load before the inevitable error, and
    hides a bug or a misconfiguration behind a slow failure. The SDK does not retry these, for
    that reason.

    ## Example
    ```python
    @retry(retry=retry_if_exception_type((anthropic.BadRequestError, anthropic.APIConnectionError)))
    def ask(question): ...
    ```

    Use instead:
    ```python
    @retry(retry=retry_if_exception_type(anthropic.APIConnectionError))
    def ask(question): ...
    ```

    ## Fix safety
    The fix is safe: it removes the class from the tuple written in the retry itself (a
    handler's `except (...)`, `retry_if_exception_type((...))`, backoff's or stamina's
    exceptions), so those errors surface on the first attempt instead of after the retries.
    There is no fix when the classes come from a name bound elsewhere, or when no transient
    class would be left: dropping the retry altogether is for you to decide.
    """

    code = "ANT303"
    name = "retrying-non-transient-error"
    severity = Severity.ERROR
    summary = "A retry on errors a second try cannot fix (400, 401, 403, 404, 422), named or through a superclass"
    fix_safety = "safe"

    def check(self, model: SdkModel) -> Iterator[Report]:
        from auditor.fix.ant303_drop_non_transient import drop_class_fix

        for retry in model.retries:
            where = f"(the retry on line {model.line(retry.node)})"
            if retry.any_error:  # a retry decorator with no filter retries on any error
                message, advice = _in_vain("This retry retries on any error, so it", non_transient_below("Exception"), where)
                yield Report(retry.node, message, help=advice)
                continue
            for caught in retry.retried_on or ():
                base = non_transient_base(caught.name) if caught.kind == "sdk" else None
                if base is not None:
                    named = model.code(caught.node)
                    subject = "it" if named.rsplit(".", 1)[-1] == base else f"a {base}"
                    yield Report(
                        caught.node,
                        f"Retrying on {named} cannot help: {subject} fails the same way on every attempt {where}",
                        drop_class_fix(model, retry, caught),
                        TRANSIENT_ONLY,
                    )
                    continue
                below = non_transient_below(caught.name or "BaseException") if caught.kind != "other" else []
                if below:
                    what = "a bare `except:`" if caught.kind == "bare" else model.code(caught.node)
                    message, advice = _in_vain(f"Retrying on {what}", below, where)
                    yield Report(caught.node, message, help=advice)


TRANSIENT_ONLY = "Retry only transient errors (RateLimitError, APIConnectionError, InternalServerError), or let the SDK retry them"


def _in_vain(what: str, errors: list[str], where: str) -> tuple[str, str]:
    """The diagnosis names the statuses; the help, the classes to leave out of the retry."""
    statuses = [str(NON_TRANSIENT_STATUS[error]) for error in errors]
    named = [f"{error} ({NON_TRANSIENT_STATUS[error]})" for error in errors]
    return (
        f"{what} also re-sends {_listed(statuses)} errors, which fail the same way on every attempt {where}",
        f"{TRANSIENT_ONLY}; {_listed(named)} never {'succeeds' if len(errors) == 1 else 'succeed'} on a retry",
    )


def _listed(items: list[str]) -> str:
    return ", ".join(items[:-1]) + f" and {items[-1]}" if len(items) > 1 else items[0]
