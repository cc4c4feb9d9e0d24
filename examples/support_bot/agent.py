"""The conversational agent: one client per agent, stored on self."""

from __future__ import annotations

import logging

import anthropic

from .settings import MODEL

log = logging.getLogger(__name__)


class SupportAgent:
    def __init__(self, system_prompt: str) -> None:
        self.system_prompt = system_prompt
        # ANT401: no timeout here, and reply() below sets none either: 600 s per attempt.
        self.client = anthropic.Anthropic()

    def reply(self, history: list[dict]) -> str:
        try:
            message = self.client.messages.create(
                model=MODEL,
                max_tokens=1024,
                system=self.system_prompt,
                messages=history,
            )
        # ANT201: APIError is the base class of RateLimitError, so the handler below never runs.
        except anthropic.APIError as error:
            log.error("model call failed: %s", error)
            raise
        except anthropic.RateLimitError:
            return "We are busy right now, please try again in a minute."
        return message.content[0].text

    def title(self, history: list[dict]) -> str | None:
        try:
            message = self.client.messages.create(
                model=MODEL, max_tokens=32, messages=history, timeout=10
            )
        # ANT202: the error vanishes without a trace, and the caller gets None.
        except anthropic.APIError:
            pass
        else:
            return message.content[0].text
        return None

    def safe_reply(self, history: list[dict]) -> str:
        """Correct: specific handlers first, the broad one last, each doing something."""
        try:
            message = self.client.messages.create(
                model=MODEL, max_tokens=1024, messages=history, timeout=30
            )
        except anthropic.RateLimitError:
            return "We are busy right now, please try again in a minute."
        except anthropic.APIError:
            log.exception("model call failed")
            raise
        return message.content[0].text
