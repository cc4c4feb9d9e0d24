"""The fact base itself, beside the rule tests: values with their provenance, a client's settings
through `with_options`, and the one worst-case computation every number comes from."""

from __future__ import annotations

import math
import textwrap

import libcst as cst
import pytest

from auditor.analysis.values import Known, Source, Unknown
from auditor.sdk.model import SdkModel
from auditor.sdk.table import INITIAL_RETRY_DELAY, MAX_RETRY_DELAY, sdk_backoff
from auditor.sdk.worst_case import attempts_budget


def model_of(source: str) -> SdkModel:
    return SdkModel(cst.parse_module(textwrap.dedent(source)), "app.py")


def test_provenance_is_data_and_renders_on_demand() -> None:
    model = model_of(
        """\
        import os
        import anthropic
        MAX = 8 * 1024
        BUDGET = int(os.environ.get("BUDGET", "2048"))
        client = anthropic.Anthropic(timeout=30)
        def ask(size=4096, budget=BUDGET):
            client.messages.create(model="m", max_tokens=MAX, messages=[])
            client.messages.create(model="m", max_tokens=size, messages=[])
            client.messages.create(model="m", max_tokens=BUDGET, messages=[])
            client.messages.create(model="m", max_tokens=1000 + 24, messages=[])
            client.messages.create(model="m", max_tokens=other, messages=[])
        """
    )
    constant, parameter, environment, literal, unknown = (model.max_tokens(call) for call in model.sdk_calls)
    assert constant == Known(8192, Source("constant", "MAX"))
    assert isinstance(constant, Known) and str(constant.source) == "constant MAX on line 3" and constant.certain
    assert parameter == Known(4096, Source("parameter-default", "size", "ask"), certain=False)
    assert isinstance(parameter, Known) and str(parameter.source) == "default of parameter size of ask()"
    assert environment == Known(2048, Source("environment-default", "BUDGET"), certain=False)
    assert literal == Known(1024, Source("literal"))
    assert unknown == Unknown("not defined here")


def test_settings_follow_with_options_and_name_their_source() -> None:
    model = model_of(
        """\
        import anthropic
        TIMEOUT = 30
        base = anthropic.Anthropic(timeout=TIMEOUT, max_retries=5)
        fast = base.with_options(max_retries=0)
        plain = anthropic.Anthropic()
        quick = plain.with_options(max_retries=1)
        """
    )
    base, fast, plain, quick = model.client_configs
    assert fast.parent is not None and fast.parent.configs == (base,)
    timeout, retries = model.client_timeout(fast), model.client_max_retries(fast)
    assert (timeout.value, str(timeout.source), timeout.sdk_default) == (30.0, "constant TIMEOUT on line 2", False)
    assert (retries.value, str(retries.source)) == (0, "literal")
    # A call through `quick` waits with the timeout of the `Anthropic()` it derives from.
    assert model.constructions_without(quick, "timeout") == [plain]
    assert model.constructions_without(fast, "timeout") == []  # `base` sets one
    assert model.constructions_without(quick, "max_retries") == []
    default = model.client_timeout(plain)
    assert (default.value, default.sdk_default, str(default.source)) == (600.0, True, "SDK default")
    unknown = model.client_timeout(model_of("import anthropic\nc = anthropic.Anthropic(**options)\n").client_configs[0])
    assert (unknown.known, unknown.reason) == (False, "may be passed through **kwargs")


CLIENT = """\
import anthropic
import tenacity
client = anthropic.Anthropic(timeout=120, max_retries=5)
"""


@pytest.mark.parametrize(
    ("body", "requests", "seconds", "reason"),
    [
        ("client.messages.create(model='m', max_tokens=10, messages=[])", 6, 735.5, ""),
        ("client.messages.create(model='m', max_tokens=10, messages=[], stream=True)", 6, None, "streamed: the timeout bounds each pause, not the whole answer"),
        ("client.messages.create(model='m', max_tokens=10, messages=[], timeout=None)", 6, None, "no timeout: a request can block forever"),
        ("client.messages.create(model='m', max_tokens=10, messages=[], stream=flag)", 6, None, "whether the call streams is not known"),
    ],
)
def test_worst_case_of_a_call(body: str, requests: int, seconds: float | None, reason: str) -> None:
    model = model_of(CLIENT + body + "\n")
    [call] = model.sdk_calls
    worst = model.worst_case(call)
    assert (worst.requests, worst.seconds, worst.seconds_reason, worst.refused) == (requests, seconds, reason, False)
    assert (worst.sdk_attempts, worst.retry_attempts) == (6, 1)


def test_an_enclosing_retry_multiplies_everything() -> None:
    model = model_of(
        CLIENT
        + textwrap.dedent(
            """\
            @tenacity.retry(stop=tenacity.stop_after_attempt(3))
            def ask():
                return client.messages.create(model="m", max_tokens=10, messages=[])
            """
        )
    )
    worst = model.worst_case(model.sdk_calls[0])
    assert (worst.requests, worst.seconds, worst.retry_attempts) == (18, 3 * 735.5, 3)


def test_a_call_the_sdk_refuses_costs_nothing() -> None:
    model = model_of("import anthropic\nclient = anthropic.Anthropic()\nclient.messages.create(model='m', max_tokens=32000, messages=[])\n")
    [call] = model.sdk_calls
    refusal = model.refusal(call)
    assert refusal is not None and (refusal.limit, refusal.model_limit) == (21_333, False)
    worst = model.worst_case(call)
    assert (worst.requests, worst.seconds, worst.refused, worst.requests_reason) == (0, 0.0, True, "the SDK refuses the call before sending")


def test_a_default_that_may_be_large_is_no_proof_of_refusal() -> None:
    """`max_tokens=size` with a default of 32,000: ANT102 says "may be", but callers may pass
    less, so the worst case is the one of a call that is sent."""
    model = model_of("import anthropic\nclient = anthropic.Anthropic()\ndef ask(size=32000):\n    client.messages.create(model='m', max_tokens=size, messages=[])\n")
    [call] = model.sdk_calls
    assert model.refusal(call) is not None
    worst = model.worst_case(call)
    assert (worst.refused, worst.requests, worst.seconds) == (False, 3, 1801.5)


def test_backoff_in_closed_form_matches_the_sdk_formula() -> None:
    for retries in range(60):
        assert sdk_backoff(retries) == sum(min(INITIAL_RETRY_DELAY * 2**n, MAX_RETRY_DELAY) for n in range(retries))
    assert sdk_backoff(10_000) == 7.5 + 8 * 9_996
    assert attempts_budget(3600.0, 10**400) == math.inf  # absurd, but never a crash


def test_a_tool_runner_multiplies_by_its_iterations_or_has_no_bound() -> None:
    model = model_of(
        "import anthropic\nclient = anthropic.Anthropic(timeout=60)\n"
        "client.beta.messages.tool_runner(model='m', max_tokens=100, messages=[], tools=[], max_iterations=5)\n"
        "client.beta.messages.tool_runner(model='m', max_tokens=100, messages=[], tools=[])\n"
    )
    bounded, endless = (model.worst_case(call) for call in model.sdk_calls)
    assert (bounded.requests, bounded.seconds) == (15, 5 * (3 * 60 + 1.5))
    assert (endless.requests, endless.requests_unbounded, endless.seconds_unbounded) == (None, True, True)
    assert endless.requests_reason == "tool_runner has no max_iterations: it sends requests until the model stops calling tools"
