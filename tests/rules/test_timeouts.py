"""ANT401 client-without-timeout, ANT402 timeout-disabled, ANT403 wait-budget-exceeded."""

from __future__ import annotations

from conftest import explained, findings


def ant401(source: str, **settings: object) -> list[tuple[str, int, int]]:
    return findings(source, select=("ANT401",), **settings)  # type: ignore[arg-type]


def ant402(source: str) -> list[tuple[str, int, int]]:
    return findings(source, select=("ANT402",))


def ant403(source: str, budget: float | None = 300) -> list[tuple[str, int, int]]:
    return findings(source, select=("ANT403",), max_total_wait=budget)


# --- ANT401 -------------------------------------------------------------------------------------


def test_module_global_client_without_timeout() -> None:
    assert ant401(
        """
        import anthropic

        client = anthropic.Anthropic()

        def ask(question):
            return client.messages.create(model="m", max_tokens=100, messages=[])
        """
    ) == [("ANT401", 4, 10)]


def test_client_with_timeout_is_fine() -> None:
    assert ant401(
        """
        import anthropic

        client = anthropic.Anthropic(timeout=30)
        client.messages.create(model="m", max_tokens=100, messages=[])
        """
    ) == []


def test_timeout_only_per_call_is_fine_and_one_call_without_is_not() -> None:
    source = """
        from anthropic import Anthropic

        client = Anthropic()
        client.messages.create(model="m", max_tokens=10, messages=[], timeout=20)
        client.messages.stream(model="m", max_tokens=10, messages=[], timeout=20.0)
        """
    assert ant401(source) == []
    assert ant401(source + "client.beta.messages.create(model='m', max_tokens=10, messages=[])\n") == [
        ("ANT401", 4, 10)
    ]


def test_message_names_the_call_and_the_default() -> None:
    assert explained(
        """
        import anthropic
        client = anthropic.Anthropic(max_retries=4)
        client.messages.create(model="m", max_tokens=10, messages=[])
        """,
        select=("ANT401",),
    ) == [
        (
            "ANT401 Anthropic() and the call on line 4 set no timeout: 600 s (SDK default) x 5 attempts + 7.5 s of backoff = 3,007.5 s",
            "Pass timeout= to the client, e.g. Anthropic(timeout=60.0), or to every call",
        )
    ]


def test_client_on_self_set_in_init_used_in_another_method() -> None:
    assert ant401(
        """
        import anthropic

        class Summarizer:
            def __init__(self, model):
                self.model = model
                self.client = anthropic.Anthropic()

            def summarize(self, text):
                return self.client.messages.create(model=self.model, max_tokens=512, messages=[])
        """
    ) == [("ANT401", 7, 23)]


def test_self_client_with_timeout_in_init() -> None:
    assert ant401(
        """
        import anthropic

        class Summarizer:
            def __init__(self):
                self.client = anthropic.Anthropic(timeout=45.0)

            def summarize(self, text):
                return self.client.messages.create(model="m", max_tokens=512, messages=[])
        """
    ) == []


def test_aliased_imports() -> None:
    assert ant401(
        """
        import anthropic as ant
        from anthropic import Anthropic as Claude

        a = ant.Anthropic()
        b = Claude()
        a.messages.create(model="m", max_tokens=1, messages=[])
        b.messages.create(model="m", max_tokens=1, messages=[])
        """
    ) == [("ANT401", 5, 5), ("ANT401", 6, 5)]


def test_async_client_with_await() -> None:
    assert ant401(
        """
        from anthropic import AsyncAnthropic

        client = AsyncAnthropic()

        async def ask():
            return await client.messages.create(model="m", max_tokens=1, messages=[])
        """
    ) == [("ANT401", 4, 10)]


def test_platform_clients() -> None:
    assert ant401(
        """
        from anthropic import AnthropicBedrock, AnthropicVertex, AsyncAnthropicVertex

        bedrock = AnthropicBedrock(aws_region="us-east-1")
        vertex = AnthropicVertex(region="us-east5", project_id="p", timeout=60)
        bedrock.messages.create(model="m", max_tokens=1, messages=[])
        vertex.messages.create(model="m", max_tokens=1, messages=[])
        """
    ) == [("ANT401", 4, 11)]


def test_timeout_from_module_constant() -> None:
    assert ant401(
        """
        import anthropic
        TIMEOUT = 30
        client = anthropic.Anthropic(timeout=TIMEOUT)
        client.messages.create(model="m", max_tokens=1, messages=[])
        """
    ) == []


