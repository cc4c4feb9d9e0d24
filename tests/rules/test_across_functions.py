"""Facts that cross a function boundary inside one module (issue 18): a client handed to a
helper or a class, a config object's field defaults, keyword arguments a helper builds, and
retry shapes that wait on a flag. Each positive has a negative beside it."""

from __future__ import annotations

from conftest import RETRY_HELP, explained, findings, messages


def test_a_client_passed_to_a_helper_is_judged_at_its_construction() -> None:
    source = """
        import anthropic
        plain = anthropic.Anthropic()
        timed = anthropic.Anthropic(timeout=30)

        def ask(client, question):
            return client.messages.create(model="m", max_tokens=100, messages=[])

        def ask_with_timeout(client):
            return client.messages.create(model="m", max_tokens=100, messages=[], timeout=20)

        ask(plain, "hi")
        ask(timed, "hi")
        ask_with_timeout(plain)
        """
    assert findings(source) == [("ANT401", 3, 9)]
    assert explained(source) == [
        (
            "ANT401 Anthropic() and the call on line 7 set no timeout: each attempt can wait 600 s (the SDK default)",
            "Pass timeout= to the client, e.g. Anthropic(timeout=60.0), or to every call",
        ),
    ]


def test_a_client_given_to_a_class_reaches_its_methods() -> None:
    source = """
        import anthropic

        class Bot:
            def __init__(self, client):
                self.client = client

            def ask(self):
                return self.client.messages.create(model="m", max_tokens=100, messages=[])

        bot = Bot(anthropic.Anthropic())
        safe = Bot(client=anthropic.Anthropic(timeout=30))
        """
    assert findings(source) == [("ANT401", 11, 11)]


def test_a_helper_called_only_with_unknown_clients_stays_silent() -> None:
    assert findings(
        """
        import anthropic

        def ask(client):
            return client.messages.create(model="m", max_tokens=32000, messages=[])

        def run(external):
            return ask(external)
        """
    ) == []


def test_field_defaults_of_a_config_class_are_may_be() -> None:
    source = """
        import anthropic
        from dataclasses import dataclass

        @dataclass
        class Settings:
            timeout: float | None = None
            max_tokens: int = 8192

        class Chat:
            def __init__(self, settings: Settings):
                self.client = anthropic.Anthropic(timeout=settings.timeout)
                self.settings = settings

            def ask(self):
                return self.client.messages.create(model="m", max_tokens=self.settings.max_tokens, messages=[])
        """
    assert findings(source) == [("ANT402", 12, 51), ("ANT101", 16, 16)]
    assert [m.split(":")[0] for m in messages(source)] == [
        "ANT402 timeout may be None on Anthropic() (default of field timeout of Settings on line 7)",
        "ANT101 max_tokens may be 8,192 (default of field max_tokens of Settings on line 8) without streaming",
    ]


def test_a_field_passed_through_its_guard_or_overridden_is_not_none() -> None:
    assert findings(
        """
        import anthropic
        from dataclasses import dataclass

        @dataclass
        class Settings:
            timeout: float | None = None

        class Chat:
            def __init__(self, settings: Settings):
                kwargs = {}
                if settings.timeout is not None:
                    kwargs["timeout"] = settings.timeout
                self.client = anthropic.Anthropic(**kwargs)

        settings = Settings(timeout=30)
        client = anthropic.Anthropic(timeout=settings.timeout)
        """
    ) == []


def test_keyword_arguments_a_helper_builds() -> None:
    source = """
        import anthropic

        class Chat:
            timeout = None

            def _client_params(self):
                return {"timeout": self.timeout, "max_retries": 3}

            def _guarded_params(self):
                params = {"max_retries": 3}
                if self.timeout is not None:
                    params["timeout"] = self.timeout
                return params

            def __init__(self):
                self.client = anthropic.Anthropic(**self._client_params())
                self.other = anthropic.Anthropic(**self._guarded_params())
        """
    assert findings(source) == [("ANT402", 8, 28)]
    assert explained(source) == [
        (
            "ANT402 timeout may be None on Anthropic() (class attribute timeout of Chat on line 5): this would disable "
            "the timeout, so a stalled request waits forever",
            "Set a finite timeout such as timeout=60.0, and stream long generations",
        )
    ]


