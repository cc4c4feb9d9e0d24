"""ANT101 non-streamed-long-request and ANT102 non-streamed-request-over-sdk-limit."""

from __future__ import annotations

from conftest import explained, findings


def ant1(source: str, **settings: object) -> list[tuple[str, int, int]]:
    return findings(source, select=("ANT1",), **settings)  # type: ignore[arg-type]


def test_literal_threshold_and_limit() -> None:
    assert ant1(
        """
        import anthropic
        client = anthropic.Anthropic()
        client.messages.create(model="m", max_tokens=4095, messages=[])
        client.messages.create(model="m", max_tokens=4096, messages=[])
        client.messages.create(model="m", max_tokens=21333, messages=[])
        client.messages.create(model="m", max_tokens=21334, messages=[])
        """
    ) == [("ANT101", 5, 1), ("ANT101", 6, 1), ("ANT102", 7, 1)]


def test_streamed_calls_are_fine() -> None:
    assert ant1(
        """
        import anthropic
        client = anthropic.Anthropic()
        client.messages.create(model="m", max_tokens=64000, messages=[], stream=True)
        with client.messages.stream(model="m", max_tokens=64000, messages=[]) as stream:
            stream.get_final_message()
        client.messages.create(model="m", max_tokens=64000, messages=[], stream=False)
        """
    ) == [("ANT102", 7, 1)]


def test_stream_variable_is_unprovable() -> None:
    assert ant1(
        """
        import anthropic
        client = anthropic.Anthropic()

        def ask(stream):
            return client.messages.create(model="m", max_tokens=64000, messages=[], stream=stream)
        """
    ) == []


def test_raw_and_streaming_response_wrappers_do_not_stream() -> None:
    assert ant1(
        """
        import anthropic
        client = anthropic.Anthropic()
        client.messages.with_raw_response.create(model="m", max_tokens=8000, messages=[])
        client.beta.messages.with_streaming_response.create(model="m", max_tokens=8000, messages=[])
        """
    ) == [("ANT101", 4, 1), ("ANT101", 5, 1)]


def test_per_call_or_client_timeout_turns_ant102_into_ant101() -> None:
    assert ant1(
        """
        import anthropic
        default = anthropic.Anthropic()
        patient = anthropic.Anthropic(timeout=1800)
        default.messages.create(model="m", max_tokens=32000, messages=[], timeout=1800)
        patient.messages.create(model="m", max_tokens=32000, messages=[])
        default.with_options(timeout=900).messages.create(model="m", max_tokens=32000, messages=[])
        """
    ) == [("ANT101", 5, 1), ("ANT101", 6, 1), ("ANT101", 7, 1)]


def test_unresolved_client_never_gets_ant102() -> None:
    assert ant1(
        """
        def ask(client):
            return client.messages.create(model="m", max_tokens=32000, messages=[])

        from anthropic import Anthropic
        def typed(client: Anthropic):
            return client.messages.create(model="m", max_tokens=32000, messages=[])
        """
    ) == [("ANT101", 7, 12)]


def test_model_limit_table() -> None:
    assert explained(
        """
        import anthropic
        client = anthropic.Anthropic()
        client.messages.create(model="claude-opus-4-0", max_tokens=10000, messages=[])
        client.messages.create(model="claude-sonnet-4-5", max_tokens=10000, messages=[])
        """,
        select=("ANT1",),
    ) == [
        (
            "ANT102 max_tokens=10,000 without streaming: above 8,192 for claude-opus-4-0, the SDK raises "
            "ValueError before sending",
            "Stream it: `with client.messages.stream(...) as stream: message = stream.get_final_message()`",
        ),
        (
            "ANT101 max_tokens=10,000 without streaming: a long answer can run past the timeout and be retried "
            "from scratch",
            "Stream it: `with client.messages.stream(...) as stream: message = stream.get_final_message()`",
        ),
    ]


def test_constants_arithmetic_class_constants_and_sources() -> None:
    assert explained(
        """
        import anthropic
        MAX = 8 * 1024

        class Writer:
            LIMIT = 2 ** 14

            def __init__(self):
                self.client = anthropic.AsyncAnthropic(timeout=60)

            async def write(self):
                await self.client.messages.create(model="m", max_tokens=MAX, messages=[])
                await self.client.messages.create(model="m", max_tokens=self.LIMIT, messages=[])
        """,
        select=("ANT1",),
    ) == [
        (
            "ANT101 max_tokens=8,192 (constant MAX on line 3) without streaming: a long answer can run past the "
            "timeout and be retried from scratch",
            "Stream it: `async with self.client.messages.stream(...) as stream: message = await "
            "stream.get_final_message()`",
        ),
        # A class attribute is a default an instance or a subclass can override: "may be".
        (
            "ANT101 max_tokens may be 16,384 (class attribute LIMIT of Writer on line 6) without streaming: a long "
            "answer can run past the timeout and be retried from scratch",
            "Stream it: `async with self.client.messages.stream(...) as stream: message = await "
            "stream.get_final_message()`",
        ),
    ]