def test_with_options_timeout_counts() -> None:
    source = """
        import anthropic
        client = anthropic.Anthropic()
        fast = client.with_options(timeout=10)
        fast.messages.create(model="m", max_tokens=1, messages=[])
        client.with_options(timeout=5).messages.create(model="m", max_tokens=1, messages=[])
        """
    assert ant401(source) == []
    # with_options that sets only max_retries leaves the client's missing timeout in force.
    assert ant401(
        """
        import anthropic
        client = anthropic.Anthropic()
        client.with_options(max_retries=5).messages.create(model="m", max_tokens=1, messages=[])
        """
    ) == [("ANT401", 3, 10)]


def test_client_imported_from_another_module_is_silent() -> None:
    assert ant401(
        """
        from myapp.clients import client

        def ask():
            return client.messages.create(model="m", max_tokens=1, messages=[])
        """
    ) == []


def test_client_without_visible_calls_is_silent() -> None:
    assert ant401(
        """
        import anthropic

        def make_client():
            return anthropic.Anthropic()
        """
    ) == []


def test_factory_function_and_method() -> None:
    assert ant401(
        """
        import anthropic

        def get_client():
            return anthropic.Anthropic()

        class Agent:
            def _build_client(self):
                return anthropic.AsyncAnthropic(timeout=20)

            async def run(self):
                client = self._build_client()
                await client.messages.create(model="m", max_tokens=1, messages=[])

        def ask():
            get_client().messages.create(model="m", max_tokens=1, messages=[])
        """
    ) == [("ANT401", 5, 12)]


def test_http_client_with_timeout_is_not_missing_a_timeout() -> None:
    assert ant401(
        """
        import anthropic, httpx
        client = anthropic.Anthropic(http_client=httpx.Client(timeout=30))
        other = anthropic.Anthropic(http_client=anthropic.DefaultHttpxClient(timeout=20))
        client.messages.create(model="m", max_tokens=1, messages=[])
        other.messages.create(model="m", max_tokens=1, messages=[])
        """
    ) == []


def test_http_client_without_timeout_keeps_the_sdk_default() -> None:
    assert ant401(
        """
        import anthropic, httpx
        client = anthropic.Anthropic(http_client=httpx.Client(proxy="http://proxy"))
        client.messages.create(model="m", max_tokens=1, messages=[])
        """
    ) == [("ANT401", 3, 10)]


def test_kwargs_dict_with_timeout_and_unknown_kwargs() -> None:
    assert ant401(
        """
        import anthropic
        options = {"timeout": 30, "max_retries": 3}
        client = anthropic.Anthropic(**options)
        client.messages.create(model="m", max_tokens=1, messages=[])

        def build(**kwargs):
            c = anthropic.Anthropic(**kwargs)
            c.messages.create(model="m", max_tokens=1, messages=[])
        """
    ) == []


def test_call_kwargs_may_carry_timeout() -> None:
    assert ant401(
        """
        import anthropic
        client = anthropic.Anthropic()

        def ask(**request):
            return client.messages.create(**request)
        """
    ) == []


def test_with_statement_client_and_lazy_init() -> None:
    assert ant401(
        """
        import anthropic

        def once():
            with anthropic.Anthropic() as client:
                client.messages.create(model="m", max_tokens=1, messages=[])

        class Lazy:
            def __init__(self):
                self._client = None

            def client(self):
                if self._client is None:
                    self._client = anthropic.Anthropic(timeout=10)
                return self._client

            def ask(self):
                return self.client().messages.create(model="m", max_tokens=1, messages=[])
        """
    ) == [("ANT401", 5, 10)]


def test_fallback_and_branches() -> None:
    assert ant401(
        """
        import anthropic

        class Service:
            def __init__(self, client=None, vertex=False):
                self.client = client or anthropic.Anthropic()
                if vertex:
                    self.other = anthropic.AnthropicVertex(region="r", project_id="p", timeout=60)
                else:
                    self.other = anthropic.AnthropicBedrock()

            def go(self):
                self.client.messages.create(model="m", max_tokens=1, messages=[])
                self.other.messages.create(model="m", max_tokens=1, messages=[])
        """
    ) == [("ANT401", 6, 33), ("ANT401", 10, 26)]


def test_shadowing_and_lookalikes() -> None:
    assert ant401(
        """
        import openai
        from openai import OpenAI

        def f():
            import anthropic
            anthropic = anthropic.Anthropic(timeout=5)
            anthropic.messages.create(model="m", max_tokens=1, messages=[])

        oa = OpenAI()
        oa.messages.create(model="m", max_tokens=1, messages=[])

        class Anthropic:
            pass

        local = Anthropic()
        local.messages.create(model="m", max_tokens=1, messages=[])
        """
    ) == []