def test_a_private_helpers_default_is_not_what_runs_when_every_caller_passes_it() -> None:
    assert findings(
        """
        import anthropic

        def _make(timeout=None):
            return anthropic.Anthropic(timeout=timeout)

        def make(timeout=None):
            return anthropic.Anthropic(timeout=timeout)

        client = _make(timeout=30)
        other = make(timeout=30)
        """
    ) == [("ANT402", 8, 40)]  # `make` is public: other callers may rely on its default


def test_typing_cast_keeps_the_client() -> None:
    assert findings(
        """
        import anthropic
        from typing import cast
        raw = anthropic.Anthropic()
        client = cast(anthropic.Anthropic, raw)
        client.messages.create(model="m", max_tokens=100, messages=[])
        """
    ) == [("ANT401", 4, 7)]


def test_loops_that_wait_on_a_flag_are_retries_that_never_stop() -> None:
    source = """
        import anthropic, time
        client = anthropic.Anthropic(timeout=30)

        def ask():
            result = None
            while result is None:
                try:
                    result = client.messages.create(model="m", max_tokens=100, messages=[])
                except anthropic.RateLimitError:
                    time.sleep(5)
            return result

        def validate():
            result = None
            while result is None:
                try:
                    result = parse(client.messages.create(model="m", max_tokens=100, messages=[]))
                except ValueError:
                    continue
            return result
        """
    assert findings(source) == [("ANT301", 7, 5)]
    assert explained(source) == [("ANT301 This loop re-sends the SDK call on line 9 on top of the SDK's own retries: it never stops retrying", RETRY_HELP)]


def test_a_retry_on_a_superclass_re_sends_the_errors_that_cannot_succeed() -> None:
    source = """
        import anthropic, tenacity
        client = anthropic.Anthropic(timeout=30, max_retries=0)

        @tenacity.retry(retry=tenacity.retry_if_exception_type(anthropic.APIStatusError), stop=tenacity.stop_after_attempt(3))
        def broad():
            return client.messages.create(model="m", max_tokens=100, messages=[])

        @tenacity.retry(retry=tenacity.retry_if_exception_type(anthropic.RateLimitError), stop=tenacity.stop_after_attempt(3))
        def narrow():
            return client.messages.create(model="m", max_tokens=100, messages=[])
        """
    assert findings(source) == [("ANT303", 5, 56)]
    assert explained(source) == [
        (
            "ANT303 Retrying on anthropic.APIStatusError also re-sends 400, 401, 403, 404 and 422 errors, which "
            "fail the same way on every attempt (the retry on line 5)",
            "Retry only transient errors (RateLimitError, APIConnectionError, InternalServerError), or let the SDK "
            "retry them; BadRequestError (400), AuthenticationError (401), PermissionDeniedError (403), "
            "NotFoundError (404) and UnprocessableEntityError (422) never succeed on a retry",
        ),
    ]


def test_older_and_looping_generation_calls() -> None:
    """`beta.prompt_caching.messages` (older SDKs) generates like `messages`; `tool_runner`
    sends one request per turn with its own max_tokens and stream."""
    source = """
        import anthropic
        client = anthropic.Anthropic(timeout=60)
        client.beta.prompt_caching.messages.create(model="m", max_tokens=8192, messages=[])
        runner = client.beta.messages.tool_runner(model="m", max_tokens=8192, messages=[], tools=[])
        streamed = client.beta.messages.tool_runner(model="m", max_tokens=8192, messages=[], tools=[], stream=True)
        """
    assert findings(source) == [("ANT101", 4, 1), ("ANT101", 5, 10)]
    assert explained(source) == [
        (
            "ANT101 max_tokens=8,192 without streaming: a long answer can run past the timeout and be retried from scratch",
            "Stream it: `with client.beta.prompt_caching.messages.stream(...) as stream: message = stream.get_final_message()`",
        ),
        (
            "ANT101 max_tokens=8,192 without streaming: a long answer can run past the timeout and be retried from scratch",
            "Stream it: pass `stream=True` to `tool_runner(...)`: each turn is then streamed",
        ),
    ]


