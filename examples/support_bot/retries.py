"""Retries written by hand on top of the SDK's own."""

from __future__ import annotations

import time

import anthropic
from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_exponential

from .settings import MODEL, REQUEST_TIMEOUT

client = anthropic.Anthropic(timeout=REQUEST_TIMEOUT)
single_shot = anthropic.Anthropic(timeout=REQUEST_TIMEOUT, max_retries=0)


def answer(question: str) -> str:
    # ANT301: 5 attempts x 3 SDK attempts each = up to 15 requests into a rate limit.
    for attempt in range(5):
        try:
            message = client.messages.create(
                model=MODEL, max_tokens=512, messages=[{"role": "user", "content": question}]
            )
            return message.content[0].text
        except anthropic.RateLimitError:
            time.sleep(2**attempt)
    raise RuntimeError("gave up")


# ANT302 and ANT303: tenacity on top of the SDK's retries, and retrying a 400 that will fail again.
@retry(
    stop=stop_after_attempt(4),
    wait=wait_exponential(),
    retry=retry_if_exception_type((anthropic.BadRequestError, anthropic.APIConnectionError)),
)
def translate(text: str) -> str:
    message = client.messages.create(
        model=MODEL, max_tokens=512, messages=[{"role": "user", "content": f"Translate: {text}"}]
    )
    return message.content[0].text


def answer_once_more(question: str) -> str:
    """Correct: the SDK's retries are off (max_retries=0), so this loop is the only retry."""
    for attempt in range(3):
        try:
            message = single_shot.messages.create(
                model=MODEL, max_tokens=512, messages=[{"role": "user", "content": question}]
            )
            return message.content[0].text
        except anthropic.APIConnectionError:
            time.sleep(attempt)
    raise RuntimeError("gave up")


def label_all(tickets: list[str]) -> list[str]:
    """Correct: a loop over work items; a failed item is logged and skipped, not retried."""
    labels = []
    for ticket in tickets:
        try:
            message = client.messages.create(
                model=MODEL, max_tokens=8, messages=[{"role": "user", "content": ticket}]
            )
            labels.append(message.content[0].text)
        except anthropic.APIError as error:
            labels.append(f"unlabelled ({error.__class__.__name__})")
    return labels