def test_import_inside_function_and_raw_response() -> None:
    assert ant401(
        """
        def f():
            import anthropic
            client = anthropic.Anthropic()
            client.messages.with_raw_response.create(model="m", max_tokens=1, messages=[])
        """
    ) == [("ANT401", 4, 14)]


def test_resource_alias() -> None:
    assert ant401(
        """
        import anthropic
        client = anthropic.Anthropic()

        def ask(beta):
            messages = client.beta.messages if beta else client.messages
            return messages.create(model="m", max_tokens=1, messages=[])
        """
    ) == [("ANT401", 3, 10)]


def test_declared_client_factory_is_a_client_of_unknown_settings() -> None:
    from auditor.config import SdkSettings

    source = """
        from myapp.llm import get_client
        client = get_client()
        client.messages.create(model="m", max_tokens=1, messages=[], timeout=None)
        """
    assert findings(source, select=("ANT402",)) == []
    assert findings(source, select=("ANT402",), sdk=SdkSettings(client_factories=("myapp.llm.get_client",))) == [
        ("ANT402", 4, 70)
    ]


# --- ANT402 -------------------------------------------------------------------------------------


def test_timeout_none_on_client_and_call() -> None:
    assert ant402(
        """
        import anthropic
        client = anthropic.Anthropic(timeout=None)
        ok = anthropic.Anthropic(timeout=60)
        ok.messages.create(model="m", max_tokens=1, messages=[], timeout=None)
        ok.messages.create(model="m", max_tokens=1, messages=[], timeout=60)
        """
    ) == [("ANT402", 3, 38), ("ANT402", 5, 66)]


def test_all_none_timeout_objects() -> None:
    assert ant402(
        """
        import anthropic, httpx
        from httpx import Timeout
        a = anthropic.Anthropic(timeout=httpx.Timeout(None))
        b = anthropic.Anthropic(timeout=anthropic.Timeout(timeout=None, connect=5.0))
        c = anthropic.Anthropic(timeout=Timeout(60.0, read=None))
        d = anthropic.Anthropic(timeout=httpx.Timeout(60.0, connect=5.0))
        e = anthropic.Anthropic(timeout=Timeout(None, read=30))
        f = anthropic.Anthropic(http_client=httpx.Client(timeout=None))
        """
    ) == [("ANT402", 4, 33), ("ANT402", 5, 33), ("ANT402", 6, 33), ("ANT402", 9, 58)]


def test_none_through_constant_parameter_default_and_with_options() -> None:
    assert explained(
        """
        import anthropic
        NO_TIMEOUT = None

        def make_client(timeout=None):
            return anthropic.Anthropic(timeout=timeout)

        base = anthropic.Anthropic(timeout=30)
        slow = base.with_options(timeout=NO_TIMEOUT)
        fine = base.with_options(timeout=10)
        """,
        select=("ANT402",),
    ) == [
        (
            "ANT402 timeout may be None on Anthropic() (default of parameter timeout of make_client()): "
            "this would disable the timeout, so a stalled request waits forever",
            "Set a finite timeout such as timeout=60.0, and stream long generations",
        ),
        (
            "ANT402 timeout None on with_options() (constant NO_TIMEOUT on line 3): this disables the "
            "timeout, so a stalled request waits forever",
            "Set a finite timeout such as timeout=60.0, and stream long generations",
        ),
    ]


def test_none_inherited_by_derived_client_reported_once() -> None:
    assert ant402(
        """
        import anthropic
        client = anthropic.Anthropic(timeout=None)
        copy = client.with_options(max_retries=5)
        """
    ) == [("ANT402", 3, 38)]


def test_unknown_timeouts_are_silent() -> None:
    assert ant402(
        """
        import anthropic, os
        client = anthropic.Anthropic(timeout=settings.timeout)
        other = anthropic.Anthropic(timeout=float(os.environ["TIMEOUT"]))
        def make(timeout=None):
            return anthropic.Anthropic(timeout=timeout or 60)
        """
    ) == []


# --- ANT403 -------------------------------------------------------------------------------------


def test_budget_off_without_setting() -> None:
    assert ant403("import anthropic\nc = anthropic.Anthropic(timeout=600, max_retries=10)\n", budget=None) == []