def test_params_dict_and_conditional_keys() -> None:
    assert ant1(
        """
        import anthropic
        client = anthropic.Anthropic(timeout=60)

        def a():
            params = {"model": "m", "max_tokens": 8192, "messages": []}
            return client.messages.create(**params)

        def b():
            params = dict(model="m", max_tokens=8192, messages=[])
            params["stream"] = True
            return client.messages.create(**params)

        def c(stream):
            params = {"model": "m", "max_tokens": 8192}
            if stream:
                params["stream"] = stream
            return client.messages.create(**params)

        def d(extra):
            params = {"model": "m", "max_tokens": 8192}
            params.update(extra)
            return client.messages.create(**params)
        """
    ) == [("ANT101", 7, 12)]


def test_parameter_default_and_environment() -> None:
    assert explained(
        """
        import os
        import anthropic
        client = anthropic.Anthropic(timeout=60)
        TOKENS = int(os.environ.get("MAX_TOKENS", "8192"))

        def ask(max_tokens=16000):
            return client.messages.create(model="m", max_tokens=max_tokens, messages=[])

        def env():
            return client.messages.create(model="m", max_tokens=TOKENS, messages=[])

        def unknown(max_tokens):
            return client.messages.create(model="m", max_tokens=max_tokens, messages=[])
        """,
        select=("ANT101",),
    ) == [
        (
            "ANT101 max_tokens may be 16,000 (default of parameter max_tokens of ask()) without streaming: a long "
            "answer can run past the timeout and be retried from scratch",
            "Stream it: `with client.messages.stream(...) as stream: message = stream.get_final_message()`",
        ),
        (
            "ANT101 max_tokens may be 8,192 (default of environment variable MAX_TOKENS) without streaming: a long "
            "answer can run past the timeout and be retried from scratch",
            "Stream it: `with client.messages.stream(...) as stream: message = stream.get_final_message()`",
        ),
    ]


def test_parse_beta_and_legacy_completions() -> None:
    assert ant1(
        """
        import anthropic
        client = anthropic.Anthropic()
        client.messages.parse(model="m", max_tokens=30000, messages=[], output_format=Answer)
        client.beta.messages.parse(model="m", max_tokens=5000, messages=[], stream=True)
        client.beta.messages.create(model="m", max_tokens=5000, messages=[])
        client.completions.create(model="claude-2", max_tokens_to_sample=30000, prompt="...")
        client.completions.create(model="claude-2", max_tokens_to_sample=300, prompt="...")
        client.messages.count_tokens(model="m", max_tokens=30000, messages=[])
        """
    ) == [("ANT102", 4, 1), ("ANT101", 5, 1), ("ANT101", 6, 1), ("ANT101", 7, 1)]


def test_threshold_option_and_lookalikes() -> None:
    source = """
        import anthropic, openai
        client = anthropic.Anthropic(timeout=60)
        client.messages.create(model="m", max_tokens=6000, messages=[])
        openai.OpenAI().messages.create(model="m", max_tokens=60000, messages=[])
        """
    assert ant1(source) == [("ANT101", 4, 1)]
    assert ant1(source, max_tokens_threshold=8000) == []


def test_match_captures_shifts_and_stream_suggestions() -> None:
    assert explained(
        """
        import anthropic
        client = anthropic.Anthropic(timeout=60)

        def dispatch(command):
            match command:
                case {"max_tokens": tokens}:
                    client.messages.create(model="m", max_tokens=tokens, messages=[])
            tokens = 9000

        client.messages.with_raw_response.create(model="m", max_tokens=1 << 14, messages=[])
        client.completions.create(model="claude-2", max_tokens_to_sample=9000, prompt="...")
        """,
        select=("ANT1",),
    ) == [
        (
            "ANT101 max_tokens=16,384 without streaming: a long answer can run past the timeout and be retried "
            "from scratch",
            "Stream it: `with client.messages.stream(...) as stream: message = stream.get_final_message()`",
        ),
        (
            "ANT101 max_tokens_to_sample=9,000 without streaming: a long answer can run past the timeout and be "
            "retried from scratch",
            "Stream it: pass `stream=True` and read the events (legacy completions have no `.stream()` helper), or "
            "move to `messages.stream(...)`",
        ),
    ]
