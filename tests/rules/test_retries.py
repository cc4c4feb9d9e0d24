"""ANT301 hand-rolled-retry-loop, ANT302 retry-decorator-on-sdk-call, ANT303 retrying-non-transient-error."""

from __future__ import annotations

from conftest import RETRY_HELP, explained, findings

HEADER = """
import asyncio
import time
import anthropic
import backoff
import stamina
import tenacity
from tenacity import AsyncRetrying, Retrying, retry, retry_if_exception_type, stop_after_attempt

client = anthropic.Anthropic(timeout=30)
aclient = anthropic.AsyncAnthropic(timeout=30)
bare = anthropic.Anthropic(timeout=30, max_retries=0)
"""
BASE = HEADER.count("\n")  # line numbers below are relative to the end of HEADER

def retries(source: str, **settings: object) -> list[tuple[str, int, int]]:
    found = findings(HEADER + source, select=("ANT3",), **settings)  # type: ignore[arg-type]
    return [(code, line - BASE, column) for code, line, column in found]


def test_for_range_loop_with_sleep() -> None:
    assert retries(
        """
def ask():
    for attempt in range(3):
        try:
            return client.messages.create(model="m", max_tokens=1, messages=[])
        except anthropic.RateLimitError:
            time.sleep(2 ** attempt)
"""
    ) == [("ANT301", 3, 5)]


def test_message_gives_the_worst_case() -> None:
    assert explained(
        HEADER
        + """
def ask():
    for attempt in range(3):
        try:
            return client.messages.create(model="m", max_tokens=1, messages=[])
        except anthropic.RateLimitError:
            time.sleep(2 ** attempt)
""",
        select=("ANT301",),
    ) == [
        (f"ANT301 This loop re-sends the SDK call on line {BASE + 5}: 3 attempts x 3 SDK attempts (max_retries=2) = up to 9 requests", RETRY_HELP)
    ]


def test_while_true_and_counter_loops_async() -> None:
    assert retries(
        """
async def forever():
    while True:
        try:
            message = await aclient.messages.create(model="m", max_tokens=1, messages=[])
            break
        except Exception:
            await asyncio.sleep(1)
    return message

async def counted():
    attempts = 0
    while attempts < 4:
        try:
            return await aclient.messages.create(model="m", max_tokens=1, messages=[])
        except (anthropic.APIConnectionError, anthropic.InternalServerError):
            attempts += 1

def flagged():
    done = False
    while not done:
        try:
            client.messages.create(model="m", max_tokens=1, messages=[])
            done = True
        except:
            pass
"""
    ) == [("ANT301", 3, 5), ("ANT303", 7, 16), ("ANT301", 13, 5), ("ANT301", 21, 5), ("ANT303", 25, 9)]
    text = explained(
        HEADER
        + """
async def forever():
    while True:
        try:
            return await aclient.messages.create(model="m", max_tokens=1, messages=[])
        except Exception:
            await asyncio.sleep(1)

async def counted():
    attempts = 0
    while attempts < 4:
        try:
            return await aclient.messages.create(model="m", max_tokens=1, messages=[])
        except anthropic.APIConnectionError:
            attempts += 1
""",
        select=("ANT301",),
    )
    assert text == [
        (f"ANT301 This loop re-sends the SDK call on line {BASE + 5} on top of the SDK's own retries: it never stops retrying", RETRY_HELP),
        (f"ANT301 This loop re-sends the SDK call on line {BASE + 13}: 4 attempts x 3 SDK attempts (max_retries=2) = up to 12 requests", RETRY_HELP),
    ]


def test_not_retries() -> None:
    assert retries(
        """
def work_items(tickets):
    out = []
    for ticket in tickets:
        try:
            out.append(client.messages.create(model="m", max_tokens=1, messages=[ticket]))
        except anthropic.APIError:
            continue
    return out

def fallback_models():
    for model in ("claude-sonnet-4-5", "claude-haiku-4-5"):
        try:
            return client.messages.create(model=model, max_tokens=1, messages=[])
        except anthropic.NotFoundError:
            continue

def validation(prompt):
    for _ in range(3):
        message = client.messages.create(model="m", max_tokens=1, messages=[])
        try:
            return parse(message)
        except ValueError:
            continue

def gives_up():
    for _ in range(3):
        try:
            return client.messages.create(model="m", max_tokens=1, messages=[])
        except anthropic.APIError:
            raise

def polling(batch_id):
    while True:
        batch = client.messages.batches.retrieve(batch_id)
        if batch.processing_status == "ended":
            return batch
        time.sleep(10)

def agent(messages):
    while True:
        response = client.messages.create(model="m", max_tokens=1, messages=messages)
        if response.stop_reason == "end_turn":
            return response
        messages.append(run_tools(response))

def other_vendor(openai_client):
    for _ in range(3):
        try:
            return openai_client.chat.completions.create(model="gpt")
        except Exception:
            time.sleep(1)
"""
    ) == []


