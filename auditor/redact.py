"""Keeping secrets (the API key, a password in the base URL) out of everything live-check shows.

A secret reaches an output in other spellings than its own: escaped by repr() or JSON (once or
more: a log line may show the repr of a header that already held a repr), percent-encoded in a
URL, base64-encoded in a Basic auth header or inside a longer base64 text. `Scrubber` replaces
every one of these forms. Only secrets of MIN_SECRET_LENGTH characters or
more are replaced by value, since replacing a short one would blank out ordinary words:
live-check refuses a shorter API key, and a URL password of any length is masked where it
stands, in the userinfo of any URL (`http://user:[REDACTED]@host`).
"""

from __future__ import annotations

import base64
import html
import json
import logging
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote, quote_plus, unquote, urlsplit

REDACTED = "[REDACTED]"
MIN_SECRET_LENGTH = 8

# scheme://user:password@ : the password is masked whatever its length.
_URL_PASSWORD = re.compile(r"(?P<head>\b[a-z][a-z0-9+.-]*://[^\s/?#@:]*):[^\s/?#@]*@", re.IGNORECASE)


def secret_forms(secret: str) -> set[str]:
    """The spellings under which `secret` may appear in text, each long enough to scrub safely.

    Escaping by repr() or JSON is matched by `_escapable`, at any depth; the forms here are the
    ones it cannot derive (\\u escapes of non-ASCII text, percent-encoding, HTML, base64).
    """
    forms = {
        secret,
        json.dumps(secret)[1:-1],
        secret.encode("unicode_escape").decode("ascii"),
        quote(secret, safe=""),
        quote(secret),
        quote_plus(secret),
        html.escape(secret),
    }
    forms |= _base64_forms(secret.encode("utf-8"))
    return {form for form in forms if len(form) >= MIN_SECRET_LENGTH}


def _base64_forms(raw: bytes) -> set[str]:
    """Base64 of `raw` alone, and the characters that encode it inside a longer base64 text.

    Inside a longer text `raw` starts at one of three offsets modulo 3; for each, the characters
    that depend on `raw` alone are the same whatever surrounds it (a few edge bits stay visible).
    """
    forms = {base64.b64encode(raw).decode("ascii")}
    for offset in range(3):
        encoded = base64.b64encode(bytes(offset) + raw).decode("ascii")
        forms.add(encoded[(offset * 8 + 5) // 6 : (offset + len(raw)) * 8 // 6])
    forms |= {form.rstrip("=") for form in forms}
    return forms | {form.replace("+", "-").replace("/", "_") for form in forms}


def url_secrets(url: str | None) -> list[str]:
    """The password of a URL's userinfo, and `user:password` (what a Basic auth header encodes)."""
    if not url:
        return []
    try:
        parts = urlsplit(url)
        user, password = parts.username, parts.password
    except ValueError:
        return []
    if not password:
        return []
    pairs = [(user or "", password), (unquote(user or ""), unquote(password))]
    return [secret for user, password in pairs for secret in (password, f"{user}:{password}")]


def _escapable(form: str) -> str:
    """A regex for `form` with any number of backslashes before each backslash or quote in it."""
    return "".join("\\\\*" + re.escape(char) if char in "\\\"'" else re.escape(char) for char in form)


class Scrubber:
    """Replaces every form of the given secrets, and any URL password, wherever they appear."""

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        forms = {form for secret in secrets if secret for form in secret_forms(secret)}
        self.forms = sorted(forms, key=len, reverse=True)  # the longest form wins at a position
        self._pattern = re.compile("|".join(map(_escapable, self.forms))) if self.forms else None

    def __call__(self, text: str) -> str:
        text = _URL_PASSWORD.sub(rf"\g<head>:{REDACTED}@", text)
        return self._pattern.sub(REDACTED, text) if self._pattern is not None else text

    def value(self, data: Any) -> Any:
        """Scrub every string inside a JSON-like value (before serialization, so escapes cannot hide it)."""
        if isinstance(data, str):
            return self(data)
        if isinstance(data, dict):
            return {key: self.value(item) for key, item in data.items()}
        if isinstance(data, list):
            return [self.value(item) for item in data]
        return data


class StreamScrubber:
    """Scrubs streamed text whose chunks may split a secret: holds back only a possible prefix of one."""

    def __init__(self, scrub: Scrubber) -> None:
        self.scrub = scrub
        self.held = ""

    def feed(self, chunk: str) -> str:
        pending = self.scrub(self.held + chunk)
        keep = _partial_form_suffix(pending, self.scrub.forms)
        self.held = pending[len(pending) - keep :]
        return pending[: len(pending) - keep]

    def flush(self) -> str:
        rest, self.held = self.scrub(self.held), ""
        return rest


def _partial_form_suffix(text: str, forms: list[str]) -> int:
    """The length of the longest end of `text` that could be the start of one of `forms`."""
    longest = 0
    for form in forms:
        for size in range(min(len(form) - 1, len(text)), longest, -1):
            if text.endswith(form[:size]):
                longest = size
                break
    return longest


class _ScrubLogRecords(logging.Filter):
    def __init__(self, scrub: Scrubber) -> None:
        super().__init__()
        self.scrub = scrub

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed log call must not break the request
            message = str(record.msg)
        record.msg, record.args = self.scrub(message), None
        if record.exc_info:
            record.exc_text = self.scrub(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = self.scrub(record.exc_text)
        if record.stack_info:
            record.stack_info = self.scrub(record.stack_info)
        return True


@contextmanager
def scrubbed_logging(scrub: Scrubber) -> Iterator[None]:
    """Scrub what every log handler emits (the SDK's ANTHROPIC_LOG=debug output) for a while.

    Enter it after `import anthropic`: with ANTHROPIC_LOG set, that import adds a handler to the
    root logger, and a filter guards only the handlers it is attached to.
    """
    loggers = [logging.getLogger()] + [
        logger for logger in list(logging.Logger.manager.loggerDict.values()) if isinstance(logger, logging.Logger)
    ]
    handlers = {handler for logger in loggers for handler in logger.handlers}
    if logging.lastResort is not None:
        handlers.add(logging.lastResort)
    log_filter = _ScrubLogRecords(scrub)
    for handler in handlers:
        handler.addFilter(log_filter)
    try:
        yield
    finally:
        for handler in handlers:
            handler.removeFilter(log_filter)