def test_client_budget() -> None:
    assert explained(
        """
        import anthropic
        a = anthropic.Anthropic(timeout=120, max_retries=5)
        b = anthropic.Anthropic(timeout=60, max_retries=3)
        c = anthropic.Anthropic(max_retries=1)
        d = anthropic.Anthropic()
        """,
        select=("ANT403",),
        max_total_wait=300,
    ) == [
        # The same figure as the inventory's worst case: six attempts and the SDK's backoff between them.
        (
            "ANT403 Anthropic() can wait 120 s x 6 attempts + 15.5 s of backoff = 735.5 s (max_retries=5), above "
            "max-total-wait = 300 s",
            "Lower the timeout or max_retries so the worst case fits the caller's budget",
        ),
    ]


def test_with_options_and_per_call_budget() -> None:
    assert ant403(
        """
        import anthropic
        client = anthropic.Anthropic(timeout=30, max_retries=2)
        patient = client.with_options(max_retries=20)
        client.messages.create(model="m", max_tokens=1, messages=[], timeout=200)
        client.messages.create(model="m", max_tokens=1, messages=[], timeout=90)
        unknown.messages.create(model="m", max_tokens=1, messages=[], timeout=200)
        """
    ) == [("ANT403", 4, 11), ("ANT403", 5, 70)]


def test_parameter_default_none_checked_before_use_is_not_proof() -> None:
    assert ant402(
        """
        import anthropic

        def guarded(timeout=None):
            if timeout is not None:
                return anthropic.Anthropic(timeout=timeout)
            return anthropic.Anthropic(timeout=60)

        def inline(timeout=None):
            return anthropic.Anthropic(timeout=timeout) if timeout else anthropic.Anthropic(timeout=60)

        def asserted(timeout=None):
            assert timeout is not None
            return anthropic.Anthropic(timeout=timeout)

        def unguarded(timeout=None):
            return anthropic.Anthropic(timeout=timeout)
        """
    ) == [("ANT402", 17, 40)]


def test_attempts_come_from_the_call_and_unknown_retries_give_no_total() -> None:
    assert explained(
        """
        import os
        import anthropic
        d = anthropic.Anthropic()
        d5 = d.with_options(max_retries=5)
        d5.messages.create(model="m", max_tokens=10, messages=[])
        u = anthropic.Anthropic(max_retries=int(os.environ["RETRIES"]))
        u.messages.create(model="m", max_tokens=10, messages=[])
        z = anthropic.Anthropic(max_retries=0)
        z.messages.create(model="m", max_tokens=10, messages=[])
        """,
        select=("ANT401",),
    ) == [
        (
            "ANT401 Anthropic() and the call on line 6 set no timeout: 600 s (SDK default) x 6 attempts + 15.5 s of backoff = 3,615.5 s",
            "Pass timeout= to the client, e.g. Anthropic(timeout=60.0), or to every call",
        ),
        (
            "ANT401 Anthropic() and the call on line 8 set no timeout: each attempt can wait 600 s (the SDK default)",
            "Pass timeout= to the client, e.g. Anthropic(timeout=60.0), or to every call",
        ),
        (
            "ANT401 Anthropic() and the call on line 10 set no timeout: 600 s (SDK default) x 1 attempt = 600 s",
            "Pass timeout= to the client, e.g. Anthropic(timeout=60.0), or to every call",
        ),
    ]


def test_budget_with_unknown_retries_claims_only_one_attempt() -> None:
    assert explained(
        """
        import os
        import anthropic
        u = anthropic.Anthropic(timeout=60, max_retries=int(os.environ["R"]))
        u.messages.create(model="m", max_tokens=1, messages=[], timeout=400)
        big = anthropic.Anthropic(timeout=3600, max_retries=10000)
        """,
        select=("ANT403",),
        max_total_wait=300,
    ) == [
        (
            "ANT403 messages.create() can wait at least 400 s (one attempt; max_retries is not known), above "
            "max-total-wait = 300 s",
            "Lower the timeout or max_retries so the worst case fits the caller's budget",
        ),
        (
            "ANT403 Anthropic() can wait 3,600 s x 10,001 attempts + 79,975.5 s of backoff = 36,083,575.5 s (max_retries=10000), above "
            "max-total-wait = 300 s",
            "Lower the timeout or max_retries so the worst case fits the caller's budget",
        ),
    ]


SIZES = """
    import anthropic
    small = anthropic.Anthropic()
    medium = anthropic.Anthropic()
    large = anthropic.Anthropic()
    small.messages.create(model="m", max_tokens=1024, messages=[])
    medium.messages.create(model="m", max_tokens=8192, messages=[])
    large.messages.create(model="m", max_tokens=32000, messages=[])
    """


