from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from auditor.findings import Severity
from auditor.rule import Report, Rule

if TYPE_CHECKING:
    import libcst as cst

    from auditor.sdk import Caught, SdkModel


class ShadowedExceptionHandler(Rule):
    """An `except` clause that can never run because an earlier clause catches it first.

    ## What it does
    In one `try` (or `try`/`except*`), reports a clause naming SDK exceptions when an earlier
    clause of the same statement catches a superclass of everything it names: the SDK's own tree
    (`APIError` before `RateLimitError`, `APIStatusError` before `InternalServerError`,
    `APIConnectionError` before `APITimeoutError`, ...), `Exception`, `BaseException` or a bare
    `except`. A tuple clause is reported when all its members are shadowed; a single SDK member
    shadowed inside a tuple that is otherwise live is reported by itself. Classes are matched by
    what their import resolves to (`from anthropic import APIError as E`,
    `anthropic._exceptions.RateLimitError`), never by bare name: `openai.RateLimitError` is not
    the SDK's. Each `try` is judged on its own.

    ## Why is this bad?
    Python tries handlers top to bottom and runs the first that matches. The specific handler
    (back off on a rate limit, fall back to another model when overloaded) is dead code: the
    broad handler above it swallows every case, and the behaviour the code was written for
    never happens.

    ## Example
    ```python
    try:
        message = client.messages.create(...)
    except anthropic.APIError:
        raise
    except anthropic.RateLimitError:  # never runs
        time.sleep(30)
    ```

    Use instead:
    ```python
    try:
        message = client.messages.create(...)
    except anthropic.RateLimitError:
        time.sleep(30)
    except anthropic.APIError:
        raise
    ```
    """

    code = "ANT201"
    name = "shadowed-exception-handler"
    severity = Severity.ERROR
    summary = "An except clause that can never run: an earlier clause catches a superclass"

    def check(self, model: SdkModel) -> Iterator[Report]:
        for statement in model.tries:
            earlier: list[tuple[cst.CSTNode, list[Caught]]] = []
            for handler in statement.handlers:
                caught = model.caught(handler)
                yield from _shadowed(model, handler, caught, earlier)
                earlier.append((handler, caught))


def _shadowed(
    model: SdkModel,
    handler: cst.ExceptHandler | cst.ExceptStarHandler,
    caught: list[Caught],
    earlier: list[tuple[cst.CSTNode, list[Caught]]],
) -> Iterator[Report]:
    shadows = [_first_shadow(member, earlier) for member in caught]
    if not any(member.kind == "sdk" for member in caught):
        return
    if all(shadow is not None for shadow in shadows):
        clause, by = shadows[0]  # type: ignore[misc]
        assert handler.type is not None  # a clause with an SDK member names something
        yield Report(
            handler.type,
            f"`except {model.code(handler.type)}` can never run: {_clause(model, by)} on line {model.line(clause)} "
            f"catches {'it' if len(caught) == 1 else 'all of them'} first. Move the specific handler "
            "above the broad one",
        )
        return
    for member, shadow in zip(caught, shadows):
        if shadow is not None and member.kind == "sdk":
            clause, by = shadow
            yield Report(
                member.node,
                f"{model.code(member.node)} in this tuple is never caught here: {_clause(model, by)} "
                f"on line {model.line(clause)} catches it first. Move it into a handler above that "
                "one, or drop it",
            )


def _first_shadow(member: Caught, earlier: list[tuple[cst.CSTNode, list[Caught]]]) -> tuple[cst.CSTNode, Caught] | None:
    for clause, classes in earlier:
        for candidate in classes:
            if candidate.catches(member):
                return clause, candidate
    return None


def _clause(model: SdkModel, caught: Caught) -> str:
    return "the bare `except:`" if caught.kind == "bare" else f"the `except {model.code(caught.node)}`"
