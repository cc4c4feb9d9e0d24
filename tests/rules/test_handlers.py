"""ANT201 shadowed-exception-handler and ANT202 swallowed-api-error."""

from __future__ import annotations

from conftest import explained, findings


def ant201(source: str) -> list[tuple[str, int, int]]:
    return findings(source, select=("ANT201",))


def ant202(source: str) -> list[tuple[str, int, int]]:
    return findings(source, select=("ANT202",))


def test_sdk_tree_order() -> None:
    assert ant201(
        """
        import anthropic

        try:
            call()
        except anthropic.APIError:
            raise
        except anthropic.RateLimitError:
            pass
        except anthropic.APIStatusError:
            pass

        try:
            call()
        except anthropic.APIStatusError:
            raise
        except anthropic.OverloadedError:
            pass
        except anthropic.APIConnectionError:
            pass
        except anthropic.APITimeoutError:
            pass
        """
    ) == [("ANT201", 8, 8), ("ANT201", 10, 8), ("ANT201", 17, 8), ("ANT201", 21, 8)]


def test_correct_order_is_silent() -> None:
    assert ant201(
        """
        import anthropic
        try:
            call()
        except anthropic.RateLimitError:
            pass
        except anthropic.APITimeoutError:
            pass
        except anthropic.APIConnectionError:
            pass
        except anthropic.APIError:
            raise
        except Exception:
            raise
        """
    ) == []


def test_message_names_the_earlier_clause() -> None:
    assert explained(
        """
        from anthropic import APIError as E, RateLimitError
        try:
            call()
        except E:
            raise
        except RateLimitError:
            pass
        """,
        select=("ANT201",),
    ) == [
        (
            "ANT201 `except RateLimitError` can never run: the `except E` on line 5 catches it first",
            "Move the specific handler above the broad one",
        ),
    ]


def test_exception_base_exception_and_bare() -> None:
    assert ant201(
        """
        import anthropic
        try:
            call()
        except Exception:
            raise
        except anthropic.RateLimitError:
            pass
        except ValueError:
            pass

        try:
            call()
        except BaseException:
            raise
        except anthropic.APIError:
            pass
        """
    ) == [("ANT201", 7, 8), ("ANT201", 16, 8)]


def test_bare_except_before_others_is_a_syntax_error() -> None:
    # CPython refuses to compile it ("default 'except:' must be last"): ANT000, not ANT201.
    assert findings(
        """
        import anthropic
        try:
            call()
        except:
            raise
        except anthropic.APIError:
            pass
        """
    ) == [("ANT000", 5, 1)]


def test_tuples_member_by_member() -> None:
    assert explained(
        """
        import anthropic
        try:
            call()
        except anthropic.APIStatusError:
            raise
        except (anthropic.RateLimitError, anthropic.InternalServerError):
            pass
        except (anthropic.BadRequestError, anthropic.APIConnectionError):
            pass
        except (ValueError, anthropic.NotFoundError):
            pass
        """,
        select=("ANT201",),
    ) == [
        (
            "ANT201 `except (anthropic.RateLimitError, anthropic.InternalServerError)` can never run: the `except "
            "anthropic.APIStatusError` on line 5 catches all of them first",
            "Move the specific handler above the broad one",
        ),
        (
            "ANT201 anthropic.BadRequestError in this tuple is never caught here: the `except "
            "anthropic.APIStatusError` on line 5 catches it first",
            "Move it into a handler above that one, or drop it",
        ),
        (
            "ANT201 anthropic.NotFoundError in this tuple is never caught here: the `except "
            "anthropic.APIStatusError` on line 5 catches it first",
            "Move it into a handler above that one, or drop it",
        ),
    ]


def test_exceptions_module_aliases_named_tuples_and_except_star() -> None:
    assert ant201(
        """
        import anthropic
        from anthropic._exceptions import APIError
        RETRYABLE = (anthropic.RateLimitError, anthropic.APIConnectionError)

        try:
            call()
        except APIError:
            raise
        except RETRYABLE:
            pass

        try:
            call()
        except* anthropic.APIError:
            raise
        except* anthropic.RequestTooLargeError:
            pass

        try:
            call()
        except anthropic.ContentTooLargeError:
            raise
        except anthropic.RequestTooLargeError:
            pass
        """
    ) == [("ANT201", 10, 8), ("ANT201", 17, 9), ("ANT201", 24, 8)]


