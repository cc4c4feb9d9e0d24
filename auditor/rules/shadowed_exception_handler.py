from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from auditor.findings import Severity
from auditor.rule import Report, Rule

if TYPE_CHECKING:
    import libcst as cst

    from auditor.sdk.model import SdkModel


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

    ## Fix safety
    The fix is safe: it moves the clause that can never run, with its comments, to just above
    the earliest clause that shadows it. Only the exceptions that clause names change
    handlers, to the one written for them; a clause shadowed only in part (one member of a
    tuple) has no fix.
    """

    code = "ANT201"
    name = "shadowed-exception-handler"
    severity = Severity.ERROR
    summary = (
        "An `except` clause that can never run because an earlier clause of the same `try` catches "
        "a superclass"
    )
    fix_safety = "safe"

    def check(self, model: SdkModel) -> Iterator[Report]:
        for statement in model.tries:
            for handler in statement.handlers:
                shadows = model.shadows(handler)
                if not any(member.kind == "sdk" for member, _ in shadows):
                    continue
                if model.unreachable(handler):
                    assert handler.type is not None  # a clause with an SDK member names something
                    clauses = list(dict.fromkeys(by[0] for _, by in shadows if by is not None))
                    from auditor.fix.ant201_move_handler import move_handler_fix

                    yield Report(
                        handler.type,
                        f"`except {model.code(handler.type)}` can never run: {_earlier(model, clauses)} "
                        f"{'catches' if len(clauses) == 1 else 'catch'} "
                        f"{'it' if len(shadows) == 1 else 'all of them'} first",
                        move_handler_fix(model, statement, handler),
                        "Move the specific handler above the broad one",
                    )
                    continue
                for member, by in shadows:
                    if by is not None and member.kind == "sdk":
                        yield Report(
                            member.node,
                            f"{model.code(member.node)} in this tuple is never caught here: "
                            f"{_earlier(model, [by[0]])} catches it first",
                            help="Move it into a handler above that one, or drop it",
                        )


def _earlier(model: SdkModel, clauses: list[cst.CSTNode]) -> str:
    """`the `except X` on line 5`, or `the clauses on lines 5 and 7`."""
    if len(clauses) > 1:
        lines = [str(model.line(clause)) for clause in clauses]
        return f"the clauses on lines {', '.join(lines[:-1])} and {lines[-1]}"
    clause = clauses[0]
    kind = getattr(clause, "type", None)
    text = "the bare `except:`" if kind is None else f"the `except {model.code(kind)}`"
    return f"{text} on line {model.line(clause)}"
