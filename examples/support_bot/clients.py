"""Where the bot's SDK clients are built."""

from __future__ import annotations

import anthropic
from anthropic import AsyncAnthropic

TIMEOUT = 45.0

# Correct: a timeout and a modest retry budget (45 s x 3 attempts = 135 s).
client = anthropic.Anthropic(timeout=TIMEOUT, max_retries=2)

# ANT402: None switches the timeout off; this client can wait forever.
batch_client = anthropic.Anthropic(timeout=None)

# ANT403: 120 s x 6 attempts + 15.5 s of backoff = 735.5 s, over the project's max-total-wait of 300 s.
patient_client = anthropic.Anthropic(timeout=120, max_retries=5)


def make_async_client() -> AsyncAnthropic:
    """A fresh async client per worker; every call through it sets its own timeout."""
    return AsyncAnthropic()


def classify(ticket: str) -> str:
    message = client.messages.create(
        model="claude-haiku-4-5",
        max_tokens=16,
        messages=[{"role": "user", "content": f"Classify this ticket: {ticket}"}],
    )
    return message.content[0].text


def nightly_digest(tickets: list[str]) -> str:
    message = batch_client.messages.create(
        model="claude-haiku-4-5",
        max_tokens=1024,
        messages=[{"role": "user", "content": "\n".join(tickets)}],
    )
    return message.content[0].text


def escalate(ticket: str) -> str:
    message = patient_client.messages.create(
        model="claude-sonnet-4-5",
        max_tokens=1024,
        messages=[{"role": "user", "content": ticket}],
    )
    return message.content[0].text