def test_max_retries_zero_client_is_exempt() -> None:
    assert retries(
        """
def ask():
    for attempt in range(3):
        try:
            return bare.messages.create(model="m", max_tokens=1, messages=[])
        except anthropic.APIConnectionError:
            time.sleep(attempt)

def derived():
    single = client.with_options(max_retries=0)
    for attempt in range(3):
        try:
            return single.messages.create(model="m", max_tokens=1, messages=[])
        except anthropic.APIConnectionError:
            time.sleep(attempt)
"""
    ) == []


def test_loop_around_a_helper_in_the_same_module() -> None:
    found = explained(
        HEADER
        + """
def complete(prompt):
    return client.messages.create(model="m", max_tokens=1, messages=[prompt])

def ask(prompt):
    for attempt in range(5):
        try:
            return complete(prompt)
        except anthropic.RateLimitError:
            time.sleep(attempt)
""",
        select=("ANT301",),
    )
    assert found == [
        (
            f"ANT301 This loop re-sends the SDK call on line {BASE + 8} (through complete()): 5 attempts x 3 SDK attempts "
            "(max_retries=2) = up to 15 requests",
            RETRY_HELP,
        )
    ]


def test_recursion_from_the_handler() -> None:
    assert retries(
        """
def ask(prompt, tries=3):
    try:
        return client.messages.create(model="m", max_tokens=1, messages=[prompt])
    except anthropic.RateLimitError:
        time.sleep(1)
        return ask(prompt, tries - 1)
"""
    ) == [("ANT301", 7, 16)]


def test_tenacity_decorators() -> None:
    assert retries(
        """
@retry
def a():
    return client.messages.create(model="m", max_tokens=1, messages=[])

@tenacity.retry(stop=tenacity.stop_after_attempt(5), wait=tenacity.wait_exponential())
async def b():
    return await aclient.messages.create(model="m", max_tokens=1, messages=[])

@retry(stop=stop_after_attempt(3))
def not_sdk():
    return requests.get("https://example.com")

@retry(stop=stop_after_attempt(3))
def zero():
    return bare.messages.create(model="m", max_tokens=1, messages=[])

@retry
def swallows_everything():
    try:
        return client.messages.create(model="m", max_tokens=1, messages=[])
    except Exception:
        return None

@retry
async def generator():
    async with aclient.messages.stream(model="m", max_tokens=1, messages=[]) as stream:
        async for text in stream.text_stream:
            yield text
"""
    ) == [("ANT302", 2, 2), ("ANT303", 2, 2), ("ANT302", 6, 2), ("ANT303", 6, 2), ("ANT303", 14, 2)]


def test_decorator_messages_count_attempts_or_say_forever() -> None:
    found = explained(
        HEADER
        + """
@retry
def a():
    return client.messages.create(model="m", max_tokens=1, messages=[])

@tenacity.retry(stop=tenacity.stop_after_attempt(5) | tenacity.stop_after_delay(60))
def b():
    return client.messages.create(model="m", max_tokens=1, messages=[])
""",
        select=("ANT302",),
    )
    assert found == [
        (f"ANT302 This retry decorator re-sends the SDK call on line {BASE + 4} on top of the SDK's own retries: it never stops retrying", RETRY_HELP),
        (f"ANT302 This retry decorator re-sends the SDK call on line {BASE + 8}: 5 attempts x 3 SDK attempts (max_retries=2) = up to 15 requests", RETRY_HELP),
    ]


