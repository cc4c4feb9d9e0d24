"""`auditor live-check`: one real streamed request that proves the configured settings work.

The static rules can only say that a timeout or a retry budget looks wrong; this command sends
one request with exactly the configured settings and, when it fails, names the cause and the fix.

`anthropic` is imported only when the check runs: `auditor check` must never import the SDK,
which is an optional extra (`auditor[live]`). The API key (and a password in the base URL) is
scrubbed from everything this module prints, writes or logs (auditor/redact.py); what happens
on the wire below the SDK is watched by auditor/live_guard.py, which also enforces the deadline.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, NoReturn
from urllib.parse import urlsplit

import click

from auditor.config import ConfigError, ConfigResolver, LiveSettings, Settings
from auditor.live_guard import (
    NotAStream,
    Redirected,
    StopCheck,
    WaitTooLong,
    WireGuard,
    deadline_alarm,
)
from auditor.redact import MIN_SECRET_LENGTH, Scrubber, StreamScrubber, scrubbed_logging, url_secrets

EXIT_PASS = 0
EXIT_CONFIG = 2
EXIT_REFUSED = 4
EXIT_TRANSIENT = 5

SCHEMA_VERSION = 1
KEY_VARIABLE = "ANTHROPIC_API_KEY"
BASE_URL_VARIABLE = "ANTHROPIC_BASE_URL"
INSTALL_SDK = "pip install 'auditor[live]'"

# Failures that retrying later may cure (exit 5). Every other kind is a refusal (exit 4).
TRANSIENT_KINDS = frozenset(
    {
        "rate_limited",
        "overloaded",
        "server_error",
        "retryable_status",
        "timeout",
        "stalled",
        "connection",
        "cut_off",
        "deadline",
        "unexpected",
    }
)

# SDK exception class -> failure kind, most specific first (OverloadedError is an InternalServerError).
# Looked up by name so that an older SDK that lacks a class falls through to the status code.
_KIND_BY_CLASS = (
    ("AuthenticationError", "auth"),
    ("PermissionDeniedError", "permission"),
    ("NotFoundError", "not_found"),
    ("BadRequestError", "bad_request"),
    ("RateLimitError", "rate_limited"),
    ("OverloadedError", "overloaded"),
    ("InternalServerError", "server_error"),
)
_KIND_BY_STATUS = {
    400: "bad_request",
    401: "auth",
    403: "permission",
    404: "not_found",
    408: "retryable_status",
    409: "retryable_status",
    429: "rate_limited",
    529: "overloaded",
}
# An `error` event inside a 200 stream has no telling status: only the body's error type says.
_KIND_BY_ERROR_TYPE = {
    "invalid_request_error": "bad_request",
    "authentication_error": "auth",
    "permission_error": "permission",
    "not_found_error": "not_found",
    "rate_limit_error": "rate_limited",
    "overloaded_error": "overloaded",
    "api_error": "server_error",
    "timeout_error": "server_error",
}

# kind -> (cause, fix). Fields: {detail} e.g. "HTTP 429: <API message>", {after} "after 3 attempts",
# {model}, {base_url}, {timeout}, {deadline}.
_WORDING = {
    "auth": (
        "the API key was rejected ({detail})",
        "check ANTHROPIC_API_KEY: it must hold a valid, active API key for {base_url}",
    ),
    "permission": (
        "the API key has no permission for this request ({detail})",
        "use a key whose organization and workspace may call model {model!r}, or ask an admin for access",
    ),
    "not_found": (
        "model {model!r} was not found ({detail})",
        "check the configured model id {model!r} (--model, or `model` in [tool.auditor.live]); "
        "a base URL with a wrong path also answers 404",
    ),
    "bad_request": (
        "the API rejected the request as invalid ({detail})",
        "fix the setting the API's message names (model, max-tokens or prompt)",
    ),
    "refused": (
        "the API refused the request ({detail})",
        "read the API's message: retrying will not help until its cause is fixed",
    ),
    "rate_limited": (
        "rate limited ({detail}) {after}",
        "wait and rerun, send fewer requests, or raise max-retries so that the SDK waits out the limit",
    ),
    "overloaded": (
        "the API is overloaded ({detail}) {after}",
        "rerun later; a higher max-retries rides out short overloads",
    ),
    "server_error": (
        "server error ({detail}) {after}",
        "rerun later; if it persists, check the API status page, or the proxy at {base_url}",
    ),
    "retryable_status": (
        "the API kept answering {detail} {after}",
        "rerun later; a higher max-retries gives the SDK more attempts",
    ),
    "timeout": (
        "no response within the {timeout:g} s timeout {after}",
        "raise timeout (the SDK's default is 600 s), or check the network and proxies on the way to {base_url}",
    ),
    "stalled": (
        "the stream stalled: no data for {timeout:g} s mid-answer ({detail})",
        "raise timeout (it also bounds the wait between two chunks of a stream), or check proxies on the "
        "way to {base_url} that buffer streaming responses",
    ),
    "connection": (
        "could not connect to {base_url} ({detail}) {after}",
        "check the base URL (--base-url, `base-url`, or ANTHROPIC_BASE_URL), DNS, proxy and TLS settings, "
        "and that the host is reachable",
    ),
    "cut_off": (
        "the stream was cut off mid-answer ({detail})",
        "the connection dropped before the answer finished: rerun; if it repeats, check proxies or load "
        "balancers on the way to {base_url} that close or buffer long streaming responses",
    ),
    "redirect": (
        "the server answered with a redirect (HTTP {detail}): the API never redirects, so a proxy, "
        "a captive portal or a wrong base URL answered",
        "check the base URL ({base_url}: --base-url, `base-url`, or ANTHROPIC_BASE_URL) and the proxies on "
        "the way; the redirect was not followed, so the key was not sent to its target",
    ),
    "error_body": (
        "the server answered HTTP 200 with a JSON error instead of an event stream ({detail})",
        "the API reports an error with an error status or an `error` event inside the stream: a proxy or "
        "gateway on the way to {base_url} rewrote this one; check the base URL and the proxies",
    ),
    "html_page": (
        "the server answered HTTP 200 with an HTML page instead of an event stream ({detail})",
        "a captive portal, a proxy's sign-in page or a website answered: sign in to the network, or check "
        "the base URL ({base_url}) and the proxies",
    ),
    "not_a_stream": (
        "the server answered HTTP 200 with {detail} instead of an event stream",
        "something other than the Messages API answered at {base_url}, or a proxy rewrote the streaming "
        "response: check the base URL and the proxies",
    ),
    "deadline": (
        "the check did not finish within the {deadline:g} s deadline ({detail})",
        "raise --deadline (`deadline` in [tool.auditor.live]) if these settings need longer; an answer that "
        "trickles in points at a proxy on the way to {base_url} that throttles or buffers streaming responses",
    ),
    "unexpected": (
        "unexpected {detail}",
        "this is not a known failure: rerun with ANTHROPIC_LOG=debug and report it with this message",
    ),
}


@dataclass
class Failure:
    """Why the check failed, in plain words: what happened and what to change."""

    kind: str
    cause: str
    fix: str
    exception: str | None = None
    status_code: int | None = None
    error_type: str | None = None
    api_message: str | None = None

    @property
    def exit_code(self) -> int:
        return EXIT_TRANSIENT if self.kind in TRANSIENT_KINDS else EXIT_REFUSED


@dataclass
class Report:
    """What one run observed; rendered as text or as the documented JSON object."""

    model: str
    base_url: str
    timeout_s: float
    max_retries: int
    deadline_s: float
    sdk_version: str
    response_model: str | None = None
    text: str = ""
    time_to_first_token_s: float | None = None
    total_time_s: float = 0.0
    stop_reason: str | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    request_id: str | None = None
    attempts: int = 0
    stream_opened: bool = False
    failure: Failure | None = None

    @property
    def result(self) -> str:
        return "PASS" if self.failure is None else "FAIL"

    @property
    def exit_code(self) -> int:
        return EXIT_PASS if self.failure is None else self.failure.exit_code


class ConfigProblem(Exception):
    """A setting or environment problem found before any network use: exit 2, one line."""


# ---------------------------------------------------------------------------------------------
# Settings: the file, then the flags, checked before any network use.


def load_settings(config_file: Path | None, overrides: dict[str, Any]) -> tuple[LiveSettings, Settings]:
    """`[tool.auditor.live]` from the nearest (or the given) config file, with flags on top."""
    settings = ConfigResolver(config_file).for_path(Path.cwd())
    given = {name: value for name, value in overrides.items() if value is not None}
    return dataclasses.replace(settings.live, **given), settings


def check_settings(live: LiveSettings, settings: Settings, overrides: dict[str, Any]) -> None:
    """Reject values the SDK would accept but that cannot work (e.g. a negative timeout)."""

    def origin(name: str) -> str:
        key = name.replace("_", "-")
        if overrides.get(name) is not None:
            return f"--{key}"
        source = settings.source_of(f"live.{key}")
        return f"`{key}` in {source}" if source != "default" else f"the default {key}"

    problems = [
        (not live.model.strip(), "model", "must not be empty"),
        (live.max_tokens < 1, "max_tokens", f"must be at least 1, got {live.max_tokens}"),
        (not (live.timeout > 0 and math.isfinite(live.timeout)), "timeout", f"must be above 0 s, got {live.timeout}"),
        (live.max_retries < 0, "max_retries", f"must be 0 or more, got {live.max_retries}"),
        (not (live.deadline > 0 and math.isfinite(live.deadline)), "deadline", f"must be above 0 s, got {live.deadline}"),
        (not live.prompt.strip(), "prompt", "must not be empty"),
    ]
    for failed, name, message in problems:
        if failed:
            raise ConfigProblem(f"{name.replace('_', '-')} {message} (from {origin(name)})")
    if live.base_url is not None:
        _check_url(live.base_url, f"base-url (from {origin('base_url')})")
    elif BASE_URL_VARIABLE in os.environ:
        _check_url(os.environ[BASE_URL_VARIABLE], BASE_URL_VARIABLE)


def _check_url(url: str, where: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigProblem(f"{where} must be an http:// or https:// URL, got {url!r}")


def read_api_key() -> str:
    """The key, as the SDK reads it: ANTHROPIC_API_KEY, where an empty value counts as unset.

    A key that no HTTP header can carry is refused here, before httpx would put it (whole) into
    an "Illegal header value" error, and so is a key too short to be scrubbed from the output.
    """
    key = os.environ.get(KEY_VARIABLE) or None
    if key is None:
        raise ConfigProblem(f"{KEY_VARIABLE} is not set: export your API key to run a live check")
    problem = key_problem(key)
    if problem is not None:
        raise ConfigProblem(f"{KEY_VARIABLE} {problem}")
    return key


_CHARACTER_NAMES = {"\n": "a newline", "\r": "a carriage return", "\t": "a tab", " ": "a space"}


def key_problem(key: str) -> str | None:
    """What makes `key` unusable, in words that never show it: API keys are printable ASCII."""
    bad = [index for index, char in enumerate(key) if not "!" <= char <= "~"]
    if bad and bad[0] == 0:
        return f"starts with {_character_name(key[0])}: remove it"
    if bad and bad[-1] == len(key) - 1:
        what = _character_name(key[-1])
        return f"ends with {what}: remove it (a key read from a file often keeps its line ending)"
    if bad:
        what = _character_name(key[bad[0]])
        return f"contains {what} at position {bad[0] + 1} of {len(key)}: an API key is printable ASCII without spaces"
    if len(key) < MIN_SECRET_LENGTH:
        return f"is only {len(key)} characters long: too short for an API key (live-check needs {MIN_SECRET_LENGTH} or more)"
    return None


def _character_name(char: str) -> str:
    if char in _CHARACTER_NAMES:
        return _CHARACTER_NAMES[char]
    kind = "a non-ASCII character" if not char.isascii() else "a control character"
    return f"{kind} (U+{ord(char):04X})"


# ---------------------------------------------------------------------------------------------
# The request.


def build_client(anthropic: ModuleType, live: LiveSettings, api_key: str, guard: WireGuard) -> Any:
    """The client exactly as configured; base_url None lets the SDK read ANTHROPIC_BASE_URL itself.

    Redirects are not followed (the SDK's default client follows them): the API never redirects,
    and a redirect target must never receive the key.
    """
    http_client = anthropic.DefaultHttpxClient(event_hooks=guard.hooks(), follow_redirects=False)
    return anthropic.Anthropic(
        api_key=api_key,
        base_url=live.base_url,
        timeout=live.timeout,
        max_retries=live.max_retries,
        http_client=http_client,
    )


def stream_once(
    client: Any, live: LiveSettings, report: Report, guard: WireGuard, on_text: Callable[[str], None]
) -> None:
    """Send the one streamed request, pass text on as it arrives, and fill the report.

    A body that simply ends raises nothing in the SDK: only a missing `message_stop` (and a
    `stop_reason` of None) shows the answer was cut off, so that is checked here.
    """
    started = time.perf_counter()
    saw_start = saw_stop = False
    messages = [{"role": "user", "content": live.prompt}]
    with client.messages.stream(model=live.model, max_tokens=live.max_tokens, messages=messages) as stream:
        report.stream_opened = True
        report.request_id = getattr(stream, "request_id", None) or stream.response.headers.get("request-id")
        for event in stream:
            guard.check_deadline()
            if event.type == "message_start":
                saw_start = True
            elif event.type == "message_stop":
                saw_stop = True
            elif event.type == "content_block_delta" and event.delta.type == "text_delta":
                if report.time_to_first_token_s is None:
                    report.time_to_first_token_s = time.perf_counter() - started
                report.text += event.delta.text
                on_text(event.delta.text)
        if saw_start:  # get_final_message() asserts when not even message_start arrived
            message = stream.get_final_message()
            report.response_model = message.model
            report.stop_reason = message.stop_reason
            report.input_tokens = message.usage.input_tokens
            report.output_tokens = message.usage.output_tokens
    if not saw_stop or report.stop_reason is None:
        missing = "message_stop" if not saw_stop else "stop_reason"
        detail = f"the body ended without {missing} after {len(report.text)} characters of text"
        report.failure = describe("cut_off", report, detail=detail)


def run_live_check(anthropic: ModuleType, live: LiveSettings, api_key: str, on_text: Callable[[str], None]) -> Report:
    """Build the client, stream once within the deadline, and turn whatever happens into a report."""
    guard = WireGuard(live.max_retries, live.deadline)
    try:
        client = build_client(anthropic, live, api_key, guard)
    except Exception as error:  # nothing was sent yet: a setup problem, not a failed check
        raise ConfigProblem(f"could not build the client: {type(error).__name__}: {error}") from None
    report = Report(
        model=live.model,
        base_url=str(client.base_url),
        timeout_s=live.timeout,
        max_retries=live.max_retries,
        deadline_s=live.deadline,
        sdk_version=anthropic.__version__,
    )
    started = time.perf_counter()
    with client:
        try:
            with deadline_alarm(guard.remaining()):
                stream_once(client, live, report, guard, on_text)
        except StopCheck as stop:  # seen on the wire, or the deadline: the SDK had no say
            report.attempts = guard.attempts
            if report.request_id is None and guard.response is not None:
                report.request_id = guard.response.headers.get("request-id")
            report.failure = stop_failure(stop, guard, report)
        except Exception as error:  # every failure becomes a diagnosis
            report.attempts = guard.attempts
            report.request_id = report.request_id or _request_id_of(error)
            report.failure = classify_failure(error, anthropic, report)
    report.attempts = guard.attempts
    report.total_time_s = time.perf_counter() - started
    return report


# ---------------------------------------------------------------------------------------------
# Diagnosis.


def classify_failure(error: Exception, anthropic: ModuleType, report: Report) -> Failure:
    """Name the cause and the fix for one exception: by SDK class first, then by status code."""
    name = f"{type(error).__name__}: {error}"
    if isinstance(error, anthropic.APIStatusError):
        return _status_failure(error, anthropic, report)
    if isinstance(error, anthropic.APITimeoutError):
        return describe("timeout", report, detail="", exception=name)
    if isinstance(error, anthropic.APIConnectionError):
        root = _root_cause(error)
        return describe("connection", report, detail=f"{type(root).__name__}: {root}", exception=name)
    if report.stream_opened and _is_transport_error(error):
        # Raised by the HTTP library while reading the body; the SDK does not wrap these.
        if "TimeoutException" in _class_names(error):
            return describe("stalled", report, detail=name, exception=name)
        detail = f"{name}, after {len(report.text)} characters of text"
        return describe("cut_off", report, detail=detail, exception=name)
    return describe("unexpected", report, detail=name, exception=name)


def _status_failure(error: Any, anthropic: ModuleType, report: Report) -> Failure:
    status = int(getattr(error, "status_code", 0) or 0)
    error_type, api_message = _error_fields(getattr(error, "body", None))
    kind = _status_kind(error, anthropic, status, error_type)
    where = f"HTTP {status}" if status != 200 else "an error event mid-stream"
    detail = f"{where}: {api_message}" if api_message else where
    return describe(
        kind,
        report,
        detail=detail,
        exception=f"{type(error).__name__}: {error}",
        status_code=status or None,
        error_type=error_type,
        api_message=api_message,
    )


def _status_kind(error: Any, anthropic: ModuleType, status: int, error_type: str | None) -> str:
    for class_name, kind in _KIND_BY_CLASS:
        cls = getattr(anthropic, class_name, None)
        if cls is not None and isinstance(error, cls):
            return kind
    return _kind_of_status(status, error_type)


def _kind_of_status(status: int, error_type: str | None) -> str:
    if status in _KIND_BY_STATUS:
        return _KIND_BY_STATUS[status]
    if status >= 500:
        return "server_error"
    if 400 <= status < 500:
        return "refused"
    return _KIND_BY_ERROR_TYPE.get(error_type or "", "unexpected")


def stop_failure(stop: StopCheck, guard: WireGuard, report: Report) -> Failure:
    """Name what the wire guard stopped on, or what the check was doing when the deadline passed."""
    if isinstance(stop, Redirected):
        detail = f"{stop.status} to {stop.location}" if stop.location else str(stop.status)
        return describe("redirect", report, detail=detail, status_code=stop.status)
    if isinstance(stop, NotAStream):
        return _not_a_stream_failure(stop, report)
    if isinstance(stop, WaitTooLong):
        return _wait_failure(stop, report)
    return describe("deadline", report, detail=_deadline_detail(guard, report))


def _not_a_stream_failure(stop: NotAStream, report: Report) -> Failure:
    error_type, api_message = _error_fields(_json_object(stop.sample))
    if error_type or api_message:
        detail = ": ".join(part for part in (error_type, api_message) if part)
        return describe(
            "error_body", report, detail=detail, status_code=stop.status, error_type=error_type, api_message=api_message
        )
    if "html" in stop.content_type.lower():
        title = re.search(r"<title[^>]*>(.*?)</title", stop.sample, re.IGNORECASE | re.DOTALL)
        detail = f"titled {_one_line(title.group(1))!r}" if title else f"starting {_one_line(stop.sample)!r}"
        return describe("html_page", report, detail=detail, status_code=stop.status)
    detail = f"content-type {stop.content_type}, starting {_one_line(stop.sample)!r}"
    return describe("not_a_stream", report, detail=detail, status_code=stop.status)


def _wait_failure(stop: WaitTooLong, report: Report) -> Failure:
    """A retryable error whose `retry-after` outlasts the deadline: said, not slept through."""
    error_type, api_message = _error_fields(_json_object(stop.sample))
    where = f"HTTP {stop.status}"
    failure = describe(
        _kind_of_status(stop.status, error_type),
        report,
        detail=f"{where}: {api_message}" if api_message else where,
        status_code=stop.status,
        error_type=error_type,
        api_message=api_message,
    )
    wait = _duration(stop.wait)
    failure.cause += (
        f"; the API asked to wait {wait} before retrying, more than the {_duration(stop.remaining)} left "
        f"of the {report.deadline_s:g} s deadline"
    )
    failure.fix = f"rerun in {wait} or later, or give the SDK time to wait it out with a --deadline above {wait}"
    return failure


def _deadline_detail(guard: WireGuard, report: Report) -> str:
    """What the check was waiting for when the deadline passed."""
    response = guard.response
    attempt = f"attempt {guard.attempts}"
    if guard.answers < guard.sends or response is None:
        return f"no answer yet to {attempt}, whose {report.timeout_s:g} s timeout had not run out"
    if int(response.status_code) >= 400:
        return f"waiting to retry after HTTP {response.status_code} on {attempt}"
    received = int(getattr(response, "num_bytes_downloaded", 0))
    return (
        f"the answer was still arriving: {received:,} bytes and {len(report.text):,} characters of text "
        f"in {guard.elapsed():.1f} s, {attempt}"
    )


def _json_object(text: str) -> dict[str, Any] | None:
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _one_line(text: str, limit: int = 120) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _duration(seconds: float) -> str:
    """3,600 s; 59.9 s; 0.25 s."""
    return f"{seconds:,.0f} s" if seconds >= 100 else f"{seconds:.3g} s"


def _error_fields(body: object) -> tuple[str | None, str | None]:
    """`error.type` and `error.message` of an API error body; a non-JSON body's text as the message."""
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        error = body["error"]
        error_type = error.get("type") if isinstance(error.get("type"), str) else None
        message = error.get("message") if isinstance(error.get("message"), str) else None
        return error_type, message
    if isinstance(body, str) and body.strip():
        return None, body.strip()[:300]
    return None, None


def describe(kind: str, report: Report, *, detail: str, **fields: Any) -> Failure:
    """A Failure of `kind`, worded from `_WORDING` with this run's model, URL, timeout and attempts."""
    attempts = report.attempts
    cause, fix = _WORDING[kind]
    values = {
        "detail": detail,
        "after": f"after {attempts} attempt{'s' if attempts != 1 else ''}",
        "model": report.model,
        "base_url": report.base_url,
        "timeout": report.timeout_s,
        "deadline": report.deadline_s,
    }
    return Failure(kind=kind, cause=cause.format(**values), fix=fix.format(**values), **fields)


def _request_id_of(error: Exception) -> str | None:
    """The `request-id` of the response behind an error, when there was one (quote it to support)."""
    request_id = getattr(error, "request_id", None)
    headers = getattr(getattr(error, "response", None), "headers", None)
    if request_id is None and headers is not None:
        request_id = headers.get("request-id")
    return request_id if isinstance(request_id, str) else None


def _root_cause(error: BaseException) -> BaseException:
    """The innermost exception behind `error` (e.g. ConnectError: connection refused)."""
    seen: set[int] = set()
    while id(error) not in seen:
        seen.add(id(error))
        inner = error.__cause__ or error.__context__
        if inner is None:
            break
        error = inner
    return error


def _class_names(error: BaseException) -> set[str]:
    return {cls.__name__ for cls in type(error).__mro__}


def _is_transport_error(error: BaseException) -> bool:
    """An httpx or httpx2 transport error, found by class name: neither library is imported here."""
    module = type(error).__module__.partition(".")[0]
    return module in ("httpx", "httpx2", "httpcore", "httpcore2") and "TransportError" in _class_names(error)


# ---------------------------------------------------------------------------------------------
# Rendering.


def report_json(report: Report) -> dict[str, Any]:
    """The documented JSON object: these keys are stable (see the README's live-check section)."""
    return {
        "schema_version": SCHEMA_VERSION,
        "result": report.result,
        "exit_code": report.exit_code,
        "model": report.model,
        "response_model": report.response_model,
        "base_url": report.base_url,
        "text": report.text,
        "time_to_first_token_s": _rounded(report.time_to_first_token_s),
        "total_time_s": _rounded(report.total_time_s),
        "stop_reason": report.stop_reason,
        "input_tokens": report.input_tokens,
        "output_tokens": report.output_tokens,
        "request_id": report.request_id,
        "attempts": report.attempts,
        "retries": max(report.attempts - 1, 0),
        "timeout_s": report.timeout_s,
        "max_retries": report.max_retries,
        "deadline_s": report.deadline_s,
        "sdk_version": report.sdk_version,
        "failure": dataclasses.asdict(report.failure) if report.failure else None,
    }


def render_json(report: Report, scrub: Scrubber) -> str:
    return scrub(json.dumps(scrub.value(report_json(report)), indent=2)) + "\n"


def render_text(report: Report, scrub: Scrubber) -> str:
    """The human report: one aligned row per fact, the cause and fix last."""
    model = report.model
    if report.response_model and report.response_model != report.model:
        model += f" (answered as {report.response_model})"
    tokens = "-" if report.input_tokens is None else f"{report.input_tokens} in, {report.output_tokens} out"
    retries = max(report.attempts - 1, 0)
    rows = [
        ("model", model),
        ("base URL", report.base_url),
        ("time to first token", _seconds(report.time_to_first_token_s)),
        ("total time", _seconds(report.total_time_s)),
        ("stop reason", report.stop_reason or "none"),
        ("tokens", tokens),
        ("request id", report.request_id or "none"),
        ("attempts", f"{report.attempts} ({retries} {'retry' if retries == 1 else 'retries'})"),
        ("timeout", f"{report.timeout_s:g} s"),
        ("max retries", str(report.max_retries)),
        ("deadline", f"{report.deadline_s:g} s"),
        ("SDK", f"anthropic {report.sdk_version}"),
    ]
    if report.failure is not None:
        rows += [("cause", report.failure.cause), ("fix", report.failure.fix)]
    width = max(len(label) for label, _ in rows)
    lines = [f"live-check: {report.result}"] + [f"  {label:<{width}}  {value}" for label, value in rows]
    return scrub("\n".join(lines)) + "\n"


def render_quiet(report: Report, scrub: Scrubber) -> str:
    """One line: the verdict, and on failure the cause and the fix."""
    if report.failure is None:
        line = f"live-check: PASS ({report.model}, {report.attempts} attempt(s), {_seconds(report.total_time_s)})"
    else:
        line = f"live-check: FAIL: {report.failure.cause}. Fix: {report.failure.fix}"
    return scrub(line) + "\n"


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f} s"


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