def test_lookalikes_and_unknowns_never_shadow() -> None:
    assert ant201(
        """
        import anthropic
        import openai
        from .errors import ANY_ERROR

        try:
            call()
        except openai.APIError:
            raise
        except anthropic.RateLimitError:
            pass
        except openai.RateLimitError:
            pass

        try:
            call()
        except ANY_ERROR:
            raise
        except anthropic.RateLimitError:
            pass

        try:
            call()
        except Exception:
            raise
        except ValueError:
            pass
        """
    ) == []


def test_nested_try_statements_are_judged_on_their_own() -> None:
    assert ant201(
        """
        import anthropic
        try:
            try:
                call()
            except anthropic.RateLimitError:
                pass
        except anthropic.APIError:
            pass
        except anthropic.RateLimitError:
            pass
        """
    ) == [("ANT201", 10, 8)]


# --- ANT202 -------------------------------------------------------------------------------------


def test_swallowed_sdk_errors() -> None:
    assert ant202(
        """
        import anthropic
        client = anthropic.Anthropic()

        def a():
            try:
                return client.messages.create(model="m", max_tokens=1, messages=[])
            except anthropic.APIError:
                pass

        def b():
            try:
                return client.messages.create(model="m", max_tokens=1, messages=[])
            except Exception:
                return None

        def c():
            try:
                return client.messages.create(model="m", max_tokens=1, messages=[])
            except:
                ...

        async def d(aclient: anthropic.AsyncAnthropic):
            try:
                return await aclient.messages.create(model="m", max_tokens=1, messages=[])
            except (anthropic.RateLimitError, anthropic.APIConnectionError) as error:
                return
        """
    ) == [("ANT202", 8, 12), ("ANT202", 14, 12), ("ANT202", 20, 5), ("ANT202", 26, 13)]


def test_handlers_that_do_something_are_fine() -> None:
    assert ant202(
        """
        import logging
        import anthropic
        log = logging.getLogger()
        client = anthropic.Anthropic()

        def f():
            try:
                return client.messages.create(model="m", max_tokens=1, messages=[])
            except anthropic.RateLimitError:
                log.warning("rate limited")
            except anthropic.NotFoundError:
                raise
            except anthropic.APIError as error:
                return str(error)
            except Exception:
                return "fallback"
        """
    ) == []


def test_catch_all_without_an_sdk_call_is_not_ours() -> None:
    assert ant202(
        """
        import anthropic
        def f():
            try:
                parse_config()
            except Exception:
                pass
        """
    ) == []


def test_catch_all_around_a_helper_that_calls_the_sdk() -> None:
    assert ant202(
        """
        import anthropic
        client = anthropic.Anthropic(timeout=10)

        def summarize(text):
            return client.messages.create(model="m", max_tokens=1, messages=[])

        def g(items):
            for item in items:
                try:
                    summarize(item)
                except Exception:
                    continue
        """
    ) == [("ANT202", 12, 16)]


def test_retry_loop_continue_is_not_swallowing() -> None:
    assert ant202(
        """
        import anthropic
        client = anthropic.Anthropic(timeout=10)

        def f():
            for attempt in range(3):
                try:
                    return client.messages.create(model="m", max_tokens=1, messages=[])
                except anthropic.RateLimitError:
                    continue
        """
    ) == []


def test_earlier_tuple_clause_is_named_whole_and_dead_handlers_are_not_also_swallows() -> None:
    assert explained(
        """
        import anthropic
        client = anthropic.Anthropic(timeout=10)
        try:
            client.messages.create(model="m", max_tokens=1, messages=[])
        except (anthropic.APIStatusError, anthropic.APIConnectionError):
            raise
        except (anthropic.RateLimitError, anthropic.APITimeoutError):
            pass
        """,
    ) == [
        (
            "ANT201 `except (anthropic.RateLimitError, anthropic.APITimeoutError)` can never run: the `except "
            "(anthropic.APIStatusError, anthropic.APIConnectionError)` on line 6 catches all of them first",
            "Move the specific handler above the broad one",
        ),
    ]
    assert explained(
        """
        import anthropic
        try:
            call()
        except anthropic.APIStatusError:
            raise
        except anthropic.APIConnectionError:
            raise
        except (anthropic.RateLimitError, anthropic.APITimeoutError):
            raise
        """,
        select=("ANT201",),
    ) == [
        (
            "ANT201 `except (anthropic.RateLimitError, anthropic.APITimeoutError)` can never run: the clauses on "
            "lines 5 and 7 catch all of them first",
            "Move the specific handler above the broad one",
        ),
    ]
