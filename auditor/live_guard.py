"""What live-check watches on the wire, below the SDK: attempts, redirects, answers that are not
an event stream, a `retry-after` beyond the deadline, and the deadline itself.

The checks run as httpx event hooks on the SDK's own HTTP client, so they see every attempt the
SDK makes. A finding ends the check with a `StopCheck`, a BaseException: the SDK turns every
Exception raised while sending into APIConnectionError and retries it, while a BaseException
(like KeyboardInterrupt) passes through its retry loop untouched.
"""

from __future__ import annotations

import email.utils
import math
import signal
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from types import FrameType
from typing import Any

EVENT_STREAM = "text/event-stream"
SAMPLE_BYTES = 4096  # enough of a wrong body to name it, never a whole page


class StopCheck(BaseException):
    """Ends the check at once with a diagnosis, past the SDK's retry loop."""


class DeadlineReached(StopCheck):
    """The overall deadline passed, whatever the check was waiting for."""


class Redirected(StopCheck):
    """A 3xx answer: the API never redirects. Not followed, so the key goes nowhere else."""

    def __init__(self, status: int, location: str) -> None:
        super().__init__(status, location)
        self.status, self.location = status, location


class NotAStream(StopCheck):
    """A 2xx answer to the streamed request that is not an event stream (JSON, HTML, ...)."""

    def __init__(self, status: int, content_type: str, sample: str) -> None:
        super().__init__(status, content_type)
        self.status, self.content_type, self.sample = status, content_type, sample


class WaitTooLong(StopCheck):
    """The server asked to wait longer before the next retry than the deadline leaves."""

    def __init__(self, status: int, content_type: str, sample: str, wait: float, remaining: float) -> None:
        super().__init__(status, wait)
        self.status, self.content_type, self.sample = status, content_type, sample
        self.wait, self.remaining = wait, remaining


class WireGuard:
    """The request and response hooks of one check, and what they saw."""

    def __init__(self, max_retries: int, deadline_s: float) -> None:
        self.max_retries = max_retries
        self.deadline_s = deadline_s
        self.started = time.monotonic()
        self.sends = 0
        self.answers = 0
        self.highest_retry: int | None = None
        self.response: Any = None

    def hooks(self) -> dict[str, list[Any]]:
        """`event_hooks` for the HTTP client the SDK is given."""
        return {"request": [self.on_request], "response": [self.on_response]}

    @property
    def attempts(self) -> int:
        """HTTP attempts, from the SDK's own `x-stainless-retry-count` header when it sends one."""
        return self.sends if self.highest_retry is None else self.highest_retry + 1

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def remaining(self) -> float:
        return self.deadline_s - self.elapsed()

    def check_deadline(self) -> None:
        """The deadline where no alarm can interrupt (see `deadline_alarm`)."""
        if self.remaining() <= 0:
            raise DeadlineReached()

    def on_request(self, request: Any) -> None:
        self.sends += 1
        retry = request.headers.get("x-stainless-retry-count", "")
        if retry.isdigit():
            self.highest_retry = max(int(retry), self.highest_retry or 0)

    def on_response(self, response: Any) -> None:
        self.answers += 1
        self.response = response
        self.check_deadline()
        status = int(response.status_code)
        content_type = response.headers.get("content-type", "")
        if 300 <= status < 400:
            raise Redirected(status, response.headers.get("location", ""))
        if status < 300:
            if content_type and _media_type(content_type) != EVENT_STREAM:
                raise NotAStream(status, content_type, read_sample(response))
            return
        wait = requested_wait(response.headers)
        if wait is not None and wait > self.remaining() and self._will_retry(response):
            raise WaitTooLong(status, content_type, read_sample(response), wait, max(self.remaining(), 0.0))

    def _will_retry(self, response: Any) -> bool:
        """Whether the SDK would retry this error response (its policy: `x-should-retry`, then the status)."""
        retry = response.request.headers.get("x-stainless-retry-count", "")
        taken = int(retry) if retry.isdigit() else self.sends - 1
        if taken >= self.max_retries:
            return False
        should_retry = response.headers.get("x-should-retry")
        if should_retry in ("true", "false"):
            return bool(should_retry == "true")
        return int(response.status_code) in (408, 409, 429) or int(response.status_code) >= 500


def requested_wait(headers: Mapping[str, str]) -> float | None:
    """Seconds the server asks to wait before a retry: `retry-after-ms`, else `retry-after`
    (seconds or an HTTP date), read as the SDK reads them. None when absent or not positive."""
    seconds: float | None = None
    try:
        seconds = float(headers.get("retry-after-ms", "")) / 1000
    except ValueError:
        value = headers.get("retry-after", "")
        try:
            seconds = float(value)
        except ValueError:
            date = email.utils.parsedate_tz(value)
            seconds = None if date is None else email.utils.mktime_tz(date) - time.time()
    if seconds is None or not math.isfinite(seconds) or seconds <= 0:
        return None
    return seconds


def read_sample(response: Any) -> str:
    """The start of a body, to name what it is; a read that fails keeps what arrived."""
    chunks: list[bytes] = []
    size = 0
    try:
        for chunk in response.iter_bytes():
            chunks.append(chunk)
            size += len(chunk)
            if size >= SAMPLE_BYTES:
                break
    except Exception:  # the body broke off: what arrived is the sample
        pass
    return b"".join(chunks)[:SAMPLE_BYTES].decode("utf-8", "replace")


def _media_type(content_type: str) -> str:
    return content_type.partition(";")[0].strip().lower()


@contextmanager
def deadline_alarm(seconds: float) -> Iterator[None]:
    """Raise DeadlineReached after `seconds` in whatever the main thread is blocked in (a socket
    read, a retry's sleep). Where SIGALRM is missing (Windows) or off the main thread, there is
    no alarm, and `WireGuard.check_deadline` runs as each answer and each stream event arrives."""
    if not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum: int, frame: FrameType | None) -> None:
        raise DeadlineReached()

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, max(seconds, 0.001))  # 0 would mean no alarm at all
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous if previous is not None else signal.SIG_DFL)
