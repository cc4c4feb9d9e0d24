"""Long generations: weekly reports and ticket summaries."""

from __future__ import annotations

import anthropic

from .settings import MODEL

MAX_REPORT_TOKENS = 32_000
SUMMARY_TOKENS = 8 * 1024

client = anthropic.Anthropic(timeout=90.0)
# ANT401: no timeout, and weekly_report() below sets none: 600 s per attempt, four attempts.
default_client = anthropic.Anthropic(max_retries=3)


def weekly_report(tickets: list[str]) -> str:
    # ANT102: 32,000 tokens without streaming on a client with the default timeout: the SDK
    # raises ValueError before sending anything.
    message = default_client.messages.create(
        model=MODEL,
        max_tokens=MAX_REPORT_TOKENS,
        messages=[{"role": "user", "content": "\n".join(tickets)}],
    )
    return message.content[0].text


def summarize(ticket: str, max_tokens: int = SUMMARY_TOKENS) -> str:
    # ANT101: 8,192 tokens without streaming can run into the HTTP timeout.
    message = client.messages.create(
        model=MODEL,
        max_tokens=max_tokens,
        messages=[{"role": "user", "content": ticket}],
    )
    return message.content[0].text


def weekly_report_streamed(tickets: list[str]) -> str:
    """Correct: a long answer streamed; the timeout bounds each pause, not the whole answer."""
    with client.messages.stream(
        model=MODEL,
        max_tokens=MAX_REPORT_TOKENS,
        messages=[{"role": "user", "content": "\n".join(tickets)}],
    ) as stream:
        message = stream.get_final_message()
    return message.content[0].text