# ---------------------------------------------------------------------------------------------
# The command.


@click.command(name="live-check")
@click.option(
    "--config", "config_file", type=click.Path(dir_okay=False, path_type=Path), help="Use this configuration file."
)
@click.option("--model", help="Model id to call [config: model].")
@click.option("--max-tokens", type=int, help="max_tokens of the request [config: max-tokens].")
@click.option("--timeout", type=float, help="Client timeout in seconds [config: timeout].")
@click.option("--max-retries", type=int, help="Client max_retries [config: max-retries].")
@click.option("--prompt", help="The user message to send [config: prompt].")
@click.option("--base-url", help="API base URL [config: base-url, then ANTHROPIC_BASE_URL].")
@click.option("--deadline", type=float, help="Stop the whole check after this many seconds [config: deadline; 300].")
@click.option(
    "--from-code",
    type=click.Path(path_type=Path),
    help="Take timeout and max_retries from the one client construction found in this file or directory.",
)
@click.option("-q", "--quiet", is_flag=True, help="Do not print the answer; print a one-line report.")
@click.option("--output-format", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option(
    "--output-file", type=click.Path(dir_okay=False, path_type=Path), help="Write the report here, not to stdout."
)
def live_check(
    config_file: Path | None,
    model: str | None,
    max_tokens: int | None,
    timeout: float | None,
    max_retries: int | None,
    prompt: str | None,
    base_url: str | None,
    deadline: float | None,
    from_code: Path | None,
    quiet: bool,
    output_format: str,
    output_file: Path | None,
) -> None:
    """Send one real streamed request with the configured settings and report PASS or FAIL.

    Exit codes: 0 pass; 2 configuration problem (found before any network use); 4 the API
    refused the request, or something other than the API answered; 5 a transient failure that
    survived every retry, or the deadline passed; 130 interrupted (Ctrl-C, handled by
    `auditor.cli.entry` for every command).
    """
    overrides = {
        "model": model,
        "max_tokens": max_tokens,
        "timeout": timeout,
        "max_retries": max_retries,
        "prompt": prompt,
        "base_url": base_url,
        "deadline": deadline,
    }
    raise SystemExit(_live_check(config_file, overrides, from_code, quiet, output_format, output_file))


def _live_check(
    config_file: Path | None,
    overrides: dict[str, Any],
    from_code: Path | None,
    quiet: bool,
    output_format: str,
    output_file: Path | None,
) -> int:
    """Settings, key and SDK first (exit 2 on any problem, nothing sent), then the check itself."""
    raw_key = os.environ.get(KEY_VARIABLE)
    scrub = Scrubber([raw_key, raw_key and raw_key.strip()])
    try:
        if from_code is not None:
            overrides["timeout"], overrides["max_retries"] = _settings_from_code(
                from_code, overrides["timeout"], overrides["max_retries"]
            )
        live, settings = load_settings(config_file, overrides)
        check_settings(live, settings, overrides)
        api_key = read_api_key()
        if output_file is not None and not output_file.resolve().parent.is_dir():
            raise ConfigProblem(f"--output-file: the folder of {output_file} does not exist")
        base_url = live.base_url or os.environ.get(BASE_URL_VARIABLE)
        scrub = Scrubber([api_key, *url_secrets(base_url)])
        anthropic = _import_sdk()
    except (ConfigError, ConfigProblem) as problem:
        _fail_config(scrub(str(problem)))
    try:
        return _run_and_report(anthropic, live, api_key, scrub, quiet, output_format, output_file)
    except Exception as error:  # last resort: the user never sees a traceback
        click.echo(scrub(f"live-check: FAIL: internal error {type(error).__name__}: {error}"), err=True)
        return EXIT_TRANSIENT


def _settings_from_code(path: Path, timeout: float | None, max_retries: int | None) -> tuple[float, int]:
    """The code's own timeout and max_retries (the static analysis, no SDK import)."""
    from auditor.from_code import FromCodeProblem, client_settings

    if timeout is not None or max_retries is not None:
        raise ConfigProblem("--from-code takes timeout and max_retries from the code: drop --timeout and --max-retries")
    try:
        seconds, retries, where = client_settings(path)
    except FromCodeProblem as problem:
        raise ConfigProblem(str(problem)) from None
    click.echo(f"live-check: using timeout={seconds:g} and max_retries={retries} from {where}", err=True)
    return seconds, retries


def _import_sdk() -> ModuleType:
    """The SDK, an optional extra: missing or broken, it is a setup problem found before any request.

    Imported before the log scrubbing starts, because the import installs the SDK's log handler.
    """
    try:
        import anthropic
    except ImportError as error:
        if isinstance(error, ModuleNotFoundError) and error.name == "anthropic":
            raise ConfigProblem(f"the anthropic SDK is not installed; install it with: {INSTALL_SDK}") from None
        raise ConfigProblem(
            f"the anthropic SDK failed to import ({type(error).__name__}: {error}): reinstall it with {INSTALL_SDK}"
        ) from None
    return anthropic


def _fail_config(message: str) -> NoReturn:
    """Exit 2 with a one-line explanation on stderr."""
    click.echo(f"live-check: {' '.join(message.split())}", err=True)
    raise SystemExit(EXIT_CONFIG)


def _run_and_report(
    anthropic: ModuleType,
    live: LiveSettings,
    api_key: str,
    scrub: Scrubber,
    quiet: bool,
    output_format: str,
    output_file: Path | None,
) -> int:
    """Run the check, echo the answer as it streams (text mode), then write the report."""
    show_text = not quiet and output_format == "text"
    stream_scrub = StreamScrubber(scrub)
    printed: list[str] = []

    def on_text(chunk: str) -> None:
        if show_text and (safe := stream_scrub.feed(chunk)):
            printed.append(safe)
            click.echo(safe, nl=False)

    with scrubbed_logging(scrub):
        try:
            report = run_live_check(anthropic, live, api_key, on_text)
        except ConfigProblem as problem:
            _fail_config(scrub(str(problem)))
    if show_text and (rest := stream_scrub.flush()):
        printed.append(rest)
        click.echo(rest, nl=False)
    if printed and not printed[-1].endswith("\n"):
        click.echo()
    if output_format == "json":
        rendered = render_json(report, scrub)
    else:
        rendered = render_quiet(report, scrub) if quiet else render_text(report, scrub)
    if output_file is None:
        click.echo(rendered, nl=False)
    else:
        try:
            output_file.write_text(rendered, encoding="utf-8")
        except OSError as error:
            _fail_config(scrub(f"--output-file: cannot write {output_file}: {error.strerror or error}"))
    return report.exit_code