def test_backoff_retrying_stamina_configured_and_local_decorators() -> None:
    source = """
import retrying
from myapp.utils import with_retries

@backoff.on_exception(backoff.expo, anthropic.RateLimitError, max_tries=4)
def a():
    return client.messages.create(model="m", max_tokens=1, messages=[])

@retrying.retry(stop_max_attempt_number=3)
def b():
    return client.messages.create(model="m", max_tokens=1, messages=[])

@stamina.retry(on=anthropic.APIConnectionError)
def c():
    return client.messages.create(model="m", max_tokens=1, messages=[])

@with_retries(3)
def d():
    return client.messages.create(model="m", max_tokens=1, messages=[])

def retry_on_error(times=3):
    def decorate(func):
        def wrapper(*args, **kwargs):
            for attempt in range(times):
                try:
                    return func(*args, **kwargs)
                except Exception:
                    time.sleep(attempt)
            raise RuntimeError("gave up")
        return wrapper
    return decorate

@retry_on_error(times=4)
def e():
    return client.messages.create(model="m", max_tokens=1, messages=[])
"""
    # retrying's default retries on every exception (ANT303 at 9); a project's own decorator
    # (17, 33) retries on what it says, which is not proved here.
    assert retries(source) == [("ANT302", 5, 2), ("ANT302", 9, 2), ("ANT303", 9, 2), ("ANT302", 13, 2), ("ANT302", 33, 2)]
    assert retries(source, retry_decorators=("myapp.utils.with_retries",)) == [
        ("ANT302", 5, 2),
        ("ANT302", 9, 2),
        ("ANT303", 9, 2),
        ("ANT302", 13, 2),
        ("ANT302", 17, 2),
        ("ANT302", 33, 2),
    ]


def test_tenacity_retrying_iterator_form() -> None:
    assert retries(
        """
def a():
    for attempt in Retrying(stop=stop_after_attempt(3)):
        with attempt:
            return client.messages.create(model="m", max_tokens=1, messages=[])

async def b():
    async for attempt in AsyncRetrying(stop=stop_after_attempt(3)):
        with attempt:
            return await aclient.messages.create(model="m", max_tokens=1, messages=[])
"""
    ) == [("ANT302", 3, 5), ("ANT303", 3, 5), ("ANT302", 8, 5), ("ANT303", 8, 5)]


def test_non_transient_errors() -> None:
    assert retries(
        """
def loop():
    for _ in range(3):
        try:
            return client.messages.create(model="m", max_tokens=1, messages=[])
        except (anthropic.RateLimitError, anthropic.BadRequestError):
            time.sleep(1)
        except anthropic.AuthenticationError:
            time.sleep(1)

@retry(retry=retry_if_exception_type((anthropic.NotFoundError, anthropic.APIConnectionError)), stop=stop_after_attempt(3))
def deco():
    return client.messages.create(model="m", max_tokens=1, messages=[])

@backoff.on_exception(backoff.expo, (anthropic.PermissionDeniedError, anthropic.UnprocessableEntityError), max_tries=3)
def deco2():
    return client.messages.create(model="m", max_tokens=1, messages=[])

def zero():
    for _ in range(3):
        try:
            return bare.messages.create(model="m", max_tokens=1, messages=[])
        except anthropic.CMEKKeyDisabledError:
            continue

def fine():
    for _ in range(3):
        try:
            return client.messages.create(model="m", max_tokens=1, messages=[])
        except anthropic.APIStatusError:
            time.sleep(1)
"""
    ) == [
        ("ANT301", 3, 5),
        ("ANT303", 6, 43),
        ("ANT303", 8, 16),
        ("ANT302", 11, 2),
        ("ANT303", 11, 39),
        ("ANT302", 15, 2),
        ("ANT303", 15, 38),
        ("ANT303", 15, 71),
        ("ANT303", 23, 16),
        ("ANT301", 27, 5),
        ("ANT303", 30, 16),
    ]


def test_requests_that_change_each_turn_are_not_retries() -> None:
    assert retries(
        """
import logging
log = logging.getLogger()
FALLBACK_MODELS = ["a", "b"]

def split(text):
    try:
        return client.messages.create(model="m", max_tokens=1, messages=[text])
    except anthropic.BadRequestError:
        half = len(text) // 2
        return split(text[:half]) + split(text[half:])

def fallback():
    for model_name in FALLBACK_MODELS:
        kwargs = {"model": model_name, "max_tokens": 512, "messages": []}
        try:
            return client.messages.create(**kwargs)
        except anthropic.APIStatusError as error:
            log.warning("model %s failed: %s", model_name, error)

def fallback_queue(models):
    while models:
        model = models.pop(0)
        try:
            return client.messages.create(model=model, max_tokens=1, messages=[])
        except anthropic.OverloadedError:
            log.warning("overloaded")

def agent(messages):
    while True:
        try:
            response = client.messages.create(model="m", max_tokens=1, messages=messages)
        except anthropic.APIError as error:
            messages.append({"role": "user", "content": str(error)})
            continue
        if response.stop_reason == "end_turn":
            return response

def copied_each_turn():
    params = {"model": "m", "max_tokens": 1, "messages": []}
    for attempt in range(3):
        kwargs = dict(params)
        try:
            return client.messages.create(**kwargs)
        except anthropic.RateLimitError:
            time.sleep(attempt)
"""
    ) == [("ANT301", 41, 5)]