def test_the_suggested_timeout_fits_the_call() -> None:
    """Above the SDK's own estimate for a long non-streamed answer, or stream first: a shorter
    timeout would turn long answers into timeouts and re-generations."""
    assert explained(SIZES, select=("ANT401",)) == [
        (
            "ANT401 Anthropic() and the call on line 6 set no timeout: 600 s (SDK default) x 3 attempts + 1.5 s of backoff = 1,801.5 s",
            "Pass timeout= to the client, e.g. Anthropic(timeout=60.0), or to every call",
        ),
        (
            "ANT401 Anthropic() and the call on line 7 set no timeout: 600 s (SDK default) x 3 attempts + 1.5 s of backoff = 1,801.5 s",
            "Pass timeout= to the client above the SDK's estimate of 230.4 s for max_tokens=8,192, e.g. "
            "Anthropic(timeout=240.0), or stream the call",
        ),
        (
            # The SDK refuses this call (ANT102), so it is never sent: one attempt's wait is all there is to say.
            "ANT401 Anthropic() and the call on line 8 set no timeout: each attempt can wait 600 s (the SDK default)",
            "Stream the call on line 8 first (the SDK expects max_tokens=32,000 to take up to 900 s unstreamed), "
            "then pass timeout= to the client",
        ),
    ]


def test_an_sdk_older_than_its_estimate_is_not_said_to_estimate() -> None:
    """The SDK estimates how long a non-streamed answer takes from 0.47.0 on, with its refusal of
    long ones. Before that it made no estimate: the figure is told as the rate 0.47.0 assumes,
    and the call it does not refuse is sent, so the whole worst case is counted."""
    rate = "SDK 0.46.0 makes no estimate; 0.47.0 and later assume 128,000 tokens an hour"
    assert explained(SIZES, select=("ANT401",), target_sdk_version="0.46.0") == [
        (
            "ANT401 Anthropic() and the call on line 6 set no timeout: 600 s (SDK default) x 3 attempts + 1.5 s of backoff = 1,801.5 s",
            "Pass timeout= to the client, e.g. Anthropic(timeout=60.0), or to every call",
        ),
        (
            "ANT401 Anthropic() and the call on line 7 set no timeout: 600 s (SDK default) x 3 attempts + 1.5 s of backoff = 1,801.5 s",
            f"Pass timeout= to the client above 230.4 s, what max_tokens=8,192 can take unstreamed ({rate}), e.g. "
            "Anthropic(timeout=240.0), or stream the call",
        ),
        (
            "ANT401 Anthropic() and the call on line 8 set no timeout: 600 s (SDK default) x 3 attempts + 1.5 s of backoff = 1,801.5 s",
            f"Stream the call on line 8 first (max_tokens=32,000 can take up to 900 s unstreamed: {rate}), then pass timeout= to the client",
        ),
    ]
    assert explained(SIZES, select=("ANT401",), target_sdk_version="0.47.0") == explained(SIZES, select=("ANT401",))


def test_the_sdks_not_given_is_no_timeout_at_all() -> None:
    """`NOT_GIVEN`, `NotGiven()` and `omit` mean "not passed": the SDK's default applies."""
    from conftest import findings

    source = """
        import anthropic
        from anthropic import NOT_GIVEN, omit
        client = anthropic.Anthropic(timeout=NOT_GIVEN)
        client.messages.create(model="m", max_tokens=100, messages=[], timeout=anthropic.NotGiven())
        other = anthropic.Anthropic(max_retries=omit)
        other.messages.create(model="m", max_tokens=100, messages=[], timeout=omit)
        timed = anthropic.Anthropic(timeout=NOT_GIVEN)
        timed.messages.create(model="m", max_tokens=100, messages=[], timeout=20)
        """
    assert findings(source, select=("ANT401", "ANT402")) == [("ANT401", 4, 10), ("ANT401", 6, 9)]


def test_declared_field_defaults_are_may_be_values() -> None:
    from conftest import messages

    source = """
        import dataclasses
        import anthropic
        from pydantic import BaseModel, Field

        class Settings(BaseModel):
            max_tokens: int = Field(default=8192)

        @dataclasses.dataclass
        class Other:
            timeout: float | None = dataclasses.field(default=None)

        def run(settings: Settings, other: Other):
            client = anthropic.Anthropic(timeout=other.timeout)
            client.messages.create(model="m", max_tokens=settings.max_tokens, messages=[])
        """
    assert [m.split(":")[0] for m in messages(source, select=("ANT101", "ANT402"))] == [
        "ANT402 timeout may be None on Anthropic() (default of field timeout of Other on line 11)",
        "ANT101 max_tokens may be 8,192 (default of field max_tokens of Settings on line 7) without streaming",
    ]