def test_getattr_with_a_literal_name() -> None:
    assert findings(
        """
        import anthropic
        client = anthropic.Anthropic(timeout=30)

        def ask(beta, unknown):
            name = "beta" if beta else "messages"
            getattr(client, "messages").create(model="m", max_tokens=8192, messages=[])
            getattr(getattr(client, "beta"), "messages").create(model="m", max_tokens=8192, messages=[])
            getattr(client, unknown).create(model="m", max_tokens=8192, messages=[])

        def by_default(name="messages"):
            getattr(client, name).create(model="m", max_tokens=8192, messages=[])  # callers may pass another
        """
    ) == [("ANT101", 7, 5), ("ANT101", 8, 5)]


def test_an_sdk_method_handed_to_a_wrapper_that_retries_it() -> None:
    source = """
        import anthropic, time
        client = anthropic.Anthropic(timeout=30)

        def with_retry(fn, **kwargs):
            for attempt in range(3):
                try:
                    return fn(**kwargs)
                except anthropic.RateLimitError:
                    time.sleep(2 ** attempt)

        def plain(fn, value):
            for attempt in range(3):
                try:
                    return fn(value)
                except ValueError:
                    continue

        def ask():
            return with_retry(client.messages.create, model="m", max_tokens=100, messages=[])

        def other():
            return plain(len, "x")
        """
    assert findings(source) == [("ANT301", 6, 5)]
    assert explained(source) == [("ANT301 This loop re-sends the SDK call on line 8 on top of the SDK's own retries", RETRY_HELP)]


def test_functools_partial_of_an_sdk_method() -> None:
    source = """
        import functools
        import anthropic
        client = anthropic.Anthropic(timeout=30)
        long_answer = functools.partial(client.messages.create, model="m", max_tokens=8192)
        short_answer = functools.partial(client.messages.create, model="m", max_tokens=1024)
        long_answer(messages=[])
        short_answer(messages=[])
        short_answer(messages=[], max_tokens=16000)
        """
    assert findings(source) == [("ANT101", 7, 1), ("ANT101", 9, 1)]


def test_self_in_a_function_nested_in_a_method() -> None:
    assert findings(
        """
        import anthropic

        class Bot:
            def __init__(self):
                self.client = anthropic.Anthropic()

            def run(self, items):
                def one(item):
                    return self.client.messages.create(model="m", max_tokens=100, messages=[])
                return [one(i) for i in items]

        class Other:
            def __init__(self):
                self.client = anthropic.Anthropic()

            def run(self):
                def one(self):  # its own `self`: not the method's
                    return self.client.messages.create(model="m", max_tokens=100, messages=[])
                return one(object())
        """
    ) == [("ANT401", 6, 23)]


def test_request_keywords_kept_on_self() -> None:
    source = """
        import anthropic
        client = anthropic.Anthropic(timeout=30)

        class Writer:
            def __init__(self, long):
                if long:
                    self.request_kwargs = {"model": "m", "max_tokens": 16000}
                else:
                    self.request_kwargs = {"model": "m", "max_tokens": 16000}
                self.partial = {"model": "m", "max_tokens": 16000} if long else {"model": "m"}

            def write(self):
                return client.messages.create(messages=[], **self.request_kwargs)

        class Varied:
            def __init__(self, long):
                if long:
                    self.request_kwargs = {"model": "m", "max_tokens": 16000}
                else:
                    self.request_kwargs = {"model": "m"}

            def write(self):
                return client.messages.create(messages=[], **self.request_kwargs)
        """
    assert findings(source) == [("ANT101", 14, 16)]  # Varied: which keys are passed depends on the branch
